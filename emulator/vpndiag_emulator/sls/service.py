"""The SLS service as the core routes to it: host names, authentication, operations, JSON errors.

SLS is addressed by host name only (``{project}.{region}[-intranet].log.aliyuncs.com``): through
``mock()``, through the emulator as HTTP proxy, or sent to the loopback address with that name in
``Host`` (what the app's client does with an IP endpoint). A request naming no project cannot be
answered, so the service claims nothing by shape.

Faults: ``throttle`` answers as SLS throttles, 403 ``WriteQuotaExceed`` (``ReadQuotaExceed`` for
GetLogs), and ``server_error`` as 503 ``ServerBusy`` (``status=500``: ``InternalServerError``);
``error`` faults send their code as given (``ShardWriteQuotaExceed``, ...).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import format_datetime
from typing import TYPE_CHECKING

from vpndiag_emulator.core.wire import EmulatedRequest, EmulatedResponse

from . import errors
from .admin import LOGSTORE_ADMIN_HANDLERS, PROJECT_HANDLERS
from .auth import authenticate
from .errors import SlsError
from .responses import LOGSTORE_HANDLERS, Handler, SlsCall
from .urls import HOST_PATTERN, parse_host

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud

_PATH = re.compile(r"/logstores/(?P<logstore>[^/]+)(?P<rest>/.*)?")
# The core's fault codes (POP RPC's), as SLS spells the same conditions.
_FAULT_CODES = {
    "ServiceUnavailable": (503, "ServerBusy"),
    "InternalError": (500, "InternalServerError"),
}


@dataclass(frozen=True)
class Target:
    """The project, region and logstore a request names, and its operation."""

    project: str
    region: str
    logstore: str
    action: str
    handler: Handler


def locate(request: EmulatedRequest) -> Target:
    """Read the project and region from the host, the logstore and operation from the path.

    ``logstore`` is empty for operations on the project itself (``admin.PROJECT_HANDLERS``).
    """
    host = parse_host(request.hostname)
    if host is None or host.project is None:
        raise errors.not_implemented(f"{request.method} {request.path} without a project host")
    on_project = PROJECT_HANDLERS.get((request.method, request.path))
    if on_project is not None:
        return Target(host.project, host.region, "", *on_project)
    match = _PATH.fullmatch(request.path)
    if not match:
        raise errors.not_implemented(f"{request.method} {request.path}")
    rest = match["rest"] or ""
    found = LOGSTORE_HANDLERS.get((request.method, rest))
    # GetLogs and GetLogStore share GET /logstores/{logstore}: GetLogs says ?type=log.
    reads_logs = dict(request.query_params).get("type") == "log"
    if found is None or ((request.method, rest) == ("GET", "") and not reads_logs):
        found = LOGSTORE_ADMIN_HANDLERS.get((request.method, rest))
    if found is None:
        raise errors.not_implemented(f"{request.method} {request.path}")
    return Target(host.project, host.region, match["logstore"], *found)


class SlsService:
    """SLS: implements the core's ``Service`` contract."""

    name = "sls"
    host_pattern: re.Pattern[str] = HOST_PATTERN

    def claims(self, request: EmulatedRequest) -> bool:
        """Never: without the project in the host name there is nothing to address."""
        return False

    def action_of(self, request: EmulatedRequest) -> str | None:
        """``PutLogs``, ``GetLogs``, or a project, logstore or index operation (``admin``)."""
        try:
            return locate(request).action
        except SlsError:
            return None

    def handle(self, cloud: Cloud, request: EmulatedRequest) -> EmulatedResponse:
        """Locate, authenticate and run the operation; every failure becomes a JSON error."""
        now = cloud.clock.now()
        try:
            target = locate(request)
            key = authenticate(
                cloud,
                request,
                region=target.region,
                action=target.action,
                project=target.project,
                logstore=target.logstore,
            )
            backend = cloud.sls(target.region, account_id=key.account_id)
            response = target.handler(
                SlsCall(request, backend, target.project, target.logstore, now)
            )
        except SlsError as error:
            return _render_error(error, {"Date": format_datetime(now, usegmt=True)})
        headers = {
            "Server": "nginx",
            "Date": format_datetime(now, usegmt=True),
            "x-log-requestid": _request_id(),
            **response.headers,
        }
        return EmulatedResponse(status=response.status, body=response.body, headers=headers)

    def error_response(
        self,
        request: EmulatedRequest,
        *,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> EmulatedResponse:
        """An SLS JSON error for an injected fault, the core's codes translated (module doc)."""
        if code.startswith("Throttling"):
            kind = "read" if self.action_of(request) == "GetLogs" else "write"
            status, code = 403, f"{kind.capitalize()}QuotaExceed"
            message = f"Project {kind} quota exceed"
        elif code in _FAULT_CODES:
            status, code = _FAULT_CODES[code]
        return _render_error(SlsError(status, code, message), headers or {})


def sls_service() -> SlsService:
    """The SLS API."""
    return SlsService()


def _request_id() -> str:
    # SLS request ids are 24 upper-case hex digits.
    return secrets.token_hex(12).upper()


def _render_error(error: SlsError, extra: Mapping[str, str]) -> EmulatedResponse:
    body = json.dumps({"errorCode": error.code, "errorMessage": error.message})
    return EmulatedResponse(
        status=error.status,
        body=body.encode("utf-8"),
        headers={
            "Server": "nginx",
            "Content-Type": "application/json",
            "x-log-requestid": _request_id(),
            **extra,
        },
        error_code=error.code,
        detail=error.detail,
    )
