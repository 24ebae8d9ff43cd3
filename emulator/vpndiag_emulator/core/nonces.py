"""Replay protection: a signature nonce may be used once per access key within the window."""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta


class NonceRegistry:
    """Remembers (key, nonce) pairs until they leave the window, then forgets them.

    Expiry is by the cloud's clock, so advancing a manual clock past the window frees nonces.
    """

    def __init__(self, window: timedelta) -> None:
        self._window = window
        self._expiry: dict[tuple[str, str], datetime] = {}
        # Insertion order is expiry order while the clock moves forward, so pruning pops from
        # the left instead of scanning everything on each request.
        self._order: deque[tuple[datetime, tuple[str, str]]] = deque()
        self._lock = threading.Lock()

    def claim(self, key_id: str, nonce: str, now: datetime) -> bool:
        """Record the nonce; ``False`` if it was already used within the window."""
        entry = (key_id, nonce)
        with self._lock:
            self._prune(now)
            if entry in self._expiry:
                return False
            expires = now + self._window
            self._expiry[entry] = expires
            self._order.append((expires, entry))
            return True

    def _prune(self, now: datetime) -> None:
        while self._order and self._order[0][0] <= now:
            expires, entry = self._order.popleft()
            if self._expiry.get(entry) == expires:
                del self._expiry[entry]
