"""Profiles behind the figures, saved under ``bench/results/``.

- ``coldstart-importtime-<side>.txt``: ``python -X importtime`` of one cold run, and a summary of
  where the import time goes (self time by top-level package, and by vpndiag module);
- ``throughput-<side>.cprofile.txt`` (``--profile``): cProfile (CPU clock) of a warm instance
  archiving diagnoses, the top functions by cumulative and by own time.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from typing import Any, Final

from bench.common import PYTHON, RESULTS, ROOT, Side, index_of, side_environ
from bench.worker import CODE

NAMESPACE: Final = "bench-prof-{side}"
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")

_CPROFILE = r"""
import cProfile, importlib.util, io, json, pstats, sys, time, types
index, first, count, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
spec = importlib.util.spec_from_file_location("index", index)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
context = types.SimpleNamespace(request_id="p", function=types.SimpleNamespace(timeout=60), credentials=None)
event = lambda n: json.dumps({"RegionId": "cn-hangzhou", "DiagnoseId": "vpndgn-bench%08d" % n})
for n in range(first, first + 5):
    module.handler(event(n), context)
profile = cProfile.Profile(time.process_time)
profile.enable()
for n in range(first + 5, first + 5 + count):
    module.handler(event(n), context)
profile.disable()
text = io.StringIO()
stats = pstats.Stats(profile, stream=text)
stats.sort_stats("cumulative").print_stats(60)
stats.sort_stats("tottime").print_stats(40)
open(out, "w").write(text.getvalue())
"""


def _owner(module: str) -> str:
    """vpndiag's modules one by one; any other package as a whole."""
    top = module.split(".", maxsplit=1)[0]
    return module if top == "vpndiag" else top


def importtime(side: Side, url: str, diagnosis: int) -> dict[str, Any]:
    """One cold run under ``-X importtime``; the raw output is saved, a summary returned."""
    environ = side_environ(side, url, NAMESPACE.format(side=side))
    done = subprocess.run(
        [
            PYTHON,
            "-X",
            "importtime",
            "-c",
            CODE,
            "cold",
            str(index_of(side)),
            str(diagnosis),
            "1",
            "0",
        ],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"coldstart-importtime-{side}.txt").write_text(done.stderr)
    by_owner: Counter[str] = Counter()
    total = 0
    for line in done.stderr.splitlines():
        match = _LINE.match(line)
        if match:
            by_owner[_owner(match[4])] += int(match[1])
            total += int(match[1])
    return {
        "total_self_ms": total / 1000,
        "top_ms": {name: us / 1000 for name, us in by_owner.most_common(25)},
        "file": f"bench/results/coldstart-importtime-{side}.txt",
    }


def throughput_cprofile(side: Side, url: str, first: int, count: int) -> str:
    """cProfile of ``count`` warm invocations; returns the saved file's path."""
    out = RESULTS / f"throughput-{side}.cprofile.txt"
    RESULTS.mkdir(parents=True, exist_ok=True)
    environ = side_environ(side, url, NAMESPACE.format(side=side))
    subprocess.run(
        [PYTHON, "-c", _CPROFILE, str(index_of(side)), str(first), str(count), str(out)],
        cwd=ROOT,
        env=environ,
        check=True,
    )
    return str(out.relative_to(ROOT))


def namespaces() -> list[str]:
    return [NAMESPACE.format(side=side) for side in ("project", "baseline")]
