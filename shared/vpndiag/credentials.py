"""Where access keys come from, and the one type that holds them without ever showing them.

Sources, in order: explicit configuration, the FC 2.0 context (``context.credentials``, STS keys of the
service role), then ``ALIBABA_CLOUD_*`` environment variables (how FC 3.0's python3.12 runtime passes
them). The FC keys rotate, so they are read at every invocation rather than cached for the instance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from vpndiag.errors import ConfigError

ENV_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"  # noqa: S105 - the variable's name, not a secret
ENV_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"  # noqa: S105


@dataclass(frozen=True)
class Credentials:
    """An access key pair and, for STS keys, the security token. Never printed whole."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        shown = self.access_key_id[:4] + "****" if len(self.access_key_id) > 4 else "****"
        sts = ", sts" if self.security_token else ""
        return f"Credentials({shown}{sts})"

    __str__ = __repr__


def _nonempty(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def from_context(context: object) -> Credentials | None:
    """Read the FC 2.0 / FC 3.0 python3.10 shape: ``context.credentials.access_key_id`` etc."""
    creds = getattr(context, "credentials", None)
    key_id = _nonempty(getattr(creds, "access_key_id", None) or getattr(creds, "accessKeyId", None))
    secret = _nonempty(
        getattr(creds, "access_key_secret", None) or getattr(creds, "accessKeySecret", None)
    )
    if key_id is None or secret is None:
        return None
    token = _nonempty(
        getattr(creds, "security_token", None) or getattr(creds, "securityToken", None)
    )
    return Credentials(key_id, secret, token)


def from_environment(environ: Mapping[str, str]) -> Credentials | None:
    """Read the ``ALIBABA_CLOUD_*`` variables (the python3.12 runtime's only source)."""
    key_id, secret = environ.get(ENV_ID), environ.get(ENV_SECRET)
    if not key_id and not secret:
        return None
    if not key_id:
        raise ConfigError(ENV_ID, "is empty while ALIBABA_CLOUD_ACCESS_KEY_SECRET is set")
    if not secret:
        raise ConfigError(ENV_SECRET, "is empty while ALIBABA_CLOUD_ACCESS_KEY_ID is set")
    return Credentials(key_id, secret, environ.get(ENV_TOKEN) or None)


def resolve(
    *, explicit: Credentials | None, context: object, environ: Mapping[str, str]
) -> Credentials:
    """The first source that has keys; a clear error naming every place looked at otherwise."""
    found = explicit or from_context(context) or from_environment(environ)
    if found is None:
        raise ConfigError(
            "credentials",
            f"none found: not configured, not on the FC context, and {ENV_ID} is unset",
        )
    return found
