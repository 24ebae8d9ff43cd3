"""The report's robot message: its documented fields, a DingTalk body, an event with a stable id."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from tests.unit.test_report_support import report, row
from vpndiag.clients.eventbridge import MAX_EVENT_BYTES
from vpndiag.report.build import Row
from vpndiag.report.message import ATTENTION, TYPE, build_message, event

LOCATION = "oss://bucket/vpndiag/reports/daily/2026-11-07.html"
ROWS = [
    row("vco-conn0001"),
    row("vco-conn0002", level="warning", text="quota 85% used"),
    row("vco-conn0003", level="normal", changes=[]),
]


def _message(rows: Sequence[Row] = ROWS, url: str | None = None) -> dict[str, Any]:
    return build_message(report(rows), day="2026-11-07", location=LOCATION, url=url)


def test_the_message_has_the_documented_fields() -> None:
    """The fields docs/report-message.md describes, and no others."""
    assert set(_message()) == {
        "version",
        "date",
        "period",
        "report",
        "url",
        "headline",
        "counts",
        "availability",
        "transitions",
        "open_findings",
        "attention",
        "attention_total",
        "dingtalk",
    }


def test_counts_and_headline_say_how_the_estate_is() -> None:
    """Counts by level, and a headline naming the bad ones first."""
    message = _message()

    assert message["counts"] == {
        "connections": 3,
        "gateways": 1,
        "regions": 1,
        "normal": 1,
        "warning": 1,
        "error": 1,
        "other": 0,
    }
    assert message["headline"].startswith("3 connections: 1 error, 1 warning; availability ")


def test_attention_lists_the_connections_that_are_not_normal_worst_first() -> None:
    """The normal connection without a change is left out; the order is the report's."""
    attention = _message()["attention"]

    assert [a["connection_id"] for a in attention] == ["vco-conn0001", "vco-conn0002"]
    assert attention[1]["finding"] == "quota 85% used"


def test_attention_is_capped_and_the_total_kept() -> None:
    """A robot message is read on a phone: ten names, and how many there were."""
    many = [row(f"vco-conn{n:04d}") for n in range(25)]
    message = _message(many)

    assert (len(message["attention"]), message["attention_total"]) == (ATTENTION, 25)
    assert "- and 15 more" in message["dingtalk"]["markdown"]["text"]


def test_the_dingtalk_body_is_a_markdown_message() -> None:
    """msgtype markdown with a title and a text, ready to post as it is."""
    body = _message(url="https://reports.example.com/r.html")["dingtalk"]

    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "VPN health 2026-11-07"
    assert body["markdown"]["text"].endswith(
        "[Open the report](https://reports.example.com/r.html)"
    )


def test_archived_text_cannot_add_markup_to_the_robot_message() -> None:
    """Brackets, parentheses and markdown marks in a finding are dropped from the text."""
    text = _message([row(text="[click](https://evil.example) **now** <b>")])["dingtalk"][
        "markdown"
    ]["text"]

    assert "[" not in text
    assert "](" not in text
    assert "click https://evil.example now b" in text


def test_without_a_url_the_message_names_the_location() -> None:
    """No public URL configured: the oss:// location, not a dead link."""
    message = _message()

    assert message["url"] is None
    assert message["dingtalk"]["markdown"]["text"].endswith(f"Report: {LOCATION}")


def test_the_event_has_a_stable_id_and_fits_the_bus() -> None:
    """One event per report, the same id on a resend, within EventBridge's size limit even for a
    large estate."""
    message = _message([row(f"vco-conn{n:04d}", text="x" * 500) for n in range(300)])
    moment = datetime(2026, 11, 8, tzinfo=timezone.utc)
    first = event(message, subject=LOCATION, time=moment)

    assert first == event(message, subject=LOCATION, time=moment)
    assert (first["type"], first["source"], first["data"]) == (TYPE, "vpndiag", message)
    assert len(json.dumps(first, ensure_ascii=False).encode()) < MAX_EVENT_BYTES
