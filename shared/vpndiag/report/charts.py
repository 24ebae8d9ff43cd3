"""Inline SVG charts: a connection's state bands with its transitions, and small trend lines.

Pure functions returning markup. Every piece of text that reaches the markup (tooltips, labels)
is escaped here; colours come from the page's stylesheet through the ``lv-*`` classes, so the
charts carry no style of their own.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from vpndiag.report.period import Period
from vpndiag.report.sla import Band, Change

KNOWN_LEVELS = ("normal", "warning", "degraded", "error")
# The timeline's own coordinate width: it is stretched to the column, so only its ratios matter.
_WIDTH = 1000.0


def level_class(level: str | None) -> str:
    """The CSS class of a level: ``lv-none`` without data, ``lv-other`` for a level vpndiag does
    not know (never the level itself, which comes from archived data)."""
    if level is None:
        return "lv-none"
    return f"lv-{level}" if level in KNOWN_LEVELS else "lv-other"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _x(moment: datetime, period: Period, width: float) -> float:
    offset = (moment - period.start).total_seconds() / period.seconds
    return round(min(max(offset, 0.0), 1.0) * width, 2)


def timeline(bands: Sequence[Band], changes: Sequence[Change], period: Period) -> str:
    """The period as coloured bands, one per level held, and a tick at each change within it.

    Each band and tick has a tooltip (``<title>``) saying what and when.
    """
    parts = [
        f'<svg class="timeline" viewBox="0 0 {_WIDTH:g} 20" preserveAspectRatio="none" '
        'role="img" aria-label="state over the period">'
    ]
    for band in bands:
        x0, x1 = _x(band.start, period, _WIDTH), _x(band.end, period, _WIDTH)
        label = band.level if band.level is not None else "no data"
        tip = f"{label}: {_when(band.start)} to {_when(band.end)} UTC"
        parts.append(
            f'<rect class="{level_class(band.level)}" x="{x0:g}" y="3" width="{x1 - x0:g}" '
            f'height="14"><title>{html.escape(tip)}</title></rect>'
        )
    for change in changes:
        if not period.contains(change.at) or change.from_level is None:
            continue
        x = _x(change.at, period, _WIDTH)
        tip = f"{_when(change.at)} UTC: {change.from_level} to {change.to_level}"
        if change.flapping:
            tip += " (flapping)"
        parts.append(
            f'<path class="mark" d="M{x:g} 0V20" vector-effect="non-scaling-stroke">'
            f"<title>{html.escape(tip)}</title></path>"
        )
    parts.append("</svg>")
    return "".join(parts)


def sparkline(
    points: Sequence[tuple[datetime, float]],
    period: Period,
    *,
    label: str,
    unit: str,
    top: float | None = None,
    threshold: float | None = None,
    width: int = 150,
    height: int = 30,
) -> str:
    """A small line of ``points`` over the period, scaled from 0 to ``top`` (default: the
    largest value), with a dashed line at ``threshold`` when given and within the scale."""
    if not points:
        return ""
    ordered = sorted(points)
    peak = max(value for _, value in ordered)
    scale = top if top is not None else max(peak, threshold or 0.0, 1e-9)
    inner = height - 4

    def y(value: float) -> float:
        return round(height - 2 - min(max(value / scale, 0.0), 1.0) * inner, 2)

    coords = [(_x(at, period, width - 4) + 2, y(value)) for at, value in ordered]
    last_at, last = ordered[-1]
    tip = f"{label}: last {last:g} {unit} at {_when(last_at)} UTC; peak {peak:g} {unit}"
    parts = [
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{html.escape(label)}"><title>{html.escape(tip)}</title>'
    ]
    if threshold is not None and threshold <= scale:
        parts.append(f'<path class="limit" d="M2 {y(threshold):g}H{width - 2}"/>')
    line = " ".join(f"{x:g},{yy:g}" for x, yy in coords)
    parts.append(f'<polyline class="line" points="{line}"/>')
    dots = "".join(f"M{x:g} {yy:g}h0" for x, yy in coords)
    parts.append(f'<path class="dots" d="{dots}"/>')
    parts.append("</svg>")
    return "".join(parts)
