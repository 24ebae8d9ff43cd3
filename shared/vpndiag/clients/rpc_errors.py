"""Alibaba Cloud RPC error bodies -> the typed hierarchy, with the retry decision attached.

Codes are matched exactly first, then by family (prefix or suffix), then by HTTP status, so a code the
table has never seen still lands in a sensible class.
"""

from __future__ import annotations

import json
from typing import Final

from vpndiag import errors

# Sources cited beside each code:
# - [GET]  GetVpnGatewayDiagnoseResult error table,
#          https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-getvpngatewaydiagnoseresult
# - [DIAG] DiagnoseVpnGateway error table,
#          https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-diagnosevpngateway
# - [TF-VPC] aliyun/terraform-provider-alicloud@81c43b67 alicloud/resource_alicloud_vpc.go:531, the
#          retry list of VPC (2016-04-28) calls. ``IsExpectedErrors`` matches by substring
#          (alicloud/errors.go:117-204: the error body or text contains the code), so its "IncorrectStatus" covers every ``IncorrectStatus.*``
#          and "LastTokenProcessing" covers ``OperationFailed.LastTokenProcessing``.
# - [TF-VCO] same commit, alicloud/resource_alicloud_vpn_connection.go:698, the retry list of the
#          VPN connection calls.
# - [TF-RETRY] same commit, alicloud/errors.go:207-240 (``NeedRetry``): ServiceUnavailable,
#          Rejected.Throttling, any code containing "Throttling", any HTTP 5xx.
# - [POP]  the common error codes of Alibaba Cloud's RPC gateway (signature, credentials, RAM).
_EXACT: Final[dict[str, type[errors.ApiError]]] = {
    "Throttling": errors.ThrottledError,  # [TF-RETRY]
    "Throttling.User": errors.ThrottledError,  # [TF-RETRY]
    "Throttling.Api": errors.ThrottledError,  # [TF-RETRY]
    "Rejected.Throttling": errors.ThrottledError,  # [TF-RETRY]
    "ServiceUnavailable": errors.ServerError,  # [TF-RETRY], [TF-VPC]
    "SystemBusy": errors.ServerError,  # [TF-VPC]
    "InternalError": errors.ServerError,  # [POP]
    "UnknownError": errors.ServerError,  # [POP]
    # The last request with this ClientToken is still being processed: DiagnoseVpnGateway re-sent
    # with the same token (the sweep's retried tick does it on purpose) while the first runs.
    "LastTokenProcessing": errors.OperationPendingError,  # [TF-VPC]
    "OperationFailed.LastTokenProcessing": errors.OperationPendingError,  # [TF-VPC]
    "OperationConflict": errors.OperationPendingError,  # [TF-VPC]
    "VpnTask.CONFLICT": errors.OperationPendingError,  # [TF-VCO]
    "VpnGateway.Configuring": errors.ResourceBusyError,  # [DIAG], [GET], [TF-VCO]
    "VpnConnection.Configuring": errors.ResourceBusyError,  # [TF-VCO]
    "Appliance.Configuring": errors.ResourceBusyError,  # [TF-VCO]
    # Final for the diagnosis they name, so not retried although they are IncorrectStatus.*: [GET]
    # documents them as "Diagnose failed because of timeout" / "... the VPN connection has been
    # deleted": the diagnosis has ended without a result, and asking again for the same DiagnoseId
    # gets the same answer (a new diagnosis is the next tick's business).
    "IncorrectStatus.DiagnoseTimeout": errors.DiagnosisFailedError,  # [GET]
    "IncorrectStatus.VpnConnectionDeleted": errors.DiagnosisFailedError,  # [GET]
    "SignatureDoesNotMatch": errors.AuthError,  # [POP]
    "IncompleteSignature": errors.AuthError,  # [POP]
    "InvalidAccessKeyId.NotFound": errors.AuthError,  # [POP]
    "InvalidAccessKeyId.Inactive": errors.AuthError,  # [POP]
    "InvalidTimeStamp.Expired": errors.AuthError,  # [POP]
    "SignatureNonceUsed": errors.AuthError,  # [POP]
    "Forbidden": errors.ForbiddenError,  # [GET]
    "Forbidden.RAM": errors.ForbiddenError,  # [POP]
    "param_error": errors.InvalidRequestError,  # [GET]
    "MissingParam.DiagnoseInfo": errors.InvalidRequestError,  # [GET]
    "InvalidDiagnoseId.NotFound": errors.NotFoundError,  # [GET]
    "InvalidVpnGatewayId.NotFound": errors.NotFoundError,  # [GET]
    "InvalidVpnGatewayInstanceId.NotFound": errors.NotFoundError,  # [GET]
    "IdempotentParameterMismatch": errors.ConflictError,  # [DIAG]
}


def _family(code: str, status: int) -> type[errors.ApiError]:
    if "Throttling" in code:  # [TF-RETRY]: a regexp match anywhere in the code
        return errors.ThrottledError
    if code.startswith("IncorrectStatus"):  # [TF-VPC]: the resource is mid-change; it settles
        return errors.OperationPendingError
    if code.startswith(("InvalidSecurityToken", "InvalidAccessKey", "Signature")):
        return errors.AuthError
    if code.startswith("Forbidden"):
        return errors.ForbiddenError
    if code.endswith(".NotFound"):
        return errors.NotFoundError
    if status >= 500:  # [TF-RETRY]
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
