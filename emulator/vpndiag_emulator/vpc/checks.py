"""The seven checks of a VPN gateway diagnosis and their realistic, reproducible outcomes.

Each connection has a health profile: a level per check, drawn once from the cloud seed and the
connection id (mostly all normal, some warnings, a few errors), or scripted with ``set_health``.
Each diagnosis then renders descriptions in the reference shapes, with values drawn from the
seed and the diagnosis id. Descriptions never contain the pre-shared key.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, get_args

from vpndiag_emulator.core.ids import seeded_rng

Level = Literal["normal", "warning", "error"]
LEVELS: Final[tuple[Level, ...]] = get_args(Level)
_LEVEL_BY_NAME: Final[dict[str, Level]] = {level: level for level in LEVELS}

CHECK_NAMES: Final = (
    "RouteEntryConflict",
    "VpnRouteQuota",
    "VpnIPsecQuota",
    "VpnPbrRouteQuota",
    "VcoConfigConsistency",
    "VcoUserInternetIpConnectivity",
    "VcoPrivateConnectivity",
)

# (quota name, limit) per quota check.
_QUOTAS: Final = {
    "VpnRouteQuota": ("vpn_gateway_route_entry_quota", 100),
    "VpnIPsecQuota": ("vpn_gateway_ipsec_connection_quota", 10),
    "VpnPbrRouteQuota": ("vpn_gateway_pbr_route_entry_quota", 100),
}

# The IKE/IPsec settings the emulated gateways run; the peer's differ in the config-diff error.
LOCAL_IKE: Final = {
    "IkeVersion": "ikev2",
    "IkeMode": "main",
    "IkeEncAlg": "aes",
    "IkeAuthAlg": "sha1",
}
LOCAL_IPSEC: Final = {"IpsecEncAlg": "aes", "IpsecAuthAlg": "sha1", "IpsecPfs": "group2"}
_PEER_DIFF: Final = {"IkeEncAlg": "aes256", "IkeAuthAlg": "sha256"}


@dataclass(frozen=True)
class CheckResult:
    """One finished check, as ``DiagnoseResult[]`` renders it."""

    name: str
    level: Level
    description: str
    """A JSON document, the way the API carries it: inside a string."""


@dataclass(frozen=True)
class CheckTarget:
    """What the checks look at: addresses and subnets of the diagnosed connection."""

    gateway_id: str
    customer_ip: str
    private_source_ip: str
    private_destination_ip: str
    local_subnet: str
    remote_subnet: str


def validate_levels(levels: Mapping[str, str]) -> dict[str, Level]:
    """Check names and levels of a scripted profile; unlisted checks are ``normal``."""
    profile: dict[str, Level] = dict.fromkeys(CHECK_NAMES, "normal")
    for name, level in levels.items():
        if name not in profile:
            raise ValueError(f"unknown check {name!r}; known: {', '.join(CHECK_NAMES)}")
        known = _LEVEL_BY_NAME.get(level)
        if known is None:
            raise ValueError(f"unknown level {level!r} for {name}; known: {', '.join(LEVELS)}")
        profile[name] = known
    return profile


def seeded_profile(seed: int, connection_id: str) -> dict[str, Level]:
    """The connection's default health: ~65 % healthy, ~20 % one warning, ~15 % errors."""
    rng = seeded_rng(seed, connection_id, "profile")
    profile: dict[str, Level] = dict.fromkeys(CHECK_NAMES, "normal")
    roll = rng.random()
    if roll < 0.65:
        pass
    elif roll < 0.75:
        profile[rng.choice(tuple(_QUOTAS))] = "warning"
    elif roll < 0.85:
        profile[rng.choice(("VcoUserInternetIpConnectivity", "VcoPrivateConnectivity"))] = "warning"
    elif roll < 0.93:
        # The peer's public address is unreachable, so nothing crosses the tunnel either.
        profile["VcoUserInternetIpConnectivity"] = "error"
        profile["VcoPrivateConnectivity"] = "error"
    else:
        # Mismatched IKE settings: the tunnel cannot negotiate, private traffic fails.
        profile["VcoConfigConsistency"] = "error"
        profile["VcoPrivateConnectivity"] = "error"
    return profile


def run_checks(
    profile: Mapping[str, Level], target: CheckTarget, rng: random.Random
) -> tuple[CheckResult, ...]:
    """All seven results, in the order the diagnosis finishes them."""
    results = []
    for name in CHECK_NAMES:
        level = profile[name]
        if name in _QUOTAS:
            payload = _quota(name, level, rng)
        elif name == "RouteEntryConflict":
            payload = _route_conflict(level, target)
        elif name == "VcoConfigConsistency":
            payload = _config_consistency(level, target)
        elif name == "VcoUserInternetIpConnectivity":
            payload = {"targetIp": target.customer_ip, **_probe(level, rng)}
        else:
            payload = {
                "targetIp": target.private_destination_ip,
                "srcIp": target.private_source_ip,
                **_probe(level, rng),
            }
        results.append(CheckResult(name, level, json.dumps(payload, separators=(",", ":"))))
    return tuple(results)


def _quota(name: str, level: Level, rng: random.Random) -> dict[str, object]:
    quota_name, limit = _QUOTAS[name]
    if level == "normal":
        used = rng.randint(1, int(limit * 0.7))
    elif level == "warning":
        used = rng.randint(int(limit * 0.8) + 1, limit - 1)
    else:
        used = limit
    return {"quotaName": quota_name, "quantity": limit, "used": used}


def _probe(level: Level, rng: random.Random) -> dict[str, object]:
    if level == "error":
        return {"rtt": -1.0, "lossRate": 100.0}
    if level == "warning":
        return {
            "rtt": round(rng.uniform(180.0, 450.0), 1),
            "lossRate": float(rng.choice((0, 5, 10))),
        }
    return {"rtt": round(rng.uniform(2.0, 60.0), 1), "lossRate": 0.0}


def _route_conflict(level: Level, target: CheckTarget) -> dict[str, object]:
    if level == "normal":
        return {"conflictRoutes": []}
    # A VPC route to the peer's subnet that does not point at this gateway shadows the tunnel.
    return {
        "conflictRoutes": [
            {
                "destinationCidrBlock": target.remote_subnet,
                "nextHopType": "Instance" if level == "error" else "VpnGateway",
                "vpnGatewayId": target.gateway_id,
            }
        ]
    }


def _config_consistency(level: Level, target: CheckTarget) -> dict[str, object]:
    local = {
        "IkeConfig": dict(LOCAL_IKE),
        "IpsecConfig": dict(LOCAL_IPSEC),
        "LocalSubnet": target.local_subnet,
        "RemoteSubnet": target.remote_subnet,
    }
    if level == "warning":
        return {
            "vcoLackConf": ["IkeConfig", "IpsecConfig"],
            "vcoRunningConf": {},
            "vcoDiffConf": [],
            "vcoConf": local,
        }
    if level == "error":
        running_ike = {**LOCAL_IKE, **_PEER_DIFF}
        diff = [
            {"name": f"IkeConfig.{key}", "local": LOCAL_IKE[key], "peer": value}
            for key, value in _PEER_DIFF.items()
        ]
        running = {**local, "IkeConfig": running_ike}
        return {"vcoLackConf": [], "vcoRunningConf": running, "vcoDiffConf": diff, "vcoConf": local}
    return {"vcoLackConf": [], "vcoRunningConf": local, "vcoDiffConf": [], "vcoConf": local}


# -- IPsec negotiation (DiagnoseVpnConnections) ---------------------------------------------------
#
# A connection whose internet path, configuration or private path is at ``error`` cannot keep its
# tunnels up; DiagnoseVpnConnections says why per tunnel. The code follows from the profile (the
# same seed and connection always give the same code) unless a test forces one.

Severity = Literal["Critical", "Warn", "Normal"]


@dataclass(frozen=True)
class NegotiationFailure:
    """One failure code with its reason text, mismatched values and a charon-style log line."""

    code: str
    reason: str
    local_param: str
    remote_param: str
    severity: Severity
    log: str
    """A ``str.format`` template over ``local`` and ``peer`` (the two public IPs)."""


_IKE_LOCAL = "IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024"
_IKE_PEER = "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"

NEGOTIATION_FAILURES: Final[Mapping[str, NegotiationFailure]] = {
    failure.code: failure
    for failure in (
        NegotiationFailure(
            "Phase1NegotiationTimeout",
            "IKE phase 1 negotiation timed out: the peer did not answer.",
            "",
            "",
            "Critical",
            "09[IKE] sending retransmit 5 of request message ID 0, seq 1 to {peer}[500] from "
            "{local}[500]; giving up after 5 retransmits, establishing IKE_SA failed, "
            "peer not responding",
        ),
        NegotiationFailure(
            "PeerMismatch",
            "The identity the peer presented does not match the connection's RemoteId.",
            "{peer}",
            "peer-fw.example.com",
            "Critical",
            "12[IKE] received IDi 'peer-fw.example.com' from {peer}[4500] to {local}[4500], "
            "does not match configured '{peer}'; sending AUTHENTICATION_FAILED",
        ),
        NegotiationFailure(
            "AlgorithmMismatch",
            "No proposal chosen: the peer offered no IKE proposal that the connection accepts.",
            "aes-sha1-group2",
            "aes256-sha256-group14",
            "Critical",
            f"07[IKE] received proposals: {_IKE_PEER} from {{peer}}[500] to {{local}}[500]; "
            f"configured proposals: {_IKE_LOCAL}; received NO_PROPOSAL_CHOSEN",
        ),
        NegotiationFailure(
            "EncryptionAlgorithmMismatch",
            "The IKE encryption algorithms of the two ends differ.",
            LOCAL_IKE["IkeEncAlg"],
            _PEER_DIFF["IkeEncAlg"],
            "Critical",
            "07[IKE] {peer}[500] proposes encryption AES_CBC_256, {local}[500] is configured for "
            "AES_CBC_128; received NO_PROPOSAL_CHOSEN",
        ),
        NegotiationFailure(
            "AuthenticationAlgorithmMismatch",
            "The IKE authentication algorithms of the two ends differ.",
            LOCAL_IKE["IkeAuthAlg"],
            _PEER_DIFF["IkeAuthAlg"],
            "Critical",
            "07[IKE] {peer}[500] proposes integrity HMAC_SHA2_256_128, {local}[500] is configured "
            "for HMAC_SHA1_96; received NO_PROPOSAL_CHOSEN",
        ),
        NegotiationFailure(
            "DhGroupMismatch",
            "The IPsec (phase 2) DH groups of the two ends differ; the IKE SA is up.",
            LOCAL_IPSEC["IpsecPfs"],
            "group14",
            "Warn",
            "15[IKE] CHILD_SA negotiation with {peer}[4500] from {local}[4500] failed: "
            "peer proposes MODP_2048, configured MODP_1024; NO_PROPOSAL_CHOSEN",
        ),
    )
}
NEGOTIATION_CODES: Final = tuple(NEGOTIATION_FAILURES)


def negotiation_code(seed: int, connection_id: str, profile: Mapping[str, Level]) -> str | None:
    """The failure a connection's tunnels report for its profile; ``None`` when they are up.

    An unreachable peer never answers IKE; a configuration difference is one of the algorithm
    mismatches; a private path down with both of those fine is an identity or phase 2 problem.
    """
    if profile["VcoUserInternetIpConnectivity"] == "error":
        return "Phase1NegotiationTimeout"
    rng = seeded_rng(seed, connection_id, "negotiation")
    if profile["VcoConfigConsistency"] == "error":
        return rng.choice(
            ("AlgorithmMismatch", "EncryptionAlgorithmMismatch", "AuthenticationAlgorithmMismatch")
        )
    if profile["VcoPrivateConnectivity"] == "error":
        return rng.choice(("PeerMismatch", "DhGroupMismatch"))
    return None


def render_failure(
    failure: NegotiationFailure, *, local_ip: str, peer_ip: str, at: datetime
) -> tuple[str, str, str]:
    """(MismatchLocalParam, MismatchRemoteParam, SourceLog) with both public IPs filled in.

    The log line names both addresses, as the real one does: it is the sensitive field.
    """
    local, remote = (
        value.format(local=local_ip, peer=peer_ip)
        for value in (failure.local_param, failure.remote_param)
    )
    stamp = at.strftime("%Y-%m-%d %H:%M:%S")
    log = f"{stamp} charon: " + failure.log.format(local=local_ip, peer=peer_ip)
    return local, remote, log


# The negotiation states DescribeVpnConnections reports (``Status`` of a single-tunnel connection,
# ``TunnelOptions[].Status`` of a tunnel), as the SDK model's docstring lists them.
SaStatus = Literal[
    "ike_sa_not_established",
    "ike_sa_established",
    "ipsec_sa_not_established",
    "ipsec_sa_established",
]
# Only the DH group mismatch is a phase 2 (CHILD_SA) failure: the IKE SA itself is up.
_PHASE_TWO_CODES: Final = frozenset({"DhGroupMismatch"})


def sa_status(code: str | None) -> SaStatus:
    """The negotiation state that a failure code (``None``: no failure) leaves a tunnel in."""
    if code is None:
        return "ipsec_sa_established"
    if code in _PHASE_TWO_CODES:
        return "ipsec_sa_not_established"
    return "ike_sa_not_established"
