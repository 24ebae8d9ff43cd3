"""State of the emulated VPC API for one account in one region: gateways, connections, diagnoses.

Records (``records.py``) are immutable snapshots; state changes only through ``VpcBackend``
methods, under its lock, so the threaded server and a test thread can use one backend at once.

Connections come in the vendor's two modes (DescribeVpnConnections / CreateVpnConnection
reference; SDK 7.2.2 models): a gateway that supports dual tunnels gets connections with a master
and a slave tunnel, each negotiating on its own; an older gateway gets single-tunnel connections.
A connection can also be attached to a transit router (``AttachType: CEN``, no gateway).

How a test reaches each GetVpnGatewayDiagnoseResult error (see ``diagnosis_result``):

- ``VpnGateway.Configuring``: ``set_gateway_status(gateway_id, "updating")``.
- ``IncorrectStatus.DiagnoseTimeout``: ``fail_next_diagnosis(gateway_id, "timeout")``, start a
  diagnosis, let ``diagnosis_duration`` pass on the clock.
- ``IncorrectStatus.VpnConnectionDeleted``: ``delete_connection(connection_id)`` while a
  diagnosis of it is running (a result finished before the deletion stays readable).
- ``InvalidDiagnoseId.NotFound``: an unknown id (or one of another gateway, region or account).
- ``InvalidVpnGatewayId.NotFound``: ``VpnGatewayId`` alone, of a gateway never diagnosed.
- ``InvalidVpnGatewayInstanceId.NotFound``: a ``VpnGatewayId`` that does not exist here.

DiagnoseVpnGateway's ``LastTokenProcessing`` (403): ``set_token_processing(seconds)``, then
re-send a ClientToken within that many clock seconds of its first use.
"""

from __future__ import annotations

import ipaddress
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from vpndiag_emulator.core.ids import random_text, resource_id, seeded_rng

from . import errors
from .checks import (
    CHECK_NAMES,
    NEGOTIATION_CODES,
    NEGOTIATION_FAILURES,
    CheckTarget,
    Level,
    SaStatus,
    negotiation_code,
    render_failure,
    run_checks,
    sa_status,
    seeded_profile,
    validate_levels,
)
from .records import (
    GATEWAY_STATUSES,
    Connection,
    CustomerGateway,
    Diagnosis,
    DiagnosisFailure,
    Gateway,
    Tunnel,
    TunnelNegotiation,
    TunnelRole,
)

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud

__all__ = [
    "GATEWAY_STATUSES",
    "Connection",
    "CustomerGateway",
    "Diagnosis",
    "Gateway",
    "Tunnel",
    "TunnelNegotiation",
    "VpcBackend",
]

_Fingerprint = tuple[str, str, str, str]
_SINGLE: Final = ""
"""The negotiation key of a single-tunnel connection (it has no tunnel id)."""


class VpcBackend:
    """The VPC state of one account in one region."""

    def __init__(self, cloud: Cloud, account_id: str, region: str) -> None:
        self._cloud = cloud
        self.account_id = account_id
        self.region = region
        # Seeded per account and region so an estate is the same whatever else was created first.
        self._rng = seeded_rng(cloud.seed, account_id, region, "vpc")
        self._lock = threading.RLock()
        self._gateways: dict[str, Gateway] = {}
        self._customer_gateways: dict[str, CustomerGateway] = {}
        self._connections: dict[str, Connection] = {}
        self._diagnoses: dict[str, Diagnosis] = {}
        self._diagnoses_by_gateway: dict[str, list[str]] = {}
        self._tokens: dict[str, tuple[_Fingerprint, str, datetime]] = {}
        self._token_processing = timedelta(0)
        self._health: dict[str, dict[str, Level]] = {}
        self._next_failure: dict[str, DiagnosisFailure] = {}
        self._forced_negotiation: dict[tuple[str, str], str] = {}
        self._page_cap: int | None = None

    # -- building the world (tests, the estate) ---------------------------------------------

    def add_gateway(
        self,
        *,
        name: str | None = None,
        status: str = "active",
        tags: Mapping[str, str] | None = None,
        supports_diagnosis: bool = True,
        vpc_id: str | None = None,
        internet_ip: str | None = None,
        spec: str = "10M",
        gateway_id: str | None = None,
        dual_tunnel: bool = True,
    ) -> Gateway:
        """Create a gateway (``vpn-`` + 20 lower-case alphanumerics, unless ``gateway_id`` given).

        ``dual_tunnel`` gateways (the current kind) get a disaster-recovery address and vSwitch
        and create dual-tunnel connections; others create single-tunnel connections.
        """
        _check_status(status)
        with self._lock:
            number = len(self._gateways) + 1
            gateway = Gateway(
                id=gateway_id or resource_id(self._rng, "vpn"),
                name=name or f"vpngw-{number}",
                region=self.region,
                vpc_id=vpc_id or resource_id(self._rng, "vpc"),
                vswitch_id=resource_id(self._rng, "vsw"),
                status=status,
                business_status="Normal",
                internet_ip=internet_ip or self._public_ip(47),
                spec=spec,
                created=self._cloud.clock.now(),
                tags=MappingProxyType(dict(tags or {})),
                supports_diagnosis=supports_diagnosis,
                dual_tunnel=dual_tunnel,
                disaster_recovery_internet_ip=self._public_ip(47) if dual_tunnel else "",
                disaster_recovery_vswitch_id=resource_id(self._rng, "vsw") if dual_tunnel else "",
                eni_instance_ids=tuple(resource_id(self._rng, "eni") for _ in range(2)),
                resource_group_id=resource_id(self._rng, "rg"),
            )
            self._gateways[gateway.id] = gateway
            return gateway

    def add_customer_gateway(
        self,
        *,
        ip_address: str | None = None,
        name: str | None = None,
        asn: int = 0,
        customer_gateway_id: str | None = None,
    ) -> CustomerGateway:
        """Create a customer gateway (the peer device) with its public address."""
        with self._lock:
            number = len(self._customer_gateways) + 1
            customer_gateway = CustomerGateway(
                id=customer_gateway_id or resource_id(self._rng, "cgw"),
                name=name or f"cgw-{self.region}-{number}",
                ip_address=ip_address or self._public_ip(self._rng.choice((101, 114, 203))),
                asn=asn,
                auth_key=random_text(self._rng, 16),
                created=self._cloud.clock.now(),
                resource_group_id=resource_id(self._rng, "rg"),
            )
            self._customer_gateways[customer_gateway.id] = customer_gateway
            return customer_gateway

    def add_connection(
        self,
        gateway_id: str,
        *,
        name: str | None = None,
        psk: str | None = None,
        customer_ip: str | None = None,
        local_subnet: str | None = None,
        remote_subnet: str | None = None,
        connection_id: str | None = None,
        customer_gateway_id: str | None = None,
        tunnel_ids: tuple[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Connection:
        """Create an IPsec connection (``vco-...`` unless ``connection_id`` given) on a gateway.

        Its mode is the gateway's: two tunnels (master on the gateway's address, slave on its
        disaster-recovery address) or a single tunnel. Without ``customer_gateway_id`` a
        customer gateway at ``customer_ip`` is created; both tunnels use it.
        """
        with self._lock:
            gateway = self._gateway(gateway_id)
            customer_gateway = self._customer_gateway_for(customer_gateway_id, customer_ip)
            tunnels: tuple[Tunnel, ...] = ()
            if gateway.dual_tunnel:
                addresses = (gateway.internet_ip, gateway.disaster_recovery_internet_ip)
                tunnels = self._tunnels(customer_gateway.id, addresses, tunnel_ids, indexed=False)
            connection = self._connection(
                gateway_id=gateway.id,
                name=name,
                psk=psk,
                customer_gateway=customer_gateway,
                local_subnet=local_subnet,
                remote_subnet=remote_subnet,
                connection_id=connection_id,
                tunnels=tunnels,
                internet_ip="" if gateway.dual_tunnel else gateway.internet_ip,
                tags=tags,
            )
            self._connections[connection.id] = connection
            return connection

    def add_transit_router_connection(
        self,
        *,
        transit_router_id: str | None = None,
        transit_router_name: str = "",
        name: str | None = None,
        psk: str | None = None,
        customer_ip: str | None = None,
        connection_id: str | None = None,
        tunnel_ids: tuple[str, str] | None = None,
    ) -> Connection:
        """Create a dual-tunnel connection attached to a transit router (``AttachType: CEN``).

        It has no VPN gateway (``VpnGatewayId`` empty) and its tunnels carry ``TunnelIndex``.
        """
        with self._lock:
            customer_gateway = self._customer_gateway_for(None, customer_ip)
            addresses = (self._public_ip(39), self._public_ip(39))
            tunnels = self._tunnels(customer_gateway.id, addresses, tunnel_ids, indexed=True)
            connection = replace(
                self._connection(
                    gateway_id="",
                    name=name,
                    psk=psk,
                    customer_gateway=customer_gateway,
                    local_subnet=None,
                    remote_subnet=None,
                    connection_id=connection_id,
                    tunnels=tunnels,
                    internet_ip="",
                    tags=None,
                ),
                attach_type="CEN",
                transit_router_id=transit_router_id or resource_id(self._rng, "tr"),
                transit_router_name=transit_router_name,
                cen_id=resource_id(self._rng, "cen"),
            )
            self._connections[connection.id] = connection
            return connection

    def delete_connection(self, connection_id: str) -> None:
        """Delete a connection now; diagnoses still running on it will fail."""
        with self._lock:
            connection = self._live_connection(connection_id)
            self._connections[connection_id] = replace(
                connection, deleted_at=self._cloud.clock.now()
            )

    def set_gateway_status(self, gateway_id: str, status: str) -> None:
        """Change a gateway's status; anything but ``active`` makes its calls ``Configuring``."""
        _check_status(status)
        with self._lock:
            self._gateways[gateway_id] = replace(self._gateway(gateway_id), status=status)

    def set_health(self, connection_id: str, levels: Mapping[str, str] | str | None) -> None:
        """Script the outcome of the connection's future diagnoses.

        ``levels`` maps check names to ``normal``/``warning``/``error`` (unlisted checks are
        normal); a single level applies to all seven; ``None`` restores the seeded profile.
        Diagnoses already started keep their results.
        """
        if isinstance(levels, str):
            levels = dict.fromkeys(CHECK_NAMES, levels)
        with self._lock:
            self._live_connection(connection_id)
            if levels is None:
                self._health.pop(connection_id, None)
            else:
                self._health[connection_id] = validate_levels(levels)

    def fail_next_diagnosis(self, gateway_id: str, reason: DiagnosisFailure = "timeout") -> None:
        """Make the gateway's next diagnosis fail with ``reason`` once its duration has passed."""
        if reason != "timeout":
            raise ValueError(f"unknown diagnosis failure {reason!r}")
        with self._lock:
            self._gateway(gateway_id)
            self._next_failure[gateway_id] = reason

    def set_negotiation_failure(
        self, connection_id: str, code: str | None, *, tunnel_id: str | None = None
    ) -> None:
        """Make the connection's tunnels (or only ``tunnel_id``) fail to negotiate with ``code``.

        A single tunnel can be down on its own, leaving a dual-tunnel connection half down.
        ``None`` goes back to the code the health profile implies (none for a healthy profile).
        """
        if code is not None and code not in NEGOTIATION_FAILURES:
            raise ValueError(
                f"unknown failure code {code!r}; known: {', '.join(NEGOTIATION_CODES)}"
            )
        with self._lock:
            connection = self._live_connection(connection_id)
            keys = _negotiation_keys(connection)
            if tunnel_id is not None:
                if tunnel_id not in connection.tunnel_ids:
                    raise ValueError(f"connection {connection_id} has no tunnel {tunnel_id!r}")
                keys = (tunnel_id,)
            for key in keys:
                if code is None:
                    self._forced_negotiation.pop((connection_id, key), None)
                else:
                    self._forced_negotiation[(connection_id, key)] = code

    def set_token_processing(self, seconds: float) -> None:
        """How long (clock seconds) a DiagnoseVpnGateway with a ClientToken stays in flight.

        A re-send of the token within that window answers 403 ``LastTokenProcessing``;
        afterwards it returns the first call's diagnosis. 0 (the default): never in flight.
        """
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        with self._lock:
            self._token_processing = timedelta(seconds=seconds)

    def set_page_cap(self, limit: int | None) -> None:
        """Serve at most ``limit`` items per page whatever PageSize asks (``None``: no cap).

        The answer's PageSize is then the served size, and pages are cut at that size.
        """
        if limit is not None and limit < 1:
            raise ValueError("limit must be >= 1, or None for no cap")
        with self._lock:
            self._page_cap = limit

    # -- reading the world ------------------------------------------------------------------

    @property
    def page_cap(self) -> int | None:
        """The injected server-side page size cap, if any (``set_page_cap``)."""
        return self._page_cap

    def gateways(self) -> list[Gateway]:
        """Every gateway, in creation order."""
        with self._lock:
            return list(self._gateways.values())

    def customer_gateways(self) -> list[CustomerGateway]:
        """Every customer gateway, in creation order."""
        with self._lock:
            return list(self._customer_gateways.values())

    def connections(self, gateway_id: str | None = None) -> list[Connection]:
        """Live (not deleted) connections, optionally of one gateway, in creation order."""
        with self._lock:
            return [
                c
                for c in self._connections.values()
                if c.deleted_at is None and gateway_id in (None, c.gateway_id)
            ]

    def diagnoses(self) -> list[Diagnosis]:
        """Every diagnosis, in start order."""
        with self._lock:
            return list(self._diagnoses.values())

    def negotiation_states(self, connection: Connection) -> dict[str, SaStatus]:
        """The negotiation state of each tunnel id (``""`` for a single-tunnel connection)."""
        with self._lock:
            codes = self._codes(connection)
        return {key: sa_status(code) for key, code in codes.items()}

    # -- the API's view ---------------------------------------------------------------------

    def find_gateways(
        self,
        *,
        gateway_id: str | None = None,
        vpc_id: str | None = None,
        status: str | None = None,
        business_status: str | None = None,
        tags: Sequence[tuple[str, str | None]] = (),
    ) -> list[Gateway]:
        """Gateways matching every given filter; a tag without value matches on key alone."""
        with self._lock:
            candidates = list(self._gateways.values())
        return [
            g
            for g in candidates
            if gateway_id in (None, g.id)
            and vpc_id in (None, g.vpc_id)
            and status in (None, g.status)
            and business_status in (None, g.business_status)
            and _tags_match(g.tags, tags)
        ]

    def find_connections(
        self,
        *,
        gateway_id: str | None = None,
        connection_id: str | None = None,
        customer_gateway_id: str | None = None,
        resource_group_id: str | None = None,
        tags: Sequence[tuple[str, str | None]] = (),
    ) -> list[Connection]:
        """Live connections matching every given filter (a customer gateway of any tunnel)."""
        return [
            c
            for c in self.connections(gateway_id)
            if connection_id in (None, c.id)
            and customer_gateway_id in (None, c.customer_gateway_id)
            and resource_group_id in (None, c.resource_group_id)
            and _tags_match(c.tags, tags)
        ]

    def find_customer_gateways(
        self, *, customer_gateway_id: str | None = None
    ) -> list[CustomerGateway]:
        """Customer gateways, optionally the one with this id."""
        return [c for c in self.customer_gateways() if customer_gateway_id in (None, c.id)]

    def start_diagnosis(
        self,
        *,
        gateway_id: str,
        resource_type: str,
        connection_id: str,
        extend_info: str | None,
        client_token: str | None,
    ) -> Diagnosis:
        """DiagnoseVpnGateway: start (or, for a repeated ClientToken, return) a diagnosis."""
        fingerprint = (gateway_id, resource_type, connection_id, extend_info or "")
        now = self._cloud.clock.now()
        with self._lock:
            if client_token is not None and client_token in self._tokens:
                previous, diagnose_id, first_seen = self._tokens[client_token]
                # Inferred: the first request with the token still being processed is what
                # "The last token request is processing" describes.
                if now < first_seen + self._token_processing:
                    raise errors.last_token_processing()
                if previous != fingerprint:
                    raise errors.idempotent_mismatch()
                return self._diagnoses[diagnose_id]
            gateway = self._gateways.get(gateway_id)
            if gateway is None:
                raise errors.gateway_not_found()
            if gateway.status != "active":
                raise errors.gateway_configuring()
            if not gateway.supports_diagnosis:
                raise errors.diagnosis_unsupported()
            connection = self._connections.get(connection_id)
            # A connection attached to a transit router has no gateway, so it is not found on
            # any (inferred: the API reference only describes connections of a gateway).
            if (
                connection is None
                or connection.deleted_at is not None
                or connection.gateway_id != gateway_id
            ):
                raise errors.connection_not_found()
            diagnosis = self._new_diagnosis(gateway, connection, resource_type, extend_info)
            if client_token is not None:
                self._tokens[client_token] = (fingerprint, diagnosis.id, now)
            return diagnosis

    def diagnosis_result(
        self, *, diagnose_id: str | None, gateway_id: str | None, now: datetime
    ) -> Diagnosis:
        """GetVpnGatewayDiagnoseResult: the diagnosis by id, else the gateway's latest one.

        ``now`` is the caller's clock reading, so the failure check and the progress the caller
        renders agree on the moment.
        """
        with self._lock:
            if gateway_id is not None and gateway_id not in self._gateways:
                raise errors.gateway_not_found()
            if diagnose_id is not None:
                diagnosis = self._diagnoses.get(diagnose_id)
                if diagnosis is None or gateway_id not in (None, diagnosis.gateway_id):
                    raise errors.diagnose_not_found(diagnose_id)
            elif gateway_id is not None:
                started = self._diagnoses_by_gateway.get(gateway_id)
                if not started:
                    raise errors.gateway_without_diagnoses(gateway_id)
                diagnosis = self._diagnoses[started[-1]]
            else:
                raise errors.missing_diagnose_info()
            if self._gateways[diagnosis.gateway_id].status != "active":
                raise errors.gateway_configuring()
            deleted_at = self._connections[diagnosis.connection_id].deleted_at
        if deleted_at is not None and deleted_at < diagnosis.finish_time:
            raise errors.connection_deleted()
        if diagnosis.failure == "timeout" and now >= diagnosis.finish_time:
            raise errors.diagnose_timeout()
        return diagnosis

    def negotiations(
        self,
        *,
        gateway_id: str | None = None,
        connection_ids: Sequence[str] = (),
        tunnel_ids: Sequence[str] = (),
        now: datetime,
    ) -> list[TunnelNegotiation]:
        """DiagnoseVpnConnections: the asked tunnels' and connections' negotiation states.

        As the API reference says, a single-tunnel connection is asked by ``VpnConnectionIds``
        and a dual-tunnel connection by ``TunnelIds``. A dual-tunnel connection asked by
        connection id alone yields nothing (inferred: the reference does not say; an empty list
        is the likeliest answer to a request that names none of its tunnels); given both lists,
        a tunnel must be in ``TunnelIds`` and its connection in ``VpnConnectionIds``. A failure
        is dated seconds to minutes before ``now`` (seeded by the tunnel): the real check only
        reflects the last minutes of negotiation.
        """
        with self._lock:
            gateway = None
            if gateway_id is not None:
                gateway = self._gateways.get(gateway_id)
                if gateway is None:
                    raise errors.gateway_not_found()
                if gateway.status != "active":
                    raise errors.gateway_configuring()
            asked: list[tuple[Connection, str]] = []
            for connection in self.connections(gateway_id):
                listed = connection.id in connection_ids
                if not connection.dual_tunnel:
                    if listed:
                        asked.append((connection, _SINGLE))
                    continue
                if connection_ids and not listed:
                    continue
                asked.extend((connection, t) for t in connection.tunnel_ids if t in tunnel_ids)
            codes = {c.id: self._codes(c) for c, _ in asked}
            local_ips = {c.id: self._local_ip(c) for c, _ in asked}
        rows = []
        for connection, key in asked:
            code = codes[connection.id][key]
            if code is None:
                rows.append(TunnelNegotiation(connection.id, key, None, None))
                continue
            failure = NEGOTIATION_FAILURES[code]
            ago = seeded_rng(self._cloud.seed, key or connection.id, "failed").randint(5, 240)
            at = now - timedelta(seconds=ago)
            local, remote, log = render_failure(
                failure,
                local_ip=local_ips[connection.id].get(key, ""),
                peer_ip=connection.customer_ip,
                at=at,
            )
            rows.append(TunnelNegotiation(connection.id, key, failure, at, local, remote, log))
        return rows

    def record_diagnosis(
        self,
        connection_id: str,
        *,
        diagnose_id: str,
        begin: datetime,
        duration: float = 11.0,
    ) -> Diagnosis:
        """Add a diagnosis that ran in the past (history for a demo estate): finished, fixed id."""
        with self._lock:
            connection = self._live_connection(connection_id)
            gateway = self._gateway(connection.gateway_id)
            return self._new_diagnosis(
                gateway,
                connection,
                "IPsec",
                None,
                diagnose_id=diagnose_id,
                begin=begin,
                duration=duration,
            )

    # -- internals --------------------------------------------------------------------------

    def _codes(self, connection: Connection) -> dict[str, str | None]:
        # Called with the lock held. The profile is the connection's (the seven checks do not
        # name tunnels), so both tunnels share its code unless one is forced on its own.
        profile = self._health.get(connection.id) or seeded_profile(self._cloud.seed, connection.id)
        implied = negotiation_code(self._cloud.seed, connection.id, profile)
        return {
            key: self._forced_negotiation.get((connection.id, key), implied)
            for key in _negotiation_keys(connection)
        }

    def _local_ip(self, connection: Connection) -> dict[str, str]:
        # Called with the lock held: the gateway-side address each tunnel negotiates from.
        if connection.dual_tunnel:
            return {t.id: t.internet_ip for t in connection.tunnels}
        return {_SINGLE: connection.internet_ip}

    def _customer_gateway_for(
        self, customer_gateway_id: str | None, customer_ip: str | None
    ) -> CustomerGateway:
        # Called with the lock held.
        if customer_gateway_id is None:
            return self.add_customer_gateway(ip_address=customer_ip)
        customer_gateway = self._customer_gateways.get(customer_gateway_id)
        if customer_gateway is None:
            raise KeyError(f"no customer gateway {customer_gateway_id} in {self.region}")
        return customer_gateway

    def _tunnels(
        self,
        customer_gateway_id: str,
        addresses: tuple[str, str],
        tunnel_ids: tuple[str, str] | None,
        *,
        indexed: bool,
    ) -> tuple[Tunnel, ...]:
        ids = tunnel_ids or (resource_id(self._rng, "tun"), resource_id(self._rng, "tun"))
        roles: tuple[TunnelRole, TunnelRole] = ("master", "slave")
        # Inferred zone names: the two tunnels sit in two zones of the region.
        zones = (f"{self.region}-h", f"{self.region}-i")
        return tuple(
            Tunnel(
                id=tunnel_id,
                role=role,
                customer_gateway_id=customer_gateway_id,
                internet_ip=address,
                zone_no=zone,
                index=index if indexed else None,
            )
            for tunnel_id, role, address, zone, index in zip(
                ids, roles, addresses, zones, (1, 2), strict=True
            )
        )

    def _connection(
        self,
        *,
        gateway_id: str,
        name: str | None,
        psk: str | None,
        customer_gateway: CustomerGateway,
        local_subnet: str | None,
        remote_subnet: str | None,
        connection_id: str | None,
        tunnels: tuple[Tunnel, ...],
        internet_ip: str,
        tags: Mapping[str, str] | None,
    ) -> Connection:
        number = len(self._connections) + 1
        return Connection(
            id=connection_id or resource_id(self._rng, "vco"),
            gateway_id=gateway_id,
            name=name or f"ipsec-{number}",
            customer_gateway_id=customer_gateway.id,
            customer_ip=customer_gateway.ip_address,
            local_subnet=local_subnet or f"172.16.{number % 256}.0/24",
            remote_subnet=remote_subnet or f"192.168.{number % 256}.0/24",
            psk=psk or random_text(self._rng, 16),
            bgp_auth_key=random_text(self._rng, 16),
            created=self._cloud.clock.now(),
            tunnels=tunnels,
            internet_ip=internet_ip,
            resource_group_id=resource_id(self._rng, "rg"),
            tags=MappingProxyType(dict(tags or {})),
        )

    def _new_diagnosis(
        self,
        gateway: Gateway,
        connection: Connection,
        resource_type: str,
        extend_info: str | None,
        *,
        diagnose_id: str | None = None,
        begin: datetime | None = None,
        duration: float | None = None,
    ) -> Diagnosis:
        source, destination = _private_probe(connection, extend_info)
        begin = begin or self._cloud.clock.now()
        # Seeded by the connection and the start time, not by the backend's sequence alone: an
        # emulator restarted with the same seed must not hand out an id that an archive of an
        # earlier run already holds with other content (the real service never reuses ids).
        diagnose_id = diagnose_id or resource_id(
            seeded_rng(self._cloud.seed, connection.id, begin.isoformat(), len(self._diagnoses)),
            "vpndgn",
        )
        profile = self._health.get(connection.id) or seeded_profile(self._cloud.seed, connection.id)
        target = CheckTarget(
            gateway_id=gateway.id,
            customer_ip=connection.customer_ip,
            private_source_ip=source,
            private_destination_ip=destination,
            local_subnet=connection.local_subnet,
            remote_subnet=connection.remote_subnet,
        )
        values_rng = seeded_rng(self._cloud.seed, diagnose_id)
        diagnosis = Diagnosis(
            id=diagnose_id,
            gateway_id=gateway.id,
            connection_id=connection.id,
            resource_type=resource_type,
            begin=begin,
            duration=self._cloud.diagnosis_duration if duration is None else duration,
            results=run_checks(profile, target, values_rng),
            failure=self._next_failure.pop(gateway.id, None),
        )
        self._diagnoses[diagnose_id] = diagnosis
        self._diagnoses_by_gateway.setdefault(gateway.id, []).append(diagnose_id)
        return diagnosis

    def _gateway(self, gateway_id: str) -> Gateway:
        gateway = self._gateways.get(gateway_id)
        if gateway is None:
            raise KeyError(f"no gateway {gateway_id} in {self.account_id}/{self.region}")
        return gateway

    def _live_connection(self, connection_id: str) -> Connection:
        connection = self._connections.get(connection_id)
        if connection is None or connection.deleted_at is not None:
            raise KeyError(f"no live connection {connection_id} in {self.account_id}/{self.region}")
        return connection

    def _public_ip(self, first_octet: int) -> str:
        rng = self._rng
        return f"{first_octet}.{rng.randint(1, 254)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _negotiation_keys(connection: Connection) -> tuple[str, ...]:
    return connection.tunnel_ids if connection.dual_tunnel else (_SINGLE,)


def _tags_match(have: Mapping[str, str], wanted: Sequence[tuple[str, str | None]]) -> bool:
    return all(k in have and v in (None, have[k]) for k, v in wanted)


def _check_status(status: str) -> None:
    if status not in GATEWAY_STATUSES:
        raise ValueError(f"unknown gateway status {status!r}; known: {', '.join(GATEWAY_STATUSES)}")


def _private_probe(connection: Connection, extend_info: str | None) -> tuple[str, str]:
    """Source and destination of the private connectivity probe: given, or each subnet's first host."""
    source = str(ipaddress.ip_network(connection.local_subnet, strict=False).network_address + 1)
    destination = str(
        ipaddress.ip_network(connection.remote_subnet, strict=False).network_address + 1
    )
    if extend_info is None:
        return source, destination
    try:
        info = json.loads(extend_info)
        if not isinstance(info, dict) or not set(info) <= {
            "PrivateSourceIp",
            "PrivateDestinationIp",
        }:
            raise errors.illegal_extend_info()
        source = _ipv4(info.get("PrivateSourceIp", source))
        destination = _ipv4(info.get("PrivateDestinationIp", destination))
    except ValueError:
        raise errors.illegal_extend_info() from None
    return source, destination


def _ipv4(value: object) -> str:
    # IPv4Address() also accepts integers; the API takes dotted strings only.
    if not isinstance(value, str):
        raise ValueError(value)
    return str(ipaddress.IPv4Address(value))
