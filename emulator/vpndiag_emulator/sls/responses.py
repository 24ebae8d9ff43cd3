"""SLS operation handlers: PutLogs, GetLogs (``GET ?type=log``) and GetLogsV2 (``POST .../logs``).

PutLogs checks the body the way SLS does before storing anything: ``Content-Type``, ``Content-MD5``,
``x-log-bodyrawsize`` (present, within 3 MB, equal to the decompressed size), the compression
(``deflate`` = zlib, ``lz4`` = a raw LZ4 block), the LogGroup itself, at most 4096 logs, and every
log's time within the last 7 days and at most 15 minutes ahead. One bad log fails the request.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import lz4.block

from vpndiag_emulator.core.wire import EmulatedRequest, EmulatedResponse

from . import errors
from .models import Row, SlsBackend
from .protobuf import ProtobufError, decode_log_group
from .query import parse

MAX_LOGS: Final = 4096
MAX_RAW_BYTES: Final = 3 * 1024 * 1024
MAX_AGE: Final = timedelta(days=7)
MAX_AHEAD: Final = timedelta(minutes=15)
MAX_LINE: Final = 100
_PROTOBUF = "application/x-protobuf"
_JSON = "application/json"


@dataclass(frozen=True)
class SlsCall:
    """One authenticated logstore operation, as a handler sees it."""

    request: EmulatedRequest
    backend: SlsBackend
    project: str
    logstore: str
    now: datetime
    """The cloud's clock when the request arrived."""


Handler = Callable[[SlsCall], EmulatedResponse]


def put_logs(call: SlsCall) -> EmulatedResponse:
    """PutLogs: decode, check and store one LogGroup; 200 with an empty body."""
    request = call.request
    call.backend.check(call.project, call.logstore)
    content_type = (request.header("content-type") or "").split(";")[0].strip()
    if content_type != _PROTOBUF:
        raise errors.invalid_content_type(content_type)
    declared = request.header("content-md5")
    if declared is not None:
        actual = hashlib.md5(request.body, usedforsecurity=False).hexdigest()
        if declared.strip().lower() != actual:
            raise errors.invalid_content_md5(declared)
    raw = _decompress(request)
    try:
        group = decode_log_group(raw)
    except ProtobufError as exc:
        raise errors.post_body_invalid(f"the body is not a LogGroup: {exc}") from None
    if len(group.logs) > MAX_LOGS:
        raise errors.post_body_too_large(
            f"log count {len(group.logs)} exceeds the limit of {MAX_LOGS} per request"
        )
    earliest = int((call.now - MAX_AGE).timestamp())
    latest = int((call.now + MAX_AHEAD).timestamp())
    for index, log in enumerate(group.logs):
        if not earliest <= log.time <= latest:
            raise errors.post_body_invalid(
                f"log {index} time {log.time} is outside [{earliest}, {latest}]: "
                "at most 7 days old and 15 minutes ahead"
            )
    call.backend.put_logs(call.project, call.logstore, group)
    return EmulatedResponse(status=200)


def get_logs(call: SlsCall) -> EmulatedResponse:
    """GetLogs (``GET /logstores/{ls}?type=log``): a JSON array, progress in ``x-log-progress``."""
    params = dict(call.request.query_params)
    if "type" not in params:
        raise errors.not_implemented("GetLogStore")
    if params["type"] != "log":
        raise errors.parameter_invalid("type must be log (histograms are not emulated)")
    rows, count = _query(call, params)
    return EmulatedResponse(
        status=200,
        body=json.dumps(rows, ensure_ascii=False).encode("utf-8"),
        headers={
            "Content-Type": _JSON,
            "x-log-progress": "Complete",
            "x-log-count": str(len(rows)),
            "x-log-processed-rows": str(count),
        },
    )


def get_logs_v2(call: SlsCall) -> EmulatedResponse:
    """GetLogsV2 (``POST /logstores/{ls}/logs``, JSON body): ``{"meta", "data"}``, lz4 on request."""
    try:
        body = json.loads(call.request.body or b"{}")
    except ValueError:
        raise errors.post_body_invalid("the body is not JSON") from None
    if not isinstance(body, dict):
        raise errors.post_body_invalid("the body is not a JSON object")
    params = {k: _param_text(v) for k, v in body.items() if v is not None}
    rows, count = _query(call, params)
    document = {
        "meta": {
            "progress": "Complete",
            "count": len(rows),
            "processedRows": count,
            "elapsedMillisecond": 0,
            "hasSQL": False,
            "whereQuery": params.get("query", ""),
            "aggQuery": "",
            "keys": sorted({key for row in rows for key in row}),
            "terms": [],
        },
        "data": rows,
    }
    raw = json.dumps(document, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": _JSON, "x-log-progress": "Complete"}
    if "lz4" in (call.request.header("accept-encoding") or "").lower():
        headers.update({"x-log-compresstype": "lz4", "x-log-bodyrawsize": str(len(raw))})
        # A raw LZ4 block: lz4.block prefixes the size, which SLS does not send.
        return EmulatedResponse(status=200, body=lz4.block.compress(raw)[4:], headers=headers)
    return EmulatedResponse(status=200, body=raw, headers=headers)


def _param_text(value: object) -> str:
    # JSON booleans come back as the query-string spelling, so both forms read the same.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query(call: SlsCall, params: Mapping[str, str]) -> tuple[list[Row], int]:
    from_time = _integer(params, "from", None)
    to_time = _integer(params, "to", None)
    if from_time >= to_time:
        raise errors.parameter_invalid("from must be less than to")
    line = _integer(params, "line", MAX_LINE)
    offset = _integer(params, "offset", 0)
    if not 0 <= line <= MAX_LINE:
        raise errors.parameter_invalid(f"line must be within [0, {MAX_LINE}]")
    matches = parse(params.get("query", ""))
    topic = params.get("topic")
    return call.backend.query(
        call.project,
        call.logstore,
        from_time=from_time,
        to_time=to_time,
        matches=matches if not topic else lambda row: row["__topic__"] == topic and matches(row),
        offset=offset,
        line=line,
        reverse=params.get("reverse", "false").lower() == "true",
    )


def _integer(params: Mapping[str, str], name: str, default: int | None) -> int:
    text = params.get(name)
    if text is None:
        if default is None:
            raise errors.parameter_invalid(f"{name} is required")
        return default
    try:
        value = int(text)
    except ValueError:
        raise errors.parameter_invalid(f"{name} {text!r} is not an integer") from None
    if value < 0:
        raise errors.parameter_invalid(f"{name} {text!r} is negative")
    return value


def _decompress(request: EmulatedRequest) -> bytes:
    size_text = request.header("x-log-bodyrawsize")
    if size_text is None:
        raise errors.missing_raw_size()
    if not size_text.strip().isdigit():
        raise errors.invalid_raw_size(f"{size_text!r} is not a size")
    size = int(size_text)
    # Checked before decompressing, so that a small body claiming a huge size costs nothing.
    if size > MAX_RAW_BYTES:
        raise errors.post_body_too_large(
            f"body raw size {size} exceeds the limit of {MAX_RAW_BYTES} bytes per request"
        )
    compression = (request.header("x-log-compresstype") or "").strip().lower()
    body = request.body
    if compression == "":
        raw = body
    elif compression == "deflate":
        inflater = zlib.decompressobj()
        try:
            # One byte past the declared size is enough to tell that it lied.
            raw = inflater.decompress(body, size + 1)
        except zlib.error as exc:
            raise errors.post_body_invalid(f"the body is not zlib data: {exc}") from None
    elif compression == "lz4":
        try:
            raw = lz4.block.decompress(body, uncompressed_size=size)
        except lz4.block.LZ4BlockError:
            # A raw block does not record its size: a declared size too small for the data and
            # a corrupt block fail alike.
            raise errors.invalid_raw_size(
                "the lz4 block does not decompress to that size"
            ) from None
    else:
        raise errors.invalid_compress_type(compression)
    if len(raw) != size:
        raise errors.invalid_raw_size(f"declared {size}, decompressed {len(raw)}")
    return raw


LOGSTORE_HANDLERS: Final[Mapping[tuple[str, str], tuple[str, Handler]]] = {
    ("POST", "/shards/lb"): ("PutLogs", put_logs),
    ("POST", "/shards/route"): ("PutLogs", put_logs),
    ("GET", ""): ("GetLogs", get_logs),
    ("POST", "/logs"): ("GetLogs", get_logs_v2),
}
