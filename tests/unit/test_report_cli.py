"""``vpndiag report``: a page from an archive and a period, and one line when it cannot."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.unit.test_report_support import Archive
from vpndiag.cli import main


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """Two connections diagnosed over the last three days."""
    archive = Archive(tmp_path / "archive")
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    for n in range(3):
        at = today - timedelta(days=n)
        archive.diagnose("vco-conn0001", at, {"VcoPrivateConnectivity": "error"})
        archive.diagnose("vco-conn0002", at)
    return archive.root


def test_the_report_is_written_where_asked(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out gets the page; the command says how many connections over which days."""
    out = tmp_path / "r.html"

    assert main(["report", "--archive", f"file:{archive}", "--days", "3", "--out", str(out)]) == 0
    assert "vco-conn0002" in out.read_text()
    assert capsys.readouterr().out.startswith(f"{out}: 2 connections, ")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2026-13-01"], "is not a date"),
        (["--days", "0"], "is not a number of days"),
        (["--to", "2026-11-01", "--days", "2"], "not allowed with"),
    ],
)
def test_bad_arguments_exit_2_saying_which(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse's own exit, with the reason."""
    with pytest.raises(SystemExit) as exit_:
        main(["report", *argv])

    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--archive", "s3://bucket/x"], "VPNDIAG_OBJECT_STORE"),
        (["--from", "2999-01-01"], "before it starts"),
    ],
)
def test_an_archive_or_period_it_cannot_use_exits_2(
    archive: Path, tmp_path: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """One line on stderr naming the problem, and no page."""
    out = tmp_path / "r.html"

    assert main(["report", *argv, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
