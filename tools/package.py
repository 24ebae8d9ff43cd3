"""Build the deployable code packages: ``build/<function>.zip``, one per FC function.

Each zip holds at its root the function's ``index.py``, the ``vpndiag`` package (less caches) and the runtime dependencies, installed for FC's python3.10
on x86_64 Linux whatever machine builds it (pydantic-core is compiled: the wheel must be the
platform's). Runtime dependencies are the installed project's own (``pyproject.toml``'s
``dependencies``); pure-Python ones published only as source (aliyun-fc2) are built into wheels
first, so the platform-pinned install can take them.

    python tools/package.py [--out build] [--deps DIR]

``--deps`` uses an already populated directory instead of installing (offline builds, tests).
``vpndiag deploy`` uploads the zips and names them in the stack's ``*CodeObject`` parameters.
Zips are reproducible: sorted entries, fixed timestamps.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from importlib.metadata import requires
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ("archive", "sweep", "report")
PLATFORM = (
    "--platform",
    "manylinux2014_x86_64",
    "--python-version",
    "3.10",
    "--implementation",
    "cp",
    "--only-binary=:all:",
)
# Caches are rebuilt by the runtime.
EXCLUDED_DIRS = frozenset({"__pycache__", "bin", "tests"})
_EPOCH = (1980, 1, 1, 0, 0, 0)
_STAMP = ".requirements"


def zip_path(out: Path, function: str) -> Path:
    """Where the package of ``function`` is written."""
    return out / f"{function}.zip"


def runtime_requirements() -> list[str]:
    """The project's runtime pins, from its installed metadata (no extras)."""
    return sorted(r for r in requires("vpndiag") or [] if "extra ==" not in r)


def install_dependencies(deps: Path, requirements: Sequence[str]) -> None:
    """Install ``requirements`` for the FC platform into ``deps``, unless already there."""
    stamp = deps / _STAMP
    wanted = "\n".join(requirements) + "\n"
    if stamp.is_file() and stamp.read_text() == wanted:
        return
    shutil.rmtree(deps, ignore_errors=True)
    wheels = deps.parent / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    # Fixed argv: this interpreter's pip and the project's own pins.
    subprocess.run(  # noqa: S603
        [*pip, "wheel", "--no-deps", "--wheel-dir", str(wheels), *requirements], check=True
    )
    subprocess.run(  # noqa: S603
        [
            *pip,
            "install",
            "--target",
            str(deps),
            "--no-compile",
            *PLATFORM,
            "--find-links",
            str(wheels),
            *requirements,
        ],
        check=True,
    )
    stamp.write_text(wanted)


def _files(base: Path, prefix: str = "") -> Iterator[tuple[str, Path]]:
    """(name in the zip, file) for every file under ``base``, skipping excluded ones."""
    for path in sorted(base.rglob("*")):
        relative = path.relative_to(base)
        name = prefix + relative.as_posix()
        if (
            path.is_file()
            and relative.name != _STAMP
            and not EXCLUDED_DIRS.intersection(relative.parts)
        ):
            yield name, path


def contents(function: str, deps: Path) -> list[tuple[str, Path]]:
    """Everything the package of ``function`` holds, by name in the zip."""
    entries = {"index.py": ROOT / "functions" / function / "index.py"}
    entries.update(_files(deps))
    entries.update(_files(ROOT / "shared" / "vpndiag", "vpndiag/"))
    return sorted(entries.items())


def write_zip(target: Path, entries: Sequence[tuple[str, Path]]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in entries:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())


def build(out: Path, deps: Path) -> list[Path]:
    """Write every function's zip from ``deps``; returns their paths."""
    built = []
    for function in FUNCTIONS:
        target = zip_path(out, function)
        write_zip(target, contents(function, deps))
        built.append(target)
    return built


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    parser.add_argument("--deps", type=Path, help="use this dependency directory as it is")
    args = parser.parse_args(argv)
    deps = args.deps
    if deps is None:
        deps = args.out / "deps"
        install_dependencies(deps, runtime_requirements())
    for target in build(args.out, deps):
        with zipfile.ZipFile(target) as archive:
            count = len(archive.infolist())
            unpacked = sum(i.file_size for i in archive.infolist())
        size = target.stat().st_size
        print(
            f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: "
            f"{size / 2**20:.1f} MiB ({size} bytes; {count} files, {unpacked / 2**20:.1f} MiB unpacked)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
