"""The report function end to end, against the emulated OSS and EventBridge.

The archive function archives a scripted week of one connection into ``oss://``; the report
function, loaded from ``functions/report/index.py`` and configured as in the cloud, then writes the
day's page next to the archive and publishes its message once, however often it is invoked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from vpndiag.app import ArchiveApp
from vpndiag.cli import invoke_handler, load_function
from vpndiag.report.message import TYPE
from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_ACCOUNT_ID,
    Cloud,
)

REGION = "cn-hangzhou"
BUCKET = "vpndiag-report-test"
BUS = "vpndiag"
# Yesterday, so that the report for that day is a whole past day.
T0 = (datetime.now(timezone.utc) - timedelta(days=1)).replace(
    hour=1, minute=0, second=0, microsecond=0
)
DAY = T0.date().isoformat()
TICK = json.dumps({"triggerTime": f"{T0.date() + timedelta(days=1)}T00:30:00Z"}).encode()
PAGE = f"vpndiag/reports/daily/{DAY}.html"


def _environment(tmp: Path) -> dict[str, str]:
    return {
        "VPNDIAG_OBJECT_STORE": f"oss://{BUCKET}/vpndiag/",
        "VPNDIAG_LOG_STORE": f"sqlite:{tmp / 'logs.sqlite3'}",
        "VPNDIAG_STORAGE_REGION": REGION,
        "VPNDIAG_EVENT_BUS": BUS,
        "VPNDIAG_ACCOUNT_ID": DEFAULT_ACCOUNT_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEFAULT_ACCESS_KEY_SECRET,
    }


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    """The bucket and bus, and one connection archived: normal, error twice, normal twice."""
    cloud = Cloud(seed=3)
    cloud.oss(REGION).create_bucket(BUCKET)
    cloud.eventbridge(REGION).create_bus(BUS)
    vpc = cloud.vpc(REGION)
    connection = vpc.add_connection(vpc.add_gateway(name="report").id)
    with cloud.mock():
        archive = ArchiveApp.from_environment(
            {**_environment(tmp_path), "VPNDIAG_LOG_STORE": f"sqlite:{tmp_path / 'l.sqlite3'}"}
        )
        for n, level in enumerate(["normal", "error", "error", "normal", "normal"]):
            vpc.set_health(connection.id, {"VcoUserInternetIpConnectivity": level})
            diagnosis = vpc.record_diagnosis(
                connection.id,
                diagnose_id=f"vpndgn-report{n:04d}",
                begin=T0 + timedelta(hours=2 * n),
            )
            archive.handle(json.dumps({"RegionId": REGION, "DiagnoseId": diagnosis.id}), None)
        yield cloud


def _invoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A fresh instance of the report function (as FC starts one), invoked by its timer."""
    for name, value in _environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    module = load_function("report", ROOT / "functions")
    result: dict[str, Any] = json.loads(invoke_handler(module, TICK, name="report"))
    return result


def _reports(cloud: Cloud) -> list[dict[str, Any]]:
    return [e for e in cloud.eventbridge(REGION).events(BUS) if e["type"] == TYPE]


def test_the_days_report_is_written_next_to_the_archive(
    cloud: Cloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page, its message and the published marker, under vpndiag/reports/daily/."""
    result = _invoke(tmp_path, monkeypatch)
    objects = cloud.oss(REGION).objects(BUCKET)

    assert (result["status"], result["report"]) == ("created", f"oss://{BUCKET}/{PAGE}")
    assert {k for k in objects if "/reports/" in k} == {
        PAGE,
        PAGE.replace(".html", ".message.json"),
        PAGE.replace(".html", ".published"),
    }
    assert objects[PAGE].startswith(b"<!doctype html>")


def test_the_report_reads_the_archive_on_oss(
    cloud: Cloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One connection, down and back (two transitions), normal at the end of the day."""
    message = _invoke(tmp_path, monkeypatch)["message"]

    assert message["counts"]["connections"] == 1
    assert (message["counts"]["normal"], message["transitions"]) == (1, 2)
    assert message["date"] == DAY


def test_the_message_is_published_once_as_a_report_event(
    cloud: Cloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One vpndiag:Report:Published event carrying the message and its DingTalk body; a second
    tick for the same day publishes nothing and leaves the page as it was."""
    first = _invoke(tmp_path, monkeypatch)
    page = cloud.oss(REGION).objects(BUCKET)[PAGE]
    again = _invoke(tmp_path, monkeypatch)
    (published,) = _reports(cloud)

    assert published["data"] == first["message"]
    assert published["data"]["dingtalk"]["msgtype"] == "markdown"
    assert (again["status"], again["published"]) == ("exists", False)
    assert cloud.oss(REGION).objects(BUCKET)[PAGE] == page
