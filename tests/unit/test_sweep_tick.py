"""Which tick a sweep invocation belongs to: the ClientTokens of its diagnoses derive from it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EVENTS
from vpndiag.errors import EventError
from vpndiag.sweep.runner import tick_of


def test_timer_event_ticks_at_its_trigger_time() -> None:
    """The sample timer event's triggerTime is the tick."""
    event = (EVENTS / "sweep" / "timer-sweep.json").read_bytes()

    assert tick_of(event, "req-1") == "2026-11-20T09:00:00Z"


@pytest.mark.parametrize("event", [b"", b"{}", b"null", "  ", {}])
def test_manual_invocation_ticks_at_its_request_id(event: bytes | str | dict[str, str]) -> None:
    """An empty payload (a console test run) uses the invocation's id, stable across retries."""
    assert tick_of(event, "req-1") == "req-1"


def test_another_events_shape_is_refused() -> None:
    """An archive-shaped event sent to the sweep is a misrouting, not a reason to sweep."""
    with pytest.raises(EventError, match="timer event"):
        tick_of(json.dumps({"RegionId": "cn-hangzhou", "DiagnoseId": "vpndgn-abcd1234"}), "r")


def test_a_hostile_trigger_time_is_refused() -> None:
    """triggerTime feeds the tokens and correlation ids: only timestamp characters pass."""
    with pytest.raises(EventError, match="not a timestamp"):
        tick_of(json.dumps({"triggerTime": "2026\r\nX-Injected: 1"}), "r")


def test_a_payload_that_is_not_json_is_refused() -> None:
    """Garbage is a typed event error."""
    with pytest.raises(EventError, match="not JSON"):
        tick_of(b"\x00garbage", "r")
