"""``PutEvents``: read the CloudEvents batch, check it as the bus does, store, answer per entry.

Limits enforced are the strictest the vendor has published (the PutEvents page): at most 16
events, 64 KB per event and 256 KB per request. The success body is the SDK model's:
``{"RequestId", "ResourceOwnerAccountId", "FailedEntryCount", "EntryList"}``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Final

from vpndiag_emulator.core.wire import EmulatedRequest

from . import errors
from .models import EntryResult, EventBridgeBackend

BATCH_CONTENT_TYPE: Final = "application/cloudevents-batch+json"
MAX_EVENTS: Final = 16
MAX_EVENT_BYTES: Final = 64 * 1024
MAX_BODY_BYTES: Final = 256 * 1024
_REQUIRED: Final = ("id", "source", "type", "specversion", "aliyuneventbusname")


def put_events(
    backend: EventBridgeBackend, request: EmulatedRequest, *, request_id: str, now: datetime
) -> dict[str, Any]:
    """Validate the whole batch first (one bad event refuses the request), then publish it."""
    events = _events(request)
    buses = sorted({str(e["aliyuneventbusname"]) for e in events})
    if len(buses) > 1:
        raise errors.several_buses(",".join(buses))
    # The emulator does not see the client's address through either transport: loopback it is.
    results = backend.publish(buses[0], events, now=now, address="127.0.0.1")
    failed = sum(r.error_code is not None for r in results)
    return {
        "RequestId": request_id,
        "ResourceOwnerAccountId": backend.account_id,
        "FailedEntryCount": failed,
        "EntryList": [_entry(r) for r in results],
    }


def _events(request: EmulatedRequest) -> list[dict[str, Any]]:
    media = (request.header("content-type") or "").split(";")[0].strip().lower()
    if media != BATCH_CONTENT_TYPE:
        raise errors.invalid_argument(f"content-type must be {BATCH_CONTENT_TYPE}")
    if len(request.body) > MAX_BODY_BYTES:
        raise errors.invalid_argument(f"body of {len(request.body)} bytes > {MAX_BODY_BYTES}")
    try:
        events = json.loads(request.body)
    except ValueError:
        raise errors.invalid_argument("body is not JSON") from None
    if not isinstance(events, list) or not events:
        raise errors.invalid_argument("body must be a non-empty JSON array of events")
    if len(events) > MAX_EVENTS:
        raise errors.invalid_argument(f"{len(events)} events > {MAX_EVENTS}")
    for index, event in enumerate(events):
        _check_event(index, event)
    return events


def _check_event(index: int, event: object) -> None:
    if not isinstance(event, dict):
        raise errors.invalid_argument(f"event {index} is not an object")
    for name in _REQUIRED:
        if not isinstance(event.get(name), str) or not event[name]:
            raise errors.invalid_argument(f"event {index}: {name} is required")
    if event["specversion"] != "1.0":
        raise errors.invalid_argument(f"event {index}: specversion must be 1.0")
    size = len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > MAX_EVENT_BYTES:
        raise errors.invalid_argument(f"event {index} of {size} bytes > {MAX_EVENT_BYTES}")


def _entry(result: EntryResult) -> dict[str, Any]:
    if result.error_code is None:
        return {"EventId": result.event_id, "TraceId": result.trace_id}
    return {
        "EventId": result.event_id,
        "ErrorCode": result.error_code,
        "ErrorMessage": result.error_message,
    }
