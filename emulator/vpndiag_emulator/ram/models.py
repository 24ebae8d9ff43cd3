"""Each account's RAM roles: trust policy, inline permission policies, and their ARNs.

ARN form ``acs:ram::{accountId}:role/{role name in lower case}``: RAM writes role names lower-case
in ARNs (STS-backed services quote "EntityNotExist.Role The role not exists:
acs:ram::xxxxx:role/aliyunserviceroleforsysom" for the role AliyunServiceRoleForSysom). Role names
are therefore unique ignoring case within an account (inferred from that ARN form). The maximum
session duration is 3600 to 43200 seconds, default 3600 (ROS spec ``ALIYUN::RAM::Role``
``MaxSessionDuration``, ros-cdk-ram 1.15.0).
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from . import errors
from .policy import Decision, Policy, decide, parse_policy, parse_trust_policy

if TYPE_CHECKING:
    import random

    from vpndiag_emulator.core.clock import Clock

# Inferred from RAM's CreateRole rules: 1 to 64 letters, digits, periods, hyphens, underscores.
_ROLE_NAME: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
MIN_SESSION_DURATION: Final = 3600
MAX_SESSION_DURATION: Final = 43200


def role_arn(account_id: str, name: str) -> str:
    """The ARN RAM gives the role ``name`` of ``account_id``."""
    return f"acs:ram::{account_id}:role/{name.lower()}"


@dataclass(eq=False)
class Role:
    """One RAM role. ``assume_role_policy`` and the inline documents are kept as given."""

    name: str
    role_id: str
    arn: str
    account_id: str
    assume_role_policy: Mapping[str, object] = field(repr=False)
    trust: Policy = field(repr=False)
    description: str
    max_session_duration: int
    created_at: datetime
    # Replaced whole on each change, so a reader never sees a half-updated set.
    _documents: Mapping[str, Mapping[str, object]] = field(default_factory=dict, repr=False)
    _policies: tuple[Policy, ...] = field(default=(), repr=False)
    _deleted: bool = False

    @property
    def policies(self) -> Mapping[str, Mapping[str, object]]:
        """The inline permission policies by name, as they were put."""
        return MappingProxyType(dict(self._documents))

    def decide(self, action: str, resource: str) -> Decision:
        """RAM's verdict for this role on ``action`` over ``resource`` (a deleted role: none)."""
        if self._deleted:
            return Decision.IMPLICIT_DENY
        return decide(self._policies, action, resource)


class RamBackend:
    """The RAM roles of one account (RAM is global: no region)."""

    def __init__(self, account_id: str, *, clock: Clock, rng: random.Random) -> None:
        self.account_id = account_id
        self._clock = clock
        self._rng = rng
        self._roles: dict[str, Role] = {}
        self._lock = threading.Lock()

    def create_role(
        self,
        name: str,
        assume_role_policy: Mapping[str, object],
        *,
        description: str = "",
        max_session_duration: int = MIN_SESSION_DURATION,
    ) -> Role:
        """A new role trusted as ``assume_role_policy`` says; ``RamError`` if it cannot be."""
        if not _ROLE_NAME.fullmatch(name):
            raise errors.invalid_role_name(name)
        if not MIN_SESSION_DURATION <= max_session_duration <= MAX_SESSION_DURATION:
            raise errors.invalid_max_session_duration(
                max_session_duration, MIN_SESSION_DURATION, MAX_SESSION_DURATION
            )
        document = copy.deepcopy(dict(assume_role_policy))
        trust = parse_trust_policy(document)
        with self._lock:
            if name.lower() in self._roles:
                raise errors.role_exists(name)
            role = Role(
                name=name,
                # RAM role ids are 19-digit numbers (inferred from the vendor's examples).
                role_id=str(self._rng.randrange(10**18, 10**19)),
                arn=role_arn(self.account_id, name),
                account_id=self.account_id,
                assume_role_policy=MappingProxyType(document),
                trust=trust,
                description=description,
                max_session_duration=max_session_duration,
                created_at=self._clock.now(),
            )
            self._roles[name.lower()] = role
        return role

    def put_role_policy(
        self, role_name: str, policy_name: str, document: Mapping[str, object]
    ) -> None:
        """Attach (or replace) the inline policy ``policy_name`` of a role."""
        if not policy_name:
            raise errors.malformed_policy("a policy needs a non-empty name")
        kept = copy.deepcopy(dict(document))
        parsed = parse_policy(kept)
        with self._lock:
            role = self._roles.get(role_name.lower())
            if role is None:
                raise errors.role_not_found(role_name)
            documents = {**role._documents, policy_name: MappingProxyType(kept)}
            parsed_by_name = dict(zip(role._documents, role._policies, strict=True))
            parsed_by_name[policy_name] = parsed
            role._documents = documents
            role._policies = tuple(parsed_by_name[n] for n in documents)

    def delete_role(self, name: str) -> None:
        """Delete a role: keys issued for it are refused everything from then on."""
        with self._lock:
            role = self._roles.pop(name.lower(), None)
            if role is None:
                raise errors.role_not_found(name)
            role._deleted = True

    def role(self, name: str) -> Role | None:
        """The role called ``name`` (any case), if it exists."""
        with self._lock:
            return self._roles.get(name.lower())
