"""One pooled ``requests`` session per instance, and the mapping of network failures to errors."""

from __future__ import annotations

from collections.abc import Mapping

import requests
from requests.adapters import HTTPAdapter

from vpndiag.errors import TransportError


def new_session(pool_size: int = 16, proxy: str | None = None) -> requests.Session:
    """A session that does not re-read proxy and netrc settings from the environment per request.

    ``trust_env`` costs a measurable amount on every call; an explicit ``proxy`` (configuration
    only, never an event) is how local runs reach the emulator under the real host names.
    """
    session = requests.Session()
    session.trust_env = False
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if proxy:
        session.proxies = {"http": proxy, "https": proxy}
    return session


def send(
    session: requests.Session,
    service: str,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    body: bytes = b"",
    timeout: float,
) -> requests.Response:
    """Send once; network failures become ``TransportError`` without the URL.

    The URL can hold a V1 signature, an access key id or an STS token in its query, so neither it nor
    the library's exception (which quotes it) is kept: ``from None`` drops the chained traceback.
    """
    try:
        return session.request(
            method,
            url,
            headers=dict(headers),
            data=body or None,
            timeout=(min(timeout, 5.0), timeout),
        )
    except requests.Timeout:
        raise TransportError(service, f"no answer within {timeout:.1f}s") from None
    except requests.RequestException as exc:
        raise TransportError(service, type(exc).__name__) from None
