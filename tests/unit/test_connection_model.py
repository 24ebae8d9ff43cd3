"""The connection model read from DescribeVpnConnections items built from the SDK's own models.

Vendor sources: ``alibabacloud_vpc20160428.models.DescribeVpnConnectionsResponseBody*`` (the
fields, ``TunnelOptionsSpecification.TunnelOptions[]`` with ``Role``/``Status``/``TunnelIndex``,
the key-bearing ``IkeConfig.Psk``, ``TunnelIkeConfig.Psk``, ``VpnBgpConfig.AuthKey``) and the
statuses documented on ``Status`` (ike_sa_not_established ... ipsec_sa_established).
"""

from __future__ import annotations

import json

import pytest

from tests import sdk_bodies
from vpndiag.errors import ResponseError
from vpndiag.model.connection import (
    Tunnel,
    VpnConnection,
    connection_from_api,
    status_up,
    transit_router_reason,
    without_secrets,
)

DUAL = [
    ("tun-aaaa1111", "master", "ipsec_sa_established"),
    ("tun-bbbb2222", "slave", "ike_sa_not_established"),
]


def _dual() -> VpnConnection:
    return connection_from_api(sdk_bodies.connection("vco-abcd1234", "vpn-abcd1234", tunnels=DUAL))


def test_dual_tunnel_connection_keeps_both_tunnels_with_role_and_status() -> None:
    """TunnelOptions[] become two tunnels, in order, with role, status and the gateway-side IP."""
    connection = _dual()

    assert connection.dual_tunnel
    assert [(t.tunnel_id, t.role, t.status, t.local_ip) for t in connection.tunnels] == [
        ("tun-aaaa1111", "master", "ipsec_sa_established", "47.0.0.1"),
        ("tun-bbbb2222", "slave", "ike_sa_not_established", "47.0.0.2"),
    ]


def test_standby_tunnel_down_is_visible_per_tunnel() -> None:
    """The slave's *_not_established status reads as down while the master is up."""
    assert [t.up for t in _dual().tunnels] == [True, False]


def test_single_tunnel_connection_has_no_tunnels_and_a_top_level_status() -> None:
    """Without TunnelOptionsSpecification the connection is single-tunnel."""
    item = sdk_bodies.connection("vco-abcd1234", "vpn-abcd1234", status="ipsec_sa_not_established")

    connection = connection_from_api(item)

    assert (connection.dual_tunnel, connection.up) == (False, False)


def test_transit_router_connection_has_no_gateway_and_indexed_tunnels() -> None:
    """AttachType CEN, an empty VpnGatewayId, TransitRouterId and TunnelIndex per tunnel."""
    item = sdk_bodies.connection("vco-abcd1234", None, tunnels=DUAL)

    connection = connection_from_api(item)

    assert (connection.gateway_id, connection.on_transit_router) == (None, True)
    assert (connection.attach_type, connection.transit_router_id) == ("CEN", "tr-router0001")
    assert [t.tunnel_index for t in connection.tunnels] == [1, 2]


def test_transit_router_reason_names_the_router() -> None:
    """The skip reason says where the connection is attached and why it is not diagnosed."""
    connection = connection_from_api(sdk_bodies.connection("vco-abcd1234", None))

    assert "transit router tr-router0001 (CEN)" in transit_router_reason(connection)


def test_every_key_bearing_field_is_dropped() -> None:
    """No planted Psk or AuthKey marker survives into the model, at any depth."""
    markers: list[str] = []
    item = sdk_bodies.connection("vco-abcd1234", "vpn-abcd1234", tunnels=DUAL, markers=markers)

    text = _dual_text(item)

    # IkeConfig.Psk, VpnBgpConfig.AuthKey and each tunnel's TunnelIkeConfig.Psk
    assert len(markers) == 4
    assert not [m for m in markers if m in text]


def _dual_text(item: dict[str, object]) -> str:
    return json.dumps(connection_from_api(item).model_dump(mode="json"))


def test_a_per_tunnel_bgp_key_is_dropped_too() -> None:
    """TunnelBgpConfig.AuthKey (taken by CreateVpnConnection per tunnel; absent from the 6.x
    response model, so inferred to be possible in an answer) does not survive either."""
    item = sdk_bodies.connection("vco-abcd1234", "vpn-abcd1234", tunnels=DUAL)
    item["TunnelOptionsSpecification"]["TunnelOptions"][0]["TunnelBgpConfig"]["AuthKey"] = "TBGPKEY"

    assert "TBGPKEY" not in _dual_text(item)


def test_unknown_fields_are_kept_in_extra() -> None:
    """A field the model does not name (documented or new) is kept, not dropped."""
    item = sdk_bodies.connection("vco-abcd1234", "vpn-abcd1234", tunnels=DUAL)
    item["BrandNewField"] = {"x": 1}

    connection = connection_from_api(item)

    assert connection.extra["BrandNewField"] == {"x": 1}
    assert connection.extra["LocalSubnet"] == "local_subnet-value"


def test_wrong_type_names_the_field() -> None:
    """A status that is not a string is a ResponseError naming the tunnel and field."""
    item = sdk_bodies.connection("vco-abcd1234", "vpn-abcd1234", tunnels=DUAL)
    item["TunnelOptionsSpecification"]["TunnelOptions"][1]["Status"] = 3

    with pytest.raises(ResponseError, match=r"TunnelOptions\[1\]\.Status"):
        connection_from_api(item)


def test_missing_connection_id_is_refused() -> None:
    """An item without VpnConnectionId is not a connection."""
    with pytest.raises(ResponseError, match="VpnConnectionId"):
        connection_from_api({"Status": "ipsec_sa_established"})


@pytest.mark.parametrize(
    ("status", "up"),
    [
        ("ipsec_sa_established", True),
        ("ike_sa_established", None),
        ("ike_sa_not_established", False),
        ("ipsec_sa_not_established", False),
        ("something_new", None),
        (None, None),
    ],
)
def test_status_reads_as_up_down_or_unknown(status: str | None, up: bool | None) -> None:
    """Only IPsec SAs up is up; a *_not_established status is down; anything else unknown."""
    assert status_up(status) is up
    assert Tunnel(tunnel_id="tun-aaaa1111", status=status).up is up


def test_with_names_fills_peer_addresses_from_customer_gateways() -> None:
    """The customer gateway's address becomes each tunnel's peer_ip; the gateway name is set."""
    named = _dual().with_names(gateway_name="gw-one", peer_ips={"cgw-peer0001": "203.0.113.7"})

    assert named.gateway_name == "gw-one"
    assert [t.peer_ip for t in named.tunnels] == ["203.0.113.7", "203.0.113.7"]
    assert named.peer_ip == "203.0.113.7"


def test_without_secrets_matches_names_in_any_case_and_depth() -> None:
    """psk / authKey / Pre_Shared_Key style names go; others stay."""
    value = {"a": [{"PSK": 1, "authKey": 2, "pre_shared_key": 3, "keep": 4}]}

    assert without_secrets(value) == {"a": [{"keep": 4}]}
