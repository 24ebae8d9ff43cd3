"""The soak, short: 300 diagnoses (with connection health) through the loopback emulator in its
own process, about 12 % of every call faulted, the platform's retries and dead letters.

``make soak`` runs the long one (tools/soak.py; docs/reliability.md has its figures). This one is
deterministic: one worker and no latency faults, so the seeded emulator faults the same calls in
every run and the figures below are the same every time.
"""

from __future__ import annotations

import pytest
from tools.soak import Figures, SoakConfig, run

SHORT = SoakConfig(diagnoses=300, workers=1, latency_part=0.0, http_timeout=5.0, seed=7)


@pytest.fixture(scope="module")
def figures() -> Figures:
    return run(SHORT)


def test_the_short_soak_faults_at_least_a_tenth_of_all_calls(figures: Figures) -> None:
    """Every kind of fault fired, on at least 10 % of the calls all told."""
    assert figures.fault_share >= 0.10
    assert {"drop", "malformed", "truncated", "throttle"} <= set(figures.faults_by_kind)


def test_the_short_soak_stores_no_record_twice(figures: Figures) -> None:
    """Retries, takeovers and dead-letter replays never store a log record a second time."""
    assert figures.duplicated == 0


def test_the_short_soak_retries_through_the_platform(figures: Figures) -> None:
    """The soak exercises the retry paths: clients repeat attempts, the platform re-runs
    invocations."""
    assert figures.client_retries > 0
    assert figures.platform_retries > 0


def test_the_short_soak_loses_no_diagnosis(figures: Figures) -> None:
    """At the end (dead letters replayed) every diagnosis is archived: objects, marker and
    every record."""
    assert (figures.lost, figures.lost_by) == (0, {})


def test_the_short_soak_fails_only_with_typed_errors(figures: Figures) -> None:
    """Every failed invocation raised a vpndiag.errors type."""
    assert figures.untyped_failures == 0, figures.failures_by_type
