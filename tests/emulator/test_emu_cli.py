"""``python -m vpndiag_emulator``: ready line, registered keys, estate, clean exit on SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.emulator.conftest import AcsTestClient

READY = re.compile(r"vpndiag emulator listening on (http://127\.0\.0\.1:\d+)\n")

Process = subprocess.Popen[str]


def real_now() -> datetime:
    """The child process runs on real time, so requests are signed with it."""
    return datetime.now(timezone.utc)


@pytest.fixture
def emulator_process() -> Iterator[tuple[Process, str]]:
    """The emulator as a child process with an extra key and the small estate."""
    command = [sys.executable, "-m", "vpndiag_emulator", "--host", "127.0.0.1", "--port", "0"]
    command += ["--access-key", "LTAIcli:cli-secret", "--seed", "5", "--estate", "small"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = READY.fullmatch(line)
        assert match, f"first line {line!r}, stderr {process.communicate(timeout=5)[1]!r}"
        yield process, match.group(1)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def test_cli_serves_registered_keys_and_estate(
    emulator_process: tuple[Process, str], acs_client_class: type[AcsTestClient]
) -> None:
    """The ready line names the URL; the --access-key key works; the small estate is there."""
    _, url = emulator_process
    client = acs_client_class(endpoint=url, now=real_now, key_id="LTAIcli", secret="cli-secret")

    response = client.call("DescribeVpnGateways", {"RegionId": "cn-hangzhou"})

    assert response.status_code == 200, response.text
    assert response.json()["TotalCount"] == 2


def test_cli_exits_cleanly_on_sigterm(emulator_process: tuple[Process, str]) -> None:
    """SIGTERM stops the server and the process exits with status 0."""
    process, _ = emulator_process

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=10) == 0


def test_cli_rejects_a_malformed_access_key() -> None:
    """--access-key without ID:SECRET is a usage error (exit status 2)."""
    completed = subprocess.run(
        [sys.executable, "-m", "vpndiag_emulator", "--access-key", "nocolon"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert completed.returncode == 2
    assert "ID:SECRET" in completed.stderr
