"""DiagnoseVpnConnections: per-tunnel negotiation failures, their shape, filters and errors.

The connections here are dual-tunnel (the default gateway's mode), so they are asked by
``TunnelIds.N``, as the API reference requires ("If the IPsec-VPN connection is in dual-tunnel
mode, the request parameter TunnelIds is required":
https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-diagnosevpnconnections).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from alibabacloud_vpc20160428 import models as vpc_models

from vpndiag_emulator import Cloud, Connection, ManualClock, VpcBackend

if TYPE_CHECKING:
    from tests.emulator.conftest import AcsTestClient

REGION = "cn-hangzhou"
SDK_KEYS = {
    "VpnConnectionId",
    "TunnelId",
    "FailedReason",
    "FailedReasonCode",
    "FailedTime",
    "MismatchLocalParam",
    "MismatchRemoteParam",
    "Severity",
    "SourceLog",
}
LINK_CHECKS = ("VcoUserInternetIpConnectivity", "VcoConfigConsistency", "VcoPrivateConnectivity")


def tunnels_of(*connections: Connection) -> dict[str, str]:
    """The ``TunnelIds.N`` parameters naming every tunnel of ``connections``."""
    return tunnel_params(t for c in connections for t in c.tunnel_ids)


def tunnel_params(tunnel_ids: Iterable[str]) -> dict[str, str]:
    return {f"TunnelIds.{n}": t for n, t in enumerate(tunnel_ids, start=1)}


def negotiations(client: AcsTestClient, gateway_id: str, **params: str) -> dict[str, Any]:
    response = client.call(
        "DiagnoseVpnConnections", {"RegionId": REGION, "VpnGatewayId": gateway_id, **params}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, dict)
    return body


def test_unreachable_peer_fails_phase_one_on_both_tunnels(
    client: AcsTestClient, vpc: VpcBackend, clock: ManualClock
) -> None:
    """Internet check at error: both tunnels Critical Phase1NegotiationTimeout, recently; each
    log names its tunnel's gateway address (the master's is the gateway's InternetIp)."""
    gateway = vpc.add_gateway(internet_ip="47.1.2.3")
    connection = vpc.add_connection(gateway.id, customer_ip="203.0.113.7")
    vpc.set_health(connection.id, {"VcoUserInternetIpConnectivity": "error"})

    items = negotiations(client, gateway.id, **tunnels_of(connection))["VpnConnections"]

    now_ms = clock.now().timestamp() * 1000
    assert [i["TunnelId"] for i in items] == list(connection.tunnel_ids)
    for item in items:
        assert set(item) == SDK_KEYS
        assert (item["Severity"], item["FailedReasonCode"]) == (
            "Critical",
            "Phase1NegotiationTimeout",
        )
        assert now_ms - 240_000 <= item["FailedTime"] < now_ms
        assert "203.0.113.7[500]" in item["SourceLog"]
    assert "47.1.2.3[500]" in items[0]["SourceLog"]


def test_healthy_tunnels_report_normal_without_a_failure(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """A healthy profile: Severity Normal, every failure field empty, no FailedTime."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    vpc.set_health(connection.id, "normal")

    items = negotiations(client, gateway.id, **tunnels_of(connection))["VpnConnections"]

    assert len(items) == 2
    for item in items:
        assert "FailedTime" not in item
        assert item["Severity"] == "Normal"
        fields = ("FailedReason", "FailedReasonCode", "MismatchLocalParam", "MismatchRemoteParam")
        assert [item[f] for f in (*fields, "SourceLog")] == ["", "", "", "", ""]


def test_configuration_difference_is_an_algorithm_mismatch_with_both_values(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """Config check at error: one of the algorithm mismatches, local and peer values given."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    vpc.set_health(connection.id, {"VcoConfigConsistency": "error"})

    item = negotiations(client, gateway.id, **tunnels_of(connection))["VpnConnections"][0]

    assert item["FailedReasonCode"] in {
        "AlgorithmMismatch",
        "EncryptionAlgorithmMismatch",
        "AuthenticationAlgorithmMismatch",
    }
    assert item["MismatchLocalParam"] != item["MismatchRemoteParam"]
    assert "NO_PROPOSAL_CHOSEN" in item["SourceLog"]


def test_failure_code_is_reproducible_from_the_seed() -> None:
    """Two clouds with one seed give a connection the same code and the same log."""

    def first_item(cloud: Cloud) -> dict[str, Any]:
        vpc = cloud.vpc(REGION)
        gateway = vpc.add_gateway()
        connection = vpc.add_connection(gateway.id)
        vpc.set_health(connection.id, {"VcoPrivateConnectivity": "error"})
        row = vpc.negotiations(
            gateway_id=gateway.id, tunnel_ids=connection.tunnel_ids, now=cloud.clock.now()
        )[0]
        assert row.failure is not None
        return {"code": row.failure.code, "log": row.source_log, "at": row.failed_at}

    clock = ManualClock()
    assert first_item(Cloud(seed=3, clock=clock)) == first_item(Cloud(seed=3, clock=clock))


def test_seeded_profiles_with_link_errors_fail_negotiation(cloud: Cloud) -> None:
    """Across a seeded estate: a tunnel fails exactly when a link or config check is at error."""
    cloud.seed_estate(regions=[REGION], gateways_per_region=10, connections_per_gateway=3)
    vpc = cloud.vpc(REGION)
    seen = set()
    for gateway in vpc.gateways():
        for connection in vpc.connections(gateway.id):
            diagnosis = vpc.record_diagnosis(
                connection.id, diagnose_id=f"vpndgn-{connection.id[4:]}", begin=cloud.clock.now()
            )
            broken = any(r.level == "error" for r in diagnosis.results if r.name in LINK_CHECKS)
            rows = vpc.negotiations(
                gateway_id=gateway.id,
                connection_ids=[connection.id],
                tunnel_ids=connection.tunnel_ids,
                now=cloud.clock.now(),
            )
            assert {row.failure is not None for row in rows} == {broken}
            seen.add(broken)
    assert seen == {True, False}, "the estate should hold both kinds"


def test_forced_failure_wins_and_clearing_it_restores_the_profile(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """set_negotiation_failure overrides a healthy profile; None goes back to it."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    vpc.set_health(connection.id, "normal")

    vpc.set_negotiation_failure(connection.id, "DhGroupMismatch")
    forced = negotiations(client, gateway.id, **tunnels_of(connection))["VpnConnections"][0]
    vpc.set_negotiation_failure(connection.id, None)
    cleared = negotiations(client, gateway.id, **tunnels_of(connection))["VpnConnections"][0]

    assert (forced["FailedReasonCode"], forced["Severity"]) == ("DhGroupMismatch", "Warn")
    assert (forced["MismatchLocalParam"], forced["MismatchRemoteParam"]) == ("group2", "group14")
    assert cleared["Severity"] == "Normal"


def test_forcing_an_unknown_code_is_refused(vpc: VpcBackend) -> None:
    """Only the documented failure codes can be scripted."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    with pytest.raises(ValueError, match="unknown failure code"):
        vpc.set_negotiation_failure(connection.id, "BogusCode")


def test_tunnel_filter_uses_repeat_lists(client: AcsTestClient, vpc: VpcBackend) -> None:
    """TunnelIds.N narrows the answer to the named tunnels (API reference: TunnelIds array)."""
    gateway = vpc.add_gateway()
    first = vpc.add_connection(gateway.id)
    vpc.add_connection(gateway.id)

    by_tunnel = negotiations(client, gateway.id, **tunnel_params([first.tunnel_ids[1]]))

    assert [i["TunnelId"] for i in by_tunnel["VpnConnections"]] == [first.tunnel_ids[1]]


def test_items_are_paged(client: AcsTestClient, vpc: VpcBackend) -> None:
    """TotalCount counts the asked tunnels; PageNumber/PageSize slice them (SDK model fields)."""
    gateway = vpc.add_gateway()
    connections = [vpc.add_connection(gateway.id) for _ in range(3)]

    page = negotiations(
        client, gateway.id, PageNumber="2", PageSize="4", **tunnels_of(*connections)
    )

    assert (page["TotalCount"], page["PageNumber"], page["PageSize"]) == (6, 2, 4)
    assert len(page["VpnConnections"]) == 2


def test_gateway_is_optional_but_must_exist_when_given(
    client: AcsTestClient, vpc: VpcBackend
) -> None:
    """VpnGatewayId is optional (API reference: "VpnGatewayId string 否/No"); an unknown one
    answers the gateway's NotFound code (inferred: the gateway lookup's documented code)."""
    connection = vpc.add_connection(vpc.add_gateway().id)
    without = client.call("DiagnoseVpnConnections", {"RegionId": REGION, **tunnels_of(connection)})
    unknown = client.call(
        "DiagnoseVpnConnections", {"RegionId": REGION, "VpnGatewayId": "vpn-doesnotexist0"}
    )
    assert (without.status_code, without.json()["TotalCount"]) == (200, 2)
    assert (unknown.status_code, unknown.json()["Code"]) == (
        404,
        "InvalidVpnGatewayInstanceId.NotFound",
    )


def test_official_sdk_model_reads_every_field(client: AcsTestClient, vpc: VpcBackend) -> None:
    """The SDK's response model maps each item field: names and casing match the real API."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    vpc.set_negotiation_failure(connection.id, "AuthenticationAlgorithmMismatch")

    body = vpc_models.DiagnoseVpnConnectionsResponseBody().from_map(
        negotiations(client, gateway.id, **tunnels_of(connection))
    )

    item = body.vpn_connections[0]
    assert body.total_count == 2
    assert (item.vpn_connection_id, item.tunnel_id) == (connection.id, connection.tunnel_ids[0])
    assert (item.failed_reason_code, item.severity) == (
        "AuthenticationAlgorithmMismatch",
        "Critical",
    )
    assert (item.mismatch_local_param, item.mismatch_remote_param) == ("sha1", "sha256")
    assert isinstance(item.failed_time, int)
    assert item.failed_reason
    assert item.source_log


def test_failure_time_follows_the_clock(
    client: AcsTestClient, vpc: VpcBackend, clock: ManualClock
) -> None:
    """The check reflects recent negotiation: moving the clock moves FailedTime with it."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    vpc.set_negotiation_failure(connection.id, "PeerMismatch")

    before = negotiations(client, gateway.id, **tunnels_of(connection))["VpnConnections"][0][
        "FailedTime"
    ]
    clock.advance(timedelta(hours=1).total_seconds())
    after = negotiations(client, gateway.id, **tunnels_of(connection))["VpnConnections"][0][
        "FailedTime"
    ]

    assert after - before == 3_600_000
