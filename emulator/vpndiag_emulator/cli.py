"""Command line: run the emulator as a standalone loopback server (the app wraps this)."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence
from types import FrameType

from .core.cloud import Cloud
from .core.credentials import DEFAULT_ACCOUNT_ID
from .vpc.estate import populate_demo

READY_LINE = "vpndiag emulator listening on {url}"

# Estate presets: (gateways per region, connections per gateway) over the default regions.
# "demo" is the fixed estate with history behind `make run` (see vpc/estate.py).
_ESTATES = {"none": None, "small": (2, 2), "demo": None}


def _access_key(text: str) -> tuple[str, str, str]:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise argparse.ArgumentTypeError(f"expected ID:SECRET[:ACCOUNT_ID], got {text!r}")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else DEFAULT_ACCOUNT_ID


def build_parser() -> argparse.ArgumentParser:
    """The command's options."""
    parser = argparse.ArgumentParser(
        prog="vpndiag_emulator",
        description="Serve the vpndiag cloud emulator on a loopback address until killed.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument(
        "--access-key",
        type=_access_key,
        action="append",
        default=[],
        metavar="ID:SECRET[:ACCOUNT_ID]",
        help="register an access key (repeatable); the default key pair is always registered",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for ids, estate and outcomes")
    parser.add_argument(
        "--estate", choices=sorted(_ESTATES), default="none", help="pre-populated resources"
    )
    parser.add_argument(
        "--diagnosis-duration",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="time a diagnosis takes to finish all checks (default 2.0)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def serve_forever(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; print the ready line (flushed) once listening. Returns 0."""
    args = build_parser().parse_args(argv)
    cloud = Cloud(seed=args.seed, diagnosis_duration=args.diagnosis_duration)
    for key_id, secret, account_id in args.access_key:
        cloud.add_access_key(key_id, secret, account_id=account_id)
    estate = _ESTATES[args.estate]
    if args.estate == "demo":
        populate_demo(cloud.vpc)
    elif estate is not None:
        cloud.seed_estate(gateways_per_region=estate[0], connections_per_gateway=estate[1])

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with cloud.serve(args.host, args.port, verbose=args.verbose) as server:
            print(READY_LINE.format(url=server.base_url), flush=True)
            # A timed wait keeps the main thread returning to the interpreter, where the signal
            # handlers run.
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
