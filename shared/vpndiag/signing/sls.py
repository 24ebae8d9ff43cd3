"""The two SLS signatures: V1 (``LOG ak:sig``, HMAC-SHA1) and V4 (``SLS4-HMAC-SHA256``).

V1 signs the body through ``Content-MD5`` (upper-case hex of the body as sent) and every ``x-log-*`` /
``x-acs-*`` header except ``x-log-meta-*`` and ``x-log-date``; the resource and query go in unencoded.
V4 signs ``content-type``, ``host`` and the same header families, with keys derived as for OSS V4.
Neither scheme names its signed headers in the request: a verifier derives them from what it receives,
so the client must send exactly the headers it signed (``host`` included, for V4).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from vpndiag.signing import oss_v4
from vpndiag.signing.percent import encode

V1_PREFIX = "LOG"
V4_ALGORITHM = "SLS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _is_log_header(name: str) -> bool:
    return (name.startswith("x-log-") and not name.startswith("x-log-meta-")) or name.startswith(
        "x-acs-"
    )


def v1_string_to_sign(
    method: str, resource: str, query: Mapping[str, str], headers: Mapping[str, str]
) -> str:
    """VERB, Content-MD5, Content-Type, Date, canonical log headers, then the resource and query."""
    lowered = {k.lower(): v for k, v in headers.items()}
    log_headers = "".join(
        f"{n}:{lowered[n]}\n" for n in sorted(lowered) if _is_log_header(n) and n != "x-log-date"
    )
    if query:
        resource += "?" + "&".join(f"{k}={v}" for k, v in sorted(query.items()))
    return (
        f"{method.upper()}\n{lowered.get('content-md5', '')}\n{lowered.get('content-type', '')}\n"
        f"{lowered.get('date', '')}\n{log_headers}{resource}"
    )


def sign_v1(
    *,
    method: str,
    resource: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    access_key_id: str,
    access_key_secret: str,
) -> str:
    """Return the ``Authorization`` value; ``headers`` must be final (Date, Content-MD5 included)."""
    digest = hmac.new(
        access_key_secret.encode(),
        v1_string_to_sign(method, resource, query, headers).encode(),
        hashlib.sha1,
    ).digest()
    return f"{V1_PREFIX} {access_key_id}:{base64.b64encode(digest).decode()}"


def v4_canonical_request(
    method: str, resource: str, query: Mapping[str, str], headers: Mapping[str, str]
) -> str:
    """Keys of the query stay as they are (values encoded); ``x-log-content-sha256`` closes it."""
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    names = sorted(n for n in lowered if n in {"content-type", "host"} or _is_log_header(n))
    query_part = "&".join(f"{k}={encode(v)}" if v else k for k, v in sorted(query.items()))
    return "\n".join(
        (
            method.upper(),
            resource,
            query_part,
            "".join(f"{n}:{lowered[n]}\n" for n in names),
            ";".join(names),
            lowered["x-log-content-sha256"],
        )
    )


def sign_v4(
    *,
    method: str,
    resource: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    region: str,
    access_key_id: str,
    access_key_secret: str,
) -> str:
    """Return the ``Authorization`` value; ``headers`` must hold ``x-log-date`` and the body hash."""
    timestamp = next(v for k, v in headers.items() if k.lower() == "x-log-date")
    date = timestamp[:8]
    credential_scope = oss_v4.scope(date, region, "sls")
    text = oss_v4.string_to_sign(
        V4_ALGORITHM,
        timestamp,
        credential_scope,
        v4_canonical_request(method, resource, query, headers),
    )
    signature = hmac.new(
        oss_v4.signing_key(access_key_secret, date, region, "sls"), text.encode(), hashlib.sha256
    ).hexdigest()
    return f"{V4_ALGORITHM} Credential={access_key_id}/{credential_scope},Signature={signature}"
