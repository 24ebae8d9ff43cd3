"""Strict patterns for every identifier that reaches a URL, a header or an object key.

Checking here, once, is what keeps hostile input from steering a request or escaping the archive prefix:
path traversal, header injection, control characters and oversized values all fail these patterns.
Vendor documentation masks real ids with ``*`` (``vpn-uf6fzwp0ck3frwtbk****``); ``*`` is harmless in
a query string and an object key, so it is accepted to keep documented examples usable.
"""

from __future__ import annotations

import re
from typing import Final

from vpndiag.errors import InvalidIdentifier

_PATTERNS: Final[dict[str, re.Pattern[str]]] = {
    "region": re.compile(r"[a-z]{2,4}(?:-[a-z0-9]{1,20}){1,4}"),
    "gateway id": re.compile(r"vpn-[a-z0-9*]{4,48}"),
    "connection id": re.compile(r"vco-[a-z0-9*]{4,48}"),
    "diagnose id": re.compile(r"vpndgn-[a-z0-9*]{4,48}"),
    "account id": re.compile(r"[0-9]{4,32}"),
    "tunnel id": re.compile(r"tun-[a-z0-9*]{4,48}"),
}


def _check(kind: str, value: object) -> str:
    if not isinstance(value, str) or not _PATTERNS[kind].fullmatch(value):
        raise InvalidIdentifier(kind, str(value))
    return value


def region(value: object) -> str:
    """Return ``value`` if it is a region id such as ``cn-hangzhou``."""
    return _check("region", value)


def gateway_id(value: object) -> str:
    """Return ``value`` if it is a VPN gateway id (``vpn-...``)."""
    return _check("gateway id", value)


def connection_id(value: object) -> str:
    """Return ``value`` if it is an IPsec connection id (``vco-...``)."""
    return _check("connection id", value)


def diagnose_id(value: object) -> str:
    """Return ``value`` if it is a diagnosis id (``vpndgn-...``)."""
    return _check("diagnose id", value)


def account_id(value: object) -> str:
    """Return ``value`` if it is a numeric Alibaba Cloud account id."""
    return _check("account id", value)


def tunnel_id(value: object) -> str:
    """Return ``value`` if it is an IPsec tunnel id (``tun-...``)."""
    return _check("tunnel id", value)
