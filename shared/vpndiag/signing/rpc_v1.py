"""HMAC-SHA1 signature of RPC APIs (``SignatureVersion=1.0``; some vendor pages call it V2)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from vpndiag.signing.percent import encode


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """Sorted, encoded ``k=v`` pairs, encoded a second time behind the method and ``/``."""
    query = "&".join(
        f"{encode(k)}={encode(v)}" for k, v in sorted(params.items()) if k != "Signature"
    )
    return f"{method.upper()}&{encode('/')}&{encode(query)}"


def sign(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    """Return the value of the ``Signature`` parameter for ``params``."""
    digest = hmac.new(
        f"{access_key_secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()
