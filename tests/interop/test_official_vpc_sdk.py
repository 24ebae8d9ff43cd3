"""Interop: the official VPC SDK (``alibabacloud-vpc20160428``) against the emulator.

The SDK is the vendor's own client: its V3 and V1 signatures verifying here, and its models
parsing the emulator's answers, is the independent check of the emulator's wire contract.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException, ThrottlingException
from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_vpc20160428.client import Client

from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    Cloud,
    LoopbackServer,
    ManualClock,
)

REGION = "cn-hangzhou"


@pytest.fixture
def cloud() -> Cloud:
    """A seeded cloud with the small estate, on a manual clock that starts at real time (the SDK
    signs with real time)."""
    cloud = Cloud(seed=11, clock=ManualClock())
    cloud.seed_estate()
    return cloud


@pytest.fixture
def server(cloud: Cloud) -> Iterator[LoopbackServer]:
    """The loopback server."""
    with cloud.serve() as running:
        yield running


def sdk_client(
    endpoint: str,
    *,
    secret: str = DEFAULT_ACCESS_KEY_SECRET,
    key_id: str = DEFAULT_ACCESS_KEY_ID,
    signature_algorithm: str | None = None,
    security_token: str | None = None,
    http_proxy: str | None = None,
) -> Client:
    """An SDK client for ``endpoint`` over plain http."""
    config = open_api_models.Config(
        access_key_id=key_id,
        access_key_secret=secret,
        security_token=security_token,
        endpoint=endpoint,
        protocol="http",
        region_id=REGION,
        signature_algorithm=signature_algorithm,
        http_proxy=http_proxy,
    )
    return Client(config)


def first_gateway_and_connection(client: Client) -> tuple[str, str]:
    gateways = client.describe_vpn_gateways(vpc_models.DescribeVpnGatewaysRequest(region_id=REGION))
    gateway_id = gateways.body.vpn_gateways.vpn_gateway[0].vpn_gateway_id
    connections = client.describe_vpn_connections(
        vpc_models.DescribeVpnConnectionsRequest(region_id=REGION, vpn_gateway_id=gateway_id)
    )
    return gateway_id, connections.body.vpn_connections.vpn_connection[0].vpn_connection_id


def test_sdk_describes_gateways(server: LoopbackServer) -> None:
    """DescribeVpnGateways through the SDK (V3 signature): the estate's gateways with tags."""
    client = sdk_client(f"127.0.0.1:{server.port}")

    response = client.describe_vpn_gateways(
        vpc_models.DescribeVpnGatewaysRequest(region_id=REGION, page_size=1, page_number=2)
    )

    body = response.body
    assert (body.total_count, body.page_number, body.page_size) == (2, 2, 1)
    gateway = body.vpn_gateways.vpn_gateway[0]
    assert gateway.vpn_gateway_id.startswith("vpn-")
    assert {t.key for t in gateway.tags.tag} == {"env", "team"}


def test_sdk_tag_filter(server: LoopbackServer) -> None:
    """The SDK's Tag list (sent flattened as Tag.N.Key / Tag.N.Value) filters gateways."""
    client = sdk_client(f"127.0.0.1:{server.port}")
    tag = vpc_models.DescribeVpnGatewaysRequestTag(key="env", value="prod")

    response = client.describe_vpn_gateways(
        vpc_models.DescribeVpnGatewaysRequest(region_id=REGION, tag=[tag])
    )

    gateways = response.body.vpn_gateways.vpn_gateway
    assert response.body.total_count == 1
    assert {(t.key, t.value) for t in gateways[0].tags.tag} >= {("env", "prod")}


def test_sdk_diagnoses_and_reads_the_result(server: LoopbackServer, cloud: Cloud) -> None:
    """DiagnoseVpnGateway then GetVpnGatewayDiagnoseResult: running, then all seven checks."""
    client = sdk_client(f"127.0.0.1:{server.port}")
    gateway_id, connection_id = first_gateway_and_connection(client)

    started = client.diagnose_vpn_gateway(
        vpc_models.DiagnoseVpnGatewayRequest(
            region_id=REGION,
            vpn_gateway_id=gateway_id,
            resource_type="IPsec",
            resource_id=connection_id,
            client_token="interop-1",
        )
    )
    request = vpc_models.GetVpnGatewayDiagnoseResultRequest(
        region_id=REGION, diagnose_id=started.body.diagnose_id
    )
    running = client.get_vpn_gateway_diagnose_result(request).body
    cloud.clock.advance(cloud.diagnosis_duration)
    finished = client.get_vpn_gateway_diagnose_result(request).body

    assert (running.finished_count, running.finish_time) == (0, "")
    assert (finished.finished_count, finished.total_count) == (7, 7)
    assert finished.resource_instance_id == connection_id
    assert finished.finish_time.endswith("Z")
    assert [r.diagnose_result_level for r in finished.diagnose_result] == [
        r.level for r in cloud.vpc(REGION).diagnoses()[0].results
    ]


def test_sdk_v1_signature_is_accepted(server: LoopbackServer) -> None:
    """The SDK's V1 (HMAC-SHA1) signing mode verifies too."""
    client = sdk_client(f"127.0.0.1:{server.port}", signature_algorithm="v2")

    response = client.describe_vpn_gateways(vpc_models.DescribeVpnGatewaysRequest(region_id=REGION))

    assert response.body.total_count == 2


def test_sdk_with_sts_token_is_accepted(server: LoopbackServer, cloud: Cloud) -> None:
    """An STS key used by the SDK (x-acs-security-token) is accepted."""
    cloud.add_access_key("STS.interop", "sts-secret", security_token="token-1")
    client = sdk_client(
        f"127.0.0.1:{server.port}",
        key_id="STS.interop",
        secret="sts-secret",
        security_token="token-1",
    )

    response = client.describe_vpn_gateways(vpc_models.DescribeVpnGatewaysRequest(region_id=REGION))

    assert response.body.total_count == 2


def test_sdk_with_wrong_secret_gets_signature_does_not_match(server: LoopbackServer) -> None:
    """A wrong secret: the SDK raises ClientException SignatureDoesNotMatch (HTTP 400)."""
    client = sdk_client(f"127.0.0.1:{server.port}", secret="not-the-secret")

    with pytest.raises(ClientException) as raised:
        client.describe_vpn_gateways(vpc_models.DescribeVpnGatewaysRequest(region_id=REGION))

    assert (raised.value.code, raised.value.status_code) == ("SignatureDoesNotMatch", 400)


def test_sdk_reads_throttling_with_retry_after(server: LoopbackServer, cloud: Cloud) -> None:
    """A throttle fault with x-acs-retry-after surfaces as the SDK's ThrottlingException."""
    cloud.faults.add(service="vpc", kind="throttle", retry_after_ms=2000)
    client = sdk_client(f"127.0.0.1:{server.port}")

    with pytest.raises(ThrottlingException) as raised:
        client.describe_vpn_gateways(vpc_models.DescribeVpnGatewaysRequest(region_id=REGION))

    assert raised.value.code == "Throttling.User"


def test_sdk_through_the_emulator_as_proxy(server: LoopbackServer) -> None:
    """With the real endpoint and the emulator as HTTP proxy, the host-signed request verifies."""
    client = sdk_client("vpc.cn-hangzhou.aliyuncs.com", http_proxy=server.base_url)

    response = client.describe_vpn_gateways(vpc_models.DescribeVpnGatewaysRequest(region_id=REGION))

    assert response.body.total_count == 2


def test_sdk_in_process_mock(cloud: Cloud) -> None:
    """cloud.mock() answers the SDK in-process (it sends through ``requests``)."""
    client = sdk_client("vpc.cn-hangzhou.aliyuncs.com")

    with cloud.mock():
        response = client.describe_vpn_gateways(
            vpc_models.DescribeVpnGatewaysRequest(region_id=REGION)
        )

    assert response.body.total_count == 2
