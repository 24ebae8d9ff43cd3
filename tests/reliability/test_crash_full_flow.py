"""Crash consistency of the whole flow: the process dies between any two writes, the platform
retries, and the end state equals an uninterrupted run's.

Two flows, each through the functions as FC runs them (asynchronous invocations, retries later
in time): the timer's sweep (DiagnoseVpnGateway, FC hand-off) followed by the archive, and a VPN
health event (the archive starts the diagnosis, then archives it). The writes of a clean run are
listed first (every state-changing request: DiagnoseVpnGateway, InvokeFunction, PutObject,
PutLogs, PutEvents, in order); then, for each one, a run dies just before it is sent and another
just after it landed (its answer never read). The retried flow must leave the same objects with
the same bytes, the same records and the same events as the clean run, and nothing dead-lettered.
The archive's own crash points are also covered one by one in
``tests/functional/test_exactly_once.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from tests.reliability.conftest import (
    FINISHED_AT,
    REGION,
    TICK,
    Platform,
    World,
    archive_environ,
    archive_state,
    health_event,
    health_payload,
    new_world,
    reference_state,
    sweep_environ,
    sweep_payload,
)
from vpndiag_emulator.vpc.models import Diagnosis


@dataclass(frozen=True)
class Flow:
    world: dict[str, Any]
    start: Callable[[World, Platform], None]
    """Enqueue the flow's trigger."""
    payload: Callable[[Diagnosis], bytes]
    """The archive payload an uninterrupted run archives the diagnosis with."""
    sweep: bool = False


def _tick(world: World, platform: Platform) -> None:
    platform.invoke("sweep", TICK.encode())


def _health(world: World, platform: Platform) -> None:
    platform.invoke("archive", health_event(world))


FLOWS = {
    "sweep": Flow(
        {"seed": 21, "gateways": 2, "connections": 1, "recorded": False},
        _tick,
        sweep_payload,
        sweep=True,
    ),
    # The connection is failing: its root cause is taken and kept, its state changes.
    "health-event": Flow(
        {"seed": 22, "gateways": 1, "connections": 1, "recorded": False, "health": {0: "error"}},
        _health,
        health_payload,
    ),
}


def _run(flow: Flow, crash_at: tuple[int, bool] | None = None) -> tuple[World, Platform]:
    world = new_world(**flow.world)
    world.wire.crash_at = crash_at
    with world.cloud.mock():
        platform = Platform(world, archive_environ(), sweep=sweep_environ() if flow.sweep else None)
        flow.start(world, platform)
        platform.drain()
    return world, platform


def _crash_points() -> list[Any]:
    """(flow, write number, after) for every write of each flow's clean run."""
    points = []
    for name, flow in FLOWS.items():
        world, platform = _run(flow)
        assert platform.failures() == [], f"the clean {name} run failed"
        for number, write in enumerate(world.wire.writes):
            for after in (False, True):
                when = "after" if after else "before"
                points.append(
                    pytest.param(flow, number, after, id=f"{name}-{number:02d}-{write}-{when}")
                )
    return points


@pytest.mark.parametrize(("flow", "number", "after"), _crash_points())
def test_a_crash_at_any_write_then_the_platform_retry_equals_a_clean_run(
    flow: Flow, number: int, after: bool
) -> None:
    """Died just before (or just after) one write, retried by the platform: the same objects,
    bytes, records and events as an uninterrupted run, one diagnosis per connection, nothing
    dead-lettered."""
    world, platform = _run(flow, (number, after))

    assert [f["errorType"] for f in platform.failures()] == ["Crash"]
    assert platform.dead_letters == []
    diagnosed = sorted(d.connection_id for d in world.cloud.vpc(REGION).diagnoses())
    assert diagnosed == sorted(world.connections)
    assert archive_state(world.cloud) == reference_state(world, flow.payload, archive_environ())


def test_a_retry_after_an_older_diagnosis_of_the_connection_was_archived_completes() -> None:
    """The newer of two diagnoses of one connection fails at its PutLogs; the older one is
    archived before the platform's retry; the retry still archives the newer one."""
    world = new_world(seed=23, connections=1, recorded=False)
    vpc = world.cloud.vpc(REGION)
    older = vpc.record_diagnosis(
        world.connections[0], diagnose_id="vpndgn-s23older00001", begin=FINISHED_AT
    )
    newer = vpc.record_diagnosis(
        world.connections[0],
        diagnose_id="vpndgn-s23newer00001",
        begin=FINISHED_AT + timedelta(minutes=30),
    )
    world.wire.arm("sls", "PutLogs", "drop")
    with world.cloud.mock():
        platform = Platform(world, archive_environ())
        platform.invoke("archive", health_payload(newer))
        platform.invoke("archive", health_payload(older))
        platform.drain()

    assert platform.dead_letters == []
    assert archive_state(world.cloud).of(newer.id).records
