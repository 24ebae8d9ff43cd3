"""One session per instance, its keep-alive connections, and the mapping of network failures to errors.

``new_session`` gives the instance's ``requests.Session``; ``send`` sends one final request through
the session's adapter (the clients build final URLs, every part percent-encoded, and final, signed
headers) and reads the whole answer. It skips ``Session.request``'s per-request work (merging
settings, environment and cookies, re-quoting the URL, hooks): on loopback that was a third of the
client's CPU per request, and none of it applies to a signed request.

Redirects are not followed (a 3xx is an answer like any other, so a signed request never goes
anywhere its client did not send it). urllib3 leaves Nagle's algorithm on for proxy connections,
which stalls a kept-alive request whose body follows its headers by ~40 ms (the proxy's delayed
ACK): the adapter turns it off there too, as urllib3 does for direct connections.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection
from urllib3.poolmanager import ProxyManager

from vpndiag.errors import TransportError

_CONNECT_TIMEOUT = 5.0


class _Adapter(HTTPAdapter):
    """requests' adapter, with ``TCP_NODELAY`` on proxy connections as on direct ones."""

    def __init__(self, pool_size: int) -> None:
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> ProxyManager:
        proxy_kwargs.setdefault("socket_options", HTTPConnection.default_socket_options)
        manager: ProxyManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        return manager


def new_session(pool_size: int = 16, proxy: str | None = None) -> requests.Session:
    """A session that does not re-read proxy and netrc settings from the environment per request.

    ``trust_env`` costs a measurable amount on every call; an explicit ``proxy`` (configuration
    only, never an event) is how local runs reach the emulator under the real host names.
    """
    session = requests.Session()
    session.trust_env = False
    adapter = _Adapter(pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if proxy:
        session.proxies = {"http": proxy, "https": proxy}
    return session


def _merged(
    session: requests.Session, method: str, headers: Mapping[str, str], body: bytes
) -> CaseInsensitiveDict[str]:
    """The session's default headers, then the request's, and the body's length."""
    merged: CaseInsensitiveDict[str] = CaseInsensitiveDict(session.headers)  # type: ignore[arg-type]
    merged.update(headers)
    if body:
        merged["Content-Length"] = str(len(body))
    elif method not in ("GET", "HEAD"):
        merged["Content-Length"] = "0"
    return merged


def _prepared(
    method: str, url: str, headers: CaseInsensitiveDict[str], body: bytes
) -> requests.PreparedRequest:
    prepared = requests.PreparedRequest()
    prepared.method = method
    prepared.url = url
    prepared.headers = headers
    if body:
        prepared.body = body
    return prepared


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
    """Send once and read the whole answer; network failures become ``TransportError`` without
    the URL.

    The URL can hold a V1 signature, an access key id or an STS token in its query, so neither it nor
    the library's exception (which quotes it) is kept: ``from None`` drops the chained traceback.
    """
    try:
        merged = _merged(session, method, headers, body)
        adapter = session.get_adapter(url)
        response = adapter.send(
            _prepared(method, url, merged, body),
            stream=False,
            timeout=(min(timeout, _CONNECT_TIMEOUT), timeout),
            verify=True if session.verify is None else session.verify,
            cert=session.cert,
            proxies=session.proxies,
        )
        # Read now: the connection goes back to the pool before the caller looks at the answer.
        response.content  # noqa: B018
    except requests.Timeout:
        raise TransportError(service, f"no answer within {timeout:.1f}s") from None
    except (requests.RequestException, OSError) as exc:
        raise TransportError(service, type(exc).__name__) from None
    except ValueError:
        # http.client refuses a header value with a line break (requests' InvalidHeader).
        raise TransportError(service, "InvalidHeader") from None
    return response
