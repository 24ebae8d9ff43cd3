"""OSS4-HMAC-SHA256, the V4 signature of OSS (V1 is closed to new accounts and buckets).

The canonical URI is always ``/bucket/key``, whichever addressing style the request uses, so a
virtual-hosted and a path-style request for one object sign the same string. SLS V4 reuses the key
chain and the string-to-sign shape with its own product name (``signing_key``, ``string_to_sign``).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Collection, Mapping

from vpndiag.signing.percent import encode

ALGORITHM = "OSS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_TERMINATOR = "aliyun_v4_request"


# The key depends only on the secret, the day and the region: every request of a day shares it, so
# four HMACs per request become one. A few entries cover key rotation and a second region.
@functools.lru_cache(maxsize=8)
def signing_key(secret: str, date: str, region: str, product: str) -> bytes:
    """The HMAC-SHA256 chain ``aliyun_v4`` + secret -> date -> region -> product -> terminator."""
    key = ("aliyun_v4" + secret).encode()
    for part in (date, region, product, _TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def scope(date: str, region: str, product: str) -> str:
    return f"{date}/{region}/{product}/{_TERMINATOR}"


def string_to_sign(algorithm: str, timestamp: str, scope: str, canonical_request: str) -> str:
    digest = hashlib.sha256(canonical_request.encode()).hexdigest()
    return f"{algorithm}\n{timestamp}\n{scope}\n{digest}"


def canonical_uri(bucket: str, key: str = "") -> str:
    """``/bucket/key`` percent-encoded with ``/`` kept; ``/bucket/`` for a bucket operation."""
    return encode(f"/{bucket}/{key}", "/")


def canonical_query(query: Mapping[str, str]) -> str:
    """Keys and values encoded, sorted by encoded key; a parameter without a value is a bare key."""
    pairs = sorted((encode(k), encode(v)) for k, v in query.items())
    return "&".join(f"{k}={v}" if v else k for k, v in pairs)


def canonical_request(
    method: str,
    uri: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    additional: Collection[str] = (),
) -> tuple[str, str]:
    """Return (canonical request, the AdditionalHeaders list as signed).

    Signed headers: every ``x-oss-*``, ``content-type``, ``content-md5`` and the additional ones.
    ``headers`` must hold ``x-oss-content-sha256`` (its value closes the canonical request).
    """
    extra = {name.lower() for name in additional}
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    names = sorted(
        n
        for n in lowered
        if n.startswith("x-oss-") or n in {"content-type", "content-md5"} or n in extra
    )
    block = "".join(f"{n}:{lowered[n]}\n" for n in names)
    signed_extra = ";".join(sorted(extra & lowered.keys()))
    text = "\n".join(
        (
            method.upper(),
            uri,
            canonical_query(query),
            block,
            signed_extra,
            lowered["x-oss-content-sha256"],
        )
    )
    return text, signed_extra


def sign(
    *,
    method: str,
    bucket: str,
    key: str = "",
    query: Mapping[str, str],
    headers: Mapping[str, str],
    region: str,
    access_key_id: str,
    access_key_secret: str,
    additional_headers: Collection[str] = (),
) -> str:
    """Return the ``Authorization`` value for a request whose headers (with ``x-oss-date``) are final."""
    request, signed_extra = canonical_request(
        method, canonical_uri(bucket, key), query, headers, additional_headers
    )
    timestamp = headers["x-oss-date"]
    date = timestamp[:8]
    credential_scope = scope(date, region, "oss")
    signature = hmac.new(
        signing_key(access_key_secret, date, region, "oss"),
        string_to_sign(ALGORITHM, timestamp, credential_scope, request).encode(),
        hashlib.sha256,
    ).hexdigest()
    extra = f",AdditionalHeaders={signed_extra}" if signed_extra else ""
    return f"{ALGORITHM} Credential={access_key_id}/{credential_scope}{extra},Signature={signature}"
