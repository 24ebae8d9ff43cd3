"""``make run``: the emulated cloud on loopback, then the functions as the cloud would run them.

1. the archive function over the sample events (idempotent: a second run writes nothing);
2. a timer tick through the sweep function over the emulated estate (both regions): a diagnosis
   per connection, archived by the in-process pool (a new tick is a new diagnosis each time);
3. the FC hand-off: a collect-mode sweep hands each gateway's latest diagnosis to the archive
   function through the emulated FC API (``aliyun-fc2``, asynchronous invocations), and the
   emulated platform runs the queue; everything is already archived, so nothing is written twice.

Dev tooling: it needs the emulator package, which is never deployed (``make package`` leaves this
module out). The functions run exactly as configured in the cloud, only their endpoints and keys
point at the emulator; the stores are the embedded defaults.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

from vpndiag.cli import invoke_handler, load_function
from vpndiag.errors import VpndiagError
from vpndiag.health.store import StateStore

_LEVEL_MARK = {"normal": "ok", "warning": "WARN", "error": "ERROR"}
_REGIONS = ("cn-hangzhou", "cn-shanghai")
# Health events start new diagnoses: they belong with the sweep's live part, not the samples
# whose archive must stay the same run after run.
_LIVE_SAMPLES = "vpn-health-*.json"
_EVENT_BUS = "vpndiag"
_EVENT_REGION = "cn-hangzhou"


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, rows)])


def _findings(summary: dict[str, Any]) -> str:
    found = [c["sentence"] for c in summary["checks"] if c["level"] != "normal"]
    return "; ".join(found) if found else "-"


def _samples(events: Path, module: ModuleType) -> tuple[list[tuple[str, ...]], int, int] | None:
    """Part 1: every sample event through the archive function; None if one failed."""
    live = set(events.glob(_LIVE_SAMPLES))
    rows: list[tuple[str, ...]] = []
    created = written = 0
    for sample in sorted(set(events.glob("*.json")) - live):
        try:
            output = json.loads(invoke_handler(module, sample.read_bytes(), name="archive"))
        except VpndiagError as exc:
            print(f"{sample.name}: FAILED {type(exc).__name__}: {exc}")
            return None
        for item in output["archived"]:
            summary = item["summary"]
            created += item["objects_created"]
            written += item["records_written"]
            rows.append(
                (
                    sample.name,
                    summary["gateway_id"],
                    summary["resource_id"] or "-",
                    _LEVEL_MARK.get(summary["level"], summary["level"]),
                    item["status"],
                    _findings(summary),
                )
            )
    return rows, created, written


def _sweep(events: Path, functions: Path, **settings: str) -> dict[str, Any]:
    """A timer tick (now) through a freshly loaded sweep function configured by ``settings``."""
    for name in [k for k in os.environ if k.startswith("VPNDIAG_SWEEP_")]:
        del os.environ[name]
    os.environ.update({f"VPNDIAG_SWEEP_{k.upper()}": v for k, v in settings.items()})
    tick = json.loads((events / "sweep" / "timer-sweep.json").read_bytes())
    tick["triggerTime"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    module = load_function("sweep", functions)
    report: dict[str, Any] = json.loads(
        invoke_handler(module, json.dumps(tick).encode(), name="sweep", timeout=120)
    )
    return report


_HEALTH_HEADER = ("connection", "state", "since", "last diagnosis did", "tunnel root cause")


def _health_rows(archive_dir: Path) -> list[tuple[str, ...]]:
    """Per connection: its state now, and the transition its latest diagnosis made, if any."""
    from vpndiag.health.history import connections
    from vpndiag.store.objects import FilesystemObjectStore

    objects = FilesystemObjectStore(archive_dir)
    store = StateStore(objects)
    rows: list[tuple[str, ...]] = []
    for connection in connections(objects):
        snapshot = store.latest(connection)
        if snapshot is None:
            continue
        state = snapshot.state
        moves = [
            f"{t.from_level or 'new'} -> {t.to_level}" if t.kind == "changed" else t.kind
            for t in snapshot.transitions
            if t.scope == "connection"
        ]
        codes = _root_cause_codes(store, connection) if state.level != "normal" else []
        rows.append(
            (
                connection,
                _LEVEL_MARK.get(state.level, state.level)
                + (" (flapping)" if state.flapping else ""),
                f"{state.since:%Y-%m-%d %H:%M}",
                ", ".join(moves) or "no change",
                ", ".join(codes) or "-",
            )
        )
    return rows


def _root_cause_codes(store: StateStore, connection: str) -> list[str]:
    """The failure codes of the most recent root cause taken for the connection."""
    for snapshot in reversed(list(store.history(connection))):
        tunnels = (snapshot.root_cause or {}).get("tunnels")
        if not isinstance(tunnels, list):
            continue
        codes = {
            str(t["failed_reason_code"])
            for t in tunnels
            if isinstance(t, dict) and t.get("failed_reason_code")
        }
        if codes:
            return sorted(codes)
    return []


def _report(archive_dir: Path, var: Path) -> Path:
    """The HTML report of the last seven days of the archive, as ``vpndiag report`` writes it."""
    from vpndiag.health import actions
    from vpndiag.health.thresholds import Thresholds
    from vpndiag.report import build, html
    from vpndiag.report.period import Period
    from vpndiag.store.objects import FilesystemObjectStore

    now = datetime.now(timezone.utc)
    report = build.build(
        FilesystemObjectStore(archive_dir),
        "",
        Period.ending(now.date(), 7, now=now),
        actions=actions.load(),
        thresholds=Thresholds(),
        source=f"file:{archive_dir}",
        now=now,
    )
    path = var / "report.html"
    path.write_text(html.render(report), encoding="utf-8")
    return path


def _levels(database: Path) -> dict[str, str]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT diagnose_id, level FROM records WHERE record_type = 'summary'")
        return dict(rows)


def run_demo(events: Path, var: Path, functions: Path) -> int:
    from vpndiag_emulator import (
        DEFAULT_ACCESS_KEY_ID,
        DEFAULT_ACCESS_KEY_SECRET,
        DEFAULT_ACCOUNT_ID,
        Cloud,
    )
    from vpndiag_emulator.vpc.estate import populate_demo

    # Warnings on stderr, the demo's own lines on stdout. With a handler in place, the root
    # logger is not configured behind our back by libraries' module-level logging calls (fc2).
    quiet = logging.StreamHandler()
    quiet.setLevel(logging.WARNING)
    logging.getLogger().addHandler(quiet)
    cloud = Cloud(seed=0, diagnosis_duration=1.0)
    populate_demo(cloud.vpc)
    cloud.eventbridge(_EVENT_REGION).create_bus(_EVENT_BUS)
    archive_dir, database = var / "archive", var / "vpndiag.sqlite3"
    with cloud.serve("127.0.0.1", 0) as server:
        print(f"emulated cloud listening on {server.base_url} (5 gateways' connections, 2 regions)")
        os.environ.update(
            {
                "VPNDIAG_VPC_ENDPOINT": server.base_url,
                "VPNDIAG_OBJECT_STORE": f"file:{archive_dir}",
                "VPNDIAG_LOG_STORE": f"sqlite:{database}",
                "VPNDIAG_POLL_INTERVAL": "0.25",
                "VPNDIAG_EVENT_BUS": _EVENT_BUS,
                "VPNDIAG_EVENTBRIDGE_ENDPOINT": server.base_url,
                "VPNDIAG_ACCOUNT_ID": DEFAULT_ACCOUNT_ID,
                "VPNDIAG_STORAGE_REGION": _EVENT_REGION,
                "ALIBABA_CLOUD_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEFAULT_ACCESS_KEY_SECRET,
            }
        )
        archive = load_function("archive", functions)
        samples = _samples(events, archive)
        if samples is None:
            return 1
        rows, created, written = samples
        print()
        print(_table(rows, ("event", "gateway", "connection", "worst", "archive", "findings")))
        print(f"\nsample events: {created} objects created, {written} log records written")

        try:
            swept = _sweep(events, functions, regions=",".join(_REGIONS), handoff="pool")
            # The archive function behind the emulated FC API: the same module, as deployed.
            fc = cloud.fc("cn-hangzhou")
            fc.register_function("vpndiag", "archive", archive.handler)
            collected = _sweep(
                events,
                functions,
                regions=",".join(_REGIONS),
                mode="collect",
                handoff="fc",
                fc_endpoint=server.base_url,
                archive_service="vpndiag",
            )
        except VpndiagError as exc:
            print(f"sweep: FAILED {type(exc).__name__}: {exc}")
            return 1
        drained = fc.drain(workers=4)

    levels = _levels(database)
    print()
    print(
        f"timer tick {swept['tick']}: sweep over {', '.join(swept['regions'])} "
        f"({swept['gateways']} gateways, in-process pool hand-off, {swept['elapsed_seconds']} s)"
    )
    sweep_rows: list[tuple[str, ...]] = [
        (
            str(o["region"]),
            str(o.get("gateway_id") or "-"),
            str(o.get("connection_id") or "-"),
            str(o.get("diagnose_id") or "-"),
            _LEVEL_MARK.get(levels.get(o.get("diagnose_id", ""), ""), "-"),
            str(o["status"]) + (f" ({o['code']})" if "code" in o else ""),
        )
        for o in swept["outcomes"]
    ]
    print(_table(sweep_rows, ("region", "gateway", "connection", "diagnosis", "worst", "status")))
    counts = collected["counts"]
    print(
        f"\nFC hand-off (collect mode, aliyun-fc2 -> emulated FC API): {counts['handed_off']} "
        f"asynchronous invocations of the archive function; the platform ran "
        f"{drained.succeeded} ({drained.retried} retried, {len(fc.dead_letters)} dead letters); "
        "each gateway's latest diagnosis was already archived, so none was written twice"
    )
    published = cloud.eventbridge(_EVENT_REGION).events(_EVENT_BUS)
    print()
    print(
        f"connection health ({len(published)} events on the emulated bus '{_EVENT_BUS}' so far; "
        "a change needs 2 of the last 3 diagnoses)"
    )
    print(_table(_health_rows(archive_dir), _HEALTH_HEADER))
    with sqlite3.connect(database) as db:
        (total,) = db.execute("SELECT COUNT(*) FROM records").fetchone()
    print()
    print(f"archive:  {archive_dir.resolve()}/")
    print(f"records:  {database.resolve()} ({total} rows in table 'records')")
    print(f"report: {_report(archive_dir, var).resolve()}")
    return 0
