"""Connection state snapshots: create-only, ordered, found across days, replay-safe."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from vpndiag.health.store import Snapshot, StateStore
from vpndiag.health.thresholds import Finding
from vpndiag.health.transitions import ConnectionState, Rule, advance
from vpndiag.store.objects import FilesystemObjectStore, PutOutcome

T0 = datetime(2026, 11, 1, 23, 50, tzinfo=timezone.utc)
CONNECTION = "vco-abcd1234"


def _snapshot(previous: ConnectionState | None, level: str, at: datetime, n: int) -> Snapshot:
    state, transitions = advance(
        previous,
        findings=[Finding("VpnIPsecQuota", level, level)],
        connection_id=CONNECTION,
        gateway_id="vpn-abcd1234",
        region="cn-hangzhou",
        diagnose_id=f"vpndgn-{n:08d}",
        at=at,
        rule=Rule(confirm=1, window=1),
    )
    return Snapshot(state=state, transitions=transitions, findings=[], archive_key=f"k{n}")


def test_previous_is_the_latest_snapshot_before_the_diagnosis(tmp_path: Path) -> None:
    """Among saved snapshots, the one just before the given time is returned, across midnight."""
    store = StateStore(FilesystemObjectStore(tmp_path))
    first = _snapshot(None, "normal", T0, 1)
    second = _snapshot(first.state, "error", T0 + timedelta(minutes=5), 2)  # next day
    store.save(first)
    store.save(second)
    later = T0 + timedelta(minutes=10)
    found = store.previous(CONNECTION, later, "vpndgn-00000003")
    assert found == second
    assert store.previous(CONNECTION, second.state.last_finish_time, "vpndgn-00000002") == first


def test_no_previous_snapshot_beyond_the_lookback(tmp_path: Path) -> None:
    """A connection silent for longer than the lookback starts afresh."""
    store = StateStore(FilesystemObjectStore(tmp_path), lookback_days=3)
    store.save(_snapshot(None, "error", T0, 1))
    assert store.previous(CONNECTION, T0 + timedelta(days=4), "vpndgn-00000002") is None
    assert store.previous(CONNECTION, T0 + timedelta(days=2), "vpndgn-00000002") is not None


def test_saving_the_same_snapshot_again_is_a_replay(tmp_path: Path) -> None:
    """Identical bytes under the same key: IDENTICAL, nothing rewritten."""
    store = StateStore(FilesystemObjectStore(tmp_path))
    snapshot = _snapshot(None, "normal", T0, 1)
    assert store.save(snapshot) is PutOutcome.CREATED
    assert store.save(snapshot) is PutOutcome.IDENTICAL


def test_history_is_in_diagnosis_order(tmp_path: Path) -> None:
    """history() yields every snapshot oldest first, whatever order they were saved in."""
    store = StateStore(FilesystemObjectStore(tmp_path))
    snapshots = [_snapshot(None, "normal", T0, 1)]
    for n in range(2, 5):
        at = T0 + timedelta(hours=n)
        snapshots.append(_snapshot(snapshots[-1].state, "error" if n % 2 else "normal", at, n))
    for snapshot in reversed(snapshots):
        store.save(snapshot)
    assert list(store.history(CONNECTION)) == snapshots
