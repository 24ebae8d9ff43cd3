"""The work item the sweep hands to the archive, and the in-process pool that can archive it.

The item is the archive function's own direct-invocation payload, so both hand-offs give the
archive the very same request: the pool parses the bytes the FC hand-off would send.
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from vpndiag.events import DiagnosisRequest, parse_event
from vpndiag.http.deadline import Deadline
from vpndiag.sweep.outcome import Status

if TYPE_CHECKING:
    from vpndiag.app import ArchiveApp


@dataclass(frozen=True)
class WorkItem:
    """One diagnosis to archive (or, without ``diagnose_id``, a gateway's latest one)."""

    region: str
    gateway_id: str
    correlation_id: str
    diagnose_id: str | None = None
    connection_id: str | None = None
    account_id: str | None = None

    def payload(self) -> bytes:
        """The archive function's event: ``{"RegionId", "VpnGatewayId", "DiagnoseId", ...}``."""
        document = {
            "RegionId": self.region,
            "VpnGatewayId": self.gateway_id,
            "DiagnoseId": self.diagnose_id,
            "VpnConnectionId": self.connection_id,
            "AccountId": self.account_id,
            "CorrelationId": self.correlation_id,
        }
        present = {k: v for k, v in document.items() if v is not None}
        return json.dumps(present, separators=(",", ":")).encode("ascii")

    def request(self) -> DiagnosisRequest:
        """The request the archive function reads from ``payload()``."""
        (request,) = parse_event(self.payload(), invocation_id=self.correlation_id).requests
        return request


class Handoff(Protocol):
    """Where work items go; ``submit`` never blocks on the archive itself."""

    @property
    def name(self) -> str: ...

    def submit(self, item: WorkItem, deadline: Deadline) -> Future[Status]: ...

    def close(self) -> None:
        """Wait for what was submitted (each item is bounded by its deadline)."""
        ...


class PoolHandoff:
    """Archives in this process on a bounded pool: small estates and local runs.

    The pipeline waits for each diagnosis to finish, so an item holds a worker for the diagnosis's
    duration; large estates use the FC hand-off, where each item is its own invocation.
    """

    name = "pool"

    def __init__(self, app: ArchiveApp, workers: int) -> None:
        self._app = app
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="vpndiag-archive")

    def submit(self, item: WorkItem, deadline: Deadline) -> Future[Status]:
        return self._pool.submit(self._archive, item, deadline)

    def _archive(self, item: WorkItem, deadline: Deadline) -> Status:
        return self._app.archive(item.request(), deadline).status

    def close(self) -> None:
        self._pool.shutdown(wait=True)
