"""The CloudEvents vpndiag publishes for others to react to: a diagnosis archived, a state changed.

Both have stable ids, so a replay or a platform retry publishes the same id again and consumers
de-duplicate by ``source`` + ``id``: ``vpndiag:Diagnosis:Archived`` is keyed by the diagnosis,
``vpndiag:Connection:StateChanged`` by the transition (``Transition.event_id``). The same inputs
always give the same bytes.

Size: an event must fit EventBridge's strictest published per-event limit (64 KB, which also
keeps it well inside FC's 128 KB asynchronous payload once the bus adds its attributes). Raw
check descriptions are always cut to ``RAW_LIMIT`` characters (the archive holds them whole); if
the event is still too large, these go in order until it fits: raw descriptions, the tunnels'
source logs, their unknown fields, the Chinese action texts. ``data.trimmed`` names every cut.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Final

from vpndiag.clients.eventbridge import MAX_EVENT_BYTES, EventTooLarge
from vpndiag.health.actions import Action
from vpndiag.health.rootcause import RootCause
from vpndiag.health.thresholds import Finding
from vpndiag.health.transitions import Transition, TunnelMark
from vpndiag.model.summary import CheckSummary, DiagnosisSummary

SOURCE: Final = "vpndiag"
ARCHIVED: Final = "vpndiag:Diagnosis:Archived"
STATE_CHANGED: Final = "vpndiag:Connection:StateChanged"
DATA_VERSION: Final = "1"
RAW_LIMIT: Final = 1024
# Room left for what the publisher adds to each event (aliyuneventbusname, defaults).
_BUDGET: Final = MAX_EVENT_BYTES - 512

Json = dict[str, Any]


def subject(region: str, account_id: str | None, gateway_id: str, connection_id: str | None) -> str:
    """The RAM-style name of the connection (the gateway when the connection is unknown).

    The account segment is empty when the account is unknown.
    """
    resource = f"vpnconnection/{connection_id}" if connection_id else f"vpngateway/{gateway_id}"
    return f"acs:vpc:{region}:{account_id or ''}:{resource}"


def event_time(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, the form the EventBridge SDK validates."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def diagnosis_archived(
    summary: DiagnosisSummary,
    archive_location: str,
    findings: Sequence[Finding],
    actions: Mapping[str, Action | None],
    root_cause: RootCause | None,
    *,
    tunnels: Sequence[TunnelMark] = (),
    tunnel_actions: Mapping[str, Action] | None = None,
) -> Json:
    """``vpndiag:Diagnosis:Archived``: the diagnosis's identity, level, findings and what to do.

    ``actions`` maps a check name to its action (``None`` or absent: nothing to do); ``tunnels``
    are the connection's tunnels as its state holds them after this diagnosis, and
    ``tunnel_actions`` what to do about those not up, by tunnel id. The id is a hash of the
    diagnosis id, and ``time`` is the diagnosis's finish time, never the clock.
    """
    stamp = summary.finish_time or summary.begin_time
    if stamp is None:
        raise ValueError(f"diagnosis {summary.diagnose_id} has neither finish nor begin time")
    checks = {c.name: c for c in summary.checks}
    trimmed: list[str] = []
    data: Json = {
        "version": DATA_VERSION,
        **_identity(summary),
        "level": summary.level,
        "level_counts": dict(summary.level_counts),
        "complete": summary.complete,
        "begin_time": _time_or_none(summary.begin_time),
        "finish_time": _time_or_none(summary.finish_time),
        "archive": archive_location,
        "findings": [
            _finding(f, checks.get(f.check), actions.get(f.check), trimmed) for f in findings
        ],
        "root_cause": _root_cause(root_cause),
        "tunnels": [_mark(t) for t in tunnels],
        "tunnel_actions": _tunnel_actions(tunnels, tunnel_actions or {}),
        "trimmed": trimmed,
    }
    where = subject(summary.region, summary.account_id, summary.gateway_id, summary.resource_id)
    return _fit(_event(_digest(summary.diagnose_id, "archived"), ARCHIVED, where, stamp, data))


def state_changed(
    transition: Transition,
    summary: DiagnosisSummary,
    root_cause: RootCause | None,
    actions: Mapping[str, Action | None],
    archive_location: str,
    *,
    tunnel_actions: Mapping[str, Action] | None = None,
) -> Json:
    """``vpndiag:Connection:StateChanged``: one transition, its root cause and what to do.

    A check-scope transition carries that check's action; a tunnel-scope one no check's action,
    its tunnel (``data.tunnel``) and that tunnel's action; a connection-scope one the action of
    every check given, every tunnel (``data.tunnels``; a ``degraded`` connection has one not up)
    and the action of each tunnel not up (``data.tunnel_actions``, from ``tunnel_actions`` by
    tunnel id). ``time`` is the transition's time.
    """
    by_tunnel = tunnel_actions or {}
    tunnel: Json | None = None
    concerned: Sequence[TunnelMark] = transition.tunnels
    if transition.check is not None:
        chosen = {transition.check: actions.get(transition.check)}
    elif transition.scope == "tunnel" and transition.tunnel_id is not None:
        chosen = {}
        tunnel = {
            "tunnel_id": transition.tunnel_id,
            "role": transition.tunnel_role,
            "status": transition.tunnel_status,
            "level": transition.to_level,
        }
        concerned = [TunnelMark.model_validate(tunnel)]
    else:
        chosen = dict(actions)
    data: Json = {
        "version": DATA_VERSION,
        **_identity(summary),
        "connection_id": transition.connection_id,
        "transition": {
            "kind": transition.kind,
            "scope": transition.scope,
            "check": transition.check,
            "from": transition.from_level,
            "to": transition.to_level,
            "since": event_time(transition.at),
            "previous_since": _time_or_none(transition.previous_since),
            "duration_seconds": transition.duration_seconds,
            "flapping": transition.flapping,
            "diagnose_id": transition.diagnose_id,
        },
        "level": summary.level,
        "actions": [_action(check, a) for check, a in chosen.items() if a is not None],
        "tunnel": tunnel,
        "tunnels": [_mark(t) for t in transition.tunnels],
        "tunnel_actions": _tunnel_actions(concerned, by_tunnel),
        "root_cause": _root_cause(root_cause),
        "archive": archive_location,
        "trimmed": [],
    }
    where = subject(
        transition.region, summary.account_id, transition.gateway_id, transition.connection_id
    )
    return _fit(_event(transition.event_id, STATE_CHANGED, where, transition.at, data))


def _event(event_id: str, kind: str, where: str, at: datetime, data: Json) -> Json:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": SOURCE,
        "type": kind,
        "subject": where,
        "time": event_time(at),
        "datacontenttype": "application/json",
        "data": data,
    }


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _time_or_none(moment: datetime | None) -> str | None:
    return event_time(moment) if moment is not None else None


def _identity(summary: DiagnosisSummary) -> Json:
    return {
        "diagnose_id": summary.diagnose_id,
        "gateway_id": summary.gateway_id,
        "gateway_name": summary.gateway_name,
        "connection_id": summary.resource_id,
        "connection_name": summary.connection_name,
        "peer_ip": summary.peer_ip,
        "region": summary.region,
        "account_id": summary.account_id,
    }


def _action(check: str, action: Action) -> Json:
    return {"check": check, **action.model_dump(mode="json")}


def _mark(tunnel: TunnelMark) -> Json:
    return tunnel.model_dump(mode="json")


def _tunnel_actions(tunnels: Sequence[TunnelMark], actions: Mapping[str, Action]) -> list[Json]:
    """What to do about each tunnel that is not up, naming it."""
    return [
        {"tunnel_id": t.tunnel_id, "role": t.role, **actions[t.tunnel_id].model_dump(mode="json")}
        for t in tunnels
        if t.level != "up" and t.tunnel_id in actions
    ]


def _finding(
    finding: Finding, check: CheckSummary | None, action: Action | None, trimmed: list[str]
) -> Json:
    raw = check.raw_description if check else None
    if raw is not None and len(raw) > RAW_LIMIT:
        trimmed.append(f"findings.{finding.check}.raw_description: {len(raw)} -> {RAW_LIMIT} chars")
        raw = raw[:RAW_LIMIT]
    return {
        "check": finding.check,
        "level": finding.level,
        "service_level": finding.service_level,
        "threshold": finding.threshold,
        "note": finding.note,
        "sentence": check.sentence if check else None,
        "raw_description": raw,
        "action": _action(finding.check, action) if action else None,
    }


def _root_cause(root_cause: RootCause | None) -> Json | None:
    return root_cause.model_dump(mode="json") if root_cause is not None else None


def _size(event: Json) -> int:
    return len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _drop_raw(data: Json) -> bool:
    found = [f for f in data.get("findings", []) if f.get("raw_description") is not None]
    for finding in found:
        finding["raw_description"] = None
    return bool(found)


def _tunnels(data: Json) -> list[Json]:
    root = data.get("root_cause")
    return list(root.get("tunnels", [])) if isinstance(root, dict) else []


def _drop_logs(data: Json) -> bool:
    found = [t for t in _tunnels(data) if t.get("source_log") is not None]
    for tunnel in found:
        tunnel["source_log"] = None
        tunnel["source_log_note"] = "removed to keep the event within its size limit"
    return bool(found)


def _drop_extra(data: Json) -> bool:
    found = [t for t in _tunnels(data) if t.get("extra")]
    for tunnel in found:
        tunnel["extra"] = {}
    return bool(found)


def _drop_zh(data: Json) -> bool:
    actions = [f["action"] for f in data.get("findings", []) if f.get("action")]
    actions += data.get("actions", [])
    actions += data.get("tunnel_actions", [])
    actions += [t["action"] for t in _tunnels(data) if t.get("action")]
    found = [a for a in actions if a.get("zh")]
    for action in found:
        action["zh"] = ""
    return bool(found)


_REDUCTIONS: Final[tuple[tuple[str, Callable[[Json], bool]], ...]] = (
    ("findings[*].raw_description removed", _drop_raw),
    ("root_cause.tunnels[*].source_log removed", _drop_logs),
    ("root_cause.tunnels[*].extra removed", _drop_extra),
    ("actions: Chinese texts removed", _drop_zh),
)


def _fit(event: Json) -> Json:
    """The event within ``_BUDGET`` bytes, cutting in a fixed order; ``EventTooLarge`` if it can't."""
    if _size(event) <= _BUDGET:
        return event
    fitted = copy.deepcopy(event)
    data = fitted["data"]
    for note, reduce in _REDUCTIONS:
        if reduce(data):
            data["trimmed"].append(note)
            if _size(fitted) <= _BUDGET:
                return fitted
    raise EventTooLarge(0, _size(fitted))
