"""Which gateways and connections a sweep covers.

Ids from the API are checked before they go anywhere (a request, a work item, an object key): a
malformed one fails the listing it came in, which the sweep reports for that region or gateway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from vpndiag import identifiers
from vpndiag.clients.vpc import VpcClient
from vpndiag.http.deadline import Deadline
from vpndiag.sweep.settings import SweepSettings


def _ids(items: Iterable[dict[str, Any]], key: str, check: Callable[[object], str]) -> list[str]:
    return [check(item.get(key)) for item in items]


def gateways(
    vpc: VpcClient, region: str, settings: SweepSettings, *, deadline: Deadline
) -> list[str]:
    """The ids of the gateways to sweep in ``region``, in the API's order.

    Tag filters go to the API; configured gateway ids are matched here, against one listing per
    region, because an id does not say which region it lives in.
    """
    found = vpc.describe_vpn_gateways(region, tags=settings.tags, deadline=deadline)
    ids = _ids(found, "VpnGatewayId", identifiers.gateway_id)
    if settings.gateway_ids:
        wanted = set(settings.gateway_ids)
        return [g for g in ids if g in wanted]
    return ids


def connections(vpc: VpcClient, region: str, gateway_id: str, *, deadline: Deadline) -> list[str]:
    """The ids of a gateway's IPsec connections."""
    found = vpc.describe_vpn_connections(region, gateway_id=gateway_id, deadline=deadline)
    return _ids(found, "VpnConnectionId", identifiers.connection_id)
