"""Why a connection's tunnels are down: DiagnoseVpnConnections, redacted, each cause with its action.

The seven-check diagnosis says *that* a link is broken; DiagnoseVpnConnections says *why* for each
tunnel (a failure code, the mismatched values, a raw IKE log line). The console only keeps the last
minutes of negotiation, so the answer is taken while the diagnosis is archived.

How it is asked (DiagnoseVpnConnections API page, "Operation description"): a single-tunnel
connection with ``VpnConnectionIds.N``, a dual-tunnel one with ``TunnelIds.N``: asked by connection
id, a dual-tunnel connection answers nothing. Each tunnel is recorded; a tunnel whose status says
it is not established but for which the answer holds nothing is recorded as "no answer"
(``answered=False``), never read as "nothing failing".

Redaction (``VPNDIAG_REDACTION``):

- ``ips`` (default): every IPv4/IPv6 address in ``source_log``, ``failed_reason``, the mismatch
  parameters and unknown string fields becomes a short keyed-hash token (``ip#3fa2``). Within one
  root cause the same address always gets the same token and two addresses never share one, so a
  reader can still tell "peer" from "gateway"; the key is the connection's identity, so a replay
  gives the same bytes.
- ``drop``: as ``ips``, and ``source_log`` is removed with a note saying so.
- ``none``: addresses are kept.

Pre-shared keys (``psk=...``, ``"Psk": "..."``, ``: PSK "..."``) are removed in every mode.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Final, Literal, Protocol, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from vpndiag import identifiers
from vpndiag.clients import paging
from vpndiag.errors import ApiError, ConfigError, ResponseError, VpndiagError
from vpndiag.health.actions import Action, ActionTable, load
from vpndiag.health.thresholds import Finding
from vpndiag.http.deadline import Deadline
from vpndiag.model.connection import VpnConnection, status_up

log = logging.getLogger("vpndiag.health")

Redaction = Literal["none", "ips", "drop"]
REDACTIONS: Final[tuple[Redaction, ...]] = get_args(Redaction)
SETTING: Final = "VPNDIAG_REDACTION"
ACTION: Final = "DiagnoseVpnConnections"
ACTIONS: Final = frozenset({f"vpc:{ACTION}"})
"""The RAM action the root cause calls (template.yml grants it; the template tests check)."""
# The checks whose failure means a tunnel cannot negotiate or carry traffic.
ROOT_CAUSE_CHECKS: Final = frozenset(
    {"VcoUserInternetIpConnectivity", "VcoPrivateConnectivity", "VcoConfigConsistency"}
)
REMOVED: Final = "[removed]"
# The API's documented default page size: a connection has two tunnels, so one page is the norm.
_PAGE_SIZE: Final = 10
# A server that keeps reporting more items than it sends must not keep the call looping.
_MAX_PAGES: Final = 20
TunnelState = Literal["failing", "ok", "no_answer"]
_DOCUMENTED: Final = frozenset(
    {
        "VpnConnectionId",
        "TunnelId",
        "FailedReason",
        "FailedReasonCode",
        "FailedTime",
        "MismatchLocalParam",
        "MismatchRemoteParam",
        "Severity",
        "SourceLog",
    }
)

_PSK: Final = re.compile(
    r"""(?ix)
    (?P<key>(?<![a-z0-9])["']?(?:ike[-_]?)?(?:psk|pre[-_\s]?shared[-_\s]?key|shared[-_\s]?secret)["']?)
    (?P<sep>\s*[:=]\s*|\s+(?=["']))
    (?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;&}\]]+)
    """
)
_PSK_KEY: Final = re.compile(r"(?i)(?:ike[-_]?)?(?:psk|pre[-_]?shared[-_]?key|shared[-_]?secret)")
# Candidates only: each is confirmed by ``ipaddress`` before it is replaced, so a time of day
# ("08:00:11") or a version ("1.2.3.4.5") is left alone.
_IPV4: Final = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?!\.?[0-9])")
_IPV6: Final = re.compile(r"(?<![0-9A-Za-z:.])[0-9A-Fa-f]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")


class RpcCaller(Protocol):
    """What the root cause needs of ``VpcClient``: one signed RPC call."""

    def call(
        self, action: str, params: Mapping[str, str], *, region: str, deadline: Deadline
    ) -> dict[str, Any]: ...


class RootCauseError(BaseModel):
    """Why no root cause could be taken; the archive goes on without it."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="The service's error code, or the error class for no answer.")
    message: str
    retryable: bool
    request_id: str | None = None


class TunnelRootCause(BaseModel):
    """One tunnel's negotiation state, redacted, with what to do about it."""

    model_config = ConfigDict(frozen=True)

    connection_id: str | None
    tunnel_id: str | None
    severity: str = Field(description="Critical, Warn or Normal, verbatim (an open set).")
    failed_reason_code: str = Field(description="Empty when the tunnel negotiated.")
    failed_reason: str
    failed_time: AwareDatetime | None = Field(description="From FailedTime (epoch ms).")
    mismatch_local_param: str
    mismatch_remote_param: str
    source_log: str | None = Field(description="Raw IKE log line, redacted; None when dropped.")
    source_log_note: str | None = Field(None, description="Why source_log is absent.")
    action: Action | None = Field(description="What to do; None for a tunnel that negotiated.")
    extra: dict[str, JsonValue] = Field(description="Item fields the API does not document.")
    role: str | None = Field(None, description="master / slave, from DescribeVpnConnections.")
    status: str | None = Field(None, description="The tunnel's status when it was described.")
    answered: bool = Field(
        True,
        description="False: the status said not established, and the answer held nothing for it.",
    )

    @property
    def failing(self) -> bool:
        """True when the tunnel reports a failure code or any severity but Normal."""
        return _is_failing(self.failed_reason_code, self.severity)

    @property
    def state(self) -> TunnelState:
        """``no_answer`` (a failure expected, none reported), ``failing`` or ``ok``."""
        if not self.answered:
            return "no_answer"
        return "failing" if self.failing else "ok"


class RootCause(BaseModel):
    """A connection's per-tunnel root cause, or the error that prevented taking it."""

    model_config = ConfigDict(frozen=True)

    region: str
    gateway_id: str
    connection_id: str
    redaction: Redaction
    tunnels: list[TunnelRootCause]
    error: RootCauseError | None = None
    tunnel_id: str | None = Field(None, description="The tunnel a VPN health event named.")

    @property
    def failing(self) -> list[TunnelRootCause]:
        """The tunnels that report a failure."""
        return [t for t in self.tunnels if t.failing]

    @property
    def no_answer(self) -> list[TunnelRootCause]:
        """The tunnels expected to fail (not established) for which the answer held nothing."""
        return [t for t in self.tunnels if not t.answered]


def needs_root_cause(findings: Iterable[Finding]) -> bool:
    """True when a connectivity or configuration check's level (after thresholds) is not normal."""
    return any(f.check in ROOT_CAUSE_CHECKS and f.level != "normal" for f in findings)


def check_redaction(value: str) -> Redaction:
    """``value`` as a redaction mode, else ``ConfigError`` naming ``VPNDIAG_REDACTION``."""
    for mode in REDACTIONS:
        if value == mode:
            return mode
    raise ConfigError(SETTING, f"{value!r} is not one of {', '.join(REDACTIONS)}")


def diagnose_connection(
    vpc: RpcCaller,
    *,
    region: str,
    gateway_id: str,
    connection_id: str,
    deadline: Deadline,
    connection: VpnConnection | None = None,
    tunnel_id: str | None = None,
    redaction: Redaction = "ips",
    actions: ActionTable | None = None,
) -> RootCause:
    """Take the root cause of ``connection_id``'s tunnels (every page of DiagnoseVpnConnections).

    ``connection`` (as DescribeVpnConnections described it) says how to ask: by tunnel ids for a
    dual-tunnel connection, by connection id otherwise; without it, by ``tunnel_id`` when a health
    event named one (only dual-tunnel connections have tunnel ids: inferred from the
    DescribeVpnConnections model, where ``TunnelId`` exists only under ``TunnelOptions``), else by
    connection id.

    Never raises for the call itself: an API error, a transport failure, an unreadable answer or
    the deadline give a ``RootCause`` with ``error`` set and no tunnels, so the diagnosis is still
    archived. Invalid identifiers or redaction mode do raise (``InvalidIdentifier``,
    ``ConfigError``): they are the caller's bug, not the service's state. ``actions`` defaults to
    the built-in table.
    """
    identifiers.region(region)
    identifiers.gateway_id(gateway_id)
    identifiers.connection_id(connection_id)
    if tunnel_id is not None:
        identifiers.tunnel_id(tunnel_id)
    mode = check_redaction(redaction)
    common = {
        "region": region,
        "gateway_id": gateway_id,
        "connection_id": connection_id,
        "redaction": mode,
        "tunnel_id": tunnel_id,
    }
    tunnel_ids = _tunnel_ids(connection, tunnel_id)
    try:
        items = _fetch(
            vpc,
            region=region,
            gateway_id=gateway_id,
            connection_id=connection_id,
            tunnel_ids=tunnel_ids,
            deadline=deadline,
        )
    except VpndiagError as exc:
        error = RootCauseError(
            code=exc.code if isinstance(exc, ApiError) else type(exc).__name__,
            message=str(exc)[:500],
            retryable=exc.retryable,
            request_id=exc.request_id if isinstance(exc, ApiError) else None,
        )
        log.warning(
            "root cause of %s not taken: %s",
            connection_id,
            error.code,
            extra={"connection_id": connection_id, "error_code": error.code},
        )
        return RootCause.model_validate({**common, "tunnels": [], "error": error})
    redactor = _Redactor(mode, scope=f"{region}/{gateway_id}/{connection_id}")
    table = actions or load()
    described = _described(connection)
    tunnels = [
        _tunnel(item, redactor, table, described.get(_optional(item.get("TunnelId"))))
        for item in items
    ]
    tunnels.extend(_unanswered(connection, connection_id, tunnels))
    return RootCause.model_validate({**common, "tunnels": tunnels})


def _tunnel_ids(connection: VpnConnection | None, tunnel_id: str | None) -> list[str]:
    """The tunnel ids to ask by; empty means "ask by connection id"."""
    if connection is not None and connection.dual_tunnel:
        return [identifiers.tunnel_id(t.tunnel_id) for t in connection.tunnels]
    if connection is None and tunnel_id is not None:
        return [tunnel_id]
    return []


def _described(connection: VpnConnection | None) -> dict[str | None, tuple[str | None, str | None]]:
    """(role, status) per tunnel id; the key None is the single tunnel of a single-tunnel one."""
    if connection is None:
        return {}
    if not connection.dual_tunnel:
        return {None: (None, connection.status)}
    return {t.tunnel_id: (t.role, t.status) for t in connection.tunnels}


def _unanswered(
    connection: VpnConnection | None, connection_id: str, answered: list[TunnelRootCause]
) -> list[TunnelRootCause]:
    """A "no answer" entry for each tunnel described as not established that the answer omits."""
    if connection is None:
        return []
    seen = {t.tunnel_id for t in answered}
    expected: list[tuple[str | None, str | None, str | None]] = (
        [(t.tunnel_id, t.role, t.status) for t in connection.tunnels]
        if connection.dual_tunnel
        else [(None, None, connection.status)]
    )
    missing = [
        (tunnel, role, status)
        for tunnel, role, status in expected
        if status_up(status) is False and (tunnel not in seen if tunnel else not answered)
    ]
    for tunnel, _, status in missing:
        log.warning(
            "root cause of %s: no answer for tunnel %s although its status is %s",
            connection_id,
            tunnel or "(single)",
            status,
            extra={"connection_id": connection_id, "tunnel_id": tunnel},
        )
    return [
        TunnelRootCause(
            connection_id=connection_id,
            tunnel_id=tunnel,
            severity="",
            failed_reason_code="",
            failed_reason="",
            failed_time=None,
            mismatch_local_param="",
            mismatch_remote_param="",
            source_log=None,
            source_log_note="DiagnoseVpnConnections returned nothing for this tunnel",
            action=None,
            extra={},
            role=role,
            status=status,
            answered=False,
        )
        for tunnel, role, status in missing
    ]


def _fetch(
    vpc: RpcCaller,
    *,
    region: str,
    gateway_id: str,
    connection_id: str,
    tunnel_ids: list[str],
    deadline: Deadline,
) -> list[dict[str, Any]]:
    asked: dict[str, str] = {"VpnGatewayId": gateway_id}
    if tunnel_ids:
        asked.update({f"TunnelIds.{n}": t for n, t in enumerate(tunnel_ids, start=1)})
    else:
        asked["VpnConnectionIds.1"] = connection_id

    def fetch(number: int) -> dict[str, Any]:
        params = {**asked, "PageNumber": str(number), "PageSize": str(_PAGE_SIZE)}
        return vpc.call(ACTION, params, region=region, deadline=deadline)

    items = paging.collect(fetch, _page_items, action=ACTION, max_pages=_MAX_PAGES)
    # The filter asked for one connection (or its tunnels); an item naming another connection, or
    # a tunnel not asked about, is not this one's cause.
    wanted = set(tunnel_ids)
    return [
        i
        for i in items
        if i.get("VpnConnectionId") in (None, connection_id)
        and (not wanted or i.get("TunnelId") in wanted or i.get("TunnelId") in (None, ""))
    ]


def _page_items(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    listed = body.get("VpnConnections")
    # The SDK reads a bare list; RPC APIs often wrap lists once more, so both shapes are read.
    if isinstance(listed, dict):
        listed = listed.get("VpnConnection")
    if listed is None:
        return []
    if not isinstance(listed, list) or not all(isinstance(i, dict) for i in listed):
        raise ResponseError("vpc", f"{ACTION}: VpnConnections is not a list of objects")
    return listed


def _tunnel(
    item: Mapping[str, Any],
    redactor: _Redactor,
    table: ActionTable,
    described: tuple[str | None, str | None] | None,
) -> TunnelRootCause:
    code = _text(item.get("FailedReasonCode"))
    severity = _text(item.get("Severity"))
    extra = {k: redactor.value(v) for k, v in item.items() if k not in _DOCUMENTED}
    failed_time = _epoch_ms(item.get("FailedTime"))
    if failed_time is None and item.get("FailedTime") not in (None, 0, "", "0"):
        extra["FailedTime"] = redactor.value(item["FailedTime"])  # unreadable: kept as sent
    log_line: str | None = redactor.text(_text(item.get("SourceLog")))
    note = None
    if redactor.mode == "drop":
        log_line, note = None, "source_log removed by the 'drop' redaction policy"
    return TunnelRootCause(
        connection_id=_optional(item.get("VpnConnectionId")),
        tunnel_id=_optional(item.get("TunnelId")),
        severity=severity,
        failed_reason_code=code,
        failed_reason=redactor.text(_text(item.get("FailedReason"))),
        failed_time=failed_time,
        mismatch_local_param=redactor.text(_text(item.get("MismatchLocalParam"))),
        mismatch_remote_param=redactor.text(_text(item.get("MismatchRemoteParam"))),
        source_log=log_line,
        source_log_note=note,
        action=table.for_negotiation(code) if _is_failing(code, severity) else None,
        extra=extra,
        role=described[0] if described else None,
        status=described[1] if described else None,
    )


def _is_failing(code: str, severity: str) -> bool:
    return bool(code) or severity not in ("", "Normal")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _optional(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _epoch_ms(value: object) -> datetime | None:
    """FailedTime as an aware UTC datetime; None when absent, zero or not a plausible time."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        millis = int(value)
    except (ValueError, OverflowError):
        return None
    if not millis or not 0 < millis < 10**14:
        return None
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc)


def scrub_secrets(text: str) -> str:
    """Remove every pre-shared key value (the key's name stays, so the reader sees one was there)."""

    def replace(match: re.Match[str]) -> str:
        value = match["value"]
        quote = value[0] if value[0] in "\"'" else ""
        return f"{match['key']}{match['sep']}{quote}{REMOVED}{quote}"

    return _PSK.sub(replace, text)


class _Redactor:
    """Redacts one root cause: each address maps to one token, and no two addresses share one."""

    def __init__(self, mode: Redaction, *, scope: str) -> None:
        self.mode = mode
        self._key = scope.encode()
        self._tokens: dict[str, str] = {}
        self._taken: set[str] = set()

    def text(self, value: str) -> str:
        value = scrub_secrets(value)
        if self.mode == "none":
            return value
        value = _IPV4.sub(self._replace, value)
        return _IPV6.sub(self._replace, value)

    def value(self, value: Any) -> JsonValue:
        """A JSON value of an unknown field, redacted throughout; key-named secrets removed."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                str(k): REMOVED if _PSK_KEY.fullmatch(str(k)) else self.value(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return self.text(str(value))

    def _replace(self, match: re.Match[str]) -> str:
        candidate = match.group(0)
        # A sentence may end right after an address ("... from fe80::1."): try without the dot.
        for text in (candidate, candidate.rstrip(".")):
            try:
                address = ipaddress.ip_address(text)
            except ValueError:
                continue
            return self._token(address.compressed) + candidate[len(text) :]
        return candidate

    def _token(self, address: str) -> str:
        token = self._tokens.get(address)
        if token is None:
            digest = hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()
            length = 4
            while f"ip#{digest[:length]}" in self._taken:
                length += 2
            token = f"ip#{digest[:length]}"
            self._tokens[address] = token
            self._taken.add(token)
        return token
