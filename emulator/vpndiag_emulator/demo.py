"""``make run``: ``template.yml`` deployed into the emulated cloud, then driven by its platform.

1. Deploy, with ``vpndiag deploy``'s own code: the zips ``tools/package.py`` builds are uploaded to
   the emulated OSS, the custom bus is made through EventBridge's control plane, and the emulated
   ROS creates the stack: every resource of the template in the emulated services, refusing what
   ROS refuses (an unknown type or property, a missing required one, a bad reference).
2. The sample events through the deployed archive function (synchronous invocations).
3. The sweep's timer reaches its next fire time: the sweep starts a diagnosis per connection and
   hands each to the archive function through FC's asynchronous queue, which the platform runs
   with the function's own retries and dead-letter queue.
4. The sample VPN health events arrive on the default bus: the template's rule routes them to the
   archive function.
5. The report's timer reaches its next fire time: the daily report function writes its page.

Every call a function makes carries its service role's STS credentials and is authorised by the
template's own RAM policy, action and resource; a refusal fails the invocation, and an invocation
that ends in the dead-letter queue fails ``make run``, with its error. Every request goes through
the emulator in-process (``Cloud.mock``) with the services' real host names.

The archive and the records outlive the process: the bucket's objects are kept in ``var/archive``
(and put back into the bucket at the next run, so a diagnosis archived once is never archived
again) and the records are appended to ``var/vpndiag.sqlite3``. Dev tooling: never deployed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Final

from vpndiag.credentials import Credentials
from vpndiag.errors import VpndiagError

from .core.cloud import Cloud
from .core.credentials import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET
from .fc.models import FcBackend
from .vpc.estate import populate_demo

REGION: Final = "cn-hangzhou"
REGIONS: Final = ("cn-hangzhou", "cn-shanghai")
STACK_NAME: Final = "vpndiag"
CODE_BUCKET: Final = "vpndiag-demo-code"
# Only what the template cannot default: the rest is the template's own defaults.
PARAMETERS: Final = {
    "ArchiveBucket": "vpndiag-demo-archive",
    "SweepRegions": ",".join(REGIONS),
}
SERVICE: Final = "vpndiag"
ARCHIVE_PREFIX: Final = "vpndiag/"
DEAD_LETTER_QUEUE: Final = "vpndiag-dead-letters"
_LIVE_SAMPLES: Final = "vpn-health-*.json"
_LEVEL_MARK: Final = {"normal": "ok", "warning": "WARN", "degraded": "DEGRADED", "error": "ERROR"}


@dataclass(frozen=True)
class Layout:
    """Where ``make run`` reads and keeps things."""

    events: Path
    var: Path
    template: Path
    build: Path
    deps: Path | None = None
    """A ready dependency folder for the zips (tests: an empty one, the host's libraries serve)."""

    @property
    def archive(self) -> Path:
        return self.var / "archive"

    @property
    def database(self) -> Path:
        return self.var / "vpndiag.sqlite3"


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, rows)])


def _mark(level: str) -> str:
    return _LEVEL_MARK.get(level, level)


def _named(identifier: str | None, name: str | None) -> str:
    if not identifier:
        return "-"
    return f"{identifier} ({name})" if name else identifier


# -- 1. the deployment ---------------------------------------------------------------------------


def deploy(layout: Layout) -> dict[str, str]:
    """Build the zips and deploy the template exactly as ``vpndiag deploy`` does; its outputs."""
    from vpndiag.deploy import packages
    from vpndiag.deploy.command import target
    from vpndiag.deploy.run import Deployer, Deployment

    zips = packages.build(layout.build, layout.deps)
    keys = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
    deployment = Deployment(
        stack_name=STACK_NAME,
        code_bucket=CODE_BUCKET,
        template=layout.template.read_text(encoding="utf-8"),
        packages=zips,
        parameters=PARAMETERS,
        poll_interval=0.0,
    )
    stack = Deployer(target(REGION, keys, None), out=print, sleep=lambda _: None).run(deployment)
    return dict(stack.outputs)


# -- the archive kept between runs ---------------------------------------------------------------


def restore(cloud: Cloud, layout: Layout) -> int:
    """Put what earlier runs archived back into the bucket; how many objects."""
    oss = cloud.oss(REGION)
    count = 0
    if layout.archive.is_dir():
        for path in sorted(p for p in layout.archive.rglob("*") if p.is_file()):
            key = ARCHIVE_PREFIX + path.relative_to(layout.archive).as_posix()
            kind = "application/json" if path.suffix == ".json" else "application/octet-stream"
            oss.put_object(
                PARAMETERS["ArchiveBucket"], key, path.read_bytes(), content_type=kind, metadata={}
            )
            count += 1
    return count


def keep(cloud: Cloud, layout: Layout, records: tuple[str, str]) -> tuple[int, int]:
    """The bucket's archive into ``var/archive``, this run's records into the SQLite database."""
    from vpndiag.store.logs import LogRecord, SqliteLogStore

    written = 0
    for key, body in cloud.oss(REGION).objects(PARAMETERS["ArchiveBucket"]).items():
        if not key.startswith(ARCHIVE_PREFIX):
            continue
        path = layout.archive / key[len(ARCHIVE_PREFIX) :]
        if path.is_file() and path.read_bytes() == body:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        written += 1
    project, logstore = records
    rows = cloud.sls(REGION).logs(project, logstore)
    store = SqliteLogStore(layout.database)
    try:
        store.put(
            [
                LogRecord(
                    time=int(row["__time__"]),
                    topic=row["__topic__"],
                    source=row["__source__"],
                    contents={k: v for k, v in row.items() if not k.startswith("__")},
                )
                for row in rows
            ]
        )
    finally:
        store.close()
    return written, len(rows)


# -- 2-5. the platform drives the functions ------------------------------------------------------


def samples(fc: FcBackend, layout: Layout) -> list[tuple[str, ...]]:
    """Every sample event through the deployed archive function, synchronously."""
    live = set(layout.events.glob(_LIVE_SAMPLES))
    rows: list[tuple[str, ...]] = []
    for sample in sorted(set(layout.events.glob("*.json")) - live):
        result = fc.invoke(SERVICE, "archive", sample.read_bytes())
        if result.error is not None:
            raise DemoFailed(f"{sample.name}: the archive function failed: {_error(result.error)}")
        for item in json.loads(result.body)["archived"]:
            summary = item["summary"]
            findings = [c["sentence"] for c in summary["checks"] if c["level"] != "normal"]
            rows.append(
                (
                    sample.name,
                    _named(summary["gateway_id"], summary.get("gateway_name")),
                    _named(summary["resource_id"], summary.get("connection_name")),
                    _mark(summary["level"]),
                    item["status"],
                    "; ".join(findings) or "-",
                )
            )
    return rows


def health_events(cloud: Cloud, layout: Layout, now: datetime) -> int:
    """The sample VPN health events, as the cloud publishes them on the default bus."""
    published = 0
    for index, sample in enumerate(sorted(layout.events.glob(_LIVE_SAMPLES))):
        event = json.loads(sample.read_bytes())
        # A fresh event each run: the platform never repeats an id for a new state change.
        event["id"] = f"{event.get('id', 'vpn-health')}-{now:%Y%m%d%H%M%S}-{index}"
        event["time"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        cloud.eventbridge(REGION).publish_system_event(event)
        published += 1
    return published


def fire(fc: FcBackend, function: str, now: datetime) -> datetime:
    """Let the platform's scheduler reach the next fire time of ``function``'s timer."""
    return fc.fire_next_timer(SERVICE, function, after=now)


class DemoFailed(VpndiagError):
    """Something the platform ran failed; the message says what."""


def _error(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    if isinstance(parsed, dict):
        return f"{parsed.get('errorType', 'error')}: {parsed.get('errorMessage', body)}"
    return body


def _dead_letters(cloud: Cloud) -> list[str]:
    """Every failure record the platform sent to the template's dead-letter queue."""
    queue = cloud.mns(REGION).queue(DEAD_LETTER_QUEUE)
    lines = []
    for message in queue.messages if queue is not None else []:
        try:
            record = json.loads(message.body)
        except ValueError:
            lines.append(message.body)
            continue
        context = record.get("requestContext", {})
        payload = record.get("responsePayload") or record.get("errorMessage") or record
        text = payload if isinstance(payload, str) else json.dumps(payload)
        lines.append(f"{context.get('functionArn', '?')}: {_error(text)}")
    return lines


# -- what the run shows --------------------------------------------------------------------------


def _failing_tunnels(root_cause: Mapping[str, object] | None) -> list[dict[str, object]]:
    taken = (root_cause or {}).get("tunnels")
    return [
        t
        for t in (taken if isinstance(taken, list) else [])
        if isinstance(t, dict) and t.get("failed_reason_code")
    ]


def _health(archive: Path) -> tuple[list[tuple[str, ...]], list[str]]:
    """Per connection: its state now and each tunnel's; then why each down tunnel is down and
    what to do about it (the root cause kept with the connection's latest diagnosis)."""
    from vpndiag.health.history import connections
    from vpndiag.health.store import StateStore
    from vpndiag.store.objects import FilesystemObjectStore

    store = StateStore(FilesystemObjectStore(archive))
    rows: list[tuple[str, ...]] = []
    why: list[str] = []
    for connection in connections(FilesystemObjectStore(archive)):
        snapshot = store.latest(connection)
        if snapshot is None:
            continue
        state = snapshot.state
        tunnels = ", ".join(
            f"{t.role or t.tunnel_id}: {t.level}"
            for t in sorted(state.tunnels.values(), key=lambda t: t.role or t.tunnel_id)
        )
        failing = _failing_tunnels(snapshot.root_cause) if state.level != "normal" else []
        codes = sorted({str(t["failed_reason_code"]) for t in failing})
        rows.append(
            (
                _named(connection, state.connection_name),
                state.peer_ip or "-",
                _mark(state.level) + (" (flapping)" if state.flapping else ""),
                f"{state.since:%Y-%m-%d %H:%M}",
                tunnels or "-",
                ", ".join(codes) or "-",
            )
        )
        for tunnel in failing:
            action = tunnel.get("action")
            advice = action.get("en") if isinstance(action, dict) else None
            why.append(
                f"{connection} {tunnel.get('role') or 'tunnel'} {tunnel.get('tunnel_id') or ''}: "
                f"{tunnel.get('failed_reason') or tunnel['failed_reason_code']}"
                + (f"\n    what to do: {advice}" if advice else "")
            )
    return rows, why


def _report(archive: Path, var: Path) -> Path:
    """The HTML report of the last seven days, as ``vpndiag report`` writes it."""
    from vpndiag.health import actions
    from vpndiag.health.thresholds import Thresholds
    from vpndiag.report import build, html
    from vpndiag.report.period import Period
    from vpndiag.store.objects import FilesystemObjectStore

    now = datetime.now(timezone.utc)
    report = build.build(
        FilesystemObjectStore(archive),
        "",
        Period.ending(now.date(), 7, now=now),
        actions=actions.load(),
        thresholds=Thresholds(),
        source=f"file:{archive}",
        now=now,
    )
    path = var / "report.html"
    path.write_text(html.render(report), encoding="utf-8")
    return path


def _records(outputs: dict[str, str]) -> tuple[str, str]:
    """(project, logstore) of the stack's ``RecordsLogstore`` output, ``sls://project/logstore``."""
    location = outputs.get("RecordsLogstore", "")
    project, _, logstore = location.removeprefix("sls://").partition("/")
    if not project or not logstore:
        raise DemoFailed(f"the stack's RecordsLogstore output {location!r} is not sls://p/l")
    return project, logstore


def run_demo(
    events: Path, var: Path, template: Path, build: Path, *, deps: Path | None = None
) -> int:
    """``make run``; 0 when every invocation the platform ran succeeded."""
    from vpndiag.deploy.run import DeployFailed

    # Warnings on stderr, the run's own lines on stdout.
    quiet = logging.StreamHandler()
    quiet.setLevel(logging.WARNING)
    logging.getLogger().addHandler(quiet)
    layout = Layout(events, var, template, build, deps)
    cloud = Cloud(seed=0, diagnosis_duration=1.0)
    populate_demo(cloud.vpc)
    fc = cloud.fc(REGION)
    try:
        with cloud.mock():
            print(f"deploying {template} into the emulated cloud ({REGION})")
            outputs = deploy(layout)
            restored = restore(cloud, layout)
            sample_rows = samples(fc, layout)
            now = datetime.now(timezone.utc)
            tick = fire(fc, "sweep", now)
            swept = fc.drain(workers=4)
            published = health_events(cloud, layout, now)
            alerted = fc.drain(workers=4)
            report_tick = fire(fc, "report", now)
            reported = fc.drain(workers=2)
            failures = _dead_letters(cloud)
    except DeployFailed as exc:
        print(f"deploy: FAILED {exc}")
        for reason in exc.reasons:
            print(f"  {reason}")
        return 1
    except VpndiagError as exc:
        print(f"FAILED {type(exc).__name__}: {exc}")
        return 1
    written, records = keep(cloud, layout, _records(outputs))

    print()
    print(_table(sample_rows, ("event", "gateway", "connection", "worst", "archive", "findings")))
    print(f"\n{restored} objects of earlier runs were already in the archive")
    print(
        f"\nsweep timer fired for {tick:%Y-%m-%d %H:%M:%S} UTC: {swept.succeeded} invocations "
        f"ran ({swept.retried} retried) through the FC async queue; health events: {published} "
        f"on the default bus, {alerted.succeeded} archive invocations; report timer fired for "
        f"{report_tick:%Y-%m-%d %H:%M:%S} UTC ({reported.succeeded} ran)"
    )
    print()
    print("connection health (a change needs 2 of the last 3 diagnoses)")
    rows, why = _health(layout.archive)
    print(_table(rows, ("connection", "peer", "state", "since", "tunnels", "root cause")))
    if why:
        print("\nwhy tunnels are down:")
        for line in why:
            print(f"  {line}")
    print()
    print(f"archive:  {layout.archive.resolve()}/ ({written} objects new this run)")
    print(f"records:  {layout.database.resolve()} ({records} new rows in table 'records')")
    print(f"report:   {_report(layout.archive, var).resolve()}")
    if failures:
        print(f"\n{len(failures)} invocations ended in the dead-letter queue {DEAD_LETTER_QUEUE}:")
        for line in failures:
            print(f"  {line}")
        return 1
    return 0
