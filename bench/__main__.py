"""``make bench`` (``python -m bench``): every figure, project against the official-SDK baseline.

Order: package size (builds the zips, reused while nothing changed), then one emulator process for
normalisation, cold starts and throughput, then another for the sweep at scale. The table goes to
stdout; the raw figures to ``bench/results/<timestamp>.json`` and ``latest.json`` (``latest.md``:
the table). ``--quick`` runs everything small (a smoke run, figures not meaningful).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import coldstart, normalise, packaging, profiles, report, sweep, throughput
from bench.common import SIDES, Side, emulator, machine, now_stamp
from bench.server import diagnosis_id


def _say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="diagnoses per throughput run")
    parser.add_argument("--rounds", type=int, default=3, help="throughput runs per side")
    parser.add_argument("--cold-runs", type=int, default=9, help="cold starts per side")
    parser.add_argument("--deployed-runs", type=int, default=3, help="deployed cold starts/side")
    parser.add_argument("--normalise-seconds", type=float, default=3.0)
    parser.add_argument("--sweep-connections", type=int, default=sweep.CONNECTIONS)
    parser.add_argument("--profile", action="store_true", help="also cProfile the throughput")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.count, args.rounds, args.cold_runs, args.deployed_runs = 50, 1, 2, 1
        args.normalise_seconds, args.sweep_connections = 0.5, 100
    started = time.monotonic()
    figures: dict[str, Any] = {}

    _say("package size: build/archive.zip and the baseline's zip")
    figures["package"] = packaging.measure()
    zips: dict[Side, Path] = {"project": packaging.PROJECT_ZIP, "baseline": packaging.BASELINE_ZIP}

    # Diagnoses: the throughput ones first, then the cold runs', then the profiles'.
    cold_first = throughput.diagnoses_needed(args.count)
    deployed_first = cold_first + 2 * args.cold_runs
    profile_first = deployed_first + 2 * args.deployed_runs
    total = profile_first + (args.count + 10 if args.profile else 2)
    names = [
        *throughput.namespaces(args.rounds),
        *coldstart.namespaces(),
        *profiles.namespaces(),
    ]
    _say(f"emulator: {total} finished diagnoses, {len(names)} buckets and log projects")
    with emulator(
        "--diagnoses", str(total), *[a for n in names for a in ("--namespace", n)]
    ) as emu:
        _say("normalisation alone, one core")
        with tempfile.TemporaryDirectory() as scratch:
            bodies = Path(scratch) / "bodies.json"
            fetched = normalise.fetch_bodies(emu.url, [diagnosis_id(i) for i in range(50)])
            bodies.write_text(json.dumps(fetched))
            figures["normalisation"] = normalise.measure(bodies, args.normalise_seconds)
        _say(f"cold start: {args.cold_runs} runs per side, interleaved")
        figures["cold_start"] = coldstart.measure_venv(emu.url, args.cold_runs, cold_first)
        _say(f"cold start as deployed: {args.deployed_runs} runs per side")
        figures["cold_start_deployed"] = coldstart.measure_deployed(
            emu.url, args.deployed_runs, zips, deployed_first
        )
        _say(f"throughput: {args.count} diagnoses per run, {args.rounds} rounds, interleaved")
        figures["throughput"] = throughput.measure(emu.url, count=args.count, rounds=args.rounds)
        _say("profiles: import time of one cold start per side")
        figures["profiles"] = {
            side: profiles.importtime(side, emu.url, profile_first + n)
            for n, side in enumerate(SIDES)
        }
        if args.profile:
            _say("profiles: cProfile of the project's warm instance")
            figures["profiles"]["throughput_cprofile"] = profiles.throughput_cprofile(
                "project", emu.url, profile_first + 2, args.count
            )
    _say(f"sweep: {args.sweep_connections} connections, 50 ms per call")
    with emulator(
        "--sweep-connections", str(args.sweep_connections), "--latency", str(sweep.LATENCY)
    ) as emu:
        figures["sweep"] = sweep.measure(emu.url)

    table = report.rows(figures)
    document = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "settings": vars(args),
        "elapsed_seconds": round(time.monotonic() - started, 1),
        "figures": figures,
    }
    written = report.write(document, table, now_stamp())
    print(report.text(table))
    _say(f"done in {document['elapsed_seconds']} s; results: {', '.join(map(str, written))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
