"""Authenticating an OSS request signed with V4 (``OSS4-HMAC-SHA256`` in ``Authorization``).

Checks run in the order a client can fix them: scheme well-formed, key known, ``x-oss-date``
present and within the window, signature right, STS token matching, then the key's permission.
The ``Authorization`` fields may be separated by ``,`` or ``, `` and come in any order.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from vpndiag_emulator.core.credentials import AccessKey

from . import errors, ram
from .signing import (
    ALGORITHM,
    TERMINATOR,
    TIMESTAMP_FORMAT,
    UNSIGNED_PAYLOAD,
    canonical_request,
    canonical_uri,
    scope,
    signature,
    signing_key,
    string_to_sign,
)

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud
    from vpndiag_emulator.core.wire import EmulatedRequest

_ANONYMOUS = "You have no right to access this object because of bucket acl."


@dataclass(frozen=True)
class Credential:
    """The parsed ``Authorization`` header of a V4 request."""

    key_id: str
    date: str
    region: str
    additional: tuple[str, ...]
    signature: str


@dataclass(frozen=True)
class Caller:
    """Who signed a request, and for which region."""

    key: AccessKey
    region: str


def parse_authorization(value: str) -> Credential:
    """Read ``OSS4-HMAC-SHA256 Credential=..[,AdditionalHeaders=..],Signature=..``."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme == "OSS":
        raise errors.access_denied(
            "Signature version 1 is not supported for this bucket; sign with V4."
        )
    if scheme != ALGORITHM:
        raise errors.invalid_argument("Authorization header is invalid.", "Authorization", value)
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, _, field_value = part.strip().partition("=")
        fields[name] = field_value.strip()
    parts = fields.get("Credential", "").split("/")
    provided = fields.get("Signature", "")
    if len(parts) != 5 or parts[3] != "oss" or parts[4] != TERMINATOR or not provided:
        raise errors.invalid_argument(
            "Authorization header is invalid: expected Credential=<ak>/<date>/<region>/oss/"
            f"{TERMINATOR}[,AdditionalHeaders=..],Signature=<hex>.",
            "Authorization",
            value,
        )
    additional = tuple(n.strip().lower() for n in fields.get("AdditionalHeaders", "").split(";"))
    return Credential(parts[0], parts[1], parts[2], tuple(n for n in additional if n), provided)


def authenticate(
    cloud: Cloud,
    request: EmulatedRequest,
    *,
    bucket: str,
    key: str,
    region: str | None,
    action: str,
) -> Caller:
    """The calling key and region, or an ``OssError`` as OSS would answer.

    ``region`` is the host's (virtual-hosted style); ``None`` on a loopback address, where the
    signed credential scope is the only place the region is named.
    """
    authorization = request.header("authorization")
    if not authorization:
        raise errors.access_denied(_ANONYMOUS)
    credential = parse_authorization(authorization)
    access_key = cloud.credentials.get(credential.key_id)
    if access_key is None:
        raise errors.invalid_access_key(credential.key_id)

    timestamp = request.header("x-oss-date") or ""
    _check_time(cloud, timestamp)
    declared = request.header("x-oss-content-sha256")
    if not declared:
        raise errors.invalid_argument(
            "x-oss-content-sha256 is required for V4.", "x-oss-content-sha256"
        )
    # A declared hash other than UNSIGNED-PAYLOAD must be the body's: the server signs the hash
    # of what it received, so a wrong one surfaces as a signature mismatch.
    payload = (
        UNSIGNED_PAYLOAD
        if declared == UNSIGNED_PAYLOAD
        else hashlib.sha256(request.body).hexdigest()
    )
    signed_region = region or credential.region
    date = timestamp[:8]
    canonical = canonical_request(
        request.method,
        canonical_uri(bucket, key),
        request.query_params,
        request.headers,
        additional=credential.additional,
        payload_hash=payload,
    )
    text = string_to_sign(ALGORITHM, timestamp, scope(date, signed_region, "oss"), canonical)
    expected = signature(signing_key(access_key.secret, date, signed_region, "oss"), text)
    if not hmac.compare_digest(expected, credential.signature.lower()):
        raise errors.signature_mismatch(credential.key_id, credential.signature, text, canonical)

    _check_token(access_key, request.header("x-oss-security-token"))
    if access_key.is_expired(cloud.clock.now()):
        # OSS help 0002-00000007: 403 SecurityTokenExpired for STS keys past their expiry.
        raise errors.OssError(
            403, "SecurityTokenExpired", "The security token you provided has expired."
        )
    action_name, arn = ram.ram_action(action), ram.resource(access_key.account_id, bucket, key)
    if not cloud.credentials.is_allowed(
        access_key, "oss", action, ram_action=action_name, resource=arn
    ):
        # Inferred wording, naming the RAM action and the resource as the refusal's detail.
        raise errors.access_denied(f"You are forbidden to {action_name} on {arn}.")
    return Caller(access_key, signed_region)


def _check_time(cloud: Cloud, timestamp: str) -> None:
    try:
        sent = datetime.strptime(timestamp, TIMESTAMP_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        raise errors.access_denied(
            "OSS authentication requires a valid x-oss-date header (yyyymmddTHHMMSSZ)."
        ) from None
    now = cloud.clock.now()
    if abs(now - sent) > cloud.timestamp_tolerance:
        raise errors.time_too_skewed(timestamp, now.strftime(TIMESTAMP_FORMAT))


def _check_token(key: AccessKey, token: str | None) -> None:
    if key.security_token is None:
        if token:
            raise errors.invalid_security_token("a security token was sent with a permanent key")
    elif not token or not hmac.compare_digest(token, key.security_token):
        raise errors.invalid_security_token("security token missing or different")
