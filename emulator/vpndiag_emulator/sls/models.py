"""SLS state of one account in one region: projects, their logstores and the logs written.

Each PutLogs stores its LogGroup atomically under the backend's lock: a request lands whole or not
at all, as in the real service. Reading back goes through ``query`` (what GetLogs sees, which can
lag behind writes by ``index_delay``) or ``logs`` (everything stored, for assertions).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from . import errors
from .protobuf import DecodedGroup

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud

_PROJECT = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_LOGSTORE = re.compile(r"[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]")

Row = dict[str, str]
"""One log as GetLogs renders it: ``__time__``, ``__topic__``, ``__source__``, ``__tag__:k`` and
the contents, every value a string."""


@dataclass(frozen=True)
class StoredLog:
    """One log as stored, with its group's topic, source and tags and the time it arrived."""

    time: int
    contents: tuple[tuple[str, str], ...]
    topic: str
    source: str
    tags: tuple[tuple[str, str], ...]
    received: datetime

    def row(self) -> Row:
        """The GetLogs rendering (a key repeated in the contents keeps its last value)."""
        row = {"__time__": str(self.time), "__topic__": self.topic, "__source__": self.source}
        row.update({f"__tag__:{key}": value for key, value in self.tags})
        row.update(self.contents)
        return row


class SlsBackend:
    """The projects of one account in one region."""

    def __init__(self, cloud: Cloud, account_id: str, region: str) -> None:
        self._cloud = cloud
        self.account_id = account_id
        self.region = region
        self._lock = threading.Lock()
        self._projects: dict[str, dict[str, list[StoredLog]]] = {}
        self._index_delay = timedelta()
        self._descriptions: dict[str, str] = {}
        self._settings: dict[tuple[str, str], dict[str, object]] = {}
        self._indexes: dict[tuple[str, str], dict[str, object]] = {}
        self._configs: dict[tuple[str, str, str], dict[str, object]] = {}

    # -- building the world (tests) ---------------------------------------------------------

    def create_project(self, project: str) -> None:
        """Create an empty project (no-op if it exists)."""
        if not _PROJECT.fullmatch(project):
            raise ValueError(f"invalid project name {project!r}: 3-63 of a-z0-9-")
        with self._lock:
            self._projects.setdefault(project, {})

    def create_logstore(self, project: str, logstore: str) -> None:
        """Create an empty logstore in an existing project (no-op if it exists).

        Every key is queryable, as if the logstore had a full index of all fields.
        """
        if not _LOGSTORE.fullmatch(logstore):
            raise ValueError(f"invalid logstore name {logstore!r}: 3-63 of a-z0-9_-")
        with self._lock:
            if project not in self._projects:
                raise KeyError(f"no project {project} in {self.account_id}/{self.region}")
            self._projects[project].setdefault(logstore, [])

    def create_project_once(self, project: str, description: str = "") -> None:
        """CreateProject: a new empty project; an existing name answers ``ProjectAlreadyExist``."""
        if not _PROJECT.fullmatch(project):
            raise errors.parameter_invalid(f"invalid project name {project!r}")
        with self._lock:
            if project in self._projects:
                raise errors.SlsError(
                    400, "ProjectAlreadyExist", f"Project {project} already exist"
                )
            self._projects[project] = {}
            self._descriptions[project] = description

    def project_description(self, project: str) -> str:
        """The project's description (``ProjectNotExist`` if there is no such project)."""
        with self._lock:
            if project not in self._projects:
                raise errors.project_not_exist(project)
            return self._descriptions.get(project, "")

    def delete_project(self, project: str) -> None:
        """DeleteProject: the project and everything in it."""
        with self._lock:
            if self._projects.pop(project, None) is None:
                raise errors.project_not_exist(project)
            self._descriptions.pop(project, None)
            for key in [k for k in self._settings if k[0] == project]:
                del self._settings[key]
            for key in [k for k in self._indexes if k[0] == project]:
                del self._indexes[key]

    def create_logstore_once(
        self, project: str, logstore: str, settings: Mapping[str, object]
    ) -> None:
        """CreateLogStore: a new logstore with its settings (ttl, shardCount, ...), kept as sent."""
        if not _LOGSTORE.fullmatch(logstore):
            raise errors.SlsError(400, "LogstoreInfoInvalid", f"invalid logstore name {logstore!r}")
        with self._lock:
            stores = self._projects.get(project)
            if stores is None:
                raise errors.project_not_exist(project)
            if logstore in stores:
                raise errors.SlsError(
                    400, "LogstoreAlreadyExist", f"logstore {logstore} already exists"
                )
            stores[logstore] = []
            self._settings[(project, logstore)] = dict(settings)

    def logstore_settings(self, project: str, logstore: str) -> dict[str, object]:
        """What CreateLogStore was given (empty for a logstore made by ``create_logstore``)."""
        with self._lock:
            self._logstore(project, logstore)
            return dict(self._settings.get((project, logstore), {}))

    def delete_logstore(self, project: str, logstore: str) -> None:
        """DeleteLogStore: the logstore, its logs and its index."""
        with self._lock:
            self._logstore(project, logstore)
            del self._projects[project][logstore]
            self._settings.pop((project, logstore), None)
            self._indexes.pop((project, logstore), None)

    def set_index(
        self, project: str, logstore: str, config: Mapping[str, object], *, create: bool
    ) -> None:
        """CreateIndex (``create``: refused if one exists) or UpdateIndex (refused if none)."""
        with self._lock:
            self._logstore(project, logstore)
            exists = (project, logstore) in self._indexes
            if create and exists:
                # Inferred code: the CreateIndex page lists no "already exists" error here.
                raise errors.SlsError(
                    400, "IndexAlreadyExist", f"index of {logstore} already exists"
                )
            if not create and not exists:
                raise errors.SlsError(404, "IndexConfigNotExist", f"index of {logstore} not exist")
            self._indexes[(project, logstore)] = dict(config)

    def drop_index(self, project: str, logstore: str) -> None:
        """DeleteIndex: ``IndexConfigNotExist`` if the logstore has none."""
        with self._lock:
            self._logstore(project, logstore)
            if self._indexes.pop((project, logstore), None) is None:
                raise errors.SlsError(404, "IndexConfigNotExist", f"index of {logstore} not exist")

    def index(self, project: str, logstore: str) -> dict[str, object] | None:
        """The logstore's index configuration as last sent, or None if it has none."""
        with self._lock:
            self._logstore(project, logstore)
            found = self._indexes.get((project, logstore))
            return None if found is None else dict(found)

    def create_config(
        self, project: str, kind: str, name: str, config: Mapping[str, object]
    ) -> None:
        """Store a saved search, dashboard or alert (``kind``) of a project, as given.

        Only kept (as ROS creates them), never run: the emulator evaluates no alerts.
        """
        with self._lock:
            if project not in self._projects:
                raise errors.project_not_exist(project)
            if (project, kind, name) in self._configs:
                # Inferred code, by analogy with ProjectAlreadyExist / LogstoreAlreadyExist.
                raise errors.SlsError(
                    400, f"{kind.capitalize()}AlreadyExist", f"{kind} {name} exists"
                )
            self._configs[(project, kind, name)] = dict(config)

    def config(self, project: str, kind: str, name: str) -> dict[str, object] | None:
        """A stored saved search, dashboard or alert, or None."""
        with self._lock:
            found = self._configs.get((project, kind, name))
            return None if found is None else dict(found)

    def delete_config(self, project: str, kind: str, name: str) -> None:
        """Remove a stored saved search, dashboard or alert (no-op if gone with its project)."""
        with self._lock:
            self._configs.pop((project, kind, name), None)

    def set_index_delay(self, seconds: float) -> None:
        """Make GetLogs see a log only ``seconds`` (of the cloud's clock) after it arrived.

        The real index lags writes by a few seconds: this is the window in which a reader cannot
        yet tell that a write landed.
        """
        if seconds < 0:
            raise ValueError("the index delay cannot be negative")
        with self._lock:
            self._index_delay = timedelta(seconds=seconds)

    def logs(self, project: str, logstore: str) -> list[Row]:
        """Every stored log of a logstore, in arrival order, indexed or not (for assertions)."""
        with self._lock:
            stored = list(self._logstore(project, logstore))
        return [log.row() for log in stored]

    # -- the API's view ---------------------------------------------------------------------

    def check(self, project: str, logstore: str) -> None:
        """Raise ``ProjectNotExist`` / ``LogStoreNotExist`` unless the logstore exists."""
        with self._lock:
            self._logstore(project, logstore)

    def put_logs(self, project: str, logstore: str, group: DecodedGroup) -> None:
        """PutLogs: store every log of the group, all at once."""
        received = self._cloud.clock.now()
        stored = [
            StoredLog(log.time, log.contents, group.topic, group.source, group.tags, received)
            for log in group.logs
        ]
        with self._lock:
            self._logstore(project, logstore).extend(stored)

    def query(
        self,
        project: str,
        logstore: str,
        *,
        from_time: int,
        to_time: int,
        matches: Callable[[Mapping[str, str]], bool],
        offset: int,
        line: int,
        reverse: bool,
    ) -> tuple[list[Row], int]:
        """GetLogs: indexed logs with ``from_time <= time < to_time`` that ``matches`` accepts.

        Returns the page (``line`` rows from ``offset``, by time then arrival, newest first when
        ``reverse``) and the number of matching logs.
        """
        with self._lock:
            visible_until = self._cloud.clock.now() - self._index_delay
            stored = [
                log
                for log in self._logstore(project, logstore)
                if log.received <= visible_until and from_time <= log.time < to_time
            ]
        rows = [row for row in _ordered(stored, reverse) if matches(row)]
        return rows[offset : offset + line], len(rows)

    def _logstore(self, project: str, logstore: str) -> list[StoredLog]:
        # Called with the lock held.
        stores = self._projects.get(project)
        if stores is None:
            raise errors.project_not_exist(project)
        logs = stores.get(logstore)
        if logs is None:
            raise errors.logstore_not_exist(logstore)
        return logs


def _ordered(stored: Sequence[StoredLog], reverse: bool) -> list[Row]:
    # sorted() is stable: logs of one second keep their arrival order (reversed for reverse).
    ordered = sorted(stored, key=lambda log: log.time)
    if reverse:
        ordered.reverse()
    return [log.row() for log in ordered]
