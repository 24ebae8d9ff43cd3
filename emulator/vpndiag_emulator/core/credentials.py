"""Access keys, the accounts they belong to, and what each key may call.

Permissions are action-level only (a tiny stand-in for RAM): enough to make ``Forbidden``
reachable, not a policy engine. Patterns name an action bare (``DescribeVpnGateways``), with its
service prefix (``vpc:DescribeVpnGateways``), a whole service (``vpc:*``) or everything (``*``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

DEFAULT_ACCESS_KEY_ID: Final = "LTAIemulatorDefault"
# A published, emulator-only credential: it opens nothing outside this process.
DEFAULT_ACCESS_KEY_SECRET: Final = "emulator-default-secret"  # noqa: S105
DEFAULT_ACCOUNT_ID: Final = "1234567890123456"


@dataclass(frozen=True)
class AccessKey:
    """One key pair; ``security_token`` is set for STS keys, whose requests must carry it."""

    key_id: str
    secret: str
    account_id: str
    security_token: str | None = None
    allowed_actions: frozenset[str] | None = None
    """``None`` allows every action."""


def _matches(pattern: str, service: str, action: str) -> bool:
    return pattern in ("*", action, f"{service}:{action}", f"{service}:*")


class CredentialStore:
    """Thread-safe registry of access keys and per-key denials."""

    def __init__(self) -> None:
        self._keys: dict[str, AccessKey] = {}
        self._denied: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def add(
        self,
        key_id: str,
        secret: str,
        *,
        account_id: str,
        security_token: str | None = None,
        allowed_actions: Iterable[str] | None = None,
    ) -> AccessKey:
        """Register (or replace) a key; replacing keeps nothing of the old one, denials included."""
        if not key_id or not secret:
            raise ValueError("an access key needs a non-empty id and secret")
        key = AccessKey(
            key_id=key_id,
            secret=secret,
            account_id=account_id,
            security_token=security_token,
            allowed_actions=None if allowed_actions is None else frozenset(allowed_actions),
        )
        with self._lock:
            self._keys[key_id] = key
            self._denied.pop(key_id, None)
        return key

    def remove(self, key_id: str) -> None:
        """Forget a key: its requests then fail with ``InvalidAccessKeyId.NotFound``."""
        with self._lock:
            self._keys.pop(key_id, None)
            self._denied.pop(key_id, None)

    def get(self, key_id: str) -> AccessKey | None:
        """The key with this id, if registered."""
        with self._lock:
            return self._keys.get(key_id)

    def deny(self, key_id: str, action: str) -> None:
        """Make ``action`` (a pattern, see the module docstring) answer 403 for this key."""
        with self._lock:
            if key_id not in self._keys:
                raise KeyError(f"unknown access key {key_id!r}")
            self._denied.setdefault(key_id, set()).add(action)

    def is_allowed(self, key: AccessKey, service: str, action: str) -> bool:
        """Whether ``key`` may call ``service:action``."""
        with self._lock:
            denied = tuple(self._denied.get(key.key_id, ()))
        if any(_matches(p, service, action) for p in denied):
            return False
        if key.allowed_actions is None:
            return True
        return any(_matches(p, service, action) for p in key.allowed_actions)
