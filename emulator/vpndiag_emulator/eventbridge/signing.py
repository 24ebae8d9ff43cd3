"""The data plane's string to sign and signature, written from the vendor SDK's util package.

``METHOD\n content-md5\n content-type\n date\n`` + each ``x-acs*`` header sorted, ``name:value\n``
+ the path, then ``?k=v&...`` sorted by key, values decoded (not encoded); the signature is
base64 HMAC-SHA1 keyed by the secret. Verified against the util's published vectors in tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence


def string_to_sign(
    method: str, path: str, headers: Mapping[str, str], query: Sequence[tuple[str, str]]
) -> str:
    """What the client signed, from lower-cased header names and the decoded query."""
    head = "".join(f"{headers.get(n, '')}\n" for n in ("content-md5", "content-type", "date"))
    acs = "".join(f"{n}:{headers[n]}\n" for n in sorted(headers) if n.startswith("x-acs"))
    resource = path
    if query:
        resource += "?" + "&".join(f"{k}={v}" for k, v in sorted(query))
    return f"{method}\n{head}{acs}{resource}"


def signature(secret: str, text: str) -> str:
    """Base64 HMAC-SHA1 of ``text`` keyed by the secret."""
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")
