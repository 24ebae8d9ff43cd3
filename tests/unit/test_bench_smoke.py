"""The benchmark compares like with like: the project's archive function and the baseline (the same
pipeline on the official SDKs, ``bench/baseline/index.py``) archive the same three diagnoses into
the same objects and the same log records. In-process (``cloud.mock()``); nothing is timed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("oss2")
pytest.importorskip("aliyun.log")
pytest.importorskip("alibabacloud_vpc20160428")

from bench.baseline import index as baseline
from bench.server import LOGSTORE, REGION, build, diagnosis_id

from vpndiag.app import ArchiveApp
from vpndiag.config import Settings
from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    Cloud,
)

PROJECT, BASELINE = "bench-smoke-project", "bench-smoke-baseline"
PREFIX = "vpndiag/"
DIAGNOSES = [diagnosis_id(n) for n in range(3)]
KEYS = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEFAULT_ACCESS_KEY_SECRET,
}


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    world = build(
        diagnoses=len(DIAGNOSES),
        namespaces=[PROJECT, BASELINE],
        sweep_connections=0,
        latency=0,
        seed=3,
    )
    with world.mock():
        yield world


def _context(number: int) -> SimpleNamespace:
    return SimpleNamespace(request_id=f"smoke-{number}", function=SimpleNamespace(timeout=60))


def _event(diagnose_id: str) -> str:
    return json.dumps({"RegionId": REGION, "DiagnoseId": diagnose_id})


def _archive_project() -> list[dict[str, Any]]:
    environ = {
        **KEYS,
        "VPNDIAG_OBJECT_STORE": f"oss://{PROJECT}/{PREFIX}",
        "VPNDIAG_LOG_STORE": f"sls://{PROJECT}/{LOGSTORE}",
        "VPNDIAG_STORAGE_REGION": REGION,
    }
    if "health" in Settings.model_fields:
        environ["VPNDIAG_HEALTH"] = "false"  # not part of the compared pipeline
    app = ArchiveApp.from_environment(environ)
    return [app.handle(_event(d), _context(n)) for n, d in enumerate(DIAGNOSES)]


def _archive_baseline() -> list[dict[str, Any]]:
    pipeline = baseline.build(
        {
            **KEYS,
            "BASELINE_REGION": REGION,
            "BASELINE_VPC_ENDPOINT": f"vpc.{REGION}.aliyuncs.com",
            "BASELINE_OSS_ENDPOINT": f"http://oss-{REGION}.aliyuncs.com",
            "BASELINE_SLS_ENDPOINT": f"{REGION}.log.aliyuncs.com",
            "BASELINE_BUCKET": BASELINE,
            "BASELINE_PREFIX": PREFIX,
            "BASELINE_PROJECT": BASELINE,
            "BASELINE_LOGSTORE": LOGSTORE,
        }
    )
    baseline._pipeline = pipeline
    try:
        return [
            json.loads(baseline.handler(_event(d), _context(n))) for n, d in enumerate(DIAGNOSES)
        ]
    finally:
        baseline._pipeline = None


def _objects(cloud: Cloud, bucket: str) -> dict[str, bytes]:
    # The lease claims (records-pending) hold a token unique to each attempt.
    stored = cloud.oss(REGION).objects(bucket)
    return {k: v for k, v in stored.items() if ".records-pending" not in k}


def _records(cloud: Cloud, project: str) -> list[str]:
    # request_id names the fetch, not the data: it differs between any two runs.
    rows = cloud.sls(REGION).logs(project, LOGSTORE)
    return sorted(
        json.dumps({k: v for k, v in row.items() if k != "request_id"}, sort_keys=True)
        for row in rows
    )


def test_both_sides_archive_the_same_objects_and_records(cloud: Cloud) -> None:
    """Raw results, summaries and markers byte for byte; the log records field for field."""
    _archive_project()
    _archive_baseline()

    project, other = _objects(cloud, PROJECT), _objects(cloud, BASELINE)
    assert len(project) == 3 * len(DIAGNOSES)  # raw, summary, records-written
    assert project == other
    assert _records(cloud, PROJECT) == _records(cloud, BASELINE)


def test_both_sides_replay_alike(cloud: Cloud) -> None:
    """A second invocation finds everything archived, on both sides: nothing new is written."""
    _archive_project()
    _archive_baseline()
    before = _objects(cloud, PROJECT), _records(cloud, PROJECT), _records(cloud, BASELINE)

    again = [_archive_project(), _archive_baseline()]

    statuses = {item["status"] for side in again for answer in side for item in answer["archived"]}
    assert statuses == {"replayed"}
    assert (_objects(cloud, PROJECT), _records(cloud, PROJECT), _records(cloud, BASELINE)) == before
    assert _objects(cloud, BASELINE) == before[0]


def test_both_sides_answer_alike(cloud: Cloud) -> None:
    """The handlers' answers agree, item by item (status, counts, summary)."""
    project = [answer["archived"][0] for answer in _archive_project()]
    other = [answer["archived"][0] for answer in _archive_baseline()]

    def comparable(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k not in {"archive", "health"}}

    assert [comparable(i) for i in project] == [comparable(i) for i in other]
    assert {i["status"] for i in project} == {"archived"}
