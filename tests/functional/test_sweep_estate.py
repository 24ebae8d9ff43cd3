"""A sweep over 3 regions x 100 gateways archives every connection exactly once, in both hand-off
modes, and a retried tick starts no second diagnosis."""

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
from vpndiag.local_context import LocalContext
from vpndiag.sweep import settings as sweep_settings
from vpndiag.sweep.runner import SweepApp
from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    Cloud,
    FcContext,
    LoopbackServer,
)

REGIONS = ("cn-hangzhou", "cn-shanghai", "cn-beijing")
GATEWAYS_PER_REGION = 100
KEYS = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
TICK = json.dumps({"triggerTime": "2026-11-20T09:00:00Z", "triggerName": "sweep", "payload": ""})


@pytest.fixture
def cloud() -> Cloud:
    cloud = Cloud(seed=5, diagnosis_duration=0.02)
    cloud.seed_estate(REGIONS, gateways_per_region=GATEWAYS_PER_REGION, connections_per_gateway=1)
    return cloud


@pytest.fixture
def server(cloud: Cloud) -> Iterator[LoopbackServer]:
    with cloud.serve() as running:
        yield running


def _stores(tmp: Path, **extra: str) -> dict[str, str]:
    return {
        "VPNDIAG_OBJECT_STORE": f"file:{tmp / 'archive'}",
        "VPNDIAG_LOG_STORE": f"sqlite:{tmp / 'logs.sqlite3'}",
        "VPNDIAG_POLL_INTERVAL": "0.01",
        "VPNDIAG_WRITE_RESERVE": "0",
        **extra,
    }


def _sweep_app(tmp: Path, **extra: str) -> SweepApp:
    environ = {**_stores(tmp), "VPNDIAG_SWEEP_REGIONS": ",".join(REGIONS), **extra}
    sweep, shared = sweep_settings.load(environ)
    return SweepApp(config.load(shared), sweep, environ={}, explicit_credentials=KEYS)


def _context() -> LocalContext:
    return LocalContext.for_function("sweep", timeout=300)


def _archived(tmp: Path) -> tuple[int, set[str]]:
    """Summary records written, and the distinct connections they cover."""
    with sqlite3.connect(tmp / "logs.sqlite3") as db:
        rows = db.execute(
            "SELECT connection_id FROM records WHERE record_type = 'summary'"
        ).fetchall()
    return len(rows), {row[0] for row in rows}


def _connections(cloud: Cloud) -> set[str]:
    """The connections a diagnosis can cover: those of a gateway (not of a transit router)."""
    return {c.id for region in REGIONS for c in cloud.vpc(region).connections() if c.gateway_id}


def _diagnoses(cloud: Cloud) -> int:
    return sum(len(cloud.vpc(region).diagnoses()) for region in REGIONS)


def _fc_archive(cloud: Cloud, server: LoopbackServer, tmp: Path) -> None:
    """The archive function behind the emulated FC API, as deployed: one app, many invocations."""
    settings = config.load(_stores(tmp, VPNDIAG_VPC_ENDPOINT=server.base_url))
    app = ArchiveApp(settings, environ={}, explicit_credentials=KEYS)

    def handler(event: bytes, context: FcContext) -> str:
        return json.dumps(app.handle(event, context))

    cloud.fc("cn-hangzhou").register_function("vpndiag", "archive", handler)


def _fc_sweep(tmp: Path, server: LoopbackServer) -> SweepApp:
    return _sweep_app(
        tmp,
        VPNDIAG_VPC_ENDPOINT=server.base_url,
        VPNDIAG_SWEEP_HANDOFF="fc",
        VPNDIAG_SWEEP_FC_ENDPOINT=server.base_url,
        VPNDIAG_SWEEP_ARCHIVE_SERVICE="vpndiag",
    )


def test_pool_sweep_archives_every_connection_once(cloud: Cloud, tmp_path: Path) -> None:
    """In-process pool: 300 connections, 300 diagnoses, each archived exactly once."""
    with cloud.mock():
        report: dict[str, Any] = _sweep_app(tmp_path).handle(TICK, _context())

    assert report["counts"]["archived"] == 300
    assert _archived(tmp_path) == (300, _connections(cloud))


def test_pool_retried_tick_starts_nothing_twice(cloud: Cloud, tmp_path: Path) -> None:
    """The same tick again gets the same DiagnoseIds back and finds them all archived."""
    with cloud.mock():
        app = _sweep_app(tmp_path)
        app.handle(TICK, _context())
        again = app.handle(TICK, _context())

    assert (_diagnoses(cloud), again["counts"]["replayed"]) == (300, 300)
    assert _archived(tmp_path)[0] == 300


def test_fc_sweep_archives_every_connection_once(
    cloud: Cloud, server: LoopbackServer, tmp_path: Path
) -> None:
    """FC hand-off through aliyun-fc2 on loopback: 300 async invocations, each archived once."""
    _fc_archive(cloud, server, tmp_path)

    report = _fc_sweep(tmp_path, server).handle(TICK, _context())
    drained = cloud.fc("cn-hangzhou").drain(workers=8)

    assert (report["counts"]["handed_off"], drained.succeeded) == (300, 300)
    assert _archived(tmp_path) == (300, _connections(cloud))


def test_fc_retried_tick_starts_nothing_twice(
    cloud: Cloud, server: LoopbackServer, tmp_path: Path
) -> None:
    """A retried tick hands off the same diagnoses again; the archive writes nothing new."""
    _fc_archive(cloud, server, tmp_path)
    app = _fc_sweep(tmp_path, server)
    app.handle(TICK, _context())
    cloud.fc("cn-hangzhou").drain(workers=8)

    app.handle(TICK, _context())
    cloud.fc("cn-hangzhou").drain(workers=8)

    assert _diagnoses(cloud) == 300
    assert _archived(tmp_path)[0] == 300
