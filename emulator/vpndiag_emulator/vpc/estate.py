"""A ready-made VPC estate: tagged gateways of both tunnel modes, their connections, their peers.

Odd-numbered gateways support dual tunnels (the current kind), even-numbered ones are older
single-tunnel gateways, and each populated region also has one dual-tunnel connection attached
to a transit router (no gateway), so clients meet every shape DescribeVpnConnections returns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Final

from .models import Gateway, VpcBackend


def populate(vpc: VpcBackend, *, gateways: int, connections_per_gateway: int) -> list[Gateway]:
    """Add ``gateways`` gateways with ``connections_per_gateway`` connections each.

    Ids and addresses come from the backend's seeded generator, so the same seed builds the same
    estate; tags alternate ``env=prod`` / ``env=staging`` to give tag filters something to do.
    Also adds one transit-router connection (not counted in the returned gateways).
    """
    created = []
    for g in range(1, gateways + 1):
        gateway = vpc.add_gateway(
            name=f"vpngw-{vpc.region}-{g}",
            tags={"env": "prod" if g % 2 else "staging", "team": "netops"},
            dual_tunnel=bool(g % 2),
        )
        for c in range(1, connections_per_gateway + 1):
            vpc.add_connection(gateway.id, name=f"ipsec-{vpc.region}-{g}-{c}")
        created.append(gateway)
    vpc.add_transit_router_connection(
        name=f"ipsec-{vpc.region}-tr", transit_router_name=f"tr-{vpc.region}"
    )
    return created


# The demo estate behind ``make run``: fixed ids (the sample events in ``events/`` name them) and a
# finished diagnosis per connection at a fixed time, so every run serves the same results and a
# second run of the archive finds everything already archived. Gateways marked dual-tunnel get
# dual-tunnel connections with fixed tunnel ids (master first).
Health = str | dict[str, str]
DEMO_ESTATE: Final[dict[str, dict[str, dict[str, tuple[str, Health]]]]] = {
    "cn-hangzhou": {
        "vpn-bp1hz0gw0000000001": {
            "vco-bp1hz0conn000000011": ("vpndgn-bp1hz0dgn0000000011", "normal"),
            "vco-bp1hz0conn000000012": (
                "vpndgn-bp1hz0dgn0000000012",
                {"VcoUserInternetIpConnectivity": "error", "VcoPrivateConnectivity": "error"},
            ),
        },
        "vpn-bp1hz0gw0000000002": {
            "vco-bp1hz0conn000000021": ("vpndgn-bp1hz0dgn0000000021", {"VpnIPsecQuota": "warning"}),
        },
    },
    "cn-shanghai": {
        "vpn-uf6sh0gw0000000001": {
            "vco-uf6sh0conn000000011": ("vpndgn-uf6sh0dgn0000000011", "normal"),
            "vco-uf6sh0conn000000012": (
                "vpndgn-uf6sh0dgn0000000012",
                {"VcoConfigConsistency": "error", "VpnRouteQuota": "warning"},
            ),
        },
    },
}
DEMO_SINGLE_TUNNEL_GATEWAYS: Final = frozenset({"vpn-bp1hz0gw0000000002"})
DEMO_DIAGNOSED_AT: Final = datetime(2026, 11, 20, 8, 0, 0, tzinfo=timezone.utc)
# One connection stays down after its recorded diagnosis (its peer never answers IKE): every new
# diagnosis finds it broken, and DiagnoseVpnConnections says why. The others heal.
DEMO_OUTAGE: Final = ("vco-bp1hz0conn000000012", "Phase1NegotiationTimeout")
# One dual-tunnel connection runs on its master tunnel only: the standby (slave) tunnel's peer
# device does not answer IKE. Its seven-check diagnosis stays normal (inferred: the checks probe
# the connection, whose traffic the master tunnel still carries), so only the tunnels show it.
DEMO_DEGRADED: Final = ("vco-uf6sh0conn000000011", "Phase1NegotiationTimeout")
DEMO_TRANSIT_ROUTER_CONNECTION: Final = "vco-bp1hz0conn0000000tr"


def demo_tunnel_ids(connection_id: str) -> tuple[str, str]:
    """The fixed (master, slave) tunnel ids of a demo dual-tunnel connection."""
    suffix = connection_id.removeprefix("vco-").replace("conn", "tun")
    return (f"tun-{suffix}01", f"tun-{suffix}02")


def populate_demo(vpc_for_region: Callable[[str], VpcBackend]) -> None:
    """Build the demo estate; ``vpc_for_region`` returns the backend of a region."""
    for region, gateways in DEMO_ESTATE.items():
        vpc = vpc_for_region(region)
        for g, (gateway_id, connections) in enumerate(gateways.items(), start=1):
            dual = gateway_id not in DEMO_SINGLE_TUNNEL_GATEWAYS
            vpc.add_gateway(
                gateway_id=gateway_id,
                name=f"demo-{region}-{g}",
                tags={"env": "prod", "team": "netops"},
                dual_tunnel=dual,
            )
            for c, (connection_id, (diagnose_id, health)) in enumerate(connections.items()):
                vpc.add_connection(
                    gateway_id,
                    connection_id=connection_id,
                    name=f"ipsec-{g}-{c}",
                    tunnel_ids=demo_tunnel_ids(connection_id) if dual else None,
                )
                vpc.set_health(connection_id, health)
                vpc.record_diagnosis(
                    connection_id,
                    diagnose_id=diagnose_id,
                    begin=DEMO_DIAGNOSED_AT + timedelta(minutes=5 * c),
                )
                if connection_id == DEMO_OUTAGE[0]:
                    vpc.set_negotiation_failure(connection_id, DEMO_OUTAGE[1])
                else:
                    vpc.set_health(connection_id, None)
                if connection_id == DEMO_DEGRADED[0]:
                    slave = demo_tunnel_ids(connection_id)[1]
                    vpc.set_negotiation_failure(connection_id, DEMO_DEGRADED[1], tunnel_id=slave)
    hangzhou = vpc_for_region("cn-hangzhou")
    hangzhou.add_transit_router_connection(
        connection_id=DEMO_TRANSIT_ROUTER_CONNECTION,
        name="demo-cn-hangzhou-tr",
        transit_router_name="demo-tr",
        tunnel_ids=demo_tunnel_ids(DEMO_TRANSIT_ROUTER_CONNECTION),
    )
