"""The retry policy: explicit predicate, bounded attempts, server advice, the deadline."""

from __future__ import annotations

import pytest

from vpndiag.errors import (
    DeadlineExceeded,
    InvalidRequestError,
    ThrottledError,
    TransportError,
)
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy


def _throttled(retry_after: float | None = None) -> ThrottledError:
    return ThrottledError(
        service="vpc", code="Throttling.User", message="m", status=400, retry_after=retry_after
    )


class Flaky:
    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self, timeout: float) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def test_retryable_errors_are_tried_again_until_success() -> None:
    """Throttling and network errors are retried; the call then succeeds."""
    fn = Flaky(_throttled(), TransportError("vpc", "reset"))
    assert RetryPolicy(attempts=3).call(fn, Deadline.after(60)) == "ok"
    assert fn.calls == 3


def test_non_retryable_errors_fail_at_once() -> None:
    """A parameter error is not retried: one call, the same error."""
    error = InvalidRequestError(service="vpc", code="param_error", message="m", status=400)
    fn = Flaky(error)
    with pytest.raises(InvalidRequestError):
        RetryPolicy(attempts=5).call(fn, Deadline.after(60))
    assert fn.calls == 1


def test_attempts_are_bounded() -> None:
    """After the last attempt the last error is raised."""
    fn = Flaky(*[_throttled() for _ in range(10)])
    with pytest.raises(ThrottledError):
        RetryPolicy(attempts=4).call(fn, Deadline.after(60))
    assert fn.calls == 4


def test_predicate_is_explicit() -> None:
    """A custom predicate decides what is retried, not the error's own flag."""
    fn = Flaky(ValueError("x"))
    assert RetryPolicy(on=lambda e: isinstance(e, ValueError)).call(fn, Deadline.after(60)) == "ok"


def test_server_advice_sets_a_floor_on_the_wait() -> None:
    """x-acs-retry-after (as retry_after) is never undercut by the jittered backoff."""
    policy = RetryPolicy(base_delay=0.01, max_delay=0.02)
    assert all(policy.delay(1, 1.5) >= 1.5 for _ in range(50))


def test_backoff_grows_but_stays_capped() -> None:
    """Full jitter within an exponentially growing, capped window."""
    policy = RetryPolicy(base_delay=0.1, max_delay=0.3)
    assert all(0 <= policy.delay(1, None) <= 0.1 for _ in range(50))
    assert all(0 <= policy.delay(8, None) <= 0.3 for _ in range(50))


def test_no_retry_that_would_outlive_the_deadline() -> None:
    """A wait the deadline cannot hold is not started: the error is raised instead."""
    fn = Flaky(_throttled(retry_after=30.0))
    with pytest.raises(ThrottledError):
        RetryPolicy().call(fn, Deadline.after(10))
    assert fn.calls == 1


def test_no_attempt_once_the_deadline_has_passed() -> None:
    """With no time left, nothing is sent and a retryable DeadlineExceeded is raised."""
    fn = Flaky()
    with pytest.raises(DeadlineExceeded) as caught:
        RetryPolicy().call(fn, Deadline.after(0))
    assert fn.calls == 0
    assert caught.value.retryable


def test_attempt_timeout_is_the_time_left() -> None:
    """Each attempt is given what remains of the deadline as its timeout."""
    seen: list[float] = []
    RetryPolicy().call(seen.append, Deadline.after(20))
    assert 19 < seen[0] <= 20


def test_deadline_from_context_keeps_a_reserve() -> None:
    """The FC context's function timeout, less the reserve, bounds the invocation."""

    class Function:
        timeout = 30

    class Context:
        function = Function()

    deadline = Deadline.for_invocation(Context(), default_timeout=600, reserve=5)
    assert 24 < deadline.remaining() <= 25
    assert Deadline.for_invocation(object(), default_timeout=600, reserve=0).remaining() > 599
