"""The short message of a report, for a DingTalk robot or any webhook (docs/report-message.md).

The report function returns it and publishes it to the custom bus as the ``data`` of one
``vpndiag:Report:Published`` CloudEvent; an EventBridge rule's DingTalk target posts
``$.data.dingtalk`` as it is, a webhook target whatever part of ``$.data`` it wants. The event's id
is derived from the report's key, so a resend is recognisable (``source`` + ``id``).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any, Final

from vpndiag.health import events
from vpndiag.report.build import Report, Row
from vpndiag.report.html import percent, why

VERSION: Final = "1"
TYPE: Final = "vpndiag:Report:Published"
# Connections a message lists by name: a robot message is read on a phone.
ATTENTION: Final = 10
_TEXT_LIMIT: Final = 120
# Characters that are markup in DingTalk's markdown: archived text must not turn into a link or
# a heading in the robot's message.
_MARKUP = re.compile(r"[\[\]()<>*_`#|!~\\]")


def _plain(text: str) -> str:
    flat = " ".join(_MARKUP.sub(" ", text).split())
    return flat if len(flat) <= _TEXT_LIMIT else flat[: _TEXT_LIMIT - 1] + "…"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _needs_attention(row: Row) -> bool:
    return row.history.level != "normal" or row.history.flapping or row.figures.transitions > 0


def _entry(row: Row) -> dict[str, Any]:
    history, figures = row.history, row.figures
    reason = why(history)
    return {
        "connection_id": history.connection_id,
        "connection_name": history.connection_name,
        "gateway_id": history.gateway_id,
        "gateway_name": history.gateway_name,
        "peer_ip": history.peer_ip,
        "region": history.region,
        "level": history.level,
        "since": _iso(history.since),
        "flapping": history.flapping,
        "availability": None if figures.availability is None else round(figures.availability, 6),
        "transitions": figures.transitions,
        "finding": reason if reason != "-" else None,
    }


def headline(report: Report) -> str:
    counts = [
        f"{report.count(level)} {level}" for level in ("error", "warning") if report.count(level)
    ]
    state = ", ".join(counts) if counts else "all normal"
    return (
        f"{len(report.rows)} connections: {state}; availability {percent(report.availability)}, "
        f"{report.transitions} transitions"
    )


def _markdown(report: Report, day: str, rows: list[Row], url: str | None, location: str) -> str:
    lines = [f"### VPN health {day}", "", f"**{_plain(headline(report))}**", ""]
    for row in rows[:ATTENTION]:
        history = row.history
        reason = why(history)
        flap = ", flapping" if history.flapping else ""
        what = f": {_plain(reason)}" if reason != "-" else ""
        state = "back to normal" if history.level == "normal" else f"**{history.level.upper()}**"
        name = f" {_plain(history.connection_name)}" if history.connection_name else ""
        gateway = f" {_plain(history.gateway_name)}" if history.gateway_name else ""
        lines.append(
            f"- {state} {history.connection_id}{name} ({history.gateway_id}{gateway}, "
            f"{history.region}{flap}) since {history.since:%m-%d %H:%M}{what}"
        )
    if len(rows) > ATTENTION:
        lines.append(f"- and {len(rows) - ATTENTION} more")
    lines.append("")
    lines.append(f"[Open the report]({url})" if url else f"Report: {location}")
    return "\n".join(lines)


def build_message(report: Report, *, day: str, location: str, url: str | None) -> dict[str, Any]:
    """The message of the report published as ``day`` at ``location`` (and ``url``, if readers
    have one)."""
    attention = [row for row in report.rows if _needs_attention(row)]
    title = f"VPN health {day}"
    levels = ("normal", "warning", "error")
    return {
        "version": VERSION,
        "date": day,
        "period": {"from": _iso(report.period.start), "to": _iso(report.period.end)},
        "report": location,
        "url": url,
        "headline": headline(report),
        "counts": {
            "connections": len(report.rows),
            "gateways": report.gateways,
            "regions": report.regions,
            **{level: report.count(level) for level in levels},
            "other": len(report.rows) - sum(report.count(level) for level in levels),
        },
        "availability": None if report.availability is None else round(report.availability, 6),
        "transitions": report.transitions,
        "open_findings": report.open_findings,
        "attention": [_entry(row) for row in attention[:ATTENTION]],
        "attention_total": len(attention),
        "dingtalk": {
            "msgtype": "markdown",
            "markdown": {
                "title": title,
                "text": _markdown(report, day, attention, url, location),
            },
        },
    }


def event(message: dict[str, Any], *, subject: str, time: datetime) -> dict[str, Any]:
    """The CloudEvent that carries ``message``: one per report, its id stable across resends."""
    digest = hashlib.sha256(f"report|{subject}".encode()).hexdigest()[:32]
    return {
        "id": digest,
        "source": events.SOURCE,
        "type": TYPE,
        "subject": subject,
        "time": events.event_time(time),
        "data": message,
    }
