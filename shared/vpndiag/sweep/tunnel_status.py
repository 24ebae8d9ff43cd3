"""Each tunnel's status, as DescribeVpnConnections gave it, logged once per sweep tick.

A diagnosis runs only when one is started (and the VPN health events fire only on a change of
state), so without these records a tunnel that has been down since before the rule existed, or
whose gateway refuses diagnoses, would leave no trace. One record per tunnel (one per
single-tunnel connection, ``tunnel_id`` empty), fields listed in ``docs/tunnel-status.md``.

Exactly once per tick, the way the archive writes a diagnosis's records (``archive/pipeline.py``):
a create-only ``.logged`` marker says the tick's records landed (a replayed tick writes nothing),
and a lease (``archive/lease.py``) keeps two attempts of one tick from writing at the same time.
Gap: the log store can list landed record ids only per diagnosis (``LogStore.record_ids``), so an
attempt that takes over from a holder that died mid-write writes the tick's records again; their
``record_id`` is deterministic, so a reader can drop such duplicates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Final

from vpndiag.archive import lease
from vpndiag.http.deadline import Deadline
from vpndiag.model.connection import VpnConnection, status_up
from vpndiag.store.logs import LogRecord, LogStore
from vpndiag.store.objects import ObjectStore

RECORD_TYPE: Final = "tunnel_status"
TOPIC: Final = "vpndiag"
LEASE_SECONDS: Final = 60.0


def _up(status: str | None) -> str:
    up = status_up(status)
    return "unknown" if up is None else ("true" if up else "false")


def records_for(
    tick: str,
    region: str,
    connections: Iterable[VpnConnection],
    *,
    gateway_names: dict[str, str],
    now: int,
) -> list[LogRecord]:
    """One ``tunnel_status`` record per tunnel of each connection (names filled where known)."""
    records: list[LogRecord] = []
    for connection in connections:
        gateway = connection.gateway_id or ""
        common = {
            "record_type": RECORD_TYPE,
            "tick": tick,
            "region": region,
            "gateway_id": gateway,
            "gateway_name": connection.gateway_name or gateway_names.get(gateway, ""),
            "connection_id": connection.connection_id,
            "connection_name": connection.name or "",
            "attach_type": connection.attach_type or "",
            "transit_router_id": connection.transit_router_id or "",
        }
        rows: Sequence[tuple[str, str, str | None, str | None, str | None]] = (
            [
                (t.tunnel_id, t.role or "", t.status, t.state, t.peer_ip or connection.peer_ip)
                for t in connection.tunnels
            ]
            if connection.dual_tunnel
            else [("", "", connection.status, connection.state, connection.peer_ip)]
        )
        for tunnel, role, status, state, peer in rows:
            records.append(
                LogRecord(
                    time=now,
                    topic=TOPIC,
                    source=gateway or connection.transit_router_id or region,
                    contents={
                        **common,
                        "record_id": (
                            f"{RECORD_TYPE}/{tick}/{connection.connection_id}/{tunnel or '-'}"
                        ),
                        "tunnel_id": tunnel,
                        "role": role,
                        "status": status or "",
                        "state": state or "",
                        "up": _up(status),
                        "peer_ip": peer or "",
                    },
                )
            )
    return records


class TunnelStatusLog:
    """Writes a tick's ``tunnel_status`` records once (see the module's docstring)."""

    def __init__(
        self,
        objects: ObjectStore,
        logs: LogStore,
        prefix: str,
        *,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self._objects = objects
        self._logs = logs
        self._prefix = prefix
        self._lease = lease_seconds

    def key(self, tick: str) -> str:
        """The object key the tick's marker and lease are named after."""
        # The tick is a timestamp or an invocation id: hashed, it is always a plain key segment.
        digest = hashlib.sha256(tick.encode()).hexdigest()[:32]
        return f"{self._prefix}sweep/ticks/{digest}/tunnel-status"

    def write(self, tick: str, records: list[LogRecord], *, now: float, deadline: Deadline) -> int:
        """Write ``records`` unless this tick's already landed; returns how many were written.

        Raises ``ArchiveInProgress`` (retryable) while another attempt of the tick holds the lease.
        """
        key = self.key(tick)
        logged = key + ".logged"
        if self._objects.exists(logged):
            return 0
        claim = lease.take(
            self._objects,
            key + ".pending",
            subject=f"tunnel status records of tick {tick}",
            now=now,
            duration=self._lease,
        )
        if records:
            try:
                self._logs.put(records, deadline=lease.writing_deadline(deadline, self._lease))
            except Exception as exc:
                if lease.nothing_landed(exc):
                    lease.release(self._objects, claim)
                raise
        self._objects.put_if_absent(logged, b"", content_type="text/plain")
        return len(records)
