"""STS ``AssumeRole``: temporary keys bound to a role, for a cloud service or a calling key.

Vendor rules (STS AssumeRole reference, alibabacloud.com/help/en/ram/developer-reference/
api-sts-2015-04-01-assumerole, and its error table in OSS help doc-detail/42775): the caller needs
``sts:AssumeRole`` on the role (else "You are not authorized to do this action..."), and the
role's trust policy must name it (else "No permission perform sts:AssumeRole on this Role...");
RoleSessionName is ``^[a-zA-Z0-9.@\\-_]+$`` of 2 to 32 characters; DurationSeconds is 900 up to
the role's maximum session duration. The issued AccessKeyId starts with ``STS.``. A trust
statement may require an external id with ``StringEquals`` on ``sts:ExternalId``.

Emulator choices: a permanent key stands for a RAM identity of its account, so it answers to the
trust principal ``acs:ram::{account}:root`` (RAM: every RAM user and role of that account); an STS
key answers to that and to its role's ARN. The emulator has no RAM users, so
``acs:ram::{account}:user/{name}`` principals never match.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from . import errors
from .errors import RamError
from .policy import trusts

if TYPE_CHECKING:
    from vpndiag_emulator.core.clock import Clock
    from vpndiag_emulator.core.credentials import AccessKey, CredentialStore

    from .models import RamBackend

_ROLE_ARN: Final = re.compile(r"acs:ram::(?P<account>[0-9]+):role/(?P<name>[^/:]+)")
_SESSION_NAME: Final = re.compile(r"[A-Za-z0-9.@_-]{2,32}")
MIN_DURATION: Final = 900
_KEY_ALPHABET: Final = string.ascii_letters + string.digits


def assume_role(
    *,
    ram: Callable[[str], RamBackend],
    credentials: CredentialStore,
    clock: Clock,
    role_arn: str,
    session_name: str,
    principal_service: str | None,
    caller: AccessKey | None,
    duration_seconds: int,
    external_id: str | None,
) -> AccessKey:
    """Issue and register a temporary key for the role, or raise ``RamError`` as STS refuses.

    Exactly one of ``principal_service`` (a cloud service such as ``fc.aliyuncs.com``) and
    ``caller`` (the key that calls AssumeRole) says who asks; ``ram`` gives an account's roles.
    """
    if (principal_service is None) == (caller is None):
        raise ValueError("assume_role needs exactly one of principal_service and caller")
    now = clock.now()
    if caller is not None and caller.is_expired(now):
        raise RamError("InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
    match = _ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise errors.invalid_role_arn(role_arn)
    if not _SESSION_NAME.fullmatch(session_name):
        raise errors.invalid_session_name(session_name)
    role = ram(match["account"]).role(match["name"])
    if role is None:
        raise errors.role_not_found(role_arn)
    if not MIN_DURATION <= duration_seconds <= role.max_session_duration:
        raise errors.invalid_duration(duration_seconds, role.max_session_duration)

    identities: list[str] = []
    if caller is not None:
        if not credentials.is_allowed(caller, "sts", "AssumeRole", resource=role.arn):
            raise errors.caller_not_authorized()
        identities.append(f"acs:ram::{caller.account_id}:root")
        if caller.role is not None:
            identities.append(caller.role.arn)
    if not trusts(
        role.trust, service=principal_service, ram_identities=identities, external_id=external_id
    ):
        raise errors.role_does_not_trust()

    return credentials.add(
        "STS." + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(28)),
        "".join(secrets.choice(_KEY_ALPHABET) for _ in range(44)),
        account_id=role.account_id,
        security_token="CAIS" + secrets.token_urlsafe(192),
        role=role,
        expires_at=now + timedelta(seconds=duration_seconds),
    )
