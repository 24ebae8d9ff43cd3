"""Open the configured stores from their URLs (``file:``, ``sqlite:``; OSS and SLS later)."""

from __future__ import annotations

from vpndiag.errors import ConfigError
from vpndiag.store.logs import LogStore, SqliteLogStore
from vpndiag.store.objects import FilesystemObjectStore, ObjectStore


def open_object_store(url: str) -> tuple[ObjectStore, str]:
    """The store and the key prefix under which the archive lives in it."""
    if url.startswith("file:"):
        return FilesystemObjectStore(url.removeprefix("file:")), ""
    raise ConfigError("VPNDIAG_OBJECT_STORE", f"unsupported store {url.split(':', 1)[0]!r}")


def open_log_store(url: str) -> LogStore:
    if url.startswith("sqlite:"):
        return SqliteLogStore(url.removeprefix("sqlite:"))
    raise ConfigError("VPNDIAG_LOG_STORE", f"unsupported store {url.split(':', 1)[0]!r}")
