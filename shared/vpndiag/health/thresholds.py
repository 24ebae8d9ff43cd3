"""Thresholds beyond the service's own levels.

The service decides its levels by rules of its own; an operator often wants to hear earlier (a quota
at 80 %, a path with 5 % loss). A threshold can raise a ``normal`` check to ``warning`` (never lower
a level), and the finding says so, so nobody mistakes it for the service's verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

from vpndiag.model.checks import ConnectivityDetail, QuotaDetail
from vpndiag.model.summary import CheckSummary


@dataclass(frozen=True)
class Thresholds:
    """``None`` disables a threshold."""

    quota_percent: float | None = 80.0
    rtt_ms: float | None = 150.0
    loss_percent: float | None = 5.0


@dataclass(frozen=True)
class Finding:
    """A check's level after thresholds: ``level`` is what alerts and states use."""

    check: str
    level: str
    service_level: str
    threshold: str | None = None  # "quota" | "rtt" | "loss": which threshold raised the level
    note: str | None = None


def _crossed(check: CheckSummary, limits: Thresholds) -> tuple[str, str] | None:
    detail = check.detail
    if isinstance(detail, QuotaDetail) and limits.quota_percent is not None:
        used = detail.used_percent
        if used is not None and used >= limits.quota_percent:
            return "quota", f"{used:.0f}% used, threshold {limits.quota_percent:g}%"
    if isinstance(detail, ConnectivityDetail) and detail.reachable:
        if limits.loss_percent is not None and (detail.loss_rate or 0) >= limits.loss_percent:
            return "loss", f"{detail.loss_rate:g}% loss, threshold {limits.loss_percent:g}%"
        if limits.rtt_ms is not None and (detail.rtt or 0) >= limits.rtt_ms:
            return "rtt", f"rtt {detail.rtt:g} ms, threshold {limits.rtt_ms:g} ms"
    return None


def assess(check: CheckSummary, limits: Thresholds) -> Finding:
    """The check's effective level: the service's, raised to warning where a threshold is crossed."""
    if check.level != "normal":
        return Finding(check.name, check.level, check.level)
    crossed = _crossed(check, limits)
    if crossed is None:
        return Finding(check.name, "normal", "normal")
    kind, measured = crossed
    return Finding(
        check.name,
        "warning",
        "normal",
        threshold=kind,
        note=f"the service said normal; {measured}",
    )
