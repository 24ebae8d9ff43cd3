"""Bounded, jittered retries with an explicit predicate, in the manner of stamina.

Only errors that say ``retryable`` are tried again (throttling, 5xx, network, a busy resource); the
wait honours a server's ``retry_after`` advice, and no attempt starts that the deadline cannot hold.
``set_testing(True)`` makes waits instant so tests of retry behaviour take no wall time.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from vpndiag.errors import ApiError, DeadlineExceeded, VpndiagError
from vpndiag.http.deadline import Deadline

T = TypeVar("T")
OnRetry = Callable[[BaseException, int, float], None]
"""Called before each wait: the error, the attempt that failed (1-based), the wait in seconds."""

log = logging.getLogger("vpndiag.retry")

_instant = False


def set_testing(instant: bool) -> None:
    """Skip the sleeps between attempts (the attempts themselves still happen)."""
    global _instant  # noqa: PLW0603 - one process-wide switch, as stamina's
    _instant = instant


def is_retryable(exc: BaseException) -> bool:
    """The default predicate: vpndiag errors that declare a retry can help."""
    return isinstance(exc, VpndiagError) and exc.retryable


def error_code(exc: BaseException) -> str:
    """The service's code for an API error, else the error's class name (never its message)."""
    return exc.code if isinstance(exc, ApiError) else type(exc).__name__


def logged(operation: str) -> OnRetry:
    """An ``on_retry`` hook that leaves one log line per retry: operation, attempt, code, delay."""

    def note(exc: BaseException, attempt: int, wait: float) -> None:
        code = error_code(exc)
        log.warning(
            "retrying %s: attempt %d failed with %s; next attempt in %.2fs",
            operation,
            attempt,
            code,
            wait,
            extra={"operation": operation, "attempt": attempt, "error_code": code, "delay": wait},
        )

    return note


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 5.0
    on: Callable[[BaseException], bool] = is_retryable

    def delay(self, attempt: int, advised: float | None) -> float:
        """Full-jitter exponential backoff, never shorter than the server's advice."""
        backoff = random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))  # noqa: S311
        return max(backoff, advised or 0.0)

    def call(
        self,
        fn: Callable[[float], T],
        deadline: Deadline,
        *,
        min_attempt: float = 0.5,
        on_retry: OnRetry | None = None,
    ) -> T:
        """Run ``fn(timeout)`` until it succeeds, fails for good, or time runs out.

        ``timeout`` is what is left of the deadline; ``min_attempt`` is the least an attempt needs.
        """
        attempt = 1
        while True:
            left = deadline.remaining()
            if left < min_attempt:
                raise DeadlineExceeded(f"{left:.1f}s left, too little for another attempt")
            try:
                return fn(left)
            except Exception as exc:
                if attempt >= self.attempts or not self.on(exc):
                    raise
                wait = self.delay(attempt, getattr(exc, "retry_after", None))
                if deadline.remaining() - wait < min_attempt:
                    raise
                if on_retry is not None:
                    on_retry(exc, attempt, wait)
                if not _instant:
                    time.sleep(wait)
                attempt += 1
