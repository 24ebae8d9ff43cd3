"""Per-account, per-region backends of one service, created on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

B = TypeVar("B")


class Backends(Generic[B]):
    """Lazily built backends keyed by (account id, region); thread-safe."""

    def __init__(self, factory: Callable[[str, str], B]) -> None:
        self._factory = factory
        self._backends: dict[tuple[str, str], B] = {}
        self._lock = threading.Lock()

    def get(self, account_id: str, region: str) -> B:
        """The backend of this account and region (created empty if new)."""
        with self._lock:
            backend = self._backends.get((account_id, region))
            if backend is None:
                backend = self._factory(account_id, region)
                self._backends[(account_id, region)] = backend
            return backend
