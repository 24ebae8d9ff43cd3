"""An IPsec connection as DescribeVpnConnections / DescribeVpnConnection describe it, keys removed.

The contract between discovery (``clients/vpc.py``, ``sweep/``), the root cause and health
tracking. Source: the SDK models ``DescribeVpnConnectionsResponseBodyVpnConnectionsVpnConnection``
and ``...TunnelOptionsSpecificationTunnelOptions`` (``alibabacloud_vpc20160428``). A dual-tunnel
connection lists its two tunnels in ``TunnelOptionsSpecification.TunnelOptions[]``, each with its
own ``Role`` (master/slave), ``Status`` and ``State``; a single-tunnel connection has a top-level
``Status`` and no tunnel options. A connection attached to a transit router has no
``VpnGatewayId`` (``AttachType`` CEN, ``TransitRouterId`` set, ``TunnelIndex`` per tunnel).

Strings the API documents as enumerations (roles, statuses, states, attach types) are open sets:
a value this module has never seen is kept verbatim. Every field the model does not name is kept
in ``extra``, except the key-bearing ones, which :func:`without_secrets` drops before anything is
kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, JsonValue

from vpndiag.errors import ResponseError

_SERVICE: Final = "vpc"
_WHERE: Final = "DescribeVpnConnections"

# Key-bearing field names in the SDK's response models (lowercased), found by reading every
# ``*_response_body.py`` of alibabacloud_vpc20160428 for Psk / AuthKey:
# - ``IkeConfig.Psk`` and ``TunnelOptions[].TunnelIkeConfig.Psk`` (DescribeVpnConnection(s));
# - ``VpnBgpConfig.AuthKey`` (DescribeVpnConnection(s));
# - ``CustomerGateway.AuthKey`` (DescribeCustomerGateway(s)).
# ``TunnelBgpConfig`` has no AuthKey in the SDK 6.x model, but the console and CreateVpnConnection
# (``TunnelOptionsSpecification.N.TunnelBgpConfig.AuthKey``) take one per tunnel, so a response
# may carry it (inferred): matching by name at any depth removes it wherever it appears.
_SECRET_MARKERS: Final = ("psk", "authkey", "presharedkey", "sharedsecret")

# Tunnel and connection statuses, from the SDK docstrings of ``Status`` (an open set).
_UP: Final = frozenset({"ipsec_sa_established"})
_DOWN_SUFFIX: Final = "_not_established"


def is_secret_key(name: object) -> bool:
    """True for a field name that carries a pre-shared or BGP authentication key."""
    folded = str(name).lower().replace("_", "").replace("-", "")
    return any(marker in folded for marker in _SECRET_MARKERS)


def without_secrets(value: Any) -> Any:
    """``value`` with every key-bearing field removed, at any depth (mappings and lists)."""
    if isinstance(value, Mapping):
        return {k: without_secrets(v) for k, v in value.items() if not is_secret_key(k)}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def status_up(status: str | None) -> bool | None:
    """True when IPsec SAs are up, False on a ``*_not_established`` status, else None (unknown)."""
    if status is None:
        return None
    if status in _UP:
        return True
    if status.endswith(_DOWN_SUFFIX):
        return False
    return None


class Tunnel(BaseModel):
    """One of ``TunnelOptionsSpecification.TunnelOptions[]``."""

    model_config = ConfigDict(frozen=True)

    tunnel_id: str
    role: str | None = None
    state: str | None = None
    status: str | None = None
    customer_gateway_id: str | None = None
    local_ip: str | None = None
    peer_ip: str | None = None
    zone_no: str | None = None
    tunnel_index: int | None = None
    extra: dict[str, JsonValue] = {}

    @property
    def up(self) -> bool | None:
        """True on ``ipsec_sa_established``, False on a ``*_not_established`` status, else None."""
        return status_up(self.status)


class VpnConnection(BaseModel):
    """An IPsec connection with its tunnels; no key-bearing field is ever present."""

    model_config = ConfigDict(frozen=True)

    connection_id: str
    name: str | None = None
    gateway_id: str | None = None
    gateway_name: str | None = None
    attach_type: str | None = None
    transit_router_id: str | None = None
    status: str | None = None
    state: str | None = None
    customer_gateway_id: str | None = None
    peer_ip: str | None = None
    tunnels: tuple[Tunnel, ...] = ()
    extra: dict[str, JsonValue] = {}

    @property
    def dual_tunnel(self) -> bool:
        """True when the connection lists its tunnels (the dual-tunnel shape)."""
        return bool(self.tunnels)

    @property
    def on_transit_router(self) -> bool:
        """True when no VPN gateway owns the connection (attached to a transit router)."""
        return self.gateway_id is None

    @property
    def up(self) -> bool | None:
        """The single-tunnel status as :func:`status_up` reads it (dual-tunnel: see ``tunnels``)."""
        return status_up(self.status)

    def with_names(
        self, *, gateway_name: str | None = None, peer_ips: Mapping[str, str] | None = None
    ) -> VpnConnection:
        """A copy with the gateway's name and customer gateways' addresses filled in where unset."""
        ips = peer_ips or {}
        tunnels = tuple(
            t
            if t.peer_ip or not t.customer_gateway_id or t.customer_gateway_id not in ips
            else t.model_copy(update={"peer_ip": ips[t.customer_gateway_id]})
            for t in self.tunnels
        )
        peer = self.peer_ip
        if peer is None and self.customer_gateway_id:
            peer = ips.get(self.customer_gateway_id)
        return self.model_copy(
            update={
                "gateway_name": self.gateway_name or gateway_name,
                "peer_ip": peer,
                "tunnels": tunnels,
            }
        )

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> VpnConnection:
        """Same as :func:`connection_from_api`."""
        return connection_from_api(item)


_CONNECTION_FIELDS: Final = {
    "VpnConnectionId": "connection_id",
    "Name": "name",
    "VpnGatewayId": "gateway_id",
    "AttachType": "attach_type",
    "TransitRouterId": "transit_router_id",
    "Status": "status",
    "State": "state",
    "CustomerGatewayId": "customer_gateway_id",
}
_TUNNEL_FIELDS: Final = {
    "TunnelId": "tunnel_id",
    "Role": "role",
    "State": "state",
    "Status": "status",
    "CustomerGatewayId": "customer_gateway_id",
    "InternetIp": "local_ip",
    "ZoneNo": "zone_no",
}


def _text(item: Mapping[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ResponseError(_SERVICE, f"{_WHERE}: {where}{key} is not a string")
    return value


def _index(item: Mapping[str, Any], where: str) -> int | None:
    value = item.get("TunnelIndex")
    if value is None or value == "":
        return None
    # RPC gateways sometimes render numbers as strings; a boolean is not an index.
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ResponseError(_SERVICE, f"{_WHERE}: {where}TunnelIndex is not an integer")
    return value


def _tunnel_options(item: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = item.get("TunnelOptionsSpecification")
    if spec is None:
        return []
    if not isinstance(spec, Mapping):
        raise ResponseError(_SERVICE, f"{_WHERE}: TunnelOptionsSpecification is not an object")
    options = spec.get("TunnelOptions")
    if options is None:
        return []
    if not isinstance(options, list) or not all(isinstance(o, Mapping) for o in options):
        raise ResponseError(
            _SERVICE, f"{_WHERE}: TunnelOptionsSpecification.TunnelOptions is not a list of objects"
        )
    return options


def _tunnel(option: Mapping[str, Any], n: int) -> Tunnel:
    where = f"TunnelOptions[{n}]."
    fields: dict[str, Any] = {
        name: _text(option, key, where) for key, name in _TUNNEL_FIELDS.items()
    }
    if fields["tunnel_id"] is None:
        raise ResponseError(_SERVICE, f"{_WHERE}: {where}TunnelId is missing")
    fields["tunnel_index"] = _index(option, where)
    known = {*_TUNNEL_FIELDS, "TunnelIndex"}
    fields["extra"] = {k: v for k, v in option.items() if k not in known}
    return Tunnel.model_validate(fields)


def connection_from_api(item: Mapping[str, Any]) -> VpnConnection:
    """One ``VpnConnections.VpnConnection[]`` item (or a DescribeVpnConnection body) as a model.

    Key-bearing fields are dropped first; a field of the wrong type raises ``ResponseError``
    naming it. ``gateway_name`` and ``peer_ip`` are not in the item: see
    :meth:`VpnConnection.with_names`.
    """
    if not isinstance(item, Mapping):
        raise ResponseError(_SERVICE, f"{_WHERE}: a VpnConnection is not an object")
    clean: dict[str, Any] = without_secrets(item)
    fields: dict[str, Any] = {
        name: _text(clean, key, "") for key, name in _CONNECTION_FIELDS.items()
    }
    if fields["connection_id"] is None:
        raise ResponseError(_SERVICE, f"{_WHERE}: VpnConnectionId is missing")
    fields["tunnels"] = tuple(_tunnel(o, n) for n, o in enumerate(_tunnel_options(clean)))
    known = {*_CONNECTION_FIELDS, "TunnelOptionsSpecification", "RequestId"}
    extra = {k: v for k, v in clean.items() if k not in known}
    spec = clean.get("TunnelOptionsSpecification")
    rest = {k: v for k, v in spec.items() if k != "TunnelOptions"} if spec else {}
    if rest:  # the tunnels are modelled; anything else the specification carries is kept
        extra["TunnelOptionsSpecification"] = rest
    fields["extra"] = extra
    return VpnConnection.model_validate(fields)


def transit_router_reason(connection: VpnConnection) -> str:
    """Why a connection without a gateway is not diagnosed, naming where it is attached.

    DiagnoseVpnGateway takes a ``VpnGatewayId`` (required, per its API page and SDK request
    model) and diagnoses that gateway's connections; a connection attached to a transit router
    has none to name.
    """
    router = connection.transit_router_id
    where = f"transit router {router}" if router else "a transit router"
    kind = f" ({connection.attach_type})" if connection.attach_type else ""
    return (
        f"it is attached to {where}{kind}, not to a VPN gateway, and DiagnoseVpnGateway "
        "diagnoses the connections of a VPN gateway only"
    )
