"""Shared fixtures: repository paths and instant retries for every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vpndiag.http import retry

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"


@pytest.fixture(autouse=True)
def _instant_retries() -> Iterator[None]:
    retry.set_testing(True)
    yield
    retry.set_testing(False)
