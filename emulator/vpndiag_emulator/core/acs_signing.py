"""Canonical strings and signatures of the ACS (POP) request signing schemes, V3 and V1.

Pure functions, written from the vendor specification (``shared/reference/signing.md``): the
emulator recomputes what the client should have signed and compares. They reproduce the
published vectors, which the tests check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote

V3_ALGORITHM = "ACS3-HMAC-SHA256"
V1_METHOD = "HMAC-SHA1"
V1_VERSION = "1.0"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


def percent_encode(text: str) -> str:
    """RFC 3986 encoding of UTF-8: only ``A-Z a-z 0-9 - _ . ~`` stay, hex upper-case."""
    # quote() never escapes "-_.~" and the alphanumerics; safe="" makes it escape "/" too.
    return quote(text, safe="")


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """``k=v`` pairs, both encoded, sorted by encoded key (then value), joined by ``&``."""
    encoded = sorted((percent_encode(k), percent_encode(v)) for k, v in params)
    return "&".join(f"{k}={v}" for k, v in encoded)


def hex_sha256(data: bytes) -> str:
    """Lower-case hex SHA-256, the V3 payload hash."""
    return hashlib.sha256(data).hexdigest()


def v3_canonical_request(
    method: str,
    path: str,
    params: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    *,
    signed_headers: Sequence[str],
    payload_hash: str,
) -> str:
    """The V3 CanonicalRequest over the named (lower-case) headers; absent ones sign as empty."""
    names = sorted(name.lower() for name in signed_headers)
    header_block = "".join(f"{n}:{headers.get(n, '').strip()}\n" for n in names)
    signed = ";".join(names)
    query = canonical_query(params)
    return "\n".join((method.upper(), path or "/", query, header_block, signed, payload_hash))


def v3_string_to_sign(canonical_request: str) -> str:
    """``ACS3-HMAC-SHA256`` line plus the hex SHA-256 of the canonical request."""
    return f"{V3_ALGORITHM}\n{hex_sha256(canonical_request.encode('utf-8'))}"


def v3_signature(secret: str, string_to_sign: str) -> str:
    """Hex HMAC-SHA256 keyed by the secret itself."""
    mac = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256)
    return mac.hexdigest()


def v1_string_to_sign(method: str, params: Iterable[tuple[str, str]]) -> str:
    """METHOD ``&%2F&`` plus the canonical query, encoded a second time. Exclude ``Signature``."""
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def v1_signature(secret: str, string_to_sign: str) -> str:
    """Base64 HMAC-SHA1 keyed by the secret plus ``&``."""
    key = (secret + "&").encode("utf-8")
    mac = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")
