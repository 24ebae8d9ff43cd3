"""Connection health as a state machine: N-of-M confirmation, transitions, flapping."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from vpndiag.health.thresholds import Finding
from vpndiag.health.transitions import ConnectionState, Rule, Transition, advance

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
CHECK = "VcoUserInternetIpConnectivity"


def _run(
    levels: list[str], rule: Rule, state: ConnectionState | None = None
) -> tuple[ConnectionState | None, list[list[Transition]]]:
    """Feed one diagnosis per level (5 minutes apart); return the state and each step's output."""
    steps = []
    for i, level in enumerate(levels):
        state, transitions = advance(
            state,
            findings=[Finding(CHECK, level, level), Finding("VpnIPsecQuota", "normal", "normal")],
            connection_id="vco-abcd1234",
            gateway_id="vpn-abcd1234",
            region="cn-hangzhou",
            diagnose_id=f"vpndgn-{i:08d}",
            at=T0 + timedelta(minutes=5 * i),
            rule=rule,
        )
        steps.append(transitions)
    return state, steps


def _connection_moves(steps: list[list[Transition]]) -> list[tuple[int, str | None, str]]:
    return [
        (i, t.from_level, t.to_level)
        for i, step in enumerate(steps)
        for t in step
        if t.scope == "connection" and t.kind == "changed"
    ]


def test_a_single_bad_diagnosis_is_not_yet_a_change() -> None:
    """With 2-of-3, one error among normals changes nothing."""
    _, steps = _run(["normal", "error", "normal", "normal"], Rule(confirm=2, window=3))
    assert _connection_moves(steps) == []


def test_confirmed_change_and_recovery_are_reported_once_each() -> None:
    """normal, error, error, normal, normal: down at the second error, up at the second normal."""
    state, steps = _run(["normal", "error", "error", "normal", "normal"], Rule(confirm=2, window=3))
    assert _connection_moves(steps) == [(2, "normal", "error"), (4, "error", "normal")]
    assert state is not None
    assert (state.level, state.transitions) == ("normal", 2)


def test_transition_carries_the_time_spent_in_the_previous_level() -> None:
    """The recovery says how long the connection was down (from confirmation to confirmation)."""
    _, steps = _run(["normal", "error", "error", "normal", "normal"], Rule(confirm=2, window=3))
    recovery = next(t for t in steps[4] if t.scope == "connection")
    assert recovery.duration_seconds == 10 * 60


def test_check_transitions_name_the_check() -> None:
    """A check-scoped transition is emitted beside the connection's, naming the check."""
    _, steps = _run(["normal", "error"], Rule(confirm=1, window=1))
    (check_move,) = [t for t in steps[1] if t.scope == "check"]
    assert (check_move.check, check_move.from_level, check_move.to_level) == (
        CHECK,
        "normal",
        "error",
    )


def test_first_sight_of_a_bad_connection_is_reported() -> None:
    """Monitoring that starts on a broken connection reports it (from None), a healthy one not."""
    _, bad = _run(["error"], Rule())
    _, good = _run(["normal"], Rule())
    assert _connection_moves(bad) == [(0, None, "error")]
    assert _connection_moves(good) == []


def test_the_same_diagnosis_twice_changes_nothing() -> None:
    """Folding a diagnosis already folded (a replay) returns the state unchanged, no transitions."""
    state, _ = _run(["normal", "error"], Rule(confirm=1, window=1))
    assert state is not None
    again, transitions = advance(
        state,
        findings=[Finding(CHECK, "normal", "normal")],
        connection_id="vco-abcd1234",
        gateway_id="vpn-abcd1234",
        region="cn-hangzhou",
        diagnose_id=state.last_diagnose_id,
        at=state.last_finish_time,
        rule=Rule(confirm=1, window=1),
    )
    assert (again, transitions) == (state, [])


def test_flapping_starts_and_stops() -> None:
    """Three changes within ten diagnoses start flapping; a quiet stretch ends it, once each."""
    levels = ["normal", "error", "normal", "error"] + ["error"] * 10
    state, steps = _run(levels, Rule(confirm=1, window=1, flap_changes=3, flap_window=10))
    kinds = [(i, t.kind) for i, step in enumerate(steps) for t in step if t.kind != "changed"]
    assert kinds == [(3, "flapping_started"), (11, "flapping_stopped")]
    assert state is not None
    assert not state.flapping


def test_changes_while_flapping_carry_the_flag() -> None:
    """A change made while the connection flaps says so, for alert rules to damp on."""
    _, steps = _run(["normal", "error", "normal", "error", "normal"], Rule(confirm=1, window=1))
    last = next(t for t in steps[4] if t.scope == "connection" and t.kind == "changed")
    assert last.flapping


def test_event_ids_are_stable_and_distinct() -> None:
    """Replaying gives the same ids; different transitions get different ids."""
    _, first = _run(["normal", "error"], Rule(confirm=1, window=1))
    _, second = _run(["normal", "error"], Rule(confirm=1, window=1))
    ids = [t.event_id for t in first[1]]
    assert ids == [t.event_id for t in second[1]]
    assert len(set(ids)) == len(ids) == 2


def test_state_round_trips_through_json() -> None:
    """The persisted JSON reads back into an equal state."""
    state, _ = _run(["normal", "error", "error"], Rule())
    assert state is not None
    assert ConnectionState.model_validate_json(state.model_dump_json()) == state


def test_confirm_cannot_exceed_window() -> None:
    """A rule that could never confirm anything is refused, naming both numbers."""
    with pytest.raises(ValidationError, match=r"confirm \(4\) cannot exceed window \(3\)"):
        Rule(confirm=4, window=3)


def test_unknown_levels_are_kept_and_ranked_above_warning() -> None:
    """A level the service adds later becomes the connection's level verbatim."""
    state, steps = _run(["normal", "critical"], Rule(confirm=1, window=1))
    assert state is not None
    assert state.level == "critical"
    assert _connection_moves(steps) == [(1, "normal", "critical")]
