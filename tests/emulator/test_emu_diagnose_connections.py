"""DiagnoseVpnConnections by tunnel mode, and paging that serves less than asked.

Source: the API reference, https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-diagnosevpnconnections
("If the IPsec-VPN connection is in single-tunnel mode, the request parameter VpnConnectionIds
is required ... in dual-tunnel mode, the request parameter TunnelIds is required"), and the SDK
7.2.2 model ``DiagnoseVpnConnectionsResponseBody`` (PageNumber, PageSize, TotalCount).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alibabacloud_vpc20160428 import models as vpc_models

from vpndiag_emulator import VpcBackend

if TYPE_CHECKING:
    from tests.emulator.conftest import AcsTestClient

REGION = "cn-hangzhou"


def diagnose(client: AcsTestClient, **params: str) -> dict[str, Any]:
    response = client.call("DiagnoseVpnConnections", {"RegionId": REGION, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_dual_tunnel_connection_asked_by_tunnel_ids_answers_per_tunnel(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """TunnelIds.1/.2 of a dual-tunnel connection: one item per tunnel, with its TunnelId."""
    connection = vpc.add_connection(vpc.add_gateway().id)
    master, slave = connection.tunnel_ids

    body = diagnose(client, **{"TunnelIds.1": master, "TunnelIds.2": slave})

    rows = [(i["VpnConnectionId"], i["TunnelId"]) for i in body["VpnConnections"]]
    assert rows == [(connection.id, master), (connection.id, slave)]


def test_dual_tunnel_connection_asked_by_connection_id_answers_nothing(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """VpnConnectionIds.1 alone of a dual-tunnel connection: an empty list (inferred: the
    reference requires TunnelIds for such connections and does not say what else happens)."""
    connection = vpc.add_connection(vpc.add_gateway().id)

    body = diagnose(client, **{"VpnConnectionIds.1": connection.id})

    assert (body["TotalCount"], body["VpnConnections"]) == (0, [])


def test_single_tunnel_connection_is_asked_by_connection_id(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """VpnConnectionIds.1 of a single-tunnel connection: one item, no tunnel id."""
    connection = vpc.add_connection(vpc.add_gateway(dual_tunnel=False).id)
    vpc.set_negotiation_failure(connection.id, "DhGroupMismatch")

    body = diagnose(client, **{"VpnConnectionIds.1": connection.id})

    item = vpc_models.DiagnoseVpnConnectionsResponseBody().from_map(body).vpn_connections[0]
    assert (item.vpn_connection_id, item.tunnel_id) == (connection.id, "")
    assert (item.failed_reason_code, item.severity) == ("DhGroupMismatch", "Warn")


def test_half_down_connection_reports_only_the_failed_tunnel(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """A slave tunnel forced down: its item is Critical with the code, the master's Normal."""
    connection = vpc.add_connection(vpc.add_gateway().id)
    vpc.set_health(connection.id, "normal")
    master, slave = connection.tunnel_ids
    vpc.set_negotiation_failure(connection.id, "Phase1NegotiationTimeout", tunnel_id=slave)

    body = diagnose(client, **{"TunnelIds.1": master, "TunnelIds.2": slave})

    assert [(i["Severity"], i["FailedReasonCode"]) for i in body["VpnConnections"]] == [
        ("Normal", ""),
        ("Critical", "Phase1NegotiationTimeout"),
    ]


def test_transit_router_tunnels_are_diagnosed_without_a_gateway(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """A transit-router attachment's tunnels answer by TunnelIds with no VpnGatewayId (the
    parameter is optional in the reference; answering them is inferred)."""
    connection = vpc.add_transit_router_connection()

    body = diagnose(client, **{"TunnelIds.1": connection.tunnel_ids[0]})

    assert [i["TunnelId"] for i in body["VpnConnections"]] == [connection.tunnel_ids[0]]


def test_tunnel_items_are_paged(client: AcsTestClient, vpc: VpcBackend) -> None:
    """TotalCount counts every asked tunnel; PageNumber/PageSize slice them."""
    gateway = vpc.add_gateway()
    tunnels = [t for _ in range(2) for t in vpc.add_connection(gateway.id).tunnel_ids]
    asked = {f"TunnelIds.{n}": t for n, t in enumerate(tunnels, start=1)}

    pages = [diagnose(client, PageSize="3", PageNumber=str(n), **asked) for n in (1, 2)]

    assert [p["TotalCount"] for p in pages] == [4, 4]
    assert [i["TunnelId"] for p in pages for i in p["VpnConnections"]] == tunnels


def test_capped_server_serves_fewer_items_than_asked(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """With a server page cap of 3, PageSize 10 serves 3 items and says PageSize 3, so only
    TotalCount tells the client to go on (paging fields: DescribeVpnGateways SDK model)."""
    created = [vpc.add_gateway().id for _ in range(7)]
    vpc.set_page_cap(3)

    found: list[str] = []
    number = 1
    while True:
        body = client.call(
            "DescribeVpnGateways",
            {"RegionId": REGION, "PageSize": "10", "PageNumber": str(number)},
        ).json()
        page = [g["VpnGatewayId"] for g in body["VpnGateways"]["VpnGateway"]]
        assert body["PageSize"] == 3
        found += page
        if not page or len(found) >= body["TotalCount"]:
            break
        number += 1

    assert (found, number) == (created, 3)


def test_capped_server_caps_connection_pages_too(client: AcsTestClient, vpc: VpcBackend) -> None:
    """DescribeVpnConnections honours the same cap: 5 connections, cap 2, page 3 has 1."""
    gateway = vpc.add_gateway()
    for _ in range(5):
        vpc.add_connection(gateway.id)
    vpc.set_page_cap(2)

    body = client.call(
        "DescribeVpnConnections", {"RegionId": REGION, "PageSize": "50", "PageNumber": "3"}
    ).json()

    assert (body["TotalCount"], body["PageSize"]) == (5, 2)
    assert len(body["VpnConnections"]["VpnConnection"]) == 1
