"""Errors of the ACS (POP) gateway that fronts every RPC product, with the real codes and texts.

Codes and messages are the ones the public gateway returns; where a code is inferred rather than
documented, the constructor says so.
"""

from __future__ import annotations

from collections.abc import Mapping


class AcsError(Exception):
    """An error answer: HTTP status, error code and message, rendered by the service."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.detail = detail
        """Emulator-only explanation for the request log; never sent to the client."""


def missing_parameter(name: str) -> AcsError:
    """The gateway's wording for an absent mandatory parameter: ``Missing<Name>``."""
    return AcsError(400, f"Missing{name}", f"{name} is mandatory for this action.")


def invalid_parameter(name: str, value: str) -> AcsError:
    """A value outside its documented range (code inferred: the generic ``InvalidParameter``)."""
    return AcsError(
        400, "InvalidParameter", f"The specified parameter {name} is not valid.", detail=value
    )


def invalid_version() -> AcsError:
    """``x-acs-version`` / ``Version`` names no version of this product."""
    return AcsError(400, "InvalidVersion", "Specified parameter Version is not valid.")


def action_not_found() -> AcsError:
    """The product has no such action (the gateway answers 404)."""
    return AcsError(
        404,
        "InvalidAction.NotFound",
        "Specified api is not found, please check your url and method.",
    )


def access_key_not_found(key_id: str) -> AcsError:
    """No such access key."""
    return AcsError(
        404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.", detail=key_id
    )


def incomplete_signature(detail: str) -> AcsError:
    """The Authorization header or SignedHeaders does not follow the scheme."""
    return AcsError(
        400,
        "IncompleteSignature",
        "The request signature does not conform to Aliyun standards.",
        detail=detail,
    )


def signature_mismatch(string_to_sign: str, detail: str | None = None) -> AcsError:
    """The signature differs; like the real gateway, the message shows its string to sign."""
    return AcsError(
        400,
        "SignatureDoesNotMatch",
        "Specified signature is not matched with our calculation. "
        f"server string to sign is:{string_to_sign}",
        detail=detail,
    )


def invalid_signature_method(detail: str) -> AcsError:
    """V1 ``SignatureMethod`` / ``SignatureVersion`` other than ``HMAC-SHA1`` / ``1.0``."""
    return AcsError(
        400, "InvalidSignatureMethod", "Specified signature method is not supported.", detail=detail
    )


def timestamp_malformed(detail: str) -> AcsError:
    """``x-acs-date`` / ``Timestamp`` missing or not ``yyyy-MM-ddTHH:mm:ssZ``."""
    return AcsError(
        400,
        "InvalidTimeStamp.Format",
        "Specified time stamp or date value is not well formatted.",
        detail=detail,
    )


def timestamp_expired(detail: str) -> AcsError:
    """The request time is more than the tolerance away from the server clock."""
    return AcsError(
        400,
        "InvalidTimeStamp.Expired",
        "Specified time stamp or date value is expired.",
        detail=detail,
    )


def nonce_used() -> AcsError:
    """A replayed signature nonce."""
    return AcsError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")


def security_token_mismatch(detail: str) -> AcsError:
    """STS token missing, wrong, or sent with a permanent key: ``InvalidSecurityToken.Mismatch``.

    The real gateway also has ``InvalidSecurityToken.Expired`` / ``.Malformed``; one code is
    enough for the emulator's purpose, which is that the caller sends the token it was issued.
    """
    return AcsError(
        400,
        "InvalidSecurityToken.Mismatch",
        "Specified SecurityToken mismatch with the AccessKey.",
        detail=detail,
    )


def forbidden() -> AcsError:
    """The key may not call this action (403, the wording GetVpnGatewayDiagnoseResult documents)."""
    return AcsError(403, "Forbidden", "User not authorized to operate on the specified resource.")
