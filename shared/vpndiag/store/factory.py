"""Open the configured stores from their URLs.

``file:<dir>`` and ``sqlite:<path>`` are the embedded local defaults; ``oss://<bucket>/<prefix>`` and
``sls://<project>/<logstore>`` the cloud ones, reached through the instance's shared session.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import requests

from vpndiag import identifiers
from vpndiag.config import Settings
from vpndiag.credentials import Credentials
from vpndiag.errors import ConfigError
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.store.logs import LogStore, SqliteLogStore
from vpndiag.store.objects import FilesystemObjectStore, ObjectStore

_PREFIX = re.compile(r"(?:[A-Za-z0-9._=-]+/)*")


@dataclass(frozen=True)
class Wiring:
    """What a cloud store shares with the rest of the instance."""

    session: requests.Session
    credentials: Callable[[], Credentials]
    retry: RetryPolicy
    deadline: Callable[[], Deadline]
    function_region: str | None


def _storage_region(settings: Settings, wired: Wiring) -> str:
    region = settings.storage_region or wired.function_region
    if not region:
        raise ConfigError("VPNDIAG_STORAGE_REGION", "is required for oss:// and sls:// stores")
    try:
        return identifiers.region(region)
    except ValueError:
        raise ConfigError("VPNDIAG_STORAGE_REGION", f"{region!r} is not a region id") from None


def _named(setting: str, check: Callable[[object], str], value: str) -> None:
    """Names are checked before anything is built, so the error names the setting."""
    try:
        check(value)
    except ValueError as exc:
        raise ConfigError(setting, str(exc)) from None


def open_object_store(settings: Settings, wiring: Callable[[], Wiring]) -> tuple[ObjectStore, str]:
    """The store and the key prefix under which the archive lives in it."""
    url = settings.object_store
    if url.startswith("file:"):
        return FilesystemObjectStore(url.removeprefix("file:")), ""
    from vpndiag.clients.oss import OssClient, OssEndpoints, bucket_name
    from vpndiag.store.oss import OssObjectStore

    bucket, _, prefix = url.removeprefix("oss://").partition("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    if not _PREFIX.fullmatch(prefix) or ".." in prefix:
        raise ConfigError("VPNDIAG_OBJECT_STORE", f"prefix {prefix!r} is not a plain folder path")
    _named("VPNDIAG_OBJECT_STORE", bucket_name, bucket)
    wired = wiring()
    client = OssClient(
        session=wired.session,
        credentials=wired.credentials,
        endpoints=OssEndpoints(settings.network, settings.oss_endpoint, settings.http_proxy),
        region=_storage_region(settings, wired),
        retry=wired.retry,
        timeout=settings.http_timeout,
    )
    return OssObjectStore(client, bucket, deadline=wired.deadline), prefix


def open_log_store(settings: Settings, wiring: Callable[[], Wiring]) -> LogStore:
    url = settings.log_store
    if url.startswith("sqlite:"):
        return SqliteLogStore(url.removeprefix("sqlite:"))
    from vpndiag.clients.sls import SlsClient, SlsEndpoints, logstore_name, project_name
    from vpndiag.store.sls import SlsLogStore

    project, _, logstore = url.removeprefix("sls://").partition("/")
    _named("VPNDIAG_LOG_STORE", project_name, project)
    _named("VPNDIAG_LOG_STORE", logstore_name, logstore.strip("/"))
    wired = wiring()
    client = SlsClient(
        session=wired.session,
        credentials=wired.credentials,
        endpoints=SlsEndpoints(settings.network, settings.sls_endpoint, settings.http_proxy),
        region=_storage_region(settings, wired),
        retry=wired.retry,
        signature=settings.sls_signature,
        timeout=settings.http_timeout,
    )
    return SlsLogStore(client, project, logstore.strip("/"), deadline=wired.deadline)
