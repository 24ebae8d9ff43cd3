"""A degraded connection (dual-tunnel, slave down) as every output shows it: log records, events,
``vpndiag history``, the report page and the daily message; names next to ids everywhere.

Statuses and roles are the SDK model's (alibabacloud_vpc20160428, DescribeVpnConnectionsResponseBody
``TunnelOptions.Role`` master/slave, ``Status`` ipsec_sa_established / ipsec_sa_not_established).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.unit.test_report_support import PERIOD, T0, Archive
from vpndiag import cli
from vpndiag.archive.records import transition_records
from vpndiag.health import events
from vpndiag.health.actions import Action, load
from vpndiag.health.history import changes
from vpndiag.health.store import Snapshot, StateStore
from vpndiag.health.thresholds import Thresholds
from vpndiag.model.connection import Tunnel, VpnConnection
from vpndiag.model.summary import DiagnosisSummary
from vpndiag.report import build, html, message
from vpndiag.report.collect import read_summary

CONNECTION = "vco-conn0001"
MASTER, SLAVE = "tun-master0001", "tun-slave00001"
UP, DOWN = "ipsec_sa_established", "ipsec_sa_not_established"
NOW = int((T0 + timedelta(days=1)).timestamp())


def _described(slave: str = DOWN) -> VpnConnection:
    return VpnConnection(
        connection_id=CONNECTION,
        name="office-link",
        gateway_id="vpn-gw0000000001",
        gateway_name="hangzhou-gw",
        tunnels=(
            Tunnel(tunnel_id=MASTER, role="master", status=UP, peer_ip="198.51.100.10"),
            Tunnel(tunnel_id=SLAVE, role="slave", status=slave, peer_ip="198.51.100.11"),
        ),
    )


def _down_action() -> Action:
    action = load().for_tunnel("down")
    assert action is not None
    return action


def _degraded(tmp: Path) -> tuple[Archive, DiagnosisSummary, Snapshot]:
    archive = Archive(tmp)
    archive.diagnose(CONNECTION, T0, described=_described(UP))
    snapshot = archive.diagnose(CONNECTION, T0 + timedelta(hours=1), described=_described())
    summary = read_summary(archive.objects.get(snapshot.archive_key) or b"")
    return archive, summary, snapshot


def test_the_degraded_transition_record_names_the_down_tunnel(tmp_path: Path) -> None:
    """record_type transition, to_level degraded, with the slave's id, role and status."""
    _, summary, snapshot = _degraded(tmp_path)
    (record,) = [
        r
        for r in transition_records(summary, snapshot, now=NOW)
        if r.contents["record_type"] == "transition"
    ]
    contents = record.contents
    assert (contents["from_level"], contents["to_level"]) == ("normal", "degraded")
    assert (contents["tunnel_id"], contents["tunnel_role"], contents["tunnel_status"]) == (
        SLAVE,
        "slave",
        DOWN,
    )
    assert [t["tunnel_id"] for t in json.loads(contents["tunnels"])] == [MASTER, SLAVE]


def test_a_tunnel_change_is_a_tunnel_transition_record(tmp_path: Path) -> None:
    """The slave's own change is a record of type tunnel_transition, with a stable id."""
    _, summary, snapshot = _degraded(tmp_path)
    (record,) = [
        r
        for r in transition_records(summary, snapshot, now=NOW)
        if r.contents["record_type"] == "tunnel_transition"
    ]
    assert record.contents["record_id"] == f"{summary.diagnose_id}/tunnel_transition/0"
    assert (record.contents["tunnel_id"], record.contents["to_level"]) == (SLAVE, "down")


def test_every_record_carries_the_names_and_peer(tmp_path: Path) -> None:
    """Gateway name, connection name and the master's peer address, next to their ids."""
    _, summary, snapshot = _degraded(tmp_path)
    for record in transition_records(summary, snapshot, now=NOW):
        assert (
            record.contents["gateway_name"],
            record.contents["connection_name"],
            record.contents["peer_ip"],
        ) == ("hangzhou-gw", "office-link", "198.51.100.10")


def test_the_state_changed_event_carries_the_tunnels_and_their_action(tmp_path: Path) -> None:
    """data.tunnels lists both tunnels, data.tunnel_actions the slave's action, and the
    identity names the connection, gateway and peer."""
    _, summary, snapshot = _degraded(tmp_path)
    (move,) = [t for t in snapshot.transitions if t.scope == "connection"]
    advice = {SLAVE: _down_action()}
    data = events.state_changed(move, summary, None, {}, "oss://a", tunnel_actions=advice)["data"]
    assert [t["level"] for t in data["tunnels"]] == ["up", "down"]
    assert [(a["tunnel_id"], a["key"]) for a in data["tunnel_actions"]] == [(SLAVE, "tunnels.down")]
    assert (data["connection_name"], data["gateway_name"], data["peer_ip"]) == (
        "office-link",
        "hangzhou-gw",
        "198.51.100.10",
    )


def test_a_tunnel_event_names_its_tunnel_and_no_check_action(tmp_path: Path) -> None:
    """A tunnel-scope event: data.tunnel, the tunnel's action, none of the checks'."""
    _, summary, snapshot = _degraded(tmp_path)
    (move,) = [t for t in snapshot.transitions if t.scope == "tunnel"]
    table = load()
    checks = {"VpnIPsecQuota": table.for_check("VpnIPsecQuota", "warning")}
    advice = {SLAVE: _down_action()}
    event = events.state_changed(move, summary, None, checks, "oss://a", tunnel_actions=advice)
    data = event["data"]
    assert (data["tunnel"]["tunnel_id"], data["tunnel"]["role"]) == (SLAVE, "slave")
    assert (data["actions"], [a["tunnel_id"] for a in data["tunnel_actions"]]) == ([], [SLAVE])
    assert event["id"] == move.event_id


def test_history_lists_the_tunnel_change_and_the_down_tunnel(tmp_path: Path) -> None:
    """The timeline has the connection's change (naming the down tunnel) and the tunnel's own."""
    archive, _, _ = _degraded(tmp_path)
    moves = changes(StateStore(archive.objects).history(CONNECTION))
    assert [(m.scope, m.tunnel_id, m.to_level) for m in moves] == [
        ("connection", None, "degraded"),
        ("tunnel", SLAVE, "down"),
    ]
    assert moves[0].tunnels == (f"{SLAVE} (slave) down: {DOWN}",)


def test_history_shows_a_root_cause_without_answer_as_such(tmp_path: Path) -> None:
    """A tunnel the root cause heard nothing about reads 'no answer', not as healthy."""
    _, _, snapshot = _degraded(tmp_path)
    silent = {
        "tunnel_id": SLAVE,
        "role": "slave",
        "answered": False,
        "failed_reason_code": "",
        "source_log_note": "DiagnoseVpnConnections returned nothing for this tunnel",
    }
    kept = snapshot.model_copy(update={"root_cause": {"tunnels": [silent]}})
    (move, _) = changes(iter([kept]))
    assert move.root_cause == (
        f"{SLAVE} (slave): no answer (DiagnoseVpnConnections returned nothing for this tunnel)",
    )


def test_the_history_command_prints_names_peer_and_tunnels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """vpndiag history: the connection's and gateway's names, the peer, each tunnel's state."""
    _degraded(tmp_path)
    assert cli.main(["history", CONNECTION, "--archive", f"file:{tmp_path}"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(
        f"{CONNECTION} office-link (gateway vpn-gw0000000001 hangzhou-gw, cn-hangzhou, "
        "peer 198.51.100.10): now DEGRADED"
    )
    assert f"tunnel {SLAVE} (slave): down, {DOWN}" in out
    assert f"not up: {SLAVE} (slave) down: {DOWN}" in out


def _report(tmp: Path) -> build.Report:
    archive, _, _ = _degraded(tmp)
    return build.build(
        archive.objects, "", PERIOD, actions=load(), thresholds=Thresholds(), source="file:x"
    )


def test_the_report_shows_a_degraded_row_with_names_and_tunnels(tmp_path: Path) -> None:
    """The estate row: degraded badge, the connection's name beside its id, the gateway's name,
    and the tunnel table with the slave down."""
    page = html.render(_report(tmp_path))
    assert 'class="badge lv-degraded"' in page
    assert f'<code>{CONNECTION}</code> <span class="mute">office-link</span>' in page
    assert '<span class="mute">hangzhou-gw</span>' in page
    assert f"<td>slave</td><td><code>{SLAVE}</code></td><td>{DOWN}</td><td>down</td>" in page


def test_the_report_gives_the_down_tunnel_its_action(tmp_path: Path) -> None:
    """No root cause: the down tunnel still appears with the table's tunnel action."""
    (row,) = _report(tmp_path).rows
    (tunnel,) = row.history.tunnels
    assert (tunnel.tunnel_id, tunnel.role, tunnel.code) == (SLAVE, "slave", "down")
    assert tunnel.action is not None
    assert tunnel.action.key == "tunnels.down"


def test_the_daily_message_names_the_connection_and_gateway(tmp_path: Path) -> None:
    """The attention entry and the robot's line carry the names next to the ids."""
    document = message.build_message(_report(tmp_path), day="2026-11-02", location="x", url=None)
    (entry,) = document["attention"]
    assert (entry["level"], entry["connection_name"], entry["gateway_name"]) == (
        "degraded",
        "office-link",
        "hangzhou-gw",
    )
    assert (
        f"{CONNECTION} office-link (vpn-gw0000000001 hangzhou-gw"
        in (document["dingtalk"]["markdown"]["text"])
    )
