"""The context object an emulated invocation hands the function: FC 2.0 / python3.10 attributes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FcCredentials:
    """The service role's keys (empty strings when the function has no role)."""

    access_key_id: str = ""
    access_key_secret: str = field(default="", repr=False)
    security_token: str = field(default="", repr=False)


@dataclass(frozen=True)
class FcFunctionMeta:
    name: str
    handler: str
    memory: int
    timeout: int
    initializer: str | None = None


@dataclass(frozen=True)
class FcServiceMeta:
    name: str
    log_project: str = ""
    log_store: str = ""
    qualifier: str = "LATEST"
    version_id: str = ""


@dataclass(frozen=True)
class FcContext:
    request_id: str
    credentials: FcCredentials
    function: FcFunctionMeta
    service: FcServiceMeta
    region: str
    account_id: str
    retry_count: int = 0
    """Emulator extra: how many times this asynchronous invocation ran before (0: first)."""
