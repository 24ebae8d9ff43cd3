"""DescribeVpnGateways and DescribeVpnConnections: filters, paging, item shapes, the estate."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from vpndiag_emulator import Cloud, ManualClock, VpcBackend
from vpndiag_emulator.vpc.estate import DEMO_DEGRADED, populate_demo

if TYPE_CHECKING:
    from tests.emulator.conftest import AcsTestClient


def describe(client: AcsTestClient, **params: str) -> dict[str, object]:
    response = client.call("DescribeVpnGateways", {"RegionId": "cn-hangzhou", **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, dict)
    return body


def gateway_ids(body: dict[str, object]) -> list[str]:
    wrapper = body["VpnGateways"]
    assert isinstance(wrapper, dict)
    return [g["VpnGatewayId"] for g in wrapper["VpnGateway"]]


def test_23_gateways_page_by_10_in_3_pages(client: AcsTestClient, vpc: VpcBackend) -> None:
    """23 gateways with PageSize 10: pages of 10, 10 and 3, TotalCount 23 on each, no overlap."""
    created = [vpc.add_gateway().id for _ in range(23)]

    pages = [describe(client, PageSize="10", PageNumber=str(n)) for n in (1, 2, 3)]

    assert [len(gateway_ids(p)) for p in pages] == [10, 10, 3]
    assert {p["TotalCount"] for p in pages} == {23}
    assert [p["PageNumber"] for p in pages] == [1, 2, 3]
    assert [g for p in pages for g in gateway_ids(p)] == created


def test_default_page_size_is_10(client: AcsTestClient, vpc: VpcBackend) -> None:
    """Without PageSize, 10 items come back and PageSize says 10."""
    for _ in range(12):
        vpc.add_gateway()

    body = describe(client)

    assert (len(gateway_ids(body)), body["PageSize"], body["PageNumber"]) == (10, 10, 1)


@pytest.mark.parametrize(
    "params", [{"PageSize": "51"}, {"PageSize": "0"}, {"PageNumber": "0"}, {"PageSize": "ten"}]
)
def test_out_of_range_paging_is_invalid(client: AcsTestClient, params: dict[str, str]) -> None:
    """PageSize outside 1-50 or PageNumber below 1: 400 InvalidParameter."""
    response = client.call("DescribeVpnGateways", {"RegionId": "cn-hangzhou", **params})

    assert (response.status_code, response.json()["Code"]) == (400, "InvalidParameter")


def test_missing_region_is_missing_region_id(client: AcsTestClient) -> None:
    """RegionId is mandatory: 400 MissingRegionId."""
    response = client.call("DescribeVpnGateways", {})

    assert (response.status_code, response.json()["Code"]) == (400, "MissingRegionId")


def test_tag_filter_matches_key_and_value(client: AcsTestClient, vpc: VpcBackend) -> None:
    """Tag.1.Key/Tag.1.Value select gateways carrying that tag; several tags must all match."""
    prod = vpc.add_gateway(tags={"env": "prod", "team": "net"})
    vpc.add_gateway(tags={"env": "staging", "team": "net"})
    vpc.add_gateway()

    by_env = describe(client, **{"Tag.1.Key": "env", "Tag.1.Value": "prod"})
    by_both = describe(
        client,
        **{"Tag.1.Key": "team", "Tag.1.Value": "net", "Tag.2.Key": "env", "Tag.2.Value": "prod"},
    )

    assert gateway_ids(by_env) == [prod.id]
    assert gateway_ids(by_both) == [prod.id]


def test_tag_key_without_value_matches_on_key(client: AcsTestClient, vpc: VpcBackend) -> None:
    """A tag key without a value selects every gateway that has the key."""
    tagged = [vpc.add_gateway(tags={"team": t}).id for t in ("a", "b")]
    vpc.add_gateway()

    body = describe(client, **{"Tag.1.Key": "team"})

    assert gateway_ids(body) == tagged


def test_status_and_id_filters(client: AcsTestClient, vpc: VpcBackend) -> None:
    """Status and VpnGatewayId filter the list."""
    active = vpc.add_gateway()
    updating = vpc.add_gateway(status="updating")

    assert gateway_ids(describe(client, Status="updating")) == [updating.id]
    assert gateway_ids(describe(client, VpnGatewayId=active.id)) == [active.id]


def test_gateway_item_shape(client: AcsTestClient, vpc: VpcBackend, clock: ManualClock) -> None:
    """Items carry the documented fields; CreateTime is epoch ms; Tags.Tag lists the tags."""
    gateway = vpc.add_gateway(name="edge", tags={"env": "prod"})

    wrapper = describe(client)["VpnGateways"]
    assert isinstance(wrapper, dict)
    item = wrapper["VpnGateway"][0]

    for field in ("VpcId", "Status", "BusinessStatus", "InternetIp", "IpsecVpn", "SslVpn", "Spec"):
        assert item[field]
    assert (item["VpnGatewayId"], item["Name"]) == (gateway.id, "edge")
    assert item["CreateTime"] == int(clock.now().timestamp() * 1000)
    assert isinstance(item["Tag"], str)
    assert item["Tags"] == {"Tag": [{"Key": "env", "Value": "prod"}]}


def test_dual_tunnel_connections_carry_the_psk_per_tunnel(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """A dual-tunnel connection has TunnelIkeConfig.Psk in clear text in each tunnel and no
    top-level IkeConfig (SDK 7.2.2 DescribeVpnConnectionsResponseBody...TunnelOptions)."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id, psk="pre-shared-1")
    vpc.add_connection(vpc.add_gateway().id)

    response = client.call(
        "DescribeVpnConnections", {"RegionId": "cn-hangzhou", "VpnGatewayId": gateway.id}
    )

    body = response.json()
    assert body["TotalCount"] == 1
    item = body["VpnConnections"]["VpnConnection"][0]
    assert (item["VpnConnectionId"], item["VpnGatewayId"]) == (connection.id, gateway.id)
    tunnels = item["TunnelOptionsSpecification"]["TunnelOptions"]
    assert [t["TunnelIkeConfig"]["Psk"] for t in tunnels] == ["pre-shared-1", "pre-shared-1"]
    assert "IkeConfig" not in item


def test_single_tunnel_connections_carry_the_psk_at_the_top(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """A single-tunnel connection has IkeConfig.Psk, CustomerGatewayId and Status at the top
    level and no tunnel options (DescribeVpnConnections reference, SDK 7.2.2 model)."""
    gateway = vpc.add_gateway(dual_tunnel=False)
    vpc.add_connection(gateway.id, psk="pre-shared-2")

    body = client.call("DescribeVpnConnections", {"RegionId": "cn-hangzhou"}).json()

    item = body["VpnConnections"]["VpnConnection"][0]
    assert item["IkeConfig"]["Psk"] == "pre-shared-2"
    for field in ("Name", "Status", "CustomerGatewayId", "LocalSubnet", "RemoteSubnet"):
        assert item[field]
    assert "TunnelOptionsSpecification" not in item


def test_deleted_connections_are_not_listed(client: AcsTestClient, vpc: VpcBackend) -> None:
    """A deleted connection disappears from DescribeVpnConnections."""
    gateway = vpc.add_gateway()
    kept, deleted = vpc.add_connection(gateway.id), vpc.add_connection(gateway.id)
    vpc.delete_connection(deleted.id)

    body = client.call("DescribeVpnConnections", {"RegionId": "cn-hangzhou"}).json()

    assert [c["VpnConnectionId"] for c in body["VpnConnections"]["VpnConnection"]] == [kept.id]


def test_ids_have_the_real_shapes(vpc: VpcBackend) -> None:
    """Gateway ids are vpn- plus 20 lower-case alphanumerics; connections vco-."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)

    assert re.fullmatch(r"vpn-[a-z0-9]{20}", gateway.id)
    assert re.fullmatch(r"vco-[a-z0-9]{20}", connection.id)


def test_estate_is_deterministic_from_the_seed() -> None:
    """The same seed builds the same estate; another seed builds another."""

    def estate(seed: int) -> list[str]:
        cloud = Cloud(seed=seed, clock=ManualClock())
        return [g.id for g in cloud.seed_estate()]

    assert estate(1) == estate(1)
    assert estate(1) != estate(2)
    assert len(estate(1)) == 4


def test_estate_gateways_have_connections(cloud: Cloud) -> None:
    """seed_estate gives each gateway its connections, in each requested region."""
    gateways = cloud.seed_estate(("cn-hangzhou", "cn-shanghai"), 3, 2)

    assert {g.region for g in gateways} == {"cn-hangzhou", "cn-shanghai"}
    assert all(len(cloud.vpc(g.region).connections(g.id)) == 2 for g in gateways)


def test_estate_mixes_tunnel_modes_and_a_transit_router(cloud: Cloud) -> None:
    """seed_estate builds dual- and single-tunnel connections and one transit-router
    attachment per region (AttachType CEN, no VpnGatewayId)."""
    cloud.seed_estate(("cn-hangzhou",), 2, 2)

    connections = cloud.vpc("cn-hangzhou").connections()

    assert {c.dual_tunnel for c in connections} == {True, False}
    attached = [c for c in connections if c.attach_type == "CEN"]
    assert [(c.gateway_id, c.dual_tunnel) for c in attached] == [("", True)]


def test_demo_has_a_half_down_dual_tunnel_connection(cloud: Cloud) -> None:
    """populate_demo: the degraded connection's slave tunnel fails phase 1, its master is up,
    and cn-hangzhou holds a transit-router attachment and a single-tunnel gateway."""
    populate_demo(cloud.vpc)
    shanghai = cloud.vpc("cn-shanghai")
    connection_id, code = DEMO_DEGRADED
    connection = next(c for c in shanghai.connections() if c.id == connection_id)

    rows = shanghai.negotiations(tunnel_ids=connection.tunnel_ids, now=cloud.clock.now())

    assert [r.failure.code if r.failure else None for r in rows] == [None, code]
    hangzhou = cloud.vpc("cn-hangzhou").connections()
    assert {c.attach_type for c in hangzhou} == {"VPNGW", "CEN"}
    assert {c.dual_tunnel for c in hangzhou} == {True, False}
