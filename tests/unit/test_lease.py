"""Leases on non-idempotent steps: claim, step back, take over, release."""

from __future__ import annotations

from pathlib import Path

import pytest

from vpndiag.archive import lease
from vpndiag.errors import ArchiveInProgress, DeadlineExceeded, ServerError, ThrottledError
from vpndiag.store.objects import FilesystemObjectStore

KEY = "diagnoses/x/vpndgn-abcd1234.records-pending"


def _store(tmp_path: Path) -> FilesystemObjectStore:
    return FilesystemObjectStore(tmp_path)


def test_the_first_claim_holds_the_lease(tmp_path: Path) -> None:
    """An unclaimed step is taken by the first attempt, as no takeover."""
    claim = lease.take(_store(tmp_path), KEY, subject="s", now=1000, duration=60)
    assert (claim.number, claim.took_over) == (0, False)


def test_a_live_claim_makes_others_step_back(tmp_path: Path) -> None:
    """A second attempt before expiry raises a retryable error telling how long to wait."""
    store = _store(tmp_path)
    lease.take(store, KEY, subject="records of d", now=1000, duration=60)
    with pytest.raises(ArchiveInProgress, match="records of d") as caught:
        lease.take(store, KEY, subject="records of d", now=1010, duration=60)
    assert caught.value.retry_after == 50
    assert caught.value.retryable


def test_an_expired_claim_is_taken_over_once(tmp_path: Path) -> None:
    """After expiry one successor takes over (claim 1); a third attempt then steps back."""
    store = _store(tmp_path)
    lease.take(store, KEY, subject="s", now=1000, duration=60)
    successor = lease.take(store, KEY, subject="s", now=1100, duration=60)
    assert (successor.number, successor.took_over) == (1, True)
    with pytest.raises(ArchiveInProgress):
        lease.take(store, KEY, subject="s", now=1101, duration=60)


def test_a_released_claim_lets_the_next_attempt_in_at_once(tmp_path: Path) -> None:
    """A holder that failed and released: the next attempt takes over without waiting."""
    store = _store(tmp_path)
    claim = lease.take(store, KEY, subject="s", now=1000, duration=60)
    lease.release(store, claim)
    assert lease.take(store, KEY, subject="s", now=1001, duration=60).took_over


def test_an_unreadable_claim_counts_as_expired(tmp_path: Path) -> None:
    """A claim without a readable expiry (an older format, a damaged object) never blocks."""
    store = _store(tmp_path)
    store.put_if_absent(KEY, b"", content_type="text/plain")
    assert lease.take(store, KEY, subject="s", now=1000, duration=60).took_over


@pytest.mark.parametrize(
    ("error", "landed"),
    [
        (ThrottledError(service="sls", code="WriteQuotaExceed", message="m", status=403), False),
        (DeadlineExceeded("no time"), False),
        (ServerError(service="sls", code="HTTP502", message="m", status=502), True),
        (TimeoutError(), True),
    ],
)
def test_only_a_refusal_in_the_service_s_own_words_proves_nothing_landed(
    error: BaseException, landed: bool
) -> None:
    """A coded refusal or a request never sent proves nothing landed; a bare status or a lost
    answer does not, and then the lease must run out before anyone takes over."""
    assert lease.nothing_landed(error) is not landed


def test_writing_stops_before_the_lease_ends(tmp_path: Path) -> None:
    """The writing deadline ends the margin before the lease, whatever the invocation has left."""
    from vpndiag.http.deadline import Deadline

    cut = lease.writing_deadline(Deadline.after(600), 60)
    assert 60 - lease.MARGIN - 1 < cut.remaining() <= 60 - lease.MARGIN
