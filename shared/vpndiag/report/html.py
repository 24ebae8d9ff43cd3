"""The report as one self-contained HTML page: inline CSS, inline SVG, a few lines of inline JS.

The page is complete without JavaScript (every section is in the markup; details open with a
click); the script only adds a filter box. Everything that comes from the archive is escaped
(``_e``); links are kept only when they are http(s) URLs; and the page's Content Security Policy
allows no script but its own (by hash), so even a string that slipped through could not run.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from vpndiag.health.actions import Action
from vpndiag.health.history import duration
from vpndiag.model.summary import level_rank
from vpndiag.report import charts
from vpndiag.report.build import Report, Row, severity
from vpndiag.report.collect import NO_ANSWER, ConnectionHistory, OpenFinding, Sample
from vpndiag.report.period import Period

# Human names of the checks the trends draw; the check names stay visible wherever findings are.
_PATHS = {"VcoUserInternetIpConnectivity": "public path", "VcoPrivateConnectivity": "private path"}
_QUOTAS = {
    "VpnIPsecQuota": "IPsec connections",
    "VpnRouteQuota": "route entries",
    "VpnPbrRouteQuota": "policy routes",
}

_TUNNEL_STATES = frozenset({"down", "unknown", NO_ANSWER})

_STYLE = """
:root{--ok:#1a7f37;--warn:#bf8700;--err:#cf222e;--other:#8250df;--none:#d8dee4;--ink:#1f2328;
--mute:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--deg:#bc4c00}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font:14px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,"Noto Sans","PingFang SC","Microsoft YaHei",sans-serif}
main{max-width:1240px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:24px;margin:0 0 2px}
h2{font-size:18px;margin:32px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
a{color:#0969da}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.meta,.mute{color:var(--mute)}
.meta{margin:0 0 14px}
nav{margin:12px 0 0;display:flex;gap:16px;flex-wrap:wrap}
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0 0}
.tile{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:120px;
background:var(--bg)}
.tile b{display:block;font-size:22px;line-height:1.2}
.tile.lv-error b{color:var(--err)}.tile.lv-warning b{color:var(--warn)}
.tile.lv-normal b{color:var(--ok)}.tile.lv-other b{color:var(--other)}
.tile.lv-degraded b{color:var(--deg)}
.badge{display:inline-block;min-width:64px;text-align:center;border-radius:10px;padding:1px 8px;
font-size:12px;font-weight:600;color:#fff;background:var(--mute)}
.badge.lv-normal{background:var(--ok)}.badge.lv-warning{background:var(--warn)}
.badge.lv-error{background:var(--err)}.badge.lv-other{background:var(--other)}
.badge.lv-degraded{background:var(--deg)}
.badge.flap{background:#fff;color:var(--err);border:1px solid var(--err);min-width:0}
rect.lv-normal{fill:var(--ok)}rect.lv-warning{fill:var(--warn)}rect.lv-error{fill:var(--err)}
rect.lv-other{fill:var(--other)}rect.lv-none{fill:var(--none)}rect.lv-degraded{fill:var(--deg)}
.timeline{display:block;width:100%;height:20px}
.timeline .mark{stroke:var(--ink);stroke-width:2}
.spark{vertical-align:middle}
.spark .line{fill:none;stroke:#0969da;stroke-width:1.5}
.spark .dots{stroke:#0969da;stroke-width:3;stroke-linecap:round}
.spark .limit{stroke:var(--err);stroke-width:1;stroke-dasharray:3 2}
#filter{width:100%;max-width:460px;padding:6px 10px;font:inherit;border:1px solid var(--line);
border-radius:6px;margin:18px 0 0}
.region>h3{font-size:16px;margin:20px 0 4px}
details.gw{border:1px solid var(--line);border-radius:8px;margin:8px 0;overflow:hidden}
details.gw>summary{padding:8px 12px;background:var(--bg);cursor:pointer}
.row{display:grid;grid-template-columns:84px minmax(150px,200px) minmax(0,1fr) 72px 44px 72px
minmax(180px,300px);gap:10px;align-items:center;padding:5px 12px}
.row.head{font-size:12px;color:var(--mute);font-weight:600;border-bottom:1px solid var(--line)}
.row .num{text-align:right;font-variant-numeric:tabular-nums}
.row .text{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.axis{position:relative;height:16px}
.axis span{position:absolute;top:0;font-weight:400;border-left:1px solid var(--line);
padding-left:3px;white-space:nowrap}
details.conn{border-top:1px solid #eaeef2}
details.conn>summary{cursor:pointer;list-style:none}
details.conn>summary::-webkit-details-marker{display:none}
details.conn>summary:hover,details.conn[open]>summary{background:#f0f6ff}
.more{padding:6px 12px 14px 106px;background:#fbfcfd}
.more p{margin:4px 0}
.more table,.grid{border-collapse:collapse;margin:6px 0}
.more td,.more th,.grid td,.grid th{border-bottom:1px solid #eaeef2;padding:3px 10px 3px 0;
text-align:left;vertical-align:top}
.grid th{font-size:12px;color:var(--mute)}
.trends{display:flex;flex-wrap:wrap;gap:6px 22px;margin:6px 0}
.trends figure{margin:0}.trends figcaption{font-size:12px;color:var(--mute)}
.action{border-left:4px solid var(--line);padding:2px 0 2px 12px;margin:14px 0}
.action.lv-error{border-color:var(--err)}.action.lv-warning{border-color:var(--warn)}
.action.lv-other{border-color:var(--other)}.action.lv-degraded{border-color:var(--deg)}
.action h3{margin:0 0 4px}.action ul{margin:4px 0;padding-left:20px}
.do{margin:6px 0}
details.zh>summary{cursor:pointer;color:var(--mute);font-size:12px}
.legend span{margin-right:14px;white-space:nowrap}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;
vertical-align:-1px}
i.lv-normal{background:var(--ok)}i.lv-warning{background:var(--warn)}i.lv-error{background:var(--err)}
i.lv-other{background:var(--other)}i.lv-none{background:var(--none)}
i.lv-degraded{background:var(--deg)}
dl.defs dt{font-weight:600;margin-top:6px}dl.defs dd{margin:0 0 0 16px}
@media (max-width:900px){.row{grid-template-columns:84px 1fr 72px}.row>:nth-child(n+4){display:none}
.more{padding-left:12px}}
"""

# Progressive enhancement: a filter box over the estate. Errors are written into the page (a test
# reads them back), and the marker says the script ran to its end.
_SCRIPT = """(function(){var root=document.documentElement;
window.addEventListener("error",function(e){root.setAttribute("data-js-error",String(e.message));});
var box=document.getElementById("filter"),shown=document.getElementById("shown");
var rows=document.querySelectorAll("[data-search]");box.hidden=false;
box.addEventListener("input",function(){var q=box.value.trim().toLowerCase(),n=0;
rows.forEach(function(r){var hit=!q||r.getAttribute("data-search").indexOf(q)>=0;r.hidden=!hit;
if(hit&&r.classList.contains("conn"))n++;});
document.querySelectorAll("details.gw").forEach(function(g){
var any=g.querySelector(".conn:not([hidden])")!==null;g.hidden=!any;if(q&&any)g.open=true;});
document.querySelectorAll(".region").forEach(function(s){
s.hidden=s.querySelector("details.gw:not([hidden])")===null;});
shown.textContent=q?n+" of "+shown.getAttribute("data-total")+" connections match":"";});
root.setAttribute("data-js","ready");})();"""


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    return f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _short(moment: datetime) -> str:
    return moment.strftime("%m-%d %H:%M")


def percent(value: float | None) -> str:
    """A share as a percentage, rounded down so that anything short of 1 never reads 100%."""
    if value is None:
        return "-"
    if value >= 1:
        return "100%"
    return f"{math.floor(value * 10000) / 100:.2f}%"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {nouns or noun + 's'}"


def _link(url: str, text: str) -> str:
    """A link when ``url`` is an http(s) URL; the URL as text otherwise (never a script URL)."""
    if url.startswith(("https://", "http://")):
        return f'<a href="{_e(url)}" rel="noreferrer">{_e(text)}</a>'
    return _e(url)


def _badge(level: str) -> str:
    return f'<span class="badge {charts.level_class(level)}">{_e(level)}</span>'


def _action(action: Action) -> str:
    return (
        f'<p class="do"><b>What to do:</b> {_e(action.en)} {_link(action.doc_en, "Guide")}</p>'
        f'<details class="zh" lang="zh"><summary>中文 (Chinese)</summary><p>{_e(action.zh)} '
        f"{_link(action.doc_zh, '文档')}</p></details>"
    )


def why(history: ConnectionHistory) -> str:
    """What the row says about the connection: its latest diagnosis's worst finding, else a check
    still confirmed at a bad level although the latest diagnosis found it normal."""
    worst = history.worst_finding
    if worst is not None:
        return worst.sentence or f"{worst.check} {worst.level}"
    if history.confirmed:
        check, level = history.confirmed[0]
        return f"{check} {level}, normal at the last diagnosis (recovery not yet confirmed)"
    return "-"


def _named(identifier: str, name: str | None) -> str:
    """An id in code, its name beside it when known."""
    named = f' <span class="mute">{_e(name)}</span>' if name else ""
    return f"<code>{_e(identifier)}</code>{named}"


def _search_text(history: ConnectionHistory) -> str:
    words = [history.connection_id, history.gateway_id, history.region, history.level]
    words += [n for n in (history.connection_name, history.gateway_name, history.peer_ip) if n]
    words += [t.tunnel_id for t in history.tunnel_states]
    words += [f"{f.check} {f.level} {f.sentence}" for f in history.findings]
    words += [t.code for t in history.tunnels]
    if history.flapping:
        words.append("flapping")
    return " ".join(words).lower()


# -- header ----------------------------------------------------------------------------------------


def _tiles(report: Report) -> str:
    tiles = [
        (str(report.count(level)), level, f"lv-{level}") for level in charts.KNOWN_LEVELS[::-1]
    ]
    other = len(report.rows) - sum(report.count(level) for level in charts.KNOWN_LEVELS)
    if other:
        tiles.append((str(other), "other level", "lv-other"))
    tiles += [
        (percent(report.availability), "estate availability", ""),
        (str(report.transitions), "transitions", ""),
        (str(report.open_findings), "open findings", ""),
    ]
    return (
        '<div class="tiles">'
        + "".join(
            f'<div class="tile {cls}"><b>{_e(value)}</b>{_e(label)}</div>'
            for value, label, cls in tiles
        )
        + "</div>"
    )


def _header(report: Report) -> str:
    period = report.period
    return (
        "<header><h1>VPN connection health</h1>"
        f'<p class="meta">{_e(_when(period.start))} to {_e(_when(period.end))} · '
        f"{len(report.rows)} connections on {report.gateways} gateways in {report.regions} "
        f"regions · generated {_e(_when(report.generated_at))} from <code>{_e(report.source)}</code>"
        "</p>"
        f"{_tiles(report)}"
        '<nav><a href="#estate">Estate</a><a href="#actions">Open findings and what to do</a>'
        '<a href="#quota">Quota headroom</a><a href="#about">How to read this report</a></nav>'
        "</header>"
    )


# -- estate ----------------------------------------------------------------------------------------


def _axis(period: Period) -> str:
    days = period.dates()
    step = max(1, math.ceil(len(days) / 8))
    labels = []
    for day in days[::step]:
        at = period.start + timedelta(days=(day - period.first_day).days)
        share = (at - period.start).total_seconds() / period.seconds
        # A label needs about a tenth of the column: the last ones would be cut at its edge.
        if share < 0.9:
            labels.append(f'<span style="left:{share * 100:.2f}%">{day:%m-%d}</span>')
    return f'<div class="axis">{"".join(labels)}</div>'


def _head(period: Period) -> str:
    return (
        '<div class="row head"><span>state</span><span>connection</span><span>worst finding</span>'
        '<span class="num">avail.</span><span class="num">trans.</span>'
        f'<span class="num">MTTR</span>{_axis(period)}</div>'
    )


def _points(samples: Iterable[Sample], field: str, check: str) -> list[tuple[datetime, float]]:
    found = []
    for sample in samples:
        values: dict[str, float] = getattr(sample, field)
        if check in values:
            found.append((sample.at, values[check]))
    return found


def _trends(row: Row, report: Report) -> str:
    history, period, limits = row.history, report.period, report.thresholds
    figures = []
    for check, name in _PATHS.items():
        for field, what, unit, limit in (
            ("rtt_ms", "rtt", "ms", limits.rtt_ms),
            ("loss_percent", "loss", "%", limits.loss_percent),
        ):
            points = _points(history.samples, field, check)
            if not points:
                continue
            label = f"{what}, {name}"
            chart = charts.sparkline(points, period, label=label, unit=unit, threshold=limit)
            figures.append(
                f"<figure>{chart}<figcaption>{_e(label)}: {points[-1][1]:g} {_e(unit)}"
                "</figcaption></figure>"
            )
    return f'<div class="trends">{"".join(figures)}</div>' if figures else ""


def _changes_table(row: Row, period: Period) -> str:
    moves = [c for c in row.history.changes if period.contains(c.at)]
    if not moves:
        return '<p class="mute">No change of level in the period.</p>'
    lines = []
    for change in moves:
        flap = ' <span class="badge flap">flapping</span>' if change.flapping else ""
        before = _badge(change.from_level) if change.from_level else "first seen"
        lines.append(
            f"<tr><td>{_e(_short(change.at))}</td><td>{before} → {_badge(change.to_level)}{flap}</td>"
            f"<td>{_e('; '.join(change.causes) or '-')}</td></tr>"
        )
    return (
        "<table><tr><th>when (UTC)</th><th>change</th><th>why</th></tr>"
        + "".join(lines)
        + "</table>"
    )


def _findings(history: ConnectionHistory) -> str:
    parts = []
    for finding in history.findings:
        note = f' <span class="mute">({_e(finding.note)})</span>' if finding.note else ""
        action = _action(finding.action) if finding.action else ""
        parts.append(
            f"<p>{_badge(finding.level)} <b>{_e(finding.check)}</b>: {_e(finding.sentence)}{note}</p>"
            f"{action}"
        )
    advice: dict[str, Action] = {}
    for tunnel in history.tunnels:
        role = f" ({_e(tunnel.role)})" if tunnel.role else ""
        parts.append(
            f"<p>Tunnel <code>{_e(tunnel.tunnel_id)}</code>{role}: <b>{_e(tunnel.code)}</b> "
            f"{_e(tunnel.reason)}</p>"
        )
        if tunnel.action is not None:
            advice.setdefault(tunnel.action.key, tunnel.action)
    parts += [_action(action) for action in advice.values()]
    return "".join(parts)


def _tunnel_table(history: ConnectionHistory) -> str:
    """Every tunnel as the latest state holds it: role, id, status, level."""
    if not history.tunnel_states:
        return ""
    lines = "".join(
        f"<tr><td>{_e(t.role or '-')}</td><td><code>{_e(t.tunnel_id)}</code></td>"
        f"<td>{_e(t.status or '-')}</td><td>{_e(t.level)}</td></tr>"
        for t in history.tunnel_states
    )
    return f"<table><tr><th>tunnel</th><th>id</th><th>status</th><th>level</th></tr>{lines}</table>"


def _connection(row: Row, report: Report) -> str:
    history, figures, period = row.history, row.figures, report.period
    flap = ' <span class="badge flap">flapping</span>' if history.flapping else ""
    levels = ", ".join(
        f"{_e(level)} {_e(duration(seconds))}"
        for level, seconds in sorted(figures.seconds.items(), key=lambda i: -level_rank(i[0]))
    )
    causes = ", ".join(f"{_e(cause)} ×{count}" for cause, count in figures.top_causes)
    mttr = duration(figures.mttr_seconds)
    peer = f"<p>Peer <code>{_e(history.peer_ip)}</code></p>" if history.peer_ip else ""
    summary = (
        f'<summary class="row"><span>{_badge(history.level)}</span>'
        f'<span class="text">{_named(history.connection_id, history.connection_name)}{flap}'
        "</span>"
        f'<span class="text" title="{_e(why(history))}">{_e(why(history))}</span>'
        f'<span class="num">{_e(percent(figures.availability))}</span>'
        f'<span class="num">{figures.transitions}</span>'
        f'<span class="num">{_e(mttr)}</span>'
        f"<span>{charts.timeline(row.bands, history.changes, period)}</span></summary>"
    )
    details = (
        f'<div class="more"><p>{_badge(history.level)} since {_e(_when(history.since))}'
        f"{flap} · {history.diagnoses} diagnoses in the period, the last "
        f"{_e(_when(history.last_diagnosis))}</p>{peer}"
        f"<p>Availability <b>{_e(percent(figures.availability))}</b> of "
        f"{_e(duration(figures.observed_seconds))} observed ({levels or 'no data'}) · "
        f"{plural(figures.transitions, 'transition')} · "
        + (
            f"MTTR {_e(mttr)} over {plural(figures.recoveries, 'recovery', 'recoveries')}"
            if figures.recoveries
            else "no recovery in the period"
        )
        + "</p>"
        f"<p>Top causes: {causes or 'none in the period'}</p>"
        f"{_changes_table(row, period)}{_tunnel_table(history)}{_findings(history)}"
        f"{_trends(row, report)}"
        f'<p class="mute">Latest summary: <code>{_e(history.archive_key)}</code></p></div>'
    )
    return (
        f'<details class="conn" id="c-{_e(history.connection_id)}" '
        f'data-search="{_e(_search_text(history))}">{summary}{details}</details>'
    )


def _gateway(rows: Sequence[Row], report: Report) -> str:
    first = rows[0].history
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.history.level] += 1
    tally = ", ".join(
        f"{n} {_e(level)}" for level, n in sorted(counts.items(), key=lambda i: -level_rank(i[0]))
    )
    troubled = any(r.history.level != "normal" or r.figures.transitions for r in rows)
    return (
        f'<details class="gw"{" open" if troubled else ""}>'
        f"<summary><b>{_e(first.gateway_id)}</b>"
        + (f' <span class="mute">{_e(first.gateway_name)}</span>' if first.gateway_name else "")
        + f" · {plural(len(rows), 'connection')} ({tally})"
        "</summary>"
        f"{_head(report.period)}{''.join(_connection(r, report) for r in rows)}</details>"
    )


def _grouped(rows: Sequence[Row]) -> list[tuple[str, list[list[Row]]]]:
    """Regions, each with its gateways, each with its connections: worst first at every level."""
    by_region: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_region[row.history.region][row.history.gateway_id].append(row)
    regions = []
    for region, gateways in by_region.items():
        ordered = sorted(gateways.values(), key=lambda g: (severity(g), g[0].history.gateway_id))
        regions.append((region, ordered))
    regions.sort(key=lambda r: (severity(row for g in r[1] for row in g), r[0]))
    return regions


def _estate(report: Report) -> str:
    if not report.rows:
        return (
            '<section id="estate"><h2>Estate</h2><p>No connection was diagnosed in this period.</p>'
            "</section>"
        )
    regions = "".join(
        f'<section class="region"><h3>{_e(region)}</h3>'
        f"{''.join(_gateway(rows, report) for rows in gateways)}</section>"
        for region, gateways in _grouped(report.rows)
    )
    return (
        '<section id="estate"><h2>Estate</h2>'
        '<p class="mute">Every connection diagnosed in the period, grouped by region and gateway, '
        "worst first. Click a connection for its changes, findings, actions and trends.</p>"
        '<p class="legend"><span><i class="lv-normal"></i>normal</span>'
        '<span><i class="lv-warning"></i>warning</span>'
        '<span><i class="lv-degraded"></i>degraded</span><span><i class="lv-error"></i>error</span>'
        '<span><i class="lv-other"></i>other level</span><span><i class="lv-none"></i>no data</span>'
        "<span>│ a change of level</span></p>"
        '<input id="filter" type="search" hidden aria-label="filter connections" '
        'placeholder="Filter by connection, gateway, region, check or code">'
        f' <span id="shown" class="mute" data-total="{len(report.rows)}"></span>'
        f"{regions}</section>"
    )


# -- open findings ---------------------------------------------------------------------------------


def _finding_groups(
    report: Report,
) -> list[tuple[tuple[str, str, str | None], list[tuple[ConnectionHistory, OpenFinding]]]]:
    groups: dict[tuple[str, str, str | None], list[tuple[ConnectionHistory, OpenFinding]]]
    groups = defaultdict(list)
    for row in report.rows:
        for finding in row.history.findings:
            groups[(finding.check, finding.level, finding.threshold)].append((row.history, finding))
    return sorted(groups.items(), key=lambda g: (-level_rank(g[0][1]), -len(g[1]), g[0][0]))


def _who(history: ConnectionHistory) -> str:
    name = f" {_e(history.connection_name)}" if history.connection_name else ""
    return (
        f'<a href="#c-{_e(history.connection_id)}"><code>{_e(history.connection_id)}</code>'
        f"{name}</a> "
        f'<span class="mute">{_e(history.gateway_id)}, {_e(history.region)}</span>'
    )


def _actions(report: Report) -> str:
    parts = []
    for (check, level, threshold), members in _finding_groups(report):
        items = "".join(
            f"<li>{_who(h)}: {_e(f.sentence)}"
            + (f' <span class="mute">({_e(f.note)})</span>' if f.note else "")
            + "</li>"
            for h, f in members
        )
        action = members[0][1].action
        what = f"{check} over its {threshold} threshold" if threshold else check
        parts.append(
            f'<article class="action {charts.level_class(level)}"><h3>{_badge(level)} '
            f"{_e(what)} · {plural(len(members), 'connection')}</h3>"
            f"<ul>{items}</ul>{_action(action) if action else ''}</article>"
        )
    tunnels: dict[str, list[tuple[ConnectionHistory, str, str]]] = defaultdict(list)
    actions: dict[str, Action | None] = {}
    for row in report.rows:
        for tunnel in row.history.tunnels:
            tunnels[tunnel.code].append((row.history, tunnel.tunnel_id, tunnel.reason))
            actions.setdefault(tunnel.code, tunnel.action)
    for code, failing in sorted(tunnels.items(), key=lambda t: (-len(t[1]), t[0])):
        items = "".join(
            f"<li>{_who(h)} tunnel <code>{_e(tunnel)}</code>: {_e(reason)}</li>"
            for h, tunnel, reason in failing
        )
        action = actions[code]
        # A tunnel's own state (down, unknown, no answer) is not a negotiation failure code.
        what = f"Tunnel {code}" if code in _TUNNEL_STATES else f"Tunnel negotiation: {code}"
        parts.append(
            f'<article class="action lv-error"><h3>{_e(what)} · '
            f"{plural(len(failing), 'tunnel')}</h3><ul>{items}</ul>"
            f"{_action(action) if action else ''}</article>"
        )
    body = "".join(parts) or (
        "<p>No open finding: every check of every connection was normal at its last diagnosis.</p>"
    )
    return (
        '<section id="actions"><h2>Open findings and what to do</h2>'
        '<p class="mute">What each connection\'s latest diagnosis found, grouped by check, '
        "with the recommended action (English; the Chinese text under 中文).</p>"
        f"{body}</section>"
    )


# -- quota -----------------------------------------------------------------------------------------


def _quota(report: Report) -> str:
    # Per gateway and quota: every sample, and each connection's latest value. A quota is the
    # gateway's, so its connections should agree; where they do not, the fullest is reported.
    points: dict[tuple[str, str], dict[str, list[tuple[datetime, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    latest: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for row in report.rows:
        where = (row.history.region, row.history.gateway_id)
        last: dict[str, float] = {}
        for sample in row.history.samples:
            for check, value in sample.quota_percent.items():
                points[where][check].append((sample.at, value))
                last[check] = value
        for check, value in last.items():
            latest[where][check] = max(value, latest[where].get(check, 0.0))
    if not points:
        return (
            '<section id="quota"><h2>Quota headroom</h2><p>No quota was measured in this period.'
            "</p></section>"
        )
    limit = report.thresholds.quota_percent
    lines = []
    for region, gateway in sorted(latest, key=lambda g: (-max(latest[g].values()), g)):
        cells = []
        for check, name in _QUOTAS.items():
            if check not in latest[(region, gateway)]:
                cells.append("<td>-</td>")
                continue
            used = latest[(region, gateway)][check]
            chart = charts.sparkline(
                points[(region, gateway)][check],
                report.period,
                label=f"{name} used",
                unit="%",
                top=100,
                threshold=limit,
            )
            cells.append(f"<td>{chart} {used:.0f}% used, {max(100 - used, 0):.0f}% left</td>")
        search = f"{gateway} {region}".lower()
        lines.append(
            f'<tr data-search="{_e(search)}"><td><code>{_e(gateway)}</code><br>'
            f'<span class="mute">{_e(region)}</span></td>{"".join(cells)}</tr>'
        )
    heads = "".join(f"<th>{_e(name)}</th>" for name in _QUOTAS.values())
    threshold = f" The dashed line is the {limit:g}% threshold." if limit is not None else ""
    return (
        '<section id="quota"><h2>Quota headroom</h2>'
        '<p class="mute">Share of each gateway quota in use at the last diagnosis of the period, '
        f"fullest first, and over the period.{_e(threshold)}</p>"
        f'<table class="grid"><tr><th>gateway</th>{heads}</tr>{"".join(lines)}</table></section>'
    )


# -- page ------------------------------------------------------------------------------------------


def _about(report: Report) -> str:
    return (
        '<section id="about"><h2>How to read this report</h2><dl class="defs">'
        "<dt>State</dt><dd>The connection's confirmed level at its last diagnosis in the period "
        "(a change needs to be seen in several of the last diagnoses; vpndiag's health rules). "
        "<i>degraded</i>: a dual-tunnel connection with one tunnel down and the other not, "
        "running without redundancy; both down is <i>error</i>.</dd>"
        "<dt>Availability</dt><dd>Time at <i>normal</i> divided by the time the level was known: "
        "from the period start, or the first diagnosis if later, to the period end.</dd>"
        "<dt>Transitions</dt><dd>Changes of level within the period; a first sighting is not "
        "one.</dd>"
        "<dt>MTTR</dt><dd>Mean time to recovery: from the start of a spell away from "
        "<i>normal</i> to its return, over the spells that ended in the period.</dd>"
        "<dt>Top causes</dt><dd>The findings (check and level, or tunnel failure code) of the "
        "changes into a worse level, most frequent first.</dd>"
        "<dt>Trends</dt><dd>Quota use, rtt and loss from up to one diagnosis per slice of the "
        "period; dashed lines are the thresholds.</dd></dl>"
        f'<p class="mute">Times are UTC. Source: <code>{_e(report.source)}</code>.</p></section>'
    )


def render(report: Report) -> str:
    """The whole page."""
    title = f"VPN connection health · {report.period.label()}"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_csp())}">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body><main>"
        f"{_header(report)}{_estate(report)}{_actions(report)}{_quota(report)}{_about(report)}"
        f"</main><script>{_SCRIPT}</script></body></html>\n"
    )
