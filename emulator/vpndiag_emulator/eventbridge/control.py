"""EventBridge's control plane for buses: CreateEventBus, GetEventBus, DeleteEventBus, ListEventBuses.

ROS has no event bus resource type, so a deployment makes its custom bus here first. The wire
contract is the official SDK's (``alibabacloud-eventbridge20200401`` 8.7.0, read, not installed):
POP RPC, version 2020-04-01, host ``eventbridge-console.{region}.aliyuncs.com``, parameters
``EventBusName`` and ``Description``; answers ``{"Code", "Message", "Success", "Data", "RequestId"}``
with ``Data.EventBusARN`` (Create), ``Data.{EventBusName, EventBusARN, Description,
CreateTimestamp}`` (Get) and ``Data.{EventBuses, NextToken, Total}`` (List).

Inferred: ``EventBusNotExist`` (404) for a missing bus is the code the Terraform provider checks;
``EventBusAlreadyExist`` (409) for a taken name and the ARN form
``acs:eventbridge:{region}:{account}:eventbus/{name}`` are the emulator's best reading. The region
comes from ``RegionId`` (which clients send beside the bus name), else cn-hangzhou.
"""

from __future__ import annotations

import re
from typing import Final

from vpndiag_emulator.core.acs_errors import AcsError
from vpndiag_emulator.core.rpc import ActionHandler, JsonObject, RpcCall, RpcService, rpc_params
from vpndiag_emulator.core.wire import EmulatedRequest

VERSION: Final = "2020-04-01"
HOST_PATTERN: Final = re.compile(r"eventbridge-console\.[a-z0-9-]+\.aliyuncs\.com")
_DEFAULT_REGION: Final = "cn-hangzhou"


def _region(call: RpcCall) -> str:
    return call.optional("RegionId") or _DEFAULT_REGION


def _arn(call: RpcCall, name: str) -> str:
    return f"acs:eventbridge:{_region(call)}:{call.account_id}:eventbus/{name}"


def _ok(data: object) -> JsonObject:
    return {"Code": "Success", "Message": "", "Success": True, "Data": data}


def create_event_bus(call: RpcCall) -> JsonObject:
    """CreateEventBus: a custom bus; a taken name is refused."""
    name = call.required("EventBusName")
    backend = call.cloud.eventbridge(_region(call), call.account_id)
    if name in backend.buses():
        raise AcsError(409, "EventBusAlreadyExist", f"The event bus [{name}] already exists.")
    try:
        backend.create_bus(name, description=call.optional("Description") or "")
    except ValueError as exc:
        raise AcsError(400, "InvalidArgument", str(exc)) from None
    return _ok({"EventBusARN": _arn(call, name)})


def get_event_bus(call: RpcCall) -> JsonObject:
    """GetEventBus: name, ARN, description and creation time of one bus."""
    name = call.required("EventBusName")
    backend = call.cloud.eventbridge(_region(call), call.account_id)
    info = backend.bus_info(name)
    if info is None:
        raise AcsError(404, "EventBusNotExist", f"The event bus [{name}] not existed!")
    return _ok(
        {
            "EventBusName": name,
            "EventBusARN": _arn(call, name),
            "Description": info.description,
            "CreateTimestamp": info.created_ms,
        }
    )


def delete_event_bus(call: RpcCall) -> JsonObject:
    """DeleteEventBus: the bus and its events (the default bus cannot be deleted)."""
    name = call.required("EventBusName")
    backend = call.cloud.eventbridge(_region(call), call.account_id)
    if backend.bus_info(name) is None:
        raise AcsError(404, "EventBusNotExist", f"The event bus [{name}] not existed!")
    try:
        backend.delete_bus(name)
    except ValueError as exc:
        raise AcsError(400, "InvalidArgument", str(exc)) from None
    return _ok(None)


def list_event_buses(call: RpcCall) -> JsonObject:
    """ListEventBuses: every bus of the account in the region (one page)."""
    backend = call.cloud.eventbridge(_region(call), call.account_id)
    prefix = call.optional("NamePrefix") or ""
    buses = []
    for name in backend.buses():
        info = backend.bus_info(name)
        if info is None or not name.startswith(prefix):
            continue
        buses.append(
            {
                "EventBusName": name,
                "EventBusARN": _arn(call, name),
                "Description": info.description,
                "CreateTimestamp": info.created_ms,
            }
        )
    return _ok({"EventBuses": buses, "NextToken": "", "Total": len(buses)})


ACTIONS: Final[dict[str, ActionHandler]] = {
    "CreateEventBus": create_event_bus,
    "GetEventBus": get_event_bus,
    "DeleteEventBus": delete_event_bus,
    "ListEventBuses": list_event_buses,
}


class EventBridgeControlService(RpcService):
    """The control plane; on loopback it claims only RPC requests naming version 2020-04-01."""

    def claims(self, request: EmulatedRequest) -> bool:
        """RPC shape with version 2020-04-01."""
        if self.action_of(request) is None:
            return False
        version = request.header("x-acs-version") or dict(rpc_params(request)).get("Version")
        return version == VERSION


def eventbridge_control_service() -> EventBridgeControlService:
    """EventBridge's bus management API."""
    return EventBridgeControlService(
        name="eventbridge",
        product="eventbridge",
        version=VERSION,
        host_pattern=HOST_PATTERN,
        default_host="eventbridge-console.cn-hangzhou.aliyuncs.com",
        actions=ACTIONS,
    )
