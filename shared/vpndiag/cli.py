"""The ``vpndiag`` command: run handlers locally, normalise responses, serve the emulator.

Subcommands import what they need when they run, so ``vpndiag normalize`` stays quick.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from vpndiag.errors import VpndiagError

EXIT_BAD_INPUT = 2


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> int:
    print(f"vpndiag: {message}", file=sys.stderr)
    return code


def load_function(name: str, functions_dir: Path) -> ModuleType:
    """Import ``functions/<name>/index.py`` the way FC would, by file and not by package."""
    path = functions_dir / name / "index.py"
    if not path.is_file():
        known = sorted(p.name for p in functions_dir.iterdir() if (p / "index.py").is_file())
        raise VpndiagError(f"no function {name!r} in {functions_dir} (known: {', '.join(known)})")
    spec = importlib.util.spec_from_file_location(f"vpndiag_function_{name}", path)
    if spec is None or spec.loader is None:
        raise VpndiagError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def invoke_handler(module: ModuleType, event: bytes, *, name: str, timeout: int = 60) -> Any:
    """Call a function module's initializer and handler with a local FC-like context."""
    from vpndiag.local_context import LocalContext

    context = LocalContext.for_function(name, timeout=timeout)
    initializer: Callable[[Any], None] | None = getattr(module, "initializer", None)
    if initializer is not None and getattr(module, "_app", None) is None:
        initializer(context)
    return module.handler(event, context)


def _read_input(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    return Path(source).read_bytes()


def cmd_invoke(args: argparse.Namespace) -> int:
    try:
        event = _read_input(args.event)
    except OSError as exc:
        return _fail(f"cannot read event {args.event}: {exc.strerror}")
    try:
        module = load_function(args.function, Path(args.functions_dir))
        output = invoke_handler(module, event, name=args.function, timeout=args.timeout)
    except VpndiagError as exc:
        return _fail(f"{type(exc).__name__}: {exc}", 1)
    print(output if isinstance(output, str) else json.dumps(output, indent=2))
    return 0


def cmd_normalize(args: argparse.Namespace) -> int:
    from vpndiag.model.response import parse_result
    from vpndiag.normalize import normalize

    try:
        body = _read_input(args.file)
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror}")
    try:
        summary = normalize(parse_result(body), region=args.region, account_id=args.account_id)
    except VpndiagError as exc:
        return _fail(str(exc))
    print(json.dumps(summary.model_dump(mode="json"), indent=2, ensure_ascii=False))
    return 0


def cmd_emulator(args: argparse.Namespace) -> int:
    from vpndiag_emulator.cli import serve_forever

    argv = ["--host", args.host, "--port", str(args.port)]
    for pair in args.access_key or ():
        argv += ["--access-key", pair]
    return serve_forever(argv)


def open_archive(url: str | None) -> tuple[Any, str]:
    """The object store an archive lives in (and its key prefix), configured as the functions are."""
    import os

    from vpndiag import config, credentials
    from vpndiag.http.deadline import Deadline
    from vpndiag.http.retry import RetryPolicy
    from vpndiag.http.session import new_session
    from vpndiag.store.factory import Wiring, open_object_store

    settings = config.load(os.environ, object_store=url)

    def wiring() -> Wiring:
        return Wiring(
            session=new_session(proxy=settings.http_proxy),
            credentials=lambda: credentials.resolve(
                explicit=None, context=None, environ=os.environ
            ),
            retry=RetryPolicy(attempts=settings.max_attempts),
            deadline=lambda: Deadline.after(settings.default_timeout),
            function_region=os.environ.get("ALIBABA_CLOUD_REGION"),
        )

    return open_object_store(settings, wiring)


def cmd_history(args: argparse.Namespace) -> int:
    from vpndiag import identifiers
    from vpndiag.health.history import changes, duration
    from vpndiag.health.store import StateStore

    try:
        connection = identifiers.connection_id(args.connection)
        objects, prefix = open_archive(args.archive)
        store = StateStore(objects, prefix=prefix)
        current = store.latest(connection)
        if current is None:
            return _fail(
                f"no recorded state for {connection} in {objects.location(prefix or '.')}", 1
            )
        moves = changes(store.history(connection))
    except VpndiagError as exc:
        return _fail(str(exc))
    state = current.state
    if args.json:
        print(
            json.dumps(
                {
                    "state": state.model_dump(mode="json"),
                    "changes": [{**vars(m), "at": m.at.isoformat()} for m in moves],
                },
                indent=2,
                default=str,
            )
        )
        return 0
    name = f" {state.connection_name}" if state.connection_name else ""
    gateway = f" {state.gateway_name}" if state.gateway_name else ""
    peer = f", peer {state.peer_ip}" if state.peer_ip else ""
    print(
        f"{connection}{name} (gateway {state.gateway_id}{gateway}, {state.region}{peer}): "
        f"now {state.level.upper()} since {state.since:%Y-%m-%d %H:%M} UTC"
        + (", FLAPPING" if state.flapping else "")
        + f"; {state.diagnoses} diagnoses, {state.transitions} changes"
    )
    for mark in state.tunnel_marks():
        print(f"  tunnel {mark.tunnel_id} ({mark.role or '-'}): {mark.level}, {mark.status or '-'}")
    for move in moves:
        subject = f"tunnel {move.tunnel_id} ({move.tunnel_role or '-'}) " if move.tunnel_id else ""
        print(
            f"  {move.at:%Y-%m-%d %H:%M}  {subject}{move.from_level or 'first seen':>10} -> "
            f"{move.to_level:<16}  after {duration(move.lasted_seconds):>7}  {move.diagnose_id}"
        )
        for cause in move.causes:
            print(f"      why: {cause}")
        for down in move.tunnels:
            print(f"      not up: {down}")
        if move.scope == "connection":
            for cause in move.root_cause:
                print(f"      tunnel: {cause}")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _days(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days (1 or more)")
    return int(text)


def cmd_report(args: argparse.Namespace) -> int:
    import os
    from datetime import datetime, timezone

    from vpndiag import config
    from vpndiag.health import actions
    from vpndiag.report import build, html
    from vpndiag.report.period import choose

    now = datetime.now(timezone.utc)
    try:
        period = choose(args.first, args.last, args.days, now=now)
        settings = config.load(os.environ, object_store=args.archive)
        objects, prefix = open_archive(args.archive)
        report = build.build(
            objects,
            prefix,
            period,
            actions=actions.load(settings.actions_file),
            thresholds=build.thresholds_of(settings),
            source=settings.object_store,
            now=now,
        )
    except (VpndiagError, ValueError) as exc:
        return _fail(str(exc))
    out = Path(args.out)
    try:
        out.write_text(html.render(report), encoding="utf-8")
    except OSError as exc:
        return _fail(f"cannot write {out}: {exc.strerror}", 1)
    print(f"{out}: {len(report.rows)} connections, {period.label()}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    # Dev tooling: the emulator's distribution, never in a function's zip.
    from vpndiag_emulator.demo import run_demo

    return run_demo(Path(args.events), Path(args.var), Path(args.template), Path(args.build_dir))


def cmd_deploy(args: argparse.Namespace) -> int:
    from vpndiag.deploy import command

    return command.run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vpndiag", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    invoke = sub.add_parser("invoke", help="run a function's handler in-process on an event file")
    invoke.add_argument("function", help="function name, a folder under --functions-dir")
    invoke.add_argument("--event", required=True, help="event file, or - for stdin")
    invoke.add_argument("--functions-dir", default="functions")
    invoke.add_argument(
        "--timeout", type=int, default=60, help="the context's function timeout (s)"
    )
    invoke.set_defaults(run=cmd_invoke)

    norm = sub.add_parser(
        "normalize", help="print the summary of a GetVpnGatewayDiagnoseResult body"
    )
    norm.add_argument("file", help="response body file, or - for stdin")
    norm.add_argument("--region", default="cn-hangzhou")
    norm.add_argument("--account-id", default=None)
    norm.set_defaults(run=cmd_normalize)

    emu = sub.add_parser("emulator", help="serve the cloud emulator on loopback")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=0)
    emu.add_argument("--access-key", action="append", metavar="ID:SECRET")
    emu.set_defaults(run=cmd_emulator)

    history = sub.add_parser("history", help="a connection's timeline from the archive")
    history.add_argument("connection", help="IPsec connection id (vco-...)")
    history.add_argument(
        "--archive",
        default=None,
        help="file:<dir> or oss://<bucket>/<prefix> (default: VPNDIAG_OBJECT_STORE, else file:var/archive)",
    )
    history.add_argument("--json", action="store_true", help="print JSON instead of text")
    history.set_defaults(run=cmd_history)

    report = sub.add_parser("report", help="an HTML health report of the archive over a period")
    report.add_argument(
        "--archive",
        default=None,
        help="file:<dir> or oss://<bucket>/<prefix> (default: VPNDIAG_OBJECT_STORE, else file:var/archive)",
    )
    report.add_argument("--from", dest="first", type=_day, help="first day (UTC)")
    until = report.add_mutually_exclusive_group()
    until.add_argument("--to", dest="last", type=_day, help="last day (UTC; default today)")
    until.add_argument("--days", type=_days, help="number of days (default 7)")
    report.add_argument("--out", default="vpndiag-report.html", help="the HTML file written")
    report.set_defaults(run=cmd_report)

    demo = sub.add_parser(
        "demo", help="deploy template.yml into the emulated cloud and let it run (make run)"
    )
    demo.add_argument("--events", default="events", help="sample events (default: events)")
    demo.add_argument("--var", default="var", help="archive, records, report (default: var)")
    demo.add_argument("--template", default="template.yml", help="the template deployed")
    demo.add_argument("--build-dir", default="build", help="where the zips are built (build)")
    demo.set_defaults(run=cmd_demo)

    from vpndiag.deploy import options

    deploy = sub.add_parser(
        "deploy", help="upload the code, create the event bus, create or update the ROS stack"
    )
    options.add_arguments(deploy)
    deploy.set_defaults(run=cmd_deploy)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
