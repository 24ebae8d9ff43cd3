"""FC API answers, as aliyun-fc2 raises them, become the typed error hierarchy."""

from __future__ import annotations

import json

import fc2
import pytest

from vpndiag import errors
from vpndiag.sweep.fc_handoff import _api_error, fc_endpoint


def _fc_error(status: int, code: str, message: str = "m") -> fc2.FcError:
    body = json.dumps({"ErrorCode": code, "ErrorMessage": message, "RequestId": "R-1"})
    return fc2.FcError(body, status, code, "R-1")


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, "ResourceThrottled", errors.ThrottledError),
        (503, "ServiceUnavailable", errors.ServerError),
        (403, "SignatureNotMatch", errors.AuthError),
        (403, "AccessDenied", errors.ForbiddenError),
        (404, "FunctionNotFound", errors.NotFoundError),
        (400, "InvalidArgument", errors.InvalidRequestError),
    ],
)
def test_status_and_code_pick_the_class(
    status: int, code: str, expected: type[errors.ApiError]
) -> None:
    """Throttling and 5xx are retryable; auth, RAM, missing and bad requests are not."""
    error = _api_error(_fc_error(status, code))

    assert type(error) is expected
    assert error.retryable is expected.retryable


def test_message_and_request_id_are_kept() -> None:
    """Support needs the FC message and request id."""
    error = _api_error(_fc_error(404, "FunctionNotFound", "function 'archive' does not exist"))

    assert (error.message, error.request_id, error.service) == (
        "function 'archive' does not exist",
        "R-1",
        "fc",
    )


def test_an_error_body_that_is_not_json_still_classifies() -> None:
    """fc2 may carry an error without a JSON body: the status still decides."""
    error = _api_error(fc2.FcError("<html>", 502, "", "unknown"))

    assert (type(error), error.code, error.request_id) == (errors.ServerError, "HTTP502", None)


@pytest.mark.parametrize(
    ("network", "expected"),
    [
        ("public", "https://1234567890123456.cn-shanghai.fc.aliyuncs.com"),
        ("vpc", "https://1234567890123456.cn-shanghai-internal.fc.aliyuncs.com"),
    ],
)
def test_endpoint_follows_the_network_setting(network: str, expected: str) -> None:
    """Inside a VPC the sweep reaches FC on its internal endpoint."""
    assert fc_endpoint("1234567890123456", "cn-shanghai", network) == expected
