"""Which service answers a request: by host name, else (loopback requests) by request shape."""

from __future__ import annotations

from collections.abc import Sequence

from .service import Service
from .wire import EmulatedRequest

# A real host of a product the emulator does not implement must not be claimed by shape: an ECS
# call sent here through a proxy would otherwise be answered by the VPC service.
_REAL_DOMAIN = ".aliyuncs.com"


class Router:
    """Routes in two passes: host patterns first, then shape claims in service order.

    Shape claims overlap (every POP RPC product uses ``x-acs-action``), so a service with a
    narrower claim must come before a broader one in the sequence given here.
    """

    def __init__(self, services: Sequence[Service]) -> None:
        self._services = tuple(services)

    @property
    def services(self) -> tuple[Service, ...]:
        """The services in routing order."""
        return self._services

    def route(self, request: EmulatedRequest) -> Service | None:
        """The service for this request, or ``None`` if no emulated service serves it."""
        hostname = request.hostname
        for service in self._services:
            if service.host_pattern.fullmatch(hostname):
                return service
        if hostname.endswith(_REAL_DOMAIN):
            return None
        for service in self._services:
            if service.claims(request):
                return service
        return None
