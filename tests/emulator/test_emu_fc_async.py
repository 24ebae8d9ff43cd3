"""Asynchronous invocations in the emulated FC: queue, retries, event age, dead letters, scale."""

from __future__ import annotations

import json
import threading

import pytest

from vpndiag_emulator import Cloud, FcBackend, FcContext, ManualClock

REGION = "cn-hangzhou"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fc(clock: ManualClock) -> FcBackend:
    return Cloud(seed=1, clock=clock).fc(REGION)


class Flaky:
    """Fails the first ``failures`` runs, then succeeds."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self, event: bytes, context: FcContext) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(f"failure {self.calls}")
        return "done"


def test_drain_runs_every_queued_invocation(fc: FcBackend) -> None:
    """Each queued payload reaches the handler once."""
    seen: list[bytes] = []
    fc.register_function("vpndiag", "archive", lambda event, context: seen.append(event))
    for n in range(3):
        fc.enqueue("vpndiag", "archive", f'{{"n": {n}}}'.encode())

    fc.drain()

    assert sorted(seen) == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']


def test_a_failing_run_is_retried_until_it_succeeds(fc: FcBackend) -> None:
    """Two failures, then success: three runs, nothing dead-lettered."""
    handler = Flaky(failures=2)
    fc.register_function("vpndiag", "archive", handler)
    fc.enqueue("vpndiag", "archive", b"{}")

    report = fc.drain()

    assert (handler.calls, report.retried, fc.dead_letters) == (3, 2, [])


def test_default_retries_are_three_then_dead_letter(fc: FcBackend) -> None:
    """MaxAsyncRetryAttempts defaults to 3: four runs, then the dead-letter queue."""
    handler = Flaky(failures=99)
    fc.register_function("vpndiag", "archive", handler)
    fc.enqueue("vpndiag", "archive", b'{"RegionId": "cn-hangzhou"}')

    fc.drain()

    (letter,) = fc.dead_letters
    assert (handler.calls, letter.runs, letter.condition) == (4, 4, "RetriesExhausted")


def test_dead_letter_keeps_the_full_payload_and_the_error(fc: FcBackend) -> None:
    """The record holds the request payload verbatim and the function's last error."""
    fc.register_function("vpndiag", "archive", Flaky(failures=99), max_async_retry_attempts=0)
    fc.enqueue("vpndiag", "archive", b'{"RegionId": "cn-hangzhou", "DiagnoseId": "vpndgn-x1"}')

    fc.drain()

    record = fc.dead_letters[0].record()
    assert record["requestPayload"] == '{"RegionId": "cn-hangzhou", "DiagnoseId": "vpndgn-x1"}'
    assert json.loads(str(record["responsePayload"]))["errorMessage"] == "failure 1"


def test_zero_retries_means_one_run(fc: FcBackend) -> None:
    """MaxAsyncRetryAttempts 0: a failure goes straight to the dead letters."""
    handler = Flaky(failures=1)
    fc.register_function("vpndiag", "archive", handler, max_async_retry_attempts=0)
    fc.enqueue("vpndiag", "archive", b"{}")

    fc.drain()

    assert (handler.calls, len(fc.dead_letters)) == (1, 1)


def test_retry_attempts_are_bounded_as_the_platform_bounds_them(fc: FcBackend) -> None:
    """MaxAsyncRetryAttempts is 0-8."""
    with pytest.raises(ValueError, match="0-8"):
        fc.register_function("vpndiag", "archive", Flaky(0), max_async_retry_attempts=9)


def test_an_event_older_than_its_max_age_is_not_run(fc: FcBackend, clock: ManualClock) -> None:
    """Past MaxAsyncEventAgeInSeconds the invocation is dead-lettered without running."""
    handler = Flaky(failures=0)
    fc.register_function("vpndiag", "archive", handler, max_async_event_age=60)
    fc.enqueue("vpndiag", "archive", b"{}")
    clock.advance(61)

    fc.drain()

    assert (handler.calls, fc.dead_letters[0].condition) == (0, "EventAgeExceeded")


def test_invocations_a_handler_enqueues_run_in_the_same_drain(fc: FcBackend) -> None:
    """Fan-out from inside a function (a sweep invoking the archive) drains to completion."""
    archived: list[bytes] = []
    fc.register_function("vpndiag", "archive", lambda event, context: archived.append(event))

    def sweep(event: bytes, context: FcContext) -> None:
        for n in range(5):
            fc.enqueue("vpndiag", "archive", str(n).encode())

    fc.register_function("vpndiag", "sweep", sweep)
    fc.enqueue("vpndiag", "sweep", b"{}")

    report = fc.drain(workers=4)

    assert (len(archived), report.waves) == (5, 2)


def test_workers_run_invocations_concurrently(fc: FcBackend) -> None:
    """With 8 workers, 8 invocations are in their handlers at once."""
    barrier = threading.Barrier(8, timeout=5)
    fc.register_function("vpndiag", "archive", lambda event, context: barrier.wait())
    for _ in range(8):
        fc.enqueue("vpndiag", "archive", b"{}")

    report = fc.drain(workers=8)

    assert report.succeeded == 8


def test_hundreds_of_invocations_drain(fc: FcBackend) -> None:
    """600 queued invocations (hundreds of gateways) all run once."""
    count = 0
    lock = threading.Lock()

    def handler(event: bytes, context: FcContext) -> None:
        nonlocal count
        with lock:
            count += 1

    fc.register_function("vpndiag", "archive", handler)
    for _ in range(600):
        fc.enqueue("vpndiag", "archive", b"{}")

    fc.drain(workers=16)

    assert (count, fc.pending) == (600, 0)
