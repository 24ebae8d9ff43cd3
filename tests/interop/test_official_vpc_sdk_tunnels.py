"""Interop: the official VPC SDK reads dual-tunnel connections and their tunnels' diagnosis.

The SDK (``alibabacloud-vpc20160428`` 7.2.2) is the vendor's client: its models parsing the
emulator's dual-tunnel answers over the loopback server checks the emulator's wire shapes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_vpc20160428.client import Client

from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    Cloud,
    Connection,
    LoopbackServer,
    ManualClock,
)

REGION = "cn-hangzhou"


@pytest.fixture
def cloud() -> Cloud:
    """A cloud on a manual clock that starts at real time (the SDK signs with real time)."""
    return Cloud(seed=5, clock=ManualClock())


@pytest.fixture
def connection(cloud: Cloud) -> Connection:
    """A dual-tunnel connection whose slave tunnel fails phase 1."""
    vpc = cloud.vpc(REGION)
    created = vpc.add_connection(vpc.add_gateway().id, psk="interop-psk")
    vpc.set_health(created.id, "normal")
    vpc.set_negotiation_failure(created.id, "PeerMismatch", tunnel_id=created.tunnel_ids[1])
    return created


@pytest.fixture
def client(cloud: Cloud) -> Iterator[Client]:
    """An SDK client of the loopback server."""
    with cloud.serve() as server:
        yield sdk_client(server)


def sdk_client(server: LoopbackServer) -> Client:
    config = open_api_models.Config(
        access_key_id=DEFAULT_ACCESS_KEY_ID,
        access_key_secret=DEFAULT_ACCESS_KEY_SECRET,
        endpoint=f"127.0.0.1:{server.port}",
        protocol="http",
        region_id=REGION,
    )
    return Client(config)


def test_sdk_reads_both_tunnels_of_a_connection(client: Client, connection: Connection) -> None:
    """describe_vpn_connections: the SDK model holds both tunnels, roles and states."""
    response = client.describe_vpn_connections(
        vpc_models.DescribeVpnConnectionsRequest(region_id=REGION)
    )

    item = response.body.vpn_connections.vpn_connection[0]
    tunnels = item.tunnel_options_specification.tunnel_options
    assert item.vpn_connection_id == connection.id
    assert [(t.tunnel_id, t.role, t.status) for t in tunnels] == [
        (connection.tunnel_ids[0], "master", "ipsec_sa_established"),
        (connection.tunnel_ids[1], "slave", "ike_sa_not_established"),
    ]
    assert [t.tunnel_ike_config.psk for t in tunnels] == ["interop-psk", "interop-psk"]


def test_sdk_diagnoses_the_tunnels_by_id(client: Client, connection: Connection) -> None:
    """diagnose_vpn_connections with tunnel_ids (sent as TunnelIds.N): one item per tunnel."""
    response = client.diagnose_vpn_connections(
        vpc_models.DiagnoseVpnConnectionsRequest(
            region_id=REGION, tunnel_ids=list(connection.tunnel_ids)
        )
    )

    items = response.body.vpn_connections
    assert [(i.tunnel_id, i.failed_reason_code) for i in items] == [
        (connection.tunnel_ids[0], ""),
        (connection.tunnel_ids[1], "PeerMismatch"),
    ]
