"""Every retryable VPC error code is injectable with its vendor status and message.

Sources (also in ``core/faults.py`` beside ``RETRYABLE_ERRORS``): the Terraform provider
aliyun/terraform-provider-alicloud @81c43b6 (alicloud/resource_alicloud_vpc.go:531 retry list,
alicloud/errors.go:207 NeedRetry, alicloud/resource_alicloud_vpn_gateway.go:436), the public
error tables (LastTokenProcessing 403; OperationConflict 409 in the VPC reference) and the
DiagnoseVpnGateway error table (VpnGateway.Configuring 400).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from vpndiag_emulator import Cloud, ManualClock, VpcBackend
from vpndiag_emulator.core.faults import RETRYABLE_ERRORS

if TYPE_CHECKING:
    from tests.emulator.conftest import AcsTestClient

REGION = {"RegionId": "cn-hangzhou"}
EXPECTED = {
    "LastTokenProcessing": 403,
    "OperationFailed.LastTokenProcessing": 403,
    "OperationConflict": 409,
    "SystemBusy": 400,
    "ServiceUnavailable": 503,
    "IncorrectStatus.VpnGateway": 400,
    "Throttling": 400,
    "Throttling.User": 400,
    "Throttling.Api": 400,
    "VpnGateway.Configuring": 400,
}


def test_table_lists_every_retryable_code() -> None:
    """The table holds exactly the provider-retried and documented codes, with their statuses."""
    assert {code: status for code, (status, _) in RETRYABLE_ERRORS.items()} == EXPECTED


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_code_is_injectable_with_its_status_and_body(
    client: AcsTestClient, cloud: Cloud, code: str
) -> None:
    """An 'error' fault naming only the code answers the table's status, code and message in
    the RPC error body."""
    cloud.faults.add(service="vpc", action="DescribeVpnGateways", kind="error", code=code)

    response = client.call("DescribeVpnGateways", REGION)

    body = response.json()
    assert (response.status_code, body["Code"], body["Message"]) == (
        EXPECTED[code],
        code,
        RETRYABLE_ERRORS[code][1],
    )
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}


def test_unknown_code_still_needs_a_status(cloud: Cloud) -> None:
    """An error fault with a code outside the table and no status is refused."""
    with pytest.raises(ValueError, match="needs both code and status"):
        cloud.faults.add(service="vpc", kind="error", code="Made.Up")


def start(client: AcsTestClient, vpc: VpcBackend, token: str) -> tuple[int, dict[str, object]]:
    gateway = vpc.gateways()[0]
    connection = vpc.connections(gateway.id)[0]
    response = client.call(
        "DiagnoseVpnGateway",
        {
            **REGION,
            "VpnGatewayId": gateway.id,
            "ResourceType": "IPsec",
            "ResourceId": connection.id,
            "ClientToken": token,
        },
    )
    return response.status_code, response.json()


def test_token_resent_in_flight_is_last_token_processing(
    client: AcsTestClient, vpc: VpcBackend, clock: ManualClock
) -> None:
    """A DiagnoseVpnGateway re-sent with the same ClientToken while the first is in flight:
    403 LastTokenProcessing (inferred source of the code); once done, the same DiagnoseId."""
    vpc.add_connection(vpc.add_gateway().id)
    vpc.set_token_processing(1.0)

    first_status, first = start(client, vpc, "tok-inflight")
    again_status, again = start(client, vpc, "tok-inflight")
    clock.advance(1.0)
    later_status, later = start(client, vpc, "tok-inflight")

    assert (first_status, again_status, again["Code"]) == (200, 403, "LastTokenProcessing")
    assert (later_status, later["DiagnoseId"]) == (200, first["DiagnoseId"])
    assert len(vpc.diagnoses()) == 1
