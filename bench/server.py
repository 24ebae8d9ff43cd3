"""The bench's emulator process: ``python -m bench.server`` (never in the measured process).

It builds one ``Cloud`` on real time with what the figures need, serves it on loopback and prints
one JSON line (``{"url": ...}``) once listening; it runs until SIGTERM or SIGINT.

- ``--diagnoses N``: N finished diagnoses, ids ``diagnosis_id(i)`` (``vpndgn-bench00000000`` ...),
  spread over ten gateways of ten connections each, begun an hour ago (all seven checks each);
- ``--namespace NAME`` (repeatable): a bucket and an SLS project named NAME, with logstore
  ``LOGSTORE``, so each run of each side writes into a store of its own;
- ``--sweep-connections N``: a separate estate of N connections (``SWEEP_CONNECTIONS_PER_GATEWAY``
  per gateway) in ``SWEEP_REGION``, an async target ``FC_SERVICE/FC_FUNCTION`` that does nothing,
  and ``--latency`` seconds of delay on every VPC and FC call (fault kind ``latency``, forever).
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from types import FrameType
from typing import Final

from vpndiag_emulator import Cloud, FcContext
from vpndiag_emulator.vpc.estate import populate

REGION: Final = "cn-hangzhou"
SWEEP_REGION: Final = "cn-shanghai"
LOGSTORE: Final = "diagnoses"
FC_SERVICE: Final = "vpndiag"
FC_FUNCTION: Final = "archive"
SWEEP_CONNECTIONS_PER_GATEWAY: Final = 4
_GATEWAYS: Final = 10
_CONNECTIONS_PER_GATEWAY: Final = 10


def diagnosis_id(index: int) -> str:
    """The id of the bench's ``index``-th diagnosis."""
    return f"vpndgn-bench{index:08d}"


def build(
    *, diagnoses: int, namespaces: Sequence[str], sweep_connections: int, latency: float, seed: int
) -> Cloud:
    cloud = Cloud(seed=seed)
    for name in namespaces:
        cloud.oss(REGION).create_bucket(name)
        cloud.sls(REGION).create_project(name)
        cloud.sls(REGION).create_logstore(name, LOGSTORE)
    if diagnoses:
        vpc = cloud.vpc(REGION)
        connections = [
            connection.id
            for gateway in populate(
                vpc, gateways=_GATEWAYS, connections_per_gateway=_CONNECTIONS_PER_GATEWAY
            )
            for connection in vpc.connections(gateway.id)
        ]
        begin = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
        for index in range(diagnoses):
            vpc.record_diagnosis(
                connections[index % len(connections)],
                diagnose_id=diagnosis_id(index),
                begin=begin + timedelta(seconds=index % 600),
            )
    if sweep_connections:
        gateways = -(-sweep_connections // SWEEP_CONNECTIONS_PER_GATEWAY)
        populate(
            cloud.vpc(SWEEP_REGION),
            gateways=gateways,
            connections_per_gateway=SWEEP_CONNECTIONS_PER_GATEWAY,
        )

        def nothing(event: bytes, context: FcContext) -> str:
            return "{}"

        cloud.fc(REGION).register_function(FC_SERVICE, FC_FUNCTION, nothing)
        if latency > 0:
            for service in ("vpc", "fc"):
                cloud.faults.add(service=service, kind="latency", delay=latency, times=None)
    return cloud


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.server", description=__doc__)
    parser.add_argument("--diagnoses", type=int, default=0)
    parser.add_argument("--namespace", action="append", default=[])
    parser.add_argument("--sweep-connections", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    cloud = build(
        diagnoses=args.diagnoses,
        namespaces=args.namespace,
        sweep_connections=args.sweep_connections,
        latency=args.latency,
        seed=args.seed,
    )
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, request_stop)
    with cloud.serve() as server:
        print(json.dumps({"url": server.base_url}), flush=True)
        while not stop.wait(0.2):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
