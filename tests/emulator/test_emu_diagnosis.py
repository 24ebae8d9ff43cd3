"""Diagnoses: progress with the clock, idempotency, start errors, outcomes and their shapes."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

import pytest

from vpndiag_emulator import Cloud, ManualClock, VpcBackend

if TYPE_CHECKING:
    from tests.emulator.conftest import AcsTestClient

CHECKS = [
    "RouteEntryConflict",
    "VpnRouteQuota",
    "VpnIPsecQuota",
    "VpnPbrRouteQuota",
    "VcoConfigConsistency",
    "VcoUserInternetIpConnectivity",
    "VcoPrivateConnectivity",
]


def diagnose(
    client: AcsTestClient, gateway_id: str, connection_id: str, **extra: str
) -> tuple[int, dict[str, object]]:
    params = {
        "RegionId": "cn-hangzhou",
        "VpnGatewayId": gateway_id,
        "ResourceType": "IPsec",
        "ResourceId": connection_id,
        **extra,
    }
    response = client.call("DiagnoseVpnGateway", params)
    return response.status_code, response.json()


def result(client: AcsTestClient, **ids: str) -> dict[str, object]:
    response = client.call("GetVpnGatewayDiagnoseResult", {"RegionId": "cn-hangzhou", **ids})
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, dict)
    return body


def items(body: dict[str, object]) -> list[dict[str, str]]:
    listed = body["DiagnoseResult"]
    assert isinstance(listed, list)
    return listed


def test_diagnosis_progresses_with_the_clock(
    client: AcsTestClient, vpc: VpcBackend, clock: ManualClock
) -> None:
    """FinishedCount rises 0 -> 7 over diagnosis_duration; items appear as they finish."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    _, started = diagnose(client, gateway.id, connection.id)
    diagnose_id = str(started["DiagnoseId"])

    at_start = result(client, DiagnoseId=diagnose_id)
    clock.advance(1.0)  # half of the default 2 s: checks 1-3 of 7 are done
    halfway = result(client, DiagnoseId=diagnose_id)
    clock.advance(1.0)
    done = result(client, DiagnoseId=diagnose_id)

    assert (at_start["FinishedCount"], at_start["FinishTime"], items(at_start)) == (0, "", [])
    assert halfway["FinishedCount"] == 3
    assert [i["DiagnoseName"] for i in items(halfway)] == CHECKS[:3]
    assert halfway["FinishTime"] == ""
    assert done["FinishedCount"] == done["TotalCount"] == 7
    assert [i["DiagnoseName"] for i in items(done)] == CHECKS
    assert done["FinishTime"] != ""


def test_result_has_the_documented_shape(
    client: AcsTestClient, vpc: VpcBackend, clock: ManualClock
) -> None:
    """The body has exactly the reference keys, UTC timestamps and ids of the right kinds."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    _, started = diagnose(client, gateway.id, connection.id)
    begin = clock.now()
    clock.advance(2.0)

    body = result(client, DiagnoseId=str(started["DiagnoseId"]))

    assert set(body) == {
        "BeginTime",
        "DiagnoseId",
        "DiagnoseResult",
        "FinishTime",
        "FinishedCount",
        "RequestId",
        "ResourceInstanceId",
        "ResourceType",
        "TotalCount",
        "VpnGatewayId",
    }
    assert body["BeginTime"] == begin.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert str(body["FinishTime"]).endswith("Z")
    assert (body["ResourceInstanceId"], body["VpnGatewayId"]) == (connection.id, gateway.id)
    assert body["ResourceType"] == "IPsec"
    assert str(body["DiagnoseId"]).startswith("vpndgn-")
    for item in items(body):
        assert set(item) == {"DiagnoseName", "DiagnoseResultDescription", "DiagnoseResultLevel"}
        assert isinstance(json.loads(item["DiagnoseResultDescription"]), dict)


def test_gateway_id_alone_returns_the_latest_diagnosis(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """With VpnGatewayId only, the gateway's most recent diagnosis is returned."""
    gateway = vpc.add_gateway()
    first, second = vpc.add_connection(gateway.id), vpc.add_connection(gateway.id)
    diagnose(client, gateway.id, first.id)
    _, latest = diagnose(client, gateway.id, second.id)

    body = result(client, VpnGatewayId=gateway.id)

    assert body["DiagnoseId"] == latest["DiagnoseId"]
    assert body["ResourceInstanceId"] == second.id


def test_same_client_token_and_params_returns_the_same_diagnosis(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """A ClientToken repeated with identical parameters starts nothing new."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)

    _, first = diagnose(client, gateway.id, connection.id, ClientToken="tok-a")
    _, again = diagnose(client, gateway.id, connection.id, ClientToken="tok-a")

    assert first["DiagnoseId"] == again["DiagnoseId"]
    assert len(vpc.diagnoses()) == 1


def test_same_client_token_with_other_params_is_a_mismatch(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """A ClientToken reused with different parameters: 400 IdempotentParameterMismatch."""
    gateway = vpc.add_gateway()
    first, second = vpc.add_connection(gateway.id), vpc.add_connection(gateway.id)
    diagnose(client, gateway.id, first.id, ClientToken="tok-b")

    status, body = diagnose(client, gateway.id, second.id, ClientToken="tok-b")

    assert (status, body["Code"]) == (400, "IdempotentParameterMismatch")


def test_without_client_token_each_call_starts_a_diagnosis(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """Without a ClientToken, two calls are two diagnoses."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)

    _, first = diagnose(client, gateway.id, connection.id)
    _, second = diagnose(client, gateway.id, connection.id)

    assert first["DiagnoseId"] != second["DiagnoseId"]


def test_gateway_without_diagnosis_support_is_unsupported(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """supports_diagnosis=False: 400 OperationUnsupported.DiagnoseVpn."""
    gateway = vpc.add_gateway(supports_diagnosis=False)
    connection = vpc.add_connection(gateway.id)

    status, body = diagnose(client, gateway.id, connection.id)

    assert (status, body["Code"]) == (400, "OperationUnsupported.DiagnoseVpn")


def test_diagnosing_an_updating_gateway_is_configuring(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """Starting a diagnosis on an 'updating' gateway: 400 VpnGateway.Configuring."""
    gateway = vpc.add_gateway(status="updating")
    connection = vpc.add_connection(gateway.id)

    status, body = diagnose(client, gateway.id, connection.id)

    assert (status, body["Code"]) == (400, "VpnGateway.Configuring")


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"ResourceType": "SslVpn"}, "IllegalParam.ResourceType"),
        ({"IPsecExtendInfo": "{not json"}, "IllegalParam.IPsecExtendInfo"),
        ({"ResourceId": "vco-unknown000000000000"}, "InvalidVpnConnectionInstanceId.NotFound"),
    ],
    ids=["resource-type", "extend-info", "connection"],
)
def test_bad_diagnose_parameters_are_rejected(
    client: AcsTestClient, vpc: VpcBackend, extra: dict[str, str], code: str
) -> None:
    """Another resource type, unparsable IPsecExtendInfo or an unknown connection is refused."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)

    _, body = diagnose(client, gateway.id, connection.id, **extra)

    assert body["Code"] == code


def test_missing_required_parameter_is_named(client: AcsTestClient) -> None:
    """An absent mandatory parameter: 400 Missing<Name>, the gateway's wording."""
    response = client.call("DiagnoseVpnGateway", {"RegionId": "cn-hangzhou"})

    assert response.status_code == 400
    assert response.json()["Code"] == "MissingVpnGatewayId"


def test_extend_info_addresses_are_probed(
    client: AcsTestClient, vpc: VpcBackend, clock: ManualClock
) -> None:
    """IPsecExtendInfo's private addresses appear in the private connectivity check."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    info = '{"PrivateSourceIp":"10.1.1.1","PrivateDestinationIp":"192.168.9.9"}'
    _, started = diagnose(client, gateway.id, connection.id, IPsecExtendInfo=info)
    clock.advance(2.0)

    body = result(client, DiagnoseId=str(started["DiagnoseId"]))

    private = json.loads(items(body)[-1]["DiagnoseResultDescription"])
    assert (private["srcIp"], private["targetIp"]) == ("10.1.1.1", "192.168.9.9")


def test_scripted_health_sequence(
    client: AcsTestClient, vpc: VpcBackend, clock: ManualClock
) -> None:
    """set_health scripts normal -> error -> normal across successive diagnoses."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    levels = []
    for health in ("normal", {"VcoUserInternetIpConnectivity": "error"}, "normal"):
        vpc.set_health(connection.id, health)
        _, started = diagnose(client, gateway.id, connection.id)
        clock.advance(2.0)
        body = result(client, DiagnoseId=str(started["DiagnoseId"]))
        levels.append({i["DiagnoseName"]: i["DiagnoseResultLevel"] for i in items(body)})

    assert set(levels[0].values()) == {"normal"}
    assert levels[1]["VcoUserInternetIpConnectivity"] == "error"
    assert {k for k, v in levels[1].items() if v != "normal"} == {"VcoUserInternetIpConnectivity"}
    assert set(levels[2].values()) == {"normal"}


def test_unreachable_peer_reads_as_full_loss(
    client: AcsTestClient, vpc: VpcBackend, clock: ManualClock
) -> None:
    """A connectivity error is rtt -1.0 and lossRate 100 toward the customer gateway IP."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id, customer_ip="203.0.113.7")
    vpc.set_health(connection.id, {"VcoUserInternetIpConnectivity": "error"})
    _, started = diagnose(client, gateway.id, connection.id)
    clock.advance(2.0)

    body = result(client, DiagnoseId=str(started["DiagnoseId"]))

    probe = json.loads(items(body)[5]["DiagnoseResultDescription"])
    assert probe == {"targetIp": "203.0.113.7", "rtt": -1.0, "lossRate": 100.0}


def test_quota_warning_is_above_80_percent(vpc: VpcBackend, cloud: Cloud) -> None:
    """A quota warning reports more than 80 % of the quota used (and below 100 %)."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    vpc.set_health(connection.id, {"VpnRouteQuota": "warning"})

    diagnosis = vpc.start_diagnosis(
        gateway_id=gateway.id,
        resource_type="IPsec",
        connection_id=connection.id,
        extend_info=None,
        client_token=None,
    )

    quota = json.loads(diagnosis.results[1].description)
    assert 0.8 < quota["used"] / quota["quantity"] < 1.0


def test_seeded_outcomes_mix_all_levels_reproducibly() -> None:
    """Over many connections the seeded profiles are mostly normal, with warnings and errors,
    and the same seed gives the same outcomes."""

    def outcome_levels(seed: int) -> list[str]:
        cloud = Cloud(seed=seed, clock=ManualClock())
        cloud.diagnosis_duration = 0.0
        vpc = cloud.vpc("cn-hangzhou")
        levels: list[str] = []
        for gateway in cloud.seed_estate(("cn-hangzhou",), 10, 6):
            for connection in vpc.connections(gateway.id):
                diagnosis = vpc.start_diagnosis(
                    gateway_id=gateway.id,
                    resource_type="IPsec",
                    connection_id=connection.id,
                    extend_info=None,
                    client_token=None,
                )
                levels.append(
                    max(
                        (r.level for r in diagnosis.results),
                        key=["normal", "warning", "error"].index,
                    )
                )
        return levels

    levels = outcome_levels(3)
    counts = Counter(levels)

    assert counts["normal"] > counts["warning"] > 0
    assert counts["error"] > 0
    assert outcome_levels(3) == levels


def test_descriptions_never_contain_the_psk(
    client: AcsTestClient, vpc: VpcBackend, clock: ManualClock
) -> None:
    """No check description carries the connection's pre-shared key, even for a config diff."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id, psk="S3cretPsk-value")
    vpc.set_health(connection.id, "error")
    _, started = diagnose(client, gateway.id, connection.id)
    clock.advance(2.0)

    response = client.call(
        "GetVpnGatewayDiagnoseResult",
        {"RegionId": "cn-hangzhou", "DiagnoseId": str(started["DiagnoseId"])},
    )

    assert "S3cretPsk-value" not in response.text
