"""A ready-made VPC estate: a few tagged gateways, each with IPsec connections."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Final

from .models import Gateway, VpcBackend


def populate(vpc: VpcBackend, *, gateways: int, connections_per_gateway: int) -> list[Gateway]:
    """Add ``gateways`` gateways with ``connections_per_gateway`` connections each.

    Ids and addresses come from the backend's seeded generator, so the same seed builds the same
    estate; tags alternate ``env=prod`` / ``env=staging`` to give tag filters something to do.
    """
    created = []
    for g in range(1, gateways + 1):
        gateway = vpc.add_gateway(
            name=f"vpngw-{vpc.region}-{g}",
            tags={"env": "prod" if g % 2 else "staging", "team": "netops"},
        )
        for c in range(1, connections_per_gateway + 1):
            vpc.add_connection(gateway.id, name=f"ipsec-{vpc.region}-{g}-{c}")
        created.append(gateway)
    return created


# The demo estate behind ``make run``: fixed ids (the sample events in ``events/`` name them) and a
# finished diagnosis per connection at a fixed time, so every run serves the same results and a
# second run of the archive finds everything already archived.
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
DEMO_DIAGNOSED_AT: Final = datetime(2026, 11, 20, 8, 0, 0, tzinfo=timezone.utc)
# One connection stays down after its recorded diagnosis (its peer never answers IKE): every new
# diagnosis finds it broken, and DiagnoseVpnConnections says why. The others heal.
DEMO_OUTAGE: Final = ("vco-bp1hz0conn000000012", "Phase1NegotiationTimeout")


def populate_demo(vpc_for_region: Callable[[str], VpcBackend]) -> None:
    """Build the demo estate; ``vpc_for_region`` returns the backend of a region."""
    for region, gateways in DEMO_ESTATE.items():
        vpc = vpc_for_region(region)
        for g, (gateway_id, connections) in enumerate(gateways.items(), start=1):
            vpc.add_gateway(
                gateway_id=gateway_id,
                name=f"demo-{region}-{g}",
                tags={"env": "prod", "team": "netops"},
            )
            for c, (connection_id, (diagnose_id, health)) in enumerate(connections.items()):
                vpc.add_connection(gateway_id, connection_id=connection_id, name=f"ipsec-{g}-{c}")
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
