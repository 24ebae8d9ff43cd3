"""The emulated world's time: real time by default, or a manual clock tests move by hand.

Everything time-dependent reads the cloud's clock: signature timestamp windows, nonce expiry and
diagnosis progress. Tests use ``ManualClock`` so that a diagnosis finishes by ``advance()``,
never by sleeping.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol

_UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class Clock(Protocol):
    """What the emulator needs from a clock."""

    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        ...


class SystemClock:
    """Real time plus an offset: ``advance()`` jumps ahead without waiting."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Current real time plus the accumulated offset."""
        with self._lock:
            offset = self._offset
        return datetime.now(timezone.utc) + offset

    def advance(self, seconds: float) -> None:
        """Add ``seconds`` (>= 0) to the offset."""
        _check_forward(seconds)
        with self._lock:
            self._offset += timedelta(seconds=seconds)


class ManualClock:
    """A clock that stands still until advanced.

    It starts at the current real time (whole seconds) by default, so requests signed with real
    timestamps, as the official SDKs sign them, stay inside the 15-minute window until a test
    advances the clock past it.
    """

    def __init__(self, start: datetime | None = None) -> None:
        if start is None:
            start = datetime.now(timezone.utc).replace(microsecond=0)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The clock's current time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (>= 0)."""
        _check_forward(seconds)
        with self._lock:
            self._now += timedelta(seconds=seconds)


def _check_forward(seconds: float) -> None:
    # Time never runs backwards: nonce expiry and diagnosis progress assume it.
    if seconds < 0:
        raise ValueError(f"cannot move a clock backwards ({seconds} s)")


def format_utc(moment: datetime) -> str:
    """Render as the API's UTC timestamp, ``YYYY-MM-DDThh:mm:ssZ``."""
    return moment.astimezone(timezone.utc).strftime(_UTC_FORMAT)


def parse_utc(text: str) -> datetime | None:
    """Parse the API's UTC timestamp format; ``None`` if ``text`` is not exactly that format."""
    try:
        return datetime.strptime(text, _UTC_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def epoch_millis(moment: datetime) -> int:
    """Milliseconds since the epoch, as the Describe APIs render ``CreateTime``."""
    return int(moment.timestamp() * 1000)
