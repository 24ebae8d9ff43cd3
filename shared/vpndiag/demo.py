"""``make run``: the emulated cloud on loopback, the archive function over the sample events.

Dev tooling: it needs the emulator package, which is never deployed (``make package`` leaves this
module out). The function runs exactly as configured in the cloud, only its endpoint and keys point
at the emulator; the stores are the embedded defaults.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from vpndiag.cli import invoke_handler, load_function
from vpndiag.errors import VpndiagError

_LEVEL_MARK = {"normal": "ok", "warning": "WARN", "error": "ERROR"}


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, rows)])


def _findings(summary: dict[str, Any]) -> str:
    found = [c["sentence"] for c in summary["checks"] if c["level"] != "normal"]
    return "; ".join(found) if found else "-"


def run_demo(events: Path, var: Path, functions: Path) -> int:
    from vpndiag_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Cloud
    from vpndiag_emulator.vpc.estate import populate_demo

    cloud = Cloud(seed=0)
    populate_demo(cloud.vpc)
    archive_dir, database = var / "archive", var / "vpndiag.sqlite3"
    with cloud.serve("127.0.0.1", 0) as server:
        print(f"emulated cloud listening on {server.base_url} (5 gateways' connections, 2 regions)")
        os.environ.update(
            {
                "VPNDIAG_VPC_ENDPOINT": server.base_url,
                "VPNDIAG_OBJECT_STORE": f"file:{archive_dir}",
                "VPNDIAG_LOG_STORE": f"sqlite:{database}",
                "ALIBABA_CLOUD_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEFAULT_ACCESS_KEY_SECRET,
            }
        )
        module = load_function("archive", functions)
        rows: list[tuple[str, ...]] = []
        created = written = 0
        for sample in sorted(events.glob("*.json")):
            try:
                output = json.loads(invoke_handler(module, sample.read_bytes(), name="archive"))
            except VpndiagError as exc:
                print(f"{sample.name}: FAILED {type(exc).__name__}: {exc}")
                return 1
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
    print()
    print(_table(rows, ("event", "gateway", "connection", "worst", "archive", "findings")))
    with sqlite3.connect(database) as db:
        (total,) = db.execute("SELECT COUNT(*) FROM records").fetchone()
    print()
    print(f"this run: {created} objects created, {written} log records written")
    print(f"archive:  {archive_dir.resolve()}/")
    print(f"records:  {database.resolve()} ({total} rows in table 'records')")
    return 0
