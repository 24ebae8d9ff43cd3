"""State of the emulated FC API for one account in one region: functions, the async queue, and
the dead letters.

Functions are Python callables registered by tests and demos (``handler(event: bytes, context)``
returning the response body). Synchronous invocations run at once, in the requesting thread.
Asynchronous ones are queued and run by ``drain()``, with the platform's semantics:

- a function error is retried ``max_async_retry_attempts`` times (default 3, 0-8: the
  ``MaxAsyncRetryAttempts`` property; so up to 4 runs in all);
- an invocation older than ``max_async_event_age`` seconds (by the cloud's clock) when its turn
  comes is not run any more;
- either way it ends in the dead-letter queue, with its full payload and the last error, shaped
  like FC's failure destination record (``requestContext.approximateInvokeCount`` and so on;
  the exact record shape is inferred).

``drain(workers=N)`` runs the queue in waves on N threads until nothing is left (retries and
invocations enqueued by the handlers themselves included), so hundreds of queued invocations run
concurrently, as a scaled-out platform would run them.
"""

from __future__ import annotations

import json
import threading
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal

from vpndiag_emulator.core.clock import format_utc
from vpndiag_emulator.core.credentials import AccessKey

from .context import FcContext, FcCredentials, FcFunctionMeta, FcServiceMeta

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud

Handler = Callable[[bytes, FcContext], object]
ASYNC_PAYLOAD_LIMIT: Final = 128 * 1024
SYNC_PAYLOAD_LIMIT: Final = 32 * 1024 * 1024
ERROR_TYPE: Final = "UnhandledInvocationError"
Condition = Literal["RetriesExhausted", "EventAgeExceeded"]


@dataclass(frozen=True)
class FunctionConfig:
    service: str
    function: str
    handler: Handler
    timeout: int = 60
    memory: int = 128
    max_async_retry_attempts: int = 3
    max_async_event_age: int = 86400
    role: AccessKey | None = None


@dataclass(frozen=True)
class InvocationResult:
    """A finished run: the body it returned, or the error it raised (``error`` is JSON)."""

    request_id: str
    body: bytes
    error: str | None = None


@dataclass(frozen=True)
class AsyncInvocation:
    request_id: str
    service: str
    function: str
    qualifier: str
    payload: bytes
    enqueued_at: datetime
    runs: int = 0


@dataclass(frozen=True)
class RunRecord:
    """One run of a function, for tests: which, how, and whether it failed."""

    request_id: str
    service: str
    function: str
    mode: Literal["sync", "async"]
    attempt: int
    error: str | None


@dataclass(frozen=True)
class DeadLetter:
    """An asynchronous invocation that will not run again."""

    request_id: str
    function_arn: str
    payload: bytes
    condition: Condition
    runs: int
    error: str | None
    at: datetime

    def record(self) -> dict[str, object]:
        """The failure destination's message body (shape inferred from the FC documentation)."""
        return {
            "timestamp": format_utc(self.at),
            "requestContext": {
                "requestId": self.request_id,
                "functionArn": self.function_arn,
                "condition": self.condition,
                "approximateInvokeCount": self.runs,
            },
            "requestPayload": self.payload.decode("utf-8", "replace"),
            "responseContext": {"statusCode": 200, "functionError": ERROR_TYPE},
            "responsePayload": self.error or "",
        }


@dataclass
class DrainReport:
    """What one ``drain()`` did."""

    succeeded: int = 0
    retried: int = 0
    dead_lettered: int = 0
    waves: int = 0


def _error_body(exc: BaseException) -> str:
    return json.dumps(
        {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "stackTrace": traceback.format_tb(exc.__traceback__),
        }
    )


def _body(result: object) -> bytes:
    if result is None:
        return b""
    if isinstance(result, bytes):
        return result
    if isinstance(result, str):
        return result.encode("utf-8")
    return json.dumps(result).encode("utf-8")


class FcBackend:
    """The FC state of one account in one region."""

    def __init__(self, cloud: Cloud, account_id: str, region: str) -> None:
        self._cloud = cloud
        self.account_id = account_id
        self.region = region
        self._lock = threading.Lock()
        self._functions: dict[tuple[str, str], FunctionConfig] = {}
        self._queue: list[AsyncInvocation] = []
        self._dead: list[DeadLetter] = []
        self._runs: list[RunRecord] = []

    # -- configuration ------------------------------------------------------------------------

    def register_function(
        self,
        service: str,
        function: str,
        handler: Handler,
        *,
        timeout: int = 60,
        memory: int = 128,
        max_async_retry_attempts: int = 3,
        max_async_event_age: int = 86400,
        role: AccessKey | None = None,
    ) -> FunctionConfig:
        """Deploy ``handler`` as ``service/function`` (replacing any earlier one).

        ``role``: the keys the function's context carries (the service role's STS keys).
        """
        if not 0 <= max_async_retry_attempts <= 8:
            raise ValueError("max_async_retry_attempts is 0-8")
        if not 1 <= max_async_event_age <= 604800:
            raise ValueError("max_async_event_age is 1-604800 seconds")
        config = FunctionConfig(
            service,
            function,
            handler,
            timeout,
            memory,
            max_async_retry_attempts,
            max_async_event_age,
            role,
        )
        with self._lock:
            self._functions[(service, function)] = config
        return config

    def function(self, service: str, function: str) -> FunctionConfig | None:
        with self._lock:
            return self._functions.get((service, function))

    def function_arn(self, service: str, function: str, qualifier: str = "LATEST") -> str:
        return (
            f"acs:fc:{self.region}:{self.account_id}:services/{service}.{qualifier}"
            f"/functions/{function}"
        )

    # -- invocations --------------------------------------------------------------------------

    def invoke(
        self, service: str, function: str, payload: bytes, *, qualifier: str = "LATEST"
    ) -> InvocationResult:
        """Run the function now (a synchronous invocation: never retried)."""
        config = self._config(service, function)
        request_id = str(uuid.uuid4())
        return self._run(config, request_id, payload, qualifier, mode="sync", attempt=0)

    def enqueue(
        self, service: str, function: str, payload: bytes, *, qualifier: str = "LATEST"
    ) -> str:
        """Queue an asynchronous invocation; returns its request id."""
        self._config(service, function)
        invocation = AsyncInvocation(
            str(uuid.uuid4()), service, function, qualifier, payload, self._cloud.clock.now()
        )
        with self._lock:
            self._queue.append(invocation)
        return invocation.request_id

    @property
    def pending(self) -> int:
        """Asynchronous invocations waiting to run."""
        with self._lock:
            return len(self._queue)

    @property
    def dead_letters(self) -> list[DeadLetter]:
        with self._lock:
            return list(self._dead)

    @property
    def runs(self) -> list[RunRecord]:
        """Every run so far, in order of completion."""
        with self._lock:
            return list(self._runs)

    def drain(self, *, workers: int = 1) -> DrainReport:
        """Run queued invocations (and their retries) until the queue is empty."""
        report = DrainReport()
        pool = ThreadPoolExecutor(workers, thread_name_prefix="fc-async") if workers > 1 else None
        try:
            while True:
                with self._lock:
                    wave, self._queue = self._queue, []
                if not wave:
                    return report
                report.waves += 1
                outcomes = list(pool.map(self._attempt, wave)) if pool else map(self._attempt, wave)
                for outcome in outcomes:
                    if outcome == "retry":
                        report.retried += 1
                    elif outcome == "dead":
                        report.dead_lettered += 1
                    else:
                        report.succeeded += 1
        finally:
            if pool is not None:
                pool.shutdown(wait=True)

    # -- internals ----------------------------------------------------------------------------

    def _config(self, service: str, function: str) -> FunctionConfig:
        config = self.function(service, function)
        if config is None:
            raise LookupError(f"{service}/{function}")
        return config

    def _attempt(self, invocation: AsyncInvocation) -> Literal["ok", "retry", "dead"]:
        config = self.function(invocation.service, invocation.function)
        now = self._cloud.clock.now()
        if config is None:
            self._bury(invocation, "RetriesExhausted", '{"errorMessage": "function deleted"}')
            return "dead"
        if (now - invocation.enqueued_at).total_seconds() > config.max_async_event_age:
            self._bury(invocation, "EventAgeExceeded", None)
            return "dead"
        result = self._run(
            config,
            invocation.request_id,
            invocation.payload,
            invocation.qualifier,
            mode="async",
            attempt=invocation.runs,
        )
        ran = replace(invocation, runs=invocation.runs + 1)
        if result.error is None:
            return "ok"
        if ran.runs <= config.max_async_retry_attempts:
            with self._lock:
                self._queue.append(ran)
            return "retry"
        self._bury(ran, "RetriesExhausted", result.error)
        return "dead"

    def _bury(self, invocation: AsyncInvocation, condition: Condition, error: str | None) -> None:
        letter = DeadLetter(
            request_id=invocation.request_id,
            function_arn=self.function_arn(
                invocation.service, invocation.function, invocation.qualifier
            ),
            payload=invocation.payload,
            condition=condition,
            runs=invocation.runs,
            error=error,
            at=self._cloud.clock.now(),
        )
        with self._lock:
            self._dead.append(letter)

    def _run(
        self,
        config: FunctionConfig,
        request_id: str,
        payload: bytes,
        qualifier: str,
        *,
        mode: Literal["sync", "async"],
        attempt: int,
    ) -> InvocationResult:
        role = config.role
        context = FcContext(
            request_id=request_id,
            credentials=FcCredentials(role.key_id, role.secret, role.security_token or "")
            if role
            else FcCredentials(),
            function=FcFunctionMeta(
                config.function, "index.handler", config.memory, config.timeout
            ),
            service=FcServiceMeta(config.service, qualifier=qualifier),
            region=self.region,
            account_id=self.account_id,
            retry_count=attempt,
        )
        try:
            body = _body(config.handler(payload, context))
        except Exception as exc:
            # The function's failure is the answer (FC's UnhandledInvocationError), not a crash
            # of the emulator: any exception a handler raises is the case being emulated.
            error = _error_body(exc)
            result = InvocationResult(request_id, error.encode("utf-8"), error)
        else:
            result = InvocationResult(request_id, body)
        record = RunRecord(request_id, config.service, config.function, mode, attempt, result.error)
        with self._lock:
            self._runs.append(record)
        return result


@dataclass
class FcRegistry:
    """Every account's and region's FC backend, and which of them hold a function."""

    cloud: Cloud
    _backends: dict[tuple[str, str], FcBackend] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, account_id: str, region: str) -> FcBackend:
        with self._lock:
            backend = self._backends.get((account_id, region))
            if backend is None:
                backend = self._backends[(account_id, region)] = FcBackend(
                    self.cloud, account_id, region
                )
            return backend

    def locate(self, account_id: str, service: str, function: str) -> list[FcBackend]:
        """The account's backends (regions) where ``service/function`` is registered."""
        with self._lock:
            backends = [b for (a, _), b in self._backends.items() if a == account_id]
        return [b for b in backends if b.function(service, function) is not None]
