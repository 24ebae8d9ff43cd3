"""Fault injection: make chosen requests fail the ways real networks and services fail.

Kinds and what the client sees:

- ``throttle``: 400 ``Throttling.User`` "Request was denied due to user flow control." (``status``
  may be 429 or 503, ``code`` may be ``Throttling`` / ``Throttling.Api``); ``retry_after_ms`` adds
  an ``x-acs-retry-after`` header. The request is not processed.
- ``server_error``: 503 ``ServiceUnavailable`` (``status=500`` gives ``InternalError``). Not processed.
- ``error``: any ``code`` + ``status`` (+ ``message``). Not processed. For a code of
  ``RETRYABLE_ERRORS`` the status and message may be left out: the table's are used.
- ``latency``: sleeps ``delay`` real seconds, then the request proceeds normally (and may still
  meet another, non-latency fault).
- ``malformed``: 200 with a body that is not JSON. Not processed.
- ``truncated``: the request IS processed (state changes), then the body is cut in half: the
  "response lost after the server acted" case that idempotency exists for.
- ``drop``: the connection closes with no response at all (``mock()`` raises
  ``requests.exceptions.ConnectionError``). Not processed.

A fault fires ``times`` times (``None``: forever); with ``probability`` < 1 it fires on a draw
from the cloud's seeded generator, so a seeded run fails the same requests every time.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

FaultKind = Literal[
    "throttle", "server_error", "latency", "malformed", "truncated", "drop", "error"
]

_MESSAGES = {
    "Throttling": "Request was denied due to flow control.",
    "Throttling.User": "Request was denied due to user flow control.",
    "Throttling.Api": "Request was denied due to api flow control.",
    "ServiceUnavailable": "The request has failed due to a temporary failure of the server.",
    "InternalError": "The request processing has failed due to some unknown error, exception or "
    "failure.",
}


# The codes a client of the VPC API must treat as "try again later", with the HTTP status and
# message the vendor answers them with. Sources:
# - Terraform provider (aliyun/terraform-provider-alicloud @81c43b6), alicloud/resource_alicloud_vpc.go
#   line 531 retries OperationFailed.LastTokenProcessing, LastTokenProcessing, IncorrectStatus
#   (matched as a substring, so every IncorrectStatus.*), OperationConflict, SystemBusy,
#   ServiceUnavailable; alicloud/errors.go line 207 (NeedRetry) retries ServiceUnavailable and
#   every code containing "Throttling"; alicloud/resource_alicloud_vpn_gateway.go line 436 and
#   resource_alicloud_vpn_connection.go line 698 retry VpnGateway.Configuring.
# - Statuses: LastTokenProcessing 403 "The last token request is processing." (public API error
#   tables, e.g. ECS's); OperationConflict 409 with the VPC reference's text (e.g. VPC
#   AllocateEipSegmentAddress error table, its spelling "previos" kept); VpnGateway.Configuring
#   400 (DiagnoseVpnGateway / GetVpnGatewayDiagnoseResult error tables); ServiceUnavailable 503
#   and Throttling* 400 (the POP gateway's common errors).
# - Inferred: the statuses of OperationFailed.LastTokenProcessing (403, as LastTokenProcessing),
#   SystemBusy and IncorrectStatus.VpnGateway (400), and those two messages.
RETRYABLE_ERRORS: Final[Mapping[str, tuple[int, str]]] = {
    "LastTokenProcessing": (403, "The last token request is processing."),
    "OperationFailed.LastTokenProcessing": (403, "The last token request is processing."),
    "OperationConflict": (409, "Request was denied due to conflict with a previos request."),
    "SystemBusy": (400, "The system is busy. Please try again later."),
    "ServiceUnavailable": (503, _MESSAGES["ServiceUnavailable"]),
    "IncorrectStatus.VpnGateway": (400, "The status of the VPN gateway is incorrect."),
    "Throttling": (400, _MESSAGES["Throttling"]),
    "Throttling.User": (400, _MESSAGES["Throttling.User"]),
    "Throttling.Api": (400, _MESSAGES["Throttling.Api"]),
    "VpnGateway.Configuring": (400, "The specified service is configuring."),
}


@dataclass
class Fault:
    """One injected fault; ``remaining`` counts down as it fires (``None``: unlimited)."""

    service: str
    action: str | None
    kind: FaultKind
    code: str | None
    status: int | None
    message: str | None
    delay: float
    remaining: int | None
    probability: float
    retry_after_ms: int | None

    def error_status(self) -> int:
        """The HTTP status of an error-answer fault."""
        if self.status is not None:
            return self.status
        known = RETRYABLE_ERRORS.get(self.code or "")
        if self.kind == "error" and known is not None:
            return known[0]
        return 503 if self.kind == "server_error" else 400

    def error_code(self) -> str:
        """The error code of an error-answer fault."""
        if self.code is not None:
            return self.code
        if self.kind == "throttle":
            return "Throttling.User"
        return "InternalError" if self.error_status() == 500 else "ServiceUnavailable"

    def error_message(self) -> str:
        """The message of an error-answer fault."""
        code = self.error_code()
        if self.message:
            return self.message
        if code in RETRYABLE_ERRORS:
            return RETRYABLE_ERRORS[code][1]
        return _MESSAGES.get(code, f"Emulated fault {code}.")


@dataclass(frozen=True)
class FaultDraw:
    """What to do to one request: wait ``delay`` seconds, then apply ``fault`` if any."""

    delay: float
    fault: Fault | None


class FaultInjector:
    """Thread-safe list of faults, matched in the order they were added."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        *,
        service: str,
        kind: FaultKind,
        action: str | None = None,
        code: str | None = None,
        status: int | None = None,
        message: str | None = None,
        delay: float = 0.0,
        times: int | None = 1,
        probability: float = 1.0,
        retry_after_ms: int | None = None,
    ) -> Fault:
        """Inject a fault into ``service`` (for ``action``, or any action when ``None``)."""
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {kind!r}")
        if kind == "error" and (code is None or (status is None and code not in RETRYABLE_ERRORS)):
            raise ValueError("an 'error' fault needs both code and status")
        if kind == "latency" and delay <= 0:
            raise ValueError("a 'latency' fault needs a positive delay")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1, or None for unlimited")
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        fault = Fault(
            service=service,
            action=action,
            kind=kind,
            code=code,
            status=status,
            message=message,
            delay=delay,
            remaining=times,
            probability=probability,
            retry_after_ms=retry_after_ms,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> list[Fault]:
        """Faults that can still fire, in matching order."""
        with self._lock:
            return list(self._faults)

    def draw(self, service: str, action: str | None) -> FaultDraw:
        """Consume the faults that fire for this request: the first latency, the first other."""
        delay = 0.0
        chosen: Fault | None = None
        with self._lock:
            for fault in list(self._faults):
                is_latency = fault.kind == "latency"
                if (is_latency and delay) or (not is_latency and chosen is not None):
                    continue
                if not self._fires(fault, service, action):
                    continue
                if is_latency:
                    delay = fault.delay
                else:
                    chosen = fault
        return FaultDraw(delay=delay, fault=chosen)

    def _fires(self, fault: Fault, service: str, action: str | None) -> bool:
        # Called with the lock held.
        if fault.service != service or (fault.action is not None and fault.action != action):
            return False
        if fault.probability < 1.0 and self._rng.random() >= fault.probability:
            return False
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining == 0:
                self._faults.remove(fault)
        return True
