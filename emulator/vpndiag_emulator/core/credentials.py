"""Access keys, the accounts they belong to, and what each key may call.

Two layers decide. Keys issued by STS for a RAM role (``Cloud.assume_role``) are judged by the
role's policies, RAM's way: the RAM action (``oss:GetObject``) on the request's resource ARN
(``ram.policy``). Every key also has the emulator's action-level switches, used by tests to make
a refusal reachable without writing a policy: ``allowed_actions`` and ``deny`` patterns name an
action bare (``DescribeVpnGateways``), with the emulated service's prefix
(``vpc:DescribeVpnGateways``), a whole service (``vpc:*``) or everything (``*``). A key without
a role and without switches may call anything.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final

from vpndiag_emulator.ram.policy import Decision

if TYPE_CHECKING:
    from vpndiag_emulator.ram.models import Role

DEFAULT_ACCESS_KEY_ID: Final = "LTAIemulatorDefault"
# A published, emulator-only credential: it opens nothing outside this process.
DEFAULT_ACCESS_KEY_SECRET: Final = "emulator-default-secret"  # noqa: S105
DEFAULT_ACCOUNT_ID: Final = "1234567890123456"


@dataclass(frozen=True)
class AccessKey:
    """One key pair; ``security_token`` is set for STS keys, whose requests must carry it."""

    key_id: str
    secret: str = field(repr=False)
    account_id: str
    security_token: str | None = field(default=None, repr=False)
    allowed_actions: frozenset[str] | None = None
    """``None`` allows every action."""
    role: Role | None = None
    """The RAM role an STS key was issued for: its policies decide what the key may do."""
    expires_at: datetime | None = None
    """When an STS key stops being accepted."""

    def is_expired(self, now: datetime) -> bool:
        """Whether the key's STS session is over at ``now`` (permanent keys never expire)."""
        return self.expires_at is not None and now >= self.expires_at


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
        role: Role | None = None,
        expires_at: datetime | None = None,
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
            role=role,
            expires_at=expires_at,
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

    def is_allowed(
        self,
        key: AccessKey,
        service: str,
        action: str,
        *,
        ram_action: str | None = None,
        resource: str = "*",
    ) -> bool:
        """Whether ``key`` may call ``action`` of the emulated ``service``.

        ``ram_action`` is the action's RAM name (default ``{service}:{action}``) and ``resource``
        the ARN RAM authorises it on (``*`` for actions RAM documents on "all resources").
        """
        with self._lock:
            denied = tuple(self._denied.get(key.key_id, ()))
        if any(_matches(p, service, action) for p in denied):
            return False
        if key.allowed_actions is not None and not any(
            _matches(p, service, action) for p in key.allowed_actions
        ):
            return False
        if key.role is None:
            return True
        verdict = key.role.decide(ram_action or f"{service}:{action}", resource)
        return verdict is Decision.ALLOW
