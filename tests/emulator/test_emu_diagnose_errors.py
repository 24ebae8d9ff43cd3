"""Every documented GetVpnGatewayDiagnoseResult error is reachable by state, with its status."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from vpndiag_emulator import Cloud, ManualClock, VpcBackend

if TYPE_CHECKING:
    from tests.emulator.conftest import AcsTestClient, ClientFactory

GET_RESULT = "GetVpnGatewayDiagnoseResult"


def get_result(client: AcsTestClient, **params: str) -> tuple[int, dict[str, object]]:
    response = client.call(GET_RESULT, {"RegionId": "cn-hangzhou", **params})
    return response.status_code, response.json()


def start(client: AcsTestClient, gateway_id: str, connection_id: str) -> str:
    response = client.call(
        "DiagnoseVpnGateway",
        {
            "RegionId": "cn-hangzhou",
            "VpnGatewayId": gateway_id,
            "ResourceType": "IPsec",
            "ResourceId": connection_id,
        },
    )
    assert response.status_code == 200, response.text
    diagnose_id = response.json()["DiagnoseId"]
    assert isinstance(diagnose_id, str)
    return diagnose_id


@pytest.mark.parametrize(
    "params",
    [
        {"RegionId": "cn_hangzhou!", "VpnGatewayId": "vpn-x"},
        {"RegionId": "cn-hangzhou", "DiagnoseId": "not-a-diagnose-id"},
    ],
    ids=["malformed-region", "malformed-diagnose-id"],
)
def test_malformed_parameter_is_param_error(client: AcsTestClient, params: dict[str, str]) -> None:
    """A malformed RegionId or DiagnoseId: 400 param_error with the documented text."""
    response = client.call(GET_RESULT, params)

    assert response.status_code == 400
    assert response.json()["Code"] == "param_error"
    assert response.json()["Message"] == "The param is must be in ..."


def test_neither_id_is_missing_diagnose_info(client: AcsTestClient) -> None:
    """Neither DiagnoseId nor VpnGatewayId: 400 MissingParam.DiagnoseInfo."""
    status, body = get_result(client)

    assert (status, body["Code"]) == (400, "MissingParam.DiagnoseInfo")
    assert body["Message"] == "The VPN gateway ID and diagnose ID cannot be empty at the same time."


def test_updating_gateway_is_configuring(client: AcsTestClient, vpc: VpcBackend) -> None:
    """A gateway whose status is 'updating': 400 VpnGateway.Configuring."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    diagnose_id = start(client, gateway.id, connection.id)
    vpc.set_gateway_status(gateway.id, "updating")

    status, body = get_result(client, DiagnoseId=diagnose_id)

    assert (status, body["Code"]) == (400, "VpnGateway.Configuring")
    assert body["Message"] == "The specified service is configuring."


def test_diagnosis_marked_to_time_out_fails_after_its_duration(
    client: AcsTestClient, vpc: VpcBackend, clock: ManualClock, cloud: Cloud
) -> None:
    """fail_next_diagnosis(gw, 'timeout'): running until the duration, then 400 DiagnoseTimeout."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    vpc.fail_next_diagnosis(gateway.id, "timeout")
    diagnose_id = start(client, gateway.id, connection.id)

    running_status, _ = get_result(client, DiagnoseId=diagnose_id)
    clock.advance(cloud.diagnosis_duration)
    status, body = get_result(client, DiagnoseId=diagnose_id)

    assert running_status == 200
    assert (status, body["Code"]) == (400, "IncorrectStatus.DiagnoseTimeout")
    assert body["Message"] == "Diagnose failed because of timeout."


def test_connection_deleted_during_diagnosis_fails_it(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """delete_connection() while running: 400 IncorrectStatus.VpnConnectionDeleted."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    diagnose_id = start(client, gateway.id, connection.id)
    vpc.delete_connection(connection.id)

    status, body = get_result(client, DiagnoseId=diagnose_id)

    assert (status, body["Code"]) == (400, "IncorrectStatus.VpnConnectionDeleted")
    assert body["Message"] == "Diagnose failed because the VPN connection has been deleted."


def test_connection_deleted_after_finish_keeps_the_result(
    client: AcsTestClient, vpc: VpcBackend, clock: ManualClock, cloud: Cloud
) -> None:
    """A diagnosis that finished before its connection was deleted stays readable."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    diagnose_id = start(client, gateway.id, connection.id)
    clock.advance(cloud.diagnosis_duration + 1)
    vpc.delete_connection(connection.id)

    status, body = get_result(client, DiagnoseId=diagnose_id)

    assert (status, body["FinishedCount"]) == (200, 7)


def test_key_without_the_action_is_forbidden(
    cloud: Cloud, make_client: ClientFactory, vpc: VpcBackend
) -> None:
    """cloud.deny(key, action): 403 Forbidden with the documented text."""
    gateway = vpc.add_gateway()
    cloud.add_access_key("LTAIlimited", "secret")
    cloud.deny("LTAIlimited", GET_RESULT)

    status, body = get_result(
        make_client(key_id="LTAIlimited", secret="secret"), VpnGatewayId=gateway.id
    )

    assert (status, body["Code"]) == (403, "Forbidden")
    assert body["Message"] == "User not authorized to operate on the specified resource."


def test_unknown_diagnose_id_is_not_found(client: AcsTestClient) -> None:
    """A well-formed DiagnoseId that does not exist: 404 with the id in the message."""
    status, body = get_result(client, DiagnoseId="vpndgn-doesnotexist0000")

    assert (status, body["Code"]) == (404, "InvalidDiagnoseId.NotFound")
    assert body["Message"] == "The specified diagnose ID [vpndgn-doesnotexist0000] does not exist."


def test_diagnose_id_of_another_gateway_is_not_found(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """DiagnoseId with a VpnGatewayId it does not belong to: 404 InvalidDiagnoseId.NotFound."""
    first, second = vpc.add_gateway(), vpc.add_gateway()
    diagnose_id = start(client, first.id, vpc.add_connection(first.id).id)

    status, body = get_result(client, DiagnoseId=diagnose_id, VpnGatewayId=second.id)

    assert (status, body["Code"]) == (404, "InvalidDiagnoseId.NotFound")


def test_gateway_never_diagnosed_is_not_found(client: AcsTestClient, vpc: VpcBackend) -> None:
    """VpnGatewayId alone, gateway without diagnoses: 404 InvalidVpnGatewayId.NotFound."""
    gateway = vpc.add_gateway()

    status, body = get_result(client, VpnGatewayId=gateway.id)

    assert (status, body["Code"]) == (404, "InvalidVpnGatewayId.NotFound")
    assert body["Message"] == (
        f"The specified VPN gateway [{gateway.id}] does not have any diagnoses."
    )


def test_unknown_gateway_is_instance_not_found(client: AcsTestClient) -> None:
    """A VpnGatewayId that does not exist: 404 InvalidVpnGatewayInstanceId.NotFound."""
    status, body = get_result(client, VpnGatewayId="vpn-nosuchgateway0000000")

    assert (status, body["Code"]) == (404, "InvalidVpnGatewayInstanceId.NotFound")
    assert body["Message"] == "The specified vpn gateway instance id does not exist."


def test_gateway_of_another_region_is_not_found(cloud: Cloud, client: AcsTestClient) -> None:
    """State is per region: a cn-shanghai gateway is unknown to a cn-hangzhou request."""
    gateway = cloud.vpc("cn-shanghai").add_gateway()

    status, body = get_result(client, VpnGatewayId=gateway.id)

    assert (status, body["Code"]) == (404, "InvalidVpnGatewayInstanceId.NotFound")


def test_gateway_of_another_account_is_not_found(cloud: Cloud, client: AcsTestClient) -> None:
    """State is per account: another account's gateway in the same region is unknown."""
    gateway = cloud.vpc("cn-hangzhou", account_id="9999000011112222").add_gateway()

    status, body = get_result(client, VpnGatewayId=gateway.id)

    assert (status, body["Code"]) == (404, "InvalidVpnGatewayInstanceId.NotFound")
