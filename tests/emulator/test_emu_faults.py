"""Injected faults, each through the in-process mock and the loopback server."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import pytest
import requests

from vpndiag_emulator import Cloud, ManualClock, VpcBackend

if TYPE_CHECKING:
    from tests.emulator.conftest import AcsTestClient

DESCRIBE = "DescribeVpnGateways"
REGION = {"RegionId": "cn-hangzhou"}


def test_throttle_is_throttling_user(any_client: AcsTestClient, cloud: Cloud) -> None:
    """throttle: 400 Throttling.User 'Request was denied due to user flow control.'"""
    cloud.faults.add(service="vpc", action=DESCRIBE, kind="throttle")

    response = any_client.call(DESCRIBE, REGION)

    assert response.status_code == 400
    assert response.json()["Code"] == "Throttling.User"
    assert response.json()["Message"] == "Request was denied due to user flow control."


def test_throttle_with_status_and_retry_after(any_client: AcsTestClient, cloud: Cloud) -> None:
    """throttle with status 429 and retry_after_ms: that status and an x-acs-retry-after header."""
    cloud.faults.add(service="vpc", kind="throttle", status=429, retry_after_ms=1500)

    response = any_client.call(DESCRIBE, REGION)

    assert response.status_code == 429
    assert response.headers["x-acs-retry-after"] == "1500"


@pytest.mark.parametrize(("status", "code"), [(None, "ServiceUnavailable"), (500, "InternalError")])
def test_server_error(
    any_client: AcsTestClient, cloud: Cloud, status: int | None, code: str
) -> None:
    """server_error: 503 ServiceUnavailable by default, 500 InternalError on request."""
    cloud.faults.add(service="vpc", kind="server_error", status=status)

    response = any_client.call(DESCRIBE, REGION)

    assert (response.status_code, response.json()["Code"]) == (status or 503, code)


def test_error_fault_answers_any_code(any_client: AcsTestClient, cloud: Cloud) -> None:
    """error: the given code, status and message, in the RPC error body."""
    cloud.faults.add(
        service="vpc", kind="error", code="Throttling.Api", status=503, message="slow down"
    )

    response = any_client.call(DESCRIBE, REGION)

    body = response.json()
    assert (response.status_code, body["Code"], body["Message"]) == (
        503,
        "Throttling.Api",
        "slow down",
    )
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}


def test_latency_delays_then_answers(any_client: AcsTestClient, cloud: Cloud) -> None:
    """latency: the answer arrives after the delay and is the normal one."""
    cloud.faults.add(service="vpc", kind="latency", delay=0.05)

    started = time.perf_counter()
    response = any_client.call(DESCRIBE, REGION)

    assert time.perf_counter() - started >= 0.05
    assert response.status_code == 200
    assert cloud.requests[-1].fault == "latency"


def test_malformed_is_200_without_json(any_client: AcsTestClient, cloud: Cloud) -> None:
    """malformed: 200 whose body does not parse as JSON."""
    cloud.faults.add(service="vpc", kind="malformed")

    response = any_client.call(DESCRIBE, REGION)

    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_truncated_cuts_the_body_after_processing(
    any_client: AcsTestClient, cloud: Cloud, vpc: VpcBackend
) -> None:
    """truncated: 200 with half a JSON body, and the action did take effect."""
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    cloud.faults.add(service="vpc", action="DiagnoseVpnGateway", kind="truncated")

    response = any_client.call(
        "DiagnoseVpnGateway",
        {
            "RegionId": "cn-hangzhou",
            "VpnGatewayId": gateway.id,
            "ResourceType": "IPsec",
            "ResourceId": connection.id,
        },
    )

    assert response.status_code == 200
    assert response.content.startswith(b'{"RequestId"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert len(vpc.diagnoses()) == 1


def test_drop_closes_without_response(any_client: AcsTestClient, cloud: Cloud) -> None:
    """drop: the client gets a connection error; the next request is answered again."""
    cloud.faults.add(service="vpc", kind="drop")

    with pytest.raises(requests.exceptions.ConnectionError):
        any_client.call(DESCRIBE, REGION)
    after = any_client.call(DESCRIBE, REGION)

    assert after.status_code == 200
    assert cloud.requests[0].fault == "drop"
    assert cloud.requests[0].status is None


def test_fault_fires_its_number_of_times(client: AcsTestClient, cloud: Cloud) -> None:
    """times=2: two requests fail, the third succeeds, and the fault is gone."""
    cloud.faults.add(service="vpc", kind="throttle", times=2)

    statuses = [client.call(DESCRIBE, REGION).status_code for _ in range(3)]

    assert statuses == [400, 400, 200]
    assert cloud.faults.pending == []


def test_unlimited_fault_fires_until_cleared(client: AcsTestClient, cloud: Cloud) -> None:
    """times=None fails every request until faults.clear()."""
    cloud.faults.add(service="vpc", kind="server_error", times=None)

    failing = [client.call(DESCRIBE, REGION).status_code for _ in range(3)]
    cloud.faults.clear()

    assert failing == [503, 503, 503]
    assert client.call(DESCRIBE, REGION).status_code == 200


def test_fault_for_one_action_spares_others(client: AcsTestClient, cloud: Cloud) -> None:
    """A fault bound to an action leaves other actions alone."""
    cloud.faults.add(service="vpc", action="GetVpnGatewayDiagnoseResult", kind="throttle")

    response = client.call(DESCRIBE, REGION)

    assert response.status_code == 200
    assert len(cloud.faults.pending) == 1


def test_probability_is_seeded() -> None:
    """probability draws from the cloud's seed: the same seed fails the same requests."""

    def fired(seed: int) -> list[bool]:
        cloud = Cloud(seed=seed, clock=ManualClock())
        cloud.faults.add(service="vpc", kind="throttle", times=None, probability=0.5)
        return [cloud.faults.draw("vpc", DESCRIBE).fault is not None for _ in range(40)]

    assert fired(1) == fired(1)
    assert fired(1) != fired(2)
    assert 5 < sum(fired(1)) < 35


def test_request_log_records_faults(client: AcsTestClient, cloud: Cloud) -> None:
    """The request log names the service, action, status, code and fault of each request."""
    cloud.faults.add(service="vpc", kind="throttle")

    client.call(DESCRIBE, REGION)
    client.call(DESCRIBE, REGION)

    first, second = cloud.requests
    assert (first.service, first.action, first.status, first.error_code, first.fault) == (
        "vpc",
        DESCRIBE,
        400,
        "Throttling.User",
        "throttle",
    )
    assert (second.status, second.fault) == (200, None)
    assert cloud.requests.actions("vpc") == [DESCRIBE, DESCRIBE]
