"""The percent-encoding every Alibaba Cloud signature scheme shares (RFC 3986 unreserved kept)."""

from __future__ import annotations

from urllib.parse import quote


def encode(value: str) -> str:
    """Encode ``value`` as UTF-8 with only ``A-Za-z0-9-_.~`` left bare (space is ``%20``)."""
    return quote(value, safe="-_.~")
