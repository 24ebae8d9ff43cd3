"""Read what a report needs from the archive, for one period, without reading the archive whole.

Per connection (``state/connection=<id>/``):

1. the keys of its snapshots in the period's date partitions (``listing.day_keys``); a connection
   with none is not in the report;
2. the latest snapshot: the current state (with its tunnels and the connection's names), the open
   findings with their actions, the failing tunnels (a root-cause failure, a tunnel the root cause
   had no answer for, or a tunnel the state holds down or unknown);
3. the level changes, read *backwards* from the latest state: a state says since when it holds
   (``since``) and what held before (``previous_level``), so the snapshot just before ``since``
   gives the state before that, and so on until the level at the period's start is known. Two
   reads per change (the change itself, for its causes, and the state before it), however many
   diagnoses the period holds. Older partitions are listed only when a change reaches back past
   the period's start (a spell that began earlier), at most ``lookback_days`` back;
4. up to ``samples`` summaries spread over the period, for the quota, rtt and loss trends (their
   keys follow from the snapshot keys: no snapshot is read for them).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError

from vpndiag import identifiers
from vpndiag.health.actions import Action, ActionTable
from vpndiag.health.store import Snapshot
from vpndiag.health.transitions import DOWN, UP, TunnelMark
from vpndiag.model.checks import ConnectivityDetail, QuotaDetail
from vpndiag.model.summary import DiagnosisSummary, level_rank
from vpndiag.report import listing
from vpndiag.report.period import Period
from vpndiag.report.sla import NORMAL, Change
from vpndiag.store.objects import ObjectStore

_SNAPSHOT = re.compile(r"date=(\d{4}-\d{2}-\d{2})/(\d{6})-(vpndgn-[a-z0-9*]{4,48})\.json")
_STAMP = "%Y-%m-%d/%H%M%S"
# How many days of older partitions one step back lists (a week: one request on OSS, seven
# directory reads on a filesystem).
_STEP_DAYS = 7


@dataclass(frozen=True)
class Sample:
    """One diagnosis's measurements, by check name."""

    at: datetime
    quota_percent: dict[str, float]
    rtt_ms: dict[str, float]
    loss_percent: dict[str, float]


@dataclass(frozen=True)
class OpenFinding:
    """A check that is not normal at the end of the period, and what to do about it."""

    check: str
    level: str
    sentence: str
    note: str | None
    threshold: str | None
    action: Action | None


@dataclass(frozen=True)
class FailingTunnel:
    tunnel_id: str
    code: str  # a negotiation failure code, "no answer", or the tunnel's level ("down", "unknown")
    reason: str
    action: Action | None
    role: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class ConnectionHistory:
    connection_id: str
    gateway_id: str
    region: str
    level: str
    since: datetime
    flapping: bool
    last_diagnosis: datetime
    diagnoses: int  # in the period
    changes: tuple[Change, ...]
    confirmed: tuple[tuple[str, str], ...]  # (check, level) of the checks confirmed not normal
    findings: tuple[OpenFinding, ...]
    tunnels: tuple[FailingTunnel, ...]
    samples: tuple[Sample, ...]
    archive_key: str
    connection_name: str | None = None
    gateway_name: str | None = None
    peer_ip: str | None = None
    tunnel_states: tuple[TunnelMark, ...] = ()  # every tunnel as the latest state holds it

    @property
    def worst_finding(self) -> OpenFinding | None:
        if not self.findings:
            return None
        return max(self.findings, key=lambda f: (level_rank(f.level), f.check))


@dataclass(frozen=True)
class _Entry:
    key: str
    stamp: str  # YYYY-MM-DD/HHMMSS, as the key writes the diagnosis's time
    diagnose_id: str

    @property
    def at(self) -> datetime:
        return datetime.strptime(self.stamp, _STAMP).replace(tzinfo=timezone.utc)


def _entries(keys: list[str]) -> list[_Entry]:
    found = []
    for key in keys:
        match = _SNAPSHOT.search(key)
        if match:  # anything else in the folder is not a snapshot
            found.append(_Entry(key, f"{match[1]}/{match[2]}", match[3]))
    return found


def summary_key(prefix: str, region: str, gateway_id: str, day: str, diagnose_id: str) -> str:
    """Where the archive keeps a diagnosis's summary (``vpndiag.archive.layout.keys_for``)."""
    return (
        f"{prefix}diagnoses/region={region}/gateway={gateway_id}/date={day}"
        f"/{diagnose_id}.summary.json"
    )


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(_STAMP)


def open_findings(snapshot: Snapshot, actions: ActionTable) -> tuple[OpenFinding, ...]:
    """The snapshot's findings that are not normal, each with its action (chosen as the tracker
    chose it, from this table: a threshold's action, else the check's)."""
    found = []
    for finding in snapshot.findings:
        check, level = str(finding.get("check") or "?"), str(finding.get("level") or "?")
        if level == NORMAL:
            continue
        threshold = finding.get("threshold")
        kind = str(threshold) if threshold else None
        note = finding.get("note")
        found.append(
            OpenFinding(
                check=check,
                level=level,
                sentence=str(finding.get("sentence") or ""),
                note=str(note) if note else None,
                threshold=kind,
                action=actions.for_threshold(kind) if kind else actions.for_check(check, level),
            )
        )
    return tuple(sorted(found, key=lambda f: (-level_rank(f.level), f.check)))


def _tunnels(snapshot: Snapshot) -> list[dict[str, Any]]:
    tunnels = (snapshot.root_cause or {}).get("tunnels")
    return [t for t in tunnels if isinstance(t, dict)] if isinstance(tunnels, list) else []


def _failing(tunnel: dict[str, Any]) -> bool:
    severity = tunnel.get("severity")
    return bool(tunnel.get("failed_reason_code")) or severity not in (None, "", "Normal")


def _action(value: object) -> Action | None:
    """A tunnel's kept action; one that no longer fits the model is left out, not fatal."""
    if not isinstance(value, dict):
        return None
    try:
        return Action.model_validate(value)
    except ValidationError:
        return None


NO_ANSWER = "no answer"


def _no_answer(tunnel: dict[str, Any]) -> bool:
    # The root cause marks a tunnel it expected to fail but heard nothing about (answered=False).
    return tunnel.get("answered") is False


def failing_tunnels(
    snapshot: Snapshot, actions: ActionTable | None = None
) -> tuple[FailingTunnel, ...]:
    """The tunnels in trouble: each root-cause failure, each tunnel the root cause had no answer
    for (shown as such, never as healthy), and, with ``actions``, each tunnel the state holds
    down or unknown that the root cause says nothing against (with the table's tunnel action)."""
    state = snapshot.state
    found = []
    for tunnel in _tunnels(snapshot):
        silent = _no_answer(tunnel)
        if not silent and not _failing(tunnel):
            continue
        tunnel_id = str(tunnel.get("tunnel_id") or state.connection_id)
        held = state.tunnels.get(tunnel_id)
        status = tunnel.get("status") or (held.status if held else None)
        code = tunnel.get("failed_reason_code") or tunnel.get("severity") or "?"
        reason = tunnel.get("source_log_note") if silent else tunnel.get("failed_reason")
        role = tunnel.get("role") or (held.role if held else None)
        action = _action(tunnel.get("action"))
        if action is None and silent and actions is not None:
            action = actions.for_tunnel(DOWN)
        found.append(
            FailingTunnel(
                tunnel_id=tunnel_id,
                code=NO_ANSWER if silent else str(code),
                reason=str(reason or ""),
                action=action,
                role=str(role) if role else None,
                status=str(status) if status else None,
            )
        )
    if actions is not None:
        named = {t.tunnel_id for t in found}
        for held in sorted(state.tunnels.values(), key=lambda t: t.tunnel_id):
            if held.level == UP or held.tunnel_id in named:
                continue
            found.append(
                FailingTunnel(
                    tunnel_id=held.tunnel_id,
                    code=held.level,
                    reason=f"status {held.status}" if held.status else "no status reported",
                    action=actions.for_tunnel(held.level),
                    role=held.role,
                    status=held.status,
                )
            )
    return tuple(found)


def causes(snapshot: Snapshot) -> tuple[str, ...]:
    """What a snapshot found wrong: its non-normal checks, its tunnels' failure codes and the
    tunnels its state holds not up (``slave tunnel down``)."""
    found = []
    for finding in snapshot.findings:
        level = finding.get("level")
        if level == NORMAL:
            continue
        threshold = finding.get("threshold")
        suffix = f"{threshold} threshold" if threshold else level
        found.append(f"{finding.get('check')} {suffix}")
    found += [t.code for t in failing_tunnels(snapshot)]
    found += [
        f"{t.role or t.tunnel_id} tunnel {t.level}"
        for _, t in sorted(snapshot.state.tunnels.items())
        if t.level != UP
    ]
    return tuple(dict.fromkeys(found))


def read_summary(body: bytes) -> DiagnosisSummary:
    """An archived summary (kept without the per-fetch ``request_id``: layout.summary_document)."""
    document = json.loads(body)
    document.setdefault("request_id", None)
    return DiagnosisSummary.model_validate(document)


def sample(summary: DiagnosisSummary, at: datetime) -> Sample:
    """The quota use, rtt and loss a summary measured (a negative rtt means no reply: left out)."""
    quota: dict[str, float] = {}
    rtt: dict[str, float] = {}
    loss: dict[str, float] = {}
    for check in summary.checks:
        detail = check.detail
        if isinstance(detail, QuotaDetail) and detail.used_percent is not None:
            quota[check.name] = float(detail.used_percent)
        elif isinstance(detail, ConnectivityDetail):
            if detail.rtt is not None and detail.rtt >= 0:
                rtt[check.name] = float(detail.rtt)
            if detail.loss_rate is not None:
                loss[check.name] = float(detail.loss_rate)
    return Sample(at, quota, rtt, loss)


def spread(entries: list[_Entry], period: Period, count: int) -> list[_Entry]:
    """At most ``count`` entries spread evenly over the period: the last one of each slice."""
    if count <= 0:
        return []
    chosen: dict[int, _Entry] = {}
    for entry in entries:
        offset = (entry.at - period.start).total_seconds()
        chosen[min(int(offset * count / period.seconds), count - 1)] = entry
    return [chosen[k] for k in sorted(chosen)]


class _Connection:
    """One connection's snapshots, listed partition by partition as the walk needs them."""

    def __init__(self, reader: Reader, connection_id: str) -> None:
        self._reader = reader
        self.folder = f"{reader.prefix}state/connection={connection_id}/"
        period = reader.period
        self.entries = _entries(listing.day_keys(reader.objects, self.folder, period.dates()))
        self._listed_from = period.first_day
        self._oldest = period.first_day - timedelta(days=reader.lookback_days)
        self._loaded: dict[str, Snapshot | None] = {}

    def load(self, entry: _Entry) -> Snapshot | None:
        if entry.key not in self._loaded:
            body = self._reader.objects.get(entry.key)
            self._loaded[entry.key] = None if body is None else Snapshot.model_validate_json(body)
        return self._loaded[entry.key]

    def _list_older(self) -> bool:
        """List the next older week of partitions; False when the lookback is exhausted."""
        if self._listed_from <= self._oldest:
            return False
        first = max(self._listed_from - timedelta(days=_STEP_DAYS), self._oldest)
        days = [first + timedelta(days=n) for n in range((self._listed_from - first).days)]
        older = _entries(listing.day_keys(self._reader.objects, self.folder, days))
        self.entries = older + self.entries
        self._listed_from = first
        return True

    def index_of(self, moment: datetime) -> int | None:
        """The index of the first snapshot taken at ``moment`` (to the second), listing older
        partitions when it lies before what is listed."""
        stamp = _stamp(moment)
        while True:
            stamps = [e.stamp for e in self.entries]
            index = bisect.bisect_left(stamps, stamp)
            if index < len(stamps) and stamps[index] == stamp:
                return index
            if moment.date() >= self._listed_from or not self._list_older():
                return None

    def changes(self, latest: Snapshot) -> list[Change]:
        """The level changes from the period's start (or the spell running at it) to the end."""
        period = self._reader.period
        found: list[Change] = []
        snapshot: Snapshot | None = latest
        while snapshot is not None:
            state = snapshot.state
            since = state.since
            # A change in the period is read for its causes; one before it only for its time.
            index = self.index_of(since) if since >= period.start else None
            change = self.load(self.entries[index]) if index is not None else None
            moves = [t for t in change.transitions if t.scope == "connection"] if change else []
            found.append(
                Change(
                    at=since.astimezone(timezone.utc),
                    from_level=state.previous_level,
                    to_level=state.level,
                    flapping=any(t.flapping for t in moves),
                    causes=causes(change) if change else (),
                )
            )
            spell_goes_on = state.level != NORMAL and state.previous_level not in (None, NORMAL)
            if state.previous_level is None or (since < period.start and not spell_goes_on):
                break
            index = self.index_of(since) if index is None else index
            if index is None:
                break
            # The state before the change is the snapshot just before it, maybe a week back.
            while index == 0 and self._list_older():
                index = self.index_of(since) or 0
            snapshot = self.load(self.entries[index - 1]) if index else None
        return list(reversed(found))


@dataclass
class Reader:
    """Everything collecting one period shares."""

    objects: ObjectStore
    prefix: str
    period: Period
    actions: ActionTable
    samples: int = 31
    lookback_days: int = 31

    def connections(self) -> list[str]:
        """Every connection with a state folder (names that are not connection ids are skipped)."""
        found = []
        for name in listing.folders(self.objects, f"{self.prefix}state/"):
            connection = name.removeprefix("connection=")
            try:
                found.append(identifiers.connection_id(connection))
            except ValueError:
                continue
        return found

    def connection(self, connection_id: str) -> ConnectionHistory | None:
        """The connection's history over the period; None without a diagnosis in it."""
        snapshots = _Connection(self, connection_id)
        within = [e for e in snapshots.entries if self.period.contains(e.at)]
        latest = snapshots.load(within[-1]) if within else None
        if latest is None:
            return None
        state = latest.state
        return ConnectionHistory(
            connection_id=connection_id,
            gateway_id=state.gateway_id,
            region=state.region,
            level=state.level,
            since=state.since,
            flapping=state.flapping,
            last_diagnosis=state.last_finish_time,
            diagnoses=len(within),
            changes=tuple(snapshots.changes(latest)),
            confirmed=tuple(
                sorted(
                    (
                        (name, check.level)
                        for name, check in state.checks.items()
                        if check.level != NORMAL
                    ),
                    key=lambda c: (-level_rank(c[1]), c[0]),
                )
            ),
            findings=open_findings(latest, self.actions),
            tunnels=failing_tunnels(latest, self.actions),
            samples=tuple(self._samples(within, state.region, state.gateway_id)),
            archive_key=latest.archive_key,
            connection_name=state.connection_name,
            gateway_name=state.gateway_name,
            peer_ip=state.peer_ip,
            tunnel_states=state.tunnel_marks(),
        )

    def _samples(self, entries: list[_Entry], region: str, gateway_id: str) -> Iterator[Sample]:
        for entry in spread(entries, self.period, self.samples):
            day = entry.stamp.split("/", 1)[0]
            key = summary_key(self.prefix, region, gateway_id, day, entry.diagnose_id)
            body = self.objects.get(key)
            if body is not None:
                yield sample(read_summary(body), entry.at)


def collect(reader: Reader, *, workers: int = 8) -> list[ConnectionHistory]:
    """Every connection diagnosed in the period, in connection id order.

    Connections are read ``workers`` at a time: on OSS each read is a round trip.
    """
    read: Callable[[str], ConnectionHistory | None] = reader.connection
    with ThreadPoolExecutor(max_workers=workers) as pool:
        found = list(pool.map(read, reader.connections()))
    return [history for history in found if history is not None]
