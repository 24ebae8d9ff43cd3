"""The synthetic archives the report tests read, and a check that they are what the archive writes.

``Archive.diagnose`` folds one diagnosis into a connection's state with the health code itself
(``advance``) and writes its snapshot and summary under the keys the archive uses (``StateStore``,
``layout.keys_for``), with the bytes it writes. The files are written directly, without the
filesystem store's fsync, so that a month of 300 connections takes seconds.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

from tests.conftest import EVENTS
from vpndiag.archive import layout
from vpndiag.health.actions import Action
from vpndiag.health.store import Snapshot, StateStore
from vpndiag.health.thresholds import Finding, Thresholds
from vpndiag.health.transitions import ConnectionState, Rule, advance
from vpndiag.model.connection import VpnConnection
from vpndiag.model.response import parse_result
from vpndiag.model.summary import DiagnosisSummary
from vpndiag.normalize import normalize, with_connection
from vpndiag.report import sla
from vpndiag.report.build import Report, Row
from vpndiag.report.collect import ConnectionHistory, FailingTunnel, OpenFinding, Sample
from vpndiag.report.period import Period
from vpndiag.store.objects import FilesystemObjectStore

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
GATEWAY = "vpn-gw0000000001"
REGION = "cn-hangzhou"


@cache
def _template() -> dict[str, Any]:
    body = (EVENTS / "responses" / "finished-all-checks.json").read_bytes()
    summary = normalize(parse_result(body), region=REGION, account_id="1234567890123456")
    document: dict[str, Any] = summary.model_dump(mode="json")
    return document


def checks() -> list[str]:
    """The seven checks every synthetic diagnosis reports."""
    return [c["name"] for c in _template()["checks"]]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Archive:
    """A filesystem archive written diagnosis by diagnosis, one state per connection."""

    root: Path
    prefix: str = ""
    rule: Rule = field(default_factory=lambda: Rule(confirm=1, window=1))
    states: dict[str, ConnectionState] = field(default_factory=dict)
    count: int = 0

    @property
    def objects(self) -> FilesystemObjectStore:
        return FilesystemObjectStore(self.root)

    def _write(self, key: str, body: bytes) -> None:
        path = self.root.joinpath(*key.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)

    def _summary(
        self,
        connection: str,
        diagnose_id: str,
        at: datetime,
        levels: Mapping[str, str],
        *,
        gateway: str,
        region: str,
        rtt: float,
        loss: float,
        quota_used: int,
    ) -> DiagnosisSummary:
        document = copy.deepcopy(_template())
        document.update(
            diagnose_id=diagnose_id,
            gateway_id=gateway,
            resource_id=connection,
            region=region,
            begin_time=_iso(at),
            finish_time=_iso(at),
            duration_seconds=0.0,
        )
        for check in document["checks"]:
            check["level"] = levels.get(check["name"], "normal")
            detail = check["detail"]
            if detail["kind"] == "connectivity":
                detail.update(rtt=rtt, loss_rate=loss)
            elif detail["kind"] == "quota":
                detail.update(quantity=100, used=quota_used)
        return DiagnosisSummary.model_validate(document)

    def diagnose(
        self,
        connection: str,
        at: datetime,
        levels: Mapping[str, str] | None = None,
        *,
        gateway: str = GATEWAY,
        region: str = REGION,
        rtt: float = 20.0,
        loss: float = 0.0,
        quota_used: int = 10,
        codes: Sequence[str] = (),
        sentence: str | None = None,
        thresholds: Mapping[str, str] | None = None,
        described: VpnConnection | None = None,
    ) -> Snapshot:
        """One finished diagnosis of ``connection`` at ``at``: ``levels`` by check (others
        normal), ``codes`` its failing tunnels, ``thresholds`` which threshold raised a check,
        ``described`` the connection's description kept with it (tunnels, names)."""
        self.count += 1
        diagnose_id = f"vpndgn-{self.count:012d}"
        levels = levels or {}
        raised = thresholds or {}
        findings = [Finding(name, levels.get(name, "normal"), "normal") for name in checks()]
        state, moves = advance(
            self.states.get(connection),
            findings=findings,
            connection_id=connection,
            gateway_id=gateway,
            region=region,
            diagnose_id=diagnose_id,
            at=at,
            rule=self.rule,
            connection=described,
        )
        self.states[connection] = state
        summary = self._summary(
            connection,
            diagnose_id,
            at,
            levels,
            gateway=gateway,
            region=region,
            rtt=rtt,
            loss=loss,
            quota_used=quota_used,
        )
        summary = with_connection(summary, described)
        keys = layout.keys_for(summary, self.prefix)
        tunnels = [
            {
                "tunnel_id": f"tun-{n:08d}",
                "failed_reason_code": code,
                "failed_reason": f"{code}: the peer did not answer",
                "severity": "Critical",
                "action": None,
            }
            for n, code in enumerate(codes)
        ]
        snapshot = Snapshot(
            state=state,
            transitions=moves,
            findings=[
                {
                    "check": f.check,
                    "level": f.level,
                    "sentence": sentence or f"{f.check} found {f.level}",
                    "service_level": f.service_level,
                    "threshold": raised.get(f.check),
                    "note": "the service said normal" if f.check in raised else None,
                    "action": None,
                }
                for f in findings
            ],
            root_cause={"tunnels": tunnels} if tunnels else None,
            archive_key=keys.summary,
        )
        store = StateStore(self.objects, prefix=self.prefix)
        self._write(
            store.key(connection, at, diagnose_id),
            layout.canonical_json(snapshot.model_dump(mode="json")),
        )
        self._write(keys.summary, layout.summary_document(summary))
        return snapshot


PERIOD = Period.days(T0.date(), date(2026, 11, 7), now=datetime(2027, 1, 1, tzinfo=timezone.utc))


def row(
    connection: str = "vco-conn0001",
    *,
    level: str = "error",
    gateway: str = GATEWAY,
    region: str = REGION,
    text: str = "peer unreachable",
    check: str = "VcoUserInternetIpConnectivity",
    action: Action | None = None,
    code: str = "Phase1NegotiationTimeout",
    changes: Sequence[sla.Change] | None = None,
) -> Row:
    """A report row built by hand: every text field can be set to something hostile."""
    moves = (
        list(changes)
        if changes is not None
        else [
            sla.Change(T0, None, "normal"),
            sla.Change(T0 + timedelta(days=2), "normal", level, causes=(f"{check} {level}",)),
        ]
    )
    history = ConnectionHistory(
        connection_id=connection,
        gateway_id=gateway,
        region=region,
        level=level,
        since=moves[-1].at if moves else T0,
        flapping=False,
        last_diagnosis=T0 + timedelta(days=5),
        diagnoses=5,
        changes=tuple(moves),
        confirmed=((check, level),) if level != "normal" else (),
        findings=(OpenFinding(check, level, text, text, None, action),)
        if level != "normal"
        else (),
        tunnels=(FailingTunnel("tun-00000001", code, text, action),) if level != "normal" else (),
        samples=(
            Sample(T0, {"VpnIPsecQuota": 40.0}, {"VcoPrivateConnectivity": 12.0}, {}),
            Sample(
                T0 + timedelta(days=3),
                {"VpnIPsecQuota": 85.0},
                {"VcoPrivateConnectivity": 30.0},
                {},
            ),
        ),
        archive_key=f"diagnoses/{text}.summary.json",
    )
    return Row(history, sla.compute(moves, PERIOD), tuple(sla.bands(moves, PERIOD)))


def report(rows: Sequence[Row], *, source: str = "file:var/archive") -> Report:
    return Report(
        period=PERIOD,
        generated_at=datetime(2026, 11, 8, tzinfo=timezone.utc),
        source=source,
        rows=tuple(rows),
        thresholds=Thresholds(),
    )


def test_a_synthetic_diagnosis_reads_back_as_the_archive_wrote_it(tmp_path: Path) -> None:
    """The snapshot is where the state store finds it, and the summary where layout puts it."""
    archive = Archive(tmp_path, prefix="vpndiag/")
    written = archive.diagnose("vco-conn0001", T0, {"VcoPrivateConnectivity": "error"})
    store = StateStore(archive.objects, prefix="vpndiag/")

    assert store.latest("vco-conn0001") == written
    assert archive.objects.exists(written.archive_key)
    assert written.state.level == "error"
