"""FC 2.0 error answers: ``{"ErrorCode", "ErrorMessage"}`` with the request id in a header.

Codes follow the FC 2.0 API's common errors; where a code or status is inferred rather than
documented, the constructor says so.
"""

from __future__ import annotations


class FcApiError(Exception):
    """An error answer of the FC API."""

    def __init__(self, status: int, code: str, message: str, *, detail: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        """Emulator-only explanation for the request log; never sent."""


def missing_header(name: str) -> FcApiError:
    """A header the signature needs is absent (code inferred)."""
    return FcApiError(
        400, "MissingRequiredHeader", f"required HTTP header {name} was not specified"
    )


def access_denied(detail: str | None = None) -> FcApiError:
    """The key may not invoke this function (a RAM refusal)."""
    return FcApiError(
        403, "AccessDenied", "the caller is not authorized to invoke this function", detail=detail
    )


def invalid_access_key(key_id: str) -> FcApiError:
    """No such access key (code inferred)."""
    return FcApiError(403, "InvalidAccessKeyID", "invalid access key ID", detail=key_id)


def signature_not_match(string_to_sign: str) -> FcApiError:
    """The signature differs; the message quotes the server's string to sign, as the ACS gateways
    do. It holds the x-fc-* headers, the STS token among them: clients must not pass it on."""
    return FcApiError(
        403,
        "SignatureNotMatch",
        "the request signature we calculated does not match the signature you provided. "
        f"Check your access key and signing method. The string to sign is: {string_to_sign!r}",
    )


def time_skewed(detail: str) -> FcApiError:
    """The Date header is too far from the server's clock."""
    return FcApiError(
        403,
        "RequestTimeTooSkewed",
        "the difference between the request time and the server's time is too large",
        detail=detail,
    )


def invalid_security_token(detail: str) -> FcApiError:
    """STS token missing, wrong, or sent with a permanent key (code inferred)."""
    return FcApiError(403, "InvalidSecurityToken", "the security token is invalid", detail=detail)


def function_not_found(service: str, function: str) -> FcApiError:
    return FcApiError(
        404, "FunctionNotFound", f"function '{function}' does not exist in service '{service}'"
    )


def payload_too_large(size: int, limit: int) -> FcApiError:
    """Over the invocation payload limit (code and status inferred)."""
    return FcApiError(
        400, "InvalidArgument", f"payload size {size} exceeds the limit of {limit} bytes"
    )


def unsupported(detail: str) -> FcApiError:
    """Emulator-specific: an FC API the emulator does not implement."""
    return FcApiError(400, "Emulator.UnsupportedOperation", f"not emulated: {detail}")


def ambiguous_region(service: str, function: str, regions: list[str]) -> FcApiError:
    """Emulator-specific: a loopback request names no region, and the function is in several."""
    return FcApiError(
        400,
        "Emulator.AmbiguousRegion",
        f"{service}/{function} is registered in {', '.join(regions)}; address the real host "
        "name ({account}.{region}.fc.aliyuncs.com) through the emulator as proxy",
    )


# -- the control plane (services, functions, triggers). Codes, statuses and messages are the FC
# error-code page's (https://www.alibabacloud.com/help/en/functioncompute/error-codes and
# https://help.aliyun.com/zh/fc/developer-reference/error-codes) where it lists them;
# ServiceAlreadyExists, ServiceNotEmpty, TriggerAlreadyExists and TriggerNotFound follow the same
# naming and are inferred.


def invalid_argument(detail: str) -> FcApiError:
    """A parameter FC refuses (a bad cron, an unknown trigger config key, a bad zip, ...)."""
    return FcApiError(400, "InvalidArgument", detail)


def service_not_found(service: str) -> FcApiError:
    return FcApiError(404, "ServiceNotFound", f"service '{service}' does not exist")


def service_already_exists(service: str) -> FcApiError:
    return FcApiError(409, "ServiceAlreadyExists", f"service '{service}' already exists")


def service_not_empty(service: str) -> FcApiError:
    return FcApiError(409, "ServiceNotEmpty", f"service '{service}' is not empty")


def function_already_exists(service: str, function: str) -> FcApiError:
    return FcApiError(
        409, "FunctionAlreadyExists", f"function '{function}' already exists in service '{service}'"
    )


def function_not_empty(function: str) -> FcApiError:
    return FcApiError(409, "FunctionNotEmpty", f"function '{function}' has active triggers")


def trigger_already_exists(service: str, function: str, trigger: str) -> FcApiError:
    return FcApiError(
        409,
        "TriggerAlreadyExists",
        f"trigger '{trigger}' already exists in service '{service}' and function '{function}'",
    )


def trigger_not_found(service: str, function: str, trigger: str) -> FcApiError:
    return FcApiError(
        404,
        "TriggerNotFound",
        f"trigger '{trigger}' does not exist in service '{service}' and function '{function}'",
    )
