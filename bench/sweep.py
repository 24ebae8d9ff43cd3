"""Sweep at scale: 1,000 connections, every API call 50 ms slow, against the ideal for the pool.

The emulator (its own process) holds 250 gateways of 4 IPsec connections in one region and adds
``latency`` seconds to every VPC and FC call (fault kind ``latency``, forever). The sweep function's
app runs as deployed for a large estate: ``diagnose`` mode (list the gateways, list each one's
connections, start one diagnosis per connection) with the FC hand-off (one asynchronous invocation
of the archive function per diagnosis), ``concurrency`` calls at a time. With every call taking
``latency`` seconds, no sweep of ``calls`` calls can finish in less than
``calls * latency / concurrency``: that is the ideal, and the figure is the sweep's wall time over
it. The calls are counted as the process sends them.

    python -m bench.sweep URL CONCURRENCY LATENCY
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Final

from bench.common import ACCESS_KEY_ID, ACCESS_KEY_SECRET, PYTHON, run_json
from bench.server import FC_FUNCTION, FC_SERVICE, REGION, SWEEP_REGION

CONNECTIONS: Final = 1000
LATENCY: Final = 0.05
CONCURRENCY: Final = 16  # the sweep's default (VPNDIAG_SWEEP_CONCURRENCY)


def environ(url: str, concurrency: int) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("VPNDIAG_")},
        "ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
        "ALIBABA_CLOUD_REGION": REGION,
        "VPNDIAG_VPC_ENDPOINT": url,
        "VPNDIAG_SWEEP_REGIONS": SWEEP_REGION,
        "VPNDIAG_SWEEP_HANDOFF": "fc",
        "VPNDIAG_SWEEP_FC_ENDPOINT": url,
        "VPNDIAG_SWEEP_ARCHIVE_SERVICE": FC_SERVICE,
        "VPNDIAG_SWEEP_ARCHIVE_FUNCTION": FC_FUNCTION,
        "VPNDIAG_SWEEP_CONCURRENCY": str(concurrency),
    }


def measure(
    url: str, *, concurrency: int = CONCURRENCY, latency: float = LATENCY
) -> dict[str, Any]:
    result: dict[str, Any] = run_json(
        [PYTHON, "-m", "bench.sweep", url, str(concurrency), str(latency)],
        environ(url, concurrency),
        timeout=600,
    )
    ideal = result["calls"] * latency / concurrency
    return {
        **result,
        "latency_seconds": latency,
        "concurrency": concurrency,
        "ideal_seconds": ideal,
        "over_ideal": result["wall_seconds"] / ideal,
    }


def main(argv: list[str]) -> None:
    import http.client
    import types

    from vpndiag.sweep.runner import SweepApp

    calls: dict[str, int] = {}
    putrequest = http.client.HTTPConnection.putrequest

    def counted(
        self: http.client.HTTPConnection, method: str, url: str, *args: Any, **kw: Any
    ) -> None:
        kind = "fc" if "/services/" in url else "vpc"
        calls[kind] = calls.get(kind, 0) + 1
        putrequest(self, method, url, *args, **kw)

    # Counted at http.client, where every client sends (fc2 through urllib3, the VPC client
    # through vpndiag's own transport).
    http.client.HTTPConnection.putrequest = counted  # type: ignore[method-assign]
    app = SweepApp.from_environment(os.environ)
    context = types.SimpleNamespace(
        request_id="bench-sweep",
        function=types.SimpleNamespace(name="sweep", timeout=600),
        credentials=None,
        account_id=None,
    )
    event = json.dumps({"triggerTime": "2026-11-20T09:00:00Z", "triggerName": "sweep"})
    cpu, wall = time.process_time(), time.perf_counter()
    report = app.handle(event, context)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        json.dumps(
            {
                "wall_seconds": wall,
                "cpu_seconds": cpu,
                "calls": sum(calls.values()),
                "calls_by_service": calls,
                "gateways": report["gateways"],
                "counts": {k: v for k, v in report["counts"].items() if v},
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
