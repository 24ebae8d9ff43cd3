"""Package size: the deployable zip of the archive function, and the baseline's equivalent.

The project's zip is ``tools/package.py``'s ``build/archive.zip``, rebuilt only when a source file
is newer than it. The baseline's zip holds the same code (``vpndiag``, its runtime dependencies),
its own ``index.py`` and the official SDK stack, installed the same way for FC's python3.10 on
x86_64 (``--platform manylinux2014_x86_64 --python-version 3.10 --only-binary=:all:``) and zipped by
the same function. Dependencies published only as source are built into pure-Python wheels first
(the result names them, ``built_from_source``), so that the platform-pinned install can take them.
Everything lands under ``build/bench/`` and is reused while the pins stay the same.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import zipfile
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from bench.common import BASELINE_INDEX, PYTHON, ROOT, WORK_ROOT

BUILD: Final = ROOT / "build"
PROJECT_ZIP: Final = BUILD / "archive.zip"
WORK: Final = WORK_ROOT
BASELINE_ZIP: Final = WORK / "baseline-archive.zip"
SDKS: Final = ("alibabacloud-vpc20160428", "oss2", "aliyun-log-python-sdk")
_STAMP: Final = ".requirements.json"
_PIP: Final = (PYTHON, "-m", "pip", "--disable-pip-version-check", "--quiet")


def _tools() -> ModuleType:
    """``tools/package.py``, the project's own packager (its zip layout and its pins)."""
    spec = importlib.util.spec_from_file_location(
        "vpndiag_tools_package", ROOT / "tools" / "package.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _newest_source() -> float:
    sources = [
        *(ROOT / "shared" / "vpndiag").rglob("*.py"),
        ROOT / "functions" / "archive" / "index.py",
    ]
    return max(path.stat().st_mtime for path in sources)


def project_zip() -> tuple[Path, bool]:
    """``build/archive.zip``, built by ``tools/package.py`` when missing or older than the code;
    returns the path and whether it was rebuilt."""
    if PROJECT_ZIP.is_file() and PROJECT_ZIP.stat().st_mtime >= _newest_source():
        return PROJECT_ZIP, False
    subprocess.run([PYTHON, str(ROOT / "tools" / "package.py")], cwd=ROOT, check=True)
    return PROJECT_ZIP, True


def _pins(tools: ModuleType) -> list[str]:
    """The project's runtime pins and the SDKs' (at the versions installed in the venv)."""
    runtime: list[str] = tools.runtime_requirements()
    return sorted({*runtime, *(f"{name}=={version(name)}" for name in SDKS)})


def _closure(pins: list[str], report: Path) -> list[tuple[str, str, bool]]:
    """Every distribution the pins need: (name, version, published as a wheel)."""
    subprocess.run(
        [*_PIP, "install", "--dry-run", "--ignore-installed", "--report", str(report), *pins],
        check=True,
    )
    found = json.loads(report.read_text())["install"]
    return [
        (
            item["metadata"]["name"],
            item["metadata"]["version"],
            item["download_info"]["url"].endswith(".whl"),
        )
        for item in found
    ]


def baseline_deps() -> tuple[Path, list[str]]:
    """The baseline's dependency folder, and the distributions built here from source.

    Source-only distributions are built into wheels with no C compiler, so each is pure Python
    and installs on any platform: for crcmod (oss2's CRC) that is its own pure-Python fallback
    instead of its C extension, which no binary wheel provides.
    """
    tools = _tools()
    pins = _pins(tools)
    deps, wheels = WORK / "baseline-deps", WORK / "wheels"
    stamp = deps / _STAMP
    if stamp.is_file():
        recorded = json.loads(stamp.read_text())
        if recorded["pins"] == pins:
            return deps, list(recorded["built_from_source"])
    shutil.rmtree(deps, ignore_errors=True)
    shutil.rmtree(wheels, ignore_errors=True)
    WORK.mkdir(parents=True, exist_ok=True)
    closure = _closure(pins, WORK / "resolution.json")
    sources = sorted(f"{name}=={ver}" for name, ver, is_wheel in closure if not is_wheel)
    if sources:
        subprocess.run(
            [*_PIP, "wheel", "--no-deps", "--no-cache-dir", "--wheel-dir", str(wheels), *sources],
            check=True,
            env={**os.environ, "CC": "/bin/false"},
        )
        compiled = [p.name for p in wheels.glob("*.whl") if not p.name.endswith("-none-any.whl")]
        if compiled:
            raise RuntimeError(f"built wheels are not pure Python: {compiled}")
    # pip evaluates dependency markers for the interpreter it runs in, whatever --python-version
    # says: FC's python3.10, when the machine has one, resolves python_version < "3.11" backports.
    from bench.coldstart import python310

    target_python = python310() or PYTHON
    subprocess.run(
        [
            target_python,
            *_PIP[1:],
            "install",
            "--target",
            str(deps),
            "--no-compile",
            *tools.PLATFORM,
            "--find-links",
            str(wheels),
            *pins,
        ],
        check=True,
    )
    stamp.write_text(
        json.dumps({"pins": pins, "built_from_source": sources, "resolved_by": target_python})
    )
    return deps, sources


def baseline_zip() -> tuple[Path, list[str]]:
    """The baseline's code package, zipped as ``tools/package.py`` zips the project's."""
    tools = _tools()
    deps, built = baseline_deps()
    entries = dict(tools.contents("archive", deps))
    entries["index.py"] = BASELINE_INDEX
    tools.write_zip(BASELINE_ZIP, sorted(entries.items()))
    return BASELINE_ZIP, built


def _describe(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    return {
        "path": str(path.relative_to(ROOT)),
        "bytes": path.stat().st_size,
        "files": len(infos),
        "unpacked_bytes": sum(info.file_size for info in infos),
    }


def unpack(path: Path, into: Path) -> Path:
    """The zip unpacked as FC unpacks it into ``/code`` (fresh each time)."""
    shutil.rmtree(into, ignore_errors=True)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(into)
    return into


def measure() -> dict[str, Any]:
    """Both packages: size, file count, unpacked size, and how they were built."""
    project, rebuilt = project_zip()
    baseline, built = baseline_zip()
    return {
        "project": {**_describe(project), "rebuilt": rebuilt},
        "baseline": {**_describe(baseline), "built_from_source": built},
    }
