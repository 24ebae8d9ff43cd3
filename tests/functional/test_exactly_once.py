"""Exactly-once archiving, end to end: the real app against the emulated VPC, OSS and SLS.

The app (``ArchiveApp``, configured as in FC: ``oss://`` and ``sls://`` stores, keys from the
``ALIBABA_CLOUD_*`` variables) archives a diagnosis recorded in the emulator. The end state of
every scenario (process killed between writes, replays, faults) is compared with a clean run's:
the same objects with the same bytes, and the same log records (their per-fetch ``request_id``
aside). In-process (``cloud.mock()``, the real host names) for speed; the loopback server where
real sockets matter (concurrency, one crash). See docs/exactly-once.md.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from tests.crashing import Crash, Crashes, CrashingLogs, CrashingObjects
from vpndiag.app import ArchiveApp
from vpndiag.archive.pipeline import ArchivePipeline
from vpndiag.errors import ArchiveInProgress, TransportError
from vpndiag.http.deadline import Deadline
from vpndiag.store.logs import LogRecord, LogStore
from vpndiag.store.objects import ObjectStore
from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    Cloud,
    FaultKind,
    ManualClock,
)

REGION = "cn-hangzhou"
BUCKET = "vpndiag-archive"
PREFIX = "vpndiag/"
PROJECT = "vpndiag-logs"
LOGSTORE = "diagnoses"
DIAGNOSE_ID = "vpndgn-exactlyonce01"
CHECKS = 7


# -- the world and the app ---------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveState:
    """What the archive holds: objects by key, and the log records in canonical form."""

    objects: dict[str, bytes]
    records: list[str]
    """Each record as sorted JSON without ``request_id`` (it names the fetch, not the data)."""

    def record_ids(self) -> list[str]:
        return sorted(json.loads(record)["record_id"] for record in self.records)


def archive_state(cloud: Cloud) -> ArchiveState:
    rows = cloud.sls(REGION).logs(PROJECT, LOGSTORE)
    records = sorted(
        json.dumps({k: v for k, v in row.items() if k != "request_id"}, sort_keys=True)
        for row in rows
    )
    # The lease claims on the records (records-pending*) are bookkeeping, unique to each attempt.
    objects = {
        k: v for k, v in cloud.oss(REGION).objects(BUCKET).items() if ".records-pending" not in k
    }
    return ArchiveState(objects, records)


def new_cloud(begin: datetime) -> Cloud:
    """A seeded cloud with the bucket, the logstore and one finished diagnosis begun at ``begin``."""
    cloud = Cloud(seed=21, clock=ManualClock())
    cloud.oss(REGION).create_bucket(BUCKET)
    cloud.sls(REGION).create_project(PROJECT)
    cloud.sls(REGION).create_logstore(PROJECT, LOGSTORE)
    vpc = cloud.vpc(REGION)
    connection = vpc.add_connection(vpc.add_gateway(name="exactly-once").id)
    vpc.record_diagnosis(connection.id, diagnose_id=DIAGNOSE_ID, begin=begin)
    return cloud


EVENT = json.dumps({"RegionId": REGION, "DiagnoseId": DIAGNOSE_ID})


def app_environ(endpoint: str | None) -> dict[str, str]:
    """The function's environment; ``endpoint`` (a loopback server) for all three services, or
    ``None``: the real host names, which ``cloud.mock()`` answers in-process."""
    environ = {
        "VPNDIAG_OBJECT_STORE": f"oss://{BUCKET}/{PREFIX}",
        "VPNDIAG_LOG_STORE": f"sls://{PROJECT}/{LOGSTORE}",
        "VPNDIAG_STORAGE_REGION": REGION,
        "VPNDIAG_POLL_INTERVAL": "0.05",
        # The archive's own write protocol is under test here; health tracking runs after it and
        # keeps the service's momentary root-cause answer, which differs between two clouds
        # (tests/functional/test_health_flow.py covers health's own exactly-once).
        "VPNDIAG_HEALTH": "false",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEFAULT_ACCESS_KEY_SECRET,
    }
    if endpoint is not None:
        for service in ("VPC", "OSS", "SLS"):
            environ[f"VPNDIAG_{service}_ENDPOINT"] = endpoint
    return environ


def new_app(endpoint: str | None = None, **settings: str) -> ArchiveApp:
    """A fresh function instance (what FC starts for a retry or a concurrent invocation);
    ``settings`` add to or replace environment variables."""
    return ArchiveApp.from_environment({**app_environ(endpoint), **settings})


def archive(app: ArchiveApp) -> str:
    """Invoke the app with the event; the item's status (``archived`` or ``replayed``)."""
    status: str = app.handle(EVENT, None)["archived"][0]["status"]
    return status


@pytest.fixture(scope="module")
def begin() -> datetime:
    """When the diagnosis began: an hour ago, the same for the clean run and the run under test."""
    return datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)


@pytest.fixture(scope="module")
def clean(begin: datetime) -> ArchiveState:
    """The archive after one uninterrupted run: what every scenario must end equal to."""
    cloud = new_cloud(begin)
    with cloud.mock():
        archive(new_app())
    return archive_state(cloud)


@pytest.fixture
def cloud(begin: datetime) -> Cloud:
    """A fresh world with the same diagnosis as the clean run's."""
    return new_cloud(begin)


@pytest.fixture
def mocked(cloud: Cloud) -> Iterator[None]:
    """The in-process transport for the test."""
    with cloud.mock():
        yield


@pytest.fixture
def endpoint(cloud: Cloud) -> Iterator[str]:
    """The loopback server's base URL, for VPC, OSS and SLS alike."""
    with cloud.serve() as running:
        yield running.base_url


@pytest.mark.usefixtures("mocked")
def test_sls_v4_and_sts_keys_archive_the_same(cloud: Cloud, clean: ArchiveState) -> None:
    """With STS keys (tokens on OSS and SLS) and SLS V4 signatures, the archive is the same."""
    cloud.add_access_key("STS.archive", "sts-secret", security_token="sts-token")

    archive(
        new_app(
            VPNDIAG_SLS_SIGNATURE="v4",
            ALIBABA_CLOUD_ACCESS_KEY_ID="STS.archive",
            ALIBABA_CLOUD_ACCESS_KEY_SECRET="sts-secret",
            ALIBABA_CLOUD_SECURITY_TOKEN="sts-token",
        )
    )

    assert archive_state(cloud) == clean


# -- killing the pipeline between writes ---------------------------------------------------------


def wrap_stores(
    app: ArchiveApp,
    objects: Callable[[ObjectStore], ObjectStore],
    logs: Callable[[LogStore], LogStore],
    later: float = 0.0,
) -> None:
    """Rebuild the app's pipeline on wrapped stores (the app's own, reached through the wire),
    its clock ``later`` seconds ahead."""
    app.pipeline = ArchivePipeline(
        source=app.vpc,
        objects=objects(app.objects),
        logs=logs(app.logs),
        prefix=PREFIX,
        poll_interval=0.05,
        now=lambda: time.time() + later,
    )


def later_app(endpoint: str | None = None) -> ArchiveApp:
    """A fresh instance started after any records lease of a dead attempt has expired: how the
    platform's retry meets the archive (its backoff outlasts the lease)."""
    app = new_app(endpoint)
    wrap_stores(app, lambda inner: inner, lambda inner: inner, later=3600)
    return app


def crashing_app(crashes: Crashes, endpoint: str | None = None) -> ArchiveApp:
    app = new_app(endpoint)
    wrap_stores(
        app,
        lambda inner: CrashingObjects(inner, crashes),
        lambda inner: CrashingLogs(inner, crashes),
    )
    return app


# Writes in order: raw object, summary object, records-pending marker, the PutLogs batch,
# records-written marker.
# Each point: (the write that dies, records of its batch that landed first).
CRASH_POINTS = {
    "before-raw": (0, 0),
    "before-summary": (1, 0),
    "before-pending-marker": (2, 0),
    "before-records": (3, 0),
    "mid-records": (3, 3),
    "before-written-marker": (4, 0),
}


@pytest.mark.usefixtures("mocked")
def test_a_clean_run_writes_two_objects_two_markers_and_a_record_per_check(
    clean: ArchiveState,
) -> None:
    """The baseline: raw, summary, both markers; one record per check plus the summary's."""
    suffixes = sorted(key.split(DIAGNOSE_ID, 1)[1] for key in clean.objects)
    assert suffixes == [".raw.json", ".records-written", ".summary.json"]
    assert all(key.startswith(PREFIX) for key in clean.objects)
    assert clean.record_ids() == sorted(
        [f"{DIAGNOSE_ID}/check/{n}" for n in range(CHECKS)] + [f"{DIAGNOSE_ID}/summary"]
    )


@pytest.mark.usefixtures("mocked")
@pytest.mark.parametrize("point", CRASH_POINTS)
def test_killed_between_writes_then_retried_equals_a_clean_run(
    cloud: Cloud, clean: ArchiveState, point: str
) -> None:
    """Killed before each write (and mid-batch), then retried by a fresh instance: same objects,
    same bytes, same records as an uninterrupted run."""
    with pytest.raises(Crash):
        archive(crashing_app(Crashes(*CRASH_POINTS[point])))
    archive(later_app())

    assert archive_state(cloud) == clean


def test_killed_mid_batch_over_the_loopback_server(
    cloud: Cloud, clean: ArchiveState, endpoint: str
) -> None:
    """The same over real sockets: killed with part of the PutLogs batch landed, then retried."""
    with pytest.raises(Crash):
        archive(crashing_app(Crashes(3, landed=2), endpoint))
    archive(later_app(endpoint))

    assert archive_state(cloud) == clean


# -- replays -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("mocked")
def test_ten_sequential_replays_leave_one_object_set_and_one_record_set(
    cloud: Cloud, clean: ArchiveState
) -> None:
    """The same request ten times (fresh instances): archived once, then nine replays."""
    statuses = [archive(new_app()) for _ in range(10)]

    assert statuses == ["archived"] + ["replayed"] * 9
    assert archive_state(cloud) == clean


def _in_threads(count: int, target: Callable[[int], object]) -> None:
    """Run ``target(0..count-1)`` in threads started together; fail if any raised."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        start.wait()
        try:
            target(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_ten_concurrent_replays_leave_one_object_set(
    cloud: Cloud, clean: ArchiveState, endpoint: str
) -> None:
    """Ten instances at once over the loopback server: each either completes or steps back with a
    retryable ArchiveInProgress while another holds the records lease; the objects and the records
    are exactly the clean run's (create-only puts: one creates, the others find identical bytes)."""
    apps = [new_app(endpoint) for _ in range(10)]
    outcomes: list[str] = []

    def run(n: int) -> None:
        try:
            outcomes.append(archive(apps[n]))
        except ArchiveInProgress as exc:
            outcomes.append("in progress" if exc.retryable else "final")

    _in_threads(10, run)

    assert outcomes.count("archived") == 1
    assert "final" not in outcomes
    assert archive_state(cloud) == clean


class PausingLogs:
    """The app's log store, holding its PutLogs until released: a slow instance, mid-archive."""

    def __init__(self, inner: LogStore) -> None:
        self.inner = inner
        self.reached = threading.Event()
        self.release = threading.Event()

    def put(self, records: Sequence[LogRecord], *, deadline: Deadline | None = None) -> None:
        self.reached.set()
        assert self.release.wait(10)
        self.inner.put(records)

    def record_ids(self, diagnose_id: str, since: int) -> set[str]:
        return self.inner.record_ids(diagnose_id, since)

    def location(self) -> str:
        return self.inner.location()


def test_concurrent_replays_overlapping_the_records_write_leave_one_record_set(
    cloud: Cloud, clean: ArchiveState, endpoint: str
) -> None:
    """One instance is paused between taking the records lease and its PutLogs while nine more
    run the same request: they step back with a retryable ArchiveInProgress, and the records land
    exactly once."""
    slow = new_app(endpoint)
    paused = PausingLogs(slow.logs)
    wrap_stores(slow, lambda inner: inner, lambda inner: paused)
    statuses: list[str] = []
    first = threading.Thread(target=lambda: statuses.append(archive(slow)))
    first.start()
    assert paused.reached.wait(10), "the slow instance never reached its PutLogs"

    others = [new_app(endpoint) for _ in range(9)]
    stepped_back: list[ArchiveInProgress] = []

    def replay(n: int) -> None:
        try:
            archive(others[n])
        except ArchiveInProgress as exc:
            stepped_back.append(exc)

    _in_threads(9, replay)
    paused.release.set()
    first.join()

    assert statuses == ["archived"], "the slow instance failed"
    assert len(stepped_back) == 9
    assert all(exc.retryable for exc in stepped_back)
    assert archive_state(cloud).record_ids() == clean.record_ids()


# -- batching and faults -------------------------------------------------------------------------


def _records(count: int, value_size: int) -> list[LogRecord]:
    now = int(time.time())
    return [
        LogRecord(
            now,
            "vpndiag",
            "vpn-batch",
            {"record_id": f"{DIAGNOSE_ID}/bulk/{n}", "detail": "x" * value_size},
        )
        for n in range(count)
    ]


@pytest.mark.usefixtures("mocked")
@pytest.mark.parametrize(("value_size", "requests"), [(8, 3), (900, 4)])
def test_ten_thousand_records_arrive_in_valid_put_logs_requests(
    cloud: Cloud, value_size: int, requests: int
) -> None:
    """10,000 records through SlsLogStore.put: split under 4096 logs (small records) or 3 MB
    (large ones) per request, every request accepted, every record stored once."""
    records = _records(10_000, value_size)

    new_app().logs.put(records)

    puts = [r for r in cloud.requests if r.action == "PutLogs"]
    assert [r.status for r in puts] == [200] * requests
    stored = Counter(row["record_id"] for row in cloud.sls(REGION).logs(PROJECT, LOGSTORE))
    assert stored == Counter(r.record_id for r in records)


@pytest.mark.usefixtures("mocked")
def test_oss_503_is_retried_and_archived_exactly_once(cloud: Cloud, clean: ArchiveState) -> None:
    """Two 503 ServiceUnavailable answers to PutObject are retried within the invocation."""
    cloud.faults.add(service="oss", action="PutObject", kind="server_error", times=2)

    assert archive(new_app()) == "archived"

    assert [r.error_code for r in cloud.requests if r.fault] == ["ServiceUnavailable"] * 2
    assert archive_state(cloud) == clean


@pytest.mark.usefixtures("mocked")
@pytest.mark.parametrize(
    ("kind", "code"), [("throttle", "WriteQuotaExceed"), ("server_error", "ServerBusy")]
)
def test_sls_refusals_are_retried_and_archived_exactly_once(
    cloud: Cloud, clean: ArchiveState, kind: FaultKind, code: str
) -> None:
    """SLS refusing a PutLogs (quota, busy) stored nothing: the client sends it again, once."""
    cloud.faults.add(service="sls", action="PutLogs", kind=kind, times=2)

    assert archive(new_app()) == "archived"

    assert [r.error_code for r in cloud.requests if r.fault] == [code] * 2
    assert archive_state(cloud) == clean


@pytest.mark.usefixtures("mocked")
def test_a_dropped_put_logs_is_left_to_the_platform_retry(
    cloud: Cloud, clean: ArchiveState
) -> None:
    """A PutLogs without an answer may have landed: the client does not resend it, the invocation
    fails retryable; an immediate retry finds the lease still held and steps back, and the
    platform's later retry writes the records exactly once."""
    cloud.faults.add(service="sls", action="PutLogs", kind="drop")

    with pytest.raises(TransportError) as raised:
        archive(new_app())
    with pytest.raises(ArchiveInProgress):
        archive(new_app())
    archive(later_app())

    assert raised.value.retryable
    assert cloud.requests.actions("sls").count("PutLogs") == 2
    assert archive_state(cloud) == clean


@pytest.mark.usefixtures("mocked")
def test_records_are_at_least_once_while_get_logs_lags(cloud: Cloud, clean: ArchiveState) -> None:
    """The documented limit: a takeover while GetLogs has still not indexed the landed part of a
    batch (an index lag longer than the lease) writes those records again; readers de-duplicate
    by record_id and get the clean set."""
    cloud.sls(REGION).set_index_delay(3600)

    with pytest.raises(Crash):
        archive(crashing_app(Crashes(3, landed=2)))
    archive(later_app())

    state = archive_state(cloud)
    assert state.objects == clean.objects
    assert len(state.records) == len(clean.records) + 2
    assert sorted(set(state.records)) == clean.records
