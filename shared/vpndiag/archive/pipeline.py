"""The archive pipeline: fetch a finished diagnosis, normalise it, keep it exactly once.

Write order, and why it survives a crash at any point under the platform's at-least-once retries:
0. the connection's description (DescribeVpnConnections: its tunnels, names and peer address),
   taken once and kept create-only (``vpndiag.archive.described``): the summary carries its names
   and the health state its tunnels, so every attempt must see the same one;
1. raw and summary objects, create-only (a replay finds identical bytes and moves on);
2. if the ``records-written`` marker exists, stop: everything is there;
3. a lease on writing the records: the ``records-pending`` marker, create-only, holding when the
   lease expires. If another attempt holds an unexpired lease (a concurrent replay, or a writer
   still at work), this attempt stops with a retryable ``ArchiveInProgress`` and writes nothing.
   If the lease has expired, its holder died between its first record and the final marker: this
   attempt takes over with the next numbered marker (``records-pending.1``, ...), asks the store
   which record ids landed and writes only the rest;
4. the log records, under a deadline that ends before the lease does, so no write of an attempt
   can land after another has taken over;
5. the ``records-written`` marker;
and around the records, the connection's health (``vpndiag.health.tracker``), with the same
create-only idempotence: before them its findings, root cause and state snapshot (whose
transitions become records of their own), after them its events.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from vpndiag import identifiers
from vpndiag.archive import described, layout, lease
from vpndiag.archive.records import records_for, transition_records
from vpndiag.errors import DiagnosisPending, ResponseError
from vpndiag.events import DiagnosisRequest
from vpndiag.http.deadline import Deadline
from vpndiag.model.response import DiagnoseResult, parse_result
from vpndiag.model.summary import DiagnosisSummary
from vpndiag.normalize import normalize, with_connection
from vpndiag.store.logs import LogRecord, LogStore
from vpndiag.store.objects import ObjectStore, PutOutcome

if TYPE_CHECKING:  # health is imported only where it is switched on (cold start)
    from vpndiag.health.tracker import HealthOutcome, HealthTracker

log = logging.getLogger("vpndiag.archive")
# Records are never dated further back than this (see records.record_time), so a look-up this far
# back finds every record an earlier attempt can have written.
_LOOKBACK = 7 * 24 * 3600


class DiagnosisSource(Protocol):
    def get_diagnose_result(
        self,
        region: str,
        *,
        deadline: Deadline,
        diagnose_id: str | None = None,
        gateway_id: str | None = None,
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ArchiveResult:
    summary: DiagnosisSummary
    keys: layout.ArchiveKeys
    status: Literal["archived", "replayed"]
    objects_created: int
    records_written: int
    location: str
    health: HealthOutcome | None = None
    connection: described.Described | None = None

    def to_json(self) -> dict[str, Any]:
        """What a synchronous caller or an async destination receives."""
        return {
            "status": self.status,
            "archive": self.location,
            "objects_created": self.objects_created,
            "records_written": self.records_written,
            "summary": self.summary.model_dump(mode="json", exclude={"request_id"}),
            "health": self.health.to_json() if self.health else None,
        }


class ArchivePipeline:
    def __init__(
        self,
        *,
        source: DiagnosisSource,
        objects: ObjectStore,
        logs: LogStore,
        prefix: str = "",
        poll_interval: float = 2.0,
        write_reserve: float = 3.0,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
        lease: float = 60.0,
        health: HealthTracker | None = None,
        connections: described.ConnectionSource | None = None,
    ) -> None:
        self._source = source
        self._objects = objects
        self._logs = logs
        self._prefix = prefix
        self._poll_interval = poll_interval
        self._write_reserve = write_reserve
        self._sleep = sleep
        self._now = now
        self._lease = lease
        self._health = health
        self._connections = connections

    def archive(self, request: DiagnosisRequest, deadline: Deadline) -> ArchiveResult:
        body, result = self._fetch_finished(request, deadline)
        summary = normalize(result, region=request.region, account_id=request.account_id)
        keys = layout.keys_for(summary, self._prefix)
        now = self._now()

        def records(summary: DiagnosisSummary) -> list[LogRecord]:
            return records_for(
                summary, archive_key=keys.summary, request_id=result.request_id, now=int(now)
            )

        # Checked before the first write: a diagnosis that cannot be archived whole is not
        # archived at all (the names added below are short, single fields).
        _check_archivable(summary, records(summary))
        description = self._describe(summary, keys, request.region, deadline)
        connection = description.connection if description else None
        summary = with_connection(summary, connection)
        meta = {"diagnose-id": summary.diagnose_id, "correlation-id": request.correlation_id}
        created = sum(
            self._objects.put_if_absent(key, data, content_type="application/json", metadata=meta)
            is PutOutcome.CREATED
            for key, data in (
                (keys.raw, layout.raw_document(body)),
                (keys.summary, layout.summary_document(summary)),
            )
        )
        health = (
            self._health.update(summary, keys, deadline, connection, request.tunnel_id)
            if self._health
            else None
        )
        written = self._write_records(
            summary, keys=keys, records=records(summary), now=now, deadline=deadline, health=health
        )
        if self._health and health:
            health = self._health.publish(summary, health, keys, deadline)
        status: Literal["archived", "replayed"] = "archived" if created or written else "replayed"
        log.info(
            "diagnosis %s %s",
            summary.diagnose_id,
            status,
            extra={
                "diagnose_id": summary.diagnose_id,
                "gateway_id": summary.gateway_id,
                "connection_id": summary.resource_id,
                "level": summary.level,
                "correlation_id": request.correlation_id,
                "records_written": written,
            },
        )
        return ArchiveResult(
            summary,
            keys,
            status,
            created,
            written,
            self._objects.location(keys.summary),
            health,
            description,
        )

    def _describe(
        self, summary: DiagnosisSummary, keys: layout.ArchiveKeys, region: str, deadline: Deadline
    ) -> described.Described | None:
        """The connection's kept description; None when there is no connection to describe."""
        if self._connections is None or summary.resource_id is None or not summary.complete:
            return None
        if summary.resource_type not in (None, "IPsec"):
            return None
        return described.take(
            self._objects,
            keys.described,
            self._connections,
            region=region,
            connection_id=summary.resource_id,
            deadline=deadline,
        )

    def _fetch_finished(
        self, request: DiagnosisRequest, deadline: Deadline
    ) -> tuple[dict[str, Any], DiagnoseResult]:
        """Poll while the diagnosis runs; past the time left, hand it back to the platform."""
        while True:
            body = self._source.get_diagnose_result(
                request.region,
                deadline=deadline,
                diagnose_id=request.diagnose_id,
                gateway_id=request.gateway_id,
            )
            result = parse_result(body)
            _check_identity(request, result)
            if result.complete:
                return body, result
            if deadline.remaining() < self._poll_interval + self._write_reserve:
                raise DiagnosisPending(
                    result.diagnose_id, result.finished_count, result.total_count
                )
            self._sleep(self._poll_interval)

    def _write_records(
        self,
        summary: DiagnosisSummary,
        *,
        keys: layout.ArchiveKeys,
        records: list[LogRecord],
        now: float,
        deadline: Deadline,
        health: HealthOutcome | None,
    ) -> int:
        if self._objects.exists(keys.logged):
            return 0
        if health is not None:
            # Transitions are records too, so SLS alerts can fire on changes, not on every run.
            records += transition_records(summary, health.snapshot, now=int(now))
        claim = lease.take(
            self._objects,
            keys.pending,
            subject=f"records of {summary.diagnose_id}",
            now=now,
            duration=self._lease,
        )
        if claim.took_over:
            landed = self._logs.record_ids(summary.diagnose_id, int(now) - _LOOKBACK)
            records = [r for r in records if r.record_id not in landed]
        if records:
            try:
                self._logs.put(records, deadline=lease.writing_deadline(deadline, self._lease))
            except Exception as exc:
                # Refused outright: let the platform's retry in without waiting for the lease.
                if lease.nothing_landed(exc):
                    lease.release(self._objects, claim)
                raise
        self._objects.put_if_absent(keys.logged, b"", content_type="text/plain")
        return len(records)


# SLS refuses a log value of 1 MiB or more (and with it the whole request).
_MAX_VALUE_BYTES = 1024 * 1024 - 1


def _check_archivable(summary: DiagnosisSummary, records: list[LogRecord]) -> None:
    """Refuse, before any write, a diagnosis the archive could only write in part."""
    if summary.resource_id is not None and summary.resource_type in (None, "IPsec"):
        # It becomes a state key and an event subject: it must be a connection id.
        identifiers.connection_id(summary.resource_id)
    for record in records:
        for field, value in record.contents.items():
            size = len(value.encode())
            if size > _MAX_VALUE_BYTES:
                raise ResponseError(
                    "vpc",
                    f"{record.record_id}: {field} is {size} bytes, over the log store's "
                    "1 MiB value limit",
                )


def _check_identity(request: DiagnosisRequest, result: DiagnoseResult) -> None:
    """An answer about another diagnosis or gateway must never be archived under this request."""
    if request.diagnose_id and result.diagnose_id != request.diagnose_id:
        raise ResponseError("vpc", f"asked for {request.diagnose_id}, got {result.diagnose_id!r}")
    if request.gateway_id and result.vpn_gateway_id != request.gateway_id:
        raise ResponseError("vpc", f"asked for {request.gateway_id}, got {result.vpn_gateway_id!r}")
