"""Debian's headless Chromium for the browser tests: a DOM dump, a screenshot, or a page to drive
over the DevTools protocol (a websocket on loopback).

Every run gets a new empty profile, and the flags this machine needs: no sandbox (root), no GPU,
and none of Chromium's own network traffic (the network is closed; its connections would be
refused, many at a time). ``make browser`` installs Chromium from the Debian packages.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import websocket

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
MISSING = (
    "chromium is not installed: run `make browser` (it installs Debian's chromium package), "
    "then run the tests again"
)
# Guards against a hung browser; no test asserts anything about time.
_PROCESS_LIMIT = 120.0


def require() -> str:
    """Chromium's path; without it, the test fails (never skips) saying how to install it."""
    found = shutil.which("chromium")
    if found is None:
        pytest.fail(MISSING)
    return found


def run(binary: str, *args: str) -> str:
    """Run Chromium once with a fresh profile; its standard output."""
    # Chromium's helper processes can still write to the profile as the browser exits: a scratch
    # profile left half-removed in the temp folder is harmless, a failed test for it is not.
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile:
        done = subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=_PROCESS_LIMIT,
            check=True,
        )
    return done.stdout


class Page:
    """One page open in a running Chromium, driven through the DevTools protocol."""

    def __init__(self, socket: websocket.WebSocket) -> None:
        self._socket = socket
        self._next = 0

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (awaited if it is a promise)."""
        self._next += 1
        self._socket.send(
            json.dumps(
                {
                    "id": self._next,
                    "method": "Runtime.evaluate",
                    "params": {
                        "expression": expression,
                        "returnByValue": True,
                        "awaitPromise": True,
                    },
                }
            )
        )
        while True:
            answer = json.loads(self._socket.recv())
            if answer.get("id") == self._next:
                break
        if "exceptionDetails" in answer["result"]:
            raise AssertionError(f"{expression!r} threw: {answer['result']['exceptionDetails']}")
        return answer["result"]["result"].get("value")

    def settle(self, url: str) -> None:
        """Wait until the tab shows ``url``, loaded (it starts on about:blank)."""
        deadline = time.monotonic() + _PROCESS_LIMIT
        while time.monotonic() < deadline:
            if self.evaluate("location.href + ' ' + document.readyState") == f"{url} complete":
                return
            time.sleep(0.05)
        raise AssertionError(f"chromium did not load {url}")


def _wait_for(path: Path, process: subprocess.Popen[bytes]) -> str:
    """The file Chromium writes once its DevTools server listens (port on the first line)."""
    deadline = time.monotonic() + _PROCESS_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"chromium exited with {process.returncode} before listening")
        if path.is_file() and path.read_text().strip():
            return path.read_text().split()[0]
        time.sleep(0.05)
    raise AssertionError("chromium's DevTools server did not start")


@contextmanager
def page(binary: str, url: str) -> Iterator[Page]:
    """Open ``url`` in a headless Chromium and drive it; the browser is stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", url],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port = _wait_for(Path(profile) / "DevToolsActivePort", process)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
                targets = json.load(answer)
            (target,) = [t for t in targets if t["type"] == "page"]
            socket = websocket.create_connection(
                target["webSocketDebuggerUrl"], timeout=_PROCESS_LIMIT, suppress_origin=True
            )
            try:
                driven = Page(socket)
                driven.settle(url)
                yield driven
            finally:
                socket.close()
        finally:
            process.terminate()
            process.wait(timeout=_PROCESS_LIMIT)
