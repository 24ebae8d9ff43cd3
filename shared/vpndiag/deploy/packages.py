"""The deployable zips: built by ``tools/package.py`` (as ``make package`` does), or taken ready-made."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Final

from vpndiag.errors import ConfigError

FUNCTIONS: Final = ("archive", "sweep", "report")
# shared/vpndiag/deploy/packages.py -> the checkout's root.
ROOT: Final = Path(__file__).resolve().parents[3]
BUILDER: Final = ROOT / "tools" / "package.py"


def existing(directory: Path) -> dict[str, Path]:
    """``<directory>/<function>.zip`` for every function; a missing one is a ConfigError."""
    found = {f: directory / f"{f}.zip" for f in FUNCTIONS}
    missing = sorted(str(p) for p in found.values() if not p.is_file())
    if missing:
        raise ConfigError("--packages", f"no such package: {', '.join(missing)}")
    return found


def build(out: Path, deps: Path | None = None) -> dict[str, Path]:
    """Run the package builder into ``out`` (its output goes to the terminal as it runs)."""
    if not BUILDER.is_file():
        raise ConfigError(
            "--packages", f"{BUILDER} not found: run from a checkout, or give --packages"
        )
    argv = [sys.executable, str(BUILDER), "--out", str(out)]
    if deps is not None:
        argv += ["--deps", str(deps)]
    # Fixed argv: this interpreter and the checkout's own builder.
    result = subprocess.run(argv, check=False)  # noqa: S603
    if result.returncode != 0:
        raise ConfigError("--packages", f"tools/package.py failed (exit {result.returncode})")
    return existing(out)
