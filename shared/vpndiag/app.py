"""What an archive function instance builds once, and what it does per invocation."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import requests

from vpndiag import config, credentials
from vpndiag.archive.pipeline import ArchivePipeline, ArchiveResult
from vpndiag.clients.endpoints import VpcEndpoints
from vpndiag.clients.vpc import VpcClient, client_token
from vpndiag.errors import BatchError, EventError, UnsupportedConnection, VpndiagError
from vpndiag.events import DiagnosisRequest, parse_event
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag.model.connection import transit_router_reason
from vpndiag.store.factory import Wiring, open_log_store, open_object_store

if TYPE_CHECKING:
    from vpndiag.health.tracker import HealthTracker

log = logging.getLogger("vpndiag")


def vpc_client(
    settings: config.Settings,
    session: requests.Session,
    keys: Callable[[], credentials.Credentials],
) -> VpcClient:
    """The VPC client as the settings configure it (shared by the archive and sweep functions)."""
    return VpcClient(
        session=session,
        credentials=keys,
        endpoints=VpcEndpoints(settings.network, settings.vpc_endpoint),
        retry=RetryPolicy(attempts=settings.max_attempts),
        signature=settings.signature,
        timeout=settings.http_timeout,
    )


class ArchiveApp:
    def __init__(
        self,
        settings: config.Settings,
        *,
        environ: Mapping[str, str],
        explicit_credentials: credentials.Credentials | None = None,
    ) -> None:
        self.settings = settings
        self._environ = environ
        self._explicit = explicit_credentials
        self._credentials: credentials.Credentials | None = None
        self._deadline = Deadline.after(settings.default_timeout)
        session = new_session(proxy=settings.http_proxy)
        retry = RetryPolicy(attempts=settings.max_attempts)
        self.vpc = vpc_client(settings, session, self._current_credentials)

        def wiring() -> Wiring:
            return Wiring(
                session=session,
                credentials=self._current_credentials,
                retry=retry,
                deadline=lambda: self._deadline,
                function_region=environ.get("ALIBABA_CLOUD_REGION") or environ.get("FC_REGION"),
            )

        self.objects, prefix = open_object_store(settings, wiring)
        self.logs = open_log_store(settings, wiring)
        self._context_account: str | None = None
        function_region = environ.get("ALIBABA_CLOUD_REGION") or environ.get("FC_REGION")
        self.health: HealthTracker | None = None
        if settings.health:
            # Imported only when switched on: health and its EventBridge client weigh on cold start.
            from vpndiag.health.wiring import build_tracker

            self.health = build_tracker(
                settings,
                objects=self.objects,
                prefix=prefix,
                vpc=self.vpc,
                session=session,
                credentials=self._current_credentials,
                retry=retry,
                account_id=lambda: settings.account_id or self._context_account,
                region=lambda: settings.storage_region or function_region,
            )
        self.pipeline = ArchivePipeline(
            source=self.vpc,
            objects=self.objects,
            logs=self.logs,
            prefix=prefix,
            poll_interval=settings.poll_interval,
            write_reserve=settings.write_reserve,
            health=self.health,
            # The connection's description (tunnels, names) is taken for health tracking.
            connections=self.vpc.describe_connection if self.health else None,
        )
        logging.getLogger("vpndiag").setLevel(settings.log_level)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ArchiveApp:
        return cls(config.load(environ), environ=environ)

    def _current_credentials(self) -> credentials.Credentials:
        if self._credentials is None:
            self._credentials = credentials.resolve(
                explicit=self._explicit, context=None, environ=self._environ
            )
        return self._credentials

    def begin(self, context: object) -> Deadline:
        """Take the invocation's keys and time budget; returns the deadline to archive within."""
        # FC hands each invocation the role's current STS keys: take them fresh every time.
        self._credentials = credentials.resolve(
            explicit=self._explicit, context=context, environ=self._environ
        )
        self._deadline = Deadline.for_invocation(
            context, default_timeout=self.settings.default_timeout, reserve=1.0
        )
        account = getattr(context, "account_id", None)
        if isinstance(account, str) and account:
            self._context_account = account
        return self._deadline

    def archive(self, request: DiagnosisRequest, deadline: Deadline) -> ArchiveResult:
        """Archive the diagnosis ``request`` names, starting it first if it asks for that."""
        # The account is part of the summary's bytes: take it from the instance (configuration,
        # else the FC context) before the event, so every path archives a diagnosis identically.
        account = self.settings.account_id or self._context_account
        if account and account != request.account_id:
            request = dataclasses.replace(request, account_id=account)
        if request.start_key is not None:
            request = self._start(request, request.start_key, deadline)
        return self.pipeline.archive(request, deadline)

    def _start(
        self, request: DiagnosisRequest, start_key: str, deadline: Deadline
    ) -> DiagnosisRequest:
        connection = request.connection_id
        if connection is None:
            raise EventError(request.shape, "a connection to diagnose", "no connection id")
        gateway = request.gateway_id or self._gateway_of(request.region, connection, deadline)
        diagnose_id = self.vpc.diagnose_vpn_gateway(
            request.region,
            gateway_id=gateway,
            connection_id=connection,
            client_token=client_token(start_key, request.region, connection),
            deadline=deadline,
        )
        log.info(
            "diagnosis %s started for %s (%s)",
            diagnose_id,
            connection,
            request.correlation_id,
            extra={"diagnose_id": diagnose_id, "connection_id": connection},
        )
        return dataclasses.replace(
            request, gateway_id=gateway, diagnose_id=diagnose_id, start_key=None
        )

    def _gateway_of(self, region: str, connection_id: str, deadline: Deadline) -> str:
        """The gateway of a connection, for events that name only the connection."""
        connection = self.vpc.describe_connection(region, connection_id, deadline=deadline)
        if connection is None:
            raise EventError(
                f"an event about {connection_id}",
                "a connection that exists",
                f"DescribeVpnConnections in {region} lists no such connection",
            )
        if connection.gateway_id is None:
            raise UnsupportedConnection(connection_id, transit_router_reason(connection))
        return connection.gateway_id

    def handle(self, event: bytes | str | Any, context: object) -> dict[str, Any]:
        """Archive every diagnosis the event names; raise if any could not be archived."""
        deadline = self.begin(context)
        invocation_id = str(getattr(context, "request_id", "") or "local")
        parsed = parse_event(event, invocation_id=invocation_id)
        results: list[ArchiveResult] = []
        failures: list[tuple[int, VpndiagError]] = list(parsed.rejected)
        for index, request in enumerate(parsed.requests):
            try:
                results.append(self.archive(request, deadline))
            except VpndiagError as exc:
                log.warning("archive of %s failed: %s", request.correlation_id, exc)
                failures.append((index, exc))
        total = len(parsed.requests) + len(parsed.rejected)
        if failures:
            if total == 1:
                raise failures[0][1]
            raise BatchError(failures, total)
        return {"archived": [r.to_json() for r in results]}
