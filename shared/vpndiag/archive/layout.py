"""Deterministic archive keys and byte-stable documents.

Keys come from the diagnosis identity and its finish date, never from the wall clock, so a replay
addresses the same objects; documents are serialised canonically, so a replay produces the same
bytes. Hive-style segments make the archive queryable by date, region and gateway as it stands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from vpndiag import identifiers
from vpndiag.model.summary import DiagnosisSummary

# Per-fetch transport metadata: it differs on every read of the same diagnosis, so it is kept in the
# log records and object metadata, never in the archived bytes (which must be equal on a replay).
VOLATILE_RESPONSE_KEYS = ("RequestId",)


@dataclass(frozen=True)
class ArchiveKeys:
    raw: str
    summary: str
    pending: str  # written before the log records: a later attempt must check what already landed
    logged: str  # written after the log records: the diagnosis is archived completely

    @property
    def folder(self) -> str:
        return self.raw.rsplit("/", 1)[0]

    @property
    def described(self) -> str:
        """The connection as DescribeVpnConnections described it when the diagnosis was archived."""
        return self.raw.removesuffix(".raw.json") + ".connection.json"


def keys_for(summary: DiagnosisSummary, prefix: str = "") -> ArchiveKeys:
    stamp = summary.finish_time or summary.begin_time
    day = stamp.strftime("%Y-%m-%d") if stamp else "unknown"
    folder = (
        f"{prefix}diagnoses/region={identifiers.region(summary.region)}"
        f"/gateway={identifiers.gateway_id(summary.gateway_id)}/date={day}"
    )
    base = f"{folder}/{identifiers.diagnose_id(summary.diagnose_id)}"
    return ArchiveKeys(
        raw=f"{base}.raw.json",
        summary=f"{base}.summary.json",
        pending=f"{base}.records-pending",
        logged=f"{base}.records-written",
    )


def canonical_json(document: Any) -> bytes:
    """Sorted keys, fixed separators and a final newline: equal documents give equal bytes."""
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2)
    return (text + "\n").encode()


def raw_document(body: dict[str, Any]) -> bytes:
    return canonical_json({k: v for k, v in body.items() if k not in VOLATILE_RESPONSE_KEYS})


def summary_document(summary: DiagnosisSummary) -> bytes:
    return canonical_json(summary.model_dump(mode="json", exclude={"request_id"}))
