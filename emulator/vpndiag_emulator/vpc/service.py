"""The VPC service as the core routes to it: a POP RPC product, version 2016-04-28."""

from __future__ import annotations

from vpndiag_emulator.core.rpc import RpcService

from .ram import resource_of
from .responses import ACTIONS, VERSION
from .urls import DEFAULT_HOST, HOST_PATTERN


def vpc_service() -> RpcService:
    """The VPC API: its hosts, version and actions."""
    return RpcService(
        name="vpc",
        product="Vpc",
        version=VERSION,
        host_pattern=HOST_PATTERN,
        default_host=DEFAULT_HOST,
        actions=ACTIONS,
        resource_of=resource_of,
    )
