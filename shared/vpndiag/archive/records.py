"""The log records of one diagnosis: one per check, one summary, one per connection-level
transition its health outcome made (``transition``) and one per tunnel-level transition
(``tunnel_transition``). Every record names the gateway, the connection and the peer address next to
their ids (empty when unknown). Field names are a contract with the SLS index, saved searches,
dashboard and alerts in ``template.yml``; the template tests hold the two together."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from vpndiag.model.summary import DiagnosisSummary
from vpndiag.store.logs import LogRecord

if TYPE_CHECKING:  # health is imported only where it is switched on (cold start)
    from vpndiag.health.store import Snapshot
    from vpndiag.health.transitions import Transition

TOPIC = "vpndiag"
# SLS refuses records older than 7 days; an older diagnosis is logged at archive time instead, with
# its real finish time kept in a field.
_MAX_AGE = 6 * 24 * 3600


def _iso(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def record_time(summary: DiagnosisSummary, now: int) -> int:
    stamp = summary.finish_time or summary.begin_time
    seconds = int(stamp.timestamp()) if stamp else now
    return seconds if now - _MAX_AGE <= seconds <= now + 300 else now


def _common(summary: DiagnosisSummary) -> dict[str, str]:
    return {
        "schema_version": summary.schema_version,
        "diagnose_id": summary.diagnose_id,
        "gateway_id": summary.gateway_id,
        "connection_id": summary.resource_id or "",
        "resource_type": summary.resource_type or "",
        "region": summary.region,
        "account_id": summary.account_id or "",
        "gateway_name": summary.gateway_name or "",
        "connection_name": summary.connection_name or "",
        "peer_ip": summary.peer_ip or "",
        "begin_time": _iso(summary.begin_time),
        "finish_time": _iso(summary.finish_time),
    }


def records_for(
    summary: DiagnosisSummary, *, archive_key: str, request_id: str | None, now: int
) -> list[LogRecord]:
    at = record_time(summary, now)
    common = _common(summary)
    records = [
        LogRecord(
            time=at,
            topic=TOPIC,
            source=summary.gateway_id,
            contents={
                **common,
                "record_type": "check",
                "record_id": f"{summary.diagnose_id}/check/{index}",
                "check": check.name,
                "level": check.level,
                "sentence": check.sentence,
                "detail": json.dumps(check.detail.model_dump(mode="json"), sort_keys=True),
                "raw_description": check.raw_description,
                "parse_note": check.parse_note or "",
            },
        )
        for index, check in enumerate(summary.checks)
    ]
    records.append(
        LogRecord(
            time=at,
            topic=TOPIC,
            source=summary.gateway_id,
            contents={
                **common,
                "record_type": "summary",
                "record_id": f"{summary.diagnose_id}/summary",
                "level": summary.level,
                "complete": "true" if summary.complete else "false",
                "finished_count": str(summary.finished_count),
                "total_count": str(summary.total_count),
                "duration_seconds": ""
                if summary.duration_seconds is None
                else f"{summary.duration_seconds:g}",
                "level_counts": json.dumps(summary.level_counts, sort_keys=True),
                "findings": str(sum(1 for c in summary.checks if c.level != "normal")),
                "archive_key": archive_key,
                "request_id": request_id or "",
            },
        )
    )
    return records


def _failure_codes(snapshot: Snapshot, tunnel_id: str | None = None) -> list[str]:
    """The root cause's failure codes (of one tunnel, when ``tunnel_id`` is given)."""
    tunnels = (snapshot.root_cause or {}).get("tunnels")
    codes = [
        str(t["failed_reason_code"])
        for t in (tunnels if isinstance(tunnels, list) else [])
        if isinstance(t, dict)
        and t.get("failed_reason_code")
        and (tunnel_id is None or t.get("tunnel_id") == tunnel_id)
    ]
    return sorted(set(codes))


def _lasted(move: Transition) -> str:
    return "" if move.duration_seconds is None else f"{move.duration_seconds:g}"


def _tunnel_fields(move: Transition) -> dict[str, str]:
    """A connection-level move's tunnels: those not up after it (comma-separated, in tunnel id
    order: the one down tunnel of a degraded connection), and every tunnel as JSON."""
    down = move.tunnels_down
    return {
        "tunnel_id": ",".join(t.tunnel_id for t in down),
        "tunnel_role": ",".join(t.role or "" for t in down),
        "tunnel_status": ",".join(t.status or "" for t in down),
        "tunnels": json.dumps(
            [t.model_dump(mode="json") for t in move.tunnels], sort_keys=True, separators=(",", ":")
        ),
    }


def transition_records(
    summary: DiagnosisSummary, snapshot: Snapshot, *, now: int
) -> list[LogRecord]:
    """One record per connection-level and per tunnel-level transition of the diagnosis
    (``snapshot``: its health outcome), so that SLS alerts fire on changes rather than on every bad
    diagnosis.

    ``finish_time`` is the transition's time; ``causes`` the checks not normal (``check:level``)
    and ``failure_codes`` the tunnels' negotiation failures, each comma-separated. A connection
    transition (``transition``; ``to_level`` ``degraded`` when one tunnel of two is down) names the
    tunnels not up after it (``tunnel_id``, ``tunnel_role``, ``tunnel_status``) and lists every
    tunnel (``tunnels``); a tunnel transition (``tunnel_transition``, levels ``up`` / ``down`` /
    ``unknown``) names its tunnel, with that tunnel's failure codes. Ids are
    ``<diagnose_id>/transition/<n>`` and ``<diagnose_id>/tunnel_transition/<n>``, deterministic
    like the others.
    """
    at = record_time(summary, now)
    common = _common(summary)
    causes = ",".join(
        f"{f.get('check')}:{f.get('level')}"
        for f in snapshot.findings
        if f.get("level") != "normal"
    )
    moves = [t for t in snapshot.transitions if t.scope == "connection"]
    return [
        LogRecord(
            time=at,
            topic=TOPIC,
            source=summary.gateway_id,
            contents={
                **common,
                "record_type": "transition",
                "record_id": f"{summary.diagnose_id}/transition/{index}",
                "kind": move.kind,
                "from_level": move.from_level or "",
                "to_level": move.to_level,
                "flapping": "true" if move.flapping else "false",
                "lasted_seconds": _lasted(move),
                "causes": causes,
                "failure_codes": ",".join(_failure_codes(snapshot)),
                **_tunnel_fields(move),
                "archive_key": snapshot.archive_key,
            },
        )
        for index, move in enumerate(moves)
    ] + [
        LogRecord(
            time=at,
            topic=TOPIC,
            source=summary.gateway_id,
            contents={
                **common,
                "record_type": "tunnel_transition",
                "record_id": f"{summary.diagnose_id}/tunnel_transition/{index}",
                "kind": move.kind,
                "from_level": move.from_level or "",
                "to_level": move.to_level,
                "flapping": "true" if move.flapping else "false",
                "lasted_seconds": _lasted(move),
                "tunnel_id": move.tunnel_id or "",
                "tunnel_role": move.tunnel_role or "",
                "tunnel_status": move.tunnel_status or "",
                "failure_codes": ",".join(_failure_codes(snapshot, move.tunnel_id)),
                "archive_key": snapshot.archive_key,
            },
        )
        for index, move in enumerate(t for t in snapshot.transitions if t.scope == "tunnel")
    ]
