"""The SQLite log store: one row per record, queryable, duplicates visible."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from vpndiag.store.logs import LogRecord, SqliteLogStore


def _record(diagnose: str, index: int, time: int = 1_700_000_000) -> LogRecord:
    return LogRecord(
        time=time,
        topic="vpndiag",
        source="vpn-x",
        contents={
            "record_id": f"{diagnose}/check/{index}",
            "record_type": "check",
            "diagnose_id": diagnose,
            "connection_id": "vco-abcd1234",
            "check": "VpnIPsecQuota",
            "level": "warning",
        },
    )


def test_each_record_is_a_row_queryable_with_sql(tmp_path: Path) -> None:
    """Promoted columns answer plain SQL from another connection."""
    store = SqliteLogStore(tmp_path / "logs.sqlite3")
    store.put([_record("vpndgn-a", 0), _record("vpndgn-a", 1)])
    with sqlite3.connect(tmp_path / "logs.sqlite3") as db:
        rows = db.execute(
            "SELECT check_name, level FROM records WHERE connection_id = 'vco-abcd1234'"
        )
        assert rows.fetchall() == [("VpnIPsecQuota", "warning")] * 2


def test_record_ids_reports_what_landed_for_a_diagnosis(tmp_path: Path) -> None:
    """record_ids answers for one diagnosis within the time window only."""
    store = SqliteLogStore(tmp_path / "l.db")
    store.put([_record("vpndgn-a", 0), _record("vpndgn-b", 0), _record("vpndgn-a", 1, time=10)])
    assert store.record_ids("vpndgn-a", since=1_000) == {"vpndgn-a/check/0"}


def test_duplicates_are_kept_not_merged(tmp_path: Path) -> None:
    """Like SLS, the store does not de-duplicate: a double write is visible to tests."""
    store = SqliteLogStore(tmp_path / "l.db")
    store.put([_record("vpndgn-a", 0)])
    store.put([_record("vpndgn-a", 0)])
    assert len(store.rows("diagnose_id = ?", ["vpndgn-a"])) == 2


def test_contents_round_trip(tmp_path: Path) -> None:
    """Every content field is kept as written."""
    store = SqliteLogStore(tmp_path / "l.db")
    record = _record("vpndgn-a", 0)
    store.put([record])
    assert store.rows() == [dict(record.contents)]
