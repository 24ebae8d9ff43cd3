"""Cold start and the memory of one invocation: a fresh process per run, the two sides interleaved.

Each run is a new interpreter that loads the side's ``index.py`` by file and serves one direct
invocation of a diagnosis nobody has archived yet (each side writes to a bucket and project of its
own). The figure is the time from before the import to the handler's return, measured inside the
process: the interpreter's own start-up is the same for both sides and is not the handler's doing.
The peak RSS of that process is the memory of one invocation.

Two variants:

- ``venv``: the development environment, bytecode cached (what the brief defines);
- ``deployed``: the deployment zips unpacked, run by python3.10 (FC's runtime version) with no
  site-packages and no bytecode written: FC's ``/code`` is read-only and the packages ship no
  ``__pycache__``, so every cold start on FC compiles each imported module from source. Needs a
  python3.10 on the machine (pyenv's or the system's); skipped otherwise.
"""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from bench.common import SIDES, WORK_ROOT, Side, median, run_json, side_environ
from bench.worker import command

NAMESPACE: Final = "bench-cold-{side}-{variant}"


def python310() -> str | None:
    """A python3.10 interpreter, as the Makefile's compat target finds one."""
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.10.*/bin/python3.10")))
    found += [p for p in ("/usr/bin/python3.10", "/usr/local/bin/python3.10") if Path(p).exists()]
    found += [p for p in [shutil.which("python3.10")] if p]
    return found[0] if found else None


def namespaces() -> list[str]:
    """The buckets and projects the cold runs write to."""
    return [
        NAMESPACE.format(side=side, variant=variant)
        for side in SIDES
        for variant in ("venv", "deployed")
    ]


def _runs(
    url: str,
    runs: int,
    first: int,
    variant: str,
    *,
    argv_for: Callable[[Side, int], list[str]],
    extra_env: Callable[[Side], dict[str, str]],
) -> dict[Side, list[dict[str, Any]]]:
    samples: dict[Side, list[dict[str, Any]]] = {side: [] for side in SIDES}
    number = first
    for run in range(runs):
        # Interleaved, and the order swapped every run: neither side always goes first.
        order = SIDES if run % 2 == 0 else SIDES[::-1]
        for side in order:
            environ = side_environ(side, url, NAMESPACE.format(side=side, variant=variant))
            environ.update(extra_env(side))
            samples[side].append(run_json(argv_for(side, number), environ))
            number += 1
    return samples


def _summary(samples: dict[Side, list[dict[str, Any]]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for side, runs in samples.items():
        for run in runs:
            if run["statuses"] != {"archived": 1}:
                raise RuntimeError(f"{side} cold run did not archive: {run['statuses']}")
        result[side] = {
            "runs": len(runs),
            "cold_seconds": median([r["cold_seconds"] for r in runs]),
            "import_seconds": median([r["import_seconds"] for r in runs]),
            "first_invocation_seconds": median([r["first_invocation_seconds"] for r in runs]),
            "cpu_seconds": median([r["cpu_seconds"] for r in runs]),
            "max_rss_mib": median([r["max_rss_kib"] / 1024 for r in runs]),
            "requests": runs[0]["requests"],
            "samples_cold_seconds": [round(r["cold_seconds"], 4) for r in runs],
        }
    return result


def measure_venv(url: str, runs: int, first: int) -> dict[str, Any]:
    """Cold start in the development environment (bytecode cached); diagnoses from ``first``."""
    samples = _runs(
        url,
        runs,
        first,
        "venv",
        argv_for=lambda side, number: command(side, "cold", number),
        extra_env=lambda side: {},
    )
    return _summary(samples)


def measure_deployed(
    url: str, runs: int, zips: dict[Side, Path], first: int
) -> dict[str, Any] | None:
    """Cold start of the unpacked deployment zips under python3.10, compiling from source."""
    from bench.packaging import unpack

    interpreter = python310()
    if interpreter is None:
        return None
    code = {side: unpack(zips[side], WORK_ROOT / "code" / side) for side in SIDES}

    def argv(side: Side, number: int) -> list[str]:
        # -S: no site-packages (only the package, as on FC); -B: nothing written (read-only /code).
        return [interpreter, "-S", "-B", *command(side, "cold", number, index=code[side])[1:]]

    samples = _runs(
        url,
        runs,
        first,
        "deployed",
        argv_for=argv,
        extra_env=lambda side: {
            "BENCH_CODE_DIR": str(code[side]),
            "PYTHONDONTWRITEBYTECODE": "1",
        },
    )
    return {"python": interpreter, **_summary(samples)}
