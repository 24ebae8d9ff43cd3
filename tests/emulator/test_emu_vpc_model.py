"""The emulator's VPC items against the vendor's SDK models (``alibabacloud_vpc20160428`` 7.2.2).

Each answer is read back through the SDK model's ``from_map``: ``to_map()`` must give the same
JSON (nothing the model lacks, nothing lost), every field the model lists must be present
(except those the connection's mode leaves out) and each value must have the model's type.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from alibabacloud_vpc20160428 import models as vpc_models
from darabonba.model import DaraModel

from vpndiag_emulator import VpcBackend

if TYPE_CHECKING:
    from tests.emulator.conftest import AcsTestClient

REGION = "cn-hangzhou"
CONNECTION = vpc_models.DescribeVpnConnectionsResponseBodyVpnConnectionsVpnConnection
GATEWAY = vpc_models.DescribeVpnGatewaysResponseBodyVpnGatewaysVpnGateway
CUSTOMER_GATEWAY = vpc_models.DescribeCustomerGatewaysResponseBodyCustomerGatewaysCustomerGateway
# Carried at the top level by single-tunnel connections only; dual-tunnel ones carry them per
# tunnel (DescribeVpnConnections reference; see vpc/shapes.py for the inferred ones).
SINGLE_TUNNEL_ONLY = {
    "customer_gateway_id",
    "enable_dpd",
    "enable_nat_traversal",
    "ike_config",
    "internet_ip",
    "ipsec_config",
    "remote_ca_certificate",
    "status",
    "vpn_bgp_config",
}
_PRIMITIVES = {"str": str, "int": int, "bool": bool}


def field_types(model: type[DaraModel]) -> dict[str, str]:
    """The model's fields and their annotations, as the generated ``__init__`` declares them."""
    parameters = inspect.signature(model.__init__).parameters
    return {name: str(p.annotation) for name, p in parameters.items() if name != "self"}


def _resolve(annotation: str) -> type[DaraModel]:
    model: type[DaraModel] = getattr(vpc_models, annotation.removeprefix("main_models."))
    return model


def type_errors(instance: DaraModel, path: str = "") -> list[str]:
    """Paths whose value does not have the model's annotated type (``bool`` is not an int)."""
    found = []
    for name, annotation in field_types(type(instance)).items():
        value = getattr(instance, name)
        if value is None:
            continue
        where = f"{path}{name}"
        list_of = annotation.startswith("List[")
        inner = annotation[5:-1] if list_of else annotation
        values = value if list_of else [value]
        if list_of and not isinstance(value, list):
            found.append(f"{where}: not a list")
            continue
        for item in values:
            if inner in _PRIMITIVES:
                if type(item) is not _PRIMITIVES[inner]:
                    found.append(f"{where}: {type(item).__name__} is not {inner}")
            elif isinstance(item, _resolve(inner)):
                found.extend(type_errors(item, f"{where}."))
            else:
                found.append(f"{where}: not a {inner}")
    return found


def absent(instance: DaraModel, path: str = "") -> set[str]:
    """Dotted paths of the model's fields that the answer left out."""
    missing = set()
    for name, annotation in field_types(type(instance)).items():
        value = getattr(instance, name)
        if value is None:
            missing.add(f"{path}{name}")
        elif isinstance(value, DaraModel):
            missing |= absent(value, f"{path}{name}.")
        elif isinstance(value, list) and annotation.startswith("List[main_models."):
            for item in value:
                missing |= absent(item, f"{path}{name}[].")
    return missing


def describe_connections(client: AcsTestClient, **params: str) -> list[dict[str, Any]]:
    response = client.call("DescribeVpnConnections", {"RegionId": REGION, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["VpnConnections"]["VpnConnection"]
    return items


def only_item(client: AcsTestClient, **params: str) -> dict[str, Any]:
    items = describe_connections(client, **params)
    assert len(items) == 1
    return items[0]


def test_dual_tunnel_connection_has_every_model_field_but_the_single_tunnel_ones(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """A dual-tunnel connection round-trips through the SDK model and lacks only the
    single-tunnel top-level fields and TunnelIndex (documented: transit routers only)."""
    vpc.add_connection(vpc.add_gateway().id)

    item = only_item(client)
    parsed = CONNECTION().from_map(item)

    assert parsed.to_map() == item
    tunnel_index = "tunnel_options_specification.tunnel_options[].tunnel_index"
    assert absent(parsed) == SINGLE_TUNNEL_ONLY | {tunnel_index}
    assert type_errors(parsed) == []
    roles = [t.role for t in parsed.tunnel_options_specification.tunnel_options]
    assert roles == ["master", "slave"]


def test_single_tunnel_connection_has_every_model_field_but_tunnel_options(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """A single-tunnel connection round-trips and lacks only TunnelOptionsSpecification."""
    vpc.add_connection(vpc.add_gateway(dual_tunnel=False).id)

    item = only_item(client)
    parsed = CONNECTION().from_map(item)

    assert parsed.to_map() == item
    assert absent(parsed) == {"tunnel_options_specification"}
    assert type_errors(parsed) == []
    assert parsed.vpn_bgp_config.auth_key


def test_transit_router_connection_is_listed_without_a_gateway(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """A transit-router attachment: AttachType CEN, TransitRouterId set, VpnGatewayId empty,
    tunnels with TunnelIndex 1 and 2 (SDK model docstrings; Terraform
    alicloud_vpn_gateway_vpn_attachment's tunnel_index)."""
    connection = vpc.add_transit_router_connection(transit_router_name="tr-a")

    item = only_item(client)
    parsed = CONNECTION().from_map(item)

    assert parsed.to_map() == item
    assert absent(parsed) == SINGLE_TUNNEL_ONLY
    assert type_errors(parsed) == []
    assert (parsed.attach_type, parsed.vpn_gateway_id) == ("CEN", "")
    assert (parsed.transit_router_id, parsed.transit_router_name) == (
        connection.transit_router_id,
        "tr-a",
    )
    indexes = [t.tunnel_index for t in parsed.tunnel_options_specification.tunnel_options]
    assert indexes == [1, 2]


def test_gateway_filter_leaves_transit_router_connections_out(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """Filtered by VpnGatewayId, DescribeVpnConnections lists only that gateway's connections;
    unfiltered it lists the transit-router attachment too."""
    gateway = vpc.add_gateway()
    on_gateway = vpc.add_connection(gateway.id)
    attached = vpc.add_transit_router_connection()

    filtered = describe_connections(client, VpnGatewayId=gateway.id)
    unfiltered = describe_connections(client)

    assert [c["VpnConnectionId"] for c in filtered] == [on_gateway.id]
    assert [c["VpnConnectionId"] for c in unfiltered] == [on_gateway.id, attached.id]


def test_one_tunnel_can_be_down_on_its_own(client: AcsTestClient, vpc: VpcBackend) -> None:
    """A slave tunnel failing phase 1 shows ike_sa_not_established while the master stays
    ipsec_sa_established (the four Status values of the SDK model's TunnelOptions docstring)."""
    connection = vpc.add_connection(vpc.add_gateway().id)
    vpc.set_health(connection.id, "normal")
    vpc.set_negotiation_failure(connection.id, "PeerMismatch", tunnel_id=connection.tunnel_ids[1])

    tunnels = only_item(client)["TunnelOptionsSpecification"]["TunnelOptions"]

    assert [(t["Role"], t["Status"]) for t in tunnels] == [
        ("master", "ipsec_sa_established"),
        ("slave", "ike_sa_not_established"),
    ]


def test_gateway_has_every_model_field(client: AcsTestClient, vpc: VpcBackend) -> None:
    """A dual-tunnel gateway's item round-trips, has every model field with the model's type,
    and carries its disaster-recovery address (DescribeVpnGateways SDK model)."""
    gateway = vpc.add_gateway(name="edge", tags={"env": "prod"})

    response = client.call("DescribeVpnGateways", {"RegionId": REGION})
    item = response.json()["VpnGateways"]["VpnGateway"][0]
    parsed = GATEWAY().from_map(item)

    assert parsed.to_map() == item
    assert absent(parsed) == set()
    assert type_errors(parsed) == []
    assert parsed.disaster_recovery_internet_ip == gateway.disaster_recovery_internet_ip != ""


def test_customer_gateways_give_the_peer_address(client: AcsTestClient, vpc: VpcBackend) -> None:
    """DescribeCustomerGateways (every model field, model types) holds the IpAddress of the
    customer gateway a connection names; DescribeCustomerGateway answers one."""
    connection = vpc.add_connection(vpc.add_gateway().id, customer_ip="203.0.113.9")

    listed = client.call("DescribeCustomerGateways", {"RegionId": REGION}).json()
    one = client.call(
        "DescribeCustomerGateway",
        {"RegionId": REGION, "CustomerGatewayId": connection.customer_gateway_id},
    ).json()

    item = listed["CustomerGateways"]["CustomerGateway"][0]
    parsed = CUSTOMER_GATEWAY().from_map(item)
    assert parsed.to_map() == item
    assert absent(parsed) == set()
    assert type_errors(parsed) == []
    assert (parsed.customer_gateway_id, parsed.ip_address) == (
        connection.customer_gateway_id,
        "203.0.113.9",
    )
    assert one["IpAddress"] == "203.0.113.9"


def test_unknown_customer_gateway_is_not_found(client: AcsTestClient) -> None:
    """DescribeCustomerGateway of an unknown id: 404 (code inferred)."""
    response = client.call(
        "DescribeCustomerGateway", {"RegionId": REGION, "CustomerGatewayId": "cgw-nosuch"}
    )

    assert (response.status_code, response.json()["Code"]) == (
        404,
        "InvalidCustomerGatewayInstanceId.NotFound",
    )
