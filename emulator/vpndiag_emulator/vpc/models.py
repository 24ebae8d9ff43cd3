"""State of the emulated VPC API for one account in one region: gateways, connections, diagnoses.

Records are immutable snapshots; state changes only through ``VpcBackend`` methods, under its
lock, so the threaded server and a test thread can use one backend at the same time.

How a test reaches each GetVpnGatewayDiagnoseResult error (see ``diagnosis_result``):

- ``VpnGateway.Configuring``: ``set_gateway_status(gateway_id, "updating")``.
- ``IncorrectStatus.DiagnoseTimeout``: ``fail_next_diagnosis(gateway_id, "timeout")``, start a
  diagnosis, let ``diagnosis_duration`` pass on the clock.
- ``IncorrectStatus.VpnConnectionDeleted``: ``delete_connection(connection_id)`` while a
  diagnosis of it is running (a result finished before the deletion stays readable).
- ``InvalidDiagnoseId.NotFound``: an unknown id (or one of another gateway, region or account).
- ``InvalidVpnGatewayId.NotFound``: ``VpnGatewayId`` alone, of a gateway never diagnosed.
- ``InvalidVpnGatewayInstanceId.NotFound``: a ``VpnGatewayId`` that does not exist here.
"""

from __future__ import annotations

import ipaddress
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal

from vpndiag_emulator.core.ids import random_text, resource_id, seeded_rng

from . import errors
from .checks import (
    CHECK_NAMES,
    NEGOTIATION_CODES,
    NEGOTIATION_FAILURES,
    CheckResult,
    CheckTarget,
    Level,
    NegotiationFailure,
    negotiation_code,
    render_failure,
    run_checks,
    seeded_profile,
    validate_levels,
)

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud

GATEWAY_STATUSES: Final = ("init", "provisioning", "active", "updating", "deleting")
DiagnosisFailure = Literal["timeout"]


@dataclass(frozen=True)
class Gateway:
    """A VPN gateway."""

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


@dataclass(frozen=True)
class Connection:
    """An IPsec connection of a gateway; ``deleted_at`` is set once deleted (kept for diagnoses)."""

    id: str
    gateway_id: str
    name: str
    customer_gateway_id: str
    customer_ip: str
    local_subnet: str
    remote_subnet: str
    psk: str
    created: datetime
    tunnel_ids: tuple[str, str]
    deleted_at: datetime | None = None


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
    """One tunnel's IPsec negotiation state, a row of DiagnoseVpnConnections."""

    connection_id: str
    tunnel_id: str
    failure: NegotiationFailure | None
    """``None``: the tunnel negotiated (Severity ``Normal``)."""
    failed_at: datetime | None
    mismatch_local: str = ""
    mismatch_remote: str = ""
    source_log: str = ""


_Fingerprint = tuple[str, str, str, str]


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
        self._connections: dict[str, Connection] = {}
        self._diagnoses: dict[str, Diagnosis] = {}
        self._diagnoses_by_gateway: dict[str, list[str]] = {}
        self._tokens: dict[str, tuple[_Fingerprint, str]] = {}
        self._health: dict[str, dict[str, Level]] = {}
        self._next_failure: dict[str, DiagnosisFailure] = {}
        self._forced_negotiation: dict[str, str] = {}

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
    ) -> Gateway:
        """Create a gateway (``vpn-`` + 20 lower-case alphanumerics, unless ``gateway_id`` given)."""
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
            )
            self._gateways[gateway.id] = gateway
            return gateway

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
    ) -> Connection:
        """Create an IPsec connection (``vco-...`` unless ``connection_id`` given) on a gateway."""
        with self._lock:
            if gateway_id not in self._gateways:
                raise KeyError(f"no gateway {gateway_id} in {self.account_id}/{self.region}")
            number = len(self._connections) + 1
            connection = Connection(
                id=connection_id or resource_id(self._rng, "vco"),
                gateway_id=gateway_id,
                name=name or f"ipsec-{number}",
                customer_gateway_id=resource_id(self._rng, "cgw"),
                customer_ip=customer_ip or self._public_ip(self._rng.choice((101, 114, 203))),
                local_subnet=local_subnet or f"172.16.{number % 256}.0/24",
                remote_subnet=remote_subnet or f"192.168.{number % 256}.0/24",
                psk=psk or random_text(self._rng, 16),
                created=self._cloud.clock.now(),
                tunnel_ids=(resource_id(self._rng, "tun"), resource_id(self._rng, "tun")),
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

    def set_negotiation_failure(self, connection_id: str, code: str | None) -> None:
        """Make the connection's tunnels report ``code`` in DiagnoseVpnConnections.

        ``None`` goes back to the code its health profile implies (none for a healthy profile).
        """
        if code is not None and code not in NEGOTIATION_FAILURES:
            raise ValueError(
                f"unknown failure code {code!r}; known: {', '.join(NEGOTIATION_CODES)}"
            )
        with self._lock:
            self._live_connection(connection_id)
            if code is None:
                self._forced_negotiation.pop(connection_id, None)
            else:
                self._forced_negotiation[connection_id] = code

    # -- reading the world ------------------------------------------------------------------

    def gateways(self) -> list[Gateway]:
        """Every gateway, in creation order."""
        with self._lock:
            return list(self._gateways.values())

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
            and all(k in g.tags and v in (None, g.tags[k]) for k, v in tags)
        ]

    def find_connections(
        self,
        *,
        gateway_id: str | None = None,
        connection_id: str | None = None,
        customer_gateway_id: str | None = None,
    ) -> list[Connection]:
        """Live connections matching every given filter."""
        return [
            c
            for c in self.connections(gateway_id)
            if connection_id in (None, c.id)
            and customer_gateway_id in (None, c.customer_gateway_id)
        ]

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
        with self._lock:
            if client_token is not None and client_token in self._tokens:
                previous, diagnose_id = self._tokens[client_token]
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
            if (
                connection is None
                or connection.deleted_at is not None
                or connection.gateway_id != gateway_id
            ):
                raise errors.connection_not_found()
            diagnosis = self._new_diagnosis(gateway, connection, resource_type, extend_info)
            if client_token is not None:
                self._tokens[client_token] = (fingerprint, diagnosis.id)
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
        gateway_id: str,
        connection_ids: Sequence[str] = (),
        tunnel_ids: Sequence[str] = (),
        now: datetime,
    ) -> list[TunnelNegotiation]:
        """DiagnoseVpnConnections: each tunnel of the gateway's live connections, filtered.

        A failure is dated a few seconds to minutes before ``now`` (seeded by the tunnel): the
        real check only reflects the last minutes of negotiation.
        """
        with self._lock:
            gateway = self._gateways.get(gateway_id)
            if gateway is None:
                raise errors.gateway_not_found()
            if gateway.status != "active":
                raise errors.gateway_configuring()
            connections = [
                c
                for c in self.connections(gateway_id)
                if not connection_ids or c.id in connection_ids
            ]
            codes = {
                c.id: self._forced_negotiation.get(c.id)
                or negotiation_code(
                    self._cloud.seed,
                    c.id,
                    self._health.get(c.id) or seeded_profile(self._cloud.seed, c.id),
                )
                for c in connections
            }
        rows = []
        for connection in connections:
            code = codes[connection.id]
            for tunnel_id in connection.tunnel_ids:
                if tunnel_ids and tunnel_id not in tunnel_ids:
                    continue
                if code is None:
                    rows.append(TunnelNegotiation(connection.id, tunnel_id, None, None))
                    continue
                failure = NEGOTIATION_FAILURES[code]
                ago = seeded_rng(self._cloud.seed, tunnel_id, "failed").randint(5, 240)
                at = now - timedelta(seconds=ago)
                local, remote, log = render_failure(
                    failure, local_ip=gateway.internet_ip, peer_ip=connection.customer_ip, at=at
                )
                rows.append(
                    TunnelNegotiation(connection.id, tunnel_id, failure, at, local, remote, log)
                )
        return rows

    # -- internals --------------------------------------------------------------------------

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
