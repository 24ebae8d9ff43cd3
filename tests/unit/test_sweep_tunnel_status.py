"""The sweep's per-tick tunnel status records: one per tunnel, deterministic ids, once per tick.

Connection shapes come from the SDK models (``DescribeVpnConnectionsResponseBody...``): a
dual-tunnel connection lists its tunnels with ``Role`` and ``Status`` in
``TunnelOptionsSpecification.TunnelOptions[]``; a transit-router one has no ``VpnGatewayId``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import sdk_bodies
from vpndiag.archive import lease
from vpndiag.errors import ArchiveInProgress
from vpndiag.http.deadline import Deadline
from vpndiag.model.connection import VpnConnection, connection_from_api
from vpndiag.store.logs import SqliteLogStore
from vpndiag.store.objects import FilesystemObjectStore
from vpndiag.sweep.tunnel_status import TunnelStatusLog, records_for

TICK = "2026-11-20T09:00:00Z"
REGION = "cn-hangzhou"
DUAL = [
    ("tun-aaaa1111", "master", "ipsec_sa_established"),
    ("tun-bbbb2222", "slave", "ike_sa_not_established"),
]


def _connections() -> list[VpnConnection]:
    return [
        connection_from_api(sdk_bodies.connection("vco-dual1111", "vpn-gw111111", tunnels=DUAL)),
        connection_from_api(sdk_bodies.connection("vco-single11", "vpn-gw111111")),
        connection_from_api(sdk_bodies.connection("vco-trtr1111", None, tunnels=DUAL)),
    ]


def _records() -> list[dict[str, str]]:
    records = records_for(
        TICK, REGION, _connections(), gateway_names={"vpn-gw111111": "gw-one"}, now=1_763_629_200
    )
    return [dict(r.contents) for r in records]


def test_one_record_per_tunnel_and_one_per_single_tunnel_connection() -> None:
    """Two tunnels, one single-tunnel connection, two transit-router tunnels: five records."""
    assert [(r["connection_id"], r["tunnel_id"]) for r in _records()] == [
        ("vco-dual1111", "tun-aaaa1111"),
        ("vco-dual1111", "tun-bbbb2222"),
        ("vco-single11", ""),
        ("vco-trtr1111", "tun-aaaa1111"),
        ("vco-trtr1111", "tun-bbbb2222"),
    ]


def test_a_record_carries_role_status_state_names_and_tick() -> None:
    """The down slave: its role, verbatim status, up=false, names and the tick."""
    slave = _records()[1]

    assert {k: slave[k] for k in ("record_type", "role", "status", "up", "state")} == {
        "record_type": "tunnel_status",
        "role": "slave",
        "status": "ike_sa_not_established",
        "up": "false",
        "state": "active",
    }
    assert (slave["gateway_name"], slave["connection_name"], slave["tick"], slave["region"]) == (
        "gw-one",
        "name-of-vco-dual1111",
        TICK,
        REGION,
    )


def test_a_transit_router_record_has_no_gateway() -> None:
    """The gateway fields are empty; the router is named."""
    record = _records()[3]

    assert (record["gateway_id"], record["transit_router_id"], record["attach_type"]) == (
        "",
        "tr-router0001",
        "CEN",
    )


def test_record_ids_are_deterministic_and_distinct() -> None:
    """The same tick gives the same ids; no two records share one."""
    first, second = _records(), _records()

    assert [r["record_id"] for r in first] == [r["record_id"] for r in second]
    assert len({r["record_id"] for r in first}) == len(first)


def _log(tmp_path: Path) -> tuple[TunnelStatusLog, SqliteLogStore]:
    logs = SqliteLogStore(tmp_path / "logs.sqlite3")
    return TunnelStatusLog(FilesystemObjectStore(tmp_path / "objects"), logs, ""), logs


def _write(log: TunnelStatusLog) -> int:
    records = records_for(TICK, REGION, _connections(), gateway_names={}, now=1_763_629_200)
    return log.write(TICK, records, now=1_763_629_200.0, deadline=Deadline.after(30))


def test_a_replayed_tick_writes_nothing_twice(tmp_path: Path) -> None:
    """The second write of the same tick finds the marker and writes nothing."""
    log, logs = _log(tmp_path)

    assert (_write(log), _write(log)) == (5, 0)
    assert len(logs.rows("record_type = 'tunnel_status'")) == 5


def test_a_concurrent_attempt_of_the_tick_steps_back(tmp_path: Path) -> None:
    """While another attempt holds the tick's lease, this one raises a retryable error."""
    log, _ = _log(tmp_path)
    objects = FilesystemObjectStore(tmp_path / "objects")
    lease.take(objects, log.key(TICK) + ".pending", subject="s", now=1_763_629_200.0, duration=60)

    with pytest.raises(ArchiveInProgress) as raised:
        _write(log)
    assert raised.value.retryable
