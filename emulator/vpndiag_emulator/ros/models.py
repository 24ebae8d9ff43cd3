"""ROS state of one account in one region: stacks, their resources and events.

Operations run synchronously inside the API call, so that a stack is in its final state when
CreateStack / UpdateStack / DeleteStack returns and a client polling GetStack sees it at once
(deterministic, no background work). The events still record every step ROS goes through:
CREATE_IN_PROGRESS -> CREATE_COMPLETE per resource in dependency order; on a failure the resource's
CREATE_FAILED with the service's reason, the stack's CREATE_FAILED naming that resource, and
(unless DisableRollback) ROLLBACK_IN_PROGRESS, each created resource deleted in reverse order,
ROLLBACK_COMPLETE. Status names are GetStack's (SDK model ``GetStackResponseBody.status``).
StatusReason texts follow ROS's ("Stack CREATE completed successfully"; inferred wording for the
failure ones: "Resource CREATE failed: ...").
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from vpndiag_emulator.core.ids import seeded_rng

from . import errors
from .intrinsics import IntrinsicError, ResourceValues, Scope, evaluate, references
from .provision.base import Provisioned, Target
from .provision.registry import PROVISIONERS

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud


@dataclass(frozen=True)
class StackEvent:
    """One ListStackEvents item (the stack's own events have the stack as resource)."""

    event_id: str
    logical_id: str
    physical_id: str
    resource_type: str
    status: str
    status_reason: str
    created: datetime


@dataclass
class StackResource:
    """A created resource of a stack."""

    logical_id: str
    resource_type: str
    provisioned: Provisioned
    properties: Mapping[str, Any]
    status: str
    status_reason: str
    created: datetime
    updated: datetime


@dataclass
class Stack:
    """One stack: its template, parameters, resources, events and outputs."""

    stack_id: str
    name: str
    region: str
    template: Mapping[str, Any]
    parameters: dict[str, object]
    given: dict[str, str]
    disable_rollback: bool
    timeout_in_minutes: int
    tags: list[dict[str, str]]
    created: datetime
    updated: datetime
    status: str = "CREATE_IN_PROGRESS"
    status_reason: str = ""
    resources: dict[str, StackResource] = field(default_factory=dict)
    events: list[StackEvent] = field(default_factory=list)
    outputs: list[dict[str, object]] = field(default_factory=list)

    @property
    def live(self) -> bool:
        """Not deleted: its name is taken."""
        return self.status != "DELETE_COMPLETE"


def dependencies(template: Mapping[str, Any]) -> dict[str, set[str]]:
    """What each resource depends on: DependsOn, and its Ref, GetAtt and Sub references."""
    resources: Mapping[str, Any] = template.get("Resources") or {}
    names = frozenset(resources)
    needs: dict[str, set[str]] = {}
    for name, body in resources.items():
        depends = body.get("DependsOn", [])
        explicit = {depends} if isinstance(depends, str) else set(depends)
        needs[name] = (explicit | references(body.get("Properties", {}), names)) - {name}
    return needs


def creation_order(template: Mapping[str, Any]) -> list[str]:
    """Resources in an order where each comes after what it depends on (DependsOn, Ref, GetAtt,
    Sub), template order among independent ones. Cycles are refused by validation first."""
    resources: Mapping[str, Any] = template.get("Resources") or {}
    needs = dependencies(template)
    ordered: list[str] = []
    while len(ordered) < len(resources):
        ready = [n for n in resources if n not in ordered and needs[n] <= set(ordered)]
        if not ready:
            raise errors.invalid_template("CircularDependency", "Circular Dependency Found")
        ordered.append(ready[0])
    return ordered


def _with_dependents(replaced: set[str], *graphs: Mapping[str, set[str]]) -> set[str]:
    """``replaced`` and, transitively, every resource that depends on one of them."""
    grown = set(replaced)
    while True:
        more = {n for graph in graphs for n, needs in graph.items() if needs & grown} - grown
        if not more:
            return grown
        grown |= more


class RosBackend:
    """The stacks of one account in one region."""

    def __init__(self, cloud: Cloud, account_id: str, region: str) -> None:
        self._cloud = cloud
        self.account_id = account_id
        self.region = region
        self._lock = threading.RLock()
        self._stacks: dict[str, Stack] = {}
        self._rng = seeded_rng(cloud.seed, "ros", account_id, region)

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _now(self) -> datetime:
        return self._cloud.clock.now().replace(microsecond=0)

    # -- reading ----------------------------------------------------------------------------

    def stack(self, stack_id: str) -> Stack:
        """The stack with this id (deleted ones stay readable as DELETE_COMPLETE; inferred)."""
        with self._lock:
            found = self._stacks.get(stack_id)
        if found is None:
            raise errors.stack_not_found(stack_id)
        return found

    def stacks(self) -> list[Stack]:
        """Every stack, oldest first."""
        with self._lock:
            return list(self._stacks.values())

    def find(self, name: str) -> Stack | None:
        """The live stack of this name, if any."""
        with self._lock:
            return next((s for s in self._stacks.values() if s.live and s.name == name), None)

    # -- operations -------------------------------------------------------------------------

    def create_stack(
        self,
        name: str,
        template: Mapping[str, Any],
        parameters: dict[str, object],
        given: Mapping[str, str],
        *,
        disable_rollback: bool = False,
        timeout_in_minutes: int = 60,
        tags: list[dict[str, str]] | None = None,
    ) -> Stack:
        """Create and deploy a stack (template and parameters already validated and typed)."""
        order = creation_order(template)
        with self._lock:
            if self.find(name) is not None:
                raise errors.stack_exists(name)
            now = self._now()
            stack = Stack(
                stack_id=self._uuid(),
                name=name,
                region=self.region,
                template=template,
                parameters=parameters,
                given=dict(given),
                disable_rollback=disable_rollback,
                timeout_in_minutes=timeout_in_minutes,
                tags=list(tags or []),
                created=now,
                updated=now,
            )
            self._stacks[stack.stack_id] = stack
            self._stack_event(stack, "CREATE_IN_PROGRESS", "Stack CREATE started")
            failure = self._deploy(stack, order, "CREATE")
            if failure is None:
                self._finish(stack, "CREATE_COMPLETE", "Stack CREATE completed successfully")
                return stack
            self._finish(stack, "CREATE_FAILED", failure)
            if not disable_rollback:
                self._stack_event(stack, "ROLLBACK_IN_PROGRESS", failure)
                problem = self._remove_all(stack, "DELETE")
                if problem is None:
                    self._finish(
                        stack, "ROLLBACK_COMPLETE", "Stack ROLLBACK completed successfully"
                    )
                else:
                    self._finish(stack, "ROLLBACK_FAILED", problem)
            return stack

    def update_stack(
        self,
        stack_id: str,
        template: Mapping[str, Any],
        parameters: dict[str, object],
        given: Mapping[str, str],
    ) -> Stack:
        """Replace the template: delete resources it dropped or whose type or evaluated
        properties changed, and every resource depending on one of them, then create what is
        new (a simplification of ROS's in-place updates: every change here is a replacement,
        and a replacement takes its dependents with it, as a function takes its triggers)."""
        order = creation_order(template)
        with self._lock:
            stack = self.stack(stack_id)
            self._check_idle(stack)
            before = dependencies(stack.template)
            stack.template, stack.parameters, stack.given = template, parameters, dict(given)
            self._stack_event(stack, "UPDATE_IN_PROGRESS", "Stack UPDATE started")
            wanted = template.get("Resources") or {}
            scope = self._scope(stack)
            changed = set()
            for logical_id, kept in stack.resources.items():
                body = wanted.get(logical_id)
                if body is not None and body.get("Type") == kept.resource_type:
                    try:
                        if evaluate(body.get("Properties", {}), scope) == kept.properties:
                            continue
                    except IntrinsicError:
                        pass
                changed.add(logical_id)
            replaced = _with_dependents(changed, before, dependencies(template))
            for logical_id in reversed(list(stack.resources)):
                if logical_id not in replaced:
                    continue
                kept = stack.resources[logical_id]
                problem = self._remove(stack, kept, "DELETE")
                if problem is not None:
                    self._finish(stack, "UPDATE_FAILED", problem)
                    return stack
            failure = self._deploy(stack, order, "CREATE")
            if failure is None:
                self._finish(stack, "UPDATE_COMPLETE", "Stack UPDATE completed successfully")
            else:
                self._finish(stack, "UPDATE_FAILED", failure)
            return stack

    def delete_stack(self, stack_id: str) -> None:
        """Delete every resource in reverse creation order, then the stack."""
        with self._lock:
            stack = self.stack(stack_id)
            if not stack.live:
                return
            self._check_idle(stack)
            self._stack_event(stack, "DELETE_IN_PROGRESS", "Stack DELETE started")
            problem = self._remove_all(stack, "DELETE")
            if problem is None:
                self._finish(stack, "DELETE_COMPLETE", "Stack DELETE completed successfully")
            else:
                self._finish(stack, "DELETE_FAILED", problem)

    # -- the engine -------------------------------------------------------------------------

    def _check_idle(self, stack: Stack) -> None:
        if stack.status.endswith("_IN_PROGRESS"):
            raise errors.action_in_progress(stack.name, stack.status.split("_", 1)[0])

    def _target(self, stack: Stack) -> Target:
        return Target(self._cloud, self.account_id, self.region, stack.name)

    def _scope(self, stack: Stack) -> Scope:
        return Scope(
            parameters=stack.parameters,
            pseudo={
                "ALIYUN::StackName": stack.name,
                "ALIYUN::StackId": stack.stack_id,
                "ALIYUN::Region": self.region,
                "ALIYUN::AccountId": self.account_id,
                # inferred: the tenant is the account for a main account's stacks
                "ALIYUN::TenantId": self.account_id,
            },
            conditions=stack.template.get("Conditions") or {},
            mappings=stack.template.get("Mappings") or {},
            resources={
                name: ResourceValues(r.provisioned.physical_id, r.provisioned.attributes)
                for name, r in stack.resources.items()
            },
        )

    def _deploy(self, stack: Stack, order: list[str], action: str) -> str | None:
        """Create each resource not yet created; the failure reason, or None."""
        bodies: Mapping[str, Any] = stack.template.get("Resources") or {}
        for logical_id in order:
            if logical_id in stack.resources:
                continue
            body = bodies[logical_id]
            resource_type = str(body.get("Type"))
            scope = self._scope(stack)
            condition = body.get("Condition")
            try:
                if condition is not None and not scope.condition(str(condition)):
                    continue
                self._event(stack, (logical_id, "", resource_type), f"{action}_IN_PROGRESS", "")
                properties = evaluate(body.get("Properties", {}), scope)
                provisioner = PROVISIONERS.get(resource_type)
                if provisioner is None:
                    raise _Unsupported(f"the emulated ROS cannot create {resource_type} resources")
                provisioned = provisioner.create(self._target(stack), properties)
            except Exception as error:
                reason = _reason(error)
                self._event(stack, (logical_id, "", resource_type), f"{action}_FAILED", reason)
                return f"Resource {action} failed: {logical_id}: {reason}"
            now = self._now()
            stack.resources[logical_id] = StackResource(
                logical_id,
                resource_type,
                provisioned,
                properties,
                f"{action}_COMPLETE",
                "state changed",
                now,
                now,
            )
            self._event(
                stack,
                (logical_id, provisioned.physical_id, resource_type),
                f"{action}_COMPLETE",
                "state changed",
            )
        return None

    def _remove_all(self, stack: Stack, action: str) -> str | None:
        for logical_id in reversed(list(stack.resources)):
            problem = self._remove(stack, stack.resources[logical_id], action)
            if problem is not None:
                return problem
        return None

    def _remove(self, stack: Stack, resource: StackResource, action: str) -> str | None:
        physical = resource.provisioned.physical_id
        self._event(
            stack,
            (resource.logical_id, physical, resource.resource_type),
            f"{action}_IN_PROGRESS",
            "",
        )
        provisioner = PROVISIONERS[resource.resource_type]
        try:
            provisioner.delete(self._target(stack), resource.provisioned, resource.properties)
        except Exception as error:
            reason = _reason(error)
            resource.status, resource.status_reason = f"{action}_FAILED", reason
            self._event(
                stack,
                (resource.logical_id, physical, resource.resource_type),
                f"{action}_FAILED",
                reason,
            )
            return f"Resource {action} failed: {resource.logical_id}: {reason}"
        del stack.resources[resource.logical_id]
        self._event(
            stack,
            (resource.logical_id, physical, resource.resource_type),
            f"{action}_COMPLETE",
            "state changed",
        )
        return None

    def _finish(self, stack: Stack, status: str, reason: str) -> None:
        if status.endswith("_COMPLETE") and status != "DELETE_COMPLETE":
            stack.outputs = self._outputs(stack)
        self._stack_event(stack, status, reason)

    def _outputs(self, stack: Stack) -> list[dict[str, object]]:
        scope = self._scope(stack)
        found: list[dict[str, object]] = []
        for key, output in (stack.template.get("Outputs") or {}).items():
            try:
                value = evaluate(output.get("Value"), scope)
            except IntrinsicError as error:
                value = f"(not available: {error})"
            item: dict[str, object] = {"OutputKey": key, "OutputValue": value}
            if "Description" in output:
                item["Description"] = output["Description"]
            found.append(item)
        return found

    def _stack_event(self, stack: Stack, status: str, reason: str) -> None:
        stack.status, stack.status_reason, stack.updated = status, reason, self._now()
        self._event(stack, (stack.name, stack.stack_id, "ALIYUN::ROS::Stack"), status, reason)

    def _event(
        self,
        stack: Stack,
        resource: tuple[str, str, str],
        status: str,
        reason: str,
    ) -> None:
        """Record an event of ``resource`` (logical id, physical id, type)."""
        logical_id, physical_id, resource_type = resource
        stack.events.append(
            StackEvent(
                self._uuid(), logical_id, physical_id, resource_type, status, reason, self._now()
            )
        )


class _Unsupported(Exception):
    """A resource type the emulator has no provisioner for."""


def _reason(error: Exception) -> str:
    code = getattr(error, "code", None)
    message = getattr(error, "message", None)
    if isinstance(code, str) and isinstance(message, str):
        return f"{code}: {message}"
    return str(error) or type(error).__name__
