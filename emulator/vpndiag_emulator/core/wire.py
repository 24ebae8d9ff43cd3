"""Transport-independent request and response: what every service handler sees and returns.

The loopback server and the in-process mock both translate to and from these two types, so a
service is written once and behaves identically under either transport.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, urlsplit

_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _joined_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    # Repeated headers are folded into one comma-separated value (RFC 9110 5.3), names lower-cased.
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return headers


@dataclass(frozen=True)
class EmulatedRequest:
    """One HTTP request as received: header names lower-cased, query string still encoded."""

    method: str
    host: str
    """The authority the client addressed (``vpc.cn-hangzhou.aliyuncs.com``, ``127.0.0.1:8080``)."""
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes = b""

    @classmethod
    def from_target(
        cls,
        method: str,
        target: str,
        headers: Iterable[tuple[str, str]],
        body: bytes = b"",
    ) -> EmulatedRequest:
        """Build from a request target in origin form (``/?a=b``) or absolute form (proxy mode).

        An absolute target names the host itself (RFC 9112 3.2.2); otherwise the Host header does.
        When the client sent no Host header (``requests`` under ``responses`` never does), the one
        it would have sent is filled in, because V3 signatures cover ``host``.
        """
        parts = urlsplit(target)
        folded = _joined_headers(headers)
        host = parts.netloc or folded.get("host", "")
        if parts.netloc and "host" not in folded:
            host_only, _, port = parts.netloc.rpartition(":")
            if host_only and port == _DEFAULT_PORTS.get(parts.scheme):
                host = host_only
            folded["host"] = host
        return cls(
            method=method.upper(),
            host=host,
            path=parts.path or "/",
            query=parts.query,
            headers=folded,
            body=body,
        )

    def header(self, name: str) -> str | None:
        """Return a header's value by case-insensitive name."""
        return self.headers.get(name.lower())

    @property
    def hostname(self) -> str:
        """The host without port, lower-cased (``[::1]`` stays bracketed)."""
        host = self.host.lower()
        if host.startswith("["):
            return host.partition("]")[0] + "]"
        return host.partition(":")[0]

    @functools.cached_property
    def query_params(self) -> tuple[tuple[str, str], ...]:
        """Decoded query parameters in order, empty values kept, ``+`` read as a space."""
        return tuple(parse_qsl(self.query, keep_blank_values=True))

    @functools.cached_property
    def form_params(self) -> tuple[tuple[str, str], ...]:
        """Decoded ``application/x-www-form-urlencoded`` body parameters (empty for other bodies)."""
        content_type = (self.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded" or not self.body:
            return ()
        return tuple(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass(frozen=True)
class EmulatedResponse:
    """A response to send, or an instruction to drop the connection without one."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    error_code: str | None = None
    """The service error code carried in the body, for the request log."""
    detail: str | None = None
    """Emulator-only explanation for the request log (never sent): why a signature failed, etc."""
    drop_connection: bool = False

    def with_body(self, body: bytes) -> EmulatedResponse:
        """Return a copy with another body (used to truncate)."""
        return replace(self, body=body)
