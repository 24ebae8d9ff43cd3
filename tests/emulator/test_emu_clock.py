"""The emulator's clocks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from vpndiag_emulator import Cloud, ManualClock, SystemClock


def test_manual_clock_moves_only_when_advanced() -> None:
    """ManualClock stands still, then jumps by exactly the advanced amount."""
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    clock = ManualClock(start)

    before = clock.now()
    clock.advance(90.5)

    assert before == start
    assert clock.now() == start + timedelta(seconds=90.5)


def test_clocks_refuse_to_go_backwards() -> None:
    """Negative advances are rejected: nonce expiry and diagnosis progress assume forward time."""
    with pytest.raises(ValueError, match="backwards"):
        ManualClock().advance(-1)
    with pytest.raises(ValueError, match="backwards"):
        SystemClock().advance(-1)


def test_manual_clock_needs_an_aware_start() -> None:
    """A naive start time is ambiguous and rejected."""
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2024, 5, 1))


def test_default_clock_is_real_time_that_can_jump() -> None:
    """A Cloud's default clock follows real time, and advance() adds an offset to it."""
    cloud = Cloud()
    real = datetime.now(timezone.utc)

    cloud.clock.advance(3600)

    assert isinstance(cloud.clock, SystemClock)
    assert cloud.clock.now() - real >= timedelta(seconds=3600)
