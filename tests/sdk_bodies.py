"""VPC response bodies built from the vendor's SDK models (``alibabacloud_vpc20160428.models``).

``full_map`` instantiates a model class with every attribute its ``__init__`` documents filled in
(nested models and lists included) and returns its ``to_map()``: every documented field is on the
wire, as a real answer may carry it. Key-bearing fields (``psk``, ``auth_key``) get a unique marker
each, so a test can assert that none of them survives anywhere.
"""

from __future__ import annotations

import itertools
import json
import sys
import typing
from collections.abc import Iterator, Sequence
from typing import Any

from alibabacloud_vpc20160428 import models

SECRET_ATTRIBUTES = frozenset({"psk", "auth_key"})
_counter = itertools.count(1)


def _unwrapped(hint: Any) -> Any:
    """``X`` of ``Optional[X]``: Python 3.10's get_type_hints wraps a parameter whose default is
    None in Optional (3.11 stopped), and the SDK's parameters all default to None."""
    if typing.get_origin(hint) is typing.Union:
        kept = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(kept) == 1:
            return kept[0]
    return hint


def _hints(cls: type) -> dict[str, Any]:
    module = sys.modules[cls.__module__]
    init = vars(cls)["__init__"]  # each SDK model defines its own
    hints = typing.get_type_hints(init, {**vars(module), "main_models": models})
    return {name: _unwrapped(hint) for name, hint in hints.items()}


def _filled(cls: type, path: str, markers: list[str]) -> Any:
    values: dict[str, Any] = {}
    for name, hint in _hints(cls).items():
        if name == "return":
            continue
        where = f"{path}.{name}"
        if typing.get_origin(hint) in (list, typing.List):  # noqa: UP006 - the SDK's own hint
            (item,) = typing.get_args(hint)
            values[name] = [_value(item, f"{where}[0]", name, markers)]
        else:
            values[name] = _value(hint, where, name, markers)
    return cls(**values)


def _value(hint: Any, where: str, name: str, markers: list[str]) -> Any:
    if hint is bool:
        return True
    if hint is int:
        return 1
    if hint is float:
        return 1.5
    if hint is str:
        if name in SECRET_ATTRIBUTES:
            marker = f"SECRET{next(_counter):04d}MARK"
            markers.append(marker)
            return marker
        return f"{name}-value"
    if isinstance(hint, type) and hasattr(hint, "to_map"):
        return _filled(hint, where, markers)
    return f"{name}-value"


def full_map(cls: type) -> tuple[dict[str, Any], list[str]]:
    """``cls`` with every documented field set, as a wire map; and the secret markers planted."""
    markers: list[str] = []
    instance = _filled(cls, cls.__name__, markers)
    mapped: dict[str, Any] = instance.to_map()
    return mapped, markers


_CONNECTION = models.DescribeVpnConnectionsResponseBodyVpnConnectionsVpnConnection
_TUNNEL = models.DescribeVpnConnectionsResponseBodyVpnConnectionsVpnConnectionTunnelOptionsSpecificationTunnelOptions


def tunnel_option(
    tunnel_id: str, role: str, status: str, *, markers: list[str] | None = None
) -> dict[str, Any]:
    """One ``TunnelOptions[]`` item with every documented field, the given id, role and status."""
    option, planted = full_map(_TUNNEL)
    if markers is not None:
        markers.extend(planted)
    option.update(
        TunnelId=tunnel_id,
        Role=role,
        Status=status,
        State="active",
        InternetIp="47.0.0.1" if role == "master" else "47.0.0.2",
        CustomerGatewayId="cgw-peer0001",
        ZoneNo="cn-hangzhou-h",
    )
    option.pop("TunnelIndex", None)
    return option


def connection(
    connection_id: str,
    gateway_id: str | None,
    *,
    tunnels: Sequence[tuple[str, str, str]] = (),
    status: str = "ipsec_sa_established",
    markers: list[str] | None = None,
) -> dict[str, Any]:
    """A ``VpnConnections.VpnConnection[]`` item: dual-tunnel when ``tunnels`` (id, role, status)
    are given, single-tunnel otherwise; attached to a transit router when ``gateway_id`` is None."""
    item, planted = full_map(_CONNECTION)
    item.update(
        VpnConnectionId=connection_id,
        Name=f"name-of-{connection_id}",
        Status=status,
        State="active",
        CustomerGatewayId="cgw-peer0001",
        AttachType="VPNGW",
        TransitRouterId="",
        VpnGatewayId=gateway_id or "",
    )
    if tunnels:
        item["TunnelOptionsSpecification"] = {
            "TunnelOptions": [
                tunnel_option(t, role, state, markers=planted) for t, role, state in tunnels
            ]
        }
    else:
        item.pop("TunnelOptionsSpecification", None)
    if gateway_id is None:
        item.update(AttachType="CEN", TransitRouterId="tr-router0001")
        for n, option in enumerate(
            item.get("TunnelOptionsSpecification", {}).get("TunnelOptions", [])
        ):
            option["TunnelIndex"] = n + 1
    if markers is not None:  # the markers still on the wire (replaced parts took theirs along)
        text = json.dumps(item)
        markers.extend(m for m in planted if m in text)
    return item


def connections_body(items: list[dict[str, Any]], *, total: int | None = None) -> dict[str, Any]:
    """A DescribeVpnConnections answer holding ``items`` (one page)."""
    return {
        "RequestId": "REQ-CONNECTIONS",
        "PageNumber": 1,
        "PageSize": 50,
        "TotalCount": len(items) if total is None else total,
        "VpnConnections": {"VpnConnection": items},
    }


def customer_gateways_body(markers: list[str] | None = None) -> dict[str, Any]:
    """A DescribeCustomerGateways answer: ``cgw-peer0001`` at 203.0.113.7, every field present."""
    item, planted = full_map(
        models.DescribeCustomerGatewaysResponseBodyCustomerGatewaysCustomerGateway
    )
    if markers is not None:
        markers.extend(planted)
    item.update(CustomerGatewayId="cgw-peer0001", IpAddress="203.0.113.7")
    return {
        "RequestId": "REQ-CGW",
        "PageNumber": 1,
        "PageSize": 50,
        "TotalCount": 1,
        "CustomerGateways": {"CustomerGateway": [item]},
    }


def negotiation(
    connection_id: str, tunnel_id: str | None, *, code: str = "", severity: str = "Normal"
) -> dict[str, Any]:
    """One DiagnoseVpnConnections ``VpnConnections[]`` item, from the SDK model."""
    item, _ = full_map(models.DiagnoseVpnConnectionsResponseBodyVpnConnections)
    item.update(
        VpnConnectionId=connection_id,
        FailedReasonCode=code,
        Severity=severity,
        FailedReason="peer did not answer" if code else "",
        FailedTime=1763625600000 if code else 0,
        SourceLog="",
        MismatchLocalParam="",
        MismatchRemoteParam="",
    )
    if tunnel_id is None:
        item.pop("TunnelId", None)
    else:
        item["TunnelId"] = tunnel_id
    return item


def negotiations_body(items: list[dict[str, Any]]) -> dict[str, Any]:
    """A DiagnoseVpnConnections answer (the list sits directly under ``VpnConnections``)."""
    return {
        "RequestId": "REQ-DIAG",
        "PageNumber": 1,
        "PageSize": 10,
        "TotalCount": len(items),
        "VpnConnections": items,
    }


def all_strings(value: Any) -> Iterator[str]:
    """Every string (keys included) in a JSON-like value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from all_strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from all_strings(v)
