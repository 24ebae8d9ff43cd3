"""The sweep function's app: built once per instance, one sweep per timer tick.

A sweep lists the gateways and the IPsec connections of every region (one paged listing each per
region), logs every tunnel's status (``tunnel_status`` records, once per tick), then works gateway
by gateway on a bounded pool: start one diagnosis per connection, hand each one off. A connection
attached to a transit router has no gateway to diagnose it with: it is reported as skipped, with
the reason, when the sweep covers whole regions (no gateway or tag filter). Every step
checks the invocation's remaining time first; what the time did not reach is reported, never
silently dropped. The run raises, so that the platform retries it (the ClientTokens make that
retry start nothing twice, and the archive absorbs what is handed off twice), when nothing at all
was handed off and something failed, or when an item failed that a retry can help: a diagnosis
started but not handed off, or a failure a retry may cure (a start whose answer was lost may have
started a diagnosis nobody else knows of).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import requests

from vpndiag import config, credentials, identifiers
from vpndiag.app import ArchiveApp, vpc_client
from vpndiag.errors import (
    BatchError,
    ConfigError,
    DeadlineExceeded,
    DiagnosisPending,
    EventError,
    VpndiagError,
)
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy, error_code
from vpndiag.http.session import new_session
from vpndiag.model.connection import VpnConnection, transit_router_reason
from vpndiag.store.factory import Wiring, open_log_store, open_object_store
from vpndiag.sweep import discovery, tunnel_status
from vpndiag.sweep import settings as sweep_settings
from vpndiag.sweep.discovery import Gateway
from vpndiag.sweep.fc_handoff import FcHandoff, FcTarget, fc_endpoint
from vpndiag.sweep.handoff import Handoff, PoolHandoff, WorkItem
from vpndiag.sweep.outcome import Outcome, Status, SweepReport
from vpndiag.sweep.start import start_diagnosis, start_policy

log = logging.getLogger("vpndiag.sweep")

# Below this many seconds left, no new gateway or connection is started: one call needs it.
MIN_STEP: Final = 1.0
_TICK = re.compile(r"[0-9A-Za-z:.+-]{1,64}")
_EXPECTED = "a timer event, or an empty payload ({} or nothing) for a manual sweep"
_NOT_REACHED = "the invocation's time ran out first"
_LOGGED_PROBLEMS = 50

GatewayWork = tuple[list[Outcome], list[tuple[WorkItem, Future[Status]]]]
Estate = list[VpnConnection] | VpndiagError
"""A region's connections, or why they could not be listed."""
TRANSIT_ROUTER: Final = "TransitRouterAttachment"


@dataclass(frozen=True)
class _Run:
    """What every step of one sweep shares."""

    tick: str
    deadline: Deadline
    handoff: Handoff
    account_id: str | None


def tick_of(event: bytes | str | Any, invocation_id: str) -> str:
    """The timer's ``triggerTime``; for a manual (empty) invocation, the invocation id.

    The platform retries a failed asynchronous invocation with the same event (and request id),
    so either way a retry derives the same ClientTokens.
    """
    document = event
    if isinstance(event, (bytes, str)):
        text = event.decode("utf-8", "replace") if isinstance(event, bytes) else event
        try:
            document = json.loads(text) if text.strip() else None
        except (ValueError, RecursionError):
            raise EventError("a payload that is not JSON", _EXPECTED) from None
    if document is None or document == {}:
        return invocation_id
    if isinstance(document, dict) and "triggerTime" in document:
        tick = document["triggerTime"]
        if isinstance(tick, str) and _TICK.fullmatch(tick):
            return tick
        raise EventError("a timer event", _EXPECTED, "triggerTime is not a timestamp")
    kind = f"an object with keys {sorted(document)[:8]}" if isinstance(document, dict) else "JSON"
    raise EventError(kind, _EXPECTED)


class SweepApp:
    def __init__(
        self,
        settings: config.Settings,
        sweep: sweep_settings.SweepSettings,
        *,
        environ: Mapping[str, str],
        explicit_credentials: credentials.Credentials | None = None,
    ) -> None:
        self.settings = settings
        self.sweep = sweep
        self._environ = environ
        self._explicit = explicit_credentials
        self._credentials: credentials.Credentials | None = None
        session = new_session(pool_size=max(16, sweep.concurrency), proxy=settings.http_proxy)
        self.vpc = vpc_client(settings, session, self._current_credentials)
        self._start_retry = start_policy(settings.max_attempts)
        self._deadline = Deadline.after(settings.default_timeout)
        # Only the pool hand-off archives here, and only it needs the archive's pipeline.
        self.archive: ArchiveApp | None = (
            ArchiveApp(settings, environ=environ, explicit_credentials=explicit_credentials)
            if sweep.handoff == "pool"
            else None
        )
        self.tunnel_log = self._tunnel_log(session) if sweep.tunnel_status else None
        self._now: Callable[[], float] = time.time
        """The clock of the tunnel status records and their lease (tests move it forward)."""
        logging.getLogger("vpndiag").setLevel(settings.log_level)

    def _tunnel_log(self, session: requests.Session) -> tunnel_status.TunnelStatusLog:
        """The stores the tunnel status records go to: the archive's own (same settings)."""

        def wiring() -> Wiring:
            return Wiring(
                session=session,
                credentials=self._current_credentials,
                retry=RetryPolicy(attempts=self.settings.max_attempts),
                deadline=lambda: self._deadline,
                function_region=self._environ.get("ALIBABA_CLOUD_REGION")
                or self._environ.get("FC_REGION"),
            )

        objects, prefix = open_object_store(self.settings, wiring)
        return tunnel_status.TunnelStatusLog(objects, open_log_store(self.settings, wiring), prefix)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> SweepApp:
        sweep, shared = sweep_settings.load(environ)
        return cls(config.load(shared), sweep, environ=environ)

    def _current_credentials(self) -> credentials.Credentials:
        if self._credentials is None:
            self._credentials = credentials.resolve(
                explicit=self._explicit, context=None, environ=self._environ
            )
        return self._credentials

    def handle(self, event: bytes | str | Any, context: object) -> dict[str, Any]:
        """Sweep once; the report, or ``BatchError`` for the platform to retry the tick (see the
        module's docstring: nothing handed off, or an item a retry can help)."""
        invocation_id = str(getattr(context, "request_id", "") or "local")
        tick = tick_of(event, invocation_id)
        # FC hands each invocation the role's current STS keys: take them fresh every time.
        self._credentials = credentials.resolve(
            explicit=self._explicit, context=context, environ=self._environ
        )
        deadline = Deadline.for_invocation(
            context, default_timeout=self.settings.default_timeout, reserve=self.sweep.reserve
        )
        self._deadline = deadline
        account = getattr(context, "account_id", None) or self.settings.account_id
        report = self.run(
            tick,
            deadline,
            self._handoff(context),
            account_id=identifiers.account_id(account) if account else None,
        )
        self._log(report)
        problems = report.problems
        # A diagnosis started but not handed off (or a start whose answer was lost) is archived
        # by nothing unless the tick runs again: its ClientTokens return the same diagnoses, and
        # the archive absorbs the items handed off twice.
        stranded = tuple(o for o in problems if o.diagnose_id or (o.error and o.error.retryable))
        if problems and (stranded or not report.delivered):
            failed = stranded if report.delivered else problems
            raise BatchError(
                [(i, o.error or DeadlineExceeded(_NOT_REACHED)) for i, o in enumerate(failed)],
                len(report.outcomes),
            )
        return report.to_json()

    def _handoff(self, context: object) -> Handoff:
        if self.archive is not None:
            self.archive.begin(context)
            return PoolHandoff(self.archive, self.sweep.concurrency)
        return FcHandoff(
            self._fc_target(context),
            credentials=self._current_credentials,
            retry=RetryPolicy(attempts=self.settings.max_attempts),
            timeout=self.settings.http_timeout,
        )

    def _fc_target(self, context: object) -> FcTarget:
        endpoint = self.sweep.fc_endpoint
        if endpoint is None:
            account = getattr(context, "account_id", None) or self.settings.account_id
            region = (
                getattr(context, "region", None)
                or self._environ.get("ALIBABA_CLOUD_REGION")
                or self._environ.get("FC_REGION")
            )
            if not account or not region:
                raise ConfigError(
                    sweep_settings.env_name("fc_endpoint"),
                    "is needed: the context names no account id and region to address FC with",
                )
            endpoint = fc_endpoint(
                identifiers.account_id(account), identifiers.region(region), self.settings.network
            )
        service = self.sweep.archive_service or getattr(
            getattr(context, "service", None), "name", None
        )
        if not service:
            raise ConfigError(
                sweep_settings.env_name("archive_service"), "is needed: the context names none"
            )
        return FcTarget(endpoint, service, self.sweep.archive_function)

    def run(
        self, tick: str, deadline: Deadline, handoff: Handoff, *, account_id: str | None = None
    ) -> SweepReport:
        """One sweep with ``handoff``; returns what became of every item."""
        started = time.monotonic()
        run = _Run(tick, deadline, handoff, account_id)
        outcomes: list[Outcome] = []
        submitted: list[tuple[WorkItem, Future[Status]]] = []
        tunnel_records = 0
        try:
            with ThreadPoolExecutor(
                self.sweep.concurrency, thread_name_prefix="vpndiag-sweep"
            ) as pool:
                listed, estates = self._discover(pool, deadline, outcomes)
                tunnel_records = self._log_tunnels(run, listed, estates, outcomes)
                work = [
                    pool.submit(self._gateway, run, gateway, estates.get(gateway.region))
                    for gateway in listed
                ]
                for future in work:
                    found, items = future.result()
                    outcomes.extend(found)
                    submitted.extend(items)
        finally:
            handoff.close()
        outcomes.extend(_handed(item, future) for item, future in submitted)
        return SweepReport(
            tick=tick,
            mode=self.sweep.mode,
            handoff=handoff.name,
            regions=self.sweep.regions,
            gateways=len(listed),
            outcomes=tuple(outcomes),
            elapsed_seconds=time.monotonic() - started,
            tunnel_records=tunnel_records,
        )

    @property
    def _whole_regions(self) -> bool:
        """True when no gateway or tag filter narrows the sweep to some gateways."""
        return not self.sweep.gateway_ids and not self.sweep.tags

    def _discover(
        self, pool: ThreadPoolExecutor, deadline: Deadline, outcomes: list[Outcome]
    ) -> tuple[list[Gateway], dict[str, Estate]]:
        """The gateways to sweep and each region's connections; listing failures go to
        ``outcomes`` (a region's connections: through its gateways, else as a region item)."""
        gateway_listings = {
            region: pool.submit(discovery.gateways, self.vpc, region, self.sweep, deadline=deadline)
            for region in self.sweep.regions
        }
        # Collect mode lists connections only to log their tunnels.
        wanted = self.sweep.mode == "diagnose" or self.tunnel_log is not None
        connection_listings = {
            region: pool.submit(discovery.connections, self.vpc, region, deadline=deadline)
            for region in (self.sweep.regions if wanted else ())
        }
        listed = self._gateways(gateway_listings, outcomes)
        estates: dict[str, Estate] = {}
        for region, future in connection_listings.items():
            try:
                estates[region] = future.result()
            except VpndiagError as exc:
                estates[region] = exc
                reported = self.sweep.mode == "diagnose" and any(g.region == region for g in listed)
                if not reported:
                    outcomes.append(Outcome.of_error(exc, region, None))
        if self.sweep.mode == "diagnose" and self._whole_regions:
            outcomes.extend(
                Outcome(
                    region,
                    None,
                    connection.connection_id,
                    "skipped",
                    code=TRANSIT_ROUTER,
                    detail=transit_router_reason(connection),
                )
                for region, estate in estates.items()
                if not isinstance(estate, VpndiagError)
                for connection in estate
                if connection.on_transit_router
            )
        return listed, estates

    def _gateways(
        self, listings: dict[str, Future[list[Gateway]]], outcomes: list[Outcome]
    ) -> list[Gateway]:
        """Every gateway to sweep; listing failures go to ``outcomes``."""
        listed: list[Gateway] = []
        for region, future in listings.items():
            try:
                listed.extend(future.result())
            except VpndiagError as exc:
                outcomes.append(Outcome.of_error(exc, region, None))
        found = {gateway.gateway_id for gateway in listed}
        outcomes.extend(
            Outcome(
                ",".join(self.sweep.regions),
                gateway,
                None,
                "failed",
                code="GatewayNotFound",
                detail="configured, but in none of the swept regions",
            )
            for gateway in self.sweep.gateway_ids
            if gateway not in found
        )
        return listed

    def _log_tunnels(
        self,
        run: _Run,
        listed: list[Gateway],
        estates: dict[str, Estate],
        outcomes: list[Outcome],
    ) -> int:
        """Log the tick's tunnel status records (the swept gateways' connections, and those on a
        transit router when whole regions are swept); a failure is one failed item."""
        if self.tunnel_log is None:
            return 0
        names = {g.gateway_id: g.name for g in listed if g.name}
        swept = {g.gateway_id for g in listed}
        records = [
            record
            for region, estate in estates.items()
            if not isinstance(estate, VpndiagError)
            for record in tunnel_status.records_for(
                run.tick,
                region,
                (
                    c
                    for c in estate
                    if c.gateway_id in swept or (c.on_transit_router and self._whole_regions)
                ),
                gateway_names=names,
                now=int(self._now()),
            )
        ]
        try:
            return self.tunnel_log.write(run.tick, records, now=self._now(), deadline=run.deadline)
        except VpndiagError as exc:
            outcomes.append(
                Outcome(
                    ",".join(self.sweep.regions),
                    None,
                    None,
                    "failed",
                    code=error_code(exc),
                    detail=f"tunnel status records not written: {exc}",
                    error=exc,
                )
            )
            return 0

    def _gateway(self, run: _Run, gateway: Gateway, estate: Estate | None) -> GatewayWork:
        """One gateway: a diagnosis per connection, a hand-off each."""
        region, gateway_id = gateway.region, gateway.gateway_id
        if run.deadline.remaining() < MIN_STEP:
            return [Outcome(region, gateway_id, None, "not_reached", detail=_NOT_REACHED)], []
        if self.sweep.mode == "collect":
            item = WorkItem(
                region, gateway_id, f"sweep/{run.tick}/{gateway_id}", account_id=run.account_id
            )
            return [], [(item, run.handoff.submit(item, run.deadline))]
        if isinstance(estate, VpndiagError):
            return [Outcome.of_error(estate, region, gateway_id)], []
        connections = [c.connection_id for c in estate or () if c.gateway_id == gateway_id]
        if not connections:
            note = "the gateway has no IPsec connections"
            return [
                Outcome(region, gateway_id, None, "skipped", code="NoConnections", detail=note)
            ], []
        outcomes: list[Outcome] = []
        items: list[tuple[WorkItem, Future[Status]]] = []
        refusal: Outcome | None = None
        for connection in connections:
            if refusal is not None:
                # The gateway refused one diagnosis (unsupported, configuring): it refuses all.
                outcomes.append(
                    Outcome(region, gateway_id, connection, "skipped", None, refusal.code)
                )
                continue
            if run.deadline.remaining() < MIN_STEP:
                outcomes.append(
                    Outcome(region, gateway_id, connection, "not_reached", detail=_NOT_REACHED)
                )
                continue
            try:
                diagnose_id = start_diagnosis(
                    self.vpc,
                    tick=run.tick,
                    region=region,
                    gateway_id=gateway_id,
                    connection_id=connection,
                    deadline=run.deadline,
                    retry=self._start_retry,
                )
            except VpndiagError as exc:
                outcome = Outcome.of_error(exc, region, gateway_id, connection)
                refusal = outcome if outcome.status == "skipped" else None
                outcomes.append(outcome)
                continue
            item = WorkItem(
                region,
                gateway_id,
                f"sweep/{run.tick}/{connection}",
                diagnose_id,
                connection,
                run.account_id,
            )
            items.append((item, run.handoff.submit(item, run.deadline)))
        return outcomes, items

    def _log(self, report: SweepReport) -> None:
        counts = ", ".join(f"{n} {s}" for s, n in report.to_json()["counts"].items() if n)
        log.info(
            "sweep %s (%s, %s): %d gateways in %s; %s; %.1fs",
            report.tick,
            report.mode,
            report.handoff,
            report.gateways,
            ",".join(report.regions),
            counts or "nothing to do",
            report.elapsed_seconds,
        )
        problems = report.problems
        for outcome in problems[:_LOGGED_PROBLEMS]:
            log.warning("sweep item %s: %s", outcome.status, json.dumps(outcome.to_json()))
        if len(problems) > _LOGGED_PROBLEMS:
            log.warning(
                "sweep: %d more problem items (see the report)", len(problems) - _LOGGED_PROBLEMS
            )


def _handed(item: WorkItem, future: Future[Status]) -> Outcome:
    """The outcome of a submitted work item (its future is done: the hand-off was closed)."""
    try:
        status = future.result()
    except (DiagnosisPending, DeadlineExceeded) as exc:
        return Outcome(
            item.region,
            item.gateway_id,
            item.connection_id,
            "not_reached",
            item.diagnose_id,
            type(exc).__name__,
            str(exc),
            exc,
        )
    except VpndiagError as exc:
        return Outcome.of_error(
            exc, item.region, item.gateway_id, item.connection_id, item.diagnose_id
        )
    return Outcome(item.region, item.gateway_id, item.connection_id, status, item.diagnose_id)
