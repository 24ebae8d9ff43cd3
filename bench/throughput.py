"""Throughput: 1,000 diagnoses archived by one warm instance of each side, through the loopback
emulator in its own process.

Each round starts one process per side (interleaved, the order swapped every round), which serves a
few unmeasured invocations, then one invocation per diagnosis for ``count`` diagnoses. The figure is
the CLIENT process's CPU time per diagnosis (``time.process_time``: user + system, all threads);
the emulator's CPU counts for neither side. Wall time is reported beside it, with the latency of
every request the process sent: a stall (Nagle meeting a delayed ACK, ~40 ms on loopback) shows as
requests at or above 30 ms. Each round and side writes to a bucket and project of its own, so every
diagnosis is archived afresh (7 requests each), never replayed. The peak RSS of each process is the
memory of the whole run.
"""

from __future__ import annotations

from typing import Any, Final

from bench.common import SIDES, Side, median, run_json, side_environ
from bench.worker import command, histogram, summarise_latencies

WARMUP: Final = 5
NAMESPACE: Final = "bench-tp-{side}-{round}"


def namespaces(rounds: int) -> list[str]:
    return [NAMESPACE.format(side=side, round=r) for r in range(rounds) for side in SIDES]


def diagnoses_needed(count: int) -> int:
    """Diagnoses the emulator must hold: the warm-up ones, then ``count``."""
    return WARMUP + count


def measure(url: str, *, count: int, rounds: int) -> dict[str, Any]:
    samples: dict[Side, list[dict[str, Any]]] = {side: [] for side in SIDES}
    for number in range(rounds):
        order = SIDES if number % 2 == 0 else SIDES[::-1]
        for side in order:
            environ = side_environ(side, url, NAMESPACE.format(side=side, round=number))
            result = run_json(command(side, "warm", 0, count, WARMUP), environ, timeout=600)
            if result["statuses"] != {"archived": count}:
                raise RuntimeError(f"{side} round {number}: {result['statuses']}")
            samples[side].append(result)
    summary: dict[str, Any] = {"count": count, "rounds": rounds}
    for side, runs in samples.items():
        latencies = [x for run in runs for x in run["latencies_ms"]]
        summary[side] = {
            "cpu_ms_per_diagnosis": median([r["cpu_seconds"] / count * 1000 for r in runs]),
            "user_ms_per_diagnosis": median([r["user_seconds"] / count * 1000 for r in runs]),
            "system_ms_per_diagnosis": median([r["system_seconds"] / count * 1000 for r in runs]),
            "wall_ms_per_diagnosis": median([r["wall_seconds"] / count * 1000 for r in runs]),
            "diagnoses_per_cpu_second": median([count / r["cpu_seconds"] for r in runs]),
            "max_rss_mib": median([r["max_rss_kib"] / 1024 for r in runs]),
            "requests_per_diagnosis": runs[0]["requests"] / count,
            "latency": summarise_latencies(latencies),
            "latency_histogram_ms": histogram(latencies),
            "samples_cpu_ms_per_diagnosis": [
                round(r["cpu_seconds"] / count * 1000, 4) for r in runs
            ],
        }
    return summary
