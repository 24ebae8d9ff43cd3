"""A bounded soak: many diagnoses archived through the loopback emulator while it injects faults.

The emulator runs in a process of its own (``--emulator thread`` keeps it in this one), serving an
estate of finished diagnoses with a bucket, a logstore and an event bus, and faulting a share of
every call at random (seeded): throttling, 5xx, bodies cut short or not JSON, dropped connections,
answers slower than the client's timeout (the request lands, the answer is lost). This process
plays the platform: each diagnosis is one asynchronous invocation of the archive function
(``ArchiveApp.handle`` on a direct event), run on a pool of workers; the failed ones are retried,
later in time (once the emulator is idle, with the instances' clocks an hour further on each
round, past any lease a dead attempt holds), up to ``--retries`` times, then dead-lettered. The
dead letters are replayed once the faults stop, as an operator would. Then the archive is read
back:

- archived: raw, summary and completion marker present, and every record of the diagnosis (one
  per check and the summary), each exactly once;
- lost: not archived at the end (must be 0), with what each one lacks;
- duplicated: log records stored more than once (must be 0);
- faults: calls the emulator faulted, by kind, and their share of all calls;
- retries: attempts the clients repeated within an invocation, and invocations the platform ran
  again.

Two phases: the archive alone (``--diagnoses``, health tracking off: about eight calls a
diagnosis), then the archive with connection health (``--health-diagnoses``: state snapshots,
root causes, EventBridge events; some forty calls a diagnosis). Each runs in batches
(``--batch``, ``--health-batch``) on a fresh emulator each: the emulator's ListObjects and GetLogs
scan everything stored, so one emulator holding everything would make the soak quadratic.

The waits between a client's attempts are skipped (the attempts happen): the soak is about what
ends up stored, not about timing. Exit status 1 when anything was lost or duplicated, a failure
was not a ``vpndiag.errors`` type, or fewer calls were faulted than ``--min-fault-share``.

    python tools/soak.py                                        # make soak: 10,000 + 1,000
    python tools/soak.py --diagnoses 300 --health-diagnoses 0   # a quick one
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import multiprocessing
import platform
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final

if __package__ in (None, ""):
    # Run as a script: the repository's packages are importable as they are under pytest.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REGION: Final = "cn-hangzhou"
BUCKET: Final = "vpndiag-soak"
PREFIX: Final = "vpndiag/"
PROJECT: Final = "vpndiag-soak"
LOGSTORE: Final = "diagnoses"
BUS: Final = "vpndiag"
ACCOUNT: Final = "1234567890123456"
CHECKS: Final = 7
# Each platform round comes this much later than the one before: past any records or events lease.
ROUND_LATER: Final = 3600.0
DIAGNOSES_PER_CONNECTION: Final = 20
CONNECTIONS_PER_GATEWAY: Final = 5


@dataclass(frozen=True)
class SoakConfig:
    diagnoses: int = 10_000
    fault_share: float = 0.12
    """Target share of calls faulted (each kind fires on its own seeded draw)."""
    min_fault_share: float = 0.10
    seed: int = 2026
    workers: int = 8
    retries: int = 3
    """Platform retries of a failed invocation before its dead letter."""
    http_timeout: float = 0.25
    latency: float = 0.4
    """Delay of a latency fault: past the client's timeout, so the answer is lost."""
    latency_part: float = 0.05
    """Share of the faults that are latency (0: none; with one worker the run is then
    deterministic: the same seed faults the same calls)."""
    emulator: str = "process"
    max_seconds: float = 900.0
    health: bool = True
    """Track connection health too (state snapshots, root causes, EventBridge events)."""
    batch: int = 0
    """Diagnoses per emulator (a fresh one per batch); 0: all on one."""
    first: int = 0
    """Number of the first diagnosis (ids stay unique across batches)."""


@dataclass
class Figures:
    diagnoses: int = 0
    archived: int = 0
    lost: int = 0
    duplicated: int = 0
    dead_lettered: int = 0
    calls: int = 0
    faults: int = 0
    faults_by_kind: dict[str, int] = field(default_factory=dict)
    client_retries: int = 0
    platform_retries: int = 0
    failures_by_type: dict[str, int] = field(default_factory=dict)
    untyped_failures: int = 0
    lost_by: dict[str, int] = field(default_factory=dict)
    """Lost diagnoses by what the archive holds of them."""
    events_published: int = 0
    events_distinct: int = 0
    seconds: float = 0.0
    machine: str = ""
    started: str = ""

    @property
    def fault_share(self) -> float:
        return self.faults / self.calls if self.calls else 0.0

    def ok(self, config: SoakConfig) -> bool:
        return (
            self.lost == 0
            and self.duplicated == 0
            and self.untyped_failures == 0
            and self.archived == self.diagnoses
            and self.fault_share >= config.min_fault_share
        )

    def add(self, other: Figures) -> None:
        """Fold a batch's figures into these."""
        for name in ("diagnoses", "archived", "lost", "duplicated", "dead_lettered", "calls"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("faults", "client_retries", "platform_retries", "untyped_failures"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("events_published", "events_distinct"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("faults_by_kind", "failures_by_type", "lost_by"):
            mine: dict[str, int] = getattr(self, name)
            for key, count in getattr(other, name).items():
                mine[key] = mine.get(key, 0) + count

    def lines(self) -> list[str]:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.faults_by_kind.items()))
        failures = ", ".join(f"{k} {n}" for k, n in sorted(self.failures_by_type.items()))
        lost_by = "; ".join(f"{n} {k}" for k, n in sorted(self.lost_by.items()))
        return [
            f"soak {self.started} on {self.machine}, {self.seconds:.0f} s",
            f"diagnoses      {self.diagnoses}",
            f"archived       {self.archived}",
            f"lost           {self.lost}" + (f" ({lost_by})" if lost_by else ""),
            f"duplicated     {self.duplicated}",
            f"dead-lettered  {self.dead_lettered} (replayed once the faults stopped)",
            f"calls          {self.calls}",
            f"faults         {self.faults} ({self.fault_share:.1%} of calls): {kinds}",
            f"retries        {self.client_retries} by the clients, "
            f"{self.platform_retries} invocations run again by the platform",
            f"failures       {failures or 'none'} (untyped: {self.untyped_failures})",
            f"events         {self.events_published} published, {self.events_distinct} distinct",
        ]


# -- the emulator side ----------------------------------------------------------------------------


def _faults(share: float, latency: float, slow_part: float) -> list[dict[str, Any]]:
    """Fault specs for every service: latency takes ``slow_part`` of ``share``, five other kinds
    the rest, each on its own draw."""
    each = 1 - (1 - share * (1 - slow_part)) ** (1 / 5)
    slow = share * slow_part
    specs: list[dict[str, Any]] = []
    for service in ("vpc", "oss", "sls", "eventbridge"):
        kinds: list[dict[str, Any]] = [
            {"kind": "server_error"},
            {"kind": "malformed"},
            {"kind": "truncated"},
            {"kind": "drop"},
            # OSS has no throttling code of the RPC products': a 503 of its own.
            {"kind": "throttle"} if service != "oss" else {"kind": "server_error", "status": 500},
        ]
        specs += [{"service": service, "probability": each, **kind} for kind in kinds]
        if slow:
            specs.append(
                {"service": service, "kind": "latency", "delay": latency, "probability": slow}
            )
    return specs


class _Emulator:
    """The emulated account, its estate, its faults, and what it can tell about itself."""

    def __init__(self, config: SoakConfig) -> None:
        from vpndiag_emulator import Cloud

        self.cloud = Cloud(seed=config.seed)
        self.cloud.oss(REGION).create_bucket(BUCKET)
        self.cloud.sls(REGION).create_project(PROJECT)
        self.cloud.sls(REGION).create_logstore(PROJECT, LOGSTORE)
        self.cloud.eventbridge(REGION).create_bus(BUS)
        self.diagnoses = _estate(self.cloud, config.diagnoses, config.first)
        self._faults = _faults(config.fault_share, config.latency, config.latency_part)
        self._lock = threading.Condition()
        self._in_flight = 0
        self.calls = 0
        self.faulted: Counter[str] = Counter()
        handle = self.cloud.handle
        draw = self.cloud.faults.draw

        def counted_handle(request: Any) -> Any:
            with self._lock:
                self._in_flight += 1
                self.calls += 1
            try:
                return handle(request)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    self._lock.notify_all()

        def counted_draw(service: str, action: str | None) -> Any:
            drawn = draw(service, action)
            kind: str | None = drawn.fault.kind if drawn.fault is not None else None
            if drawn.fault is not None and drawn.fault.kind == "server_error":
                kind = f"server_error {drawn.fault.error_status()}"
            with self._lock:
                if kind is not None:
                    self.faulted[kind] += 1
                if drawn.delay:
                    self.faulted["latency"] += 1
            return drawn

        self.cloud.handle = counted_handle  # type: ignore[method-assign]
        self.cloud.faults.draw = counted_draw  # type: ignore[method-assign]

    def faults_on(self) -> None:
        for spec in self._faults:
            self.cloud.faults.add(times=None, **spec)

    def faults_off(self) -> None:
        self.cloud.faults.clear()

    def settle(self) -> None:
        """Wait until no request is being answered (what a dead attempt sent has landed)."""
        with self._lock:
            self._lock.wait_for(lambda: self._in_flight == 0, timeout=60)

    def summary(self) -> dict[str, Any]:
        """What the archive holds, per diagnosis, and the fault counters."""
        keys = self.cloud.oss(REGION).objects(BUCKET)
        markers: dict[str, set[str]] = {}
        for key in keys:
            name = key.rsplit("/", 1)[-1]
            diagnose_id, _, suffix = name.partition(".")
            markers.setdefault(diagnose_id, set()).add(suffix)
        records: Counter[str] = Counter()
        per_diagnosis: dict[str, set[str]] = {}
        for row in self.cloud.sls(REGION).logs(PROJECT, LOGSTORE):
            records[row["record_id"]] += 1
            per_diagnosis.setdefault(row["diagnose_id"], set()).add(row["record_id"])
        complete = [
            d
            for d in self.diagnoses
            if {"raw.json", "summary.json", "records-written"} <= markers.get(d, set())
            and _record_ids(d) <= per_diagnosis.get(d, set())
        ]
        lost_by: Counter[str] = Counter()
        for d in set(self.diagnoses) - set(complete):
            held = sorted(m for m in markers.get(d, set()) if not m[-1].isdigit())
            landed = len(per_diagnosis.get(d, set()))
            lost_by[f"{landed} records, objects: {', '.join(held) or 'none'}"] += 1
        events = self.cloud.eventbridge(REGION).events(BUS)
        with self._lock:
            calls, faulted = self.calls, dict(self.faulted)
        return {
            "complete": complete,
            "lost_by": dict(lost_by),
            "duplicated": sum(n - 1 for n in records.values() if n > 1),
            "calls": calls,
            "faulted": faulted,
            "events": len(events),
            "events_distinct": len({(e.get("source"), e.get("id")) for e in events}),
        }


def _record_ids(diagnose_id: str) -> set[str]:
    """The records every archived diagnosis has: one per check, one summary (a health
    transition adds its own)."""
    return {f"{diagnose_id}/check/{n}" for n in range(CHECKS)} | {f"{diagnose_id}/summary"}


def _estate(cloud: Any, count: int, first: int) -> list[str]:
    """Gateways and connections, each connection with finished diagnoses an hour or more old."""
    vpc = cloud.vpc(REGION)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    diagnoses: list[str] = []
    connections: list[str] = []
    while len(diagnoses) < count:
        if len(diagnoses) % DIAGNOSES_PER_CONNECTION == 0:
            if len(connections) % CONNECTIONS_PER_GATEWAY == 0:
                gateway = vpc.add_gateway().id
            connections.append(vpc.add_connection(gateway).id)
        number = len(diagnoses)
        begin = now - timedelta(hours=1, minutes=15 * (number % DIAGNOSES_PER_CONNECTION))
        diagnose_id = f"vpndgn-soak{first + number:08d}"
        vpc.record_diagnosis(connections[-1], diagnose_id=diagnose_id, begin=begin)
        diagnoses.append(diagnose_id)
    return diagnoses


def _emulator_process(channel: Connection, config: dict[str, Any]) -> None:
    """The emulator's process: serve, then answer commands until told to stop."""
    emulator = _Emulator(SoakConfig(**config))
    with emulator.cloud.serve() as server:
        channel.send({"url": server.base_url, "diagnoses": emulator.diagnoses})
        _serve_commands(emulator, channel.recv, channel.send)


def _serve_commands(
    emulator: _Emulator, receive: Callable[[], Any], send: Callable[[Any], None]
) -> None:
    commands: dict[str, Callable[[], Any]] = {
        "faults_on": emulator.faults_on,
        "faults_off": emulator.faults_off,
        "settle": emulator.settle,
        "summary": emulator.summary,
    }
    while True:
        command = receive()
        if command == "stop":
            return
        send(commands[command]())


@contextmanager
def _emulator(config: SoakConfig) -> Iterator[tuple[str, list[str], Callable[[str], Any]]]:
    """Start the emulator; yields its URL, the diagnoses, and a way to send it commands."""
    if config.emulator == "thread":
        emulator = _Emulator(config)
        with emulator.cloud.serve() as server:
            commands: dict[str, Callable[[], Any]] = {
                "faults_on": emulator.faults_on,
                "faults_off": emulator.faults_off,
                "settle": emulator.settle,
                "summary": emulator.summary,
            }
            yield server.base_url, emulator.diagnoses, lambda c: commands[c]()
        return
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(
        target=_emulator_process, args=(theirs, asdict(config)), name="vpndiag-soak-emulator"
    )
    process.start()
    try:
        if not ours.poll(120):
            raise RuntimeError("the emulator process did not start")
        hello = ours.recv()

        def command(name: str) -> Any:
            ours.send(name)
            while not ours.poll(1):
                if not process.is_alive():
                    raise RuntimeError(f"the emulator process died (exit {process.exitcode})")
            return ours.recv()

        yield hello["url"], hello["diagnoses"], command
        ours.send("stop")
    finally:
        process.join(30)
        if process.is_alive():
            process.terminate()
            process.join(5)


# -- the platform side ----------------------------------------------------------------------------


def _environ(url: str, config: SoakConfig) -> dict[str, str]:
    from vpndiag import config as settings
    from vpndiag_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET

    environ = {
        "VPNDIAG_OBJECT_STORE": f"oss://{BUCKET}/{PREFIX}",
        "VPNDIAG_LOG_STORE": f"sls://{PROJECT}/{LOGSTORE}",
        "VPNDIAG_STORAGE_REGION": REGION,
        "VPNDIAG_POLL_INTERVAL": "0.05",
        "VPNDIAG_WRITE_RESERVE": "0",
        "VPNDIAG_HTTP_TIMEOUT": str(config.http_timeout),
        "VPNDIAG_LOG_LEVEL": "ERROR",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEFAULT_ACCESS_KEY_SECRET,
    }
    known = settings.Settings.model_fields
    if not config.health and "health" in known:
        environ["VPNDIAG_HEALTH"] = "false"
    elif "event_bus" in known:
        environ["VPNDIAG_EVENT_BUS"] = BUS
        environ["VPNDIAG_ACCOUNT_ID"] = ACCOUNT
    for service in ("vpc", "oss", "sls", "eventbridge"):
        if f"{service}_endpoint" in known:
            environ[f"VPNDIAG_{service.upper()}_ENDPOINT"] = url
    return environ


def later(app: Any, seconds: float) -> Any:
    """Move the app's clocks (the pipeline's and the health tracker's) ``seconds`` ahead."""
    parts: list[Any] = [app.pipeline, getattr(app.pipeline, "_health", None)]
    for part in parts:
        real = getattr(part, "_now", None)
        if real is not None:
            part._now = functools.partial(_ahead, real, seconds)
    return app


def _ahead(real: Callable[[], float], seconds: float) -> float:
    return real() + seconds


class _Platform:
    """Runs invocations on a pool, a fresh instance per worker and round, and keeps score."""

    def __init__(self, environ: Mapping[str, str], workers: int) -> None:
        self._environ = dict(environ)
        self._workers = workers
        self._local = threading.local()
        self._lock = threading.Lock()
        self.failures: Counter[str] = Counter()
        self.untyped = 0

    def _app(self, later_by: float) -> Any:
        from vpndiag.app import ArchiveApp

        apps: dict[float, Any] = getattr(self._local, "apps", {})
        self._local.apps = apps
        if later_by not in apps:
            apps.clear()
            apps[later_by] = later(ArchiveApp.from_environment(self._environ), later_by)
        return apps[later_by]

    def _invoke(self, event: bytes, later_by: float) -> bool:
        from vpndiag.errors import VpndiagError

        try:
            self._app(later_by).handle(event, None)
        except VpndiagError as exc:
            with self._lock:
                self.failures[type(exc).__name__] += 1
            return False
        except Exception as exc:
            with self._lock:
                self.failures[type(exc).__name__] += 1
                self.untyped += 1
            return False
        return True

    def run(self, events: list[bytes], later_by: float) -> list[bytes]:
        """One round: every event once, concurrently; the ones that failed."""
        with ThreadPoolExecutor(self._workers, thread_name_prefix="soak") as pool:
            done = list(pool.map(lambda e: self._invoke(e, later_by), events))
        return [event for event, ok in zip(events, done, strict=True) if not ok]


def run(config: SoakConfig, progress: Callable[[str], None] = lambda _: None) -> Figures:
    """A soak phase, in batches on a fresh emulator each; its figures."""
    started = time.monotonic()
    figures = Figures(
        started=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        machine=f"{platform.machine()}, {_cpus()} CPUs, Python {platform.python_version()}",
    )
    size = config.batch or config.diagnoses
    for offset in range(0, config.diagnoses, size):
        batch = replace(
            config, diagnoses=min(size, config.diagnoses - offset), first=config.first + offset
        )
        figures.add(_batch(batch, progress))
    figures.seconds = time.monotonic() - started
    return figures


def _batch(config: SoakConfig, progress: Callable[[str], None]) -> Figures:
    """One emulator's worth of diagnoses, through the platform's rounds and the dead letters."""
    started = time.monotonic()
    figures = Figures()
    with (
        _client_retries() as client_retries,
        _instant_retries(),
        _app_log_level(),
        _emulator(config) as (
            url,
            diagnoses,
            command,
        ),
    ):
        figures.diagnoses = len(diagnoses)
        platform_ = _Platform(_environ(url, config), config.workers)
        events = [json.dumps({"RegionId": REGION, "DiagnoseId": d}).encode() for d in diagnoses]
        command("faults_on")
        pending = events
        for round_number in range(config.retries + 1):
            if not pending or time.monotonic() - started > config.max_seconds:
                break
            if round_number:
                figures.platform_retries += len(pending)
            progress(f"diagnoses {config.first}+: round {round_number}, {len(pending)} invocations")
            pending = platform_.run(pending, round_number * ROUND_LATER)
            command("settle")
        figures.dead_lettered = len(pending)
        command("faults_off")
        faulted = command("summary")
        if pending:
            progress(f"diagnoses {config.first}+: replaying {len(pending)} dead letters")
            platform_.run(pending, (config.retries + 1) * ROUND_LATER)
            command("settle")
        summary = command("summary")
        figures.client_retries = client_retries()
    figures.archived = len(summary["complete"])
    figures.lost = figures.diagnoses - figures.archived
    figures.lost_by = summary["lost_by"]
    figures.duplicated = summary["duplicated"]
    figures.calls = faulted["calls"]
    figures.faults_by_kind = faulted["faulted"]
    figures.faults = sum(faulted["faulted"].values())
    figures.failures_by_type = dict(platform_.failures)
    figures.untyped_failures = platform_.untyped
    figures.events_published = summary["events"]
    figures.events_distinct = summary["events_distinct"]
    return figures


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


@contextmanager
def _app_log_level() -> Iterator[None]:
    """The app sets the ``vpndiag`` logger's level from its settings: put it back after."""
    logger = logging.getLogger("vpndiag")
    level = logger.level
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def _instant_retries() -> Iterator[None]:
    """Skip the retry policy's waits (the attempts still happen); put the setting back after."""
    from vpndiag.http import retry

    before = retry._instant
    retry.set_testing(True)
    try:
        yield
    finally:
        retry.set_testing(before)


@contextmanager
def _client_retries() -> Iterator[Callable[[], int]]:
    """Count the waits the retry policy computes (one per repeated attempt) while open."""
    from vpndiag.http import retry

    counted = [0]
    lock = threading.Lock()
    delay = retry.RetryPolicy.delay

    def counting(self: Any, attempt: int, advised: float | None) -> float:
        with lock:
            counted[0] += 1
        return delay(self, attempt, advised)

    retry.RetryPolicy.delay = counting  # type: ignore[method-assign]
    try:
        yield lambda: counted[0]
    finally:
        retry.RetryPolicy.delay = delay  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    defaults = SoakConfig()
    parser.add_argument("--diagnoses", type=int, default=defaults.diagnoses)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--health-diagnoses", type=int, default=1000)
    parser.add_argument("--health-batch", type=int, default=250)
    parser.add_argument("--fault-share", type=float, default=defaults.fault_share)
    parser.add_argument("--min-fault-share", type=float, default=defaults.min_fault_share)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--workers", type=int, default=defaults.workers)
    parser.add_argument("--retries", type=int, default=defaults.retries)
    parser.add_argument("--latency-part", type=float, default=defaults.latency_part)
    parser.add_argument("--emulator", choices=["process", "thread"], default=defaults.emulator)
    parser.add_argument("--max-seconds", type=float, default=defaults.max_seconds)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    base = SoakConfig(
        fault_share=args.fault_share,
        min_fault_share=args.min_fault_share,
        seed=args.seed,
        workers=args.workers,
        retries=args.retries,
        latency_part=args.latency_part,
        emulator=args.emulator,
        max_seconds=args.max_seconds,
    )
    phases = {
        "archive": replace(base, diagnoses=args.diagnoses, batch=args.batch, health=False),
        "archive and health": replace(
            base,
            diagnoses=args.health_diagnoses,
            batch=args.health_batch,
            first=args.diagnoses,
            health=True,
        ),
    }
    results: dict[str, dict[str, Any]] = {}
    ok = True
    for name, config in phases.items():
        if config.diagnoses <= 0:
            continue
        figures = run(config, progress=lambda line: print(f"soak: {line}", file=sys.stderr))
        print(f"== {name}")
        print("\n".join(figures.lines()))
        results[name] = {**asdict(figures), "fault_share": figures.fault_share}
        ok = figures.ok(config) and ok
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print("soak: OK" if ok else "soak: FAILED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
