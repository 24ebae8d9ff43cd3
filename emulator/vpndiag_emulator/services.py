"""The emulated services, in routing order (see ``core.router``: narrower shape claims first)."""

from __future__ import annotations

from .core.service import Service
from .vpc.service import vpc_service


def default_services() -> tuple[Service, ...]:
    """Every service a ``Cloud`` emulates.

    VPC claims any loopback request shaped like POP RPC, so RPC products added later with a
    narrower claim (a specific ``x-acs-version``) go before it.
    """
    return (vpc_service(),)
