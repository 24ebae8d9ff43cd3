"""The in-process transport and the request log's bounds."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

import pytest
import requests

from vpndiag_emulator import Cloud, RequestRecord
from vpndiag_emulator.core.request_log import RequestLog

if TYPE_CHECKING:
    from tests.emulator.conftest import AcsTestClient


def test_mock_passes_nothing_through(cloud: Cloud) -> None:
    """Inside mock(), a host the emulator does not serve is refused, never reached."""
    with cloud.mock(), pytest.raises(requests.exceptions.ConnectionError):
        requests.get("https://example.com/", timeout=5)


def test_mock_does_not_match_look_alike_hosts(cloud: Cloud) -> None:
    """A host that merely starts like an emulated one is not intercepted."""
    with cloud.mock(), pytest.raises(requests.exceptions.ConnectionError):
        requests.get("https://vpc.aliyuncs.com.example.net/", timeout=5)


def test_mock_accepts_stubs_next_to_the_emulator(cloud: Cloud) -> None:
    """The yielded RequestsMock can stub other URLs for the same test."""
    with cloud.mock() as mock:
        mock.get("https://example.com/health", json={"ok": True})
        response = requests.get("https://example.com/health", timeout=5)

    assert response.json() == {"ok": True}


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://vpc.aliyuncs.com",
        "http://vpc.cn-shanghai.aliyuncs.com",
        "https://vpc-vpc.cn-hangzhou.aliyuncs.com",
    ],
)
def test_mock_serves_every_vpc_host_form(
    cloud: Cloud, acs_client_class: type[AcsTestClient], endpoint: str
) -> None:
    """Central, regional and in-VPC host names all reach the VPC service."""
    with cloud.mock():
        client = acs_client_class(endpoint=endpoint, now=cloud.clock.now)
        response = client.call("DescribeVpnGateways", {"RegionId": "cn-hangzhou"})

    assert response.status_code == 200, response.text


def test_request_log_keeps_the_most_recent_records() -> None:
    """A full log drops its oldest records first."""
    log = RequestLog(max_records=3)
    moment = datetime.now(timezone.utc)

    for number in range(5):
        log.append(RequestRecord("vpc", f"A{number}", 200, None, None, moment))

    assert [r.action for r in log] == ["A2", "A3", "A4"]
    assert log[0].action == "A2"
    assert len(log) == 3
