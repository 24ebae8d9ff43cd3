"""Every trigger shape the archive function accepts, reduced to one typed ``DiagnosisRequest``.

Shapes (samples in ``events/``):
- direct or asynchronous invocation: ``{"RegionId", "DiagnoseId" | "VpnGatewayId"}``;
- a CloudEvent whose ``data`` carries those keys (a custom bus, or a work item of the sweep);
- the ActionTrail API-call CloudEvent of ``DiagnoseVpnGateway``. The shape EventBridge documents
  (https://www.alibabacloud.com/help/en/doc-detail/204963.htm, "ActionTrail events") carries no
  ``requestParameters`` or ``responseElements``: ids are taken from ``referencedResources`` (and
  from those two objects when a producer adds them), the region from ``acsRegion``. Naming a
  gateway but no diagnosis, it asks for the gateway's latest diagnosis. EventBridge forwards only
  write-type ActionTrail events, and DiagnoseVpnGateway's RAM access level is "get", so this
  event may never arrive: see ``docs/events.md``;
- a list of CloudEvents (EventBridge event-streaming delivers batches);
- a timer payload whose ``payload`` string holds the same keys as JSON;
- a VPN health event (``vpn:CloudMonitor:IpsecHealthCheckFailed``, ``...IpsecPhase1NegoFailed``,
  ``...IpsecPhase2NegoFailed``, source ``acs.vpn``): it names a connection, not a diagnosis, so
  the request asks for one to be started first (``start_key``); the tunnel it names, if any,
  travels as ``tunnel_id`` to the root cause.
Anything else is an ``EventError`` that names the shape received and the shapes expected.

The health events' ``data`` is not documented. What is read here is inferred (samples in
``events/vpn-health-*.json``) and read leniently: the connection id from ``data``
(``vpnConnectionId``, ``VpnConnectionId``, ``instanceId``, ``resourceId``) or from the subject
(``acs:vpn:<region>:<uid>:vpnconnection/vco-...``); the gateway id, if any, from ``data``
(``vpnGatewayId``, ``VpnGatewayId``) or a ``vpngateway/vpn-...`` subject; the tunnel id, if any,
from ``data`` (``tunnelId``, ``TunnelId``); the region from ``data.regionId``, ``aliyunregionid``
or the subject. They fire only on a change of state, so a connection already failing when the
rule was created sends none: the sweep's per-tick tunnel status is what covers it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from vpndiag import identifiers
from vpndiag.errors import EventError, InvalidIdentifier

EXPECTED = (
    '{"RegionId", "DiagnoseId" | "VpnGatewayId"}, a CloudEvent with those keys in data, '
    "an ActionTrail DiagnoseVpnGateway event, a VPN health event, a list of CloudEvents, "
    "or a timer payload"
)
HEALTH_EVENT_TYPES: Final = frozenset(
    {
        "vpn:CloudMonitor:IpsecHealthCheckFailed",
        "vpn:CloudMonitor:IpsecPhase1NegoFailed",
        "vpn:CloudMonitor:IpsecPhase2NegoFailed",
    }
)
# acs:vpn:<region>:<uid>:<kind>/<id>: the subject (and often data.resourceId) of a VPN event.
_ARN = re.compile(r"acs:vpn:(?P<region>[a-z0-9-]*):[0-9]*:(?P<kind>[a-z]+)/(?P<id>[a-z0-9*-]+)")
_MAX_EVENT_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class DiagnosisRequest:
    """What to fetch: a diagnosis by id, or a gateway's latest diagnosis."""

    region: str
    correlation_id: str
    diagnose_id: str | None = None
    gateway_id: str | None = None
    connection_id: str | None = None
    account_id: str | None = None
    shape: str = "direct"
    start_key: str | None = None
    """Set when no diagnosis exists yet: start one of ``connection_id`` first, with a
    ClientToken derived from this key (an event's source and id), so that a redelivered event
    starts nothing twice."""
    tunnel_id: str | None = None
    """The tunnel a VPN health event named (``tun-...``): the root cause records which tunnel
    the event was about."""


@dataclass(frozen=True)
class ParsedEvent:
    """The requests found in one invocation payload.

    ``rejected`` holds the items of a batch that could not be read; a single event that cannot be
    read raises instead, since there is nothing else in it to process.
    """

    requests: tuple[DiagnosisRequest, ...]
    rejected: tuple[tuple[int, EventError], ...] = ()


def _describe(value: object) -> str:
    if isinstance(value, dict):
        keys = ", ".join(sorted(str(k) for k in value)[:8])
        return f"an object with keys [{keys}]"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return f"a JSON {type(value).__name__}"


def _get(mapping: Mapping[str, Any], *names: str) -> Any:
    """The first present key among ``names`` (wire names vary in case between producers)."""
    for name in names:
        if name in mapping:
            return mapping[name]
    return None


def _request_from_keys(
    keys: Mapping[str, Any], *, correlation_id: str, shape: str, region_hint: object = None
) -> DiagnosisRequest:
    region = _get(keys, "RegionId", "regionId", "region") or region_hint
    diagnose = _get(keys, "DiagnoseId", "diagnoseId")
    gateway = _get(keys, "VpnGatewayId", "vpnGatewayId")
    connection = _get(keys, "VpnConnectionId", "ResourceId", "ConnectionId")
    account = _get(keys, "AccountId", "aliyunaccountid")
    tunnel = _get(keys, "TunnelId", "tunnelId")
    if region is None:
        raise EventError(shape, EXPECTED, "RegionId is missing")
    if not diagnose and not gateway:
        raise EventError(shape, EXPECTED, "neither DiagnoseId nor VpnGatewayId is present")
    try:
        return DiagnosisRequest(
            region=identifiers.region(region),
            correlation_id=correlation_id,
            diagnose_id=identifiers.diagnose_id(diagnose) if diagnose else None,
            gateway_id=identifiers.gateway_id(gateway) if gateway else None,
            connection_id=identifiers.connection_id(connection) if connection else None,
            account_id=identifiers.account_id(str(account)) if account else None,
            shape=shape,
            tunnel_id=identifiers.tunnel_id(tunnel) if tunnel else None,
        )
    except InvalidIdentifier as exc:
        raise EventError(shape, EXPECTED, str(exc)) from None


# The id prefixes of what a DiagnoseVpnGateway call references, by the request key they fill.
_REFERENCED: Final = (("vpndgn-", "DiagnoseId"), ("vpn-", "VpnGatewayId"), ("vco-", "ResourceId"))


def _referenced(resources: object) -> dict[str, str]:
    """Ids found in ActionTrail's ``referencedResources`` (``{"ACS::<Service>::<Type>": [ids]}``).

    The resource type names for VPN gateways and connections are not published (inferred), so
    ids are recognised by their documented prefixes, whatever type lists them.
    """
    if not isinstance(resources, Mapping):
        return {}
    found: dict[str, str] = {}
    for ids in resources.values():
        for value in ids if isinstance(ids, list) else [ids]:
            if not isinstance(value, str):
                continue
            key = next((k for prefix, k in _REFERENCED if value.startswith(prefix)), None)
            if key is not None:
                found.setdefault(key, value)
    return found


def _arn(value: object) -> dict[str, str]:
    match = _ARN.search(value) if isinstance(value, str) else None
    return match.groupdict() if match else {}


def _health_request(
    event: Mapping[str, Any], data: Mapping[str, Any], event_id: str
) -> DiagnosisRequest:
    subject = _arn(event.get("subject"))
    resource = _arn(_get(data, "resourceId", "ResourceId"))
    named = {arn["kind"]: arn["id"] for arn in (resource, subject) if arn}
    instance = _get(data, "instanceId", "InstanceId")
    connection = (
        _get(data, "vpnConnectionId", "VpnConnectionId")
        or (instance if isinstance(instance, str) and instance.startswith("vco-") else None)
        or named.get("vpnconnection")
    )
    gateway = _get(data, "vpnGatewayId", "VpnGatewayId") or named.get("vpngateway")
    tunnel = _get(data, "tunnelId", "TunnelId") or named.get("vpntunnel")
    region = (
        _get(data, "regionId", "RegionId")
        or event.get("aliyunregionid")
        or subject.get("region")
        or resource.get("region")
    )
    if not connection:
        raise EventError("a VPN health event", EXPECTED, "it names no IPsec connection (vco-...)")
    if not region:
        raise EventError("a VPN health event", EXPECTED, "it names no region")
    account = event.get("aliyunaccountid")
    try:
        return DiagnosisRequest(
            region=identifiers.region(region),
            correlation_id=event_id,
            gateway_id=identifiers.gateway_id(gateway) if gateway else None,
            connection_id=identifiers.connection_id(connection),
            account_id=identifiers.account_id(str(account)) if account else None,
            shape="health",
            start_key=event_id,
            tunnel_id=identifiers.tunnel_id(tunnel) if tunnel else None,
        )
    except InvalidIdentifier as exc:
        raise EventError("a VPN health event", EXPECTED, str(exc)) from None


def _from_cloudevent(event: Mapping[str, Any], fallback_id: str) -> DiagnosisRequest:
    event_id = f"{event.get('source', '?')}/{event.get('id', fallback_id)}"
    data = event.get("data")
    if isinstance(data, str):
        data = _loads(data, "a CloudEvent whose data is a string")
    if not isinstance(data, dict):
        raise EventError(f"a CloudEvent whose data is {_describe(data)}", EXPECTED)
    kind = event.get("type")
    if isinstance(kind, str) and kind in HEALTH_EVENT_TYPES:
        return _health_request(event, data, event_id)
    region_hint = event.get("aliyunregionid")
    if str(event.get("type", "")).endswith(":ActionTrail:ApiCall"):
        if data.get("eventName") != "DiagnoseVpnGateway":
            raise EventError(
                f"an ActionTrail event for {data.get('eventName')!r}",
                "an ActionTrail event for DiagnoseVpnGateway",
            )
        parts = [data.get(k) or {} for k in ("requestParameters", "responseElements")]
        if not all(isinstance(part, dict) for part in parts):
            raise EventError(
                "an ActionTrail event whose parameters or response are not objects", EXPECTED
            )
        keys = {**_referenced(data.get("referencedResources")), **parts[0], **parts[1]}
        return _request_from_keys(
            keys,
            correlation_id=event_id,
            shape="actiontrail",
            region_hint=data.get("acsRegion") or region_hint,
        )
    keys = {"aliyunaccountid": event.get("aliyunaccountid"), **data}
    if keys["aliyunaccountid"] is None:
        del keys["aliyunaccountid"]
    return _request_from_keys(
        keys, correlation_id=event_id, shape="cloudevent", region_hint=region_hint
    )


def _loads(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise EventError(f"{what} that is not JSON", EXPECTED) from None
    except RecursionError:
        raise EventError(f"{what} nested too deeply", EXPECTED) from None


def _is_cloudevent(value: object) -> bool:
    return isinstance(value, dict) and "specversion" in value and "data" in value


def _single(event: Mapping[str, Any], invocation_id: str) -> DiagnosisRequest:
    if _is_cloudevent(event):
        return _from_cloudevent(event, invocation_id)
    if "triggerTime" in event and "payload" in event:
        payload = event["payload"]
        keys = _loads(payload, "a timer payload") if isinstance(payload, str) else payload
        if not isinstance(keys, dict):
            raise EventError(f"a timer payload holding {_describe(keys)}", EXPECTED)
        tick = f"timer/{event.get('triggerName', '?')}/{event['triggerTime']}"
        return _request_from_keys(keys, correlation_id=tick, shape="timer")
    if any(k in event for k in ("RegionId", "DiagnoseId", "VpnGatewayId")):
        correlation = str(event.get("CorrelationId") or invocation_id)
        return _request_from_keys(event, correlation_id=correlation, shape="direct")
    raise EventError(_describe(event), EXPECTED)


def parse_event(
    raw: bytes | str | Mapping[str, Any] | list[Any], *, invocation_id: str
) -> ParsedEvent:
    """Read one invocation payload; ``invocation_id`` correlates shapes that carry no id."""
    if isinstance(raw, (bytes, str)):
        if len(raw) > _MAX_EVENT_BYTES:
            raise EventError(f"a payload of {len(raw)} bytes", "at most 6 MiB")
        raw = _loads(raw, "a payload")
    if isinstance(raw, list):
        if not raw:
            raise EventError("an empty list", EXPECTED)
        found: list[DiagnosisRequest] = []
        rejected: list[tuple[int, EventError]] = []
        for index, item in enumerate(raw):
            try:
                if not _is_cloudevent(item):
                    raise EventError(f"batch item {index}: {_describe(item)}", "a CloudEvent")
                found.append(_from_cloudevent(item, f"{invocation_id}#{index}"))
            except EventError as exc:
                rejected.append((index, exc))
        return ParsedEvent(tuple(found), tuple(rejected))
    if not isinstance(raw, Mapping):
        raise EventError(_describe(raw), EXPECTED)
    return ParsedEvent((_single(raw, invocation_id),))
