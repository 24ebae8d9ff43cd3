"""Normalisation alone: GetVpnGatewayDiagnoseResult bodies to summaries, on one core.

The bodies are real answers of the emulator (all seven checks each), fetched once by the parent.
The measuring process is pinned to one CPU and runs ``parse_result`` + ``normalize`` (what the
pipeline does between the fetch and the writes) over them for a fixed time; the rate is results per
CPU second. The same loop with the archived documents and records built too (``summary_document``,
``raw_document``, ``records_for``) is reported beside it: the pipeline's whole CPU work per
diagnosis without any I/O. The baseline runs the same normaliser, so this figure is the project's
alone.

    python -m bench.normalise BODIES.json SECONDS
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import PYTHON, run_json
from bench.server import REGION


def fetch_bodies(url: str, diagnose_ids: list[str]) -> list[dict[str, Any]]:
    """The emulator's answers for ``diagnose_ids``, through the project's VPC client."""
    from bench.common import ACCESS_KEY_ID, ACCESS_KEY_SECRET
    from vpndiag.clients.endpoints import VpcEndpoints
    from vpndiag.clients.vpc import VpcClient
    from vpndiag.credentials import Credentials
    from vpndiag.http.deadline import Deadline
    from vpndiag.http.retry import RetryPolicy
    from vpndiag.http.session import new_session

    client = VpcClient(
        session=new_session(),
        credentials=lambda: Credentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
        endpoints=VpcEndpoints(override=url),
        retry=RetryPolicy(attempts=1),
    )
    return [
        client.get_diagnose_result(REGION, deadline=Deadline.after(10), diagnose_id=d)
        for d in diagnose_ids
    ]


def measure(bodies_file: Path, seconds: float) -> dict[str, Any]:
    result: dict[str, Any] = run_json(
        [PYTHON, "-m", "bench.normalise", str(bodies_file), str(seconds)], os.environ
    )
    return result


def _rate(work: Any, bodies: list[dict[str, Any]], seconds: float) -> tuple[float, int]:
    done = 0
    started = time.process_time()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for body in bodies:
            work(body)
        done += len(bodies)
    return done / (time.process_time() - started), done


def main(argv: list[str]) -> None:
    from vpndiag.archive import layout
    from vpndiag.archive.records import records_for
    from vpndiag.model.response import parse_result
    from vpndiag.normalize import normalize

    bodies: list[dict[str, Any]] = json.loads(Path(argv[0]).read_text())
    seconds = float(argv[1])
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if cpus:
        os.sched_setaffinity(0, {cpus[-1]})

    def normalise(body: dict[str, Any]) -> None:
        normalize(parse_result(body), region=REGION)

    def archive_work(body: dict[str, Any]) -> None:
        summary = normalize(parse_result(body), region=REGION)
        keys = layout.keys_for(summary)
        layout.raw_document(body)
        layout.summary_document(summary)
        records_for(summary, archive_key=keys.summary, request_id=None, now=int(time.time()))

    for body in bodies[:5]:  # warm: first-use paths of the validators and serialisers
        archive_work(body)
    rate, done = _rate(normalise, bodies, seconds)
    full, _ = _rate(archive_work, bodies, seconds / 2)
    checks = sum(len(b.get("DiagnoseResult") or []) for b in bodies) / len(bodies)
    print(
        json.dumps(
            {
                "results_per_second": rate,
                "results": done,
                "checks_per_result": checks,
                "with_documents_and_records_per_second": full,
                "pinned_cpu": cpus[-1] if cpus else None,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
