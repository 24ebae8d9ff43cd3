"""Which gateways and connections a sweep covers.

Ids from the API are checked before they go anywhere (a request, a work item, an object key): a
malformed one fails the listing it came in, which the sweep reports for that region or gateway.

Connections are listed once per region (DescribeVpnConnections without a gateway filter), so the
listing also holds the connections attached to a transit router (no ``VpnGatewayId``), which the
sweep reports as skipped, and every tunnel's status for the tick's ``tunnel_status`` records.
Peer addresses are not in that answer; DescribeCustomerGateways gives them, once per region.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from vpndiag import identifiers
from vpndiag.clients.vpc import VpcClient
from vpndiag.errors import VpndiagError
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import error_code
from vpndiag.model.connection import VpnConnection
from vpndiag.sweep.settings import SweepSettings

log = logging.getLogger("vpndiag.sweep")


@dataclass(frozen=True)
class Gateway:
    region: str
    gateway_id: str
    name: str | None = None


def gateways(
    vpc: VpcClient, region: str, settings: SweepSettings, *, deadline: Deadline
) -> list[Gateway]:
    """The gateways to sweep in ``region``, in the API's order.

    Tag filters go to the API; configured gateway ids are matched here, against one listing per
    region, because an id does not say which region it lives in.
    """
    found = vpc.describe_vpn_gateways(region, tags=settings.tags, deadline=deadline)
    listed = [
        Gateway(
            region,
            identifiers.gateway_id(item.get("VpnGatewayId")),
            item["Name"] if isinstance(item.get("Name"), str) and item["Name"] else None,
        )
        for item in found
    ]
    if settings.gateway_ids:
        wanted = set(settings.gateway_ids)
        return [g for g in listed if g.gateway_id in wanted]
    return listed


def _check(connection: VpnConnection) -> VpnConnection:
    identifiers.connection_id(connection.connection_id)
    if connection.gateway_id is not None:
        identifiers.gateway_id(connection.gateway_id)
    for tunnel in connection.tunnels:
        identifiers.tunnel_id(tunnel.tunnel_id)
    return connection


def _wants_peer(connection: VpnConnection) -> bool:
    if connection.peer_ip is None and connection.customer_gateway_id:
        return True
    return any(t.peer_ip is None and t.customer_gateway_id for t in connection.tunnels)


def connections(vpc: VpcClient, region: str, *, deadline: Deadline) -> list[VpnConnection]:
    """Every IPsec connection of ``region``, ids checked, peer addresses filled where known.

    A failure to read the customer gateways (not granted, throttled beyond the retries) costs only
    the peer addresses: it is logged, and the connections are returned without them.
    """
    listed = [_check(c) for c in vpc.describe_vpn_connections(region, deadline=deadline)]
    if not any(_wants_peer(c) for c in listed):
        return listed
    try:
        peers = vpc.customer_gateway_addresses(region, deadline=deadline)
    except VpndiagError as exc:
        log.warning(
            "peer addresses in %s unknown: DescribeCustomerGateways failed with %s",
            region,
            error_code(exc),
            extra={"region": region, "error_code": error_code(exc)},
        )
        return listed
    return [c.with_names(peer_ips=peers) for c in listed]
