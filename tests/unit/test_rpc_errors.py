"""RPC error bodies become typed errors that keep code, message, status and request id."""

from __future__ import annotations

import json

import pytest

from vpndiag import errors
from vpndiag.clients.rpc_errors import from_response


def _body(code: str, message: str = "msg", request_id: str = "RID-1") -> bytes:
    return json.dumps(
        {"RequestId": request_id, "HostId": "h", "Code": code, "Message": message}
    ).encode()


# The seed's table for GetVpnGatewayDiagnoseResult, plus the transport-level codes.
@pytest.mark.parametrize(
    ("status", "code", "cls", "retryable"),
    [
        (400, "param_error", errors.InvalidRequestError, False),
        (400, "MissingParam.DiagnoseInfo", errors.InvalidRequestError, False),
        (400, "VpnGateway.Configuring", errors.ResourceBusyError, True),
        (400, "IncorrectStatus.DiagnoseTimeout", errors.DiagnosisFailedError, False),
        (400, "IncorrectStatus.VpnConnectionDeleted", errors.DiagnosisFailedError, False),
        (403, "Forbidden", errors.ForbiddenError, False),
        (404, "InvalidDiagnoseId.NotFound", errors.NotFoundError, False),
        (404, "InvalidVpnGatewayId.NotFound", errors.NotFoundError, False),
        (404, "InvalidVpnGatewayInstanceId.NotFound", errors.NotFoundError, False),
        (400, "Throttling.User", errors.ThrottledError, True),
        (503, "ServiceUnavailable", errors.ServerError, True),
        (500, "SomethingNew", errors.ServerError, True),
        (400, "SignatureDoesNotMatch", errors.AuthError, False),
        (404, "InvalidAccessKeyId.NotFound", errors.AuthError, False),
        (400, "InvalidSecurityToken.Expired", errors.AuthError, False),
        (404, "InvalidThing.NotFound", errors.NotFoundError, False),
        (400, "BrandNew.Code", errors.InvalidRequestError, False),
        # Retryable per the Terraform provider's VPC retry lists (see rpc_errors.py's citations).
        (403, "LastTokenProcessing", errors.OperationPendingError, True),
        (400, "OperationFailed.LastTokenProcessing", errors.OperationPendingError, True),
        (400, "OperationConflict", errors.OperationPendingError, True),
        (400, "IncorrectStatus.VpnGateway", errors.OperationPendingError, True),
        (503, "SystemBusy", errors.ServerError, True),
        (400, "Rejected.Throttling", errors.ThrottledError, True),
    ],
)
def test_codes_map_to_types_and_retry_decisions(
    status: int, code: str, cls: type[errors.ApiError], retryable: bool
) -> None:
    """Each code lands in its class with the right retry decision and all its facts."""
    error = from_response("vpc", status, _body(code), {})
    assert type(error) is cls
    assert error.retryable is retryable
    assert (error.code, error.status, error.request_id, error.message) == (
        code,
        status,
        "RID-1",
        "msg",
    )


def test_lowercase_keys_are_understood() -> None:
    """Some gateways lowercase the error body's keys."""
    body = json.dumps({"code": "Throttling", "message": "slow down", "requestId": "r"}).encode()
    error = from_response("vpc", 400, body, {})
    assert (type(error), error.request_id) == (errors.ThrottledError, "r")


def test_non_json_error_body_keeps_the_status() -> None:
    """An HTML 502 from a proxy becomes a retryable ServerError named by its status."""
    error = from_response("vpc", 502, b"<html>bad gateway</html>", {})
    assert (type(error), error.code) == (errors.ServerError, "HTTP502")


def test_retry_after_header_is_read_in_milliseconds() -> None:
    """x-acs-retry-after is milliseconds; the error keeps seconds."""
    error = from_response("vpc", 400, _body("Throttling"), {"x-acs-retry-after": "1500"})
    assert error.retry_after == 1.5
