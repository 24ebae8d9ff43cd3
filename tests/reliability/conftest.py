"""The reliability suite's harness: a seeded emulated world, the functions configured as in FC, the
platform that runs them (asynchronous invocations, retries later in time, a dead-letter queue),
faults aimed at one request kind, and the archive's end state.

Everything goes through the real app (``ArchiveApp``, ``SweepApp``) and the emulator's wire, in
process (``cloud.mock()``) or over the loopback server; nothing here knows the pipeline's steps
beyond the request each one sends, so the health tracker's writes (state snapshots, root causes,
EventBridge events) are covered as soon as the app makes them.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from vpndiag import config, errors
from vpndiag.app import ArchiveApp
from vpndiag.sweep.handoff import WorkItem
from vpndiag.sweep.runner import SweepApp
from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_ACCOUNT_ID,
    AccessKey,
    Cloud,
    FaultKind,
    FcContext,
    ManualClock,
)
from vpndiag_emulator.core.wire import EmulatedRequest, EmulatedResponse
from vpndiag_emulator.fc.models import DeadLetter
from vpndiag_emulator.vpc.models import Diagnosis

REGION: Final = "cn-hangzhou"
BUCKET: Final = "vpndiag-archive"
PREFIX: Final = "vpndiag/"
PROJECT: Final = "vpndiag-logs"
LOGSTORE: Final = "diagnoses"
BUS: Final = "vpndiag"
FC_SERVICE: Final = "vpndiag"
TICK: Final = json.dumps(
    {"triggerTime": "2026-11-20T09:00:00Z", "triggerName": "sweep", "payload": ""}
)
# Each platform retry of an asynchronous invocation comes this much later than the attempt before
# (FC backs off between retries): past any records lease a dead attempt held.
PLATFORM_BACKOFF: Final = 3600.0
# One instant for every world of a session: the emulator's clock stands still at it, so the same
# seed gives the same diagnoses, root causes and state snapshots in every world.
START: Final = datetime.now(timezone.utc).replace(microsecond=0)
FINISHED_AT: Final = START - timedelta(hours=1)


def has_setting(name: str) -> bool:
    """Whether this version of the app has the ``VPNDIAG_<NAME>`` setting."""
    return name in config.Settings.model_fields


def typed_error_names() -> frozenset[str]:
    """Names of every ``VpndiagError`` class (what an FC error record's ``errorType`` may say)."""
    found: set[str] = set()
    pending: list[type[errors.VpndiagError]] = [errors.VpndiagError]
    while pending:
        cls = pending.pop()
        found.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return frozenset(found)


# -- the world ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArmedFault:
    """A fault for the requests of one kind (service, action, and a fragment of the path)."""

    service: str
    action: str
    kind: FaultKind | None
    remaining: list[int | None]
    options: Mapping[str, Any]
    path: str | None = None
    lose_answer: bool = False
    """Process the request, then drop the connection: the answer is lost after the service acted."""
    fired: list[int] = field(default_factory=lambda: [0])


# Requests that change state somewhere: the points between which a process can die.
WRITES: Final = frozenset(
    {
        ("vpc", "DiagnoseVpnGateway"),
        ("oss", "PutObject"),
        ("sls", "PutLogs"),
        ("eventbridge", "PutEvents"),
        ("fc", "InvokeFunction"),
    }
)
_IDS = re.compile(r"(vpndgn|vco|vpn)-[a-z0-9]+")


class Crash(Exception):
    """The process dies: raised on the caller's side of a request, through the whole app."""


class Wire:
    """Wraps ``cloud.handle``: faults aimed at one request kind, a crash at the n-th write,
    requests in flight, hosts seen, and the writes made, in order."""

    def __init__(self, cloud: Cloud) -> None:
        self._cloud = cloud
        self._handle = cloud.handle
        self._lock = threading.Condition()
        self._armed: list[ArmedFault] = []
        self._in_flight = 0
        self.hosts: Counter[str] = Counter()
        """Every ``Host`` the emulator was asked for, with the number of requests."""
        self.writes: list[str] = []
        """Each write request, as ``service:action:what`` (ids left out)."""
        self.rewrite: dict[tuple[str, str], Callable[[EmulatedResponse], EmulatedResponse]] = {}
        """Answers to replace, by (service, action): the service's answer goes through it."""
        self.crash_at: tuple[int, bool] | None = None
        """(n, after): die at the n-th write (0-based), before sending it or after it landed."""
        cloud.handle = self.handle  # type: ignore[method-assign]

    def _write(self, request: EmulatedRequest) -> bool | None:
        """None if ``request`` changes nothing; else whether the process dies after it lands.

        Raises ``Crash`` when the process dies before it is sent.
        """
        service = self._cloud.router.route(request)
        action = service.action_of(request) if service is not None else None
        if service is None or (service.name, action) not in WRITES:
            return None
        what = ""
        if service.name == "oss":
            # The key's last part without ids or the snapshot's time: ".raw.json", "state.json".
            name = _IDS.sub("", request.path.rsplit("/", 1)[-1])
            what = re.sub(r"\A[0-9]+-", "state", name)
        with self._lock:
            number = len(self.writes)
            self.writes.append(f"{service.name}:{action}:{what}".rstrip(":"))
            if self.crash_at is None or self.crash_at[0] != number:
                return False
            after = self.crash_at[1]
            self.crash_at = None
        if not after:
            raise Crash(f"died before write {number}")
        return True

    def arm(
        self,
        service: str,
        action: str,
        kind: FaultKind | None,
        *,
        path: str | None = None,
        times: int | None = 1,
        lose_answer: bool = False,
        **options: Any,
    ) -> ArmedFault:
        """Fault the next ``times`` requests (``None``: all) of ``service``/``action`` whose path
        contains ``path``, with the emulator's fault ``kind`` (or, ``lose_answer``, by dropping the
        connection after the service processed the request)."""
        armed = ArmedFault(service, action, kind, [times], options, path, lose_answer)
        with self._lock:
            self._armed.append(armed)
        return armed

    def disarm(self) -> None:
        with self._lock:
            self._armed.clear()

    def _match(self, request: EmulatedRequest) -> ArmedFault | None:
        service = self._cloud.router.route(request)
        if service is None:
            return None
        action = service.action_of(request)
        with self._lock:
            for armed in self._armed:
                left = armed.remaining[0]
                if (
                    armed.service == service.name
                    and armed.action == action
                    and (armed.path is None or armed.path in request.path)
                    and (left is None or left > 0)
                ):
                    armed.remaining[0] = None if left is None else left - 1
                    armed.fired[0] += 1
                    if armed.kind is not None:
                        # Added and drawn in this same request: the emulator's own fault machinery
                        # answers it, exactly as a service-wide fault would.
                        self._cloud.faults.add(
                            service=armed.service,
                            action=armed.action,
                            kind=armed.kind,
                            times=1,
                            **armed.options,
                        )
                    return armed
        return None

    def handle(self, request: EmulatedRequest) -> EmulatedResponse:
        with self._lock:
            self._in_flight += 1
            self.hosts[request.host.lower()] += 1
        try:
            dies_after = self._write(request)
            armed = self._match(request)
            response = self._handle(request)
            if self.rewrite:
                service = self._cloud.router.route(request)
                if service is not None:
                    change = self.rewrite.get((service.name, service.action_of(request) or ""))
                    response = change(response) if change is not None else response
            if dies_after:
                raise Crash("died after a write landed")
            if armed is not None and armed.lose_answer:
                return EmulatedResponse(status=0, drop_connection=True)
            return response
        finally:
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until no request is being answered: what a dead attempt sent has landed (or not).

        The platform's retry comes minutes later; requests of the attempt before it (a slow answer
        the client gave up on) have long been answered by then.
        """
        with self._lock:
            if not self._lock.wait_for(lambda: self._in_flight == 0, timeout):
                raise AssertionError(f"{self._in_flight} emulator requests never finished")


@dataclass
class World:
    """One emulated account: bucket, logstore, bus, gateways, connections, finished diagnoses."""

    cloud: Cloud
    wire: Wire
    seed: int
    shape: dict[str, Any]
    """What ``new_world`` built it from, besides the seed (for a mirror world)."""
    diagnoses: list[str]
    connections: list[str]
    gateways: list[str]
    psks: list[str] = field(default_factory=list)

    def events(self) -> list[bytes]:
        """The direct-invocation event of each finished diagnosis."""
        return [json.dumps({"RegionId": REGION, "DiagnoseId": d}).encode() for d in self.diagnoses]


def new_cloud(seed: int, *, diagnosis_duration: float = 0.0) -> Cloud:
    """A cloud whose clock stands at ``START``, with the archive's bucket, logstore and bus."""
    cloud = Cloud(
        seed=seed,
        clock=ManualClock(START),
        diagnosis_duration=diagnosis_duration,
        timestamp_tolerance=timedelta(days=30),
    )
    cloud.oss(REGION).create_bucket(BUCKET)
    cloud.sls(REGION).create_project(PROJECT)
    cloud.sls(REGION).create_logstore(PROJECT, LOGSTORE)
    cloud.eventbridge(REGION).create_bus(BUS)
    return cloud


def new_world(
    seed: int = 7,
    *,
    gateways: int = 1,
    connections: int = 1,
    recorded: bool = True,
    diagnosis_duration: float = 0.0,
    health: Mapping[int, str] | None = None,
) -> World:
    """A world with ``gateways`` x ``connections`` connections; ``recorded``: each has a finished
    diagnosis (``vpndgn-<seed>w<n>...``). ``health`` scripts connection ``n``'s levels."""
    cloud = new_cloud(seed, diagnosis_duration=diagnosis_duration)
    vpc = cloud.vpc(REGION)
    shape: dict[str, Any] = {
        "gateways": gateways,
        "connections": connections,
        "diagnosis_duration": diagnosis_duration,
        "health": health,
    }
    world = World(cloud, Wire(cloud), seed, shape, [], [], [])
    for g in range(gateways):
        gateway = vpc.add_gateway(name=f"reliability-{g}")
        world.gateways.append(gateway.id)
        for _ in range(connections):
            number = len(world.connections)
            psk = f"psk-{seed}-{number}-Zq8r"
            connection = vpc.add_connection(gateway.id, psk=psk)
            world.psks.append(psk)
            world.connections.append(connection.id)
            if health and number in health:
                vpc.set_health(connection.id, health[number])
            if recorded:
                diagnose_id = f"vpndgn-s{seed}w{number:04d}reliab"
                vpc.record_diagnosis(connection.id, diagnose_id=diagnose_id, begin=FINISHED_AT)
                world.diagnoses.append(diagnose_id)
    return world


def health_event(world: World, kind: str = "IpsecHealthCheckFailed", number: int = 0) -> bytes:
    """A VPN health event (``vpn:CloudMonitor:<kind>``, source ``acs.vpn``) about the world's
    connection ``number``, shaped as the samples in ``events/``."""
    connection = world.connections[number]
    subject = f"acs:vpn:{REGION}:{DEFAULT_ACCOUNT_ID}:vpnconnection/{connection}"
    event = {
        "specversion": "1.0",
        "id": f"3d5c9a10-7f2e-4b8c-a1d4-{world.seed:06d}{number:06d}",
        "source": "acs.vpn",
        "type": f"vpn:CloudMonitor:{kind}",
        "subject": subject,
        "time": START.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "datacontenttype": "application/json;charset=utf-8",
        "aliyunaccountid": DEFAULT_ACCOUNT_ID,
        "aliyuneventbusname": "default",
        "aliyunregionid": REGION,
        "data": {
            "product": "VPN",
            "eventName": kind,
            "level": "CRITICAL",
            "regionId": REGION,
            "resourceId": subject,
            "instanceId": connection,
            "vpnConnectionId": connection,
            "vpnGatewayId": world.gateways[number // world.shape["connections"]],
        },
    }
    return json.dumps(event).encode()


def health_payload(diagnosis: Diagnosis) -> bytes:
    """What a health event's archive amounts to once its diagnosis exists (the account is the
    event's)."""
    document = {"RegionId": REGION, "DiagnoseId": diagnosis.id, "AccountId": DEFAULT_ACCOUNT_ID}
    return json.dumps(document).encode()


# -- the functions as configured in FC ------------------------------------------------------------


def archive_environ(endpoint: str | None = None, **extra: str) -> dict[str, str]:
    """The archive function's environment: OSS and SLS stores, keys from ``ALIBABA_CLOUD_*``,
    EventBridge events when this version of the app publishes them. ``endpoint`` (the loopback
    server) for every service, or ``None``: the real host names, answered by ``cloud.mock()``."""
    environ = {
        "VPNDIAG_OBJECT_STORE": f"oss://{BUCKET}/{PREFIX}",
        "VPNDIAG_LOG_STORE": f"sls://{PROJECT}/{LOGSTORE}",
        "VPNDIAG_STORAGE_REGION": REGION,
        "VPNDIAG_POLL_INTERVAL": "0.01",
        "VPNDIAG_WRITE_RESERVE": "0",
        "VPNDIAG_MAX_ATTEMPTS": "2",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEFAULT_ACCESS_KEY_SECRET,
    }
    if has_setting("event_bus"):
        environ["VPNDIAG_EVENT_BUS"] = BUS
    if has_setting("account_id"):
        environ["VPNDIAG_ACCOUNT_ID"] = DEFAULT_ACCOUNT_ID
    if endpoint is not None:
        for service in ("vpc", "oss", "sls", "eventbridge"):
            if has_setting(f"{service}_endpoint"):
                environ[f"VPNDIAG_{service.upper()}_ENDPOINT"] = endpoint
    return {**environ, **extra}


def sweep_environ(endpoint: str | None = None, **extra: str) -> dict[str, str]:
    """The sweep function's environment: FC hand-off to the archive function."""
    fc = endpoint or f"https://{DEFAULT_ACCOUNT_ID}.{REGION}.fc.aliyuncs.com"
    sweep = {
        "VPNDIAG_SWEEP_REGIONS": REGION,
        "VPNDIAG_SWEEP_HANDOFF": "fc",
        "VPNDIAG_SWEEP_FC_ENDPOINT": fc,
        "VPNDIAG_SWEEP_ARCHIVE_SERVICE": FC_SERVICE,
    }
    return archive_environ(endpoint, **{**sweep, **extra})


def later(app: ArchiveApp, seconds: float) -> ArchiveApp:
    """Put the app's clocks ``seconds`` ahead (the pipeline's, and the health tracker's when the
    app has one): the platform's retry, minutes after a dead attempt, finds that attempt's leases
    (records, events) expired."""
    pipeline: Any = app.pipeline
    parts: list[Any] = [pipeline, getattr(pipeline, "_health", None)]
    shifted = 0
    for part in parts:
        real: Callable[[], float] | None = getattr(part, "_now", None)
        if real is not None:
            part._now = functools.partial(_ahead, real, seconds)
            shifted += 1
    assert shifted, "the app's pipeline has no clock to move"
    return app


def _ahead(real: Callable[[], float], seconds: float) -> float:
    return real() + seconds


class Platform:
    """FC running the archive (and sweep) functions on asynchronous invocations.

    Every attempt runs on a fresh instance (a retry may land anywhere); each retry comes
    ``PLATFORM_BACKOFF`` after the attempt before it, so the platform's time moves on (instances'
    pipeline clocks are that far ahead, never back) and requests left in flight have settled.
    After ``retries`` retries the invocation goes to the dead-letter queue with its payload and
    the last error. ``role``: the service role whose STS keys every invocation's context carries.
    """

    def __init__(
        self,
        world: World,
        environ: Mapping[str, str],
        *,
        retries: int = 3,
        sweep: Mapping[str, str] | None = None,
        before_retry: Callable[[int], None] | None = None,
        later_by: float = 0.0,
        role: AccessKey | None = None,
    ) -> None:
        self.world = world
        self._environ = dict(environ)
        self._lock = threading.Lock()
        self.later_by = later_by
        """How far past the first attempt the platform's time has moved (it never goes back)."""
        self._before_retry = before_retry
        self.backend = world.cloud.fc(REGION)
        self.backend.register_function(
            FC_SERVICE, "archive", self._archive, max_async_retry_attempts=retries, role=role
        )
        if sweep is not None:
            self._sweep_environ = dict(sweep)
            self.backend.register_function(
                FC_SERVICE, "sweep", self._sweep, max_async_retry_attempts=retries, role=role
            )

    def _retrying(self, context: FcContext) -> None:
        if context.retry_count:
            self.world.wire.settle()
            with self._lock:
                self.later_by += PLATFORM_BACKOFF
            if self._before_retry is not None:
                self._before_retry(context.retry_count)

    def _archive(self, payload: bytes, context: FcContext) -> str:
        self._retrying(context)
        app = later(ArchiveApp.from_environment(self._environ), self.later_by)
        return json.dumps(app.handle(payload, context))

    def _sweep(self, payload: bytes, context: FcContext) -> str:
        self._retrying(context)
        app = SweepApp.from_environment(self._sweep_environ)
        # The platform's time for the tick's own lease (tunnel status records), as ``later`` does
        # for the archive's: a retry minutes later finds a dead attempt's lease expired.
        app._now = functools.partial(_ahead, app._now, self.later_by)
        return json.dumps(app.handle(payload, context))

    def invoke(self, function: str, payload: bytes) -> str:
        """An asynchronous invocation (a trigger, or the sweep's hand-off)."""
        return self.backend.enqueue(FC_SERVICE, function, payload)

    def drain(self, workers: int = 1) -> None:
        """Run every queued invocation and its retries until none is left, ``workers`` at once."""
        self.backend.drain(workers=workers)

    @property
    def dead_letters(self) -> list[DeadLetter]:
        return self.backend.dead_letters

    def failures(self) -> list[dict[str, Any]]:
        """The error record of every failed run (FC's ``errorMessage``/``errorType``)."""
        found: list[dict[str, Any]] = []
        for run in self.backend.runs:
            if run.error is not None:
                found.append(json.loads(run.error))
        return found


# -- what the archive holds -----------------------------------------------------------------------


def canonical_record(row: Mapping[str, Any]) -> str:
    """A record as sorted JSON without ``request_id`` (it names the fetch, not the data)."""
    return json.dumps({k: v for k, v in row.items() if k != "request_id"}, sort_keys=True)


@dataclass(frozen=True)
class ArchiveState:
    """Objects by key (lease claims aside: bookkeeping unique to each attempt), log records,
    published events by id."""

    objects: dict[str, bytes]
    records: list[str]
    events: dict[str, str]

    def of(self, diagnose_id: str) -> ArchiveState:
        """The part of the archive that belongs to one diagnosis."""
        return ArchiveState(
            {k: v for k, v in self.objects.items() if diagnose_id in k},
            [r for r in self.records if json.loads(r).get("diagnose_id") == diagnose_id],
            {k: v for k, v in self.events.items() if diagnose_id in v},
        )

    def duplicated_records(self) -> list[str]:
        return duplicated(list(self.records))


# Lease claims (``.records-pending``, ``.records-pending.1``, ``.events-pending``): their bytes hold
# an expiry and a token unique to the attempt that took them.
_CLAIM = re.compile(r"\.[a-z]+-pending(?:\.[0-9]+)?\Z")


# The sweep's own per-tick observations (tunnel status records, their marker and lease): a tick
# writes them, an archive never does, so a diagnosis's archive is compared without them and they
# are checked on their own (``sweep_records``).
_SWEEP_TICKS = "/sweep/ticks/"
_SWEEP_RECORD = "tunnel_status"


def _is_sweep_record(row: Mapping[str, str]) -> bool:
    return row.get("record_type") == _SWEEP_RECORD


def archive_state(cloud: Cloud) -> ArchiveState:
    """The diagnoses' archive: objects (less lease claims), records and events; the sweep's
    per-tick tunnel observations left out (``sweep_records``)."""
    objects = {
        k: v
        for k, v in cloud.oss(REGION).objects(BUCKET).items()
        if not _CLAIM.search(k) and _SWEEP_TICKS not in k
    }
    records = sorted(
        canonical_record(row)
        for row in cloud.sls(REGION).logs(PROJECT, LOGSTORE)
        if not _is_sweep_record(row)
    )
    events: dict[str, str] = {}
    for event in cloud.eventbridge(REGION).events(BUS):
        kept = {k: v for k, v in event.items() if not k.startswith("aliyun")}
        events[f"{event.get('source')}/{event.get('id')}"] = json.dumps(kept, sort_keys=True)
    return ArchiveState(objects, records, events)


def sweep_records(cloud: Cloud) -> list[str]:
    """The sweep's tunnel status records, canonical (``duplicated`` counts them per id)."""
    return sorted(
        canonical_record(row)
        for row in cloud.sls(REGION).logs(PROJECT, LOGSTORE)
        if _is_sweep_record(row)
    )


def duplicated(records: list[str]) -> list[str]:
    """Record ids that occur more than once."""
    counts = Counter(json.loads(r)["record_id"] for r in records)
    return sorted(record_id for record_id, n in counts.items() if n > 1)


def event_count(cloud: Cloud) -> int:
    return len(cloud.eventbridge(REGION).events(BUS))


_REFERENCES: dict[tuple[Any, ...], ArchiveState] = {}


def reference_state(
    world: World, payload: Callable[[Diagnosis], bytes], environ: Mapping[str, str]
) -> ArchiveState:
    """The archive an uninterrupted run makes of the diagnoses ``world`` holds now.

    A mirror world (same seed, connections and health) records the same diagnoses (same ids,
    start and duration, hence the same results) and archives each, once, with the payload
    ``payload`` gives it. Every diagnosis's part is asserted non-empty: no comparison with it is
    vacuous.
    """
    diagnoses = world.cloud.vpc(REGION).diagnoses()
    key = (
        world.seed,
        world.cloud.clock.now(),
        tuple(environ.items()),
        tuple((d.id, d.connection_id) for d in diagnoses),
    )
    if key not in _REFERENCES:
        mirror = new_world(world.seed, **world.shape, recorded=False)
        # As late as the world is now: its clock, and the platform's time with it.
        ahead = (world.cloud.clock.now() - START).total_seconds()
        mirror.cloud.clock.advance(ahead)
        for diagnosis in diagnoses:
            mirror.cloud.vpc(REGION).record_diagnosis(
                diagnosis.connection_id,
                diagnose_id=diagnosis.id,
                begin=diagnosis.begin,
                duration=diagnosis.duration,
            )
        with mirror.cloud.mock():
            platform = Platform(mirror, environ, later_by=ahead)
            for diagnosis in diagnoses:
                platform.invoke("archive", payload(diagnosis))
            platform.drain()
        assert platform.failures() == [], "the reference run failed"
        state = archive_state(mirror.cloud)
        for diagnosis in diagnoses:
            assert state.of(diagnosis.id).records, f"the reference lacks {diagnosis.id}"
        _REFERENCES[key] = state
    return _REFERENCES[key]


def direct_payload(diagnosis: Diagnosis) -> bytes:
    """A direct invocation naming the diagnosis (what ``World.events`` holds)."""
    return json.dumps({"RegionId": REGION, "DiagnoseId": diagnosis.id}).encode()


def sweep_payload(diagnosis: Diagnosis) -> bytes:
    """The work item the sweep hands off for the diagnosis (in an FC context of the account)."""
    item = WorkItem(
        REGION,
        diagnosis.gateway_id,
        f"sweep/reference/{diagnosis.connection_id}",
        diagnosis.id,
        diagnosis.connection_id,
        DEFAULT_ACCOUNT_ID,
    )
    return item.payload()


@contextmanager
def transport(world: World, over: str) -> Iterator[str | None]:
    """``mock``: in process, real host names (yields ``None``); ``loopback``: the server's URL."""
    if over == "mock":
        with world.cloud.mock():
            yield None
    else:
        with world.cloud.serve() as server:
            yield server.base_url
