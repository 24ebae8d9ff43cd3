"""``vpndiag deploy``'s options (argparse only: building the parser imports nothing else)."""

from __future__ import annotations

import argparse
from typing import Final

EMULATED_CODE_BUCKET: Final = "vpndiag-code"


def _parameter(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected Key=Value, got {text!r}")
    return key, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--emulated", action="store_true", help="deploy into the emulator, served in-process"
    )
    where.add_argument(
        "--endpoint",
        help="one base URL for ROS, EventBridge and OSS (an emulator served elsewhere)",
    )
    parser.add_argument("--region", default="cn-hangzhou", help="the stack's region")
    parser.add_argument("--stack-name", default="vpndiag")
    parser.add_argument(
        "--code-bucket",
        help=f"OSS bucket for the code (created if missing; --emulated: {EMULATED_CODE_BUCKET})",
    )
    parser.add_argument(
        "--parameter",
        type=_parameter,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a template parameter (repeatable); docs/deploy.md lists them",
    )
    parser.add_argument("--template", default="template.yml")
    parser.add_argument(
        "--packages",
        help="directory holding archive.zip, sweep.zip, report.zip (default: build them)",
    )
    parser.add_argument("--build-dir", default="build", help="where the packages are built")
    parser.add_argument("--deps", help="tools/package.py --deps: a ready dependency directory")
    parser.add_argument("--timeout", type=int, default=30, help="stack timeout (minutes)")
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between progress checks")
