"""One deployment: code packages to OSS, the custom event bus, then the stack created or updated
and followed to its end, one line per new stack event.

ROS stack statuses end in ``_IN_PROGRESS`` while an operation runs; CREATE_COMPLETE and
UPDATE_COMPLETE are success, every other settled status (CREATE_FAILED, ROLLBACK_COMPLETE,
UPDATE_FAILED, ...) a failure, whose own events (``*_FAILED`` with ``StatusReason``) say why.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import requests

from vpndiag import errors, identifiers
from vpndiag.clients.oss import OssEndpoints
from vpndiag.credentials import Credentials
from vpndiag.deploy import eventbus, template
from vpndiag.deploy import ros as ros_api
from vpndiag.deploy.code import CodeStore
from vpndiag.deploy.ros import RosClient, Stack, StackEvent
from vpndiag.deploy.rpc import RpcApi, RpcCaller
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy

# The template parameters the tool fills in itself (docs/deploy.md).
CODE_PARAMETERS: Final = {
    "archive": "ArchiveCodeObject",
    "sweep": "SweepCodeObject",
    "report": "ReportCodeObject",
}
CODE_BUCKET_PARAMETER: Final = "CodeBucket"
BUS_PARAMETER: Final = "DiagnosisEventBus"
SUCCEEDED: Final = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})
# ROS stack names: letters, digits, "-" and "_", starting with a letter or digit, up to 255.
_STACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,254}")
# Just after CreateStack, GetStack can briefly answer StackNotFound (inferred: eventual
# consistency of the control plane, as deployment scripts for ROS tolerate it).
_NOT_FOUND_TOLERANCE: Final = 3


class DeployFailed(errors.VpndiagError):
    """The stack did not reach CREATE_COMPLETE / UPDATE_COMPLETE; ``reasons`` are its own."""

    def __init__(self, stack: Stack | None, problem: str, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(problem)
        self.stack = stack
        self.reasons = reasons


@dataclass(frozen=True)
class Target:
    """Where and as whom to deploy."""

    region: str
    credentials: Callable[[], Credentials]
    ros_endpoint: str
    eventbridge_endpoint: str
    oss: OssEndpoints
    session: requests.Session
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(frozen=True)
class Deployment:
    stack_name: str
    code_bucket: str
    template: str
    packages: Mapping[str, Path]
    parameters: Mapping[str, str] = field(default_factory=dict)
    timeout_minutes: int = 30
    poll_interval: float = 5.0


def stack_parameters(
    deployment: Deployment, declared: Mapping[str, str | None], code_objects: Mapping[str, str]
) -> dict[str, str]:
    """The user's parameters, plus the code bucket and objects the tool owns."""
    owned = {CODE_BUCKET_PARAMETER, *CODE_PARAMETERS.values()}
    clash = sorted(owned & set(deployment.parameters))
    if clash:
        raise errors.ConfigError("--parameter", f"{', '.join(clash)} is set by vpndiag deploy")
    given = {
        **deployment.parameters,
        CODE_BUCKET_PARAMETER: deployment.code_bucket,
        **{CODE_PARAMETERS[f]: key for f, key in code_objects.items()},
    }
    template.check_parameters(declared, given)
    return given


def event_line(event: StackEvent) -> str:
    reason = f"  {event.status_reason}" if event.status_reason else ""
    return (
        f"  {event.created:<20} {event.logical_id:<28} {event.resource_type:<30} "
        f"{event.status}{reason}"
    )


class Deployer:
    def __init__(
        self,
        target: Target,
        *,
        out: Callable[[str], None],
        sleep: Callable[[float], None] = time.sleep,
        token: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._target = target
        self._out = out
        self._sleep = sleep
        self._token = token
        identifiers.region(target.region)

    def _caller(self, service: str, version: str, endpoint: str) -> RpcCaller:
        api = RpcApi(service=service, version=version, endpoint=endpoint)
        t = self._target
        return RpcCaller(api, session=t.session, credentials=t.credentials, retry=t.retry)

    def run(self, deployment: Deployment) -> Stack:
        """Deploy; the settled stack, or DeployFailed with the stack's own reasons."""
        if not _STACK_NAME.fullmatch(deployment.stack_name):
            raise errors.ConfigError(
                "--stack-name", f"{deployment.stack_name!r} is not a stack name"
            )
        declared = template.parameters(deployment.template)
        # Bad parameters stop the run before anything is uploaded or created.
        stack_parameters(deployment, declared, dict.fromkeys(CODE_PARAMETERS, "-"))
        t = self._target
        # One budget for the whole deployment: the stack's own timeout plus the uploads.
        deadline = Deadline.after(deployment.timeout_minutes * 60 + 600)
        objects = self._upload(deployment, deadline)
        parameters = stack_parameters(deployment, declared, objects)
        bus = parameters.get(BUS_PARAMETER) or declared.get(BUS_PARAMETER)
        if bus:
            caller = self._caller(eventbus.SERVICE, eventbus.API_VERSION, t.eventbridge_endpoint)
            created = eventbus.ensure_bus(
                caller, t.region, bus, description="vpndiag diagnosis events", deadline=deadline
            )
            self._out(f"event bus {bus}: {'created' if created else 'exists'}")
        ros = RosClient(
            self._caller(ros_api.SERVICE, ros_api.API_VERSION, t.ros_endpoint), t.region
        )
        stack_id, seen = self._start(ros, deployment, parameters, deadline)
        if stack_id is None:
            return seen
        return self._follow(ros, stack_id, deployment.poll_interval, deadline)

    def _upload(self, deployment: Deployment, deadline: Deadline) -> dict[str, str]:
        t = self._target
        store = CodeStore(
            bucket=deployment.code_bucket,
            region=t.region,
            session=t.session,
            credentials=t.credentials,
            endpoints=t.oss,
            retry=t.retry,
        )
        created = store.ensure_bucket(deadline)
        self._out(f"code bucket {store.bucket}: {'created' if created else 'exists'}")
        objects = {}
        for function in CODE_PARAMETERS:
            package = deployment.packages[function]
            uploaded = store.upload(function, package, deadline)
            state = "uploaded" if uploaded.sent else "unchanged"
            self._out(
                f"  {function}: oss://{store.bucket}/{uploaded.key} ({uploaded.size} bytes, {state})"
            )
            objects[function] = uploaded.key
        return objects

    def _start(
        self,
        ros: RosClient,
        deployment: Deployment,
        parameters: Mapping[str, str],
        deadline: Deadline,
    ) -> tuple[str | None, Stack]:
        """Create or update; (the stack id to follow, or None when nothing changed; the stack)."""
        existing = ros.find_stack(deployment.stack_name, deadline=deadline)
        minutes, token = deployment.timeout_minutes, self._token()
        if existing is None:
            self._out(f"stack {deployment.stack_name}: creating")
            stack_id = ros.create_stack(
                deployment.stack_name,
                deployment.template,
                parameters,
                timeout_minutes=minutes,
                client_token=token,
                deadline=deadline,
            )
            return stack_id, Stack(stack_id, deployment.stack_name, "CREATE_IN_PROGRESS")
        if existing.in_progress:
            raise DeployFailed(existing, f"stack {existing.name} is busy ({existing.status})")
        self._out(
            f"stack {deployment.stack_name}: updating ({existing.stack_id}, {existing.status})"
        )
        try:
            stack_id = ros.update_stack(
                existing.stack_id,
                deployment.template,
                parameters,
                timeout_minutes=minutes,
                client_token=token,
                deadline=deadline,
            )
        except errors.ApiError as exc:
            if _nothing_to_update(exc):
                self._out(f"stack {deployment.stack_name}: up to date")
                return None, existing
            raise
        return stack_id, existing

    def _follow(self, ros: RosClient, stack_id: str, interval: float, deadline: Deadline) -> Stack:
        seen: set[str] = set()
        not_found = 0
        while True:
            try:
                stack = ros.get_stack(stack_id, deadline=deadline)
            except errors.NotFoundError:
                not_found += 1
                if not_found > _NOT_FOUND_TOLERANCE:
                    raise
                self._sleep(interval)
                continue
            # Oldest first. ListStackEvents lists the newest first (inferred from its answers):
            # reversed, the stable sort keeps events of the same second in the order they happened.
            listed = list(ros.stack_events(stack_id, deadline=deadline))[::-1]
            events = sorted(listed, key=lambda e: e.created)
            for event in events:
                if event.event_id not in seen:
                    seen.add(event.event_id)
                    self._out(event_line(event))
            if not stack.in_progress:
                break
            if deadline.remaining() < interval:
                raise DeployFailed(
                    stack, f"stack {stack.name} still {stack.status}: gave up waiting"
                )
            self._sleep(interval)
        if stack.status not in SUCCEEDED:
            reasons = tuple(
                f"{e.logical_id} ({e.resource_type}) {e.status}: {e.status_reason}"
                for e in events
                if e.failed and e.status_reason
            )
            why = f": {stack.status_reason}" if stack.status_reason else ""
            raise DeployFailed(stack, f"stack {stack.name} {stack.status}{why}", reasons)
        self._out(f"stack {stack.name}: {stack.status}")
        for key, value in sorted(stack.outputs.items()):
            self._out(f"  {key} = {value}")
        return stack


def _nothing_to_update(exc: errors.ApiError) -> bool:
    """ROS refusing an update that changes nothing (inferred: code NotSupported with a message
    saying so; the API reference lists no dedicated code)."""
    text = exc.message.lower()
    return exc.code == "NotSupported" and ("no change" in text or "not changed" in text)
