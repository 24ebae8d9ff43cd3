"""The contract between the core and an emulated service (VPC now; OSS, SLS, FC, EventBridge later).

A service owns its wire format end to end: routing hints, authentication, actions and how its
errors look (JSON for RPC products, XML for OSS). The core owns transports, faults and the log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .cloud import Cloud
    from .wire import EmulatedRequest, EmulatedResponse


class Service(Protocol):
    """One emulated cloud service."""

    @property
    def name(self) -> str:
        """Short name used by faults, the request log and permissions (``vpc``)."""
        ...

    @property
    def host_pattern(self) -> re.Pattern[str]:
        """Matches (fullmatch) every real host name of the service, without port."""
        ...

    def claims(self, request: EmulatedRequest) -> bool:
        """Whether a request sent to a non-service host (loopback) has this service's shape."""
        ...

    def action_of(self, request: EmulatedRequest) -> str | None:
        """The operation a request asks for, as faults and the request log name it."""
        ...

    def handle(self, cloud: Cloud, request: EmulatedRequest) -> EmulatedResponse:
        """Authenticate and answer a request; errors are answers, never exceptions."""
        ...

    def error_response(
        self,
        request: EmulatedRequest,
        *,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> EmulatedResponse:
        """An error answer in this service's own format (used by fault injection)."""
        ...
