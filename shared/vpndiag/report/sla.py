"""Availability, transitions, time to recovery and top causes of one connection over a period.

Pure: the input is the connection's level changes as its state snapshots record them (what
``collect`` reads), oldest first, reaching back far enough to know the level at the period's
start. Definitions (docs/reports.md):

- *observed*: the part of the period in which the connection's level is known, from its first
  diagnosis (or the period start) to the period end; before a first sighting there is no data;
- *availability*: time at ``normal`` / observed time;
- *transitions*: level changes within the period (a first sighting is not one);
- a *spell*: an unbroken stretch of levels other than ``normal``; its *time to recovery* runs from
  its first archived change away from ``normal`` (or the earliest point the archive shows, when
  it began before that) to the change back to ``normal``; *MTTR* is the mean over the spells that
  recovered within the period;
- *top causes*: the causes of the changes into a non-normal level within the period, most
  frequent first (ties by name).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from vpndiag.report.period import Period

NORMAL = "normal"
TOP_CAUSES = 3


@dataclass(frozen=True)
class Change:
    """The connection's level changed at ``at``; ``from_level`` None: first sighting."""

    at: datetime
    from_level: str | None
    to_level: str
    flapping: bool = False
    causes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Band:
    """``[start, end)`` at one level; ``level`` None: no data."""

    start: datetime
    end: datetime
    level: str | None


@dataclass(frozen=True)
class Sla:
    availability: float | None  # share of the observed time at normal, 0..1; None: no data
    observed_seconds: float
    seconds: Mapping[str, float] = field(default_factory=dict)  # time at each level
    transitions: int = 0
    recoveries: int = 0
    mttr_seconds: float | None = None
    top_causes: tuple[tuple[str, int], ...] = ()


def _bad(level: str | None) -> bool:
    return level is not None and level != NORMAL


def _initial(changes: Sequence[Change], start: datetime) -> str | None:
    """The level at ``start``: set by the last change at or before it, else the level the first
    change left (None when that was a first sighting: no data yet)."""
    before = [c for c in changes if c.at <= start]
    if before:
        return before[-1].to_level
    return changes[0].from_level if changes else None


def bands(changes: Sequence[Change], period: Period) -> list[Band]:
    """The period cut into stretches of one level, adjacent equal levels merged."""
    ordered = sorted(changes, key=lambda c: c.at)
    level = _initial(ordered, period.start)
    found: list[Band] = []
    cursor = period.start
    for change in ordered:
        if period.start < change.at < period.end:
            found.append(Band(cursor, change.at, level))
            cursor, level = change.at, change.to_level
    found.append(Band(cursor, period.end, level))
    merged: list[Band] = []
    for band in found:
        if band.end <= band.start:
            continue
        if merged and merged[-1].level == band.level:
            merged[-1] = Band(merged[-1].start, band.end, band.level)
        else:
            merged.append(band)
    return merged


def _recovery_times(changes: Sequence[Change], period: Period) -> list[float]:
    spell_start: datetime | None = None
    if changes and _bad(changes[0].from_level):
        # The spell began before anything the archive shows: count from the earliest point it does.
        spell_start = min(changes[0].at, period.start)
    found = []
    for change in changes:
        if _bad(change.to_level) and not _bad(change.from_level):
            spell_start = change.at
        elif change.to_level == NORMAL and _bad(change.from_level):
            if spell_start is not None and period.contains(change.at):
                found.append((change.at - spell_start).total_seconds())
            spell_start = None
    return found


def _top_causes(changes: Iterable[Change]) -> tuple[tuple[str, int], ...]:
    counted = Counter(cause for change in changes for cause in dict.fromkeys(change.causes))
    ranked = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    return tuple(ranked[:TOP_CAUSES])


def compute(changes: Sequence[Change], period: Period) -> Sla:
    """The connection's figures over ``period``."""
    ordered = sorted(changes, key=lambda c: c.at)
    seconds: dict[str, float] = {}
    for band in bands(ordered, period):
        if band.level is not None:
            length = (band.end - band.start).total_seconds()
            seconds[band.level] = seconds.get(band.level, 0.0) + length
    observed = sum(seconds.values())
    within = [c for c in ordered if period.contains(c.at)]
    recoveries = _recovery_times(ordered, period)
    return Sla(
        availability=seconds.get(NORMAL, 0.0) / observed if observed else None,
        observed_seconds=observed,
        seconds=seconds,
        transitions=sum(1 for c in within if c.from_level is not None),
        recoveries=len(recoveries),
        mttr_seconds=sum(recoveries) / len(recoveries) if recoveries else None,
        top_causes=_top_causes(c for c in within if _bad(c.to_level)),
    )


def estate_availability(figures: Iterable[Sla]) -> float | None:
    """Normal time over observed time, summed over connections (each weighted by its data)."""
    normal = observed = 0.0
    for sla in figures:
        normal += sla.seconds.get(NORMAL, 0.0)
        observed += sla.observed_seconds
    return normal / observed if observed else None
