"""The FC 2.0 request signature, written from the vendor specification (not from ``aliyun-fc2``).

``Authorization: FC <AccessKeyId>:<base64(HMAC-SHA256(secret, S))>`` where S is::

    METHOD \\n Content-MD5 \\n Content-Type \\n Date \\n
    <each x-fc-* header, lower-cased and sorted, as "name:value\\n"><unescaped path>
    [\\n <sorted "key=value" query lines joined by \\n>]
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import unquote

SCHEME = "FC"


def string_to_sign(
    method: str,
    path: str,
    headers: Mapping[str, str],
    query: Sequence[tuple[str, str]] = (),
) -> str:
    """S for a request whose header names are lower-case."""
    fc_headers = sorted((k.lower(), v) for k, v in headers.items() if k.lower().startswith("x-fc-"))
    canonical_headers = "".join(f"{name}:{value}\n" for name, value in fc_headers)
    resource = unquote(path)
    if query:
        resource += "\n" + "\n".join(sorted(f"{k}={v}" for k, v in query))
    return "\n".join(
        [
            method.upper(),
            headers.get("content-md5", ""),
            headers.get("content-type", ""),
            headers.get("date", ""),
            canonical_headers + resource,
        ]
    )


def signature(secret: str, text: str) -> str:
    """base64 of HMAC-SHA256 over the string to sign."""
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")
