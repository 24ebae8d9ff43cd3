"""The EventBridge data-plane signature (``acs:<AK>:<signature>``, HMAC-SHA1), as the official SDK signs.

From ``alibabacloud_eventbridge_util.client.Client.get_string_to_sign`` / ``get_signature`` (0.0.3)
and the ``do_request`` of ``alibabacloud_eventbridge`` (1.3.8)::

    StringToSign = METHOD "\\n" content-md5 "\\n" content-type "\\n" date "\\n"
                   + every header whose name starts with "x-acs", sorted, as "name:value\\n"
                   + path [+ "?" + "k=v" pairs sorted by key, joined by "&", NOT encoded]
    Signature    = base64(HMAC-SHA1(key = secret, StringToSign))
    Authorization: acs:<AccessKeyId>:<Signature>

Absent ``content-md5`` / ``content-type`` / ``date`` sign as empty lines. Header names are taken
as sent, so the client sends them lower-case (as the SDK does); values are not trimmed.
``x-eventbridge-*`` headers are not signed. The vendor's API page shows ``acs <AK>:<sig>`` with a
space; the SDK, which is what reaches production, sends a colon.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Final

SIGNATURE_METHOD: Final = "HMAC-SHA1"
SIGNATURE_VERSION: Final = "1.0"


def canonical_headers(headers: Mapping[str, str]) -> str:
    """Every ``x-acs*`` header, sorted by name, as ``name:value\\n``."""
    return "".join(
        f"{name}:{headers[name]}\n" for name in sorted(headers) if name.startswith("x-acs")
    )


def canonical_resource(path: str, query: Mapping[str, str] | None = None) -> str:
    """The path, then ``?k=v&...`` sorted by key, not encoded (``None`` values are left out)."""
    if not query:
        return path
    pairs = [f"{key}={query[key]}" for key in sorted(query) if query[key] is not None]
    return f"{path}?{'&'.join(pairs)}"


def string_to_sign(
    method: str, path: str, headers: Mapping[str, str], query: Mapping[str, str] | None = None
) -> str:
    """The text the signature covers, for headers whose names are already lower-case."""
    lines = [method, headers.get("content-md5", ""), headers.get("content-type", "")]
    lines.append(headers.get("date", ""))
    return "\n".join(lines) + "\n" + canonical_headers(headers) + canonical_resource(path, query)


def signature(text: str, secret: str) -> str:
    """Base64 HMAC-SHA1 keyed by the secret itself (no ``&`` suffix, unlike RPC V1)."""
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def sign(
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    query: Mapping[str, str] | None = None,
    access_key_id: str,
    access_key_secret: str,
) -> str:
    """The ``Authorization`` value for a request whose headers are final."""
    text = string_to_sign(method, path, headers, query)
    return f"acs:{access_key_id}:{signature(text, access_key_secret)}"
