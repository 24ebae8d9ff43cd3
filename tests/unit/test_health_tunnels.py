"""Tunnels in connection health: per-tunnel N-of-M and flapping, the degraded state, old snapshots.

Tunnel statuses are those of the SDK model's ``Status`` docstring (alibabacloud_vpc20160428,
``DescribeVpnConnection(s)ResponseBody``): ``ipsec_sa_established`` is phase 2 up, a
``*_not_established`` status is down; roles are ``master`` / ``slave`` (``TunnelOptions.Role``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from vpndiag.health.thresholds import Finding
from vpndiag.health.transitions import ConnectionState, Rule, Transition, advance
from vpndiag.model.connection import Tunnel, VpnConnection
from vpndiag.model.summary import level_rank, worst_level

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
CONNECTION = "vco-abcd1234"
MASTER, SLAVE = "tun-master0001", "tun-slave00001"
UP, DOWN = "ipsec_sa_established", "ipsec_sa_not_established"


def _dual(master: str | None, slave: str | None) -> VpnConnection:
    return VpnConnection(
        connection_id=CONNECTION,
        name="to-office",
        gateway_id="vpn-abcd1234",
        gateway_name="hz-gw",
        tunnels=(
            Tunnel(tunnel_id=MASTER, role="master", status=master, peer_ip="203.0.113.7"),
            Tunnel(tunnel_id=SLAVE, role="slave", status=slave, peer_ip="203.0.113.8"),
        ),
    )


def _run(
    observed: Sequence[VpnConnection | None],
    rule: Rule,
    *,
    level: str = "normal",
    state: ConnectionState | None = None,
) -> tuple[ConnectionState, list[list[Transition]]]:
    """One diagnosis per description, 5 minutes apart, every check at ``level``."""
    steps = []
    for i, connection in enumerate(observed):
        state, moves = advance(
            state,
            findings=[Finding("VcoUserInternetIpConnectivity", level, level)],
            connection_id=CONNECTION,
            gateway_id="vpn-abcd1234",
            region="cn-hangzhou",
            diagnose_id=f"vpndgn-{i:08d}",
            at=T0 + timedelta(minutes=5 * i),
            rule=rule,
            connection=connection,
        )
        steps.append(moves)
    assert state is not None
    return state, steps


def _moves(steps: list[list[Transition]], scope: str) -> list[tuple[int, str, str | None, str]]:
    return [
        (i, t.kind, t.from_level, t.to_level)
        for i, step in enumerate(steps)
        for t in step
        if t.scope == scope
    ]


STRICT = Rule(confirm=2, window=3)
EAGER = Rule(confirm=1, window=1)


def test_degraded_ranks_above_warning_and_below_error_and_unknown_levels() -> None:
    """normal < warning < degraded < an unknown level < error."""
    assert level_rank("warning") < level_rank("degraded") < level_rank("critical")
    assert level_rank("critical") < level_rank("error")
    assert worst_level(["warning", "degraded"]) == "degraded"


def test_one_tunnel_down_the_other_up_is_degraded() -> None:
    """The slave down while the master is up: the connection is degraded, not error."""
    state, steps = _run([_dual(UP, DOWN)], STRICT)
    assert state.level == "degraded"
    assert _moves(steps, "connection") == [(0, "changed", None, "degraded")]


def test_both_tunnels_down_is_error() -> None:
    """Every tunnel down: the connection is in error even though every check is normal."""
    state, _ = _run([_dual(DOWN, "ike_sa_not_established")], STRICT)
    assert state.level == "error"


def test_a_single_tunnel_connection_down_is_error_under_its_own_id() -> None:
    """A single-tunnel connection (no TunnelOptions) is tracked as one tunnel: its own status."""
    single = VpnConnection(connection_id=CONNECTION, status=DOWN)
    state, _ = _run([single], STRICT)
    assert (state.level, list(state.tunnels)) == ("error", [CONNECTION])


def test_a_check_error_outranks_a_degraded_connection() -> None:
    """An error check and one tunnel down: error."""
    state, _ = _run([_dual(UP, DOWN)], STRICT, level="error")
    assert state.level == "error"


def test_a_warning_check_on_a_degraded_connection_is_degraded() -> None:
    """A warning check and one tunnel down: degraded."""
    state, _ = _run([_dual(UP, DOWN)], STRICT, level="warning")
    assert state.level == "degraded"


def test_a_tunnel_needs_n_of_m_to_go_down() -> None:
    """With 2-of-3, one down sighting of the slave among ups changes nothing."""
    _, steps = _run([_dual(UP, UP), _dual(UP, DOWN), _dual(UP, UP)], STRICT)
    assert _moves(steps, "connection") == []
    assert _moves(steps, "tunnel") == []


def test_a_degraded_connection_recovers_once_the_tunnel_is_confirmed_up() -> None:
    """up, down, down, up, up (2-of-3): degraded at the second down, normal at the second up;
    the slave tunnel goes down and comes up at the same diagnoses."""
    seen = [_dual(UP, s) for s in (UP, DOWN, DOWN, UP, UP)]
    state, steps = _run(seen, STRICT)
    assert _moves(steps, "connection") == [
        (2, "changed", "normal", "degraded"),
        (4, "changed", "degraded", "normal"),
    ]
    assert _moves(steps, "tunnel") == [(2, "changed", "up", "down"), (4, "changed", "down", "up")]
    assert state.tunnels[SLAVE].level == "up"


def test_a_flapping_tunnel_starts_flapping_on_its_own() -> None:
    """With 1-of-1, three slave changes within ten diagnoses make that tunnel flap (once), and
    the master does not."""
    seen = [_dual(UP, s) for s in (UP, DOWN, UP, DOWN)]
    state, steps = _run(seen, EAGER)
    flaps = [
        (i, t.tunnel_id)
        for i, step in enumerate(steps)
        for t in step
        if t.scope == "tunnel" and t.kind == "flapping_started"
    ]
    assert flaps == [(3, SLAVE)]
    assert (state.tunnels[SLAVE].flapping, state.tunnels[MASTER].flapping) == (True, False)


def test_the_connection_flaps_on_degraded_changes_too() -> None:
    """The overall flapping rule counts changes into and out of degraded."""
    seen = [_dual(UP, s) for s in (UP, DOWN, UP, DOWN)]
    _, steps = _run(seen, EAGER)
    assert (3, "flapping_started", "normal", "degraded") in _moves(steps, "connection")


def test_a_tunnel_transition_names_its_tunnel() -> None:
    """A tunnel-scope transition carries the tunnel's id, role and observed status."""
    _, steps = _run([_dual(UP, DOWN)], STRICT)
    (move,) = [t for t in steps[0] if t.scope == "tunnel"]
    assert (move.tunnel_id, move.tunnel_role, move.tunnel_status) == (SLAVE, "slave", DOWN)


def test_a_connection_transition_lists_its_tunnels_and_the_down_one() -> None:
    """The change into degraded lists both tunnels; the concerned one is the slave."""
    _, steps = _run([_dual(UP, DOWN)], STRICT)
    (move,) = [t for t in steps[0] if t.scope == "connection"]
    assert [t.tunnel_id for t in move.tunnels] == [MASTER, SLAVE]
    assert [(t.tunnel_id, t.role, t.status) for t in move.tunnels_down] == [(SLAVE, "slave", DOWN)]


def test_tunnel_transitions_have_distinct_stable_ids() -> None:
    """Two tunnels changing in one diagnosis get two ids, the same on a recomputation."""
    _, first = _run([_dual(DOWN, DOWN)], STRICT)
    _, again = _run([_dual(DOWN, DOWN)], STRICT)
    ids = [t.event_id for t in first[0] if t.scope == "tunnel"]
    assert len(set(ids)) == 2
    assert ids == [t.event_id for t in again[0] if t.scope == "tunnel"]


def test_connection_transition_ids_are_those_of_before_tunnels() -> None:
    """A connection-scope id is still sha256(connection|diagnosis|kind|scope|)[:32]."""
    _, steps = _run([_dual(UP, DOWN)], STRICT)
    (move,) = [t for t in steps[0] if t.scope == "connection"]
    parts = f"{CONNECTION}|vpndgn-00000000|changed|connection|"
    assert move.event_id == hashlib.sha256(parts.encode()).hexdigest()[:32]


def test_an_undescribed_diagnosis_leaves_the_tunnels_as_they_were() -> None:
    """No description (DescribeVpnConnections failed): no tunnel moves, the state is kept."""
    state, steps = _run([_dual(UP, DOWN), None, None], STRICT)
    assert _moves(steps[1:], "tunnel") == []
    assert (state.level, state.tunnels[SLAVE].level, state.tunnels_observed) == (
        "degraded",
        "down",
        False,
    )


def test_an_unknown_status_is_unknown_never_up() -> None:
    """ike_sa_established (phase 1 only) or no status: the tunnel is unknown, the connection
    is not degraded by it, and first seeing it so is no transition."""
    state, steps = _run([_dual(UP, "ike_sa_established")], STRICT)
    assert (state.tunnels[SLAVE].level, state.level) == ("unknown", "normal")
    assert _moves(steps, "tunnel") == []


def test_a_tunnel_going_from_up_to_unknown_is_a_transition() -> None:
    """Once seen up, a tunnel confirmed unknown is a change of its own (never kept as up)."""
    seen = [_dual(UP, s) for s in (UP, "ike_sa_established", "ike_sa_established")]
    state, steps = _run(seen, STRICT)
    assert _moves(steps, "tunnel") == [(2, "changed", "up", "unknown")]
    assert state.tunnels[SLAVE].level == "unknown"


def test_names_come_from_the_description_and_stay_when_it_is_missing() -> None:
    """Connection name, gateway name and the master's peer address are kept in the state."""
    state, _ = _run([_dual(UP, UP), None], STRICT)
    assert (state.connection_name, state.gateway_name, state.peer_ip) == (
        "to-office",
        "hz-gw",
        "203.0.113.7",
    )


def test_a_state_written_before_tunnels_still_loads() -> None:
    """A snapshot state without tunnel or name fields reads as no tunnels, no names."""
    old = {
        "version": "1",
        "connection_id": CONNECTION,
        "gateway_id": "vpn-abcd1234",
        "region": "cn-hangzhou",
        "level": "error",
        "since": "2026-11-01T00:00:00Z",
        "checks": {},
        "diagnoses": 3,
        "last_diagnose_id": "vpndgn-00000002",
        "last_finish_time": "2026-11-01T00:10:00Z",
    }
    state = ConnectionState.model_validate(old)
    assert (state.tunnels, state.connection_name, state.tunnel_marks()) == ({}, None, ())


def test_a_transition_written_before_tunnels_still_loads() -> None:
    """An old transition (scope connection, no tunnel fields) reads with no tunnels."""
    old = {
        "kind": "changed",
        "scope": "connection",
        "connection_id": CONNECTION,
        "gateway_id": "vpn-abcd1234",
        "region": "cn-hangzhou",
        "check": None,
        "from_level": "normal",
        "to_level": "error",
        "at": "2026-11-01T00:10:00Z",
        "diagnose_id": "vpndgn-00000002",
        "previous_since": None,
        "flapping": False,
    }
    move = Transition.model_validate(old)
    assert (move.tunnel_id, move.tunnels) == (None, ())
