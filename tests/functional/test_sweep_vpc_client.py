"""The VPC client's discovery and start calls against the emulator: paging, filters, PSKs, tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import responses

from vpndiag.clients.endpoints import VpcEndpoints
from vpndiag.clients.vpc import ACTIONS, VpcClient, client_token
from vpndiag.credentials import Credentials
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Cloud

REGION = "cn-hangzhou"


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    cloud = Cloud(seed=2, diagnosis_duration=0.0)
    with cloud.mock():
        yield cloud


@pytest.fixture
def vpc() -> VpcClient:
    keys = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
    return VpcClient(
        session=new_session(),
        credentials=lambda: keys,
        endpoints=VpcEndpoints(),
        retry=RetryPolicy(attempts=3),
    )


def _deadline() -> Deadline:
    return Deadline.after(30)


def test_gateways_are_read_across_every_page(cloud: Cloud, vpc: VpcClient) -> None:
    """120 gateways come back in full from pages of 50."""
    cloud.seed_estate([REGION], gateways_per_region=120, connections_per_gateway=0)

    found = vpc.describe_vpn_gateways(REGION, deadline=_deadline())

    assert len({g["VpnGatewayId"] for g in found}) == 120


def test_gateway_tag_filters_go_to_the_api(cloud: Cloud, vpc: VpcClient) -> None:
    """Tag.N.Key/Value select gateways; a key alone matches any value."""
    cloud.seed_estate([REGION], gateways_per_region=6, connections_per_gateway=0)

    prod = vpc.describe_vpn_gateways(REGION, tags=[("env", "prod")], deadline=_deadline())
    team = vpc.describe_vpn_gateways(REGION, tags=[("team", None)], deadline=_deadline())

    assert (len(prod), len(team)) == (3, 6)


def test_connections_are_read_across_every_page(cloud: Cloud, vpc: VpcClient) -> None:
    """A gateway's 55 connections come back in full."""
    (gateway,) = cloud.seed_estate([REGION], gateways_per_region=1, connections_per_gateway=55)

    found = vpc.describe_vpn_connections(REGION, gateway_id=gateway.id, deadline=_deadline())

    assert len(found) == 55


def test_pre_shared_keys_never_leave_the_client(cloud: Cloud, vpc: VpcClient) -> None:
    """IkeConfig.Psk and TunnelIkeConfig.Psk are gone: no key, no value, at any depth."""
    gateway = cloud.vpc(REGION).add_gateway()
    cloud.vpc(REGION).add_connection(gateway.id, psk="very-secret-psk-1")

    found = vpc.describe_vpn_connections(REGION, gateway_id=gateway.id, deadline=_deadline())

    text = json.dumps([c.model_dump(mode="json") for c in found])
    assert "very-secret-psk-1" not in text
    assert "psk" not in text.lower()


def test_keys_named_like_psk_are_dropped_in_any_case(vpc: VpcClient) -> None:
    """Any key containing "psk" or "authkey", whatever its case, in any answer, is removed."""
    body = {
        "RequestId": "R",
        "TotalCount": 1,
        "VpnConnections": {
            "VpnConnection": [
                {
                    "VpnConnectionId": "vco-abcd1234",
                    "PSK": "x1",
                    "RemotePskHint": "x2",
                    "VpnBgpConfig": {"AUTHKEY": "x3", "LocalAsn": 65000},
                }
            ]
        },
    }
    with responses.RequestsMock() as mocked:
        mocked.post(f"https://vpc.{REGION}.aliyuncs.com/", json=body)
        (found,) = vpc.describe_vpn_connections(
            REGION, gateway_id="vpn-abcd1234", deadline=_deadline()
        )

    assert (found.connection_id, found.extra) == (
        "vco-abcd1234",
        {"VpnBgpConfig": {"LocalAsn": 65000}},
    )


def test_the_same_client_token_starts_one_diagnosis(cloud: Cloud, vpc: VpcClient) -> None:
    """DiagnoseVpnGateway with a repeated token answers with the first DiagnoseId."""
    gateway = cloud.vpc(REGION).add_gateway()
    connection = cloud.vpc(REGION).add_connection(gateway.id)
    token = client_token("sweep", "2026-11-20T09:00:00Z", connection.id)

    ids = {
        vpc.diagnose_vpn_gateway(
            REGION,
            gateway_id=gateway.id,
            connection_id=connection.id,
            client_token=token,
            deadline=_deadline(),
        )
        for _ in range(2)
    }

    assert len(ids) == len(cloud.vpc(REGION).diagnoses()) == 1


def test_actions_list_exactly_what_the_methods_call(cloud: Cloud, vpc: VpcClient) -> None:
    """ACTIONS (which template.yml grants) is the set of actions the client's methods send."""
    gateway = cloud.vpc(REGION).add_gateway()
    connection = cloud.vpc(REGION).add_connection(gateway.id)
    vpc.describe_vpn_gateways(REGION, deadline=_deadline())
    vpc.describe_vpn_connections(REGION, gateway_id=gateway.id, deadline=_deadline())
    vpc.describe_connection(REGION, connection.id, deadline=_deadline())
    vpc.customer_gateway_addresses(REGION, deadline=_deadline())
    diagnose_id = vpc.diagnose_vpn_gateway(
        REGION,
        gateway_id=gateway.id,
        connection_id=connection.id,
        client_token=client_token("t"),
        deadline=_deadline(),
    )
    vpc.get_diagnose_result(REGION, diagnose_id=diagnose_id, deadline=_deadline())

    assert {f"vpc:{r.action}" for r in cloud.requests} == ACTIONS
