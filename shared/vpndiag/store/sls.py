"""The log store on SLS: records become logs of one logstore, read back through GetLogs.

Records of one call are sent as one LogGroup per (topic, source), in their order. ``record_ids``
answers from the index, so the logstore needs an index with ``diagnose_id`` and ``record_id``
(the deployment template creates it); its answer is filtered again here on the exact diagnosis id,
because a text index matches tokens, not whole values.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence

from vpndiag import identifiers
from vpndiag.clients.sls import LogTooLarge, SlsClient, logstore_name, project_name
from vpndiag.clients.sls_protobuf import Log
from vpndiag.http.deadline import Deadline
from vpndiag.store.logs import LogRecord
from vpndiag.store.oss import per_call_deadline

# SLS accepts log times up to 15 minutes ahead: a record may be stamped that far past "now".
_AHEAD = 900


class SlsLogStore:
    """One logstore of one project. ``tags`` are LogTags added to every LogGroup sent."""

    def __init__(
        self,
        client: SlsClient,
        project: str,
        logstore: str,
        *,
        deadline: Callable[[], Deadline] | None = None,
        tags: Collection[tuple[str, str]] = (),
        now: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._project = project_name(project)
        self._logstore = logstore_name(logstore)
        self._deadline = deadline or per_call_deadline()
        self._tags = tags
        self._now = now

    def put(self, records: Sequence[LogRecord], *, deadline: Deadline | None = None) -> None:
        groups: dict[tuple[str, str], list[LogRecord]] = {}
        for record in records:
            groups.setdefault((record.topic, record.source), []).append(record)
        deadline = min(self._deadline(), deadline, key=_expiry) if deadline else self._deadline()
        for (topic, source), group in groups.items():
            try:
                self._client.put_logs(
                    self._project,
                    self._logstore,
                    [Log(r.time, r.contents.items()) for r in group],
                    topic=topic,
                    source=source,
                    tags=self._tags,
                    deadline=deadline,
                )
            except LogTooLarge as exc:
                # The client counts within its call; the archive knows records by id.
                raise LogTooLarge(
                    exc.index,
                    exc.size,
                    exc.limit,
                    field=exc.field,
                    name=f"record {group[exc.index].record_id}",
                ) from None

    def record_ids(self, diagnose_id: str, since: int) -> set[str]:
        # The id is quoted into a query: only a well-formed one may reach it.
        identifiers.diagnose_id(diagnose_id)
        rows = self._client.get_logs(
            self._project,
            self._logstore,
            from_time=since,
            to_time=int(self._now()) + _AHEAD,
            query=f'diagnose_id: "{diagnose_id}"',
            deadline=self._deadline(),
        )
        return {
            row["record_id"]
            for row in rows
            if row.get("diagnose_id") == diagnose_id and isinstance(row.get("record_id"), str)
        }

    def location(self) -> str:
        return f"sls://{self._project}/{self._logstore}"


def _expiry(deadline: Deadline) -> float:
    return deadline.expires_at
