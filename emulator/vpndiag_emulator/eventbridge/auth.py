"""Authenticating a data-plane request: ``acs:<AK>:<signature>``, Date window, STS, nonce.

Checks run in the order of concern: scheme well-formed, key known, date fresh, signature right,
STS token matching, and only then the nonce is spent, so a rejected request never burns the nonce
of the client's corrected retry. Both ``acs:<AK>:<sig>`` (what the SDK sends) and ``acs <AK>:<sig>``
(what the API page shows) are read.
"""

from __future__ import annotations

import hmac
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from vpndiag_emulator.core.credentials import AccessKey

from . import errors
from .signing import signature, string_to_sign

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud
    from vpndiag_emulator.core.wire import EmulatedRequest

_SCHEME = "acs"


def authenticate(cloud: Cloud, request: EmulatedRequest) -> AccessKey:
    """Return the calling key, or raise ``EventBridgeError`` with the product's code."""
    key_id, sent = _credential(request.header("authorization") or "")
    key = cloud.credentials.get(key_id)
    if key is None:
        raise errors.invalid_access_key(key_id)
    _check_date(cloud, request.header("date"))
    text = string_to_sign(request.method, request.path, request.headers, request.query_params)
    if not hmac.compare_digest(signature(key.secret, text), sent):
        # The string to sign holds the STS token (an x-acs header): the request log must not.
        token = request.header("x-acs-security-token")
        raise errors.signature_mismatch(text.replace(token, "****") if token else text)
    _check_token(key, request)
    nonce = request.header("x-acs-signature-nonce")
    if not nonce:
        raise errors.signature_mismatch("x-acs-signature-nonce is missing")
    if not cloud.nonces.claim(key.key_id, nonce, cloud.clock.now()):
        raise errors.nonce_used()
    return key


def _credential(authorization: str) -> tuple[str, str]:
    scheme, credential = authorization[:3], authorization[3:]
    if scheme.lower() != _SCHEME or credential[:1] not in (":", " "):
        raise errors.signature_mismatch("Authorization is not 'acs:<AccessKeyId>:<Signature>'")
    key_id, _, sent = credential[1:].strip().rpartition(":")
    if not key_id or not sent:
        raise errors.signature_mismatch("Authorization is not 'acs:<AccessKeyId>:<Signature>'")
    return key_id, sent


def _check_date(cloud: Cloud, date: str | None) -> None:
    if not date:
        raise errors.time_expired("Date is missing")
    try:
        sent_at = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        raise errors.time_expired(f"Date {date!r} is not an HTTP date") from None
    if sent_at.tzinfo is None or abs(cloud.clock.now() - sent_at) > cloud.timestamp_tolerance:
        raise errors.time_expired(f"Date {date} against the emulator clock")


def _check_token(key: AccessKey, request: EmulatedRequest) -> None:
    token = request.header("x-acs-security-token")
    if key.security_token is None:
        if token:
            raise errors.security_token_invalid("a security token was sent with a permanent key")
        return
    if not token or not hmac.compare_digest(token, key.security_token):
        raise errors.security_token_invalid("missing" if not token else "differs")
    # The SDK names the key a second time next to the token; it must be the signing key.
    if request.header("x-acs-accesskey-id") != key.key_id:
        raise errors.security_token_invalid("x-acs-accesskey-id is not the signing key")
