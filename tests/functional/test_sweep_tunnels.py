"""The sweep against the emulator: dual tunnels logged every tick, transit-router connections
skipped with a reason, and the archive refusing an event about a transit-router connection.

Vendor facts: DescribeVpnConnections lists a dual-tunnel connection's tunnels in
``TunnelOptionsSpecification.TunnelOptions[]`` (SDK model); a connection attached to a transit
router has no ``VpnGatewayId`` (SDK model; ``AttachType`` CEN), and DiagnoseVpnGateway requires a
``VpnGatewayId`` (its API page and ``DiagnoseVpnGatewayRequest``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vpndiag import config
from vpndiag.app import ArchiveApp
from vpndiag.credentials import Credentials
from vpndiag.errors import UnsupportedConnection
from vpndiag.events import DiagnosisRequest
from vpndiag.http.deadline import Deadline
from vpndiag.local_context import LocalContext
from vpndiag.sweep import settings as sweep_settings
from vpndiag.sweep.runner import SweepApp
from vpndiag_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Cloud

HZ = "cn-hangzhou"
KEYS = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
TICK = json.dumps({"triggerTime": "2026-11-20T09:00:00Z", "triggerName": "t", "payload": ""})


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    cloud = Cloud(seed=11, diagnosis_duration=0.0)
    with cloud.mock():
        yield cloud


def _environ(tmp: Path) -> dict[str, str]:
    return {
        "VPNDIAG_OBJECT_STORE": f"file:{tmp / 'archive'}",
        "VPNDIAG_LOG_STORE": f"sqlite:{tmp / 'logs.sqlite3'}",
        "VPNDIAG_POLL_INTERVAL": "0.01",
        "VPNDIAG_WRITE_RESERVE": "0",
    }


def _sweep(tmp: Path) -> dict[str, Any]:
    environ = {**_environ(tmp), "VPNDIAG_SWEEP_REGIONS": HZ}
    swept, shared = sweep_settings.load(environ)
    app = SweepApp(config.load(shared), swept, environ={}, explicit_credentials=KEYS)
    return app.handle(TICK, LocalContext.for_function("sweep", timeout=60))


def _tunnel_rows(tmp: Path) -> list[dict[str, str]]:
    with sqlite3.connect(tmp / "logs.sqlite3") as db:
        rows = db.execute("SELECT contents FROM records WHERE record_type = 'tunnel_status'")
        return [json.loads(r[0]) for r in rows]


def test_every_tunnel_is_logged_with_names_and_peer(cloud: Cloud, tmp_path: Path) -> None:
    """A dual-tunnel connection gives two records, master and slave, named, with the peer."""
    vpc = cloud.vpc(HZ)
    gateway = vpc.add_gateway(name="gw-main")
    connection = vpc.add_connection(gateway.id, name="to-dc", customer_ip="203.0.113.7")

    _sweep(tmp_path)

    rows = [r for r in _tunnel_rows(tmp_path) if r["connection_id"] == connection.id]
    assert sorted(r["tunnel_id"] for r in rows) == sorted(connection.tunnel_ids)
    assert {(r["gateway_name"], r["connection_name"], r["peer_ip"]) for r in rows} == {
        ("gw-main", "to-dc", "203.0.113.7")
    }
    assert {r["role"] for r in rows} == {"master", "slave"}


def test_a_replayed_tick_logs_no_tunnel_twice(cloud: Cloud, tmp_path: Path) -> None:
    """The platform retrying the same tick writes no second set of tunnel records."""
    vpc = cloud.vpc(HZ)
    vpc.add_connection(vpc.add_gateway().id)

    first = _sweep(tmp_path)
    second = _sweep(tmp_path)

    assert (first["tunnel_records"], second["tunnel_records"]) == (2, 0)
    assert len(_tunnel_rows(tmp_path)) == 2


def test_a_transit_router_connection_is_skipped_with_its_reason(
    cloud: Cloud, tmp_path: Path
) -> None:
    """No DiagnoseVpnGateway for it; a skipped item naming the router; its tunnels logged."""
    vpc = cloud.vpc(HZ)
    vpc.add_connection(vpc.add_gateway().id)
    attached = vpc.add_transit_router_connection(transit_router_name="tr-one")

    report = _sweep(tmp_path)

    (outcome,) = [o for o in report["outcomes"] if o.get("connection_id") == attached.id]
    assert (outcome["status"], outcome["code"]) == ("skipped", "TransitRouterAttachment")
    assert "transit router" in outcome["detail"]
    assert {r["connection_id"] for r in _tunnel_rows(tmp_path)} >= {attached.id}
    started = [r for r in cloud.requests if r.action == "DiagnoseVpnGateway"]
    assert len(started) == 1


def test_an_event_about_a_transit_router_connection_gets_a_typed_error(
    cloud: Cloud, tmp_path: Path
) -> None:
    """A health event naming it (no gateway) is refused with UnsupportedConnection, not a crash
    and not "does not know it"."""
    attached = cloud.vpc(HZ).add_transit_router_connection()
    app = ArchiveApp(config.load(_environ(tmp_path)), environ={}, explicit_credentials=KEYS)
    request = DiagnosisRequest(
        region=HZ, correlation_id="e1", connection_id=attached.id, shape="health", start_key="e1"
    )

    with pytest.raises(UnsupportedConnection, match="transit router"):
        app.archive(request, Deadline.after(30))
