"""State of the emulated FC API for one account in one region: services, functions, triggers,
the async queue, and the dead letters.

Functions come two ways: Python callables registered by tests and demos (``register_function``,
``handler(event: bytes, context)`` returning the response body), or deployed as FC deploys them
(``create_service`` / ``create_function`` with the code package zip, see ``code.py``; this is what
the emulated ROS calls). Synchronous invocations run at once, in the requesting thread.
Asynchronous ones (``enqueue``, timers, EventBridge targets) are queued and run by ``drain()``,
with the platform's semantics:

- a function error is retried ``max_async_retry_attempts`` times (default 3, 0-8: the
  ``MaxAsyncRetryAttempts`` property; so up to 4 runs in all);
- an invocation older than ``max_async_event_age`` seconds (by the cloud's clock) when its turn
  comes is not run any more;
- either way it ends in the dead-letter queue, with its full payload and the last error, shaped
  like FC's failure destination record (``requestContext.approximateInvokeCount`` and so on;
  the exact record shape is inferred), and the record goes to the function's ``OnFailure``
  destination (an MNS queue or a function) if it has one; a success goes to ``OnSuccess``.

A function from a code package runs its initializer once per instance before the first
invocation (one instance per function: a new one after ``update_function``), sees its environment
variables in ``os.environ`` (``environment.py`` says what that means with threads), and gets its
service role's STS keys (``cloud.assume_role``, principal ``fc.aliyuncs.com``) on
``context.credentials``, or, for python3.12 (FC 3.0, no ``context.credentials``), in
``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET`` / ``ALIBABA_CLOUD_SECURITY_TOKEN``. Timers fire on
``run_timers(until)``. A function's timeout is not enforced (threads cannot be stopped).

``drain(workers=N)`` runs the queue in waves on N threads until nothing is left (retries and
invocations enqueued by the handlers themselves included), so hundreds of queued invocations run
concurrently, as a scaled-out platform would run them.
"""

from __future__ import annotations

import json
import re
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal

from vpndiag_emulator.core.clock import format_utc
from vpndiag_emulator.core.credentials import AccessKey
from vpndiag_emulator.mns.models import MnsError

from . import environment, errors
from .code import CodePackage, check_handler, check_zip
from .context import FcContext, FcCredentials, FcFunctionMeta, FcServiceMeta
from .destinations import MnsQueueDestination, parse_destination
from .triggers import TRIGGER_TYPES, Trigger, parse_timer_config

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud

Handler = Callable[[bytes, FcContext], object]
_YEAR: Final = timedelta(days=366)
ASYNC_PAYLOAD_LIMIT: Final = 128 * 1024
SYNC_PAYLOAD_LIMIT: Final = 32 * 1024 * 1024
ERROR_TYPE: Final = "UnhandledInvocationError"
Condition = Literal["RetriesExhausted", "EventAgeExceeded"]
# Only Python runtimes can run in this interpreter; FC has more (refused as not emulated).
PYTHON_RUNTIMES: Final = frozenset({"python3", "python3.9", "python3.10", "python3.12"})
# FC 3.0's python3.12 has no context.credentials: the keys are in the environment.
ENV_CREDENTIAL_RUNTIMES: Final = frozenset({"python3.12"})
ENV_KEY_ID: Final = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_KEY_SECRET: Final = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"  # noqa: S105 - a variable's name
ENV_TOKEN: Final = "ALIBABA_CLOUD_SECURITY_TOKEN"  # noqa: S105 - a variable's name
PLATFORM_PRINCIPAL: Final = "fc.aliyuncs.com"
# Inferred: the platform refreshes a service role's STS keys well before their hour is up.
ROLE_KEY_REUSE: Final = timedelta(minutes=15)
# ROS's naming constraints for ServiceName/FunctionName/TriggerName (1-128 characters; letters,
# digits, "-" and "_", not starting with a digit or "-").
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,127}")


@dataclass(frozen=True)
class AsyncConfig:
    """A function's asynchronous invocation settings (ROS ``AsyncConfiguration``): retries 0-8,
    event age 1-604800 s, and the destination ARNs of ``Destination.OnFailure`` / ``OnSuccess``."""

    max_async_retry_attempts: int = 3
    max_async_event_age: int = 86400
    on_failure: str | None = None
    on_success: str | None = None


@dataclass(frozen=True)
class ServiceConfig:
    name: str
    role_arn: str | None
    log_project: str
    log_store: str
    description: str
    internet_access: bool
    created_at: datetime


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
    runtime: str = "python3.10"
    handler_name: str = "index.handler"
    initializer: str | None = None
    initialization_timeout: int | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    on_failure: str | None = None
    on_success: str | None = None


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


@dataclass(frozen=True)
class DeliveryFailure:
    """A destination record that could not be delivered (missing queue, too large, ...)."""

    destination: str
    request_id: str
    reason: str


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


def _check_async(retries: int, age: int) -> None:
    if not 0 <= retries <= 8:
        raise ValueError("max_async_retry_attempts is 0-8")
    if not 1 <= age <= 604800:
        raise ValueError("max_async_event_age is 1-604800 seconds")


def _check_name(kind: str, name: str) -> None:
    if not _NAME.fullmatch(name):
        raise errors.invalid_argument(
            f"{kind} name {name!r}: 1-128 letters, digits, '-' or '_', not starting with a digit "
            "or '-'"
        )


class _PackagedFunction:
    """One instance of a code-package function: its entry module, its initializer run once."""

    def __init__(self, package: CodePackage) -> None:
        self.package = package
        self._lock = threading.Lock()
        self._initialized = False

    def __call__(self, event: bytes, context: FcContext) -> object:
        self._initialize(context)
        return self.package.handler()(event, context)

    def _initialize(self, context: FcContext) -> None:
        # Concurrent first invocations wait for the one initialization, as on an FC instance; a
        # failed initializer fails the invocation and runs again on the next one.
        with self._lock:
            if self._initialized:
                return
            initializer = self.package.initializer()
            if initializer is not None:
                initializer(context)
            self._initialized = True


@dataclass(frozen=True)
class _Deployment:
    """What ``create_function`` was given, so ``update_function`` can change part of it."""

    code: bytes
    handler: str
    runtime: str
    timeout: int
    memory: int
    environment: Mapping[str, str]
    initializer: str | None
    initialization_timeout: int | None
    async_config: AsyncConfig


class FcBackend:
    """The FC state of one account in one region."""

    def __init__(self, cloud: Cloud, account_id: str, region: str) -> None:
        self._cloud = cloud
        self.account_id = account_id
        self.region = region
        self._lock = threading.Lock()
        self._services: dict[str, ServiceConfig] = {}
        self._functions: dict[tuple[str, str], FunctionConfig] = {}
        self._deployments: dict[tuple[str, str], tuple[_Deployment, CodePackage]] = {}
        self._triggers: dict[tuple[str, str, str], Trigger] = {}
        self._role_keys: dict[str, tuple[AccessKey, datetime]] = {}
        self._queue: list[AsyncInvocation] = []
        self._dead: list[DeadLetter] = []
        self._undelivered: list[DeliveryFailure] = []
        self._runs: list[RunRecord] = []

    # -- configuration: callables (tests, demos) ------------------------------------------------

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
        _check_async(max_async_retry_attempts, max_async_event_age)
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

    # -- configuration: the FC control plane (what ROS deploys) ---------------------------------

    def create_service(
        self,
        name: str,
        *,
        role_arn: str | None = None,
        log_project: str | None = None,
        log_store: str | None = None,
        description: str = "",
        internet_access: bool = True,
    ) -> ServiceConfig:
        """CreateService. ``role_arn``: the role whose STS keys the functions get."""
        _check_name("service", name)
        if bool(log_project) != bool(log_store):
            # Inferred: FC's LogConfig needs both the project and the logstore.
            raise errors.invalid_argument("log config needs both log_project and log_store")
        config = ServiceConfig(
            name,
            role_arn or None,
            log_project or "",
            log_store or "",
            description,
            internet_access,
            self._cloud.clock.now(),
        )
        with self._lock:
            if name in self._services:
                raise errors.service_already_exists(name)
            self._services[name] = config
        return config

    def service(self, name: str) -> ServiceConfig | None:
        with self._lock:
            return self._services.get(name)

    def services(self) -> list[str]:
        with self._lock:
            return list(self._services)

    def delete_service(self, name: str) -> None:
        """DeleteService: refused while the service still has functions."""
        with self._lock:
            if name not in self._services:
                raise errors.service_not_found(name)
            if any(service == name for service, _ in self._functions):
                raise errors.service_not_empty(name)
            del self._services[name]
            self._role_keys.clear()

    def create_function(
        self,
        service: str,
        name: str,
        *,
        code: bytes,
        handler: str,
        runtime: str,
        timeout: int,
        memory: int,
        environment: Mapping[str, str],
        initializer: str | None = None,
        initialization_timeout: int | None = None,
        async_config: AsyncConfig | None = None,
    ) -> FunctionConfig:
        """CreateFunction from a code package zip (``code.py`` says how it runs)."""
        _check_name("function", name)
        with self._lock:
            if service not in self._services:
                raise errors.service_not_found(service)
            if (service, name) in self._functions:
                raise errors.function_already_exists(service, name)
        deployment = _Deployment(
            code,
            handler,
            runtime,
            timeout,
            memory,
            dict(environment),
            initializer,
            initialization_timeout,
            async_config or AsyncConfig(),
        )
        return self._deploy(service, name, deployment)

    def update_function(
        self,
        service: str,
        name: str,
        *,
        code: bytes | None = None,
        handler: str | None = None,
        runtime: str | None = None,
        timeout: int | None = None,
        memory: int | None = None,
        environment: Mapping[str, str] | None = None,
        initializer: str | None = None,
        initialization_timeout: int | None = None,
        async_config: AsyncConfig | None = None,
    ) -> FunctionConfig:
        """UpdateFunction: what is given replaces what was deployed (``None`` keeps it). The
        function gets a new instance: its initializer runs again before the next invocation."""
        with self._lock:
            deployed = self._deployments.get((service, name))
        if deployed is None:
            raise errors.function_not_found(service, name)
        previous = deployed[0]
        deployment = _Deployment(
            previous.code if code is None else code,
            handler or previous.handler,
            runtime or previous.runtime,
            previous.timeout if timeout is None else timeout,
            previous.memory if memory is None else memory,
            previous.environment if environment is None else dict(environment),
            initializer or previous.initializer,
            initialization_timeout or previous.initialization_timeout,
            async_config or previous.async_config,
        )
        return self._deploy(service, name, deployment)

    def delete_function(self, service: str, name: str) -> None:
        """DeleteFunction: refused while the function still has triggers."""
        with self._lock:
            if (service, name) not in self._functions:
                raise errors.function_not_found(service, name)
            if any((s, f) == (service, name) for s, f, _ in self._triggers):
                raise errors.function_not_empty(name)
            del self._functions[(service, name)]
            deployed = self._deployments.pop((service, name), None)
        if deployed is not None:
            deployed[1].close()

    def create_trigger(
        self,
        service: str,
        function: str,
        name: str,
        *,
        trigger_type: str,
        config: Mapping[str, object],
        qualifier: str | None = None,
        invocation_role: str | None = None,
        source_arn: str | None = None,
    ) -> Trigger:
        """CreateTrigger. Timers are checked (keys, cron) and fired by ``run_timers``; the other
        types are stored as configured."""
        _check_name("trigger", name)
        if trigger_type not in TRIGGER_TYPES:
            raise errors.invalid_argument(
                f"trigger type {trigger_type!r} is not one of {', '.join(sorted(TRIGGER_TYPES))}"
            )
        if self.function(service, function) is None:
            raise errors.function_not_found(service, function)
        now = self._cloud.clock.now()
        timer = parse_timer_config(config, anchor=now) if trigger_type == "timer" else None
        trigger = Trigger(
            service,
            function,
            name,
            trigger_type,
            dict(config),
            qualifier or "LATEST",
            invocation_role,
            source_arn,
            now,
            timer,
            last_run=now,
        )
        with self._lock:
            if (service, function, name) in self._triggers:
                raise errors.trigger_already_exists(service, function, name)
            self._triggers[(service, function, name)] = trigger
        return trigger

    def trigger(self, service: str, function: str, name: str) -> Trigger | None:
        with self._lock:
            return self._triggers.get((service, function, name))

    def triggers(self) -> list[Trigger]:
        with self._lock:
            return list(self._triggers.values())

    def delete_trigger(self, service: str, function: str, name: str) -> None:
        with self._lock:
            if self._triggers.pop((service, function, name), None) is None:
                raise errors.trigger_not_found(service, function, name)

    def function(self, service: str, function: str) -> FunctionConfig | None:
        with self._lock:
            return self._functions.get((service, function))

    def function_arn(self, service: str, function: str, qualifier: str = "LATEST") -> str:
        return (
            f"acs:fc:{self.region}:{self.account_id}:services/{service}.{qualifier}"
            f"/functions/{function}"
        )

    # -- the platform: timers -------------------------------------------------------------------

    def run_timers(self, until: datetime) -> int:
        """Fire every enabled timer's due times in (its last run, ``until``] as asynchronous
        invocations, in time order; returns how many fired.

        Disabled timers fire nothing and their missed times are not caught up when re-enabled.
        The invocations are queued now (``drain()`` runs them), so their event age counts from
        this call, as if the platform had run each promptly.
        """
        firings: list[tuple[datetime, Trigger]] = []
        with self._lock:
            timers = [(t, t.timer) for t in self._triggers.values() if t.timer is not None]
            for trigger, timer in timers:
                if until <= trigger.last_run:
                    continue
                if timer.enabled:
                    moments = timer.schedule.fire_times(trigger.last_run, until)
                    firings.extend((moment, trigger) for moment in moments)
                trigger.last_run = until
        firings.sort(key=lambda firing: firing[0])
        for moment, trigger in firings:
            self.enqueue(
                trigger.service,
                trigger.function,
                trigger.timer_event(moment),
                qualifier=trigger.qualifier,
            )
        return len(firings)

    def fire_next_timer(self, service: str, function: str, *, after: datetime) -> datetime:
        """Let the platform's scheduler reach the next fire time, after ``after``, of the one timer
        trigger of ``function`` (queued like ``run_timers``); that time.

        What ``run_timers`` does for one trigger: a demo or a test can bring one function's
        schedule forward without firing every other timer due in between.
        """
        with self._lock:
            timers = [
                t
                for t in self._triggers.values()
                if t.timer is not None and (t.service, t.function) == (service, function)
            ]
        if len(timers) != 1:
            raise ValueError(f"{service}/{function} has {len(timers)} timer triggers, not one")
        trigger = timers[0]
        assert trigger.timer is not None
        start = max(after, trigger.last_run)
        # Every FC cron fires at least once a year: a year bounds the search.
        moment = next(iter(trigger.timer.schedule.fire_times(start, start + _YEAR)), None)
        if moment is None or not trigger.timer.enabled:
            raise ValueError(f"the timer of {service}/{function} never fires")
        with self._lock:
            trigger.last_run = moment
        self.enqueue(service, function, trigger.timer_event(moment), qualifier=trigger.qualifier)
        return moment

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
    def undelivered(self) -> list[DeliveryFailure]:
        """Destination records that could not be delivered."""
        with self._lock:
            return list(self._undelivered)

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

    def _deploy(self, service: str, name: str, deployment: _Deployment) -> FunctionConfig:
        package = self._check(deployment)
        settings = deployment.async_config
        config = FunctionConfig(
            service,
            name,
            _PackagedFunction(package),
            deployment.timeout,
            deployment.memory,
            settings.max_async_retry_attempts,
            settings.max_async_event_age,
            runtime=deployment.runtime,
            handler_name=deployment.handler,
            initializer=deployment.initializer,
            initialization_timeout=deployment.initialization_timeout,
            environment=deployment.environment,
            on_failure=settings.on_failure,
            on_success=settings.on_success,
        )
        with self._lock:
            replaced = self._deployments.get((service, name))
            self._functions[(service, name)] = config
            self._deployments[(service, name)] = (deployment, package)
        if replaced is not None:
            replaced[1].close()
        return config

    @staticmethod
    def _check(deployment: _Deployment) -> CodePackage:
        """Validate a deployment as CreateFunction does; the instance's code, not yet loaded."""
        if deployment.runtime not in PYTHON_RUNTIMES:
            raise errors.unsupported(f"runtime {deployment.runtime!r} (only Python runs here)")
        # Limits: timeout up to 86400 s (FC's documented maximum); memory 128 MB-32 GB in 64 MB
        # steps and an initializer timeout of 1-300 s are inferred from the FC 2.0 console.
        if not 1 <= deployment.timeout <= 86400:
            raise errors.invalid_argument(f"timeout {deployment.timeout} is not 1-86400 seconds")
        if not 128 <= deployment.memory <= 32768 or deployment.memory % 64:
            raise errors.invalid_argument(f"memory {deployment.memory} is not 128-32768 MB by 64")
        timeout = deployment.initialization_timeout
        if timeout is not None and not 1 <= timeout <= 300:
            raise errors.invalid_argument(f"initialization timeout {timeout} is not 1-300 seconds")
        for key, value in deployment.environment.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise errors.invalid_argument(f"environment variable {key!r} must be a string")
        settings = deployment.async_config
        try:
            _check_async(settings.max_async_retry_attempts, settings.max_async_event_age)
        except ValueError as error:
            raise errors.invalid_argument(str(error)) from None
        for arn in (settings.on_failure, settings.on_success):
            if arn is not None:
                parse_destination(arn)
        check_handler(deployment.handler)
        check_zip(deployment.code)
        return CodePackage(deployment.code, deployment.handler, deployment.initializer)

    def _config(self, service: str, function: str) -> FunctionConfig:
        config = self.function(service, function)
        if config is None:
            raise LookupError(f"{service}/{function}")
        return config

    def _attempt(self, invocation: AsyncInvocation) -> Literal["ok", "retry", "dead"]:
        config = self.function(invocation.service, invocation.function)
        now = self._cloud.clock.now()
        if config is None:
            self._bury(invocation, None, "RetriesExhausted", '{"errorMessage": "function deleted"}')
            return "dead"
        if (now - invocation.enqueued_at).total_seconds() > config.max_async_event_age:
            self._bury(invocation, config, "EventAgeExceeded", None)
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
            if config.on_success is not None:
                self._deliver(config.on_success, self._success_record(ran, result), ran.request_id)
            return "ok"
        if ran.runs <= config.max_async_retry_attempts:
            with self._lock:
                self._queue.append(ran)
            return "retry"
        self._bury(ran, config, "RetriesExhausted", result.error)
        return "dead"

    def _bury(
        self,
        invocation: AsyncInvocation,
        config: FunctionConfig | None,
        condition: Condition,
        error: str | None,
    ) -> None:
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
        if config is not None and config.on_failure is not None:
            self._deliver(config.on_failure, letter.record(), invocation.request_id)

    def _success_record(
        self, invocation: AsyncInvocation, result: InvocationResult
    ) -> dict[str, object]:
        # Inferred: the failure record's shape, with condition "Success" and the function's body.
        return {
            "timestamp": format_utc(self._cloud.clock.now()),
            "requestContext": {
                "requestId": invocation.request_id,
                "functionArn": self.function_arn(
                    invocation.service, invocation.function, invocation.qualifier
                ),
                "condition": "Success",
                "approximateInvokeCount": invocation.runs,
            },
            "requestPayload": invocation.payload.decode("utf-8", "replace"),
            "responseContext": {"statusCode": 200, "functionError": ""},
            "responsePayload": result.body.decode("utf-8", "replace"),
        }

    def _deliver(self, arn: str, record: Mapping[str, object], request_id: str) -> None:
        body = json.dumps(record, ensure_ascii=False)
        destination = parse_destination(arn)
        try:
            if isinstance(destination, MnsQueueDestination):
                mns = self._cloud.mns(destination.region, account_id=destination.account_id)
                mns.send_message(destination.queue, body)
                return
            payload = body.encode("utf-8")
            if len(payload) > ASYNC_PAYLOAD_LIMIT:
                raise errors.payload_too_large(len(payload), ASYNC_PAYLOAD_LIMIT)
            target = self._cloud.fc(destination.region, account_id=destination.account_id)
            target.enqueue(
                destination.service, destination.function, payload, qualifier=destination.qualifier
            )
        except (MnsError, errors.FcApiError, LookupError) as error:
            with self._lock:
                self._undelivered.append(DeliveryFailure(arn, request_id, str(error)))

    def _credentials(self, config: FunctionConfig) -> AccessKey | None:
        """The keys the invocation carries: a registered role, or the service role's STS keys."""
        if config.role is not None:
            return config.role
        service = self.service(config.service)
        if service is None or service.role_arn is None:
            return None
        now = self._cloud.clock.now()
        with self._lock:
            cached = self._role_keys.get(service.role_arn)
        if cached is not None and now - cached[1] < ROLE_KEY_REUSE:
            return cached[0]
        key = self._cloud.assume_role(
            service.role_arn,
            # Inferred: FC names the session after the service; the name is not observable.
            session_name=f"fc-{service.name}"[:64],
            principal_service=PLATFORM_PRINCIPAL,
        )
        with self._lock:
            self._role_keys[service.role_arn] = (key, now)
        return key

    def _context(
        self,
        config: FunctionConfig,
        request_id: str,
        qualifier: str,
        key: AccessKey | None,
        attempt: int,
    ) -> FcContext:
        service = self.service(config.service)
        on_context = key is not None and config.runtime not in ENV_CREDENTIAL_RUNTIMES
        return FcContext(
            request_id=request_id,
            credentials=FcCredentials(key.key_id, key.secret, key.security_token or "")
            if on_context and key is not None
            else FcCredentials(),
            function=FcFunctionMeta(
                config.function,
                config.handler_name,
                config.memory,
                config.timeout,
                config.initializer,
            ),
            service=FcServiceMeta(
                config.service,
                log_project=service.log_project if service else "",
                log_store=service.log_store if service else "",
                qualifier=qualifier,
            ),
            region=self.region,
            account_id=self.account_id,
            retry_count=attempt,
        )

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
        variables = dict(config.environment)
        try:
            key = self._credentials(config)
            context = self._context(config, request_id, qualifier, key, attempt)
            if key is not None and config.runtime in ENV_CREDENTIAL_RUNTIMES:
                variables.update(
                    {
                        ENV_KEY_ID: key.key_id,
                        ENV_KEY_SECRET: key.secret,
                        ENV_TOKEN: key.security_token or "",
                    }
                )
            with environment.overlay(variables):
                body = _body(config.handler(payload, context))
        except Exception as exc:
            # The function's failure is the answer (FC's UnhandledInvocationError), not a crash
            # of the emulator: any exception a handler raises is the case being emulated. So is a
            # role the platform cannot assume, or a code package whose module does not import.
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
