"""The connection's description tells the tunnels of a diagnosis only when taken soon after it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from vpndiag.archive.described import FRESH_FOR, Described

FINISHED = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


def test_a_description_taken_promptly_tells_the_tunnels() -> None:
    """Observed within FRESH_FOR of the diagnosis's end: its tunnels are the diagnosis's."""
    taken = Described(connection=None, observed_at=FINISHED + FRESH_FOR)
    assert taken.tells_tunnels_of(FINISHED)


def test_a_description_taken_late_does_not() -> None:
    """Observed a day later (a replayed dead letter): the tunnels then are not the diagnosis's."""
    taken = Described(connection=None, observed_at=FINISHED + timedelta(days=1))
    assert not taken.tells_tunnels_of(FINISHED)


def test_a_description_kept_without_its_time_still_counts() -> None:
    """Descriptions kept before the time was recorded keep their old meaning."""
    assert Described(connection=None).tells_tunnels_of(FINISHED)
