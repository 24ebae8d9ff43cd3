"""OSS V4 (``OSS4-HMAC-SHA256``) canonical strings and signatures, from the vendor specification.

Pure functions: the verifier recomputes what the client should have signed. The key chain and the
string-to-sign shape are shared with SLS V4 (product ``sls``), which imports them from here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Iterable, Mapping
from urllib.parse import quote

ALGORITHM = "OSS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
TERMINATOR = "aliyun_v4_request"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_DEFAULT_SIGNED = frozenset({"content-type", "content-md5"})


def encode(text: str) -> str:
    """RFC 3986: only ``A-Z a-z 0-9 - _ . ~`` stay, everything else ``%XX`` (upper-case hex)."""
    return quote(text, safe="")


def canonical_uri(bucket: str, key: str) -> str:
    """``/bucket/key`` encoded with ``/`` kept; ``/bucket/`` for a bucket operation."""
    return quote(f"/{bucket}/{key}", safe="/")


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """Every parameter encoded and sorted; ``k=v``, or a bare ``k`` when the value is empty."""
    pairs = sorted((encode(k), encode(v)) for k, v in params)
    return "&".join(f"{k}={v}" if v else k for k, v in pairs)


def canonical_request(
    method: str,
    uri: str,
    params: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    *,
    additional: Collection[str],
    payload_hash: str,
) -> str:
    """The six-part canonical request; ``headers`` have lower-case names.

    Signed: every ``x-oss-*`` header, ``content-type``, ``content-md5`` and the additional headers
    that are present; the additional list itself is signed as named (sorted, lower-case).
    """
    extra = {name.lower() for name in additional}
    names = sorted(
        n for n in headers if n.startswith("x-oss-") or n in _DEFAULT_SIGNED or n in extra
    )
    block = "".join(f"{n}:{headers[n].strip()}\n" for n in names)
    return "\n".join(
        (method.upper(), uri, canonical_query(params), block, ";".join(sorted(extra)), payload_hash)
    )


def scope(date: str, region: str, product: str) -> str:
    """``yyyymmdd/region/product/aliyun_v4_request``."""
    return f"{date}/{region}/{product}/{TERMINATOR}"


def string_to_sign(algorithm: str, timestamp: str, credential_scope: str, canonical: str) -> str:
    """Algorithm, timestamp, scope and the hex SHA-256 of the canonical request, one per line."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{algorithm}\n{timestamp}\n{credential_scope}\n{digest}"


def signing_key(secret: str, date: str, region: str, product: str) -> bytes:
    """HMAC-SHA256 chain from ``aliyun_v4`` + secret over date, region, product, terminator."""
    key = ("aliyun_v4" + secret).encode("utf-8")
    for part in (date, region, product, TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def signature(key: bytes, text: str) -> str:
    """Hex HMAC-SHA256 of the string to sign."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
