"""``make run``: ``template.yml`` deployed into the emulated cloud and driven by its platform.

The zips are built without third-party packages (an empty dependency folder): the emulated FC runs
each deployed ``index.py`` with the host's libraries. What ROS refuses (an unknown property, a
type ROS lacks: the vendor's ros-cdk 1.15.0 specification) and what RAM refuses (an action the
role lacks: the RAM rows of the VPC API pages) must make the run fail, naming it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from vpndiag_emulator.demo import run_demo


def _run(tmp_path: Path, template: Path) -> int:
    deps = tmp_path / "deps"
    deps.mkdir(exist_ok=True)
    return run_demo(ROOT / "events", tmp_path / "var", template, tmp_path / "build", deps=deps)


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = (ROOT / "template.yml").read_text(encoding="utf-8")
    assert old in text, f"the template no longer holds {old!r}: update this test"
    path = tmp_path / "template.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_template_deploys_and_the_platform_archives_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real template deploys; samples, sweep tick, health events and report all succeed."""
    assert _run(tmp_path, ROOT / "template.yml") == 0
    out = capsys.readouterr().out
    assert "stack vpndiag: CREATE_COMPLETE" in out
    assert "ended in the dead-letter queue" not in out
    assert list((tmp_path / "var" / "archive").rglob("*.summary.json"))


def test_a_second_run_archives_the_samples_no_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The archive kept in var/ goes back into the bucket: every sample event is a replay."""
    assert _run(tmp_path, ROOT / "template.yml") == 0
    capsys.readouterr()
    assert _run(tmp_path, ROOT / "template.yml") == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if re.match(r"\S+\.json\s", line)]
    assert rows
    assert all(" replayed " in row for row in rows)


def test_a_dual_tunnel_connection_with_its_standby_down_shows_degraded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo estate's half-down connection: degraded, both tunnels shown, its failure code."""
    assert _run(tmp_path, ROOT / "template.yml") == 0
    line = next(
        row
        for row in capsys.readouterr().out.splitlines()
        if row.startswith("vco-uf6sh0conn000000011")  # the health table's row
    )
    assert "DEGRADED" in line
    assert "master: up, slave: down" in line
    assert "Phase1NegotiationTimeout" in line


def test_a_misspelt_property_fails_the_run_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """MemorySize spelt MemorySise: ROS refuses the stack, and the run says which property."""
    template = _edited(tmp_path, "MemorySize:", "MemorySise:")
    assert _run(tmp_path, template) == 1
    assert "MemorySise" in capsys.readouterr().out


def test_a_type_ros_lacks_fails_the_run_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ALIYUN::MNS::Queue renamed to a type ROS does not have: refused, naming the type."""
    template = _edited(tmp_path, "'ALIYUN::MNS::Queue'", "'ALIYUN::MNS::DeadLetterQueue'")
    assert _run(tmp_path, template) == 1
    assert "ALIYUN::MNS::DeadLetterQueue" in capsys.readouterr().out


def test_a_role_without_an_action_the_code_needs_fails_the_run_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """vpc:DescribeVpnGateways out of the role: the sweep is refused by RAM (Forbidden.RAM),
    its invocation ends in the dead-letter queue, and the run fails naming the action."""
    template = _edited(tmp_path, "- 'vpc:DescribeVpnGateways'\n", "")
    assert _run(tmp_path, template) == 1
    out = capsys.readouterr().out
    assert "dead-letter queue" in out
    assert "vpc:DescribeVpnGateways" in out
