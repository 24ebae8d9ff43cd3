"""The custom event bus, which ROS has no resource type for: made through EventBridge's control plane.

EventBridge's control-plane API is RPC style, version 2020-04-01 (GetEventBus and CreateEventBus
take ``EventBusName``; CreateEventBus takes ``Description`` too: the API reference pages
api-eventbridge-2020-04-01-createeventbus / -geteventbus). A missing bus is answered with the code
``EventBusNotExist`` (the terraform provider's DescribeEventBridgeEventBus checks exactly that code).
"""

from __future__ import annotations

from typing import Final

from vpndiag import errors
from vpndiag.deploy.rpc import RpcCaller
from vpndiag.http.deadline import Deadline

API_VERSION: Final = "2020-04-01"
SERVICE: Final = "eventbridge"
NOT_FOUND: Final = "EventBusNotExist"


def endpoint(region: str) -> str:
    """The control plane of ``region``: ``eventbridge-console.{region}.aliyuncs.com``, the endpoint
    map of the official SDK (alibabacloud-eventbridge20200401 8.7.0); the data plane is
    ``{account}.eventbridge.{region}.aliyuncs.com``."""
    return f"https://eventbridge-console.{region}.aliyuncs.com"


def ensure_bus(
    caller: RpcCaller, region: str, name: str, *, description: str, deadline: Deadline
) -> bool:
    """Make sure the bus exists; True when this call created it."""
    query = {"RegionId": region, "EventBusName": name}
    try:
        caller.call("GetEventBus", query, deadline=deadline)
    except errors.ApiError as exc:
        if exc.code != NOT_FOUND:
            raise
    else:
        return False
    caller.call("CreateEventBus", {**query, "Description": description}, deadline=deadline)
    return True
