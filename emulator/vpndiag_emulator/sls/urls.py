"""SLS host names: ``{project}.{region}[-intranet].log.aliyuncs.com`` and ``{region}.log...``."""

from __future__ import annotations

import re
from typing import NamedTuple

# No named groups: the in-process transport joins every service's pattern into one regex.
HOST_PATTERN = re.compile(r"(?:[a-z0-9][a-z0-9-]{1,61}[a-z0-9]\.)?[a-z0-9-]+\.log\.aliyuncs\.com")
_PARTS = re.compile(
    r"(?:(?P<project>[a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.)?"
    r"(?P<region>[a-z0-9-]+?)(?:-intranet)?\.log\.aliyuncs\.com"
)


class SlsHost(NamedTuple):
    """What a real SLS host name says: the project (if any) and the region; the ``-intranet``
    (in-VPC) name reaches the same project."""

    project: str | None
    region: str


def parse_host(hostname: str) -> SlsHost | None:
    """Split an SLS host name (lower-case, no port); ``None`` for any other host."""
    match = _PARTS.fullmatch(hostname)
    if match is None:
        return None
    return SlsHost(match["project"], match["region"])
