"""The log store interface, and the SQLite store used as the embedded default.

Records are SLS-shaped (time, topic, source, string contents). Every record carries a deterministic
``record_id``, so the archive can ask which of a diagnosis's records already landed after a crash.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from vpndiag.errors import ConfigError
from vpndiag.http.deadline import Deadline


@dataclass(frozen=True)
class LogRecord:
    time: int  # epoch seconds, as SLS keeps it
    topic: str
    source: str
    contents: Mapping[str, str]

    @property
    def record_id(self) -> str:
        return self.contents["record_id"]


class LogStore(Protocol):
    def put(self, records: Sequence[LogRecord], *, deadline: Deadline | None = None) -> None:
        """Write ``records``; no attempt starts after ``deadline`` (the archive's lease)."""
        ...

    def record_ids(self, diagnose_id: str, since: int) -> set[str]: ...

    def location(self) -> str: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    topic TEXT NOT NULL,
    source TEXT NOT NULL,
    record_id TEXT NOT NULL,
    record_type TEXT,
    diagnose_id TEXT,
    gateway_id TEXT,
    connection_id TEXT,
    check_name TEXT,
    level TEXT,
    contents TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_diagnosis ON records (diagnose_id);
CREATE INDEX IF NOT EXISTS records_connection ON records (connection_id, time);
"""


class SqliteLogStore:
    """One row per record; the promoted columns make common questions plain SQL.

    Like SLS it does not refuse a duplicate record: exactly-once is the archive's job, and a store
    that silently merged duplicates would hide a bug there.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError("log store", f"cannot open {self.path}: {exc}") from None
        self._lock = threading.Lock()

    def put(self, records: Sequence[LogRecord], *, deadline: Deadline | None = None) -> None:
        rows = [
            (
                r.time,
                r.topic,
                r.source,
                r.record_id,
                r.contents.get("record_type"),
                r.contents.get("diagnose_id"),
                r.contents.get("gateway_id"),
                r.contents.get("connection_id"),
                r.contents.get("check"),
                r.contents.get("level"),
                json.dumps(dict(r.contents), sort_keys=True, ensure_ascii=False),
            )
            for r in records
        ]
        with self._lock, self._db:
            self._db.executemany(
                "INSERT INTO records (time, topic, source, record_id, record_type, diagnose_id,"
                " gateway_id, connection_id, check_name, level, contents)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def record_ids(self, diagnose_id: str, since: int) -> set[str]:
        with self._lock:
            cursor = self._db.execute(
                "SELECT record_id FROM records WHERE diagnose_id = ? AND time >= ?",
                (diagnose_id, since),
            )
            return {row[0] for row in cursor}

    def rows(self, where: str = "1=1", params: Iterable[object] = ()) -> list[dict[str, str]]:
        """Contents of matching records, oldest first (for the CLI and tests)."""
        with self._lock:
            cursor = self._db.execute(
                f"SELECT contents FROM records WHERE {where} ORDER BY seq",  # noqa: S608 - callers' SQL
                tuple(params),
            )
            return [json.loads(row[0]) for row in cursor]

    def location(self) -> str:
        return str(self.path)

    def close(self) -> None:
        self._db.close()
