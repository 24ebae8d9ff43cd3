"""The archive pipeline on the embedded stores: polling, identity checks, exactly-once writes."""

from __future__ import annotations

import contextlib
import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EVENTS
from tests.crashing import Crash, Crashes, CrashingLogs, CrashingObjects
from vpndiag.archive.pipeline import ArchivePipeline
from vpndiag.errors import (
    ArchiveConflict,
    ArchiveInProgress,
    DiagnosisPending,
    ResponseError,
    ThrottledError,
)
from vpndiag.events import DiagnosisRequest
from vpndiag.http.deadline import Deadline
from vpndiag.model.connection import VpnConnection
from vpndiag.store.logs import SqliteLogStore
from vpndiag.store.objects import FilesystemObjectStore

SEED = json.loads((EVENTS / "responses" / "finished-seed.json").read_bytes())
REQUEST = DiagnosisRequest(
    region="cn-hangzhou", correlation_id="c-1", diagnose_id="vpndgn-uf6sgneym02lxyuv4****"
)


class ScriptedSource:
    """Answers GetVpnGatewayDiagnoseResult from a list of bodies, repeating the last."""

    def __init__(self, *bodies: dict[str, Any]) -> None:
        self.bodies = list(bodies)
        self.calls = 0

    def get_diagnose_result(self, region: str, **_: Any) -> dict[str, Any]:
        self.calls += 1
        body = self.bodies[min(self.calls, len(self.bodies)) - 1]
        return {**copy.deepcopy(body), "RequestId": f"REQ-{self.calls}"}


def _pipeline(tmp: Path, source: ScriptedSource, **kwargs: Any) -> ArchivePipeline:
    return ArchivePipeline(
        source=source,
        objects=FilesystemObjectStore(tmp / "archive"),
        logs=SqliteLogStore(tmp / "logs.db"),
        sleep=lambda _: None,
        **kwargs,
    )


def _state(tmp: Path) -> tuple[dict[str, bytes], list[str]]:
    """What a reader sees: every document with its bytes, the completion marker, the records.

    The lease claims (``records-pending*``) are bookkeeping whose content is unique per attempt.
    """
    objects = {
        p.relative_to(tmp / "archive").as_posix(): p.read_bytes()
        for p in sorted((tmp / "archive").rglob("*"))
        if p.is_file() and ".records-pending" not in p.name
    }
    records = sorted(r["record_id"] for r in SqliteLogStore(tmp / "logs.db").rows())
    return objects, records


def test_archives_raw_summary_and_one_record_per_check_plus_summary(tmp_path: Path) -> None:
    """A finished diagnosis lands as two objects and len(checks) + 1 records."""
    result = _pipeline(tmp_path, ScriptedSource(SEED)).archive(REQUEST, Deadline.after(30))
    assert result.status == "archived"
    assert result.keys.raw.startswith(
        "diagnoses/region=cn-hangzhou/gateway=vpn-uf6fzwp0ck3frwtbk****/date=2022-12-15/"
    )
    objects, records = _state(tmp_path)
    assert set(objects) >= {result.keys.raw, result.keys.summary, result.keys.logged}
    assert records == sorted([f"{REQUEST.diagnose_id}/check/0", f"{REQUEST.diagnose_id}/summary"])


def test_raw_object_keeps_everything_but_the_per_call_request_id(tmp_path: Path) -> None:
    """The raw archive is the body as received minus RequestId, which differs on every read."""
    result = _pipeline(tmp_path, ScriptedSource(SEED)).archive(REQUEST, Deadline.after(30))
    raw = json.loads((tmp_path / "archive" / result.keys.raw).read_bytes())
    assert raw == {k: v for k, v in SEED.items() if k != "RequestId"}


def test_replay_writes_nothing_and_changes_no_byte(tmp_path: Path) -> None:
    """The same request again reports 'replayed' and leaves the state as it was."""
    pipeline = _pipeline(tmp_path, ScriptedSource(SEED))
    pipeline.archive(REQUEST, Deadline.after(30))
    before = _state(tmp_path)
    again = pipeline.archive(REQUEST, Deadline.after(30))
    assert (again.status, again.objects_created, again.records_written) == ("replayed", 0, 0)
    assert _state(tmp_path) == before


def test_polls_while_the_diagnosis_runs(tmp_path: Path) -> None:
    """An in-progress answer is polled again until the diagnosis completes."""
    running = {**SEED, "FinishedCount": 3, "FinishTime": ""}
    source = ScriptedSource(running, running, SEED)
    assert _pipeline(tmp_path, source).archive(REQUEST, Deadline.after(30)).status == "archived"
    assert source.calls == 3


def test_gives_back_a_pending_error_when_time_runs_short(tmp_path: Path) -> None:
    """Without time for another poll, a retryable DiagnosisPending is raised and nothing written."""
    running = {**SEED, "FinishedCount": 3, "FinishTime": ""}
    pipeline = _pipeline(tmp_path, ScriptedSource(running), poll_interval=2, write_reserve=3)
    with pytest.raises(DiagnosisPending) as caught:
        pipeline.archive(REQUEST, Deadline.after(4))
    assert caught.value.retryable
    assert _state(tmp_path) == ({}, [])


def test_answer_about_another_diagnosis_is_refused(tmp_path: Path) -> None:
    """A response for a different diagnosis id is never archived under this request."""
    other = {**SEED, "DiagnoseId": "vpndgn-someotherid"}
    with pytest.raises(ResponseError, match="vpndgn-someotherid"):
        _pipeline(tmp_path, ScriptedSource(other)).archive(REQUEST, Deadline.after(30))
    assert _state(tmp_path) == ({}, [])


def test_changed_content_for_an_archived_diagnosis_is_a_conflict(tmp_path: Path) -> None:
    """If the service later returns different content, the archive is kept and the error raised."""
    _pipeline(tmp_path, ScriptedSource(SEED)).archive(REQUEST, Deadline.after(30))
    before = _state(tmp_path)
    changed = {**SEED, "FinishTime": "2022-12-15T05:29:09Z"}
    with pytest.raises(ArchiveConflict):
        _pipeline(tmp_path, ScriptedSource(changed)).archive(REQUEST, Deadline.after(30))
    assert _state(tmp_path) == before


def _clean(tmp_path: Path) -> Path:
    clean = tmp_path / "clean"
    _pipeline(clean, ScriptedSource(SEED)).archive(REQUEST, Deadline.after(30))
    return clean


def _clean_state(tmp_path: Path) -> tuple[dict[str, bytes], list[str]]:
    return _state(_clean(tmp_path))


@pytest.mark.parametrize("crash_at", range(6))
def test_a_crash_before_any_write_then_a_retry_equals_a_clean_run(
    tmp_path: Path, crash_at: int
) -> None:
    """Stopping before write N (raw, summary, pending, records, marker) and retrying loses and
    duplicates nothing: same objects, same bytes, same records as an uninterrupted run."""
    expected = _clean_state(tmp_path)
    run = tmp_path / "run"
    objects, logs = FilesystemObjectStore(run / "archive"), SqliteLogStore(run / "logs.db")
    # A crash at the records write lands the first record of the batch first.
    crashes = Crashes(crash_at, landed=1)
    pipeline = ArchivePipeline(
        source=ScriptedSource(SEED),
        objects=CrashingObjects(objects, crashes),
        logs=CrashingLogs(logs, crashes),
    )
    with contextlib.suppress(Crash):
        pipeline.archive(REQUEST, Deadline.after(30))
    # The platform retries later; by then the dead attempt's lease on the records has expired.
    later = ArchivePipeline(
        source=ScriptedSource(SEED), objects=objects, logs=logs, now=lambda: time.time() + 3600
    )
    later.archive(REQUEST, Deadline.after(30))
    assert _state(run) == expected


def test_a_live_lease_makes_a_concurrent_attempt_step_back(tmp_path: Path) -> None:
    """While one attempt holds the lease on the records, another raises a retryable
    ArchiveInProgress and writes no record; after the lease it takes over without duplicates."""
    objects = FilesystemObjectStore(tmp_path / "archive")
    logs = SqliteLogStore(tmp_path / "logs.db")
    # Only the log store counts writes here: the first attempt dies at its records, lease held.
    crashes = Crashes(at=0, landed=1)
    first = ArchivePipeline(
        source=ScriptedSource(SEED), objects=objects, logs=CrashingLogs(logs, crashes)
    )
    with contextlib.suppress(Crash):
        first.archive(REQUEST, Deadline.after(30))
    second = ArchivePipeline(source=ScriptedSource(SEED), objects=objects, logs=logs)
    with pytest.raises(ArchiveInProgress) as caught:
        second.archive(REQUEST, Deadline.after(30))
    assert caught.value.retryable
    assert 0 < caught.value.retry_after <= 60
    assert len(logs.rows()) == 1  # only the half-written batch of the dead attempt
    later = ArchivePipeline(
        source=ScriptedSource(SEED), objects=objects, logs=logs, now=lambda: time.time() + 3600
    )
    later.archive(REQUEST, Deadline.after(30))
    assert sorted(r["record_id"] for r in logs.rows()) == _state(_clean(tmp_path))[1]


# -- the connection's description, taken once ----------------------------------------------------


class Describer:
    """Stands in for VpcClient.describe_connection: counts calls, can fail or find nothing."""

    def __init__(self, *, fail: bool = False, found: bool = True) -> None:
        self.calls = 0
        self.fail = fail
        self.found = found

    def __call__(
        self, region: str, connection_id: str, *, deadline: Deadline
    ) -> VpnConnection | None:
        self.calls += 1
        if self.fail:
            raise ThrottledError(service="vpc", code="Throttling", message="m", status=400)
        if not self.found:
            return None
        return VpnConnection(
            connection_id=connection_id,
            name=f"office-{self.calls}",  # a rename between calls must not change the archive
            gateway_name="hz-gw",
            peer_ip="198.51.100.10",
        )


def test_the_summary_carries_the_described_names_and_peer(tmp_path: Path) -> None:
    """The described connection's name, its gateway's name and the peer address are summarised."""
    result = _pipeline(tmp_path, ScriptedSource(SEED), connections=Describer()).archive(
        REQUEST, Deadline.after(30)
    )
    summary = json.loads((tmp_path / "archive" / result.keys.summary).read_text())
    assert (summary["connection_name"], summary["gateway_name"], summary["peer_ip"]) == (
        "office-1",
        "hz-gw",
        "198.51.100.10",
    )


def test_the_description_is_taken_once_and_replays_read_it_back(tmp_path: Path) -> None:
    """A replay does not describe again: the kept description gives the same summary bytes."""
    describer = Describer()
    first = _pipeline(tmp_path, ScriptedSource(SEED), connections=describer)
    first.archive(REQUEST, Deadline.after(30))
    before = _state(tmp_path)
    again = _pipeline(tmp_path, ScriptedSource(SEED), connections=describer)
    assert again.archive(REQUEST, Deadline.after(30)).status == "replayed"
    assert (describer.calls, _state(tmp_path)) == (1, before)


def test_a_failed_description_is_kept_and_never_fails_the_archive(tmp_path: Path) -> None:
    """DescribeVpnConnections throttled: archived without names; the reason is kept."""
    result = _pipeline(tmp_path, ScriptedSource(SEED), connections=Describer(fail=True)).archive(
        REQUEST, Deadline.after(30)
    )
    assert result.status == "archived"
    assert result.summary.connection_name is None
    assert result.connection is not None
    assert (result.connection.connection, result.connection.error) == (None, "Throttling")


def test_an_unknown_connection_is_kept_as_not_found(tmp_path: Path) -> None:
    """describe_connection answers None (no such connection): kept as NotFound."""
    result = _pipeline(tmp_path, ScriptedSource(SEED), connections=Describer(found=False)).archive(
        REQUEST, Deadline.after(30)
    )
    assert result.connection is not None
    assert result.connection.error == "NotFound"


def test_a_damaged_kept_description_is_a_retryable_error(tmp_path: Path) -> None:
    """An object at the description's key that is not one: read again, never trusted."""
    pipeline = _pipeline(tmp_path, ScriptedSource(SEED), connections=Describer())
    keys = pipeline.archive(REQUEST, Deadline.after(30)).keys
    (tmp_path / "archive" / keys.described).write_text("{not json")
    with pytest.raises(ResponseError) as raised:
        _pipeline(tmp_path, ScriptedSource(SEED), connections=Describer()).archive(
            REQUEST, Deadline.after(30)
        )
    assert raised.value.retryable
