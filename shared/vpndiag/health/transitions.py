"""Connection health as a state machine: confirmed levels, transitions, flapping.

A check's level changes only when the new level is seen in ``confirm`` of the last ``window``
diagnoses (N-of-M), so one bad probe does not page anyone; a connection's level is the worst of its
checks' confirmed levels. A connection that changed level ``flap_changes`` times within its last
``flap_window`` diagnoses is flapping: its changes still count, but carry the flag, and entering and
leaving the flapping state are transitions of their own.

Everything here is pure: the same state and the same diagnosis always give the same result, which
is what lets replays and concurrent retries agree byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from vpndiag.health.thresholds import Finding
from vpndiag.model.summary import worst_level

STATE_VERSION = "1"


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


class ConnectionState(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str = STATE_VERSION
    connection_id: str
    gateway_id: str
    region: str
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


TransitionKind = Literal["changed", "flapping_started", "flapping_stopped"]


class Transition(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: TransitionKind
    scope: Literal["connection", "check"]
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

    @property
    def duration_seconds(self) -> float | None:
        """How long the previous level lasted."""
        if self.previous_since is None:
            return None
        return (self.at - self.previous_since).total_seconds()

    @property
    def event_id(self) -> str:
        """Stable across replays and retries, so consumers can de-duplicate."""
        parts = (self.connection_id, self.diagnose_id, self.kind, self.scope, self.check or "")
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
) -> tuple[ConnectionState, list[Transition]]:
    """Fold one diagnosis (its findings at time ``at``) into the connection's state."""
    if state is not None and state.last_diagnose_id == diagnose_id:
        return state, []  # the same diagnosis again: nothing new happened
    common = {
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
    level = worst_level(c.level for c in checks.values())
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
        )
        if level != "normal":
            transitions.insert(0, _connection_change(None, level, None, False, common))
        return new, transitions
    changed = level != state.level
    marks = tuple(
        m
        for m in (*state.change_marks, *([number] if changed else []))
        if m > number - rule.flap_window
    )
    flapping = len(marks) >= rule.flap_changes
    if changed:
        transitions.insert(0, _connection_change(state.level, level, state.since, flapping, common))
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
                **common,
            )
        )
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
        }
    )
    return new, transitions


def _connection_change(
    before: str | None,
    after: str,
    since: datetime | None,
    flapping: bool,
    common: dict[str, object],
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
            **common,
        }
    )
