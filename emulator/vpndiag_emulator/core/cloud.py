"""``Cloud``: the whole emulated world, and the single entry point every transport calls.

One ``Cloud`` holds access keys (and the accounts they belong to), per-account-per-region service
backends, the clock, injected faults and the log of answered requests. ``handle()`` is the one
path a request takes, whether it came through the loopback server or the in-process mock.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import responses

from vpndiag_emulator.eventbridge.models import EventBridgeBackend
from vpndiag_emulator.fc.models import FcBackend, FcRegistry
from vpndiag_emulator.mns.models import MnsBackend
from vpndiag_emulator.oss.models import OssBackend
from vpndiag_emulator.ram import sts
from vpndiag_emulator.ram.models import RamBackend
from vpndiag_emulator.ros.models import RosBackend
from vpndiag_emulator.services import default_services
from vpndiag_emulator.sls.models import SlsBackend
from vpndiag_emulator.vpc.estate import populate
from vpndiag_emulator.vpc.models import Gateway, VpcBackend

from .backends import Backends
from .clock import Clock, SystemClock
from .credentials import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_ACCOUNT_ID,
    AccessKey,
    CredentialStore,
)
from .faults import FaultInjector
from .faults_render import fault_response, truncate
from .ids import seeded_rng
from .mock import mock_requests
from .nonces import NonceRegistry
from .request_log import RequestLog, RequestRecord
from .router import Router
from .rpc import render_json
from .server import LoopbackServer
from .wire import EmulatedRequest, EmulatedResponse

DEFAULT_REGIONS = ("cn-hangzhou", "cn-shanghai")


class Cloud:
    """The emulated slice of Alibaba Cloud.

    ``seed`` makes ids, the estate, diagnosis outcomes and probabilistic faults reproducible.
    ``clock`` defaults to real time (``SystemClock``); tests pass a ``ManualClock``. The default
    access key pair (``DEFAULT_ACCESS_KEY_ID`` / ``DEFAULT_ACCESS_KEY_SECRET``, account
    ``DEFAULT_ACCOUNT_ID``) is always registered.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: Clock | None = None,
        diagnosis_duration: float = 2.0,
        timestamp_tolerance: timedelta = timedelta(minutes=15),
    ) -> None:
        self.seed = seed
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.diagnosis_duration = diagnosis_duration
        """Clock seconds from a diagnosis's start until all seven checks are finished."""
        self.timestamp_tolerance = timestamp_tolerance
        """How far a request's signed timestamp may be from the clock (the gateway's 15 min)."""
        self.credentials = CredentialStore()
        self.nonces = NonceRegistry(timestamp_tolerance)
        self.faults = FaultInjector(seeded_rng(seed, "faults"))
        self.requests = RequestLog()
        self.router = Router(default_services())
        self._vpc = Backends(lambda account, region: VpcBackend(self, account, region))
        self._oss = Backends(lambda account, region: OssBackend(self, account, region))
        self._sls = Backends(lambda account, region: SlsBackend(self, account, region))
        self._eventbridge = Backends(
            lambda account, region: EventBridgeBackend(self, account, region)
        )
        self._mns = Backends(lambda account, region: MnsBackend(self, account, region))
        self._ros = Backends(lambda account, region: RosBackend(self, account, region))
        # RAM is global: its backends are keyed by account alone (the region slot is unused).
        self._ram = Backends(
            lambda account, _region: RamBackend(
                account, clock=self.clock, rng=seeded_rng(seed, "ram", account)
            )
        )
        self.fc_backends = FcRegistry(self)
        """Every account's and region's FC backend (``fc()`` is the usual way in)."""
        self.add_access_key(
            DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, account_id=DEFAULT_ACCOUNT_ID
        )

    # -- identities -------------------------------------------------------------------------

    def add_access_key(
        self,
        key_id: str,
        secret: str,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        security_token: str | None = None,
        allowed_actions: Iterable[str] | None = None,
    ) -> AccessKey:
        """Register a key pair of ``account_id``.

        With ``security_token`` it is an STS key: each request must carry that token.
        ``allowed_actions`` (``"GetVpnGatewayDiagnoseResult"``, ``"vpc:*"``, ...) limits what
        it may call; others answer 403 ``Forbidden``.
        """
        return self.credentials.add(
            key_id,
            secret,
            account_id=account_id,
            security_token=security_token,
            allowed_actions=allowed_actions,
        )

    def remove_access_key(self, key_id: str) -> None:
        """Revoke a key: its requests then get ``InvalidAccessKeyId.NotFound``."""
        self.credentials.remove(key_id)

    def deny(self, key_id: str, action: str) -> None:
        """Make ``action`` (or ``"vpc:*"``, ``"*"``) answer 403 ``Forbidden`` for this key."""
        self.credentials.deny(key_id, action)

    def ram(self, account_id: str = DEFAULT_ACCOUNT_ID) -> RamBackend:
        """The RAM roles of ``account_id`` (none until ``create_role``)."""
        return self._ram.get(account_id, "")

    def assume_role(
        self,
        role_arn: str,
        *,
        session_name: str,
        principal_service: str | None = None,
        caller: AccessKey | None = None,
        duration_seconds: int = 3600,
        external_id: str | None = None,
    ) -> AccessKey:
        """STS AssumeRole: a registered temporary key (``STS.`` id, token, expiry on the clock).

        Exactly one of ``principal_service`` (``"fc.aliyuncs.com"`` for the FC platform) and
        ``caller`` (the key calling STS) must be given; the role's trust policy must name it.
        The key's requests are judged by the role's policies until it expires. Refusals raise
        ``vpndiag_emulator.ram.errors.RamError`` with STS's code (``NoPermission``,
        ``EntityNotExist.Role``, ``InvalidParameter.DurationSeconds``, ...).
        """
        return sts.assume_role(
            ram=self.ram,
            credentials=self.credentials,
            clock=self.clock,
            role_arn=role_arn,
            session_name=session_name,
            principal_service=principal_service,
            caller=caller,
            duration_seconds=duration_seconds,
            external_id=external_id,
        )

    # -- state --------------------------------------------------------------------------------

    def vpc(self, region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> VpcBackend:
        """The VPC backend of ``account_id`` in ``region`` (created empty on first use)."""
        return self._vpc.get(account_id, region)

    def oss(self, region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> OssBackend:
        """The OSS buckets of ``account_id`` in ``region`` (none until ``create_bucket``)."""
        return self._oss.get(account_id, region)

    def sls(self, region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> SlsBackend:
        """The SLS projects of ``account_id`` in ``region`` (none until ``create_project``)."""
        return self._sls.get(account_id, region)

    def fc(self, region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> FcBackend:
        """The FC functions of ``account_id`` in ``region`` (none until ``register_function``)."""
        return self.fc_backends.get(account_id, region)

    def eventbridge(self, region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> EventBridgeBackend:
        """The event buses of ``account_id`` in ``region`` (only ``default`` until ``create_bus``)."""
        return self._eventbridge.get(account_id, region)

    def mns(self, region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> MnsBackend:
        """The MNS queues of ``account_id`` in ``region`` (none until ``create_queue``)."""
        return self._mns.get(account_id, region)

    def ros(self, region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> RosBackend:
        """The ROS stacks of ``account_id`` in ``region`` (none until ``create_stack``)."""
        return self._ros.get(account_id, region)

    def seed_estate(
        self,
        regions: Iterable[str] = DEFAULT_REGIONS,
        gateways_per_region: int = 2,
        connections_per_gateway: int = 2,
        account_id: str = DEFAULT_ACCOUNT_ID,
    ) -> list[Gateway]:
        """Populate each region with tagged gateways and connections, reproducibly from the seed."""
        return [
            gateway
            for region in regions
            for gateway in populate(
                self.vpc(region, account_id),
                gateways=gateways_per_region,
                connections_per_gateway=connections_per_gateway,
            )
        ]

    # -- requests -----------------------------------------------------------------------------

    def handle(self, request: EmulatedRequest) -> EmulatedResponse:
        """Answer one request: route, apply faults, let the service answer, log."""
        arrived = self.clock.now()
        service = self.router.route(request)
        if service is None:
            response = _no_service(request)
            self.requests.append(
                RequestRecord(None, None, response.status, response.error_code, None, arrived)
            )
            return response

        action = service.action_of(request)
        draw = self.faults.draw(service.name, action)
        if draw.delay:
            time.sleep(draw.delay)
        fault = draw.fault
        if fault is not None and fault.kind != "truncated":
            response = fault_response(fault, service, request)
        else:
            response = service.handle(self, request)
            if fault is not None:
                response = truncate(response)

        fault_kind = fault.kind if fault is not None else ("latency" if draw.delay else None)
        self.requests.append(
            RequestRecord(
                service=service.name,
                action=action,
                status=None if response.drop_connection else response.status,
                error_code=response.error_code,
                fault=fault_kind,
                at=arrived,
                detail=response.detail,
            )
        )
        return response

    @contextmanager
    def mock(self) -> Iterator[responses.RequestsMock]:
        """Answer ``requests`` calls to the emulated hosts in-process while the block runs."""
        with mock_requests(self) as mock:
            yield mock

    def serve(
        self, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False
    ) -> LoopbackServer:
        """Start a loopback HTTP server (port 0: any free port); use as a context manager."""
        return LoopbackServer(self, host, port, verbose=verbose)


def _no_service(request: EmulatedRequest) -> EmulatedResponse:
    # Emulator-specific: in the cloud such a host would not resolve. The code says so plainly.
    code = "Emulator.NoSuchService"
    message = f"No emulated service answers for host {request.hostname!r}."
    return EmulatedResponse(
        status=404,
        body=render_json({"Code": code, "Message": message}),
        headers={"Content-Type": "application/json;charset=utf-8"},
        error_code=code,
    )
