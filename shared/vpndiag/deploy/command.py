"""``vpndiag deploy``'s options and what runs them: a real account, an endpoint, or ``--emulated``.

Against a real account: the region and the code bucket from the command line, the credentials from
``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET`` / ``_SECURITY_TOKEN`` (never printed), the public
endpoints. ``--emulated`` serves the project's emulator on loopback in this process for the
duration of the deployment (the only place the command line imports it).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from vpndiag import credentials, errors
from vpndiag.clients.endpoints import check_url
from vpndiag.clients.oss import OssEndpoints
from vpndiag.deploy import eventbus, packages, ros
from vpndiag.deploy.options import EMULATED_CODE_BUCKET
from vpndiag.deploy.run import Deployer, DeployFailed, Deployment, Target
from vpndiag.http.session import new_session

EXIT_FAILED: Final = 1
EXIT_BAD_INPUT: Final = 2
# What --emulated fills in when not given: the emulated account has nothing to collide with.
EMULATED_PARAMETERS: Final = {"ArchiveBucket": "vpndiag-archive"}


def _fail(message: str, code: int) -> int:
    print(f"vpndiag: {message}", file=sys.stderr)
    return code


@contextmanager
def _emulated(region: str) -> Iterator[tuple[str, credentials.Credentials]]:
    from vpndiag_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Cloud

    cloud = Cloud()
    with cloud.serve("127.0.0.1", 0) as server:
        print(f"emulated cloud on {server.base_url} (region {region}), for this deployment only")
        yield (
            server.base_url,
            credentials.Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET),
        )


def target(region: str, keys: credentials.Credentials, endpoint: str | None) -> Target:
    """Public endpoints of ``region``, or every service at ``endpoint``."""
    session = new_session()
    if endpoint is None:
        return Target(
            region=region,
            credentials=lambda: keys,
            ros_endpoint=ros.ENDPOINT,
            eventbridge_endpoint=eventbus.endpoint(region),
            oss=OssEndpoints(),
            session=session,
        )
    base = check_url("--endpoint", endpoint)
    return Target(
        region=region,
        credentials=lambda: keys,
        ros_endpoint=base,
        eventbridge_endpoint=base,
        oss=OssEndpoints(override=base),
        session=session,
    )


def _deployment(args: argparse.Namespace) -> Deployment:
    given = dict(args.parameter)
    bucket = args.code_bucket
    if args.emulated:
        given = {**EMULATED_PARAMETERS, **given}
        bucket = bucket or EMULATED_CODE_BUCKET
    if not bucket:
        raise errors.ConfigError("--code-bucket", "required (an OSS bucket for the code)")
    try:
        text = Path(args.template).read_text(encoding="utf-8")
    except OSError as exc:
        raise errors.ConfigError(
            "--template", f"cannot read {args.template}: {exc.strerror}"
        ) from None
    if args.packages:
        zips = packages.existing(Path(args.packages))
    else:
        zips = packages.build(Path(args.build_dir), Path(args.deps) if args.deps else None)
    return Deployment(
        stack_name=args.stack_name,
        code_bucket=bucket,
        template=text,
        packages=zips,
        parameters=given,
        timeout_minutes=args.timeout,
        poll_interval=args.poll,
    )


def run(args: argparse.Namespace) -> int:
    try:
        deployment = _deployment(args)
        if args.emulated:
            with _emulated(args.region) as (base, keys):
                Deployer(target(args.region, keys, base), out=print).run(deployment)
        else:
            found = credentials.from_environment(os.environ)
            if found is None:
                raise errors.ConfigError(credentials.ENV_ID, "unset (the deploying account's key)")
            Deployer(target(args.region, found, args.endpoint), out=print).run(deployment)
    except DeployFailed as exc:
        for reason in exc.reasons:
            print(f"  failed: {reason}", file=sys.stderr)
        return _fail(str(exc), EXIT_FAILED)
    except (errors.ConfigError, errors.InvalidIdentifier) as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    except errors.VpndiagError as exc:
        return _fail(f"{type(exc).__name__}: {exc}", EXIT_FAILED)
    return 0
