"""Immutable records of the emulated VPC state: gateways, customer gateways, connections, tunnels.

Field meanings follow the vendor's SDK models (``alibabacloud_vpc20160428`` 7.2.2,
``DescribeVpnGatewaysResponseBody*``, ``DescribeVpnConnectionsResponseBody*``,
``DescribeCustomerGatewaysResponseBody*``); ``shapes.py`` renders them on the wire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Literal

from .checks import CheckResult, NegotiationFailure

GATEWAY_STATUSES: Final = ("init", "provisioning", "active", "updating", "deleting")
DiagnosisFailure = Literal["timeout"]
TunnelRole = Literal["master", "slave"]
AttachType = Literal["VPNGW", "CEN"]
"""``VPNGW``: bound to a VPN gateway; ``CEN``: attached to a transit router (SDK docstring values;
``NO_ASSOCIATED`` also exists and is not emulated)."""


@dataclass(frozen=True)
class Gateway:
    """A VPN gateway; ``dual_tunnel`` gateways have a disaster-recovery address and vSwitch."""

    id: str
    name: str
    region: str
    vpc_id: str
    vswitch_id: str
    status: str
    business_status: str
    internet_ip: str
    spec: str
    created: datetime
    tags: Mapping[str, str]
    supports_diagnosis: bool
    dual_tunnel: bool = True
    disaster_recovery_internet_ip: str = ""
    disaster_recovery_vswitch_id: str = ""
    eni_instance_ids: tuple[str, ...] = ()
    resource_group_id: str = ""


@dataclass(frozen=True)
class CustomerGateway:
    """The peer device: its public address, optional BGP ASN and BGP key (a secret)."""

    id: str
    name: str
    ip_address: str
    asn: int
    auth_key: str
    created: datetime
    resource_group_id: str = ""


@dataclass(frozen=True)
class Tunnel:
    """One tunnel of a dual-tunnel connection (``TunnelOptions[]`` item)."""

    id: str
    role: TunnelRole
    customer_gateway_id: str
    internet_ip: str
    """The gateway-side address of this tunnel."""
    zone_no: str
    index: int | None
    """``TunnelIndex``: only set on connections attached to a transit router."""


@dataclass(frozen=True)
class Connection:
    """An IPsec connection; ``deleted_at`` is set once deleted (kept for diagnoses).

    ``tunnels`` is empty for a single-tunnel connection, two tunnels otherwise. A connection
    attached to a transit router has ``gateway_id == ""`` and ``attach_type == "CEN"``.
    """

    id: str
    gateway_id: str
    name: str
    customer_gateway_id: str
    customer_ip: str
    local_subnet: str
    remote_subnet: str
    psk: str
    bgp_auth_key: str
    created: datetime
    tunnels: tuple[Tunnel, ...] = ()
    attach_type: AttachType = "VPNGW"
    transit_router_id: str = ""
    transit_router_name: str = ""
    cen_id: str = ""
    internet_ip: str = ""
    """Single-tunnel connections: the gateway's address the connection uses."""
    resource_group_id: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    deleted_at: datetime | None = None

    @property
    def dual_tunnel(self) -> bool:
        """Whether the connection has tunnels (``TunnelOptionsSpecification``)."""
        return bool(self.tunnels)

    @property
    def tunnel_ids(self) -> tuple[str, ...]:
        """The tunnel ids, master first; empty for a single-tunnel connection."""
        return tuple(t.id for t in self.tunnels)


@dataclass(frozen=True)
class Diagnosis:
    """One diagnosis; its results exist from the start and are revealed as the clock moves."""

    id: str
    gateway_id: str
    connection_id: str
    resource_type: str
    begin: datetime
    duration: float
    results: tuple[CheckResult, ...]
    failure: DiagnosisFailure | None

    @property
    def finish_time(self) -> datetime:
        """When the last check finishes."""
        return self.begin + timedelta(seconds=self.duration)

    def finished_count(self, now: datetime) -> int:
        """Checks finished by ``now``: check i of n finishes at ``begin + duration * (i+1)/n``."""
        total = len(self.results)
        # Compared as datetimes first so float rounding can never leave a finished diagnosis
        # one check short at its own finish time.
        if now >= self.finish_time:
            return total
        elapsed = (now - self.begin).total_seconds()
        return max(0, min(total, int(elapsed * total / self.duration)))


@dataclass(frozen=True)
class TunnelNegotiation:
    """One row of DiagnoseVpnConnections: a tunnel's (or single-tunnel connection's) state."""

    connection_id: str
    tunnel_id: str
    """``""`` for a single-tunnel connection (inferred: it has no tunnel id to report)."""
    failure: NegotiationFailure | None
    """``None``: the tunnel negotiated (Severity ``Normal``)."""
    failed_at: datetime | None
    mismatch_local: str = ""
    mismatch_remote: str = ""
    source_log: str = ""
