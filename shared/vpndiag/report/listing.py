"""Listing the archive by partition rather than as a whole.

The object store interface lists every key under a prefix. Listed naively, the state tree grows
with every diagnosis ever kept, so the report lists only what the period needs: the folders
directly under ``state/`` (one per connection), then each connection's ``date=`` partitions of
the period. How a partition is best listed differs by store, and is chosen here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date

from vpndiag.store.objects import FilesystemObjectStore, ObjectStore, check_key


def folders(objects: ObjectStore, prefix: str) -> list[str]:
    """The names of the folders directly under ``prefix`` (which ends with ``/``), sorted."""
    if isinstance(objects, FilesystemObjectStore):
        # One directory read, however many objects lie below.
        base = objects.root.joinpath(*check_key(prefix.rstrip("/")).split("/"))
        if not base.is_dir():
            return []
        with os.scandir(base) as entries:
            return sorted(e.name for e in entries if e.is_dir() and not e.name.startswith("."))
    # A key listing without a delimiter: every key below the prefix passes by (one request per
    # 1000 on OSS), which is why the state tree keeps one small folder per connection.
    names = set()
    for key in objects.list(prefix):
        name, slash, _ = key[len(prefix) :].partition("/")
        if slash:
            names.add(name)
    return sorted(names)


def day_keys(objects: ObjectStore, folder: str, days: Sequence[date]) -> list[str]:
    """Every key in the ``date=<day>`` partitions of ``days`` under ``folder``, sorted."""
    wanted = {f"date={day.isoformat()}" for day in days}
    if isinstance(objects, FilesystemObjectStore):
        # A day is a directory: listing it walks that day only, not the folder's whole history.
        keys = [key for day in sorted(wanted) for key in objects.list(f"{folder}{day}/")]
    else:
        # A prefix per month: one ListObjects request returns a month of hourly keys, where a
        # prefix per day would cost a request per day.
        months = sorted({f"date={day:%Y-%m}" for day in days})
        keys = [
            key
            for month in months
            for key in objects.list(f"{folder}{month}")
            if key[len(folder) :].split("/", 1)[0] in wanted
        ]
    return sorted(keys)
