"""The app's own VPC client against the emulator: signatures, STS, every documented error code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from vpndiag import errors
from vpndiag.clients.endpoints import VpcEndpoints
from vpndiag.clients.vpc import Signature, VpcClient
from vpndiag.credentials import Credentials
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Cloud, Gateway

REGION = "cn-hangzhou"
DEFAULT_KEYS = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    cloud = Cloud(seed=7, diagnosis_duration=0.0)
    with cloud.mock():
        yield cloud


@pytest.fixture
def gateway(cloud: Cloud) -> Gateway:
    vpc = cloud.vpc(REGION)
    gateway = vpc.add_gateway(name="gw")
    vpc.add_connection(gateway.id, name="c1")
    return gateway


def _client(
    keys: Credentials = DEFAULT_KEYS, signature: Signature = "v3", attempts: int = 3
) -> VpcClient:
    return VpcClient(
        session=new_session(),
        credentials=lambda: keys,
        endpoints=VpcEndpoints(),
        retry=RetryPolicy(attempts=attempts),
        signature=signature,
    )


def _diagnose(cloud: Cloud, gateway: Gateway) -> str:
    vpc = cloud.vpc(REGION)
    connection = vpc.connections(gateway.id)[0]
    diagnosis = vpc.start_diagnosis(
        gateway_id=gateway.id,
        resource_type="IPsec",
        connection_id=connection.id,
        extend_info=None,
        client_token=None,
    )
    return diagnosis.id


def _get(client: VpcClient, **params: Any) -> dict[str, Any]:
    return client.get_diagnose_result(REGION, deadline=Deadline.after(30), **params)


@pytest.mark.parametrize("signature", ["v3", "v1"])
def test_signed_requests_are_accepted(cloud: Cloud, gateway: Gateway, signature: Signature) -> None:
    """V3 (default) and V1 signatures both verify; the result comes back whole."""
    diagnose_id = _diagnose(cloud, gateway)
    body = _get(_client(signature=signature), diagnose_id=diagnose_id)
    assert (body["DiagnoseId"], body["TotalCount"]) == (diagnose_id, 7)


@pytest.mark.parametrize("signature", ["v3", "v1"])
def test_sts_token_is_sent_and_checked(
    cloud: Cloud, gateway: Gateway, signature: Signature
) -> None:
    """STS keys carry their token; the emulator accepts the pair only with the right token."""
    cloud.add_access_key("STS.key", "sts-secret", security_token="the-token")
    diagnose_id = _diagnose(cloud, gateway)
    ok = _client(Credentials("STS.key", "sts-secret", "the-token"), signature)
    assert _get(ok, diagnose_id=diagnose_id)["DiagnoseId"] == diagnose_id
    wrong = _client(Credentials("STS.key", "sts-secret", "another-token"), signature)
    with pytest.raises(errors.AuthError):
        _get(wrong, diagnose_id=diagnose_id)


def test_wrong_secret_is_an_auth_error_never_retried(cloud: Cloud, gateway: Gateway) -> None:
    """SignatureDoesNotMatch is final: one request, and the secret is not in the message."""
    cloud.requests.clear()
    client = _client(Credentials(DEFAULT_ACCESS_KEY_ID, "not-the-secret"))
    with pytest.raises(errors.AuthError) as caught:
        _get(client, gateway_id=gateway.id)
    assert caught.value.code == "SignatureDoesNotMatch"
    assert "not-the-secret" not in str(caught.value)
    assert len(cloud.requests) == 1


def test_latest_diagnosis_by_gateway(cloud: Cloud, gateway: Gateway) -> None:
    """With only VpnGatewayId, the gateway's latest diagnosis is returned."""
    _diagnose(cloud, gateway)
    latest = _diagnose(cloud, gateway)
    assert _get(_client(), gateway_id=gateway.id)["DiagnoseId"] == latest


# Each row of the seed's error table: how the emulator is brought to it, and what the client
# must make of it (type and retry decision).
def _param_error(cloud: Cloud, gw: Gateway) -> dict[str, Any]:
    return {"diagnose_id": "not-a-diagnose-id"}


def _missing(cloud: Cloud, gw: Gateway) -> dict[str, Any]:
    return {}


def _configuring(cloud: Cloud, gw: Gateway) -> dict[str, Any]:
    diagnose_id = _diagnose(cloud, gw)
    cloud.vpc(REGION).set_gateway_status(gw.id, "updating")
    return {"diagnose_id": diagnose_id}


def _timeout(cloud: Cloud, gw: Gateway) -> dict[str, Any]:
    cloud.vpc(REGION).fail_next_diagnosis(gw.id, "timeout")
    return {"diagnose_id": _diagnose(cloud, gw)}


def _deleted(cloud: Cloud, gw: Gateway) -> dict[str, Any]:
    cloud.diagnosis_duration = 3600.0
    diagnose_id = _diagnose(cloud, gw)
    cloud.vpc(REGION).delete_connection(cloud.vpc(REGION).connections(gw.id)[0].id)
    return {"diagnose_id": diagnose_id}


def _forbidden(cloud: Cloud, gw: Gateway) -> dict[str, Any]:
    cloud.deny(DEFAULT_ACCESS_KEY_ID, "GetVpnGatewayDiagnoseResult")
    return {"gateway_id": gw.id}


def _no_diagnosis(cloud: Cloud, gw: Gateway) -> dict[str, Any]:
    return {"diagnose_id": "vpndgn-doesnotexist0000"}


def _never_diagnosed(cloud: Cloud, gw: Gateway) -> dict[str, Any]:
    return {"gateway_id": gw.id}


def _no_gateway(cloud: Cloud, gw: Gateway) -> dict[str, Any]:
    return {"gateway_id": "vpn-doesnotexist0000"}


@pytest.mark.parametrize(
    ("arrange", "status", "code", "cls", "retryable"),
    [
        (_param_error, 400, "param_error", errors.InvalidRequestError, False),
        (_missing, 400, "MissingParam.DiagnoseInfo", errors.InvalidRequestError, False),
        (_configuring, 400, "VpnGateway.Configuring", errors.ResourceBusyError, True),
        (_timeout, 400, "IncorrectStatus.DiagnoseTimeout", errors.DiagnosisFailedError, False),
        (_deleted, 400, "IncorrectStatus.VpnConnectionDeleted", errors.DiagnosisFailedError, False),
        (_forbidden, 403, "Forbidden", errors.ForbiddenError, False),
        (_no_diagnosis, 404, "InvalidDiagnoseId.NotFound", errors.NotFoundError, False),
        (_never_diagnosed, 404, "InvalidVpnGatewayId.NotFound", errors.NotFoundError, False),
        (_no_gateway, 404, "InvalidVpnGatewayInstanceId.NotFound", errors.NotFoundError, False),
    ],
)
def test_every_documented_error_code_is_typed_with_its_retry_decision(
    cloud: Cloud,
    gateway: Gateway,
    arrange: Any,
    status: int,
    code: str,
    cls: type[errors.ApiError],
    retryable: bool,
) -> None:
    """The emulator produces the code; the client raises its class, keeping code, status and
    request id, and retries exactly when a retry can help."""
    params = arrange(cloud, gateway)
    cloud.requests.clear()
    with pytest.raises(cls) as caught:
        _get(_client(attempts=3), **params)
    error = caught.value
    assert (error.code, error.status, error.retryable) == (code, status, retryable)
    assert error.request_id
    assert len(cloud.requests) == (3 if retryable else 1)


def test_throttling_is_retried_and_then_succeeds(cloud: Cloud, gateway: Gateway) -> None:
    """Two throttled answers, then success: the caller sees only the result."""
    diagnose_id = _diagnose(cloud, gateway)
    cloud.faults.add(service="vpc", kind="throttle", times=2)
    assert _get(_client(attempts=3), diagnose_id=diagnose_id)["DiagnoseId"] == diagnose_id


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("server_error", errors.ServerError),
        ("malformed", errors.ResponseError),
        ("truncated", errors.ResponseError),
        ("drop", errors.TransportError),
    ],
)
def test_transient_faults_are_typed_and_retryable(
    cloud: Cloud, gateway: Gateway, kind: str, cls: type[errors.VpndiagError]
) -> None:
    """5xx, a non-JSON or cut body and a dropped connection are retryable errors of their type."""
    _diagnose(cloud, gateway)
    cloud.faults.add(service="vpc", kind=kind, times=None)  # type: ignore[arg-type]
    with pytest.raises(cls) as caught:
        _get(_client(attempts=2), gateway_id=gateway.id)
    assert caught.value.retryable
