"""The report page: complete without JavaScript, safe with hostile archived data, worst first."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser

from tests.unit.test_report_support import report, row
from vpndiag.health.actions import Action
from vpndiag.report.html import percent, render

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
HOSTILE_ACTION = Action(
    key="generic",
    en=HOSTILE,
    zh=HOSTILE,
    doc_en="javascript:alert(1)",
    doc_zh="https://example.com/zh?a=1&b=<x>",
)


class _Page(HTMLParser):
    """Every start tag with its attributes, and the text of each script."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def _hostile_page() -> str:
    hostile = row(
        gateway=f"vpn-{HOSTILE}",
        region=HOSTILE,
        level=HOSTILE,
        text=HOSTILE,
        check=HOSTILE,
        action=HOSTILE_ACTION,
        code=HOSTILE,
    )
    return render(report([hostile], source=HOSTILE))


def test_hostile_archived_text_never_becomes_markup() -> None:
    """A <script> or an onerror in any archived string stays text: one script, the page's own,
    and no event handler attribute anywhere."""
    page = _Page(_hostile_page())

    assert [tag for tag, _ in page.tags].count("script") == 1
    assert [t for t, attrs in page.tags if any(name.startswith("on") for name in attrs)] == []
    assert [t for t, _ in page.tags if t == "img"] == []


def test_a_link_is_kept_only_when_it_is_an_http_url() -> None:
    """A javascript: documentation link becomes text; an https one stays a link, escaped."""
    page = _Page(_hostile_page())
    hrefs = [attrs.get("href") or "" for tag, attrs in page.tags if tag == "a"]

    assert not [h for h in hrefs if h.lower().startswith("javascript")]
    assert "https://example.com/zh?a=1&b=<x>" in hrefs


def test_the_only_script_is_the_one_the_policy_allows() -> None:
    """The Content-Security-Policy names the hash of the page's inline script, and no other."""
    text = render(report([row()]))
    page = _Page(text)
    (script,) = page.scripts
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    (policy,) = [
        a["content"] for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy"
    ]

    assert policy is not None
    assert f"script-src 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy


def test_the_page_has_no_external_asset() -> None:
    """Nothing is fetched: no src, no stylesheet link; anchors are the only URLs."""
    page = _Page(render(report([row()])))

    assert [t for t, a in page.tags if "src" in a] == []
    assert [t for t, a in page.tags if t == "link"] == []


def test_the_filter_box_is_hidden_until_the_script_shows_it() -> None:
    """Without JavaScript there is no dead control on the page."""
    page = _Page(render(report([row()])))
    (attrs,) = [a for t, a in page.tags if a.get("id") == "filter"]

    assert "hidden" in attrs


def test_every_connection_is_on_the_page_with_its_state_and_finding() -> None:
    """A row per connection: its id, its level badge, its worst finding, its timeline."""
    text = render(report([row("vco-conn0001"), row("vco-conn0002", level="normal")]))

    for connection in ("vco-conn0001", "vco-conn0002"):
        assert f'id="c-{connection}"' in text
    assert "peer unreachable" in text
    assert text.count('class="timeline"') == 2


def test_gateways_and_regions_group_the_connections_worst_first() -> None:
    """The region with the worst connection comes first, and in it the worst gateway."""
    rows = [
        row("vco-conn0001", level="normal", region="cn-beijing", gateway="vpn-gwb"),
        row("vco-conn0002", level="warning", region="cn-shanghai", gateway="vpn-gws"),
        row("vco-conn0003", level="error", region="cn-shanghai", gateway="vpn-gwt"),
    ]
    text = render(report(rows))
    order = re.findall(r"<h3>(cn-[a-z]+)</h3>|<b>(vpn-[a-z]+)</b>", text)

    assert [a or b for a, b in order] == [
        "cn-shanghai",
        "vpn-gwt",
        "vpn-gws",
        "cn-beijing",
        "vpn-gwb",
    ]


def test_a_gateway_with_trouble_is_open_and_a_healthy_one_folded() -> None:
    """Healthy gateways take one line each; troubled ones show their connections at once."""
    text = render(
        report(
            [
                row(gateway="vpn-bad"),
                row("vco-conn0002", level="normal", gateway="vpn-ok", changes=[]),
            ]
        )
    )

    assert re.search(r'<details class="gw" open><summary><b>vpn-bad</b>', text)
    assert re.search(r'<details class="gw"><summary><b>vpn-ok</b>', text)


def test_every_open_finding_has_its_action_in_both_languages() -> None:
    """The action's English text with its guide, and the Chinese one under 中文."""
    action = Action(
        key="k", en="Do this.", zh="这样做。", doc_en="https://e.com/en", doc_zh="https://e.com/zh"
    )
    text = render(report([row(action=action)]))

    assert "Do this." in text
    assert "这样做。" in text
    assert 'href="https://e.com/zh"' in text


def test_an_empty_period_says_so() -> None:
    """No connection diagnosed: the page says it rather than showing empty tables."""
    text = render(report([]))

    assert "No connection was diagnosed in this period." in text
    assert "No quota was measured in this period." in text


def test_percentages_never_round_up_to_a_perfect_score() -> None:
    """99.999% reads 99.99%; only exactly 1 reads 100%."""
    assert (percent(0.99999), percent(1.0), percent(0.5), percent(None)) == (
        "99.99%",
        "100%",
        "50.00%",
        "-",
    )


def test_a_gateways_quota_is_the_fullest_its_connections_report() -> None:
    """Two connections of one gateway disagree on a quota: the fuller value is shown."""
    fuller = row("vco-conn0001")
    emptier = row("vco-conn0002")
    sample = emptier.history.samples[-1]
    emptier = replace(
        emptier,
        history=replace(
            emptier.history,
            samples=(
                replace(
                    sample, at=sample.at + timedelta(hours=1), quota_percent={"VpnIPsecQuota": 5.0}
                ),
            ),
        ),
    )
    text = render(report([fuller, emptier]))

    assert "85% used, 15% left" in text
    assert "</svg> 5% used" not in text
