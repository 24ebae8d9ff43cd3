"""The report function's app on a filesystem archive: which day, what is kept, once per day."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_report_support import T0, Archive
from vpndiag.errors import ConfigError, EventError
from vpndiag.http.deadline import Deadline
from vpndiag.report.app import ReportApp, report_day
from vpndiag.report.message import TYPE

TODAY = date(2026, 11, 26)
DAY = date(2026, 11, 7)
NOW = datetime(2026, 11, 8, 0, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (b"", date(2026, 11, 25)),
        ("{}", date(2026, 11, 25)),
        ({"triggerTime": "2026-11-26T00:30:00Z", "triggerName": "t"}, date(2026, 11, 25)),
        (json.dumps({"date": "2026-11-01"}), date(2026, 11, 1)),
    ],
)
def test_the_day_a_report_is_for(event: Any, expected: date) -> None:
    """A timer reports the day before it fires; a request names its day; nothing means yesterday."""
    assert report_day(event, TODAY) == expected


@pytest.mark.parametrize(
    "event", [b"not json", '{"date": "26/11/2026"}', "[1]", {"triggerTime": "soon"}]
)
def test_other_payloads_are_refused(event: Any) -> None:
    """Anything else is an EventError that says what was expected."""
    with pytest.raises(EventError, match="expected a timer event"):
        report_day(event, TODAY)


class _Bus:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, events: list[dict[str, Any]], deadline: Deadline) -> None:
        self.events.extend(events)


def _app(root: Path, bus: _Bus | None = None, **settings: str) -> ReportApp:
    app = ReportApp.from_environment({"VPNDIAG_OBJECT_STORE": f"file:{root}", **settings})
    app.publisher = bus
    return app


def _run(app: ReportApp) -> dict[str, Any]:
    return app.handle(json.dumps({"date": DAY.isoformat()}), None, now=NOW)


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = Archive(tmp_path / "archive")
    for n in range(7):
        archive.diagnose(
            "vco-conn0001", T0 + timedelta(days=n), {"VpnIPsecQuota": "warning"} if n > 3 else {}
        )
    return archive


def test_a_report_keeps_its_page_and_message_and_publishes_once(archive: Archive) -> None:
    """First run: the page, the message, one event, the marker."""
    bus = _Bus()
    result = _run(_app(archive.root, bus))
    folder = archive.root / "reports" / "daily"

    assert (result["status"], result["published"]) == ("created", True)
    assert sorted(p.name for p in folder.iterdir()) == [
        "2026-11-07.html",
        "2026-11-07.message.json",
        "2026-11-07.published",
    ]
    assert [e["type"] for e in bus.events] == [TYPE]
    assert bus.events[0]["data"] == result["message"]
    assert "vco-conn0001" in (folder / "2026-11-07.html").read_text()


def test_a_second_run_for_the_day_changes_nothing(archive: Archive) -> None:
    """The same day again (a retry, a second tick): the page is kept, nothing is republished."""
    bus = _Bus()
    _run(_app(archive.root, bus))
    page = (archive.root / "reports" / "daily" / "2026-11-07.html").read_bytes()
    archive.diagnose("vco-conn0002", T0 + timedelta(days=6))

    again = _run(_app(archive.root, bus))
    assert (again["status"], again["published"], len(bus.events)) == ("exists", False, 1)
    assert (archive.root / "reports" / "daily" / "2026-11-07.html").read_bytes() == page


def test_a_run_that_died_before_publishing_is_completed_by_the_retry(archive: Archive) -> None:
    """Page and message kept, no marker: the retry publishes the kept message, builds nothing."""
    _run(_app(archive.root))
    kept = json.loads((archive.root / "reports" / "daily" / "2026-11-07.message.json").read_bytes())
    bus = _Bus()

    again = _run(_app(archive.root, bus))
    assert (again["status"], again["published"]) == ("exists", True)
    assert bus.events[0]["data"] == kept


def test_without_a_bus_nothing_is_published(archive: Archive) -> None:
    """No VPNDIAG_EVENT_BUS: the report is kept and returned, and no marker claims otherwise."""
    result = _run(_app(archive.root))

    assert result["published"] is False
    assert not (archive.root / "reports" / "daily" / "2026-11-07.published").exists()


def test_a_page_written_concurrently_is_kept(archive: Archive) -> None:
    """Another instance's page already there (different bytes): kept, not an error."""
    page = archive.root / "reports" / "daily" / "2026-11-07.html"
    page.parent.mkdir(parents=True)
    page.write_text("the other instance's page")

    assert _run(_app(archive.root))["status"] == "created"
    assert page.read_text() == "the other instance's page"


def test_the_report_covers_the_configured_days(archive: Archive) -> None:
    """VPNDIAG_REPORT_DAYS=3: the three days up to the report's day."""
    message = _run(_app(archive.root, VPNDIAG_REPORT_DAYS="3"))["message"]

    assert message["period"] == {"from": "2026-11-05T00:00:00Z", "to": "2026-11-08T00:00:00Z"}


def test_a_reader_url_makes_the_message_link_the_page(archive: Archive) -> None:
    """VPNDIAG_REPORT_URL: the message's url is that base and the page's key."""
    message = _run(_app(archive.root, VPNDIAG_REPORT_URL="https://reports.example.com"))["message"]

    assert message["url"] == "https://reports.example.com/reports/daily/2026-11-07.html"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VPNDIAG_REPORT_DAYS", "0"),
        ("VPNDIAG_REPORT_URL", "http://example.com"),
        ("VPNDIAG_REPORT_X", "1"),
    ],
)
def test_bad_report_settings_fail_the_start_naming_the_variable(
    tmp_path: Path, name: str, value: str
) -> None:
    """As every setting does: a ConfigError naming it."""
    with pytest.raises(ConfigError, match=name):
        ReportApp.from_environment({"VPNDIAG_OBJECT_STORE": f"file:{tmp_path}", name: value})
