"""VPC action handlers: read parameters, call the backend, shape the JSON the real API returns.

GetVpnGatewayDiagnoseResult's documented errors, and what produces each here:

- 400 ``param_error``: a malformed ``RegionId`` (``cn_hangzhou``) or ``DiagnoseId`` (``bogus``).
- 400 ``MissingParam.DiagnoseInfo``: neither ``DiagnoseId`` nor ``VpnGatewayId``.
- 400 ``VpnGateway.Configuring``: the gateway's status is not ``active`` (``set_gateway_status``).
- 400 ``IncorrectStatus.DiagnoseTimeout``: ``fail_next_diagnosis`` + the duration elapsed.
- 400 ``IncorrectStatus.VpnConnectionDeleted``: ``delete_connection`` during the diagnosis.
- 403 ``Forbidden``: the key lacks the action (``allowed_actions=`` or ``cloud.deny``).
- 404 ``InvalidDiagnoseId.NotFound``: a well-formed id that does not exist here.
- 404 ``InvalidVpnGatewayId.NotFound``: ``VpnGatewayId`` alone, gateway never diagnosed.
- 404 ``InvalidVpnGatewayInstanceId.NotFound``: no such gateway here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final, TypeVar

from vpndiag_emulator.core.clock import epoch_millis, format_utc
from vpndiag_emulator.core.rpc import ActionHandler, JsonObject, RpcCall

from . import errors
from .models import TunnelNegotiation, VpcBackend
from .shapes import connection_json, customer_gateway_json, gateway_json

VERSION: Final = "2016-04-28"
_REGION = re.compile(r"[a-z]{2,4}(?:-[a-z0-9]{1,20}){1,4}")
_DIAGNOSE_ID = re.compile(r"vpndgn-[a-z0-9]{1,48}")
_MAX_PAGE_SIZE: Final = 50

_T = TypeVar("_T")


def _backend(call: RpcCall) -> VpcBackend:
    region = call.required("RegionId")
    if not _REGION.fullmatch(region):
        raise errors.param_error()
    return call.cloud.vpc(region, call.account_id)


def _page(call: RpcCall, items: Sequence[_T]) -> tuple[JsonObject, Sequence[_T]]:
    """``PageNumber`` (from 1) / ``PageSize`` (1-50, default 10) over ``items``.

    A server page cap (``VpcBackend.set_page_cap``) serves fewer items than asked; the answer's
    PageSize is then the served size (inferred), so only ``TotalCount`` tells a client when
    it has everything.
    """
    number = call.integer("PageNumber", default=1, minimum=1)
    size = call.integer("PageSize", default=10, minimum=1, maximum=_MAX_PAGE_SIZE)
    cap = _backend(call).page_cap
    if cap is not None:
        size = min(size, cap)
    header: JsonObject = {"TotalCount": len(items), "PageNumber": number, "PageSize": size}
    return header, items[(number - 1) * size : number * size]


def _tags(call: RpcCall) -> list[tuple[str, str | None]]:
    return [(t["Key"], t.get("Value")) for t in call.indexed("Tag", ("Key", "Value")) if "Key" in t]


def describe_vpn_gateways(call: RpcCall) -> JsonObject:
    """DescribeVpnGateways: filters VpnGatewayId, VpcId, Status, BusinessStatus, Tag.N; paging."""
    vpc = _backend(call)
    found = vpc.find_gateways(
        gateway_id=call.optional("VpnGatewayId"),
        vpc_id=call.optional("VpcId"),
        status=call.optional("Status"),
        business_status=call.optional("BusinessStatus"),
        tags=_tags(call),
    )
    header, page = _page(call, found)
    return {**header, "VpnGateways": {"VpnGateway": [gateway_json(g) for g in page]}}


def describe_vpn_connections(call: RpcCall) -> JsonObject:
    """DescribeVpnConnections: filters VpnGatewayId, VpnConnectionId, CustomerGatewayId,
    ResourceGroupId, Tag.N; paging. Connections attached to a transit router have no gateway,
    so a VpnGatewayId filter leaves them out. Item shapes: ``shapes.connection_json``.
    """
    vpc = _backend(call)
    found = vpc.find_connections(
        gateway_id=call.optional("VpnGatewayId"),
        connection_id=call.optional("VpnConnectionId"),
        customer_gateway_id=call.optional("CustomerGatewayId"),
        resource_group_id=call.optional("ResourceGroupId"),
        tags=_tags(call),
    )
    header, page = _page(call, found)
    items = [connection_json(c, vpc.negotiation_states(c)) for c in page]
    return {**header, "VpnConnections": {"VpnConnection": items}}


def describe_customer_gateways(call: RpcCall) -> JsonObject:
    """DescribeCustomerGateways: the peers' public addresses (``IpAddress``); paging.

    DescribeVpnConnections names a connection's customer gateway but not its address (the IKE
    ``RemoteId`` need not be one), so this is where a client finds the peer.
    """
    vpc = _backend(call)
    found = vpc.find_customer_gateways(customer_gateway_id=call.optional("CustomerGatewayId"))
    header, page = _page(call, found)
    items = [customer_gateway_json(c) for c in page]
    return {**header, "CustomerGateways": {"CustomerGateway": items}}


def describe_customer_gateway(call: RpcCall) -> JsonObject:
    """DescribeCustomerGateway: one customer gateway by ``CustomerGatewayId``."""
    vpc = _backend(call)
    found = vpc.find_customer_gateways(customer_gateway_id=call.required("CustomerGatewayId"))
    if not found:
        raise errors.customer_gateway_not_found()
    return customer_gateway_json(found[0])


def diagnose_vpn_gateway(call: RpcCall) -> JsonObject:
    """DiagnoseVpnGateway: start a diagnosis; a repeated ClientToken returns the same DiagnoseId."""
    vpc = _backend(call)
    gateway_id = call.required("VpnGatewayId")
    resource_type = call.required("ResourceType")
    connection_id = call.required("ResourceId")
    # The reference spells the value both "IPsec" and "Ipsec".
    if resource_type.lower() != "ipsec":
        raise errors.illegal_resource_type()
    diagnosis = vpc.start_diagnosis(
        gateway_id=gateway_id,
        resource_type="IPsec",
        connection_id=connection_id,
        extend_info=call.optional("IPsecExtendInfo"),
        client_token=call.optional("ClientToken"),
    )
    return {"DiagnoseId": diagnosis.id}


def get_vpn_gateway_diagnose_result(call: RpcCall) -> JsonObject:
    """GetVpnGatewayDiagnoseResult: progress or result of a diagnosis (errors: module docstring).

    While running, ``FinishedCount`` < ``TotalCount``, only finished items are listed and
    ``FinishTime`` is empty; at the end all seven are listed and ``FinishTime`` is set.
    """
    vpc = _backend(call)
    diagnose_id = call.optional("DiagnoseId")
    gateway_id = call.optional("VpnGatewayId")
    if diagnose_id is None and gateway_id is None:
        raise errors.missing_diagnose_info()
    if diagnose_id is not None and not _DIAGNOSE_ID.fullmatch(diagnose_id):
        raise errors.param_error()
    now = call.cloud.clock.now()
    diagnosis = vpc.diagnosis_result(diagnose_id=diagnose_id, gateway_id=gateway_id, now=now)
    finished = diagnosis.finished_count(now)
    complete = finished == len(diagnosis.results)
    return {
        "BeginTime": format_utc(diagnosis.begin),
        "DiagnoseId": diagnosis.id,
        "DiagnoseResult": [
            {
                "DiagnoseName": result.name,
                "DiagnoseResultDescription": result.description,
                "DiagnoseResultLevel": result.level,
            }
            for result in diagnosis.results[:finished]
        ],
        "FinishTime": format_utc(diagnosis.finish_time) if complete else "",
        "FinishedCount": finished,
        "ResourceInstanceId": diagnosis.connection_id,
        "ResourceType": diagnosis.resource_type,
        "TotalCount": len(diagnosis.results),
        "VpnGatewayId": diagnosis.gateway_id,
    }


def diagnose_vpn_connections(call: RpcCall) -> JsonObject:
    """DiagnoseVpnConnections: why the asked tunnels (or single-tunnel connections) failed.

    Per the API reference: ``VpnGatewayId`` is optional; single-tunnel connections are asked
    with ``VpnConnectionIds.N``, dual-tunnel ones with ``TunnelIds.N`` (a dual-tunnel connection
    asked by connection id only answers nothing: inferred, see ``VpcBackend.negotiations``);
    paging. The list sits directly under ``VpnConnections`` (no inner wrapper, as the official
    SDK's model reads it). A tunnel that negotiated has Severity ``Normal``, empty reason, code,
    parameters and log, and no ``FailedTime`` (inferred: the SDK documents it only for errors).
    """
    vpc = _backend(call)
    rows = vpc.negotiations(
        gateway_id=call.optional("VpnGatewayId"),
        connection_ids=_repeated(call, "VpnConnectionIds"),
        tunnel_ids=_repeated(call, "TunnelIds"),
        now=call.cloud.clock.now(),
    )
    header, page = _page(call, rows)
    return {**header, "VpnConnections": [_negotiation_json(row) for row in page]}


ACTIONS: Final[dict[str, ActionHandler]] = {
    "DescribeVpnGateways": describe_vpn_gateways,
    "DescribeVpnConnections": describe_vpn_connections,
    "DiagnoseVpnGateway": diagnose_vpn_gateway,
    "GetVpnGatewayDiagnoseResult": get_vpn_gateway_diagnose_result,
    "DiagnoseVpnConnections": diagnose_vpn_connections,
    "DescribeCustomerGateways": describe_customer_gateways,
    "DescribeCustomerGateway": describe_customer_gateway,
}


def _repeated(call: RpcCall, prefix: str) -> list[str]:
    """Repeat-list parameters ``Prefix.N`` (N from 1) in order of N, as the SDK flattens lists."""
    pattern = re.compile(rf"{re.escape(prefix)}\.([1-9][0-9]*)")
    found = {}
    for name, value in call.params.items():
        match = pattern.fullmatch(name)
        if match and value:
            found[int(match.group(1))] = value
    return [found[n] for n in sorted(found)]


def _negotiation_json(row: TunnelNegotiation) -> JsonObject:
    failure = row.failure
    item: JsonObject = {
        "VpnConnectionId": row.connection_id,
        "TunnelId": row.tunnel_id,
        "Severity": failure.severity if failure else "Normal",
        "FailedReasonCode": failure.code if failure else "",
        "FailedReason": failure.reason if failure else "",
        "MismatchLocalParam": row.mismatch_local,
        "MismatchRemoteParam": row.mismatch_remote,
        "SourceLog": row.source_log,
    }
    if row.failed_at is not None:
        item["FailedTime"] = epoch_millis(row.failed_at)
    return item
