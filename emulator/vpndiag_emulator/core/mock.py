"""In-process transport: ``requests`` calls to the emulated hosts answered without sockets.

Built on ``responses``: every emulated service's host pattern is registered for every method,
and the callback runs the same ``Cloud.handle`` the loopback server runs. Anything else is not
passed through: ``responses`` raises ``ConnectionError`` for it, so a test cannot reach the
real cloud by accident.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

import requests
import responses

from .wire import EmulatedRequest

if TYPE_CHECKING:
    from .cloud import Cloud

_METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS")

_Answer = tuple[int, Mapping[str, str], bytes]


def _url_pattern(cloud: Cloud) -> re.Pattern[str]:
    hosts = "|".join(f"(?:{service.host_pattern.pattern})" for service in cloud.router.services)
    # Anchored at the end too: "vpc.aliyuncs.com.example.net" is not an emulated host.
    return re.compile(rf"https?://(?:{hosts})(?::\d+)?(?:[/?][^\s]*)?\Z", re.IGNORECASE)


def _body_bytes(body: bytes | str | None) -> bytes:
    # Streamed bodies (files, generators) are not supported in-process: the clients emulated
    # here send bytes. The loopback server reads chunked bodies.
    if body is None:
        return b""
    return body.encode("utf-8") if isinstance(body, str) else body


def _answer(cloud: Cloud, prepared: requests.PreparedRequest) -> _Answer | Exception:
    request = EmulatedRequest.from_target(
        prepared.method or "GET",
        prepared.url or "",
        prepared.headers.items(),
        _body_bytes(prepared.body),
    )
    response = cloud.handle(request)
    if response.drop_connection:
        return requests.exceptions.ConnectionError(
            "Connection aborted: the emulator closed the connection without a response"
        )
    return response.status, dict(response.headers), response.body


@contextmanager
def mock_requests(cloud: Cloud) -> Iterator[responses.RequestsMock]:
    """Intercept ``requests`` for the emulated hosts while the context is open.

    Yields the ``RequestsMock`` so a test can register stubs of its own next to the emulator.
    """
    pattern = _url_pattern(cloud)
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    for method in _METHODS:
        mock.add_callback(method, pattern, callback=lambda p: _answer(cloud, p), content_type=None)
    with mock:
        yield mock
