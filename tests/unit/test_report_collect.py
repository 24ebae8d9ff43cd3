"""Reading a period out of the archive: changes walked back from the latest state, findings with
their actions, tunnels, trend samples, and only the period's partitions listed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.unit.test_report_support import GATEWAY, T0, Archive
from vpndiag.archive import layout
from vpndiag.health import actions
from vpndiag.report.collect import (
    ConnectionHistory,
    Reader,
    collect,
    failing_tunnels,
    read_summary,
    summary_key,
)
from vpndiag.report.period import Period
from vpndiag.report.sla import Change
from vpndiag.store.objects import FilesystemObjectStore, ObjectStore, PutOutcome

NOW = datetime(2028, 1, 1, tzinfo=timezone.utc)
CONNECTION = "vco-conn0001"
DOWN = {"VcoUserInternetIpConnectivity": "error"}


def day(n: int, hour: int = 0) -> datetime:
    return T0 + timedelta(days=n, hours=hour)


def period(first: int, last: int) -> Period:
    return Period.days(
        (T0 + timedelta(days=first)).date(), (T0 + timedelta(days=last)).date(), now=NOW
    )


def read(archive: Archive, within: Period, objects: ObjectStore | None = None) -> ConnectionHistory:
    reader = Reader(objects or archive.objects, archive.prefix, within, actions.load())
    found = reader.connection(CONNECTION)
    assert found is not None
    return found


def moves(history: ConnectionHistory) -> list[tuple[datetime, str | None, str]]:
    return [(c.at, c.from_level, c.to_level) for c in history.changes]


def test_every_change_in_the_period_is_found(tmp_path: Path) -> None:
    """Hourly diagnoses over two days; the changes are exactly the level changes."""
    archive = Archive(tmp_path)
    script = {5: DOWN, 6: DOWN, 9: {}, 30: {"VpnIPsecQuota": "warning"}}
    levels: Mapping[str, str] = {}
    for hour in range(48):
        levels = script.get(hour, levels)
        archive.diagnose(CONNECTION, day(0, hour), levels)

    assert moves(read(archive, period(0, 1))) == [
        (day(0), None, "normal"),
        (day(0, 5), "normal", "error"),
        (day(0, 9), "error", "normal"),
        (day(0, 30), "normal", "warning"),
    ]


def test_a_change_carries_what_its_diagnosis_found(tmp_path: Path) -> None:
    """Its causes: the checks not normal and the failing tunnels' codes."""
    archive = Archive(tmp_path)
    archive.diagnose(CONNECTION, day(0))
    archive.diagnose(CONNECTION, day(1), DOWN, codes=["Phase1NegotiationTimeout"])

    change = read(archive, period(0, 1)).changes[-1]
    assert change.causes == ("VcoUserInternetIpConnectivity error", "Phase1NegotiationTimeout")


def test_a_threshold_finding_is_named_as_such(tmp_path: Path) -> None:
    """A level a threshold raised says so among the causes."""
    archive = Archive(tmp_path)
    archive.diagnose(CONNECTION, day(0))
    slow = {"VcoUserInternetIpConnectivity": "warning"}
    archive.diagnose(CONNECTION, day(1), slow, thresholds={"VcoUserInternetIpConnectivity": "rtt"})

    assert read(archive, period(0, 1)).changes[-1].causes == (
        "VcoUserInternetIpConnectivity rtt threshold",
    )


def test_the_level_at_the_start_comes_from_before_the_period(tmp_path: Path) -> None:
    """Down since before the period and never back: one change, before the start, with no
    causes read (its diagnosis is outside the period)."""
    archive = Archive(tmp_path)
    archive.diagnose(CONNECTION, day(0))
    archive.diagnose(CONNECTION, day(1), DOWN)
    for n in range(2, 12):
        archive.diagnose(CONNECTION, day(n), DOWN)

    history = read(archive, period(10, 11))
    assert history.changes == (Change(day(1), "normal", "error"),)


def test_a_spell_is_walked_back_to_its_start_through_older_partitions(tmp_path: Path) -> None:
    """Warning two weeks before the period, error a week later, normal in the period: the walk
    lists older weeks until it finds the spell's start."""
    archive = Archive(tmp_path)
    archive.diagnose(CONNECTION, day(0))
    archive.diagnose(CONNECTION, day(1), {"VpnIPsecQuota": "warning"})
    archive.diagnose(CONNECTION, day(9), DOWN)
    archive.diagnose(CONNECTION, day(16), DOWN)
    archive.diagnose(CONNECTION, day(17))

    assert moves(read(archive, period(16, 17))) == [
        (day(1), "normal", "warning"),
        (day(9), "warning", "error"),
        (day(17), "error", "normal"),
    ]


def test_the_walk_stops_at_the_lookback(tmp_path: Path) -> None:
    """A spell begun further back than the lookback is known only from the change that ended it;
    with a longer lookback the walk reaches its start."""
    archive = Archive(tmp_path)
    archive.diagnose(CONNECTION, day(0))
    archive.diagnose(CONNECTION, day(1), {"VpnIPsecQuota": "warning"})
    archive.diagnose(CONNECTION, day(20), DOWN)
    archive.diagnose(CONNECTION, day(30))

    def changes(lookback: int) -> list[datetime]:
        reader = Reader(archive.objects, "", period(30, 30), actions.load(), lookback_days=lookback)
        history = reader.connection(CONNECTION)
        assert history is not None
        return [c.at for c in history.changes]

    assert changes(7) == [day(30)]
    assert changes(31) == [day(1), day(20), day(30)]


def test_a_connection_without_a_diagnosis_in_the_period_is_left_out(tmp_path: Path) -> None:
    """Diagnosed before the period only: no row."""
    archive = Archive(tmp_path)
    archive.diagnose(CONNECTION, day(0))
    archive.diagnose("vco-conn0002", day(5))

    found = collect(Reader(archive.objects, "", period(3, 6), actions.load()))
    assert [h.connection_id for h in found] == ["vco-conn0002"]


def test_folders_that_are_not_connections_are_skipped(tmp_path: Path) -> None:
    """Only ``connection=<id>`` folders with a valid id are read."""
    archive = Archive(tmp_path)
    archive.diagnose(CONNECTION, day(0))
    (tmp_path / "state" / "connection=..bad" / "x").mkdir(parents=True)
    (tmp_path / "state" / "other").mkdir()

    assert Reader(archive.objects, "", period(0, 0), actions.load()).connections() == [CONNECTION]


def test_the_latest_state_and_its_open_findings(tmp_path: Path) -> None:
    """The row's state is the last diagnosis's; each open finding has its table action."""
    archive = Archive(tmp_path)
    archive.diagnose(CONNECTION, day(0), DOWN, sentence="peer unreachable")

    history = read(archive, period(0, 0))
    (finding,) = history.findings
    assert (history.level, history.since, history.diagnoses) == ("error", day(0), 1)
    assert (finding.check, finding.level, finding.sentence) == (
        "VcoUserInternetIpConnectivity",
        "error",
        "peer unreachable",
    )
    assert finding.action is not None
    assert finding.action.key == "checks.VcoUserInternetIpConnectivity.error"


def test_a_threshold_finding_gets_the_thresholds_action(tmp_path: Path) -> None:
    """As the tracker chose it: the action of the threshold that raised the level."""
    archive = Archive(tmp_path)
    slow = {"VcoUserInternetIpConnectivity": "warning"}
    archive.diagnose(CONNECTION, day(0), slow, thresholds={"VcoUserInternetIpConnectivity": "rtt"})

    (finding,) = read(archive, period(0, 0)).findings
    assert finding.action is not None
    assert (finding.threshold, finding.action.key) == ("rtt", "thresholds.rtt")


def test_failing_tunnels_are_listed_with_their_codes(tmp_path: Path) -> None:
    """The latest root cause's failing tunnels."""
    archive = Archive(tmp_path)
    archive.diagnose(CONNECTION, day(0), DOWN, codes=["PeerMismatch"])

    (tunnel,) = read(archive, period(0, 0)).tunnels
    assert (tunnel.tunnel_id, tunnel.code) == ("tun-00000000", "PeerMismatch")


def test_checks_still_confirmed_bad_are_kept(tmp_path: Path) -> None:
    """With two sightings needed, one normal diagnosis leaves the check confirmed at error."""
    archive = Archive(tmp_path)
    archive.rule = archive.rule.model_copy(update={"confirm": 2, "window": 3})
    archive.diagnose(CONNECTION, day(0), DOWN)
    archive.diagnose(CONNECTION, day(1))

    history = read(archive, period(0, 1))
    assert (history.level, history.findings) == ("error", ())
    assert history.confirmed == (("VcoUserInternetIpConnectivity", "error"),)


def test_samples_are_spread_over_the_period(tmp_path: Path) -> None:
    """Ten daily diagnoses, five samples: one per two-day slice, the slice's last."""
    archive = Archive(tmp_path)
    for n in range(10):
        archive.diagnose(CONNECTION, day(n), rtt=float(n), quota_used=10 * n)
    reader = Reader(archive.objects, "", period(0, 9), actions.load(), samples=5)

    history = reader.connection(CONNECTION)
    assert history is not None
    assert [s.rtt_ms["VcoUserInternetIpConnectivity"] for s in history.samples] == [1, 3, 5, 7, 9]
    assert history.samples[-1].quota_percent["VpnIPsecQuota"] == 90


def test_a_negative_rtt_is_no_reply_and_left_out(tmp_path: Path) -> None:
    """rtt -1 (no reply) is not a round-trip time; the loss still counts."""
    archive = Archive(tmp_path)
    archive.diagnose(CONNECTION, day(0), DOWN, rtt=-1, loss=100)

    (sample,) = read(archive, period(0, 0)).samples
    assert "VcoUserInternetIpConnectivity" not in sample.rtt_ms
    assert sample.loss_percent["VcoUserInternetIpConnectivity"] == 100


def test_summary_keys_are_the_archives(tmp_path: Path) -> None:
    """The key derived from a snapshot key is the one layout gives the summary."""
    archive = Archive(tmp_path, prefix="vpndiag/")
    snapshot = archive.diagnose(CONNECTION, day(0))
    summary = read_summary(archive.objects.get(snapshot.archive_key) or b"")

    assert layout.keys_for(summary, "vpndiag/").summary == summary_key(
        "vpndiag/", "cn-hangzhou", GATEWAY, "2026-11-01", summary.diagnose_id
    )


class _Recording(FilesystemObjectStore):
    """The filesystem store, noting every prefix listed."""

    listed: list[str]

    def list(self, prefix: str) -> Iterator[str]:
        self.listed.append(prefix)
        return super().list(prefix)


class _KeysOnly:
    """A store that lists keys only (as OSS does without a delimiter), noting every prefix."""

    def __init__(self, inner: FilesystemObjectStore) -> None:
        self.inner = inner
        self.listed: list[str] = []

    def put_if_absent(
        self, key: str, body: bytes, *, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> PutOutcome:
        return self.inner.put_if_absent(key, body, content_type=content_type, metadata=metadata)

    def get(self, key: str) -> bytes | None:
        return self.inner.get(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def list(self, prefix: str) -> Iterator[str]:
        self.listed.append(prefix)
        return self.inner.list(prefix)

    def location(self, key: str) -> str:
        return self.inner.location(key)


def _year_of_diagnoses(archive: Archive) -> None:
    for n in range(0, 360, 3):
        archive.diagnose(CONNECTION, day(n))


def test_a_filesystem_archive_is_listed_day_by_day(tmp_path: Path) -> None:
    """Only the period's day folders are listed, whatever else the connection's history holds."""
    archive = Archive(tmp_path)
    _year_of_diagnoses(archive)
    store = _Recording(tmp_path)
    store.listed = []

    read(archive, period(300, 301), store)
    folder = f"state/connection={CONNECTION}/"
    assert store.listed == [f"{folder}date=2027-08-28/", f"{folder}date=2027-08-29/"]


def test_a_key_listing_store_is_listed_month_by_month(tmp_path: Path) -> None:
    """Without directories, one prefix per month of the period, and the state tree for the
    connections."""
    archive = Archive(tmp_path)
    _year_of_diagnoses(archive)
    store = _KeysOnly(archive.objects)

    found = collect(Reader(store, "", period(300, 301), actions.load()))
    folder = f"state/connection={CONNECTION}/"
    assert store.listed == ["state/", f"{folder}date=2027-08"]
    assert [h.diagnoses for h in found] == [1]


@pytest.mark.parametrize("prefix", ["", "vpndiag/"])
def test_the_archive_prefix_is_honoured(tmp_path: Path, prefix: str) -> None:
    """An archive under a prefix (as on OSS) reads the same."""
    archive = Archive(tmp_path, prefix=prefix)
    archive.diagnose(CONNECTION, day(0), DOWN)

    history = read(archive, period(0, 0))
    assert (history.level, len(history.samples)) == ("error", 1)
    assert history.archive_key.startswith(f"{prefix}diagnoses/")


def test_partitions_of_other_days_do_not_leak_in(tmp_path: Path) -> None:
    """A month prefix lists the whole month; only the period's days are kept."""
    archive = Archive(tmp_path)
    for n in range(10):
        archive.diagnose(CONNECTION, day(n))
    store = _KeysOnly(archive.objects)

    history = read(archive, period(3, 4), store)
    assert history.diagnoses == 2
    assert date(2026, 11, 4) <= history.last_diagnosis.date() <= date(2026, 11, 5)


def test_a_tunnels_kept_action_is_read_back_and_a_broken_one_left_out(tmp_path: Path) -> None:
    """The action the root cause kept comes with the tunnel; one that no longer fits the model
    is dropped rather than failing the report."""
    snapshot = Archive(tmp_path).diagnose(CONNECTION, day(0), DOWN, codes=["A", "B"])
    kept = actions.load().for_negotiation("PeerMismatch").model_dump(mode="json")
    tunnels = [
        {"tunnel_id": "tun-1", "failed_reason_code": "A", "action": kept},
        {"tunnel_id": "tun-2", "failed_reason_code": "B", "action": {"en": "half an action"}},
    ]
    changed = snapshot.model_copy(update={"root_cause": {"tunnels": tunnels}})

    first, second = failing_tunnels(changed)
    assert first.action is not None
    assert first.action.key == "negotiation.PeerMismatch"
    assert second.action is None
