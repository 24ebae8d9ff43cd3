"""The report in a real browser (Debian's headless Chromium): it renders its content, its script
runs without an error, the filter works, and a hostile string in the archive stays text.

These tests never skip: without Chromium they fail, saying to run ``make browser``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.browser import chromium
from tests.unit.test_report_support import T0, Archive
from vpndiag.health import actions
from vpndiag.health.thresholds import Thresholds
from vpndiag.report.build import build
from vpndiag.report.html import render
from vpndiag.report.period import Period

# Would mark the page if it ever ran: the tests look for the mark.
HOSTILE = "<script>document.documentElement.setAttribute('data-pwned','1')</script>"


@pytest.fixture(scope="module")
def binary() -> str:
    return chromium.require()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A week of three connections on two gateways: one down (with a hostile finding text), one
    that recovered, one healthy."""
    root = tmp_path_factory.mktemp("browser")
    archive = Archive(root / "archive")
    for n in range(7):
        at = T0 + timedelta(days=n)
        down = {"VcoUserInternetIpConnectivity": "error"}
        archive.diagnose("vco-conn0001", at, down if n >= 4 else {}, sentence=HOSTILE)
        archive.diagnose(
            "vco-conn0002", at, down if n in (1, 2) else {}, gateway="vpn-gw0000000002"
        )
        archive.diagnose("vco-conn0003", at, gateway="vpn-gw0000000002")
    period = Period.days(
        T0.date(), date(2026, 11, 7), now=datetime(2027, 1, 1, tzinfo=timezone.utc)
    )
    report = build(
        archive.objects,
        "",
        period,
        actions=actions.load(),
        thresholds=Thresholds(),
        source=f"file:{archive.root}",
    )
    page = root / "report.html"
    page.write_text(render(report), encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def dom(binary: str, report_file: Path) -> str:
    """The page's DOM after Chromium loaded it and ran its script."""
    return chromium.run(binary, "--dump-dom", report_file.as_uri())


def test_the_page_renders_every_connection(dom: str) -> None:
    """Each connection's row, with its state badge, is in the rendered document."""
    for connection in ("vco-conn0001", "vco-conn0002", "vco-conn0003"):
        assert f'id="c-{connection}"' in dom
    assert re.search(r'<span class="badge lv-error">error</span>', dom)


def test_the_script_runs_to_its_end_without_an_error(dom: str) -> None:
    """The script marks the page when done, and records any error on it: marked, no error."""
    (root,) = re.findall(r"<html[^>]*>", dom)

    assert 'data-js="ready"' in root
    assert "data-js-error" not in root


def test_the_script_shows_the_filter_box(dom: str) -> None:
    """Hidden in the markup (no JavaScript, no dead control); shown once the script runs."""
    (box,) = re.findall(r'<input id="filter"[^>]*>', dom)

    assert "hidden" not in box


def test_a_hostile_finding_stays_text(dom: str) -> None:
    """The archived <script> is shown as text and never runs."""
    assert "data-pwned" not in re.findall(r"<html[^>]*>", dom)[0]
    assert "&lt;script&gt;document.documentElement" in dom


def test_the_filter_keeps_only_the_matching_connections(binary: str, report_file: Path) -> None:
    """Typing a connection id hides the others, and the gateway left without a match."""
    with chromium.page(binary, report_file.as_uri()) as page:
        shown = page.evaluate(
            """(() => { const box = document.getElementById('filter');
            box.value = 'vco-conn0003'; box.dispatchEvent(new Event('input'));
            const visible = s => [...document.querySelectorAll(s)].filter(e => !e.hidden);
            return [visible('details.conn').map(e => e.id), visible('details.gw').length,
                    document.getElementById('shown').textContent]; })()"""
        )

    assert shown == [["c-vco-conn0003"], 1, "1 of 3 connections match"]


def test_clearing_the_filter_shows_everything_again(binary: str, report_file: Path) -> None:
    """An empty filter: every connection and gateway visible."""
    with chromium.page(binary, report_file.as_uri()) as page:
        counts = page.evaluate(
            """(() => { const box = document.getElementById('filter');
            box.value = 'nothing matches this'; box.dispatchEvent(new Event('input'));
            box.value = ''; box.dispatchEvent(new Event('input'));
            const visible = s => [...document.querySelectorAll(s)].filter(e => !e.hidden);
            return [visible('details.conn').length, visible('details.gw').length]; })()"""
        )

    assert counts == [3, 2]


def test_a_screenshot_of_the_page_is_a_png(binary: str, report_file: Path, tmp_path: Path) -> None:
    """The page paints: Chromium writes a PNG of it."""
    shot = tmp_path / "report.png"
    chromium.run(binary, f"--screenshot={shot}", "--window-size=1280,2000", report_file.as_uri())

    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_chromium_the_tests_fail_saying_to_run_make_browser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No skip: a failure whose message says how to get Chromium."""
    monkeypatch.setenv("PATH", "")

    with pytest.raises(pytest.fail.Exception, match=r"run `make browser`"):
        chromium.require()
