"""Cold start: importing the functions loads only what every invocation needs.

Each check runs in a fresh interpreter, loading ``functions/<name>/index.py`` by file as FC does,
then looks at what ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# Paid only on the path that needs it (fc2: the FC hand-off), or never deployed at all.
LAZY = ("fc2", "websocket", "oss2", "aliyun", "alibabacloud", "lz4", "hypothesis", "responses")
NEVER = ("vpndiag_emulator", "vpndiag.demo", "pytest")

_PROBE = """
import importlib.util, json, sys
path = sys.argv[1]
spec = importlib.util.spec_from_file_location("index", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(sorted(sys.modules)))
"""


def _loaded(function: str) -> list[str]:
    index = ROOT / "functions" / function / "index.py"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(index)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    modules: list[str] = json.loads(done.stdout)
    return modules


def _offending(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in (*LAZY, *NEVER))]


@pytest.mark.parametrize("function", ["archive", "sweep"])
def test_importing_a_function_loads_no_optional_dependency(function: str) -> None:
    """fc2, the OSS/SLS SDKs, the emulator, the demo and test tools stay out of the import."""
    assert _offending(_loaded(function)) == []


def test_the_probe_would_see_a_lazy_import() -> None:
    """The check is live: the sweep's FC hand-off, once used, does load fc2."""
    probe = _PROBE.replace("print(", "import vpndiag.sweep.fc_handoff as h; h._fc2(); print(", 1)
    index = ROOT / "functions" / "sweep" / "index.py"
    done = subprocess.run(
        [sys.executable, "-c", probe, str(index)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert "fc2" in json.loads(done.stdout)
