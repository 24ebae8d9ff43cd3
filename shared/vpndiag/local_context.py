"""A stand-in for the FC context object, for running handlers in-process (no Docker here)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from vpndiag.credentials import Credentials


@dataclass(frozen=True)
class LocalCredentials:
    access_key_id: str = ""
    access_key_secret: str = field(default="", repr=False)
    security_token: str = field(default="", repr=False)


@dataclass(frozen=True)
class LocalFunction:
    name: str
    handler: str = "index.handler"
    memory: int = 256
    timeout: int = 60


@dataclass(frozen=True)
class LocalService:
    name: str = "vpndiag"
    log_project: str = ""
    log_store: str = ""
    qualifier: str = "LATEST"
    version_id: str = ""


@dataclass(frozen=True)
class LocalContext:
    """Mirrors the FC 2.0 / python3.10 context attributes the code reads."""

    function: LocalFunction
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    credentials: LocalCredentials = field(default_factory=LocalCredentials)
    service: LocalService = field(default_factory=LocalService)
    region: str = "cn-hangzhou"
    account_id: str = ""

    @classmethod
    def for_function(
        cls, name: str, *, timeout: int = 60, keys: Credentials | None = None
    ) -> LocalContext:
        creds = (
            LocalCredentials(keys.access_key_id, keys.access_key_secret, keys.security_token or "")
            if keys
            else LocalCredentials()
        )
        return cls(function=LocalFunction(name, timeout=timeout), credentials=creds)
