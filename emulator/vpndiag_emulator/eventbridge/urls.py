"""The data plane's host names: ``{accountId}.eventbridge.{region}[-vpc].aliyuncs.com``."""

from __future__ import annotations

import re
from typing import Final

# No named groups: the in-process transport joins every service's pattern into one regex.
HOST_PATTERN: Final = re.compile(
    r"[0-9]{4,32}\.eventbridge\.[a-z]{2,4}(?:-[a-z0-9]+){1,5}\.aliyuncs\.com"
)
_PARTS: Final = re.compile(
    r"([0-9]{4,32})\.eventbridge\.([a-z]{2,4}(?:-[a-z0-9]+){1,4}?)(?:-vpc)?\.aliyuncs\.com"
)
API_PREFIX: Final = "/openapi/"
PUT_EVENTS_PATH: Final = "/openapi/putEvents"


def account_and_region(hostname: str) -> tuple[str, str] | None:
    """(account id, region) named by a data-plane host, or ``None`` for any other host."""
    match = _PARTS.fullmatch(hostname)
    return (match.group(1), match.group(2)) if match else None
