"""The archive pipeline: fetch a finished diagnosis, normalise it, keep it exactly once.

Write order, and why it survives a crash at any point under the platform's at-least-once retries:
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
5. the ``records-written`` marker.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from vpndiag.archive import layout
from vpndiag.archive.records import records_for
from vpndiag.errors import ArchiveConflict, ArchiveInProgress, DiagnosisPending, ResponseError
from vpndiag.events import DiagnosisRequest
from vpndiag.http.deadline import Deadline
from vpndiag.model.response import DiagnoseResult, parse_result
from vpndiag.model.summary import DiagnosisSummary
from vpndiag.normalize import normalize
from vpndiag.store.logs import LogStore
from vpndiag.store.objects import ObjectStore, PutOutcome

log = logging.getLogger("vpndiag.archive")
# Records are never dated further back than this (see records.record_time), so a look-up this far
# back finds every record an earlier attempt can have written.
_LOOKBACK = 7 * 24 * 3600
# A write in flight when its deadline passes can still land a little later: the lease outlasts the
# writing deadline by this much.
_LEASE_MARGIN = 15.0
# Each takeover follows a holder that died; more than a few in a row means something else is wrong.
_MAX_TAKEOVERS = 5


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

    def to_json(self) -> dict[str, Any]:
        """What a synchronous caller or an async destination receives."""
        return {
            "status": self.status,
            "archive": self.location,
            "objects_created": self.objects_created,
            "records_written": self.records_written,
            "summary": self.summary.model_dump(mode="json", exclude={"request_id"}),
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

    def archive(self, request: DiagnosisRequest, deadline: Deadline) -> ArchiveResult:
        body, result = self._fetch_finished(request, deadline)
        summary = normalize(result, region=request.region, account_id=request.account_id)
        keys = layout.keys_for(summary, self._prefix)
        meta = {"diagnose-id": summary.diagnose_id, "correlation-id": request.correlation_id}
        created = sum(
            self._objects.put_if_absent(key, data, content_type="application/json", metadata=meta)
            is PutOutcome.CREATED
            for key, data in (
                (keys.raw, layout.raw_document(body)),
                (keys.summary, layout.summary_document(summary)),
            )
        )
        written = self._write_records(summary, keys, result.request_id, deadline)
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
            summary, keys, status, created, written, self._objects.location(keys.summary)
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
        keys: layout.ArchiveKeys,
        request_id: str | None,
        deadline: Deadline,
    ) -> int:
        if self._objects.exists(keys.logged):
            return 0
        now = self._now()
        records = records_for(
            summary, archive_key=keys.summary, request_id=request_id, now=int(now)
        )
        took_over = self._take_lease(keys.pending, summary.diagnose_id, now)
        if took_over:
            landed = self._logs.record_ids(summary.diagnose_id, int(now) - _LOOKBACK)
            records = [r for r in records if r.record_id not in landed]
        if records:
            # Writes stop a margin before the lease ends, whatever the invocation has left.
            left = min(deadline.remaining(), self._lease - _LEASE_MARGIN)
            self._logs.put(records, deadline=Deadline.after(left))
        self._objects.put_if_absent(keys.logged, b"", content_type="text/plain")
        return len(records)

    def _take_lease(self, pending: str, diagnose_id: str, now: float) -> bool:
        """Hold the lease on the records, or raise; True when taking over from a dead holder."""
        for number in range(_MAX_TAKEOVERS + 1):
            key = pending if number == 0 else f"{pending}.{number}"
            # A unique token makes every claim's bytes differ: a second claimant always conflicts.
            claim = json.dumps({"expires": now + self._lease, "token": uuid.uuid4().hex})
            try:
                self._objects.put_if_absent(key, claim.encode(), content_type="application/json")
                return number > 0
            except ArchiveConflict:
                expires = _lease_expiry(self._objects.get(key))
                if expires > now:
                    raise ArchiveInProgress(diagnose_id, expires - now) from None
        raise ArchiveInProgress(diagnose_id, self._lease)


def _lease_expiry(claim: bytes | None) -> float:
    """When a claim expires; an unreadable or vanished claim counts as expired."""
    try:
        expires = json.loads(claim or b"")["expires"]
    except (ValueError, KeyError, TypeError):
        return 0.0
    return float(expires) if isinstance(expires, (int, float)) else 0.0


def _check_identity(request: DiagnosisRequest, result: DiagnoseResult) -> None:
    """An answer about another diagnosis or gateway must never be archived under this request."""
    if request.diagnose_id and result.diagnose_id != request.diagnose_id:
        raise ResponseError("vpc", f"asked for {request.diagnose_id}, got {result.diagnose_id!r}")
    if request.gateway_id and result.vpn_gateway_id != request.gateway_id:
        raise ResponseError("vpc", f"asked for {request.gateway_id}, got {result.vpn_gateway_id!r}")
