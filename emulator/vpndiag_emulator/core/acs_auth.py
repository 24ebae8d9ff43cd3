"""Authenticating an ACS RPC request: V3 (``ACS3-HMAC-SHA256`` header) or V1 (``Signature`` param).

Checks run in the gateway's order of concern: scheme well-formed, key known, timestamp fresh,
signature right, STS token matching, and only then the nonce is spent, so that a rejected request
never burns the nonce of the client's corrected retry.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .acs_errors import (
    access_key_not_found,
    incomplete_signature,
    invalid_signature_method,
    missing_parameter,
    nonce_used,
    security_token_mismatch,
    signature_mismatch,
    timestamp_expired,
    timestamp_malformed,
)
from .acs_signing import (
    V1_METHOD,
    V1_VERSION,
    V3_ALGORITHM,
    hex_sha256,
    v1_signature,
    v1_string_to_sign,
    v3_canonical_request,
    v3_signature,
    v3_string_to_sign,
)
from .clock import format_utc, parse_utc
from .credentials import AccessKey

if TYPE_CHECKING:
    from .cloud import Cloud
    from .wire import EmulatedRequest

_V1_REQUIRED = (
    "AccessKeyId",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "Timestamp",
    "Signature",
)


def authenticate(
    cloud: Cloud, request: EmulatedRequest, params: Sequence[tuple[str, str]]
) -> AccessKey:
    """Return the calling key, or raise ``AcsError`` with the code the real gateway uses.

    ``params`` are all RPC parameters (query plus form body); V1 signs them all, V3 signs the
    query and covers the body through ``x-acs-content-sha256``.
    """
    authorization = request.header("authorization")
    if authorization is not None:
        return _verify_v3(cloud, request, authorization)
    return _verify_v1(cloud, request, params)


def _verify_v3(cloud: Cloud, request: EmulatedRequest, authorization: str) -> AccessKey:
    algorithm, _, field_text = authorization.strip().partition(" ")
    fields: dict[str, str] = {}
    for part in field_text.split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    credential = fields.get("Credential", "")
    signature = fields.get("Signature", "")
    signed = [n.strip().lower() for n in fields.get("SignedHeaders", "").split(";") if n.strip()]
    if algorithm != V3_ALGORITHM or not (credential and signature and signed):
        raise incomplete_signature(
            f"expected '{V3_ALGORITHM} Credential=..,SignedHeaders=..,Signature=..'"
        )

    key = _lookup(cloud, credential)
    _check_time(cloud, request.header("x-acs-date"), "x-acs-date")
    nonce = request.header("x-acs-signature-nonce")
    if not nonce:
        raise missing_parameter("SignatureNonce")

    # The spec requires host, every x-acs-* header and content-type (if sent) to be signed;
    # anything else the client chose to sign (the official SDK signs all headers) is fine.
    must_sign = {"host"} | {n for n in request.headers if n.startswith("x-acs-")}
    if "content-type" in request.headers:
        must_sign.add("content-type")
    unsigned = sorted(must_sign - set(signed))
    if unsigned:
        raise incomplete_signature(f"SignedHeaders lacks {', '.join(unsigned)}")

    declared_hash = request.header("x-acs-content-sha256")
    if declared_hash is None:
        raise incomplete_signature("x-acs-content-sha256 header is missing")
    # The server hashes the body it received: a client that declared another hash signed a
    # different canonical request, so this surfaces as a signature mismatch, as in the cloud.
    body_hash = hex_sha256(request.body)
    canonical = v3_canonical_request(
        request.method,
        request.path,
        request.query_params,
        request.headers,
        signed_headers=signed,
        payload_hash=body_hash,
    )
    string_to_sign = v3_string_to_sign(canonical)
    expected = v3_signature(key.secret, string_to_sign)
    if declared_hash.lower() != body_hash:
        raise signature_mismatch(
            string_to_sign, f"x-acs-content-sha256 {declared_hash} is not the body's {body_hash}"
        )
    if not hmac.compare_digest(expected, signature.lower()):
        raise signature_mismatch(string_to_sign, f"server canonical request:\n{canonical}")

    _check_token(key, request.header("x-acs-security-token"))
    _claim_nonce(cloud, key, nonce)
    return key


def _verify_v1(
    cloud: Cloud, request: EmulatedRequest, params: Sequence[tuple[str, str]]
) -> AccessKey:
    values = dict(params)
    for name in _V1_REQUIRED:
        if not values.get(name):
            raise missing_parameter(name)
    if values["SignatureMethod"] != V1_METHOD or values["SignatureVersion"] != V1_VERSION:
        raise invalid_signature_method(
            f"SignatureMethod={values['SignatureMethod']} SignatureVersion="
            f"{values['SignatureVersion']}; only {V1_METHOD} {V1_VERSION} is accepted"
        )

    key = _lookup(cloud, values["AccessKeyId"])
    _check_time(cloud, values["Timestamp"], "Timestamp")
    string_to_sign = v1_string_to_sign(request.method, [p for p in params if p[0] != "Signature"])
    expected = v1_signature(key.secret, string_to_sign)
    if not hmac.compare_digest(expected, values["Signature"]):
        raise signature_mismatch(string_to_sign)

    _check_token(key, values.get("SecurityToken"))
    _claim_nonce(cloud, key, values["SignatureNonce"])
    return key


def _lookup(cloud: Cloud, key_id: str) -> AccessKey:
    key = cloud.credentials.get(key_id)
    if key is None:
        raise access_key_not_found(key_id)
    return key


def _check_time(cloud: Cloud, text: str | None, source: str) -> None:
    if not text:
        raise timestamp_malformed(f"{source} is missing")
    sent = parse_utc(text)
    if sent is None:
        raise timestamp_malformed(f"{source}={text!r} is not yyyy-MM-ddTHH:mm:ssZ")
    now = cloud.clock.now()
    if abs(now - sent) > cloud.timestamp_tolerance:
        raise timestamp_expired(f"{source}={text} but the emulator clock reads {format_utc(now)}")


def _check_token(key: AccessKey, token: str | None) -> None:
    if key.security_token is None:
        if token:
            raise security_token_mismatch("a security token was sent with a permanent key")
    elif not token or not hmac.compare_digest(token, key.security_token):
        raise security_token_mismatch(
            "security token missing" if not token else "security token differs"
        )


def _claim_nonce(cloud: Cloud, key: AccessKey, nonce: str) -> None:
    if not cloud.nonces.claim(key.key_id, nonce, cloud.clock.now()):
        raise nonce_used()
