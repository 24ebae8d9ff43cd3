"""SLS request signatures, V1 (``LOG ak:sig``) and V4 (``SLS4-HMAC-SHA256``), from the specification.

V1 signs VERB, Content-MD5, Content-Type, Date, the ``x-log-*`` (not ``x-log-meta-*``, not
``x-log-date``) and ``x-acs-*`` headers, then the path with its sorted, unencoded query. V4 signs
``content-type``, ``host`` and the same header families (``x-log-date`` included); its query keys
stay unencoded, values are encoded; key chain and string-to-sign are OSS V4's with product ``sls``.
Neither names its signed headers: the verifier derives them from what it received.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping

from vpndiag_emulator.oss.signing import encode, scope, signature, signing_key, string_to_sign

V1_PREFIX = "LOG"
V4_ALGORITHM = "SLS4-HMAC-SHA256"


def _is_log_header(name: str) -> bool:
    return (name.startswith("x-log-") and not name.startswith("x-log-meta-")) or name.startswith(
        "x-acs-"
    )


def v1_string_to_sign(
    method: str, path: str, params: Iterable[tuple[str, str]], headers: Mapping[str, str]
) -> str:
    """The V1 string to sign; ``headers`` have lower-case names."""
    log_headers = "".join(
        f"{n}:{headers[n]}\n" for n in sorted(headers) if _is_log_header(n) and n != "x-log-date"
    )
    query = "&".join(f"{k}={v}" for k, v in sorted(params))
    resource = f"{path}?{query}" if query else path
    return (
        f"{method.upper()}\n{headers.get('content-md5', '')}\n{headers.get('content-type', '')}\n"
        f"{headers.get('date', '')}\n{log_headers}{resource}"
    )


def v1_signature(secret: str, text: str) -> str:
    """Base64 HMAC-SHA1 keyed by the secret."""
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def v4_canonical_request(
    method: str,
    path: str,
    params: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    payload_hash: str,
) -> str:
    """The V4 canonical request; ``headers`` have lower-case names."""
    names = sorted(n for n in headers if n in ("content-type", "host") or _is_log_header(n))
    query = "&".join(f"{k}={encode(v)}" if v else k for k, v in sorted(params))
    return "\n".join(
        (
            method.upper(),
            path,
            query,
            "".join(f"{n}:{headers[n].strip()}\n" for n in names),
            ";".join(names),
            payload_hash,
        )
    )


def v4_signature(secret: str, timestamp: str, region: str, canonical: str) -> tuple[str, str]:
    """Return (string to sign, hex signature) for a canonical request signed at ``timestamp``."""
    date = timestamp[:8]
    text = string_to_sign(V4_ALGORITHM, timestamp, scope(date, region, "sls"), canonical)
    return text, signature(signing_key(secret, date, region, "sls"), text)
