"""The root cause taken with the app's own VPC client from the emulator (in-process transport)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vpndiag.clients.endpoints import VpcEndpoints
from vpndiag.clients.vpc import VpcClient
from vpndiag.credentials import Credentials
from vpndiag.health.rootcause import Redaction, RootCause, diagnose_connection
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag.model.connection import VpnConnection
from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    Cloud,
    Connection,
    Gateway,
)

REGION = "cn-hangzhou"
GATEWAY_IP, CUSTOMER_IP = "47.1.2.3", "203.0.113.7"


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    cloud = Cloud(seed=7)
    with cloud.mock():
        yield cloud


@pytest.fixture
def gateway(cloud: Cloud) -> Gateway:
    return cloud.vpc(REGION).add_gateway(internet_ip=GATEWAY_IP)


@pytest.fixture
def connection(cloud: Cloud, gateway: Gateway) -> Connection:
    return cloud.vpc(REGION).add_connection(gateway.id, customer_ip=CUSTOMER_IP)


def _client(attempts: int = 3) -> VpcClient:
    return VpcClient(
        session=new_session(),
        credentials=lambda: Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET),
        endpoints=VpcEndpoints(),
        retry=RetryPolicy(attempts=attempts),
    )


def _described(connection: Connection) -> VpnConnection | None:
    """The connection as the archive path describes it (its tunnels say whom to ask)."""
    return _client().describe_connection(REGION, connection.id, deadline=Deadline.after(30))


def _root_cause(
    connection: Connection,
    redaction: Redaction = "ips",
    attempts: int = 3,
    described: VpnConnection | None = None,
) -> RootCause:
    """The root cause as the archive takes it: a dual-tunnel connection asked by its tunnels."""
    return diagnose_connection(
        _client(attempts),
        region=REGION,
        gateway_id=connection.gateway_id,
        connection_id=connection.id,
        deadline=Deadline.after(30),
        connection=described or _described(connection),
        redaction=redaction,
    )


def test_unreachable_peer_gives_both_tunnels_a_cause_and_an_action(
    cloud: Cloud, connection: Connection
) -> None:
    """Internet check at error: two failing tunnels, each with the phase 1 timeout's action."""
    cloud.vpc(REGION).set_health(connection.id, {"VcoUserInternetIpConnectivity": "error"})

    cause = _root_cause(connection)

    assert cause.error is None
    assert [t.tunnel_id for t in cause.failing] == list(connection.tunnel_ids)
    for tunnel in cause.tunnels:
        assert tunnel.failed_reason_code == "Phase1NegotiationTimeout"
        assert tunnel.action is not None
        assert tunnel.action.key == "negotiation.Phase1NegotiationTimeout"
        assert tunnel.failed_time is not None


def test_addresses_never_leave_in_the_default_mode(cloud: Cloud, connection: Connection) -> None:
    """The emulator's log names both public IPs; the root cause names neither."""
    cloud.vpc(REGION).set_negotiation_failure(connection.id, "PeerMismatch")

    dumped = _root_cause(connection).model_dump_json()

    assert GATEWAY_IP not in dumped
    assert CUSTOMER_IP not in dumped
    assert "ip#" in dumped


def test_no_redaction_shows_the_log_as_the_service_sent_it(
    cloud: Cloud, connection: Connection
) -> None:
    """redaction='none' keeps the addresses of the raw IKE line."""
    cloud.vpc(REGION).set_negotiation_failure(connection.id, "Phase1NegotiationTimeout")

    tunnel = _root_cause(connection, redaction="none").tunnels[0]

    assert tunnel.source_log is not None
    assert f"{CUSTOMER_IP}[500]" in tunnel.source_log


def test_healthy_connection_has_normal_tunnels_and_nothing_to_do(
    cloud: Cloud, connection: Connection
) -> None:
    """A healthy profile: two tunnels, Severity Normal, no action."""
    cloud.vpc(REGION).set_health(connection.id, "normal")

    cause = _root_cause(connection)

    assert [t.severity for t in cause.tunnels] == ["Normal", "Normal"]
    assert cause.failing == []
    assert all(t.action is None for t in cause.tunnels)


def test_throttling_is_retried_within_the_call(cloud: Cloud, connection: Connection) -> None:
    """One throttled answer, then the result: the root cause is taken, no error recorded."""
    cloud.vpc(REGION).set_health(connection.id, {"VcoConfigConsistency": "error"})
    described = _described(connection)
    cloud.faults.add(service="vpc", kind="throttle", action="DiagnoseVpnConnections")

    cause = _root_cause(connection, described=described)

    assert cause.error is None
    assert len(cause.failing) == 2
    assert (
        cloud.requests.actions("vpc") == ["DescribeVpnConnections"] + ["DiagnoseVpnConnections"] * 2
    )


def test_an_api_error_is_recorded_not_raised(cloud: Cloud, connection: Connection) -> None:
    """The gateway is being reconfigured: the archive gets an error field, not an exception."""
    cloud.vpc(REGION).set_gateway_status(connection.gateway_id, "updating")

    cause = _root_cause(connection)

    assert cause.tunnels == []
    assert cause.error is not None
    assert (cause.error.code, cause.error.retryable) == ("VpnGateway.Configuring", True)
    assert cause.error.request_id


def test_a_persistent_server_error_is_recorded_as_retryable(
    cloud: Cloud, connection: Connection
) -> None:
    """Retries exhausted on 503: recorded with retryable=True for whoever reads it."""
    described = _described(connection)
    cloud.faults.add(service="vpc", kind="server_error", times=None)

    cause = _root_cause(connection, attempts=2, described=described)

    assert cause.error is not None
    assert (cause.error.code, cause.error.retryable) == ("ServiceUnavailable", True)
