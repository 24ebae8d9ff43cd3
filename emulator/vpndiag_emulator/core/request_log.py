"""The log of requests the emulator answered, for assertions ("exactly one DiagnoseVpnGateway").

Records hold names and codes only: never parameters, headers or bodies, which can carry keys.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RequestRecord:
    """One handled request."""

    service: str | None
    """``None`` when no emulated service serves the request's host."""
    action: str | None
    status: int | None
    """``None`` when the connection was dropped without a response."""
    error_code: str | None
    fault: str | None
    """The kind of injected fault that shaped the answer, if any."""
    at: datetime
    """Emulator clock time when the request arrived."""
    detail: str | None = None
    """Emulator-only explanation (why a signature failed, ...)."""


class RequestLog:
    """Thread-safe sequence of the most recent ``RequestRecord``s, oldest first.

    Bounded so a long-running server (the CLI) does not grow without limit; the default keeps
    far more than any test makes.
    """

    def __init__(self, max_records: int = 100_000) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=max_records)
        self._lock = threading.Lock()

    def append(self, record: RequestRecord) -> None:
        """Add a record."""
        with self._lock:
            self._records.append(record)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()

    def snapshot(self) -> list[RequestRecord]:
        """A copy of the records so far."""
        with self._lock:
            return list(self._records)

    def actions(self, service: str | None = None) -> list[str | None]:
        """The action of each record in order, optionally for one service."""
        return [r.action for r in self.snapshot() if service is None or r.service == service]

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __getitem__(self, index: int) -> RequestRecord:
        with self._lock:
            return self._records[index]
