"""What an archived diagnosis does to its connection's health: findings, root cause, state,
transitions, events. Runs after the archive's own writes, with the same idempotence:

1. findings: the service's levels, raised by the configured thresholds (pure);
2. root cause, only for a connection whose connectivity or configuration check is not normal, or
   one of whose tunnels the connection's description (taken once by the archive, passed in) says is
   down (a standby tunnel can be down while every check is normal): taken once and kept beside the diagnosis (``<id>.rootcause.json``, create-only) because the
   service's answer changes with every call; a replay reads the kept one back;
3. state: the previous snapshot + this diagnosis + its kept connection description -> the next
   snapshot and its transitions, per check, per tunnel and for the connection (pure, so a replay
   computes the same bytes), saved create-only;
4. events: "diagnosis archived" and one "connection state changed" per transition, with stable
   ids, under a lease (``<id>.events-pending``, as the records have one: a concurrent replay steps
   back rather than publishing twice), then an ``<id>.events-published`` marker. A publishing
   failure raises (after the archive and the state are safe) so that the platform retries; only a
   holder that died between publishing and its marker makes a later attempt publish the same ids
   again, which consumers de-duplicate by ``source`` + ``id``.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from vpndiag.archive import lease
from vpndiag.archive.layout import ArchiveKeys, canonical_json
from vpndiag.clients.eventbridge import EventTooLarge, PublishFailed
from vpndiag.errors import ArchiveConflict, ResponseError
from vpndiag.health import events
from vpndiag.health.actions import Action, ActionTable
from vpndiag.health.rootcause import Redaction, RootCause, needs_root_cause
from vpndiag.health.store import Snapshot, StateStore
from vpndiag.health.thresholds import Finding, Thresholds, assess
from vpndiag.health.transitions import Rule, advance
from vpndiag.http.deadline import Deadline
from vpndiag.model.connection import VpnConnection
from vpndiag.model.summary import DiagnosisSummary
from vpndiag.store.objects import ObjectStore

log = logging.getLogger("vpndiag.health")


class RootCauseSource(Protocol):
    """Takes the root cause; ``connection`` is the connection as described at archive time (its
    tunnels say whom to ask), ``None`` when it could not be described; ``tunnel_id`` the tunnel a
    VPN health event named, if one did."""

    def __call__(
        self,
        *,
        region: str,
        gateway_id: str,
        connection_id: str,
        connection: VpnConnection | None,
        tunnel_id: str | None,
        deadline: Deadline,
    ) -> RootCause: ...


class Publisher(Protocol):
    def __call__(self, events: list[dict[str, Any]], deadline: Deadline) -> None: ...


@dataclass(frozen=True)
class HealthOutcome:
    snapshot: Snapshot
    root_cause: RootCause | None
    findings: tuple[Finding, ...]
    actions: Mapping[str, Action | None]
    events_published: int = 0

    def to_json(self) -> dict[str, Any]:
        """The connection's state after this diagnosis, and what changed."""
        state = self.snapshot.state
        return {
            "connection_id": state.connection_id,
            "level": state.level,
            "since": state.since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "flapping": state.flapping,
            "tunnels": [t.model_dump(mode="json") for t in state.tunnel_marks()],
            "transitions": [
                {
                    "kind": t.kind,
                    "scope": t.scope,
                    "check": t.check,
                    "tunnel_id": t.tunnel_id,
                    "from": t.from_level,
                    "to": t.to_level,
                    "event_id": t.event_id,
                }
                for t in self.snapshot.transitions
            ],
            "root_cause": [
                t.failed_reason_code for t in (self.root_cause.failing if self.root_cause else [])
            ],
            "events_published": self.events_published,
        }


def rootcause_key(keys: ArchiveKeys) -> str:
    return keys.raw.removesuffix(".raw.json") + ".rootcause.json"


def events_key(keys: ArchiveKeys) -> str:
    return keys.raw.removesuffix(".raw.json") + ".events-published"


def events_lease_key(keys: ArchiveKeys) -> str:
    return keys.raw.removesuffix(".raw.json") + ".events-pending"


class HealthTracker:
    def __init__(
        self,
        *,
        objects: ObjectStore,
        prefix: str = "",
        rule: Rule,
        thresholds: Thresholds,
        actions: ActionTable,
        root_cause: RootCauseSource | None,
        publisher: Publisher | None,
        redaction: Redaction = "ips",
        location: Callable[[str], str] | None = None,
        now: Callable[[], float] = time.time,
        lease_seconds: float = 60.0,
    ) -> None:
        self._objects = objects
        self._states = StateStore(objects, prefix=prefix)
        self._rule = rule
        self._thresholds = thresholds
        self._actions = actions
        self._root_cause = root_cause
        self._publisher = publisher
        self._redaction = redaction
        self._location = location or objects.location
        self._now = now
        self._lease = lease_seconds

    def track(
        self,
        summary: DiagnosisSummary,
        keys: ArchiveKeys,
        deadline: Deadline,
        connection: VpnConnection | None = None,
        tunnel_id: str | None = None,
    ) -> HealthOutcome | None:
        """Update the connection's health and publish what happened (``update``, ``publish``)."""
        outcome = self.update(summary, keys, deadline, connection, tunnel_id)
        return None if outcome is None else self.publish(summary, outcome, keys, deadline)

    def update(
        self,
        summary: DiagnosisSummary,
        keys: ArchiveKeys,
        deadline: Deadline,
        connection: VpnConnection | None = None,
        tunnel_id: str | None = None,
    ) -> HealthOutcome | None:
        """Findings, root cause and the new state, saved; None for a diagnosis that says nothing
        about a connection. Publishes nothing: the archive's records come in between.

        ``connection`` is the connection as described when the diagnosis was archived, kept with
        it so that a replay passes the same one (``vpndiag.archive.described``); ``None``: not
        described, its tunnels stay as they were. ``tunnel_id``: the tunnel a VPN health event
        named (the root cause asks about it when the connection could not be described)."""
        at = summary.finish_time
        if not summary.complete or summary.resource_id is None or at is None:
            return None
        findings = [assess(check, self._thresholds) for check in summary.checks]
        actions = self._actions_for(findings)
        kept = self._states.load(self._states.key(summary.resource_id, at, summary.diagnose_id))
        if kept is not None:
            # An earlier attempt saved this diagnosis's snapshot: it stands, even if an older
            # diagnosis of the connection was archived since (recomputing would conflict forever).
            cause = RootCause.model_validate(kept.root_cause) if kept.root_cause else None
            return HealthOutcome(kept, cause, tuple(findings), actions)
        cause = self._take_root_cause(
            summary,
            summary.resource_id,
            findings,
            connection,
            tunnel_id=tunnel_id,
            keys=keys,
            deadline=deadline,
        )
        previous = self._states.previous(summary.resource_id, at, summary.diagnose_id)
        state, transitions = advance(
            previous.state if previous else None,
            findings=findings,
            connection_id=summary.resource_id,
            gateway_id=summary.gateway_id,
            region=summary.region,
            diagnose_id=summary.diagnose_id,
            at=at,
            rule=self._rule,
            connection=connection,
        )
        snapshot = Snapshot(
            state=state,
            transitions=transitions,
            findings=[
                _finding_record(f, check.sentence, actions.get(f.check))
                for f, check in zip(findings, summary.checks, strict=True)
            ],
            root_cause=cause.model_dump(mode="json") if cause else None,
            archive_key=keys.summary,
        )
        self._states.save(snapshot)
        return HealthOutcome(snapshot, cause, tuple(findings), actions)

    def publish(
        self,
        summary: DiagnosisSummary,
        outcome: HealthOutcome,
        keys: ArchiveKeys,
        deadline: Deadline,
    ) -> HealthOutcome:
        """The events of an updated diagnosis, once (see the module's step 4)."""
        published = self._publish(
            summary,
            snapshot=outcome.snapshot,
            findings=list(outcome.findings),
            actions=dict(outcome.actions),
            cause=outcome.root_cause,
            keys=keys,
            deadline=deadline,
        )
        return dataclasses.replace(outcome, events_published=published)

    def tunnel_actions(self, snapshot: Snapshot, cause: RootCause | None) -> dict[str, Action]:
        """What to do about each tunnel not up, by tunnel id: its negotiation failure's action when
        the root cause has one for it, else the table's action for its level."""
        state = snapshot.state
        failing = {
            # A single-tunnel connection's answer names no tunnel: it is the connection's own.
            t.tunnel_id or state.connection_id: t.action
            for t in (cause.failing if cause else [])
            if t.action is not None
        }
        chosen: dict[str, Action] = {}
        for tunnel in state.tunnels.values():
            action = failing.get(tunnel.tunnel_id) or self._actions.for_tunnel(tunnel.level)
            if action is not None:
                chosen[tunnel.tunnel_id] = action
        return chosen

    def _actions_for(self, findings: list[Finding]) -> dict[str, Action | None]:
        chosen: dict[str, Action | None] = {}
        for finding in findings:
            if finding.threshold is not None:
                chosen[finding.check] = self._actions.for_threshold(finding.threshold)
            else:
                chosen[finding.check] = self._actions.for_check(finding.check, finding.level)
        return chosen

    def _take_root_cause(
        self,
        summary: DiagnosisSummary,
        connection_id: str,
        findings: list[Finding],
        connection: VpnConnection | None,
        *,
        tunnel_id: str | None,
        keys: ArchiveKeys,
        deadline: Deadline,
    ) -> RootCause | None:
        if self._root_cause is None:
            return None
        if not needs_root_cause(findings) and not _tunnel_down(connection):
            return None
        key = rootcause_key(keys)
        kept = self._objects.get(key)
        if kept is None:
            taken = self._root_cause(
                region=summary.region,
                gateway_id=summary.gateway_id,
                connection_id=connection_id,
                connection=connection,
                tunnel_id=tunnel_id,
                deadline=deadline,
            )
            body = canonical_json(taken.model_dump(mode="json"))
            try:
                self._objects.put_if_absent(key, body, content_type="application/json")
                return taken
            except ArchiveConflict:
                # A concurrent attempt kept its own answer first; everyone uses that one.
                kept = self._objects.get(key)
        if kept is None:
            return None
        try:
            return RootCause.model_validate_json(kept)
        except ValueError:
            # Not what this code writes (an answer that is not OSS's, a damaged object): read again.
            raise ResponseError(
                "oss", f"{key} is not a root cause document", retryable=True
            ) from None

    def _publish(
        self,
        summary: DiagnosisSummary,
        *,
        snapshot: Snapshot,
        findings: list[Finding],
        actions: dict[str, Action | None],
        cause: RootCause | None,
        keys: ArchiveKeys,
        deadline: Deadline,
    ) -> int:
        marker = events_key(keys)
        if self._publisher is None or self._objects.exists(marker):
            return 0
        where = self._location(keys.summary)
        marks = snapshot.state.tunnel_marks()
        advice = self.tunnel_actions(snapshot, cause)
        try:
            batch = [
                events.diagnosis_archived(
                    summary, where, findings, actions, cause, tunnels=marks, tunnel_actions=advice
                )
            ]
            batch += [
                events.state_changed(t, summary, cause, actions, where, tunnel_actions=advice)
                for t in snapshot.transitions
            ]
        except EventTooLarge as exc:
            # Deterministic: it would be as large on every retry. The archive and the state are
            # kept; the events of this diagnosis are given up, loudly, and marked done.
            log.error("events of %s not published: %s", summary.diagnose_id, exc)
            self._objects.put_if_absent(marker, b"", content_type="text/plain")
            return 0
        claim = lease.take(
            self._objects,
            events_lease_key(keys),
            subject=f"events of {summary.diagnose_id}",
            now=self._now(),
            duration=self._lease,
        )
        try:
            self._publisher(batch, lease.writing_deadline(deadline, self._lease))
        except Exception as exc:
            # Refused outright, or some entries refused (their ids are stable: re-sending the
            # accepted ones is harmless): let the platform's retry in without waiting.
            if lease.nothing_landed(exc) or isinstance(exc, PublishFailed):
                lease.release(self._objects, claim)
            raise
        self._objects.put_if_absent(marker, b"", content_type="text/plain")
        log.info(
            "published %d events for %s",
            len(batch),
            summary.diagnose_id,
            extra={"diagnose_id": summary.diagnose_id, "events": len(batch)},
        )
        return len(batch)


def _tunnel_down(connection: VpnConnection | None) -> bool:
    """Whether the description reports a tunnel (or a single-tunnel connection) not established."""
    if connection is None:
        return False
    if connection.tunnels:
        return any(t.up is False for t in connection.tunnels)
    return connection.up is False


def _finding_record(finding: Finding, sentence: str, action: Action | None) -> dict[str, Any]:
    return {
        "check": finding.check,
        "level": finding.level,
        "sentence": sentence,
        "service_level": finding.service_level,
        "threshold": finding.threshold,
        "note": finding.note,
        "action": action.key if action else None,
    }
