"""The figures table (project, baseline, ratio, target, PASS/MISS) and the JSON results."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import RESULTS


@dataclass(frozen=True)
class Row:
    figure: str
    project: str
    baseline: str
    ratio: str
    target: str
    result: str  # PASS, MISS, or "" for figures shown for information


def _verdict(passed: bool | None) -> str:
    if passed is None:
        return ""
    return "PASS" if passed else "MISS"


def _no_stall(latency: dict[str, Any]) -> bool:
    """No systematic stall: a Nagle/delayed-ACK stall hits a kind of request every time (p99 near
    40 ms); a rare slow request on a busy 2-core machine (the emulator shares it) is not one."""
    return bool(latency["p99_ms"] < 30.0 and latency["stalled"] <= 0.001 * latency["requests"])


def _ratio(project: float, baseline: float) -> str:
    return f"{project / baseline:.2f} ({baseline / project:.1f}x)" if project and baseline else "-"


def rows(figures: dict[str, Any]) -> list[Row]:
    """The table, from the raw figures (``bench.__main__`` gathers them)."""
    table: list[Row] = []
    cold = figures.get("cold_start")
    if cold:
        p, b = cold["project"]["cold_seconds"], cold["baseline"]["cold_seconds"]
        table.append(
            Row(
                f"cold start, import + 1st invocation (median of {cold['project']['runs']})",
                f"{p * 1000:.0f} ms",
                f"{b * 1000:.0f} ms",
                _ratio(p, b),
                "<= 0.25",
                _verdict(p <= 0.25 * b),
            )
        )
    deployed = figures.get("cold_start_deployed")
    if deployed:
        p, b = deployed["project"]["cold_seconds"], deployed["baseline"]["cold_seconds"]
        table.append(
            Row(
                "cold start as deployed (zip, py3.10, read-only /code)",
                f"{p * 1000:.0f} ms",
                f"{b * 1000:.0f} ms",
                _ratio(p, b),
                "<= 0.25",
                _verdict(p <= 0.25 * b),
            )
        )
    tp = figures.get("throughput")
    if tp:
        p, b = tp["project"], tp["baseline"]
        label = f"{tp['count']} diagnoses x {tp['rounds']} rounds"
        table.append(
            Row(
                f"client CPU per diagnosis ({label})",
                f"{p['cpu_ms_per_diagnosis']:.2f} ms",
                f"{b['cpu_ms_per_diagnosis']:.2f} ms",
                _ratio(p["cpu_ms_per_diagnosis"], b["cpu_ms_per_diagnosis"]),
                "<= 0.5",
                _verdict(p["cpu_ms_per_diagnosis"] <= 0.5 * b["cpu_ms_per_diagnosis"]),
            )
        )
        table.append(
            Row(
                "wall time per diagnosis (loopback, same emulator)",
                f"{p['wall_ms_per_diagnosis']:.2f} ms",
                f"{b['wall_ms_per_diagnosis']:.2f} ms",
                _ratio(p["wall_ms_per_diagnosis"], b["wall_ms_per_diagnosis"]),
                "-",
                "",
            )
        )
        lp, lb = p["latency"], b["latency"]
        table.append(
            Row(
                "request latency p50 / p99; requests >= 30 ms",
                f"{lp['p50_ms']:.2f} / {lp['p99_ms']:.2f} ms; {lp['stalled']} of {lp['requests']}",
                f"{lb['p50_ms']:.2f} / {lb['p99_ms']:.2f} ms; {lb['stalled']} of {lb['requests']}",
                "-",
                "no stall: p99 < 30 ms",
                _verdict(_no_stall(lp)),
            )
        )
    norm = figures.get("normalisation")
    if norm:
        table.append(
            Row(
                "normalisation, results per second on one core",
                f"{norm['results_per_second']:,.0f}/s",
                "(same normaliser)",
                "-",
                ">= 10,000/s",
                _verdict(norm["results_per_second"] >= 10_000),
            )
        )
    sweep = figures.get("sweep")
    if sweep:
        table.append(
            Row(
                f"sweep {sweep['counts'].get('handed_off', 0)} connections, "
                f"{sweep['latency_seconds'] * 1000:.0f} ms/call, {sweep['calls']} calls, "
                f"concurrency {sweep['concurrency']}",
                f"{sweep['wall_seconds']:.2f} s (ideal {sweep['ideal_seconds']:.2f} s)",
                "-",
                f"{sweep['over_ideal']:.2f}x ideal",
                "<= 1.5x ideal",
                _verdict(sweep["over_ideal"] <= 1.5),
            )
        )
    if cold:
        p, b = cold["project"]["max_rss_mib"], cold["baseline"]["max_rss_mib"]
        table.append(
            Row(
                "peak RSS, one archive invocation",
                f"{p:.1f} MiB",
                f"{b:.1f} MiB",
                _ratio(p, b),
                "< 64 MiB",
                _verdict(p < 64),
            )
        )
    if tp:
        p, b = tp["project"]["max_rss_mib"], tp["baseline"]["max_rss_mib"]
        table.append(
            Row(
                f"peak RSS, {tp['count']}-diagnosis run",
                f"{p:.1f} MiB",
                f"{b:.1f} MiB",
                _ratio(p, b),
                "-",
                "",
            )
        )
    pkg = figures.get("package")
    if pkg:
        p, b = pkg["project"]["bytes"], pkg["baseline"]["bytes"]
        table.append(
            Row(
                "deployable zip (archive function)",
                f"{p / 2**20:.1f} MiB ({pkg['project']['files']} files)",
                f"{b / 2**20:.1f} MiB ({pkg['baseline']['files']} files)",
                _ratio(p, b),
                "<= 0.33",
                _verdict(p <= b / 3),
            )
        )
    return table


def markdown(table: list[Row]) -> str:
    lines = [
        "| figure | project | baseline (official SDKs) | ratio (x better) | target | result |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.figure} | {r.project} | {r.baseline} | {r.ratio} | {r.target} | {r.result} |"
        for r in table
    ]
    return "\n".join(lines) + "\n"


def text(table: list[Row]) -> str:
    header = Row("figure", "project", "baseline", "ratio", "target", "result")
    cells = [header, *table]
    widths = [max(len(getattr(r, f)) for r in cells) for f in Row.__dataclass_fields__]
    out = []
    for number, row in enumerate(cells):
        values = [getattr(row, f) for f in Row.__dataclass_fields__]
        out.append("  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip())
        if number == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out) + "\n"


def write(document: dict[str, Any], table: list[Row], stamp: str) -> list[Path]:
    """``bench/results/<stamp>.json``, ``latest.json`` and ``latest.md``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({**document, "table": [asdict(r) for r in table]}, indent=2) + "\n"
    written = [RESULTS / f"{stamp}.json", RESULTS / "latest.json", RESULTS / "latest.md"]
    written[0].write_text(payload)
    written[1].write_text(payload)
    machine = document["machine"]
    written[2].write_text(
        f"{document['date']} on {machine['cpu']} ({machine['cores']} cores), "
        f"Python {machine['python']}\n\n" + markdown(table)
    )
    return written
