"""Connection state kept durably next to the archive, safe under replays and concurrent retries.

Each diagnosis of a connection leaves one snapshot: the state after it, the transitions it made
and why. Snapshots are written create-only under deterministic keys and computed by a pure function
of the previous snapshot and the diagnosis, so a replay or a concurrent retry computes the same
bytes and finds them already there; no object is ever updated in place, so no lock or
compare-and-swap is needed on OSS.

The previous snapshot is the latest one before this diagnosis, looked up day by day (one listing
per day, newest first) up to ``lookback_days`` back; a connection silent for longer starts afresh.
Consecutive diagnoses of one connection must be archived in order: a diagnosis archived after a
later one of the same connection is folded from the state before it and does not rewrite the later
snapshot (the sweep archives in order; see docs).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, JsonValue

from vpndiag import identifiers
from vpndiag.archive.layout import canonical_json
from vpndiag.errors import ResponseError
from vpndiag.health.transitions import ConnectionState, Transition
from vpndiag.store.objects import ObjectStore, PutOutcome


class Snapshot(BaseModel):
    """What one diagnosis did to its connection."""

    model_config = ConfigDict(frozen=True)

    state: ConnectionState
    transitions: list[Transition]
    findings: list[dict[str, JsonValue]]
    root_cause: dict[str, JsonValue] | None = None
    archive_key: str


class StateStore:
    def __init__(self, objects: ObjectStore, *, prefix: str = "", lookback_days: int = 31) -> None:
        self._objects = objects
        self._prefix = prefix
        self._lookback = lookback_days

    def _folder(self, connection_id: str) -> str:
        return f"{self._prefix}state/connection={identifiers.connection_id(connection_id)}/"

    def key(self, connection_id: str, at: datetime, diagnose_id: str) -> str:
        # The time leads the name so that keys sort in the order of the diagnoses.
        stamp = at.strftime("%H%M%S")
        day = at.strftime("%Y-%m-%d")
        return f"{self._folder(connection_id)}date={day}/{stamp}-{identifiers.diagnose_id(diagnose_id)}.json"

    def previous(self, connection_id: str, at: datetime, diagnose_id: str) -> Snapshot | None:
        """The latest snapshot of the connection before this diagnosis, if any."""
        mine = self.key(connection_id, at, diagnose_id)
        for back in range(self._lookback + 1):
            day = (at - timedelta(days=back)).strftime("%Y-%m-%d")
            keys = [
                k
                for k in self._objects.list(f"{self._folder(connection_id)}date={day}/")
                if k < mine
            ]
            if keys:
                return self.load(max(keys))
        return None

    def load(self, key: str) -> Snapshot | None:
        body = self._objects.get(key)
        if body is None:
            return None
        try:
            return Snapshot.model_validate_json(body)
        except ValueError:
            # Not what this code writes (an answer that is not OSS's, a damaged object).
            raise ResponseError("oss", f"{key} is not a state snapshot", retryable=True) from None

    def save(self, snapshot: Snapshot) -> PutOutcome:
        state = snapshot.state
        key = self.key(state.connection_id, state.last_finish_time, state.last_diagnose_id)
        document: dict[str, Any] = snapshot.model_dump(mode="json")
        return self._objects.put_if_absent(
            key, canonical_json(document), content_type="application/json"
        )

    def latest(self, connection_id: str) -> Snapshot | None:
        """The connection's most recent snapshot."""
        keys = list(self._objects.list(self._folder(connection_id)))
        return self.load(max(keys)) if keys else None

    def history(self, connection_id: str) -> Iterator[Snapshot]:
        """Every snapshot of the connection, oldest first."""
        for key in sorted(self._objects.list(self._folder(connection_id))):
            snapshot = self.load(key)
            if snapshot is not None:
                yield snapshot
