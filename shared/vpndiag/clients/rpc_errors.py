"""Alibaba Cloud RPC error bodies -> the typed hierarchy, with the retry decision attached.

Codes are matched exactly first, then by family (prefix or suffix), then by HTTP status, so a code the
table has never seen still lands in a sensible class.
"""

from __future__ import annotations

import json
from typing import Final

from vpndiag import errors

_EXACT: Final[dict[str, type[errors.ApiError]]] = {
    "Throttling": errors.ThrottledError,
    "Throttling.User": errors.ThrottledError,
    "Throttling.Api": errors.ThrottledError,
    "ServiceUnavailable": errors.ServerError,
    "InternalError": errors.ServerError,
    "UnknownError": errors.ServerError,
    "SignatureDoesNotMatch": errors.AuthError,
    "IncompleteSignature": errors.AuthError,
    "InvalidAccessKeyId.NotFound": errors.AuthError,
    "InvalidAccessKeyId.Inactive": errors.AuthError,
    "InvalidTimeStamp.Expired": errors.AuthError,
    "SignatureNonceUsed": errors.AuthError,
    "Forbidden": errors.ForbiddenError,
    "Forbidden.RAM": errors.ForbiddenError,
    "param_error": errors.InvalidRequestError,
    "MissingParam.DiagnoseInfo": errors.InvalidRequestError,
    "VpnGateway.Configuring": errors.ResourceBusyError,
    "IncorrectStatus.DiagnoseTimeout": errors.DiagnosisFailedError,
    "IncorrectStatus.VpnConnectionDeleted": errors.DiagnosisFailedError,
    "InvalidDiagnoseId.NotFound": errors.NotFoundError,
    "InvalidVpnGatewayId.NotFound": errors.NotFoundError,
    "InvalidVpnGatewayInstanceId.NotFound": errors.NotFoundError,
    "IdempotentParameterMismatch": errors.ConflictError,
}


def _family(code: str, status: int) -> type[errors.ApiError]:
    if code.startswith("Throttling"):
        return errors.ThrottledError
    if code.startswith(("InvalidSecurityToken", "InvalidAccessKey", "Signature")):
        return errors.AuthError
    if code.startswith("Forbidden"):
        return errors.ForbiddenError
    if code.endswith(".NotFound"):
        return errors.NotFoundError
    if status >= 500:
        return errors.ServerError
    if status == 429:
        return errors.ThrottledError
    return errors.InvalidRequestError


def error_class(code: str, status: int) -> type[errors.ApiError]:
    return _EXACT.get(code) or _family(code, status)


def from_response(
    service: str, status: int, body: bytes, headers: dict[str, str] | None = None
) -> errors.ApiError:
    """Build the typed error for a non-2xx RPC answer (some gateways lowercase the body's keys)."""
    headers = headers or {}
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        doc = None
    if not isinstance(doc, dict):
        doc = {}
    lowered = {str(k).lower(): v for k, v in doc.items()}
    code = str(lowered.get("code") or f"HTTP{status}")
    message = str(lowered.get("message") or "no error body")
    request_id = lowered.get("requestid") or headers.get("x-acs-request-id")
    advised = headers.get("x-acs-retry-after")
    retry_after = float(advised) / 1000 if advised and advised.isdigit() else None
    return error_class(code, status)(
        service=service,
        code=code,
        message=message[:500],
        status=status,
        request_id=str(request_id) if request_id else None,
        retry_after=retry_after,
    )
