"""VPN health events: the archive function starts a diagnosis of the failing connection and
archives its result; a redelivered event starts nothing twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EVENTS, ROOT
from vpndiag import config
from vpndiag.app import ArchiveApp
from vpndiag.cli import invoke_handler, load_function
from vpndiag.credentials import Credentials
from vpndiag.errors import EventError
from vpndiag.events import parse_event
from vpndiag.local_context import LocalContext
from vpndiag_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Cloud
from vpndiag_emulator.vpc.estate import populate_demo

KEYS = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
SAMPLES = sorted(p.name for p in EVENTS.glob("vpn-health-*.json"))
CHECK_FAILED = "vpn-health-check-failed.json"


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    cloud = Cloud(seed=4, diagnosis_duration=0.05)
    populate_demo(cloud.vpc)
    with cloud.mock():
        yield cloud


def _app(tmp: Path) -> ArchiveApp:
    settings = config.load(
        {
            "VPNDIAG_OBJECT_STORE": f"file:{tmp / 'archive'}",
            "VPNDIAG_LOG_STORE": f"sqlite:{tmp / 'logs.sqlite3'}",
            "VPNDIAG_POLL_INTERVAL": "0.01",
            "VPNDIAG_WRITE_RESERVE": "0",
        }
    )
    return ArchiveApp(settings, environ={}, explicit_credentials=KEYS)


def _sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_bytes())
    return event


def _archive(app: ArchiveApp, event: dict[str, Any]) -> dict[str, Any]:
    (result,) = app.handle(json.dumps(event), LocalContext.for_function("archive"))["archived"]
    return dict(result)


def _diagnoses_of(cloud: Cloud, region: str, connection_id: str) -> list[str]:
    return [d.id for d in cloud.vpc(region).diagnoses() if d.connection_id == connection_id]


def test_health_check_failed_ends_with_the_connections_diagnosis_archived(
    cloud: Cloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through functions/archive/index.py: a new diagnosis of the connection, archived."""
    for name, value in {
        "VPNDIAG_OBJECT_STORE": f"file:{tmp_path / 'archive'}",
        "VPNDIAG_LOG_STORE": f"sqlite:{tmp_path / 'logs.sqlite3'}",
        "VPNDIAG_POLL_INTERVAL": "0.01",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEFAULT_ACCESS_KEY_SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    module = load_function("archive", ROOT / "functions")

    output = json.loads(
        invoke_handler(module, (EVENTS / CHECK_FAILED).read_bytes(), name="archive")
    )

    (item,) = output["archived"]
    started = _diagnoses_of(cloud, "cn-hangzhou", "vco-bp1hz0conn000000012")[-1]
    assert (item["status"], item["summary"]["diagnose_id"]) == ("archived", started)


@pytest.mark.parametrize("name", SAMPLES)
def test_every_health_event_type_archives_its_connection(
    cloud: Cloud, tmp_path: Path, name: str
) -> None:
    """Health-check, phase 1 and phase 2 failures each end with their connection archived."""
    event = _sample(name)

    result = _archive(_app(tmp_path), event)

    expected = parse_event(json.dumps(event), invocation_id="r").requests[0].connection_id
    assert (result["status"], result["summary"]["resource_id"]) == ("archived", expected)


def test_redelivered_event_starts_nothing_twice(cloud: Cloud, tmp_path: Path) -> None:
    """Same source and id: the ClientToken returns the first diagnosis, already archived."""
    app, event = _app(tmp_path), _sample(CHECK_FAILED)
    first = _archive(app, event)

    again = _archive(app, event)

    assert again["status"] == "replayed"
    assert again["summary"]["diagnose_id"] == first["summary"]["diagnose_id"]
    assert len(_diagnoses_of(cloud, "cn-hangzhou", "vco-bp1hz0conn000000012")) == 2


def test_another_event_about_the_same_connection_starts_a_new_diagnosis(
    cloud: Cloud, tmp_path: Path
) -> None:
    """A new failure (another event id) deserves a new diagnosis."""
    app, event = _app(tmp_path), _sample(CHECK_FAILED)
    first = _archive(app, event)

    second = _archive(app, {**event, "id": "3d5c9a10-0000-4b8c-a1d4-6e0f2b9c8a72"})

    assert second["summary"]["diagnose_id"] != first["summary"]["diagnose_id"]


def test_event_naming_only_the_connection_finds_its_gateway(cloud: Cloud, tmp_path: Path) -> None:
    """Phase 2 sample: the subject names the connection; DescribeVpnConnections names the gateway."""
    result = _archive(_app(tmp_path), _sample("vpn-health-phase2-nego-failed.json"))

    assert result["summary"]["gateway_id"] == "vpn-bp1hz0gw0000000002"


def test_event_for_an_unknown_connection_is_an_event_error(cloud: Cloud, tmp_path: Path) -> None:
    """A connection the region does not know cannot be diagnosed: a typed, non-retryable error."""
    event = _sample("vpn-health-phase2-nego-failed.json")
    event["subject"] = "acs:vpn:cn-hangzhou:1234567890123456:vpnconnection/vco-unknown0000000"

    # The message names the connection and what the region said (H7 replaced "does not know it").
    with pytest.raises(EventError, match=r"vco-unknown0000000.*lists no such connection"):
        _archive(_app(tmp_path), event)


def test_health_event_without_a_connection_is_refused() -> None:
    """An event that names no connection has nothing to diagnose."""
    event = _sample(CHECK_FAILED)
    event["subject"] = "acs:vpn:cn-hangzhou:1234567890123456:vpngateway/vpn-bp1hz0gw0000000001"
    event["data"] = {"regionId": "cn-hangzhou"}

    with pytest.raises(EventError, match="names no IPsec connection"):
        parse_event(json.dumps(event), invocation_id="r")


def test_health_event_with_a_hostile_id_is_refused() -> None:
    """Ids from the event are checked before they reach a request."""
    event = _sample(CHECK_FAILED)
    event["data"]["vpnConnectionId"] = "vco-../../etc"

    with pytest.raises(EventError, match="invalid connection id"):
        parse_event(json.dumps(event), invocation_id="r")


def test_health_event_asks_for_a_start_keyed_by_source_and_id() -> None:
    """The request carries the event's source/id, from which the ClientToken derives."""
    (request,) = parse_event((EVENTS / CHECK_FAILED).read_bytes(), invocation_id="r").requests

    assert request.start_key == "acs.vpn/3d5c9a10-7f2e-4b8c-a1d4-6e0f2b9c8a71"
