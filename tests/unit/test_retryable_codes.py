"""Every documented retryable VPC code costs one retry, and the call then succeeds.

Vendor sources (cited beside each code in ``clients/rpc_errors.py``): the Terraform provider's
retry lists for VPC calls (aliyun/terraform-provider-alicloud@81c43b67,
alicloud/resource_alicloud_vpc.go:531: LastTokenProcessing, OperationFailed.LastTokenProcessing,
OperationConflict, SystemBusy, ServiceUnavailable, IncorrectStatus*; resource_alicloud_vpn_connection.go:698:
VpnGateway.Configuring, VpnTask.CONFLICT, VpnConnection.Configuring, Appliance.Configuring;
errors.go:207 NeedRetry: Throttling*), and the GetVpnGatewayDiagnoseResult / DiagnoseVpnGateway
error tables (VpnGateway.Configuring; IncorrectStatus.DiagnoseTimeout and
IncorrectStatus.VpnConnectionDeleted as a diagnosis that has ended).
"""

from __future__ import annotations

import logging

import pytest
import responses

from vpndiag import errors
from vpndiag.clients.endpoints import VpcEndpoints
from vpndiag.clients.vpc import VpcClient, client_token
from vpndiag.credentials import Credentials
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag.sweep.start import start_policy

REGION = "cn-hangzhou"
URL = f"https://vpc.{REGION}.aliyuncs.com/"
RETRYABLE = [
    (403, "LastTokenProcessing"),
    (400, "OperationFailed.LastTokenProcessing"),
    (400, "OperationConflict"),
    (503, "SystemBusy"),
    (503, "ServiceUnavailable"),
    (400, "IncorrectStatus.VpnGateway"),
    (400, "IncorrectStatus.Something"),
    (400, "Throttling"),
    (400, "Throttling.User"),
    (400, "Throttling.Api"),
    (400, "Rejected.Throttling"),
    (400, "VpnGateway.Configuring"),
    (400, "VpnTask.CONFLICT"),
    (400, "VpnConnection.Configuring"),
    (400, "Appliance.Configuring"),
]


def _client(retry: RetryPolicy | None = None) -> VpcClient:
    return VpcClient(
        session=new_session(),
        credentials=lambda: Credentials("LTAI-test-id", "test-secret"),
        endpoints=VpcEndpoints(),
        retry=retry or RetryPolicy(attempts=3),
    )


def _error(status: int, code: str) -> dict[str, object]:
    return {
        "json": {"RequestId": "R-ERR", "Code": code, "Message": "try later", "HostId": "h"},
        "status": status,
    }


def _diagnose(client: VpcClient, retry: RetryPolicy | None = None) -> str:
    return client.diagnose_vpn_gateway(
        REGION,
        gateway_id="vpn-abcd1234",
        connection_id="vco-abcd1234",
        client_token=client_token("sweep", "tick", "vco-abcd1234"),
        deadline=Deadline.after(30),
        retry=retry,
    )


@pytest.mark.parametrize(("status", "code"), RETRYABLE)
def test_code_once_costs_one_retry_and_the_call_succeeds(status: int, code: str) -> None:
    """Injected once, the code is retried and the second answer is returned."""
    with responses.RequestsMock() as mocked:
        mocked.post(URL, **_error(status, code))
        mocked.post(URL, json={"RequestId": "R-OK", "DiagnoseId": "vpndgn-abcd1234"})

        assert _diagnose(_client()) == "vpndgn-abcd1234"
        assert len(mocked.calls) == 2


@pytest.mark.parametrize(("status", "code"), RETRYABLE)
def test_the_sweep_start_policy_retries_it_too(status: int, code: str) -> None:
    """The sweep's DiagnoseVpnGateway policy retries every retryable code (a retried tick's
    re-sent ClientToken answers LastTokenProcessing while the first request is in flight)."""
    with responses.RequestsMock() as mocked:
        mocked.post(URL, **_error(status, code))
        mocked.post(URL, json={"RequestId": "R-OK", "DiagnoseId": "vpndgn-abcd1234"})

        assert _diagnose(_client(), retry=start_policy(3)) == "vpndgn-abcd1234"


def test_each_retry_leaves_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    """One line per retry naming the operation, the attempt, the code and the delay."""
    caplog.set_level(logging.WARNING, logger="vpndiag.retry")
    with responses.RequestsMock() as mocked:
        mocked.post(URL, **_error(403, "LastTokenProcessing"))
        mocked.post(URL, **_error(503, "SystemBusy"))
        mocked.post(URL, json={"RequestId": "R-OK", "DiagnoseId": "vpndgn-abcd1234"})
        _diagnose(_client())

    lines = [r for r in caplog.records if r.name == "vpndiag.retry"]
    assert [(r.operation, r.attempt, r.error_code) for r in lines] == [  # type: ignore[attr-defined]
        ("DiagnoseVpnGateway", 1, "LastTokenProcessing"),
        ("DiagnoseVpnGateway", 2, "SystemBusy"),
    ]
    assert all(isinstance(r.delay, float) for r in lines)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "code", ["IncorrectStatus.DiagnoseTimeout", "IncorrectStatus.VpnConnectionDeleted"]
)
def test_a_diagnosis_that_ended_is_not_retried(code: str) -> None:
    """The two GetVpnGatewayDiagnoseResult states that end a diagnosis are final: one call."""
    with responses.RequestsMock() as mocked:
        mocked.post(URL, **_error(400, code))
        with pytest.raises(errors.DiagnosisFailedError):
            _client().get_diagnose_result(
                REGION, diagnose_id="vpndgn-abcd1234", deadline=Deadline.after(30)
            )
        assert len(mocked.calls) == 1


def test_retries_stop_at_the_attempt_limit() -> None:
    """A code that keeps coming back is raised, typed and retryable, after the last attempt."""
    with responses.RequestsMock() as mocked:
        for _ in range(3):
            mocked.post(URL, **_error(403, "LastTokenProcessing"))
        with pytest.raises(errors.OperationPendingError) as raised:
            _diagnose(_client())

    assert raised.value.retryable
