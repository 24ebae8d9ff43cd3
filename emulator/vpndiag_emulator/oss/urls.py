"""OSS host names: ``{bucket}.oss-{region}[-internal].aliyuncs.com`` and the bare regional endpoint."""

from __future__ import annotations

import re
from typing import NamedTuple

# No named groups: the in-process transport joins every service's pattern into one regex.
HOST_PATTERN = re.compile(r"(?:[a-z0-9][a-z0-9-]{1,61}[a-z0-9]\.)?oss-[a-z0-9-]+\.aliyuncs\.com")
_PARTS = re.compile(
    r"(?:(?P<bucket>[a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.)?"
    r"oss-(?P<region>[a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com"
)


class OssHost(NamedTuple):
    """What a real OSS host name says: the bucket (virtual-hosted style) and the region; the
    ``-internal`` (in-VPC) name reaches the same bucket."""

    bucket: str | None
    region: str


def parse_host(hostname: str) -> OssHost | None:
    """Split an OSS host name (lower-case, no port); ``None`` for any other host."""
    match = _PARTS.fullmatch(hostname)
    if match is None:
        return None
    return OssHost(match["bucket"], match["region"])
