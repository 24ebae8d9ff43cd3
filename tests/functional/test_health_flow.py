"""Connection health end to end: the archive function against the emulated VPC and EventBridge.

A scripted sequence of diagnoses of one connection yields exactly the expected transitions and
events, once each, also when every invocation is replayed or runs concurrently; a down tunnel's
archive entry carries its negotiation failure and action, and no secret; a dual-tunnel connection
whose standby tunnel is down is degraded, with its tunnel named in events and records.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from alibabacloud_vpc20160428.models import DescribeVpnConnectionsResponseBody

from vpndiag.app import ArchiveApp
from vpndiag.errors import ArchiveInProgress
from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_ACCOUNT_ID,
    Cloud,
)

REGION = "cn-hangzhou"
BUS = "vpndiag-health"
PSK = "psk-Zq8-recognisable-secret"
T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    cloud = Cloud(seed=11)
    cloud.eventbridge(REGION).create_bus(BUS)
    with cloud.mock():
        yield cloud


def _app(tmp: Path, **settings: str) -> ArchiveApp:
    return ArchiveApp.from_environment(
        {
            "VPNDIAG_OBJECT_STORE": f"file:{tmp / 'archive'}",
            "VPNDIAG_LOG_STORE": f"sqlite:{tmp / 'logs.sqlite3'}",
            "VPNDIAG_EVENT_BUS": BUS,
            "VPNDIAG_ACCOUNT_ID": DEFAULT_ACCOUNT_ID,
            "VPNDIAG_STORAGE_REGION": REGION,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEFAULT_ACCESS_KEY_SECRET,
            **settings,
        }
    )


def _script(cloud: Cloud, levels: list[str]) -> Iterator[str]:
    """One finished diagnosis per level, five minutes apart; the events that archive them.

    Lazily: each diagnosis is recorded (and the connection's health set to its level) only when
    the previous event has been handled, so the tunnels the archive describes are those of the
    diagnosis it archives, as when the platform archives each diagnosis as it finishes.
    """
    vpc = cloud.vpc(REGION)
    gateway = vpc.add_gateway(name="health")
    connection = vpc.add_connection(gateway.id, psk=PSK)
    for n, level in enumerate(levels):
        vpc.set_health(connection.id, {"VcoUserInternetIpConnectivity": level})
        diagnosis = vpc.record_diagnosis(
            connection.id,
            diagnose_id=f"vpndgn-{connection.id[4:12]}{n:04d}",
            begin=T0 + timedelta(minutes=5 * n),
        )
        yield json.dumps({"RegionId": REGION, "DiagnoseId": diagnosis.id})


def _published(cloud: Cloud) -> list[dict[str, Any]]:
    return cloud.eventbridge(REGION).events(BUS)


def _changes(events: list[dict[str, Any]], scope: str = "connection") -> list[tuple[Any, ...]]:
    found = []
    for event in events:
        if event["type"] != "vpndiag:Connection:StateChanged":
            continue
        data = event["data"]
        if isinstance(data, str):
            data = json.loads(data)
        move = data["transition"]
        if move["scope"] == scope:
            found.append((move["kind"], move["from"], move["to"]))
    return found


SCRIPT = ["normal", "error", "error", "normal", "normal"]


def _deliver_at_once(apps: list[ArchiveApp], event: str) -> list[ArchiveInProgress]:
    """Hand ``event`` to every app at the same moment; the errors of those that stepped back."""
    start = threading.Barrier(len(apps))
    stepped_back: list[ArchiveInProgress] = []
    failed: list[BaseException] = []

    def deliver(app: ArchiveApp) -> None:
        start.wait()
        try:
            app.handle(event, None)
        except ArchiveInProgress as exc:
            stepped_back.append(exc)
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=deliver, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    return stepped_back


def test_scripted_sequence_publishes_each_transition_once(cloud: Cloud, tmp_path: Path) -> None:
    """normal, error, error, normal, normal (2 of 3): down once, up once, one archived event each."""
    app = _app(tmp_path)
    for event in _script(cloud, SCRIPT):
        app.handle(event, None)
    published = _published(cloud)
    assert _changes(published) == [("changed", "normal", "error"), ("changed", "error", "normal")]
    assert [e["type"] for e in published].count("vpndiag:Diagnosis:Archived") == len(SCRIPT)


def test_each_transition_is_one_log_record(cloud: Cloud, tmp_path: Path) -> None:
    """The log store gets one 'transition' record per connection-level change (what the SLS
    alerts query), written once even when every invocation is replayed."""
    for event in _script(cloud, SCRIPT):
        _app(tmp_path).handle(event, None)
        _app(tmp_path).handle(event, None)
    with sqlite3.connect(tmp_path / "logs.sqlite3") as db:
        rows = db.execute(
            "SELECT json_extract(contents, '$.from_level'), json_extract(contents, '$.to_level')"
            " FROM records WHERE record_type = 'transition' ORDER BY seq"
        ).fetchall()
    assert rows == [("normal", "error"), ("error", "normal")]


def test_every_invocation_replayed_publishes_nothing_twice(cloud: Cloud, tmp_path: Path) -> None:
    """Each event delivered twice (and by a fresh instance): the bus holds each event id once."""
    for event in _script(cloud, SCRIPT):
        _app(tmp_path).handle(event, None)
        _app(tmp_path).handle(event, None)
    ids = Counter(e["id"] for e in _published(cloud))
    assert set(ids.values()) == {1}
    assert _changes(_published(cloud)) == [
        ("changed", "normal", "error"),
        ("changed", "error", "normal"),
    ]


def test_concurrent_deliveries_publish_each_event_once(cloud: Cloud, tmp_path: Path) -> None:
    """Each event delivered to four instances at once: the ones that lose a lease step back
    (retryable), and once retried every event id is on the bus exactly once."""
    for event in _script(cloud, SCRIPT):
        stepped_back = _deliver_at_once([_app(tmp_path) for _ in range(4)], event)
        _app(tmp_path).handle(event, None)  # the platform's retry of whoever stepped back
        assert all(exc.retryable for exc in stepped_back)
    ids = Counter(e["id"] for e in _published(cloud))
    assert set(ids.values()) == {1}
    assert _changes(_published(cloud)) == [
        ("changed", "normal", "error"),
        ("changed", "error", "normal"),
    ]


def test_flapping_is_reported_when_it_starts(cloud: Cloud, tmp_path: Path) -> None:
    """With 1-of-1 confirmation, three changes within ten diagnoses start flapping, once."""
    app = _app(tmp_path, VPNDIAG_HEALTH_CONFIRM="1", VPNDIAG_HEALTH_WINDOW="1")
    for event in _script(cloud, ["normal", "error", "normal", "error"]):
        app.handle(event, None)
    assert _changes(_published(cloud)) == [
        ("changed", "normal", "error"),
        ("changed", "error", "normal"),
        ("changed", "normal", "error"),
        ("flapping_started", "normal", "error"),
    ]


def test_a_down_tunnel_keeps_its_negotiation_failure_and_action(
    cloud: Cloud, tmp_path: Path
) -> None:
    """The root cause is archived beside the diagnosis: failure code and action, IPs redacted,
    no pre-shared key anywhere in the archive or the events."""
    app = _app(tmp_path)
    (event,) = _script(cloud, ["error"])
    output = app.handle(event, None)["archived"][0]
    (cause_file,) = (tmp_path / "archive").rglob("*.rootcause.json")
    cause = json.loads(cause_file.read_text())
    failing = [t for t in cause["tunnels"] if t["failed_reason_code"]]
    assert failing
    assert all(t["action"]["en"] and t["action"]["doc_en"].startswith("https://") for t in failing)
    assert output["health"]["root_cause"] == [t["failed_reason_code"] for t in failing]
    archive_text = "".join(p.read_text() for p in (tmp_path / "archive").rglob("*") if p.is_file())
    assert PSK not in archive_text
    assert PSK not in json.dumps(_published(cloud))
    customer_ip = cloud.vpc(REGION).connections()[0].customer_ip
    assert customer_ip not in cause_file.read_text()


# -- a dual-tunnel connection whose standby tunnel is down ---------------------------------------


def _with_slave_down(mock: responses.RequestsMock) -> None:
    """DescribeVpnConnections answers with the standby (``slave``) tunnel's phase 2 down and the
    active one up; everything else is the emulator's answer.

    The emulated body is read into the SDK's ``DescribeVpnConnectionsResponseBody`` and rendered
    back with ``to_map()``, so the answer has the shape of the vendor's model (statuses:
    ``ipsec_sa_established`` / ``ipsec_sa_not_established``, SDK docstring of ``Status``).
    """
    emulated = [r for r in mock.registered() if isinstance(r, responses.CallbackResponse)]
    for registered in emulated:
        mock.remove(registered)

    def answer(request: requests.PreparedRequest) -> Any:
        status, headers, body = emulated[0].callback(request)
        asked = f"{request.url} {request.body!r} {request.headers.get('x-acs-action', '')}"
        if "DescribeVpnConnections" not in asked or status != 200:
            return status, headers, body
        model = DescribeVpnConnectionsResponseBody().from_map(json.loads(body))
        for connection in model.vpn_connections.vpn_connection:
            for tunnel in connection.tunnel_options_specification.tunnel_options:
                up = tunnel.role == "master"
                tunnel.status = "ipsec_sa_established" if up else "ipsec_sa_not_established"
        return status, headers, json.dumps(model.to_map())

    for registered in emulated:
        mock.add_callback(registered.method, registered.url, callback=answer, content_type=None)


@pytest.fixture
def slave_down() -> Iterator[Cloud]:
    cloud = Cloud(seed=11)
    cloud.eventbridge(REGION).create_bus(BUS)
    with cloud.mock() as mock:
        _with_slave_down(mock)
        yield cloud


def _data(event: dict[str, Any]) -> dict[str, Any]:
    data = event["data"]
    found: dict[str, Any] = json.loads(data) if isinstance(data, str) else data
    return found


def test_a_down_standby_tunnel_makes_the_connection_degraded(
    slave_down: Cloud, tmp_path: Path
) -> None:
    """Every check normal, the slave tunnel down: the connection is first seen degraded (not
    error, not normal), once, and the change names the slave tunnel and what to do about it."""
    app = _app(tmp_path)
    for event in _script(slave_down, ["normal", "normal"]):
        app.handle(event, None)
    published = _published(slave_down)
    assert _changes(published) == [("changed", None, "degraded")]
    (change,) = [
        _data(e)
        for e in published
        if e["type"] == "vpndiag:Connection:StateChanged"
        and _data(e)["transition"]["scope"] == "connection"
    ]
    slave = slave_down.vpc(REGION).connections()[0].tunnel_ids[1]
    assert [
        (t["tunnel_id"], t["role"], t["level"]) for t in change["tunnels"] if t["level"] != "up"
    ] == [(slave, "slave", "down")]
    (advice,) = change["tunnel_actions"]
    assert (advice["tunnel_id"], advice["role"]) == (slave, "slave")
    assert advice["en"]
    assert advice["doc_en"].startswith("https://")


def test_a_down_standby_tunnel_is_a_tunnel_transition_of_its_own(
    slave_down: Cloud, tmp_path: Path
) -> None:
    """The slave tunnel's own change (first seen down) is published once, naming the tunnel."""
    app = _app(tmp_path)
    for event in _script(slave_down, ["normal", "normal"]):
        app.handle(event, None)
    slave = slave_down.vpc(REGION).connections()[0].tunnel_ids[1]
    moved = [
        (
            d["tunnel"]["tunnel_id"],
            d["tunnel"]["role"],
            d["transition"]["from"],
            d["transition"]["to"],
        )
        for d in map(_data, _published(slave_down))
        if d.get("transition", {}).get("scope") == "tunnel" and d["transition"]["kind"] == "changed"
    ]
    assert moved == [(slave, "slave", None, "down")]


def test_a_degraded_connection_is_one_transition_record_naming_its_tunnel(
    slave_down: Cloud, tmp_path: Path
) -> None:
    """The SLS transition record says degraded, with the down tunnel's id, role and status and
    the connection's name; replays write it once."""
    for event in _script(slave_down, ["normal", "normal"]):
        _app(tmp_path).handle(event, None)
        _app(tmp_path).handle(event, None)
    with sqlite3.connect(tmp_path / "logs.sqlite3") as db:
        rows = db.execute(
            "SELECT json_extract(contents, '$.to_level'), json_extract(contents, '$.tunnel_id'),"
            " json_extract(contents, '$.tunnel_role'), json_extract(contents, '$.tunnel_status'),"
            " json_extract(contents, '$.connection_name')"
            " FROM records WHERE record_type = 'transition' ORDER BY seq"
        ).fetchall()
    connection = slave_down.vpc(REGION).connections()[0]
    assert rows == [
        ("degraded", connection.tunnel_ids[1], "slave", "ipsec_sa_not_established", connection.name)
    ]


def test_a_down_standby_tunnel_takes_the_root_cause_and_keeps_no_secret(
    slave_down: Cloud, tmp_path: Path
) -> None:
    """With every check normal, the down tunnel alone makes the archive ask for the root cause;
    the kept connection description and the summary carry names but no pre-shared key."""
    app = _app(tmp_path)
    (event,) = _script(slave_down, ["normal"])
    app.handle(event, None)
    archive = tmp_path / "archive"
    assert list(archive.rglob("*.rootcause.json"))
    (summary_file,) = archive.rglob("*.summary.json")
    summary = json.loads(summary_file.read_text())
    assert summary["connection_name"] == slave_down.vpc(REGION).connections()[0].name
    (described_file,) = archive.rglob("*.connection.json")
    assert json.loads(described_file.read_text())["connection"]["tunnels"][1]["role"] == "slave"
    archive_text = "".join(p.read_text() for p in archive.rglob("*") if p.is_file())
    assert PSK not in archive_text
    assert PSK not in json.dumps(_published(slave_down))
