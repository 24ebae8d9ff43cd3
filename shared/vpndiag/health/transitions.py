"""Connection health as a state machine: confirmed levels, transitions, flapping.

A check's level changes only when the new level is seen in ``confirm`` of the last ``window``
diagnoses (N-of-M), so one bad probe does not page anyone. A tunnel's level (``up``, ``down`` or
``unknown``, from its IPsec status as DescribeVpnConnections reported it when the diagnosis was
archived) follows the same rule. A connection's level is the worst of its checks' confirmed levels
and of what its confirmed tunnels say: every tunnel down is ``error``, some down while another is
not is ``degraded`` (a dual-tunnel connection running on one tunnel), none down says nothing. A
single-tunnel connection is tracked as one tunnel named by the connection id.

A connection (or a tunnel) that changed level ``flap_changes`` times within its last
``flap_window`` diagnoses is flapping: its changes still count, but carry the flag, and entering and
leaving the flapping state are transitions of their own.

Everything here is pure: the same state and the same diagnosis always give the same result, which
is what lets replays and concurrent retries agree byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from vpndiag.health.thresholds import Finding
from vpndiag.model.connection import VpnConnection
from vpndiag.model.summary import DEGRADED, worst_level
from vpndiag.normalize import peer_address

STATE_VERSION = "1"
UP, DOWN, UNKNOWN = "up", "down", "unknown"


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True)

    confirm: int = Field(2, ge=1, le=20, description="N: sightings of a new level needed ...")
    window: int = Field(3, ge=1, le=20, description="... among the last M diagnoses")
    flap_changes: int = Field(3, ge=2, le=50, description="changes that make a connection flap ...")
    flap_window: int = Field(10, ge=2, le=200, description="... within this many diagnoses")

    @model_validator(mode="after")
    def _confirm_fits_window(self) -> Rule:
        if self.confirm > self.window:
            raise ValueError(f"confirm ({self.confirm}) cannot exceed window ({self.window})")
        return self


class CheckState(BaseModel):
    model_config = ConfigDict(frozen=True)

    level: str
    since: AwareDatetime
    previous_level: str | None = None
    recent: tuple[str, ...] = Field(description="the last `window` observed levels, oldest first")
    changes: int = 0


class TunnelState(BaseModel):
    """One tunnel's confirmed level (``up``, ``down``, ``unknown``) and its own flapping."""

    model_config = ConfigDict(frozen=True)

    tunnel_id: str
    role: str | None = None
    status: str | None = Field(None, description="IPsec status last observed, verbatim")
    level: str
    since: AwareDatetime
    previous_level: str | None = None
    recent: tuple[str, ...] = Field(description="the last `window` observed levels, oldest first")
    changes: int = 0
    change_marks: tuple[int, ...] = Field((), description="diagnosis numbers of recent changes")
    flapping: bool = False


class TunnelMark(BaseModel):
    """A tunnel as a connection-level transition names it."""

    model_config = ConfigDict(frozen=True)

    tunnel_id: str
    role: str | None
    status: str | None
    level: str


class ConnectionState(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str = STATE_VERSION
    connection_id: str
    gateway_id: str
    region: str
    # Names from DescribeVpnConnections; absent in snapshots written before they were kept.
    connection_name: str | None = None
    gateway_name: str | None = None
    peer_ip: str | None = None
    level: str
    since: AwareDatetime
    previous_level: str | None = None
    checks: dict[str, CheckState]
    diagnoses: int = Field(description="diagnoses folded into this state")
    transitions: int = Field(0, description="connection-level changes so far")
    change_marks: tuple[int, ...] = Field((), description="diagnosis numbers of recent changes")
    flapping: bool = False
    last_diagnose_id: str
    last_finish_time: AwareDatetime
    tunnels: dict[str, TunnelState] = Field(
        default_factory=dict, description="by tunnel id; empty when never described"
    )
    tunnels_observed: bool = Field(
        False, description="whether this diagnosis's connection could be described"
    )

    def tunnel_marks(self) -> tuple[TunnelMark, ...]:
        """Every tunnel as transitions and records name it, in tunnel id order."""
        return tuple(
            TunnelMark(tunnel_id=t.tunnel_id, role=t.role, status=t.status, level=t.level)
            for _, t in sorted(self.tunnels.items())
        )


TransitionKind = Literal["changed", "flapping_started", "flapping_stopped"]
TransitionScope = Literal["connection", "check", "tunnel"]


class Transition(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: TransitionKind
    scope: TransitionScope
    connection_id: str
    gateway_id: str
    region: str
    check: str | None
    from_level: str | None = Field(description="None when the connection is first seen")
    to_level: str
    at: AwareDatetime
    diagnose_id: str
    previous_since: AwareDatetime | None
    flapping: bool
    # Scope "tunnel": the tunnel that changed. Old snapshots have none of these.
    tunnel_id: str | None = None
    tunnel_role: str | None = None
    tunnel_status: str | None = None
    # Scope "connection": every tunnel of the connection after the change (empty: none known).
    tunnels: tuple[TunnelMark, ...] = ()

    @property
    def tunnels_down(self) -> tuple[TunnelMark, ...]:
        """The connection's tunnels that are not up after the change (the concerned ones)."""
        return tuple(t for t in self.tunnels if t.level != UP)

    @property
    def duration_seconds(self) -> float | None:
        """How long the previous level lasted."""
        if self.previous_since is None:
            return None
        return (self.at - self.previous_since).total_seconds()

    @property
    def event_id(self) -> str:
        """Stable across replays and retries, so consumers can de-duplicate."""
        # A tunnel transition is named by its tunnel where a check one is by its check; the ids of
        # connection and check transitions are those they had before tunnels were tracked.
        subject = self.check or self.tunnel_id or ""
        parts = (self.connection_id, self.diagnose_id, self.kind, self.scope, subject)
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _advance_check(
    state: CheckState | None, observed: str, at: datetime, rule: Rule
) -> tuple[CheckState, str | None, bool]:
    """(new state, level before, whether the confirmed level changed)."""
    if state is None:
        return CheckState(level=observed, since=at, recent=(observed,)), None, observed != "normal"
    recent = (*state.recent, observed)[-rule.window :]
    if observed != state.level and recent.count(observed) >= rule.confirm:
        moved = CheckState(
            level=observed,
            since=at,
            previous_level=state.level,
            recent=recent,
            changes=state.changes + 1,
        )
        return moved, state.level, True
    return state.model_copy(update={"recent": recent}), state.level, False


@dataclass(frozen=True)
class _Observed:
    tunnel_id: str
    role: str | None
    status: str | None
    level: str


def _level_of(up: bool | None) -> str:
    return UNKNOWN if up is None else UP if up else DOWN


def observed_tunnels(connection: VpnConnection) -> list[_Observed]:
    """The tunnels a described connection reports; a single-tunnel connection is one tunnel named
    by the connection id, with the connection's own status."""
    if connection.tunnels:
        return [
            _Observed(t.tunnel_id, t.role, t.status, _level_of(t.up)) for t in connection.tunnels
        ]
    return [_Observed(connection.connection_id, None, connection.status, _level_of(connection.up))]


def tunnels_level(tunnels: Iterable[TunnelState]) -> str:
    """What the confirmed tunnels say of the connection: all down ``error``, some ``degraded``."""
    levels = [t.level for t in tunnels]
    down = levels.count(DOWN)
    if not down:
        return "normal"
    return "error" if down == len(levels) else DEGRADED


def _flap(marks: tuple[int, ...], changed: bool, number: int, rule: Rule) -> tuple[int, ...]:
    kept = (*marks, *([number] if changed else []))
    return tuple(m for m in kept if m > number - rule.flap_window)


def _advance_tunnel(
    state: TunnelState | None, seen: _Observed, at: datetime, number: int, rule: Rule
) -> tuple[TunnelState, TransitionKind | None, bool]:
    """(new state, flapping started/stopped if so, whether the confirmed level changed)."""
    if state is None:
        first = TunnelState(
            tunnel_id=seen.tunnel_id,
            role=seen.role,
            status=seen.status,
            level=seen.level,
            since=at,
            recent=(seen.level,),
        )
        # First sight is a change only when the tunnel is down: an unknown status (phase 1 only,
        # no status) is kept as unknown, but announcing it would page on every healthy estate
        # whose statuses lag (its later changes are transitions like any other).
        return first, None, seen.level == DOWN
    recent = (*state.recent, seen.level)[-rule.window :]
    changed = seen.level != state.level and recent.count(seen.level) >= rule.confirm
    marks = _flap(state.change_marks, changed, number, rule)
    flapping = len(marks) >= rule.flap_changes
    after = state.model_copy(
        update={
            "role": seen.role,
            "status": seen.status,
            "level": seen.level if changed else state.level,
            "since": at if changed else state.since,
            "previous_level": state.level if changed else state.previous_level,
            "recent": recent,
            "changes": state.changes + int(changed),
            "change_marks": marks,
            "flapping": flapping,
        }
    )
    flap: TransitionKind | None = None
    if flapping != state.flapping:
        flap = "flapping_started" if flapping else "flapping_stopped"
    return after, flap, changed


def _tunnel_transition(
    kind: TransitionKind, before: TunnelState | None, after: TunnelState, common: dict[str, Any]
) -> Transition:
    return Transition.model_validate(
        {
            "kind": kind,
            "scope": "tunnel",
            "check": None,
            "from_level": before.level if before else None,
            "to_level": after.level,
            "previous_since": before.since if before else None,
            "flapping": after.flapping,
            "tunnel_id": after.tunnel_id,
            "tunnel_role": after.role,
            "tunnel_status": after.status,
            **common,
        }
    )


def _advance_tunnels(
    state: ConnectionState | None,
    connection: VpnConnection | None,
    *,
    at: datetime,
    number: int,
    rule: Rule,
    common: dict[str, Any],
) -> tuple[dict[str, TunnelState], list[Transition]]:
    """The tunnels after this diagnosis. Not described: they stay as they were (nothing was
    observed); described: exactly the tunnels it lists (one that is gone is no longer tracked)."""
    before = dict(state.tunnels) if state else {}
    if connection is None:
        return before, []
    tunnels: dict[str, TunnelState] = {}
    transitions: list[Transition] = []
    for seen in observed_tunnels(connection):
        previous = before.get(seen.tunnel_id)
        after, flap, changed = _advance_tunnel(previous, seen, at, number, rule)
        tunnels[seen.tunnel_id] = after
        if changed:
            transitions.append(_tunnel_transition("changed", previous, after, common))
        if flap is not None:
            transitions.append(_tunnel_transition(flap, previous, after, common))
    return tunnels, transitions


def _names(state: ConnectionState | None, connection: VpnConnection | None) -> dict[str, Any]:
    if connection is None:
        if state is None:
            return {}
        return {
            "connection_name": state.connection_name,
            "gateway_name": state.gateway_name,
            "peer_ip": state.peer_ip,
        }
    return {
        "connection_name": connection.name,
        "gateway_name": connection.gateway_name,
        "peer_ip": peer_address(connection),
    }


def advance(
    state: ConnectionState | None,
    *,
    findings: Sequence[Finding],
    connection_id: str,
    gateway_id: str,
    region: str,
    diagnose_id: str,
    at: datetime,
    rule: Rule,
    connection: VpnConnection | None = None,
) -> tuple[ConnectionState, list[Transition]]:
    """Fold one diagnosis (its findings at time ``at``, and its connection as described when it
    was archived: ``None`` when it could not be) into the connection's state."""
    if state is not None and state.last_diagnose_id == diagnose_id:
        return state, []  # the same diagnosis again: nothing new happened
    common: dict[str, Any] = {
        "connection_id": connection_id,
        "gateway_id": gateway_id,
        "region": region,
        "at": at,
        "diagnose_id": diagnose_id,
    }
    checks = dict(state.checks) if state else {}
    transitions: list[Transition] = []
    for finding in findings:
        before = checks.get(finding.check)
        after, previous, changed = _advance_check(before, finding.level, at, rule)
        checks[finding.check] = after
        if changed:
            transitions.append(
                Transition(
                    kind="changed",
                    scope="check",
                    check=finding.check,
                    from_level=previous,
                    to_level=after.level,
                    previous_since=before.since if before else None,
                    flapping=state.flapping if state else False,
                    **common,
                )
            )
    number = (state.diagnoses if state else 0) + 1
    tunnels, tunnel_moves = _advance_tunnels(
        state, connection, at=at, number=number, rule=rule, common=common
    )
    transitions += tunnel_moves
    level = worst_level([*(c.level for c in checks.values()), tunnels_level(tunnels.values())])
    observed = {
        "tunnels": tunnels,
        "tunnels_observed": connection is not None,
        **_names(state, connection),
    }
    if state is None:
        new = ConnectionState(
            level=level,
            since=at,
            checks=checks,
            diagnoses=number,
            last_diagnose_id=diagnose_id,
            last_finish_time=at,
            connection_id=connection_id,
            gateway_id=gateway_id,
            region=region,
            **observed,
        )
        if level != "normal":
            first = _connection_change(
                None, level, since=None, flapping=False, tunnels=new.tunnel_marks(), common=common
            )
            transitions.insert(0, first)
        return new, transitions
    changed = level != state.level
    marks = _flap(state.change_marks, changed, number, rule)
    flapping = len(marks) >= rule.flap_changes
    new = state.model_copy(
        update={
            "level": level,
            "since": at if changed else state.since,
            "previous_level": state.level if changed else state.previous_level,
            "checks": checks,
            "diagnoses": number,
            "transitions": state.transitions + int(changed),
            "change_marks": marks,
            "flapping": flapping,
            "last_diagnose_id": diagnose_id,
            "last_finish_time": at,
            **observed,
        }
    )
    if changed:
        move = _connection_change(
            state.level,
            level,
            since=state.since,
            flapping=flapping,
            tunnels=new.tunnel_marks(),
            common=common,
        )
        transitions.insert(0, move)
    if flapping != state.flapping:
        kind: TransitionKind = "flapping_started" if flapping else "flapping_stopped"
        transitions.append(
            Transition(
                kind=kind,
                scope="connection",
                check=None,
                from_level=state.level,
                to_level=level,
                previous_since=state.since,
                flapping=flapping,
                tunnels=new.tunnel_marks(),
                **common,
            )
        )
    return new, transitions


def _connection_change(
    before: str | None,
    after: str,
    *,
    since: datetime | None,
    flapping: bool,
    tunnels: tuple[TunnelMark, ...],
    common: dict[str, Any],
) -> Transition:
    return Transition.model_validate(
        {
            "kind": "changed",
            "scope": "connection",
            "check": None,
            "from_level": before,
            "to_level": after,
            "previous_since": since,
            "flapping": flapping,
            "tunnels": tunnels,
            **common,
        }
    )
