"""Replays of whole flows: the same trigger many times, one after another and all at once, leaves
one diagnosis per connection, one object set, one record set and one event per id.

The archive's own replays (one diagnosis event, sequential and concurrent) are in
``tests/functional/test_exactly_once.py``; here the trigger is the sweep's timer tick (the FC
hand-off fans each replay out to the archive function) and a VPN health event (the archive starts
the diagnosis itself). Concurrent replays run over the loopback server, on as many platform
workers as there are replays: attempts that meet a live lease step back and are retried later.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.reliability.conftest import (
    REGION,
    TICK,
    Platform,
    World,
    archive_environ,
    archive_state,
    duplicated,
    event_count,
    health_event,
    health_payload,
    new_world,
    reference_state,
    sweep_environ,
    sweep_payload,
    sweep_records,
    transport,
)

REPLAYS = 6
MODES = {"sequential": ("mock", 1), "concurrent": ("loopback", REPLAYS)}


def _replayed(world: World, function: str, event: bytes, mode: str) -> Platform:
    over, workers = MODES[mode]
    with transport(world, over) as endpoint:
        platform = Platform(
            world,
            archive_environ(endpoint),
            sweep=sweep_environ(endpoint) if function == "sweep" else None,
        )
        for _ in range(REPLAYS):
            platform.invoke(function, event)
        platform.drain(workers=workers)
    return platform


def _diagnoses_by_connection(world: World) -> Counter[str]:
    return Counter(d.connection_id for d in world.cloud.vpc(REGION).diagnoses())


@pytest.mark.parametrize("mode", MODES)
def test_a_replayed_sweep_tick_starts_one_diagnosis_per_connection(mode: str) -> None:
    """The same timer tick six times: its ClientTokens give every replay the same diagnoses."""
    world = new_world(seed=31, gateways=3, connections=1, recorded=False)

    _replayed(world, "sweep", TICK.encode(), mode)

    assert _diagnoses_by_connection(world) == Counter(world.connections)


@pytest.mark.parametrize("mode", MODES)
def test_a_replayed_sweep_tick_leaves_one_archive(mode: str) -> None:
    """The same timer tick six times: every diagnosis archived once, equal to a single run's
    archive (objects, bytes, records, events), nothing dead-lettered."""
    world = new_world(seed=31, gateways=3, connections=1, recorded=False)

    platform = _replayed(world, "sweep", TICK.encode(), mode)

    assert platform.dead_letters == []
    state = archive_state(world.cloud)
    assert state.duplicated_records() == []
    assert state == reference_state(world, sweep_payload, archive_environ())
    # The tick's own tunnel observations: one per tunnel, whichever delivery wrote them.
    tunnels = sweep_records(world.cloud)
    assert tunnels
    assert duplicated(tunnels) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_redelivered_health_event_starts_one_diagnosis(mode: str) -> None:
    """The same health event (source and id) six times: one diagnosis of the connection."""
    world = new_world(seed=32, recorded=False, health={0: "error"})

    _replayed(world, "archive", health_event(world, "IpsecPhase1NegoFailed"), mode)

    assert _diagnoses_by_connection(world) == Counter(world.connections)


@pytest.mark.parametrize("mode", MODES)
def test_a_redelivered_health_event_leaves_one_archive(mode: str) -> None:
    """The same health event six times: one object set, one record set, one root cause and one
    event per id, equal to a single delivery's, nothing dead-lettered."""
    world = new_world(seed=32, recorded=False, health={0: "error"})

    platform = _replayed(world, "archive", health_event(world, "IpsecPhase1NegoFailed"), mode)

    assert platform.dead_letters == []
    state = archive_state(world.cloud)
    assert state.duplicated_records() == []
    assert state == reference_state(world, health_payload, archive_environ())


def test_sequential_health_event_replays_publish_each_event_once() -> None:
    """One after another, a replay finds the events published (the marker) and sends none."""
    world = new_world(seed=32, recorded=False, health={0: "error"})

    _replayed(world, "archive", health_event(world, "IpsecPhase1NegoFailed"), "sequential")

    assert event_count(world.cloud) == len(archive_state(world.cloud).events) > 0


def test_a_diagnosis_the_sweep_archived_asked_for_directly_is_a_replay() -> None:
    """After the sweep archived a diagnosis, a direct invocation naming it (region and id only,
    as an operator or a redelivered custom event sends it) replays: nothing fails."""
    world = new_world(seed=33, recorded=False)
    with world.cloud.mock():
        platform = Platform(world, archive_environ(), sweep=sweep_environ())
        platform.invoke("sweep", TICK.encode())
        platform.drain()
        (diagnosis,) = world.cloud.vpc(REGION).diagnoses()
        platform.invoke(
            "archive", json.dumps({"RegionId": REGION, "DiagnoseId": diagnosis.id}).encode()
        )
        platform.drain()

    assert platform.failures() == []
