"""The SLS (Log Service) API over ``requests``: PutLogs to write records, GetLogs to read them back.

PutLogs bodies are protobuf LogGroups (``sls_protobuf``), deflate-compressed, signed with V1 by
default or V4 on request. Batches always stay inside the strictest published limits: at most
``MAX_LOGS`` logs and ``MAX_RAW_BYTES`` of uncompressed body per request.

PutLogs is not idempotent: a batch sent again after a lost answer is stored twice. So a PutLogs is
retried only when SLS itself refused it with a retryable error code (quota, ``ServerBusy``,
``InternalServerError``), never after a transport failure or a bare 5xx from something in between,
where the batch may have landed. Those go up to the platform's retry, and the archive asks
``GetLogs`` which records landed before writing the rest.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import formatdate
from typing import Any, Final, Literal, NamedTuple
from urllib.parse import urlsplit

import requests

from vpndiag import errors, identifiers
from vpndiag.clients.endpoints import Network, addressed_directly, virtual_hosted
from vpndiag.clients.sls_protobuf import Log, group_trailer, log_entry
from vpndiag.credentials import Credentials
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import send
from vpndiag.signing import sls as signer
from vpndiag.signing.percent import encode

SERVICE = "sls"
API_VERSION = "0.6.0"
MAX_LOGS: Final = 4096
MAX_RAW_BYTES: Final = 3 * 1024 * 1024
# The published limits keep each value under 1 MB; refusing a longer one here is the only way the
# archive knows it was not stored whole.
MAX_VALUE_BYTES: Final = 1024 * 1024
GETLOGS_PAGE: Final = 100
Signature = Literal["v1", "v4"]
Json = dict[str, Any]

_PROJECT = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_LOGSTORE = re.compile(r"[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]")
# Level 1 costs a third of the default level's CPU; the bodies are a few KB of text either way.
_DEFLATE_LEVEL = 1


def project_name(value: object) -> str:
    """Return ``value`` if it is an SLS project name (3-63 of ``a-z0-9-``, alphanumeric ends)."""
    if not isinstance(value, str) or not _PROJECT.fullmatch(value):
        raise errors.InvalidIdentifier("sls project", str(value))
    return value


def logstore_name(value: object) -> str:
    """Return ``value`` if it is a logstore name (3-63 of ``a-z0-9_-``, alphanumeric ends)."""
    if not isinstance(value, str) or not _LOGSTORE.fullmatch(value):
        raise errors.InvalidIdentifier("sls logstore", str(value))
    return value


class LogTooLarge(errors.VpndiagError):
    """One log fits no request (or one of its values passes the value limit); it is never sent.

    ``index`` is its position in the call; ``name`` lets a caller say which record it was.
    """

    def __init__(
        self,
        index: int,
        size: int,
        limit: int,
        *,
        field: str | None = None,
        name: str | None = None,
    ) -> None:
        what = (name or f"log {index}") + (f" field {field!r}" if field else "")
        super().__init__(f"{what} is too large for SLS: {size} bytes, limit {limit}")
        self.index = index
        self.size = size
        self.limit = limit
        self.field = field


@dataclass(frozen=True)
class SlsEndpoints:
    """Where a project is reached: ``{project}.{region}[-intranet].log.aliyuncs.com`` or an override.

    ``network="vpc"`` selects the intranet endpoint (from FC in the project's region). An override
    is a base URL: ``{project}`` and ``{region}`` are filled in; a host name without ``{project}``
    gets ``{project}.`` in front, as the official SDKs do with a regional endpoint; an IP address
    or ``localhost`` (an emulator) cannot carry the project in its name, so the request goes to it
    with the real virtual host name in the ``Host`` header, where the project can be read back.
    """

    network: Network = "public"
    override: str | None = None
    proxy: str | None = None
    _by_ip: bool = field(init=False, repr=False, compare=False, default=False)

    def __post_init__(self) -> None:
        if self.override:
            sample = self.override.replace("{project}", "project")
            direct = addressed_directly("VPNDIAG_SLS_ENDPOINT", self.override, self.proxy, sample)
            object.__setattr__(self, "_by_ip", direct)

    def virtual_host(self, project: str, region: str) -> str:
        suffix = "-intranet" if self.network == "vpc" else ""
        return f"{project}.{region}{suffix}.log.aliyuncs.com"

    def address(self, project: str, region: str) -> tuple[str, str]:
        """Return (base URL, ``Host`` header value) for ``project`` in ``region``."""
        project_name(project)
        identifiers.region(region)
        if not self.override:
            host = self.virtual_host(project, region)
            return f"https://{host}", host
        if self._by_ip:
            base = self.override.rstrip("/").replace("{region}", region)
            return base, self.virtual_host(project, region)
        base = virtual_hosted(self.override, region, "{project}", project)
        return base, urlsplit(base).netloc


_EXACT: Final[dict[str, type[errors.ApiError]]] = {
    "WriteQuotaExceed": errors.ThrottledError,
    "ShardWriteQuotaExceed": errors.ThrottledError,
    "ReadQuotaExceed": errors.ThrottledError,
    "ShardReadQuotaExceed": errors.ThrottledError,
    "ServerBusy": errors.ServerError,
    "InternalServerError": errors.ServerError,
    "SignatureNotMatch": errors.AuthError,
    "Unauthorized": errors.AuthError,
    "RequestTimeExpired": errors.AuthError,
    "InvalidAccessKeyId": errors.AuthError,
    "ProjectNotExist": errors.NotFoundError,
    "LogStoreNotExist": errors.NotFoundError,
    "PostBodyTooLarge": errors.InvalidRequestError,
    "InvalidBodyRawSize": errors.InvalidRequestError,
    "InvalidCompressType": errors.InvalidRequestError,
    "PostBodyInvalid": errors.InvalidRequestError,
}
_BY_STATUS: Final[dict[int, type[errors.ApiError]]] = {
    401: errors.AuthError,
    403: errors.ForbiddenError,
    404: errors.NotFoundError,
    409: errors.ConflictError,
    429: errors.ThrottledError,
}


def error_from(response: requests.Response) -> errors.ApiError:
    """The typed error for a non-2xx answer: JSON ``errorCode`` / ``errorMessage`` + request id."""
    status = response.status_code
    try:
        doc = json.loads(response.content)
    except (ValueError, RecursionError):
        doc = None
    if not isinstance(doc, dict):
        doc = {}
    code = str(doc.get("errorCode") or f"HTTP{status}")
    message = str(doc.get("errorMessage") or "no error body")
    cls = _EXACT.get(code) or _BY_STATUS.get(status)
    if cls is None:
        cls = errors.ServerError if status >= 500 else errors.InvalidRequestError
    return cls(
        service=SERVICE,
        code=code,
        message=message[:500],
        status=status,
        request_id=response.headers.get("x-log-requestid"),
    )


class _Request(NamedTuple):
    """What stays the same across the attempts of one request (the signature does not)."""

    method: str
    url: str
    resource: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _refused(exc: BaseException) -> bool:
    """SLS itself refused the batch (a retryable error code in its body): sending again is safe.

    A code of ``HTTP<status>`` means no SLS error body: a proxy or balancer answered, perhaps after
    SLS stored the batch.
    """
    return isinstance(exc, errors.ApiError) and exc.retryable and not exc.code.startswith("HTTP")


class SlsClient:
    """One region's SLS API. Credentials are asked for at every attempt (STS keys rotate)."""

    def __init__(
        self,
        *,
        session: requests.Session,
        credentials: Callable[[], Credentials],
        endpoints: SlsEndpoints,
        region: str,
        retry: RetryPolicy,
        signature: Signature = "v1",
        timeout: float = 10.0,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._session = session
        self._credentials = credentials
        self._endpoints = endpoints
        self._region = identifiers.region(region)
        self._retry = retry
        self._put_retry = dataclasses.replace(retry, on=_refused)
        self._signature = signature
        self._timeout = timeout
        self._clock = clock
        # The headers every request carries, whatever it is.
        self._common = {"x-log-apiversion": API_VERSION}
        if signature == "v1":
            self._common["x-log-signaturemethod"] = "hmac-sha1"

    def put_logs(
        self,
        project: str,
        logstore: str,
        logs: Sequence[Log],
        *,
        topic: str = "",
        source: str = "",
        tags: Collection[tuple[str, str]] = (),
        deadline: Deadline,
    ) -> int:
        """Write ``logs`` as one LogGroup per request, batched within the limits.

        ``tags`` are LogTags (shown as ``__tag__:<key>``). Every log is encoded and checked before
        anything is sent: one that fits no request raises ``LogTooLarge`` with its position, and
        no request is made. Returns the number of requests sent.
        """
        resource = f"/logstores/{logstore_name(logstore)}/shards/lb"
        base, host = self._endpoints.address(project, self._region)
        trailer = group_trailer(topic, source, tags)
        entries = [log_entry(log) for log in logs]
        room = MAX_RAW_BYTES - len(trailer)
        for index, entry in enumerate(entries):
            _check_size(index, entry, logs[index], room)
        sent = 0
        for batch in _batches(entries, room):
            batch.append(trailer)
            raw = b"".join(batch)
            body = zlib.compress(raw, _DEFLATE_LEVEL)
            headers = {
                "host": host,
                "content-type": "application/x-protobuf",
                "content-md5": hashlib.md5(body, usedforsecurity=False).hexdigest().upper(),
                **self._common,
                "x-log-bodyrawsize": str(len(raw)),
                "x-log-compresstype": "deflate",
            }
            request = _Request("POST", base + resource, resource, {}, headers, body)
            answer = self._put_retry.call(functools.partial(self._once, request), deadline)
            if answer.content:
                # SLS answers a PutLogs with no body; a page from something in between (status
                # 200 or not) leaves unknown whether the batch landed: never resent here, the
                # platform's retry asks GetLogs.
                raise errors.ResponseError(
                    SERVICE,
                    "PutLogs answer has a body: not an answer from SLS",
                    answer.headers.get("x-log-requestid"),
                    retryable=True,
                )
            sent += 1
        return sent

    def get_logs(
        self,
        project: str,
        logstore: str,
        *,
        from_time: int,
        to_time: int,
        query: str = "",
        reverse: bool = False,
        deadline: Deadline,
    ) -> list[Json]:
        """Every log matching ``query`` in [from_time, to_time), read page by page (offset/line).

        An answer marked ``x-log-progress: Incomplete`` is asked again, as the SDKs do: a partial
        answer would make records that did land look missing.
        """
        resource = f"/logstores/{logstore_name(logstore)}"
        base, host = self._endpoints.address(project, self._region)
        params = {
            "type": "log",
            "from": str(from_time),
            "to": str(to_time),
            "line": str(GETLOGS_PAGE),
            "reverse": "true" if reverse else "false",
        }
        if query:
            params["query"] = query
        headers = {
            "host": host,
            "accept-encoding": "identity",
            **self._common,
            "x-log-bodyrawsize": "0",
        }
        rows: list[Json] = []
        offset = 0
        while True:
            page = self._get_page(
                base, resource, {**params, "offset": str(offset)}, headers, deadline
            )
            rows.extend(page)
            if len(page) < GETLOGS_PAGE:
                return rows
            offset += GETLOGS_PAGE

    def _get_page(
        self,
        base: str,
        resource: str,
        params: dict[str, str],
        headers: dict[str, str],
        deadline: Deadline,
    ) -> list[Json]:
        url = f"{base}{resource}?" + "&".join(f"{k}={encode(v)}" for k, v in params.items())
        request = _Request("GET", url, resource, params, headers, b"")

        def attempt(left: float) -> list[Json]:
            response = self._once(request, left)
            request_id = response.headers.get("x-log-requestid")
            if response.headers.get("x-log-progress", "Complete") != "Complete":
                raise errors.ResponseError(
                    SERVICE, "GetLogs answer incomplete", request_id, retryable=True
                )
            try:
                page = json.loads(response.content)
            except (ValueError, RecursionError):
                raise errors.ResponseError(
                    SERVICE, "GetLogs body is not JSON", request_id, retryable=True
                ) from None
            if not isinstance(page, list) or not all(isinstance(row, dict) for row in page):
                raise errors.ResponseError(
                    SERVICE, "GetLogs body is not a list of logs", request_id
                )
            return page

        return self._retry.call(attempt, deadline)

    def _once(self, request: _Request, left: float) -> requests.Response:
        # Signed afresh per attempt: the date moves and the STS keys may have rotated.
        creds = self._credentials()
        now = self._clock()
        headers = dict(request.headers)
        if creds.security_token:
            headers["x-acs-security-token"] = creds.security_token
        if self._signature == "v1":
            headers["date"] = formatdate(now.timestamp(), usegmt=True)
            headers["authorization"] = signer.sign_v1(
                method=request.method,
                resource=request.resource,
                query=request.query,
                headers=headers,
                access_key_id=creds.access_key_id,
                access_key_secret=creds.access_key_secret,
            )
        else:
            headers["x-log-date"] = now.strftime("%Y%m%dT%H%M%SZ")
            headers["x-log-content-sha256"] = (
                hashlib.sha256(request.body).hexdigest() if request.body else signer.EMPTY_SHA256
            )
            headers["authorization"] = signer.sign_v4(
                method=request.method,
                resource=request.resource,
                query=request.query,
                headers=headers,
                region=self._region,
                access_key_id=creds.access_key_id,
                access_key_secret=creds.access_key_secret,
            )
        response = send(
            self._session,
            SERVICE,
            request.method,
            request.url,
            headers=headers,
            body=request.body,
            timeout=min(left, self._timeout),
        )
        if response.status_code >= 300:
            raise error_from(response)
        return response


def _check_size(index: int, entry: bytes, log: Log, room: int) -> None:
    if len(entry) > room:
        raise LogTooLarge(index, len(entry), room)
    # A value can only pass the limit in an entry that does.
    if len(entry) > MAX_VALUE_BYTES:
        for key, value in log.contents:
            size = len(value.encode())
            if size > MAX_VALUE_BYTES:
                raise LogTooLarge(index, size, MAX_VALUE_BYTES, field=key)


def _batches(entries: list[bytes], room: int) -> Iterator[list[bytes]]:
    """Consecutive runs of entries with at most MAX_LOGS entries and ``room`` bytes each."""
    batch: list[bytes] = []
    size = 0
    for entry in entries:
        if batch and (len(batch) == MAX_LOGS or size + len(entry) > room):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += len(entry)
    if batch:
        yield batch
