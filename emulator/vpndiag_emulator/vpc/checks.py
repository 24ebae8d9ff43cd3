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
