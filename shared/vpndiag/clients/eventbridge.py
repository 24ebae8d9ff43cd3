"""EventBridge data-plane ``PutEvents`` over ``requests``: CloudEvents to a custom bus, in batches.

The wire, from the official SDK (``alibabacloud_eventbridge`` 1.3.8, ``Client.do_request`` and
``put_events_with_options``; signature in ``vpndiag.signing.eventbridge``):

- ``POST https://{accountId}.eventbridge.{region}.aliyuncs.com/openapi/putEvents``, no query: the
  bus is named in each event's ``aliyuneventbusname`` attribute (one bus per request).
- Headers: ``date`` (RFC 1123), ``host``, ``accept``, ``x-acs-signature-nonce``,
  ``x-acs-signature-method: HMAC-SHA1``, ``x-acs-signature-version: 1.0``,
  ``x-eventbridge-version: 2015-06-06``, ``x-eventbridge-regionId``, ``content-type:
  application/cloudevents-batch+json; charset=utf-8``; STS keys add ``x-acs-accesskey-id`` and
  ``x-acs-security-token``.
- Body: a JSON array of CloudEvents, ``data`` inline JSON (``datacontenttype: application/json``).
- 200: ``{"RequestId", "ResourceOwnerAccountId", "FailedEntryCount", "EntryList": [{"EventId",
  "TraceId", "ErrorCode", "ErrorMessage"}]}``; 4xx/5xx: ``{"code", "message", "requestId"}``.

Limits: the product's limits page says 256 KB per event, 16 per batch, 1 MB per batch; the older
PutEvents page says 64 KB, 16 and 256 KB. The stricter set is kept: ``MAX_EVENT_BYTES``,
``MAX_BATCH_EVENTS``, ``MAX_BATCH_BYTES`` (sizes of the serialised JSON).

Retries: the bus stores an event sent twice twice, and consumers de-duplicate by ``source`` + ``id``
(which vpndiag keeps stable), so a request is resent after throttling, a 5xx or a lost answer.
Entries the bus refused are resent alone while their codes are retryable; what still fails is
reported in ``PublishFailed`` with the event ids, after every other batch was tried.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any, Final
from urllib.parse import urlsplit

import requests

from vpndiag import errors, identifiers
from vpndiag.clients.endpoints import Network, addressed_directly, virtual_hosted
from vpndiag.credentials import Credentials
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import send
from vpndiag.signing import eventbridge as signer

SERVICE = "eventbridge"
SETTING = "VPNDIAG_EVENTBRIDGE_ENDPOINT"
PATH: Final = "/openapi/putEvents"
ACTIONS: Final = frozenset({"eventbridge:PutEvents"})
"""The RAM action publishing needs (template.yml grants it on the bus; the template tests check)."""
API_VERSION: Final = "2015-06-06"
CONTENT_TYPE: Final = "application/cloudevents-batch+json; charset=utf-8"
MAX_EVENT_BYTES: Final = 64 * 1024
MAX_BATCH_EVENTS: Final = 16
MAX_BATCH_BYTES: Final = 256 * 1024

_BUS = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,126}")
_EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,127}")
_MAX_LENGTHS: Final = {"source": 128, "type": 64, "subject": 512}
_RETRYABLE_ENTRY_CODES: Final = frozenset(
    {"InternalError", "InternalFailure", "ServiceUnavailable", "TooManyRequests", "Timeout"}
)
# Codes from the product's error-code page (and EventBusNotExist from its open-source core).
_EXACT: Final[dict[str, type[errors.ApiError]]] = {
    "TooManyRequests": errors.ThrottledError,
    "InternalError": errors.ServerError,
    "SignatureDoesNotMatch": errors.AuthError,
    "InvalidAccessKeyId": errors.AuthError,
    "InvalidStsAccessKeyId": errors.AuthError,
    "SecurityTokenInvalid": errors.AuthError,
    "StsAccessIdExpired": errors.AuthError,
    "AccessDenied": errors.ForbiddenError,
    "ServiceAccessDenied": errors.ForbiddenError,
    "EventBusNotExist": errors.NotFoundError,
    "AccountIdNotExist": errors.NotFoundError,
}
_BY_STATUS: Final[dict[int, type[errors.ApiError]]] = {
    401: errors.AuthError,
    403: errors.ForbiddenError,
    404: errors.NotFoundError,
    429: errors.ThrottledError,
}


def bus_name(value: object) -> str:
    """Return ``value`` if it is an event bus name (letters, digits, ``-``; at most 127)."""
    if not isinstance(value, str) or not _BUS.fullmatch(value):
        raise errors.InvalidIdentifier("event bus", str(value))
    return value


class InvalidCloudEvent(errors.VpndiagError, ValueError):
    """An event the bus would refuse; nothing of the call was sent."""

    def __init__(self, index: int, problem: str) -> None:
        super().__init__(f"event {index}: {problem}")
        self.index = index
        self.problem = problem


class EventTooLarge(InvalidCloudEvent):
    """A serialised event over ``MAX_EVENT_BYTES``."""

    def __init__(self, index: int, size: int) -> None:
        super().__init__(index, f"{size} bytes, limit {MAX_EVENT_BYTES}")
        self.size = size


@dataclass(frozen=True)
class EntryFailure:
    """One event the bus refused, with its code."""

    event_id: str
    code: str
    message: str

    @property
    def retryable(self) -> bool:
        return self.code in _RETRYABLE_ENTRY_CODES or self.code.startswith("Throttl")


class PublishFailed(errors.VpndiagError):
    """Some events were refused; the others were published (and are only repeated on a resend).

    Retryable when any refusal code is: the platform's retry resends the whole call, and
    consumers de-duplicate what had landed.
    """

    def __init__(self, bus: str, failures: Sequence[EntryFailure], total: int) -> None:
        listed = ", ".join(f"{f.event_id} ({f.code})" for f in failures[:5])
        more = f" (+{len(failures) - 5} more)" if len(failures) > 5 else ""
        super().__init__(
            f"eventbridge bus {bus}: {len(failures)} of {total} events refused: {listed}{more}"
        )
        self.bus = bus
        self.failures = tuple(failures)
        self.retryable = any(f.retryable for f in failures)


@dataclass(frozen=True)
class PutEventsResult:
    """Every event published, in order, with the trace id the bus gave it."""

    event_ids: tuple[str, ...]
    trace_ids: Mapping[str, str]
    requests: int


@dataclass(frozen=True)
class EventBridgeEndpoints:
    """``{account}.eventbridge.{region}[-vpc].aliyuncs.com``, or an override from configuration.

    An override may hold ``{account}`` and ``{region}``; one naming an IP address or ``localhost``
    (an emulator) is sent the real host name in the ``Host`` header, where the account and region
    can be read back, as in the cloud.
    """

    network: Network = "public"
    override: str | None = None
    proxy: str | None = None
    _by_ip: bool = field(init=False, repr=False, compare=False, default=False)

    def __post_init__(self) -> None:
        if self.override:
            sample = self.override.replace("{account}", "1234567890")
            direct = addressed_directly(SETTING, self.override, self.proxy, sample)
            object.__setattr__(self, "_by_ip", direct)

    def virtual_host(self, account_id: str, region: str) -> str:
        suffix = "-vpc" if self.network == "vpc" else ""
        return f"{account_id}.eventbridge.{region}{suffix}.aliyuncs.com"

    def address(self, account_id: str, region: str) -> tuple[str, str]:
        """Return (base URL, ``Host`` header value) for the account's bus endpoint in ``region``."""
        identifiers.account_id(account_id)
        identifiers.region(region)
        if not self.override:
            host = self.virtual_host(account_id, region)
            return f"https://{host}", host
        if self._by_ip:
            base = self.override.rstrip("/").replace("{region}", region)
            return base, self.virtual_host(account_id, region)
        base = virtual_hosted(self.override, region, "{account}", account_id)
        return base, urlsplit(base).netloc


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class _Batch:
    """Events of one request not yet accepted, as (id, serialised bytes)."""

    pending: list[tuple[str, bytes]]
    traces: dict[str, str] = field(default_factory=dict)
    requests: int = 0


class EventBridgeClient:
    """One account's event buses in one region. Credentials are asked for at every attempt."""

    def __init__(
        self,
        *,
        session: requests.Session,
        credentials: Callable[[], Credentials],
        endpoints: EventBridgeEndpoints,
        region: str,
        account_id: str,
        retry: RetryPolicy,
        timeout: float = 10.0,
        clock: Callable[[], datetime] = _utc_now,
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._session = session
        self._credentials = credentials
        self._region = identifiers.region(region)
        self._base, self._host = endpoints.address(identifiers.account_id(account_id), region)
        self._retry = retry
        self._timeout = timeout
        self._clock = clock
        self._nonce = nonce

    def put_events(
        self, bus: str, events: Sequence[Mapping[str, Any]], deadline: Deadline
    ) -> PutEventsResult:
        """Publish ``events`` (CloudEvent dicts) to ``bus``, batched within the limits.

        ``specversion`` defaults to ``1.0`` and ``datacontenttype`` to ``application/json``;
        ``aliyuneventbusname`` is set to ``bus``. Every event is checked before anything is sent
        (``InvalidCloudEvent``, ``EventTooLarge``). Whole-request errors raise at once (typed
        ``ApiError``s); refused entries raise ``PublishFailed`` after every batch was tried.
        """
        bus_name(bus)
        encoded = [_encode(i, e, bus) for i, e in enumerate(events)]
        published: list[str] = []
        traces: dict[str, str] = {}
        failures: list[EntryFailure] = []
        requests_sent = 0
        for pending in _batches(encoded):
            batch = _Batch(pending)
            try:
                self._retry.call(functools.partial(self._once, batch, bus), deadline)
            except PublishFailed as exc:
                failures.extend(exc.failures)
            requests_sent += batch.requests
            failed = {f.event_id for f in failures}
            published.extend(i for i, _ in pending if i in batch.traces and i not in failed)
            traces.update(batch.traces)
        if failures:
            raise PublishFailed(bus, failures, len(encoded))
        return PutEventsResult(tuple(published), traces, requests_sent)

    def _once(self, batch: _Batch, bus: str, left: float) -> None:
        """Send what is pending; keep only refused entries pending, raising if there are any."""
        body = b"[" + b",".join(data for _, data in batch.pending) + b"]"
        headers = self._signed_headers()
        batch.requests += 1
        response = send(
            self._session,
            SERVICE,
            "POST",
            self._base + PATH,
            headers=headers,
            body=body,
            timeout=min(left, self._timeout),
        )
        if response.status_code >= 300:
            raise _error_from(response)
        answer = _decode(response)
        refused = _refused(answer, [i for i, _ in batch.pending])
        for entry in answer.get("EntryList") or []:
            if isinstance(entry, dict) and not entry.get("ErrorCode") and entry.get("EventId"):
                batch.traces[str(entry["EventId"])] = str(entry.get("TraceId") or "")
        for event_id, _ in batch.pending:
            if event_id not in refused:
                batch.traces.setdefault(event_id, "")
        if refused:
            batch.pending = [(i, d) for i, d in batch.pending if i in refused]
            raise PublishFailed(bus, list(refused.values()), len(batch.pending))

    def _signed_headers(self) -> dict[str, str]:
        # Signed afresh per attempt: a resend needs a new nonce and a current date.
        creds = self._credentials()
        headers = {
            "host": self._host,
            "date": format_datetime(self._clock().astimezone(timezone.utc), usegmt=True),
            "accept": "application/json",
            "content-type": CONTENT_TYPE,
            "x-acs-signature-nonce": self._nonce(),
            "x-acs-signature-method": signer.SIGNATURE_METHOD,
            "x-acs-signature-version": signer.SIGNATURE_VERSION,
            "x-eventbridge-version": API_VERSION,
            "x-eventbridge-regionId": self._region,
        }
        if creds.security_token:
            headers["x-acs-accesskey-id"] = creds.access_key_id
            headers["x-acs-security-token"] = creds.security_token
        headers["authorization"] = signer.sign(
            method="POST",
            path=PATH,
            headers=headers,
            access_key_id=creds.access_key_id,
            access_key_secret=creds.access_key_secret,
        )
        return headers


def _encode(index: int, event: Mapping[str, Any], bus: str) -> tuple[str, bytes]:
    """Check one event against the bus's field rules and serialise it compactly."""
    doc = {"specversion": "1.0", "datacontenttype": "application/json", **event}
    doc["aliyuneventbusname"] = bus
    event_id = doc.get("id")
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
        raise InvalidCloudEvent(
            index, "id must be 1-128 letters, digits or '-', alphanumeric first"
        )
    for name in ("source", "type"):
        if not isinstance(doc.get(name), str) or not doc[name]:
            raise InvalidCloudEvent(index, f"{name} is required")
    for name, limit in _MAX_LENGTHS.items():
        value = doc.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise InvalidCloudEvent(index, f"{name} must be a string of at most {limit}")
    try:
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidCloudEvent(index, f"not serialisable as JSON ({exc})") from None
    if len(data) > MAX_EVENT_BYTES:
        raise EventTooLarge(index, len(data))
    return event_id, data


def _batches(encoded: Sequence[tuple[str, bytes]]) -> list[list[tuple[str, bytes]]]:
    """Greedy batches of at most ``MAX_BATCH_EVENTS`` and ``MAX_BATCH_BYTES`` (brackets counted)."""
    batches: list[list[tuple[str, bytes]]] = []
    size = 0
    for item in encoded:
        grow = len(item[1]) + 1  # the comma or a bracket
        if not batches or len(batches[-1]) >= MAX_BATCH_EVENTS or size + grow > MAX_BATCH_BYTES:
            batches.append([])
            size = 1
        batches[-1].append(item)
        size += grow
    return batches


def _decode(response: requests.Response) -> dict[str, Any]:
    try:
        answer = json.loads(response.content)
    except (ValueError, RecursionError):
        raise errors.ResponseError(SERVICE, "PutEvents: body is not JSON", retryable=True) from None
    if not isinstance(answer, dict):
        raise errors.ResponseError(SERVICE, "PutEvents: body is not a JSON object", retryable=True)
    return answer


def _refused(answer: Mapping[str, Any], sent: Sequence[str]) -> dict[str, EntryFailure]:
    """The refused entries by event id.

    When ``FailedEntryCount`` says more failed than the list names, the events the list does not
    account for are counted as refused (code ``Unknown``, resent: duplicates are harmless).
    """
    refused: dict[str, EntryFailure] = {}
    accepted: set[str] = set()
    entries = answer.get("EntryList")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not entry.get("EventId"):
            continue
        event_id = str(entry["EventId"])
        code = entry.get("ErrorCode")
        if code:
            message = str(entry.get("ErrorMessage") or "")[:200]
            refused[event_id] = EntryFailure(event_id, str(code), message)
        else:
            accepted.add(event_id)
    count = answer.get("FailedEntryCount")
    if isinstance(count, int) and count > len(refused):
        for event_id in sent:
            if event_id not in accepted and event_id not in refused:
                refused[event_id] = EntryFailure(event_id, "Unknown", "not in EntryList")
    return refused


def _error_from(response: requests.Response) -> errors.ApiError:
    """The typed error of a refused request: ``code`` / ``message`` / ``requestId`` (any case)."""
    status = response.status_code
    try:
        doc = json.loads(response.content)
    except (ValueError, RecursionError):
        doc = None
    lowered = {str(k).lower(): v for k, v in doc.items()} if isinstance(doc, dict) else {}
    code = str(lowered.get("code") or f"HTTP{status}")
    message = str(lowered.get("message") or "no error body")
    cls = _EXACT.get(code)
    if cls is None and code.startswith("Throttl"):
        cls = errors.ThrottledError
    if cls is None:
        cls = _BY_STATUS.get(status)
    if cls is None:
        cls = errors.ServerError if status >= 500 else errors.InvalidRequestError
    advised = response.headers.get("x-acs-retry-after")
    request_id = lowered.get("requestid")
    return cls(
        service=SERVICE,
        code=code,
        message=message[:500],
        status=status,
        request_id=str(request_id) if request_id else None,
        retry_after=float(advised) / 1000 if advised and advised.isdigit() else None,
    )
