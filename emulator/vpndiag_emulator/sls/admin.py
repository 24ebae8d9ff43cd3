"""SLS resource operations over the wire: projects, logstores and indexes.

What a user's own tooling (``aliyun.log.LogClient.create_project``, ``create_logstore``,
``create_index``, ...) sends to set up the logstore it then writes to, as with moto. Paths and
bodies from the SLS API reference and the official SDK (``aliyun/log/logclient.py``):

- CreateProject ``POST /`` ``{"projectName", "description"}``; GetProject ``GET /``;
  DeleteProject ``DELETE /`` (host ``{project}.{endpoint}`` for all three);
- CreateLogStore ``POST /logstores`` ``{"logstoreName", "ttl", "shardCount", ...}``;
  GetLogStore / DeleteLogStore ``GET`` / ``DELETE /logstores/{logstore}``;
- CreateIndex / UpdateIndex / GetIndex / DeleteIndex ``POST`` / ``PUT`` / ``GET`` / ``DELETE
  /logstores/{logstore}/index`` with the index document (``line``, ``keys``) as the body.

Error codes from the API pages: ``ProjectAlreadyExist`` (CreateProject; the English page gives
400, an older copy 404: 400 is used here), ``LogstoreAlreadyExist`` and ``LogstoreInfoInvalid``
(400, CreateLogstore), ``ParameterInvalid`` for a body that is not JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from vpndiag_emulator.core.wire import EmulatedResponse

from . import errors
from .responses import Handler, SlsCall

_JSON_HEADERS: Final = {"Content-Type": "application/json"}
_REQUIRED_LOGSTORE: Final = ("logstoreName", "ttl", "shardCount")


def _body(call: SlsCall) -> dict[str, Any]:
    try:
        parsed = json.loads(call.request.body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise errors.parameter_invalid("The body is not valid json string.") from None
    if not isinstance(parsed, dict):
        raise errors.parameter_invalid("The body is not a JSON object.")
    return parsed


def _answer(document: Mapping[str, object] | None = None) -> EmulatedResponse:
    if document is None:
        return EmulatedResponse(status=200)
    return EmulatedResponse(
        status=200, body=json.dumps(document).encode("utf-8"), headers=_JSON_HEADERS
    )


def create_project(call: SlsCall) -> EmulatedResponse:
    """CreateProject: the host names the project; the body must name the same one."""
    body = _body(call)
    named = body.get("projectName")
    if named != call.project:
        raise errors.parameter_invalid(
            f"projectName {named!r} differs from the project in the host ({call.project!r})"
        )
    call.backend.create_project_once(call.project, str(body.get("description", "")))
    return _answer()


def get_project(call: SlsCall) -> EmulatedResponse:
    """GetProject: name, description, region, status."""
    description = call.backend.project_description(call.project)
    return _answer(
        {
            "projectName": call.project,
            "description": description,
            "region": call.backend.region,
            "status": "Normal",
            "owner": call.backend.account_id,
        }
    )


def delete_project(call: SlsCall) -> EmulatedResponse:
    """DeleteProject: the project and every logstore in it."""
    call.backend.delete_project(call.project)
    return _answer()


def create_logstore(call: SlsCall) -> EmulatedResponse:
    """CreateLogStore: name, ttl and shard count required; every other setting kept as sent."""
    body = _body(call)
    missing = [name for name in _REQUIRED_LOGSTORE if name not in body]
    if missing:
        raise errors.SlsError(400, "LogstoreInfoInvalid", f"missing {', '.join(missing)}")
    ttl, shards = body["ttl"], body["shardCount"]
    # Ranges from the CreateLogstore page: ttl 1-3650 days, shardCount 1-100 (bool is no number).
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 1 <= ttl <= 3650:
        raise errors.SlsError(400, "LogstoreInfoInvalid", f"ttl {ttl!r} is not within 1-3650")
    if not isinstance(shards, int) or isinstance(shards, bool) or not 1 <= shards <= 100:
        raise errors.SlsError(400, "LogstoreInfoInvalid", f"shardCount {shards!r} not within 1-100")
    name = str(body["logstoreName"])
    settings = {key: value for key, value in body.items() if key != "logstoreName"}
    call.backend.create_logstore_once(call.project, name, settings)
    return _answer()


def get_logstore(call: SlsCall) -> EmulatedResponse:
    """GetLogStore: the settings the logstore was created with."""
    settings = call.backend.logstore_settings(call.project, call.logstore)
    return _answer({"logstoreName": call.logstore, **settings})


def delete_logstore(call: SlsCall) -> EmulatedResponse:
    """DeleteLogStore: the logstore, its logs and its index."""
    call.backend.delete_logstore(call.project, call.logstore)
    return _answer()


def _index_document(call: SlsCall) -> dict[str, Any]:
    body = _body(call)
    if "line" not in body and "keys" not in body:
        raise errors.parameter_invalid("an index needs a full-text (line) or field (keys) index")
    return body


def create_index(call: SlsCall) -> EmulatedResponse:
    """CreateIndex: the index document kept as sent."""
    call.backend.set_index(call.project, call.logstore, _index_document(call), create=True)
    return _answer()


def update_index(call: SlsCall) -> EmulatedResponse:
    """UpdateIndex: replaces the index document."""
    call.backend.set_index(call.project, call.logstore, _index_document(call), create=False)
    return _answer()


def get_index(call: SlsCall) -> EmulatedResponse:
    """GetIndex: the index document as last sent."""
    found = call.backend.index(call.project, call.logstore)
    if found is None:
        raise errors.SlsError(404, "IndexConfigNotExist", f"index of {call.logstore} not exist")
    return _answer(found)


def delete_index(call: SlsCall) -> EmulatedResponse:
    """DeleteIndex: the logstore keeps its logs and loses its index."""
    call.backend.drop_index(call.project, call.logstore)
    return _answer()


PROJECT_HANDLERS: Final[Mapping[tuple[str, str], tuple[str, Handler]]] = {
    ("POST", "/"): ("CreateProject", create_project),
    ("GET", "/"): ("GetProject", get_project),
    ("DELETE", "/"): ("DeleteProject", delete_project),
    ("POST", "/logstores"): ("CreateLogStore", create_logstore),
}
"""Operations on a project itself, by (method, path)."""

LOGSTORE_ADMIN_HANDLERS: Final[Mapping[tuple[str, str], tuple[str, Handler]]] = {
    # GET /logstores/{logstore} without ?type=log (which is GetLogs): see ``service.locate``.
    ("GET", ""): ("GetLogStore", get_logstore),
    ("DELETE", ""): ("DeleteLogStore", delete_logstore),
    ("POST", "/index"): ("CreateIndex", create_index),
    ("PUT", "/index"): ("UpdateIndex", update_index),
    ("GET", "/index"): ("GetIndex", get_index),
    ("DELETE", "/index"): ("DeleteIndex", delete_index),
}
"""Operations on one logstore's resources, by (method, rest of the path after the logstore)."""
