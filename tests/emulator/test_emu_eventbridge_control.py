"""EventBridge's control plane for buses (CreateEventBus, GetEventBus, DeleteEventBus, ListEventBuses).

Wire contract from the official SDK ``alibabacloud-eventbridge20200401`` 8.7.0: POP RPC, version
2020-04-01, host ``eventbridge-console.{region}.aliyuncs.com``, ``EventBusName``/``Description``
parameters, answers ``{Code, Message, Success, Data}``. Called here with the project's own signed
RPC client (V3), in-process on the real host name.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vpndiag import errors
from vpndiag.credentials import Credentials
from vpndiag.deploy.rpc import RpcApi, RpcCaller
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Cloud, ManualClock

REGION = "cn-shanghai"


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    """A cloud answering in-process, on a manual clock at real time."""
    cloud = Cloud(seed=2, clock=ManualClock())
    with cloud.mock():
        yield cloud


@pytest.fixture
def control() -> RpcCaller:
    """The project's RPC client on the control plane's real host."""
    api = RpcApi("eventbridge", "2020-04-01", f"https://eventbridge-console.{REGION}.aliyuncs.com")
    keys = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
    return RpcCaller(
        api, session=new_session(), credentials=lambda: keys, retry=RetryPolicy(attempts=1)
    )


def _call(control: RpcCaller, action: str, **query: str) -> dict[str, object]:
    return control.call(action, {"RegionId": REGION, **query}, deadline=Deadline.after(10))


def test_create_event_bus_makes_a_bus_publishing_can_use(cloud: Cloud, control: RpcCaller) -> None:
    """CreateEventBus answers the bus's ARN, and the data plane then knows the bus."""
    body = _call(control, "CreateEventBus", EventBusName="vpndiag", Description="ours")
    assert body["Success"] is True
    assert body["Data"] == {
        "EventBusARN": f"acs:eventbridge:{REGION}:1234567890123456:eventbus/vpndiag"
    }
    assert "vpndiag" in cloud.eventbridge(REGION).buses()


def test_get_event_bus_returns_what_was_created(cloud: Cloud, control: RpcCaller) -> None:
    """GetEventBus: the name, ARN and description the bus was created with."""
    _call(control, "CreateEventBus", EventBusName="vpndiag", Description="ours")
    data = _call(control, "GetEventBus", EventBusName="vpndiag")["Data"]
    assert isinstance(data, dict)
    assert (data["EventBusName"], data["Description"]) == ("vpndiag", "ours")


def test_get_of_a_missing_bus_is_event_bus_not_exist(cloud: Cloud, control: RpcCaller) -> None:
    """A bus never created: EventBusNotExist, the code the Terraform provider checks."""
    with pytest.raises(errors.ApiError) as raised:
        _call(control, "GetEventBus", EventBusName="never")
    assert raised.value.code == "EventBusNotExist"


def test_a_taken_bus_name_is_refused(cloud: Cloud, control: RpcCaller) -> None:
    """A second CreateEventBus of one name is refused, and the first bus is kept."""
    _call(control, "CreateEventBus", EventBusName="vpndiag", Description="first")
    with pytest.raises(errors.ApiError) as raised:
        _call(control, "CreateEventBus", EventBusName="vpndiag", Description="second")
    assert raised.value.code == "EventBusAlreadyExist"
    assert _call(control, "GetEventBus", EventBusName="vpndiag")["Data"]["Description"] == "first"  # type: ignore[index]


def test_list_and_delete(cloud: Cloud, control: RpcCaller) -> None:
    """ListEventBuses lists the default bus and the custom one; DeleteEventBus removes it."""
    _call(control, "CreateEventBus", EventBusName="vpndiag")
    listed = _call(control, "ListEventBuses")["Data"]
    assert isinstance(listed, dict)
    assert {b["EventBusName"] for b in listed["EventBuses"]} == {"default", "vpndiag"}
    _call(control, "DeleteEventBus", EventBusName="vpndiag")
    assert "vpndiag" not in cloud.eventbridge(REGION).buses()
