"""The time an invocation has left, so no retry or poll outlives the function's timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock after which no new attempt starts."""

    expires_at: float
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    @classmethod
    def after(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(clock() + seconds, clock)

    @classmethod
    def for_invocation(cls, context: object, *, default_timeout: float, reserve: float) -> Deadline:
        """Budget from the function's configured timeout, keeping ``reserve`` seconds to finish.

        FC's Python context carries the timeout, not the remaining time: the invocation starts now.
        """
        timeout = getattr(getattr(context, "function", None), "timeout", None)
        seconds = float(timeout) if isinstance(timeout, (int, float)) and timeout > 0 else None
        return cls.after(max((seconds or default_timeout) - reserve, 0.0))

    def remaining(self) -> float:
        return max(self.expires_at - self.clock(), 0.0)

    def expired(self) -> bool:
        return self.remaining() <= 0.0
