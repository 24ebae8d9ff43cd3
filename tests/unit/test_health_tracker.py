"""The health tracker over the embedded object store: state, root cause, events, once each."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from vpndiag.archive.layout import keys_for
from vpndiag.errors import ThrottledError
from vpndiag.health.actions import load
from vpndiag.health.rootcause import RootCause
from vpndiag.health.store import StateStore
from vpndiag.health.thresholds import Thresholds
from vpndiag.health.tracker import HealthTracker
from vpndiag.health.transitions import Rule
from vpndiag.http.deadline import Deadline
from vpndiag.model.connection import Tunnel, VpnConnection
from vpndiag.model.response import parse_result
from vpndiag.model.summary import DiagnosisSummary
from vpndiag.normalize import normalize
from vpndiag.store.objects import FilesystemObjectStore

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
CONNECTION = "vco-abcd1234"


def _summary(n: int, level: str) -> DiagnosisSummary:
    begin = T0 + timedelta(minutes=5 * n)
    body = {
        "DiagnoseId": f"vpndgn-{n:08d}",
        "VpnGatewayId": "vpn-abcd1234",
        "ResourceInstanceId": CONNECTION,
        "ResourceType": "IPsec",
        "BeginTime": begin.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "FinishTime": (begin + timedelta(seconds=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "FinishedCount": 1,
        "TotalCount": 1,
        "DiagnoseResult": [
            {
                "DiagnoseName": "VcoUserInternetIpConnectivity",
                "DiagnoseResultLevel": level,
                "DiagnoseResultDescription": json.dumps(
                    {
                        "targetIp": "203.0.113.7",
                        "rtt": -1 if level == "error" else 10,
                        "lossRate": 100 if level == "error" else 0,
                    }
                ),
            }
        ],
    }
    return normalize(parse_result(body), region="cn-hangzhou")


class Recorder:
    """Collects published events; can be told to fail the next calls."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.failures = 0

    def __call__(self, events: list[dict[str, Any]], deadline: Deadline) -> None:
        if self.failures:
            self.failures -= 1
            raise ThrottledError(
                service="eventbridge", code="TooManyRequests", message="m", status=429
            )
        self.events.extend(events)


class RootCauses:
    def __init__(self) -> None:
        self.calls = 0
        self.connections: list[VpnConnection | None] = []
        self.tunnel_ids: list[str | None] = []

    def __call__(
        self,
        *,
        region: str,
        gateway_id: str,
        connection_id: str,
        connection: VpnConnection | None,
        tunnel_id: str | None,
        deadline: Deadline,
    ) -> RootCause:
        self.calls += 1
        self.connections.append(connection)
        self.tunnel_ids.append(tunnel_id)
        return RootCause.model_validate(
            {
                "region": region,
                "gateway_id": gateway_id,
                "connection_id": connection_id,
                "redaction": "ips",
                "tunnels": [
                    {
                        "connection_id": connection_id,
                        "tunnel_id": "tun-abcd1234",
                        "failed_reason_code": "Phase1NegotiationTimeout",
                        "failed_reason": f"no answer (call {self.calls})",
                        "failed_time": None,
                        "mismatch_local_param": "",
                        "mismatch_remote_param": "",
                        "severity": "Critical",
                        "source_log": None,
                        "action": load().for_negotiation("Phase1NegotiationTimeout").model_dump(),
                        "extra": {},
                    }
                ],
            }
        )


def _tracker(tmp: Path, publisher: Recorder, causes: RootCauses) -> HealthTracker:
    return HealthTracker(
        objects=FilesystemObjectStore(tmp),
        rule=Rule(confirm=2, window=3),
        thresholds=Thresholds(),
        actions=load(),
        root_cause=causes,
        publisher=publisher,
    )


def _track(tracker: HealthTracker, summary: DiagnosisSummary) -> Any:
    return tracker.track(summary, keys_for(summary), Deadline.after(30))


def _changes(events: list[dict[str, Any]]) -> list[tuple[str | None, str]]:
    return [
        (e["data"]["transition"]["from"], e["data"]["transition"]["to"])
        for e in events
        if e["type"] == "vpndiag:Connection:StateChanged"
        and e["data"]["transition"]["scope"] == "connection"
    ]


SCRIPT = ["normal", "error", "error", "normal", "normal"]


def test_a_scripted_sequence_yields_each_transition_and_event_once(tmp_path: Path) -> None:
    """normal, error, error, normal, normal (2-of-3): one 'down', one 'up', one archived event each."""
    publisher = Recorder()
    tracker = _tracker(tmp_path, publisher, RootCauses())
    for n, level in enumerate(SCRIPT):
        _track(tracker, _summary(n, level))
    assert _changes(publisher.events) == [("normal", "error"), ("error", "normal")]
    archived = [e for e in publisher.events if e["type"] == "vpndiag:Diagnosis:Archived"]
    assert len(archived) == len(SCRIPT)


def test_replaying_every_diagnosis_adds_nothing(tmp_path: Path) -> None:
    """Each diagnosis tracked twice: same snapshots, no event published twice."""
    publisher = Recorder()
    tracker = _tracker(tmp_path, publisher, RootCauses())
    for n, level in enumerate(SCRIPT):
        _track(tracker, _summary(n, level))
        replay = _track(tracker, _summary(n, level))
        assert replay.events_published == 0
    ids = [e["id"] for e in publisher.events]
    assert len(ids) == len(set(ids))
    assert len(list(StateStore(FilesystemObjectStore(tmp_path)).history(CONNECTION))) == len(SCRIPT)


def test_root_cause_is_taken_once_and_kept(tmp_path: Path) -> None:
    """A down connection's root cause is fetched once; a replay reads the kept copy back."""
    causes = RootCauses()
    tracker = _tracker(tmp_path, Recorder(), causes)
    first = _track(tracker, _summary(1, "error"))
    again = _track(tracker, _summary(1, "error"))
    assert causes.calls == 1
    assert again.root_cause == first.root_cause
    assert first.root_cause.tunnels[0].failed_reason_code == "Phase1NegotiationTimeout"


def test_healthy_connections_need_no_root_cause(tmp_path: Path) -> None:
    """No connectivity or configuration finding: DiagnoseVpnConnections is not called."""
    causes = RootCauses()
    _track(_tracker(tmp_path, Recorder(), causes), _summary(1, "normal"))
    assert causes.calls == 0


def test_a_publishing_failure_raises_and_the_retry_publishes_the_same_ids(tmp_path: Path) -> None:
    """The state is saved before publishing; the retry sends the same event ids and marks them."""
    publisher = Recorder()
    tracker = _tracker(tmp_path, publisher, RootCauses())
    _track(tracker, _summary(0, "error"))
    sent = [e["id"] for e in publisher.events]
    publisher.events.clear()
    publisher.failures = 1
    with pytest.raises(ThrottledError):
        _track(tracker, _summary(1, "error"))
    _track(tracker, _summary(1, "error"))
    retried = [e["id"] for e in publisher.events]
    assert retried
    assert not set(retried) & set(sent)
    assert _track(tracker, _summary(1, "error")).events_published == 0


def test_an_incomplete_diagnosis_does_not_move_the_state(tmp_path: Path) -> None:
    """A summary that is not complete says nothing about the connection's health."""
    summary = _summary(0, "error").model_copy(update={"complete": False})
    assert _track(_tracker(tmp_path, Recorder(), RootCauses()), summary) is None


def _slave_down() -> VpnConnection:
    """A dual-tunnel connection, slave phase 2 down (SDK model: TunnelOptions Role/Status)."""
    return VpnConnection(
        connection_id=CONNECTION,
        tunnels=(
            Tunnel(tunnel_id="tun-master0001", role="master", status="ipsec_sa_established"),
            Tunnel(tunnel_id="tun-slave00001", role="slave", status="ipsec_sa_not_established"),
        ),
    )


def test_a_down_tunnel_alone_takes_the_root_cause_with_the_connection(tmp_path: Path) -> None:
    """Every check normal, the slave down: the root cause is asked, given the description."""
    causes = RootCauses()
    summary = _summary(0, "normal")
    _tracker(tmp_path, Recorder(), causes).track(
        summary, keys_for(summary), Deadline.after(30), _slave_down()
    )
    assert causes.connections == [_slave_down()]


def test_a_degraded_connection_publishes_the_tunnel_and_its_action(tmp_path: Path) -> None:
    """The connection's change to degraded and the slave's own change are published; each
    names what to do about the slave (and only the slave)."""
    publisher = Recorder()
    summary = _summary(0, "normal")
    outcome = _tracker(tmp_path, publisher, RootCauses()).track(
        summary, keys_for(summary), Deadline.after(30), _slave_down()
    )
    assert outcome is not None
    assert outcome.snapshot.state.level == "degraded"
    changed = [
        e["data"] for e in publisher.events if e["type"] == "vpndiag:Connection:StateChanged"
    ]
    scopes = [(d["transition"]["scope"], d["transition"]["to"]) for d in changed]
    assert scopes == [("connection", "degraded"), ("tunnel", "down")]
    assert all([a["tunnel_id"] for a in d["tunnel_actions"]] == ["tun-slave00001"] for d in changed)


def test_the_tunnel_a_health_event_named_reaches_the_root_cause(tmp_path: Path) -> None:
    """An archive started by a VPN health event passes its tunnel id on to DiagnoseVpnConnections."""
    causes = RootCauses()
    summary = _summary(0, "error")
    _tracker(tmp_path, Recorder(), causes).track(
        summary, keys_for(summary), Deadline.after(30), None, "tun-slave00001"
    )
    assert causes.tunnel_ids == ["tun-slave00001"]
