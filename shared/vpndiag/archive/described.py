"""The diagnosed connection as DescribeVpnConnections describes it, taken once per diagnosis.

The diagnosis itself names no tunnel, gateway name or peer address; the connection's description
does, but it changes from one call to the next (a tunnel comes up, a connection is renamed). So it
is taken once, when the diagnosis is first archived, and kept beside it (``<id>.connection.json``,
create-only); a replay or a concurrent retry reads the kept one back, and the summary, the health
state and the records built from it are the same bytes every time.

A failure to describe never fails the archive: the outcome is kept with its reason, the summary
goes without names and the tunnels' states stay as they were. The model is keyless by
construction (``vpndiag.model.connection`` drops every key-bearing field at the client boundary).
"""

from __future__ import annotations

import logging
from typing import Final, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from vpndiag.archive.layout import canonical_json
from vpndiag.errors import ApiError, ArchiveConflict, ResponseError, VpndiagError
from vpndiag.http.deadline import Deadline
from vpndiag.model.connection import VpnConnection
from vpndiag.store.objects import ObjectStore

log = logging.getLogger("vpndiag.archive")

NOT_FOUND: Final = "NotFound"


class ConnectionSource(Protocol):
    """``VpcClient.describe_connection``: one request; ``None`` when the connection is unknown."""

    def __call__(
        self, region: str, connection_id: str, *, deadline: Deadline
    ) -> VpnConnection | None: ...


class Described(BaseModel):
    """What describing the connection gave: the connection, or why there is none."""

    model_config = ConfigDict(frozen=True)

    connection: VpnConnection | None
    error: str | None = None  # an error code, the error class, or NotFound


def _ask(
    describe: ConnectionSource, region: str, connection_id: str, deadline: Deadline
) -> Described:
    try:
        found = describe(region, connection_id, deadline=deadline)
    except VpndiagError as exc:
        code = exc.code if isinstance(exc, ApiError) else type(exc).__name__
        log.warning(
            "connection %s not described: %s",
            connection_id,
            code,
            extra={"connection_id": connection_id, "error_code": code},
        )
        return Described(connection=None, error=code)
    if found is None:
        return Described(connection=None, error=NOT_FOUND)
    return Described(connection=found)


def take(
    objects: ObjectStore,
    key: str,
    describe: ConnectionSource,
    *,
    region: str,
    connection_id: str,
    deadline: Deadline,
) -> Described:
    """The kept description at ``key``, or a new one, kept (the first one kept wins)."""
    kept = objects.get(key)
    if kept is None:
        taken = _ask(describe, region, connection_id, deadline)
        try:
            objects.put_if_absent(
                key, canonical_json(taken.model_dump(mode="json")), content_type="application/json"
            )
            return taken
        except ArchiveConflict:
            kept = objects.get(key)  # a concurrent attempt kept its own first: everyone uses it
    if kept is None:
        raise ResponseError("oss", f"{key} vanished after a conflicting write", retryable=True)
    try:
        return Described.model_validate_json(kept)
    except ValidationError:
        raise ResponseError(
            "oss", f"{key} is not a connection description", retryable=True
        ) from None
