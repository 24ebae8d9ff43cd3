"""FC 2.0 host names: ``{accountId}.{region}.fc.aliyuncs.com`` and the ``-internal`` variant."""

from __future__ import annotations

import re
from typing import Final

_HOST = r"([0-9]{4,32})\.([a-z]{2,4}(?:-[a-z0-9]+)+?)(-internal)?\.fc\.aliyuncs\.com"
# Routing combines every service's host pattern into one expression: no named groups here.
HOST_PATTERN: Final = re.compile(_HOST)


def account_and_region(hostname: str) -> tuple[str, str] | None:
    """The account id and region an FC host name addresses, if it is one."""
    match = HOST_PATTERN.fullmatch(hostname)
    return (match[1], match[2]) if match else None


API_VERSION: Final = "2016-08-15"
API_PREFIX: Final = f"/{API_VERSION}/"
# Service names may carry a qualifier after a dot: "vpndiag.LATEST".
INVOCATION_PATH: Final = re.compile(
    rf"/{API_VERSION}/services/(?P<service>[A-Za-z_][A-Za-z0-9_-]*)(?:\.(?P<qualifier>[A-Za-z0-9_-]+))?"
    r"/functions/(?P<function>[A-Za-z_][A-Za-z0-9_-]*)/invocations"
)
