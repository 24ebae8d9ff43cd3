"""Leases on a step that cannot be made idempotent by itself (PutLogs, PutEvents).

A claim is a create-only object holding when it expires and a token unique to the attempt (so a
second claimant always conflicts). Claims form a chain, ``<key>``, ``<key>.1``, ``<key>.2``, ...; the
last one decides:

- live (not expired): another attempt is at work, this one steps back with a retryable
  ``ArchiveInProgress``;
- expired: its holder died mid-step (or released it after a failure, by appending an expired
  claim), and this attempt takes over with the next claim, itself create-only so two successors
  cannot both win.

Holders stop their writes ``MARGIN`` seconds before their lease ends (``writing_deadline``), so
nothing a dead holder sent can land after a takeover.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass
from typing import Final

from vpndiag.errors import ApiError, ArchiveConflict, ArchiveInProgress, DeadlineExceeded
from vpndiag.http.deadline import Deadline
from vpndiag.store.objects import ObjectStore

# A write in flight when its deadline passes can still land a little later.
MARGIN: Final = 15.0
# Each claim past the first follows a dead or failed holder; a chain this long means something else
# is wrong, and the platform's bounded retries end in the dead-letter queue.
MAX_CLAIMS: Final = 32


@dataclass(frozen=True)
class Claim:
    key: str
    number: int

    @property
    def took_over(self) -> bool:
        """True when an earlier holder may have done part of the step."""
        return self.number > 0


def _claim_key(key: str, number: int) -> str:
    return key if number == 0 else f"{key}.{number}"


def _claim(expires: float) -> bytes:
    return json.dumps({"expires": expires, "token": uuid.uuid4().hex}).encode()


def take(objects: ObjectStore, key: str, *, subject: str, now: float, duration: float) -> Claim:
    """Hold the lease named ``key`` or raise ``ArchiveInProgress``."""
    for number in range(MAX_CLAIMS):
        claim_key = _claim_key(key, number)
        try:
            objects.put_if_absent(
                claim_key, _claim(now + duration), content_type="application/json"
            )
            return Claim(key, number)
        except ArchiveConflict:
            expires = _expiry(objects.get(claim_key))
            if expires > now and not objects.exists(_claim_key(key, number + 1)):
                raise ArchiveInProgress(subject, expires - now) from None
    raise ArchiveInProgress(subject, duration)


def nothing_landed(exc: BaseException) -> bool:
    """True when a failed write provably stored nothing: the service refused it in its own words
    (an error code of its own, not a bare HTTP status from something in between), or it was never
    sent. A lost answer proves nothing, and then the lease is left to expire."""
    if isinstance(exc, DeadlineExceeded):
        return True
    return isinstance(exc, ApiError) and not exc.code.startswith("HTTP")


def release(objects: ObjectStore, claim: Claim) -> None:
    """Give the lease up after a failure: an expired claim after ours lets the next attempt in."""
    # A conflict means someone already moved past our claim: nothing left to give up.
    with contextlib.suppress(ArchiveConflict):
        objects.put_if_absent(
            _claim_key(claim.key, claim.number + 1), _claim(0.0), content_type="application/json"
        )


def writing_deadline(deadline: Deadline, duration: float) -> Deadline:
    """The invocation's deadline, cut to end ``MARGIN`` before a lease taken now expires."""
    return Deadline.after(min(deadline.remaining(), duration - MARGIN))


def _expiry(claim: bytes | None) -> float:
    """When a claim expires; an unreadable or vanished claim counts as expired."""
    try:
        expires = json.loads(claim or b"")["expires"]
    except (ValueError, KeyError, TypeError):
        return 0.0
    return float(expires) if isinstance(expires, (int, float)) else 0.0
