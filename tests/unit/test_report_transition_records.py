"""Transition records: one per connection-level transition, for SLS alerts that fire on changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from tests.unit.test_report_support import T0, Archive
from vpndiag.archive.records import TOPIC, record_time, transition_records
from vpndiag.health.store import Snapshot
from vpndiag.model.summary import DiagnosisSummary
from vpndiag.report.collect import read_summary

DOWN = {"VcoUserInternetIpConnectivity": "error", "VpnIPsecQuota": "warning"}
NOW = int((T0 + timedelta(days=1)).timestamp())


def _diagnosed(
    archive: Archive, levels: dict[str, str], n: int, codes: Sequence[str] = ()
) -> tuple[DiagnosisSummary, Snapshot]:
    snapshot = archive.diagnose("vco-conn0001", T0 + timedelta(hours=n), levels, codes=codes)
    return read_summary(archive.objects.get(snapshot.archive_key) or b""), snapshot


def test_one_record_per_connection_transition_and_none_per_check(tmp_path: Path) -> None:
    """Going down changes two checks and the connection: one record, for the connection."""
    archive = Archive(tmp_path)
    _diagnosed(archive, {}, 0)
    summary, snapshot = _diagnosed(archive, DOWN, 1)

    (record,) = transition_records(summary, snapshot, now=NOW)
    assert len(snapshot.transitions) == 3
    assert record.contents["record_id"] == f"{summary.diagnose_id}/transition/0"
    assert (record.contents["record_type"], record.topic) == ("transition", TOPIC)


def test_a_record_says_what_changed_and_why(tmp_path: Path) -> None:
    """From, to, how long the previous level lasted, the checks not normal, the tunnels' codes."""
    archive = Archive(tmp_path)
    _diagnosed(archive, {}, 0)
    summary, snapshot = _diagnosed(archive, DOWN, 1, codes=["PeerMismatch", "DhGroupMismatch"])

    (record,) = transition_records(summary, snapshot, now=NOW)
    contents = record.contents
    assert (contents["kind"], contents["from_level"], contents["to_level"]) == (
        "changed",
        "normal",
        "error",
    )
    assert (contents["lasted_seconds"], contents["flapping"]) == ("3600", "false")
    assert contents["causes"] == "VpnIPsecQuota:warning,VcoUserInternetIpConnectivity:error"
    assert contents["failure_codes"] == "DhGroupMismatch,PeerMismatch"
    assert contents["finish_time"] == "2026-11-01T01:00:00Z"
    assert contents["archive_key"] == snapshot.archive_key


def test_a_first_sighting_at_a_bad_level_has_no_previous_level(tmp_path: Path) -> None:
    """First seen down: from_level and lasted_seconds are empty."""
    summary, snapshot = _diagnosed(Archive(tmp_path), DOWN, 0)

    (record,) = transition_records(summary, snapshot, now=NOW)
    assert (record.contents["from_level"], record.contents["lasted_seconds"]) == ("", "")


def test_no_transition_no_record(tmp_path: Path) -> None:
    """A diagnosis that changes nothing writes no transition record."""
    archive = Archive(tmp_path)
    _diagnosed(archive, {}, 0)
    summary, snapshot = _diagnosed(archive, {}, 1)

    assert transition_records(summary, snapshot, now=NOW) == []


def test_flapping_starts_are_records_of_their_own(tmp_path: Path) -> None:
    """Three changes within the flap window: the third carries the flag, and the start of
    flapping is its own record."""
    archive = Archive(tmp_path)
    for n, levels in enumerate([{}, DOWN, {}]):
        _diagnosed(archive, levels, n)
    summary, snapshot = _diagnosed(archive, DOWN, 3)

    records = transition_records(summary, snapshot, now=NOW)
    assert [(r.contents["kind"], r.contents["flapping"]) for r in records] == [
        ("changed", "true"),
        ("flapping_started", "true"),
    ]


def test_records_are_timed_as_the_diagnosis_records_are(tmp_path: Path) -> None:
    """The same time as the diagnosis's check and summary records (SLS's age limit applies)."""
    summary, snapshot = _diagnosed(Archive(tmp_path), DOWN, 0)

    (record,) = transition_records(summary, snapshot, now=NOW)
    assert record.time == record_time(summary, NOW)
