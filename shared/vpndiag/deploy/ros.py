"""The ROS API (version 2019-09-10) calls a deployment needs: create, update, read and follow a stack.

Request parameter and response field names are the official SDK's (``alibabacloud_ros20190910``):
``StackName``, ``TemplateBody`` (form body), ``Parameters.N.ParameterKey``/``ParameterValue``,
``TimeoutInMinutes``, ``ClientToken``; GetStack's ``Status``,
``StatusReason``, ``Outputs`` (``OutputKey``/``OutputValue``); ListStacks' ``StackName.N`` and
``Stacks``; ListStackEvents' ``Events`` (``EventId``, ``LogicalResourceId``, ``ResourceType``,
``Status``, ``StatusReason``, ``CreateTime``), ``PageNumber``/``PageSize``/``TotalCount``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from vpndiag.deploy.rpc import Json, RpcCaller, flatten
from vpndiag.errors import ResponseError
from vpndiag.http.deadline import Deadline

API_VERSION: Final = "2019-09-10"
SERVICE: Final = "ros"
# The central endpoint serves every region (the RegionId parameter says which); regional ones
# (ros.{region}.aliyuncs.com) answer the same API.
ENDPOINT: Final = "https://ros.aliyuncs.com"
_PAGE_SIZE: Final = 50


@dataclass(frozen=True)
class Stack:
    stack_id: str
    name: str
    status: str
    status_reason: str = ""
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def in_progress(self) -> bool:
        return self.status.endswith("_IN_PROGRESS")


@dataclass(frozen=True)
class StackEvent:
    event_id: str
    logical_id: str
    resource_type: str
    status: str
    status_reason: str
    created: str

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _stack(doc: Json) -> Stack:
    if not doc.get("StackId") or not doc.get("Status"):
        raise ResponseError(SERVICE, "a stack without StackId or Status")
    outputs = {
        _text(o.get("OutputKey")): _text(o.get("OutputValue"))
        for o in doc.get("Outputs") or []
        if isinstance(o, dict)
    }
    return Stack(
        stack_id=_text(doc["StackId"]),
        name=_text(doc.get("StackName")),
        status=_text(doc["Status"]),
        status_reason=_text(doc.get("StatusReason")),
        outputs=outputs,
    )


def _event(doc: Json) -> StackEvent:
    return StackEvent(
        event_id=_text(doc.get("EventId")),
        logical_id=_text(doc.get("LogicalResourceId")),
        resource_type=_text(doc.get("ResourceType")),
        status=_text(doc.get("Status")),
        status_reason=_text(doc.get("StatusReason")),
        created=_text(doc.get("CreateTime")),
    )


def _parameters(parameters: Mapping[str, str]) -> dict[str, str]:
    return flatten(
        "Parameters",
        [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())],
    )


class RosClient:
    def __init__(self, caller: RpcCaller, region: str) -> None:
        self._caller = caller
        self._region = region

    def _call(self, action: str, query: Mapping[str, str], deadline: Deadline, **form: str) -> Json:
        return self._caller.call(
            action, {"RegionId": self._region, **query}, form=form or None, deadline=deadline
        )

    def create_stack(
        self,
        name: str,
        template: str,
        parameters: Mapping[str, str],
        *,
        timeout_minutes: int,
        client_token: str,
        deadline: Deadline,
    ) -> str:
        """Start creating the stack; its id. ``client_token`` makes a retried call start nothing
        twice."""
        query = {
            "StackName": name,
            "TimeoutInMinutes": str(timeout_minutes),
            # DisableRollback is left at its default, false: a failed creation rolls back.
            "ClientToken": client_token,
            **_parameters(parameters),
        }
        body = self._call("CreateStack", query, deadline, TemplateBody=template)
        return self._stack_id(body, "CreateStack")

    def update_stack(
        self,
        stack_id: str,
        template: str,
        parameters: Mapping[str, str],
        *,
        timeout_minutes: int,
        client_token: str,
        deadline: Deadline,
    ) -> str:
        """Start updating the stack to ``template`` with exactly ``parameters`` (the others take
        their defaults: ``UsePreviousParameters`` false)."""
        query = {
            "StackId": stack_id,
            "TimeoutInMinutes": str(timeout_minutes),
            "ClientToken": client_token,
            **_parameters(parameters),
        }
        body = self._call("UpdateStack", query, deadline, TemplateBody=template)
        return self._stack_id(body, "UpdateStack")

    @staticmethod
    def _stack_id(body: Json, action: str) -> str:
        stack_id = body.get("StackId")
        if not isinstance(stack_id, str) or not stack_id:
            raise ResponseError(SERVICE, f"{action}: no StackId", _text(body.get("RequestId")))
        return stack_id

    def get_stack(self, stack_id: str, *, deadline: Deadline) -> Stack:
        return _stack(self._call("GetStack", {"StackId": stack_id}, deadline))

    def find_stack(self, name: str, *, deadline: Deadline) -> Stack | None:
        """The live stack named ``name`` in the region, if there is one (deleted ones do not
        count: a name is free again once its stack is DELETE_COMPLETE)."""
        body = self._call(
            "ListStacks", {"StackName.1": name, "PageSize": str(_PAGE_SIZE)}, deadline
        )
        for doc in body.get("Stacks") or []:
            if isinstance(doc, dict) and doc.get("StackName") == name:
                stack = _stack(doc)
                if stack.status != "DELETE_COMPLETE":
                    return stack
        return None

    def stack_events(self, stack_id: str, *, deadline: Deadline) -> Iterator[StackEvent]:
        """Every event of the stack, all pages."""
        page = 1
        while True:
            query = {"StackId": stack_id, "PageNumber": str(page), "PageSize": str(_PAGE_SIZE)}
            body = self._call("ListStackEvents", query, deadline)
            events = [e for e in body.get("Events") or [] if isinstance(e, dict)]
            yield from (_event(e) for e in events)
            total = body.get("TotalCount")
            if not events or not isinstance(total, int) or page * _PAGE_SIZE >= total:
                return
            page += 1
