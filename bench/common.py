"""What every figure shares: the emulator process, each side's configuration, subprocesses, stats."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from bench.server import LOGSTORE, REGION

ROOT: Final = Path(__file__).resolve().parent.parent
RESULTS: Final = ROOT / "bench" / "results"
WORK_ROOT: Final = ROOT / "build" / "bench"
PYTHON: Final = sys.executable
PREFIX: Final = "vpndiag/"
ACCESS_KEY_ID: Final = "LTAIemulatorDefault"
ACCESS_KEY_SECRET: Final = "emulator-default-secret"
Side = Literal["project", "baseline"]
SIDES: Final[tuple[Side, Side]] = ("project", "baseline")
PROJECT_INDEX: Final = ROOT / "functions" / "archive" / "index.py"
BASELINE_INDEX: Final = ROOT / "bench" / "baseline" / "index.py"


def index_of(side: Side) -> Path:
    """The handler module FC would load for ``side``."""
    return PROJECT_INDEX if side == "project" else BASELINE_INDEX


_PROXY_VARIABLES: Final = frozenset({"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"})


def _health_switch() -> dict[str, str]:
    """Connection-health tracking is not part of the compared pipeline: off where it exists."""
    from vpndiag.config import Settings

    return {"VPNDIAG_HEALTH": "false"} if "health" in Settings.model_fields else {}


def side_environ(side: Side, url: str, namespace: str) -> dict[str, str]:
    """The function's environment: the emulator at ``url``, bucket and project ``namespace``.

    Proxy variables from the machine are dropped for both sides. The baseline's SLS SDK must keep
    the real host name (it puts the project in front of it): the measured process resolves the
    cloud's names to loopback (``BENCH_LOOPBACK_DOMAIN``), so the SDK connects straight to the
    emulator as it would to the service. Through the emulator as an HTTP proxy instead, every
    PutLogs would stall ~40 ms: urllib3 leaves Nagle's algorithm on for proxy connections, an
    artifact of the local set-up that the SDK never meets in the cloud.
    """
    environ = {k: v for k, v in os.environ.items() if k.upper() not in _PROXY_VARIABLES}
    environ.update(
        {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
            "PYTHONHASHSEED": "0",
            "BENCH_LOOPBACK_DOMAIN": ".aliyuncs.com",
        }
    )
    port = url.rsplit(":", 1)[1]
    if side == "project":
        environ.update(
            {
                "VPNDIAG_OBJECT_STORE": f"oss://{namespace}/{PREFIX}",
                "VPNDIAG_LOG_STORE": f"sls://{namespace}/{LOGSTORE}",
                "VPNDIAG_STORAGE_REGION": REGION,
                "VPNDIAG_VPC_ENDPOINT": url,
                "VPNDIAG_OSS_ENDPOINT": url,
                "VPNDIAG_SLS_ENDPOINT": url,
                **_health_switch(),
            }
        )
    else:
        environ.update(
            {
                "BASELINE_REGION": REGION,
                "BASELINE_VPC_ENDPOINT": url.removeprefix("http://"),
                "BASELINE_OSS_ENDPOINT": url,
                "BASELINE_SLS_ENDPOINT": f"{REGION}.log.aliyuncs.com:{port}",
                "BASELINE_BUCKET": namespace,
                "BASELINE_PREFIX": PREFIX,
                "BASELINE_PROJECT": namespace,
                "BASELINE_LOGSTORE": LOGSTORE,
            }
        )
    return environ


def event_for(diagnose_id: str) -> bytes:
    """A direct invocation's payload for one diagnosis."""
    return json.dumps({"RegionId": REGION, "DiagnoseId": diagnose_id}).encode()


@dataclass(frozen=True)
class Emulator:
    url: str
    pid: int


@contextmanager
def emulator(*args: str) -> Iterator[Emulator]:
    """Run ``python -m bench.server ARGS`` in its own process until the block ends."""
    process = subprocess.Popen(
        [PYTHON, "-m", "bench.server", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"bench.server exited with {process.wait()}")
        yield Emulator(json.loads(line)["url"], process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_json(argv: Sequence[str], environ: Mapping[str, str], timeout: float = 300) -> Any:
    """Run a measuring subprocess; its last stdout line is its result, as JSON."""
    done = subprocess.run(
        list(argv),
        cwd=ROOT,
        env=dict(environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv[:4])} ... failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return float(ordered[rank])


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }


def now_stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
