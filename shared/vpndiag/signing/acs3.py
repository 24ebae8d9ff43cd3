"""ACS3-HMAC-SHA256, the V3 signature of Alibaba Cloud RPC APIs (the VPC API's default)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from vpndiag.signing.percent import encode

ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def canonical_query(query: Mapping[str, str]) -> str:
    """Sort by encoded key and join ``k=v`` pairs, both halves encoded."""
    pairs = sorted((encode(k), encode(v)) for k, v in query.items())
    return "&".join(f"{k}={v}" for k, v in pairs)


def signed_header_names(headers: Mapping[str, str]) -> list[str]:
    """The headers V3 must sign: host, content-type and every ``x-acs-*`` header."""
    names = {k.lower() for k in headers}
    return sorted(n for n in names if n in {"host", "content-type"} or n.startswith("x-acs-"))


def canonical_request(
    method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], payload_hash: str
) -> tuple[str, str]:
    """Return (canonical request, signed header list) for the given request parts."""
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    names = signed_header_names(lowered)
    header_block = "".join(f"{n}:{lowered[n]}\n" for n in names)
    signed = ";".join(names)
    text = "\n".join(
        [method.upper(), path, canonical_query(query), header_block, signed, payload_hash]
    )
    return text, signed


def sign(
    *,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    payload_hash: str,
    access_key_id: str,
    access_key_secret: str,
) -> str:
    """Return the ``Authorization`` header value for a request whose headers are final."""
    request, signed = canonical_request(method, path, query, headers, payload_hash)
    string_to_sign = f"{ALGORITHM}\n{hashlib.sha256(request.encode()).hexdigest()}"
    signature = hmac.new(
        access_key_secret.encode(), string_to_sign.encode(), hashlib.sha256
    ).hexdigest()
    return f"{ALGORITHM} Credential={access_key_id},SignedHeaders={signed},Signature={signature}"
