"""Turn a validated diagnosis response into the archived summary. Pure: no I/O, no clock.

Speed: descriptions are decoded and validated once, in ``parse_detail``. The summary models are
then built through their normal constructors: given instances that are already validated, pydantic
passes them through without re-validating, and that path measured faster than ``model_construct``
(pydantic 2.14) while still checking every field's type. Validation also copies the ``extra``
dicts, so a summary never shares mutable state with the response it came from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

from pydantic import JsonValue

from vpndiag.model.checks import (
    KNOWN_NAMES,
    ConfigConsistencyDetail,
    ConnectivityDetail,
    Detail,
    QuotaDetail,
    RouteConflictDetail,
    UnparsedDetail,
    parse_detail,
)
from vpndiag.model.connection import VpnConnection
from vpndiag.model.response import DiagnoseItem, DiagnoseResult
from vpndiag.model.summary import (
    KNOWN_LEVELS,
    SCHEMA_VERSION,
    CheckSummary,
    DiagnosisSummary,
    worst_level,
)

_QUOTA_LABELS: Final[Mapping[str, str]] = {
    "VpnRouteQuota": "route entry quota",
    "VpnIPsecQuota": "IPsec connection quota",
    "VpnPbrRouteQuota": "policy-based route quota",
}
_BRIEF_LIMIT: Final = 160
# Treated as "not set" when a config-consistency value arrives as text.
_EMPTY_TEXTS: Final = frozenset({"", "false", "0", "no", "none", "null", "[]", "{}"})


def _number(value: float, places: int = 1) -> str:
    """45.0 -> "45", 12.345 -> "12.3"; huge (or NaN) values in short scientific form."""
    if not -1e15 < value < 1e15:
        return f"{value:.3g}"
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _brief(value: JsonValue) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= _BRIEF_LIMIT else text[: _BRIEF_LIMIT - 3] + "..."


def _probe(subject: str, detail: ConnectivityDetail | RouteConflictDetail) -> str:
    rtt, loss = detail.rtt, detail.loss_rate
    reachable = detail.reachable
    if reachable is None:
        return f"{subject}: no probe result reported"
    if not reachable:
        return f"{subject} unreachable" + (
            "" if loss is None else f": {_number(loss)}% packet loss"
        )
    parts = [] if rtt is None else [f"rtt {_number(rtt, 2)} ms"]
    if loss is not None:
        parts.append(f"{_number(loss)}% packet loss")
    return f"{subject} reachable: {', '.join(parts)}"


def _pair(src: str | None, target: str | None, fallback: str) -> str:
    # Which address is local is undocumented (the SDK text swaps them), so no direction is implied.
    if src and target:
        return f"{fallback} between {src} and {target}"
    return f"{fallback} to {src or target}" if src or target else fallback


def _connectivity(name: str, detail: ConnectivityDetail) -> str:
    if name == "VcoUserInternetIpConnectivity":
        subject = f"peer {detail.target_ip}" if detail.target_ip else "peer"
    else:
        subject = _pair(detail.src_ip, detail.target_ip, "private path")
    return _probe(subject, detail)


def _quota(name: str, detail: QuotaDetail) -> str:
    label = _QUOTA_LABELS.get(name, "quota")
    used, limit = detail.used, detail.quantity
    if used is None:
        return f"{label}: usage not reported"
    if limit is None:
        return f"{label}: {_number(used)} used, limit not reported"
    percent = detail.used_percent
    if percent is None:
        return f"{label}: {_number(used)} used of a limit of {_number(limit)}"
    return f"{label} {_number(percent)}% used ({_number(used)} of {_number(limit)})"


def _is_set(value: JsonValue) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in _EMPTY_TEXTS
    return bool(value)


def _difference(item: JsonValue) -> str:
    # The shape of a difference is undocumented; a {name, local, peer}-like entry reads best as
    # "name local vs peer", anything else is shown as it came.
    if isinstance(item, dict):
        name = item.get("name") or item.get("key")
        local = item.get("local", item.get("localValue"))
        peer = item.get("peer", item.get("remote", item.get("peerValue")))
        if isinstance(name, str) and local is not None and peer is not None:
            return f"{name} {_brief(local)} vs peer {_brief(peer)}"
    return _brief(item)


def _differences(value: JsonValue) -> str:
    if isinstance(value, dict):
        return _brief(", ".join(value))
    if isinstance(value, list):
        return _brief(", ".join(_difference(item) for item in value))
    return _brief(value)


def _config(detail: ConfigConsistencyDetail) -> str:
    if _is_set(detail.vco_lack_conf):
        return "peer configuration could not be read"
    if _is_set(detail.vco_diff_conf):
        return f"configuration differs from the peer: {_differences(detail.vco_diff_conf)}"
    return "configuration matches the peer"


def _route_conflict(level: str, detail: RouteConflictDetail) -> str:
    # The level is the verdict; any probe figures or other keys are reported as seen, since the
    # official example pairs a "normal" verdict with a failed probe.
    parts = ["no route entry conflict" if level == "normal" else "route entry conflict reported"]
    if detail.has_probe:
        subject = _pair(detail.src_ip, detail.target_ip, "probe")
        parts.append(_probe(subject, detail))
    if detail.model_extra:
        parts.append(
            ", ".join(f"{key}={_brief(value)}" for key, value in detail.model_extra.items())
        )
    return "; ".join(parts)


def sentence(name: str, level: str, detail: Detail) -> str:
    """One plain sentence for a check, as a network engineer would write it in a report."""
    if isinstance(detail, QuotaDetail):
        return _quota(name, detail)
    if isinstance(detail, ConnectivityDetail):
        return _connectivity(name, detail)
    if isinstance(detail, RouteConflictDetail):
        return _route_conflict(level, detail)
    if isinstance(detail, ConfigConsistencyDetail):
        return _config(detail)
    if isinstance(detail, UnparsedDetail):
        return f"{name}: {level} (description not readable; raw description kept)"
    if name in KNOWN_NAMES:
        return f"{name}: {level} (description in an unexpected shape; raw description kept)"
    return f"{name}: {level} (unrecognised check; raw description kept)"


def _check(item: DiagnoseItem) -> CheckSummary:
    detail, note = parse_detail(item.name, item.description)
    return CheckSummary(
        name=item.name,
        level=item.level,
        known_name=item.name in KNOWN_NAMES,
        known_level=item.level in KNOWN_LEVELS,
        detail=detail,
        sentence=sentence(item.name, item.level, detail),
        raw_description=item.description,
        parse_note=note,
        extra=item.model_extra or {},
    )


def _duration(result: DiagnoseResult) -> float | None:
    if result.begin_time is None or result.finish_time is None:
        return None
    seconds = (result.finish_time - result.begin_time).total_seconds()
    # Real data need not be self-consistent; a negative span is no duration (both times are kept).
    return seconds if seconds >= 0 else None


def normalize(
    result: DiagnoseResult, *, region: str, account_id: str | None = None
) -> DiagnosisSummary:
    """Summarise ``result``: one typed, explained check per item; nothing sent is dropped."""
    checks = [_check(item) for item in result.items]
    counts = {"normal": 0, "warning": 0, "error": 0}
    for check in checks:
        counts[check.level] = counts.get(check.level, 0) + 1
    return DiagnosisSummary(
        schema_version=SCHEMA_VERSION,
        diagnose_id=result.diagnose_id,
        gateway_id=result.vpn_gateway_id,
        region=region,
        account_id=account_id,
        resource_type=result.resource_type,
        resource_id=result.resource_instance_id,
        request_id=result.request_id,
        begin_time=result.begin_time,
        finish_time=result.finish_time,
        duration_seconds=_duration(result),
        finished_count=result.finished_count,
        total_count=result.total_count,
        complete=result.complete,
        level=worst_level(check.level for check in checks),
        level_counts=counts,
        checks=checks,
        extra=result.model_extra or {},
    )


def peer_address(connection: VpnConnection) -> str | None:
    """The customer gateway's address: the connection's, else the master tunnel's, else any
    tunnel's (the master carries the traffic while both are up)."""
    if connection.peer_ip:
        return connection.peer_ip
    ordered = sorted(connection.tunnels, key=lambda t: (t.role != "master", t.tunnel_id))
    return next((t.peer_ip for t in ordered if t.peer_ip), None)


def with_connection(
    summary: DiagnosisSummary, connection: VpnConnection | None
) -> DiagnosisSummary:
    """The summary with the names and peer address of its connection's description, if any."""
    if connection is None:
        return summary
    return summary.model_copy(
        update={
            "gateway_name": connection.gateway_name,
            "connection_name": connection.name,
            "peer_ip": peer_address(connection),
        }
    )
