"""A connection's timeline, read back from its state snapshots: what ``vpndiag history`` prints."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from vpndiag.health.store import Snapshot
from vpndiag.health.transitions import TunnelMark
from vpndiag.store.objects import ObjectStore


@dataclass(frozen=True)
class Change:
    """One change of a connection's level, with how long the previous level lasted and why."""

    at: datetime
    diagnose_id: str
    from_level: str | None
    to_level: str
    lasted_seconds: float | None
    flapping: bool
    causes: tuple[str, ...]
    root_cause: tuple[str, ...]
    archive_key: str
    scope: str = "connection"  # or "tunnel": one tunnel's own change
    tunnel_id: str | None = None  # scope tunnel: the tunnel that changed
    tunnel_role: str | None = None
    tunnels: tuple[str, ...] = ()  # scope connection: the tunnels not up after the change


def _causes(snapshot: Snapshot) -> tuple[str, ...]:
    return tuple(
        f"{f['check']} {f['level']}: {f.get('sentence') or ''}".rstrip(": ")
        for f in snapshot.findings
        if f.get("level") != "normal"
    )


def _root_cause(snapshot: Snapshot) -> tuple[str, ...]:
    cause = snapshot.root_cause or {}
    tunnels = cause.get("tunnels")
    if not isinstance(tunnels, list):
        return ()
    found = []
    for t in tunnels:
        if not isinstance(t, dict):
            continue
        who = str(t.get("tunnel_id") or "?") + (f" ({t['role']})" if t.get("role") else "")
        if t.get("answered") is False:
            # A failure was expected (not established) and the service said nothing: say so.
            found.append(f"{who}: no answer ({t.get('source_log_note') or 'nothing returned'})")
        elif t.get("failed_reason_code"):
            found.append(f"{who}: {t.get('failed_reason_code')} ({t.get('failed_reason')})")
    return tuple(found)


def changes(snapshots: Iterator[Snapshot]) -> list[Change]:
    """Every connection-level and tunnel-level change and flapping start/stop, oldest first."""
    found = []
    for snapshot in snapshots:
        for move in snapshot.transitions:
            if move.scope == "check":
                continue
            found.append(
                Change(
                    at=move.at,
                    diagnose_id=move.diagnose_id,
                    from_level=move.from_level,
                    to_level=move.to_level if move.kind == "changed" else move.kind,
                    lasted_seconds=move.duration_seconds,
                    flapping=move.flapping,
                    causes=_causes(snapshot) if move.scope == "connection" else (),
                    root_cause=_root_cause(snapshot),
                    archive_key=snapshot.archive_key,
                    scope=move.scope,
                    tunnel_id=move.tunnel_id,
                    tunnel_role=move.tunnel_role,
                    tunnels=tuple(_tunnel(t) for t in move.tunnels_down),
                )
            )
    return found


def _tunnel(mark: TunnelMark) -> str:
    role = f" ({mark.role})" if mark.role else ""
    status = f": {mark.status}" if mark.status else ""
    return f"{mark.tunnel_id}{role} {mark.level}{status}"


def connections(objects: ObjectStore, prefix: str = "") -> list[str]:
    """Every connection with a recorded state, sorted."""
    marker = f"{prefix}state/connection="
    return sorted({key[len(marker) :].split("/", 1)[0] for key in objects.list(marker)})


def duration(seconds: float | None) -> str:
    """A duration as an engineer reads it: 3d 4h, 2h 5m, 40s."""
    if seconds is None:
        return "-"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
