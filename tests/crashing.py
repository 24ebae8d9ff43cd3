"""Store wrappers that kill the archive between two writes, for the crash-consistency tests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from vpndiag.http.deadline import Deadline
from vpndiag.store.logs import LogRecord, LogStore
from vpndiag.store.objects import ObjectStore, PutOutcome


class Crash(Exception):
    """Stands for the process dying between two writes."""


class Crashes:
    """Counts writes across both stores and dies at the write numbered ``at`` (0-based).

    ``landed`` records of the dying PutLogs batch are written first: a process killed while
    its batch was on the wire.
    """

    def __init__(self, at: int, landed: int = 0) -> None:
        self.at, self.landed, self.writes = at, landed, 0

    def tick(self) -> bool:
        dies = self.writes == self.at
        self.writes += 1
        return dies


class CrashingObjects:
    """The app's object store, dying at the chosen write."""

    def __init__(self, inner: ObjectStore, crashes: Crashes) -> None:
        self.inner, self.crashes = inner, crashes

    def put_if_absent(
        self, key: str, body: bytes, *, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> PutOutcome:
        if self.crashes.tick():
            raise Crash
        return self.inner.put_if_absent(key, body, content_type=content_type, metadata=metadata)

    def get(self, key: str) -> bytes | None:
        return self.inner.get(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def list(self, prefix: str) -> Iterator[str]:
        return self.inner.list(prefix)

    def location(self, key: str) -> str:
        return self.inner.location(key)


class CrashingLogs:
    """The app's log store, dying at the chosen write after ``landed`` records reached SLS."""

    def __init__(self, inner: LogStore, crashes: Crashes) -> None:
        self.inner, self.crashes = inner, crashes

    def put(self, records: Sequence[LogRecord], *, deadline: Deadline | None = None) -> None:
        if self.crashes.tick():
            if self.crashes.landed:
                self.inner.put(records[: self.crashes.landed])
            raise Crash
        self.inner.put(records)

    def record_ids(self, diagnose_id: str, since: int) -> set[str]:
        return self.inner.record_ids(diagnose_id, since)

    def location(self) -> str:
        return self.inner.location()
