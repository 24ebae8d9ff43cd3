"""A report, from an archive and a period: collected, computed, ordered worst first.

What the CLI (``vpndiag report``), the demo and the ``report`` function share.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from vpndiag.config import Settings
from vpndiag.health.actions import ActionTable
from vpndiag.health.thresholds import Thresholds
from vpndiag.model.summary import level_rank
from vpndiag.report import sla
from vpndiag.report.collect import ConnectionHistory, Reader, collect
from vpndiag.report.period import Period
from vpndiag.store.objects import ObjectStore


@dataclass(frozen=True)
class Row:
    """One connection in the report: what the archive says, and its figures."""

    history: ConnectionHistory
    figures: sla.Sla
    bands: tuple[sla.Band, ...]


@dataclass(frozen=True)
class Report:
    period: Period
    generated_at: datetime
    source: str  # where the archive is, as the store names it
    rows: tuple[Row, ...]  # worst first
    thresholds: Thresholds

    @property
    def availability(self) -> float | None:
        return sla.estate_availability(row.figures for row in self.rows)

    def count(self, level: str) -> int:
        return sum(1 for row in self.rows if row.history.level == level)

    @property
    def gateways(self) -> int:
        return len({(row.history.region, row.history.gateway_id) for row in self.rows})

    @property
    def regions(self) -> int:
        return len({row.history.region for row in self.rows})

    @property
    def transitions(self) -> int:
        return sum(row.figures.transitions for row in self.rows)

    @property
    def open_findings(self) -> int:
        return sum(len(row.history.findings) for row in self.rows)


def severity(rows: Iterable[Row]) -> tuple[int, int, float, int]:
    """A sort key, smallest first for the worst: level, flapping, availability, transitions."""
    listed = list(rows)
    worst = max((level_rank(r.history.level) for r in listed), default=0)
    flapping = any(r.history.flapping for r in listed)
    availability = min(
        (r.figures.availability for r in listed if r.figures.availability is not None),
        default=1.0,
    )
    transitions = sum(r.figures.transitions for r in listed)
    return (-worst, -int(flapping), availability, -transitions)


def build(
    objects: ObjectStore,
    prefix: str,
    period: Period,
    *,
    actions: ActionTable,
    thresholds: Thresholds,
    source: str,
    now: datetime | None = None,
    samples: int = 31,
    workers: int = 8,
) -> Report:
    """Read the period from the archive and compute every connection's figures."""
    reader = Reader(objects, prefix, period, actions, samples=samples)
    rows = []
    for history in collect(reader, workers=workers):
        changes = list(history.changes)
        rows.append(Row(history, sla.compute(changes, period), tuple(sla.bands(changes, period))))
    rows.sort(key=lambda r: (severity([r]), r.history.connection_id))
    return Report(
        period=period,
        generated_at=now or datetime.now(timezone.utc),
        source=source,
        rows=tuple(rows),
        thresholds=thresholds,
    )


def thresholds_of(settings: Settings) -> Thresholds:
    """The thresholds the archive applies, as its settings configure them (the report draws them)."""
    return Thresholds(
        quota_percent=settings.quota_threshold,
        rtt_ms=settings.rtt_threshold_ms,
        loss_percent=settings.loss_threshold,
    )
