"""The archive function end to end: the handler, over loopback HTTP, on the embedded stores."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EVENTS, ROOT
from vpndiag.app import ArchiveApp
from vpndiag.cli import invoke_handler, load_function
from vpndiag.errors import BatchError, ConfigError, DiagnosisPending
from vpndiag.local_context import LocalContext
from vpndiag_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Cloud, LoopbackServer

REGION = "cn-hangzhou"


@pytest.fixture
def cloud() -> Cloud:
    return Cloud(seed=3, diagnosis_duration=0.3)


@pytest.fixture
def server(cloud: Cloud) -> Iterator[LoopbackServer]:
    with cloud.serve() as server:
        yield server


def _environ(server: LoopbackServer, tmp: Path, **extra: str) -> dict[str, str]:
    return {
        "VPNDIAG_VPC_ENDPOINT": server.base_url,
        "VPNDIAG_OBJECT_STORE": f"file:{tmp / 'archive'}",
        "VPNDIAG_LOG_STORE": f"sqlite:{tmp / 'logs.sqlite3'}",
        "VPNDIAG_POLL_INTERVAL": "0.05",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEFAULT_ACCESS_KEY_SECRET,
        **extra,
    }


def _diagnosis(cloud: Cloud, *, running: bool = False) -> dict[str, str]:
    vpc = cloud.vpc(REGION)
    gateway = vpc.add_gateway()
    connection = vpc.add_connection(gateway.id)
    if running:
        diagnosis = vpc.start_diagnosis(
            gateway_id=gateway.id,
            resource_type="IPsec",
            connection_id=connection.id,
            extend_info=None,
            client_token=None,
        )
    else:
        begin = datetime.now(timezone.utc) - timedelta(hours=1)
        diagnosis = vpc.record_diagnosis(
            connection.id, diagnose_id=f"vpndgn-{connection.id[4:]}", begin=begin
        )
    return {"RegionId": REGION, "DiagnoseId": diagnosis.id}


def _context(timeout: int = 60) -> LocalContext:
    return LocalContext.for_function("archive", timeout=timeout)


def _rows(tmp: Path, *record_types: str) -> int:
    """Records written, of the given types only when any are named."""
    where = f"WHERE record_type IN ({', '.join('?' * len(record_types))})" if record_types else ""
    with sqlite3.connect(tmp / "logs.sqlite3") as db:
        count: int = db.execute(f"SELECT COUNT(*) FROM records {where}", record_types).fetchone()[0]
        return count


def test_handler_archives_a_finished_diagnosis(
    cloud: Cloud, server: LoopbackServer, tmp_path: Path
) -> None:
    """The function module, configured by environment, archives objects and records: one per
    check and one summary (health tracking adds its transition records beside them, for a first
    sighting with tunnels down: tests/unit/test_health_tunnels.py)."""
    event = _diagnosis(cloud)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in _environ(server, tmp_path).items():
            patch.setenv(key, value)
        module = load_function("archive", ROOT / "functions")
        output = json.loads(invoke_handler(module, json.dumps(event).encode(), name="archive"))
    (item,) = output["archived"]
    assert item["status"] == "archived"
    assert item["summary"]["diagnose_id"] == event["DiagnoseId"]
    assert Path(item["archive"]).is_file()
    assert _rows(tmp_path, "check", "summary") == len(item["summary"]["checks"]) + 1


def test_a_running_diagnosis_is_polled_until_it_finishes(
    cloud: Cloud, server: LoopbackServer, tmp_path: Path
) -> None:
    """A diagnosis started just now is archived once all seven checks are done."""
    app = ArchiveApp.from_environment(_environ(server, tmp_path))
    output = app.handle(json.dumps(_diagnosis(cloud, running=True)), _context())
    summary = output["archived"][0]["summary"]
    assert (summary["complete"], summary["finished_count"]) == (True, 7)


def test_a_diagnosis_outlasting_the_invocation_is_handed_back(
    cloud: Cloud, server: LoopbackServer, tmp_path: Path
) -> None:
    """Past the function's time, a retryable DiagnosisPending is raised and nothing is written."""
    cloud.diagnosis_duration = 3600
    app = ArchiveApp.from_environment(
        _environ(server, tmp_path, VPNDIAG_POLL_INTERVAL="1", VPNDIAG_WRITE_RESERVE="1")
    )
    with pytest.raises(DiagnosisPending) as caught:
        app.handle(json.dumps(_diagnosis(cloud, running=True)), _context(timeout=3))
    assert caught.value.retryable
    assert not list((tmp_path / "archive").rglob("*.json"))


def test_a_second_invocation_writes_nothing(
    cloud: Cloud, server: LoopbackServer, tmp_path: Path
) -> None:
    """Replaying the event reports 'replayed': no object and no record is added."""
    app = ArchiveApp.from_environment(_environ(server, tmp_path))
    event = json.dumps(_diagnosis(cloud))
    app.handle(event, _context())
    rows, files = _rows(tmp_path), sorted((tmp_path / "archive").rglob("*"))
    again = app.handle(event, _context())["archived"][0]
    assert (again["status"], again["objects_created"], again["records_written"]) == (
        "replayed",
        0,
        0,
    )
    assert (_rows(tmp_path), sorted((tmp_path / "archive").rglob("*"))) == (rows, files)


def test_a_batch_archives_the_good_items_and_raises_for_the_rest(
    cloud: Cloud, server: LoopbackServer, tmp_path: Path
) -> None:
    """One unknown diagnosis in a batch fails the invocation (for the platform to retry or
    dead-letter) after the others were archived."""
    good = _diagnosis(cloud)
    batch = [
        {"specversion": "1.0", "id": "1", "source": "t", "data": good},
        {
            "specversion": "1.0",
            "id": "2",
            "source": "t",
            "data": {**good, "DiagnoseId": "vpndgn-unknown0000"},
        },
    ]
    app = ArchiveApp.from_environment(_environ(server, tmp_path))
    with pytest.raises(BatchError, match="1 of 2 batch items failed") as caught:
        app.handle(json.dumps(batch), _context())
    assert not caught.value.retryable
    assert len(list((tmp_path / "archive").rglob("*.summary.json"))) == 1


@pytest.mark.parametrize(
    ("environ", "setting"),
    [
        ({"VPNDIAG_SIGNATURE": "v9"}, "VPNDIAG_SIGNATURE"),
        ({"VPNDIAG_OBJECT_STORE": "oss://Bad_Bucket/x"}, "VPNDIAG_OBJECT_STORE"),
        ({"VPNDIAG_LOG_STORE": "sls://proj/store"}, "VPNDIAG_STORAGE_REGION"),
    ],
)
def test_wrong_configuration_fails_at_start_naming_the_setting(
    environ: dict[str, str], setting: str
) -> None:
    """Building the app checks every setting once, at instance start."""
    with pytest.raises(ConfigError) as caught:
        ArchiveApp.from_environment(environ)
    assert caught.value.setting == setting


def test_missing_credentials_name_the_variable(server: LoopbackServer, tmp_path: Path) -> None:
    """No keys on the context or in the environment: a ConfigError, before any request."""
    environ = _environ(server, tmp_path)
    del environ["ALIBABA_CLOUD_ACCESS_KEY_ID"], environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
    app = ArchiveApp.from_environment(environ)
    with pytest.raises(ConfigError, match="ALIBABA_CLOUD_ACCESS_KEY_ID"):
        app.handle(b'{"RegionId": "cn-hangzhou", "VpnGatewayId": "vpn-abcd1234"}', _context())


def _cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "vpndiag.cli", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )


def test_cli_normalize_prints_the_seed_summary() -> None:
    """`vpndiag normalize FILE` prints the summary JSON and exits 0."""
    done = _cli("normalize", str(EVENTS / "responses" / "finished-seed.json"))
    summary: dict[str, Any] = json.loads(done.stdout)
    assert done.returncode == 0
    assert (summary["gateway_id"], summary["duration_seconds"]) == (
        "vpn-uf6fzwp0ck3frwtbk****",
        11.0,
    )


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"DiagnoseId": 5}'])
def test_cli_normalize_rejects_bad_input_in_one_line_with_exit_2(body: bytes) -> None:
    """Bad input on stdin: exit 2, one line on stderr saying what was wrong, nothing on stdout."""
    done = _cli("normalize", "-", stdin=body)
    assert done.returncode == 2
    assert done.stdout == b""
    assert len(done.stderr.decode().strip().splitlines()) == 1
    assert done.stderr.startswith(b"vpndiag: ")
