"""The fault matrix: every fault kind at every step of the archive and of the sweep, through the
platform (FC asynchronous invocations, retries, dead-letter queue).

Each case ends with every diagnosis either archived exactly once (objects, bytes, records and
events equal to an uninterrupted run's, no record twice) or dead-lettered with its full payload;
every failed run names a ``vpndiag.errors`` type; and replaying the dead letters once the fault is
gone completes the archive. A fault is aimed at one request kind (an OSS key's suffix narrows
PutObject to raw, summary or a marker) and fires ``burst`` times in a row, or on every request
(``persistent``). Latency past the client's timeout needs real sockets: those cases run over the
loopback server, the rest in process.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from tests.reliability.conftest import (
    PLATFORM_BACKOFF,
    REGION,
    TICK,
    ArchiveState,
    Platform,
    World,
    archive_environ,
    archive_state,
    direct_payload,
    new_world,
    reference_state,
    sweep_environ,
    sweep_payload,
    transport,
    typed_error_names,
)
from vpndiag_emulator import FaultKind

TYPED = typed_error_names()


@dataclass(frozen=True)
class Step:
    """A request kind the archive or the sweep sends."""

    service: str
    action: str
    path: str | None = None


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    options: Mapping[str, Any]
    over: str = "mock"


ARCHIVE_STEPS = {
    "GetVpnGatewayDiagnoseResult": Step("vpc", "GetVpnGatewayDiagnoseResult"),
    "PutObject-raw": Step("oss", "PutObject", ".raw.json"),
    "PutObject-summary": Step("oss", "PutObject", ".summary.json"),
    "PutObject-records-pending": Step("oss", "PutObject", ".records-pending"),
    "PutObject-records-written": Step("oss", "PutObject", ".records-written"),
    "HeadObject-records-written": Step("oss", "HeadObject", ".records-written"),
    "PutLogs": Step("sls", "PutLogs"),
    "PutEvents": Step("eventbridge", "PutEvents"),
    # Only a retry after a dead writer reads objects and records back (see RETRY_ONLY).
    "GetObject": Step("oss", "GetObject"),
    "GetLogs": Step("sls", "GetLogs"),
}
RETRY_ONLY = frozenset({"GetObject", "GetLogs"})
SWEEP_STEPS = {
    "DescribeVpnGateways": Step("vpc", "DescribeVpnGateways"),
    "DescribeVpnConnections": Step("vpc", "DescribeVpnConnections"),
    "DiagnoseVpnGateway": Step("vpc", "DiagnoseVpnGateway"),
    "InvokeFunction": Step("fc", "InvokeFunction"),
}
# The emulator renders each kind in the service's own format: "throttle" is Throttling.User (429,
# with x-acs-retry-after) on VPC and FC, WriteQuotaExceed / ReadQuotaExceed on SLS; "5xx" is 503
# ServiceUnavailable on VPC, OSS and FC, ServerBusy on SLS. "truncated" and "latency" are processed
# by the service, then the answer is cut or comes after the client gave up.
FAULTS = {
    "throttle": Fault("throttle", {"status": 429, "retry_after_ms": 10}),
    "5xx": Fault("server_error", {}),
    "malformed": Fault("malformed", {}),
    "truncated": Fault("truncated", {}),
    "drop": Fault("drop", {}),
    "latency": Fault("latency", {"delay": 0.4}, over="loopback"),
}
SERVICE_FAULTS = {
    "oss": {"409": Fault("error", {"code": "FileAlreadyExists", "status": 409})},
    "sls": {"quota-403": Fault("error", {"code": "WriteQuotaExceed", "status": 403})},
    "fc": {"403": Fault("error", {"code": "AccessDenied", "status": 403})},
}
# Faults that also run persistent (every request of the step, every attempt): the dead-letter path.
PERSISTENT = frozenset({"5xx", "malformed", "truncated", "drop"})
# Below the latency faults' delay: those requests time out on the client, then land.
HTTP_TIMEOUT = "0.2"


# Cases that fail on a known bug (reported; strict: they must fail until it is fixed).
PROXY_PAGE_BUG = (
    "OssClient takes any 2xx answer as OSS's: a proxy's 200 page answering GetObject is read "
    "as the object, and the replay's byte comparison raises ArchiveConflict (not retryable, "
    "and misnamed) instead of a retryable ResponseError (needs the x-oss-request-id check)"
)
KNOWN: dict[tuple[str, str], str] = {}


def _cases(steps: Mapping[str, Step]) -> list[Any]:
    cases = []
    for step_name, step in steps.items():
        faults = {**FAULTS, **SERVICE_FAULTS.get(step.service, {})}
        for fault_name, fault in faults.items():
            bursts: tuple[int | None, ...] = (2, None) if fault_name in PERSISTENT else (2,)
            known = KNOWN.get((step_name, fault_name))
            marks = (
                [pytest.mark.xfail(strict=True, raises=AssertionError, reason=known)]
                if known
                else []
            )
            for burst in bursts:
                label = "persistent" if burst is None else f"burst{burst}"
                case_id = f"{step_name}-{fault_name}-{label}"
                cases.append(pytest.param(step, fault, burst, id=case_id, marks=marks))
    return cases


# -- the archive ----------------------------------------------------------------------------------

ARCHIVE_WORLD: dict[str, Any] = {"seed": 11, "gateways": 1, "connections": 1}


def _archive_all(world: World, endpoint: str | None = None) -> Platform:
    platform = Platform(world, archive_environ(endpoint, VPNDIAG_HTTP_TIMEOUT=HTTP_TIMEOUT))
    for event in world.events():
        platform.invoke("archive", event)
    platform.drain()
    return platform


def assert_archived_once_or_dead_lettered(
    world: World, platform: Platform, clean: ArchiveState, payloads: Mapping[str, bytes]
) -> None:
    """Each diagnosis (by id, with the payload that asks for it): archived exactly once, or its
    payload is in the dead-letter queue; every failed run names a typed error."""
    state = archive_state(world.cloud)
    assert state.duplicated_records() == []
    letters = [letter.payload for letter in platform.dead_letters]
    for diagnose_id, payload in payloads.items():
        if payload in letters:
            continue
        assert state.of(diagnose_id) == clean.of(diagnose_id), f"{diagnose_id} not archived once"
    assert_typed_failures(platform)


def assert_typed_failures(platform: Platform) -> None:
    """Every failed run raised a ``vpndiag.errors`` type with a message; none is a conflict, since
    no fault ever makes an archive's content differ (a conflict would misname the failure)."""
    for failure in platform.failures():
        assert failure["errorType"] in TYPED, failure
        assert failure["errorType"] != "ArchiveConflict", failure
        assert failure["errorMessage"], failure


def replay_dead_letters(world: World, platform: Platform) -> None:
    """What an operator does once the fault is gone: invoke again with each dead letter's payload."""
    world.wire.disarm()
    world.cloud.faults.clear()
    for letter in platform.dead_letters:
        platform.invoke(letter.function_arn.rsplit("/", 1)[1], letter.payload)
    platform.drain()


@pytest.mark.parametrize(("step", "fault", "burst"), _cases(ARCHIVE_STEPS))
def test_an_archive_fault_ends_archived_once_or_dead_lettered(
    step: Step, fault: Fault, burst: int | None
) -> None:
    """A fault at one step of the archive: each diagnosis archived exactly once or dead-lettered
    with its payload, typed errors only, and the dead letters replay to the clean archive."""
    world = new_world(**ARCHIVE_WORLD)
    clean = reference_state(world, direct_payload, archive_environ())
    with transport(world, fault.over) as endpoint:
        if step.action in RETRY_ONLY:
            # Only a retry reads back: the first writer's PutLogs lands, its answer is lost, and
            # the platform's retry compares the objects and asks which records landed.
            world.wire.arm("sls", "PutLogs", None, lose_answer=True)
        armed = world.wire.arm(
            step.service, step.action, fault.kind, path=step.path, times=burst, **fault.options
        )
        platform = _archive_all(world, endpoint)
        world.wire.settle()
        payloads = dict(zip(world.diagnoses, world.events(), strict=True))

        assert armed.fired[0] >= 1, "the fault never fired: the step was not reached"
        assert_archived_once_or_dead_lettered(world, platform, clean, payloads)
        replay_dead_letters(world, platform)
    assert archive_state(world.cloud) == clean


# -- the sweep ------------------------------------------------------------------------------------

SWEEP_WORLD: dict[str, Any] = {"seed": 12, "gateways": 2, "connections": 1, "recorded": False}


def _sweep_platform(world: World, endpoint: str | None) -> Platform:
    return Platform(
        world,
        archive_environ(endpoint, VPNDIAG_HTTP_TIMEOUT=HTTP_TIMEOUT),
        sweep=sweep_environ(endpoint, VPNDIAG_HTTP_TIMEOUT=HTTP_TIMEOUT),
    )


def _started(world: World) -> list[str]:
    """Each diagnosis the sweep started."""
    return [diagnosis.id for diagnosis in world.cloud.vpc(REGION).diagnoses()]


def _handed_off(platform: Platform, diagnose_id: str) -> bool:
    """Whether an archive invocation about ``diagnose_id`` is dead-lettered (its payload kept)."""
    return any(
        json.loads(letter.payload).get("DiagnoseId") == diagnose_id
        for letter in platform.dead_letters
        if letter.function_arn.endswith("/archive")
    )


@pytest.mark.parametrize(("step", "fault", "burst"), _cases(SWEEP_STEPS))
def test_a_sweep_fault_ends_archived_once_or_dead_lettered(
    step: Step, fault: Fault, burst: int | None
) -> None:
    """A fault at one step of the sweep (timer -> sweep -> FC hand-off -> archive): each diagnosis
    started is archived once, or its archive invocation or the sweep tick is dead-lettered;
    replaying the dead letters diagnoses every connection once and archives every diagnosis once."""
    world = new_world(**SWEEP_WORLD)
    with transport(world, fault.over) as endpoint:
        armed = world.wire.arm(
            step.service, step.action, fault.kind, path=step.path, times=burst, **fault.options
        )
        platform = _sweep_platform(world, endpoint)
        platform.invoke("sweep", TICK.encode())
        platform.drain()
        world.wire.settle()

        assert armed.fired[0] >= 1, "the fault never fired: the step was not reached"
        clean = reference_state(world, sweep_payload, archive_environ())
        state = archive_state(world.cloud)
        assert state.duplicated_records() == []
        tick_dead = any(letter.payload == TICK.encode() for letter in platform.dead_letters)
        for diagnose_id in _started(world):
            if tick_dead or _handed_off(platform, diagnose_id):
                continue
            assert state.of(diagnose_id) == clean.of(diagnose_id), f"{diagnose_id} was lost"
        assert_typed_failures(platform)
        replay_dead_letters(world, platform)
    diagnosed = sorted(d.connection_id for d in world.cloud.vpc(REGION).diagnoses())
    assert diagnosed == sorted(world.connections)
    assert archive_state(world.cloud) == reference_state(world, sweep_payload, archive_environ())


def test_a_proxy_page_answering_head_object_loses_no_records() -> None:
    """Over real sockets a 200 page from something in between, answering HeadObject on the
    records-written marker, must not pass for the marker: the records still get written."""
    world = new_world(**ARCHIVE_WORLD)
    clean = reference_state(world, direct_payload, archive_environ())
    with transport(world, "loopback") as endpoint:
        world.wire.arm("oss", "HeadObject", "malformed", path=".records-written", times=None)
        platform = _archive_all(world, endpoint)
        payloads = dict(zip(world.diagnoses, world.events(), strict=True))

        assert_archived_once_or_dead_lettered(world, platform, clean, payloads)


def test_a_replay_whose_conflict_answer_is_cut_short_is_still_a_replay() -> None:
    """A create-only put meeting the object already there, its 409 body cut in transit (no
    readable code): the bytes are compared and the replay goes on, nothing raised."""
    world = new_world(**ARCHIVE_WORLD)
    with world.cloud.mock():
        _archive_all(world)
        world.wire.arm("oss", "PutObject", "truncated", path=".raw.json")
        platform = _archive_all(world)

    assert platform.failures() == []


def test_a_proxy_page_answering_a_kept_root_cause_read_is_a_typed_error() -> None:
    """The archive of a failing connection first reads whether a root cause was kept; that
    GetObject answered by a 200 page from something in between fails the run with a vpndiag
    error, and the platform's retry archives."""
    world = new_world(seed=14, health={0: "error"})
    with world.cloud.mock():
        world.wire.arm("oss", "GetObject", "malformed", path=".rootcause.json")
        platform = _archive_all(world)

    assert_typed_failures(platform)


# -- diagnoses stuck in progress ------------------------------------------------------------------

# The diagnosis takes ten minutes of the emulator's clock; a poll interval as long as the
# invocation makes the archive hand a running diagnosis back to the platform at once.
STUCK: dict[str, Any] = {"seed": 13, "recorded": False, "diagnosis_duration": 600.0}
# Healthy: no root cause is taken, whose answer depends on the moment it is asked.
STUCK_HEALTH = {0: "normal"}


def _start_stuck(world: World) -> bytes:
    """Start the world's diagnosis (running for ten minutes); the event that names it."""
    diagnosis = world.cloud.vpc(REGION).start_diagnosis(
        gateway_id=world.gateways[0],
        resource_type="IPsec",
        connection_id=world.connections[0],
        extend_info=None,
        client_token=None,
    )
    return direct_payload(diagnosis)


def _stuck_platform(world: World, before_retry: Callable[[int], None] | None) -> Platform:
    environ = archive_environ(VPNDIAG_POLL_INTERVAL="60")
    return Platform(world, environ, before_retry=before_retry)


def test_a_diagnosis_finishing_between_platform_retries_is_archived_once() -> None:
    """Still running at the first attempt (DiagnosisPending), finished by a later platform retry:
    archived once, as an uninterrupted run of the finished diagnosis archives it."""
    world = new_world(**STUCK, health=STUCK_HEALTH)
    with world.cloud.mock():
        event = _start_stuck(world)
        platform = _stuck_platform(
            world, lambda attempt: world.cloud.clock.advance(PLATFORM_BACKOFF)
        )
        platform.invoke("archive", event)
        platform.drain()

    assert [f["errorType"] for f in platform.failures()] == ["DiagnosisPending"]
    assert archive_state(world.cloud) == reference_state(world, direct_payload, archive_environ())


def test_a_diagnosis_stuck_in_progress_is_dead_lettered_with_its_payload() -> None:
    """Never finished within the platform's retries: the event is dead-lettered whole, every run
    failed with DiagnosisPending, and nothing was written."""
    world = new_world(**STUCK, health=STUCK_HEALTH)
    with world.cloud.mock():
        event = _start_stuck(world)
        platform = _stuck_platform(world, None)
        platform.invoke("archive", event)
        platform.drain()

    assert [letter.payload for letter in platform.dead_letters] == [event]
    assert {f["errorType"] for f in platform.failures()} == {"DiagnosisPending"}
    assert archive_state(world.cloud) == ArchiveState({}, [], {})


def test_a_dead_lettered_diagnosis_replayed_once_finished_is_archived_once() -> None:
    """The dead letter of a diagnosis that was stuck, invoked again after it finished, archives
    it exactly once."""
    world = new_world(**STUCK, health=STUCK_HEALTH)
    with world.cloud.mock():
        event = _start_stuck(world)
        platform = _stuck_platform(world, None)
        platform.invoke("archive", event)
        platform.drain()
        world.cloud.clock.advance(PLATFORM_BACKOFF)
        replay_dead_letters(world, platform)

    assert archive_state(world.cloud) == reference_state(world, direct_payload, archive_environ())
