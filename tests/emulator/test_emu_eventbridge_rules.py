"""EventBridge rules: event patterns, and delivery of matched events to their targets.

Vendor facts: pattern operators (https://www.alibabacloud.com/help/en/eventbridge/user-guide/
event-patterns); target ParamList forms ORIGINAL, CONSTANT, JSONPATH, TEMPLATE
(https://www.alibabacloud.com/help/en/doc-detail/185887.htm); targets as ROS's
ALIYUN::EventBridge::Rule.Targets (the ROS spec wheel).
"""

from __future__ import annotations

import json

import pytest

from vpndiag_emulator import Cloud, EventBridgeBackend, FcBackend, FcContext, ManualClock
from vpndiag_emulator.eventbridge.errors import EventBridgeError
from vpndiag_emulator.eventbridge.patterns import check_pattern, matches

REGION = "cn-hangzhou"
EVENT = {
    "source": "acs.vpn",
    "type": "vpn:CloudMonitor:IpsecHealthCheckFailed",
    "subject": "acs:vpn:cn-hangzhou:1:vpngateway/vpn-1",
    "data": {"count": 3, "ip": "10.0.0.7", "flapping": False, "tags": ["a", "b"]},
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["acs.vpn", "acs.oss"]}, True),
        ({"source": ["acs.oss"]}, False),
        ({"source": [{"prefix": "acs."}]}, True),
        ({"subject": [{"suffix": "vpn-1"}]}, True),
        ({"type": [{"contains": "HealthCheck"}]}, True),
        ({"source": [{"anything-but": "acs.vpn"}]}, False),
        ({"source": [{"anything-but": {"prefix": "acs.o"}}]}, True),
        ({"data": {"count": [{"numeric": [">", 0, "<=", 5]}]}}, True),
        ({"data": {"count": [{"numeric": [">", 3]}]}}, False),
        ({"data": {"ip": [{"cidr": "10.0.0.0/24"}]}}, True),
        ({"data": {"missing": [{"exists": False}]}}, True),
        ({"data": {"count": [{"exists": False}]}}, False),
        ({"data": {"flapping": [False]}}, True),
        ({"data": {"tags": ["b"]}}, True),
    ],
)
def test_pattern_operators(pattern: dict[str, object], expected: bool) -> None:
    """Each documented operator matches or rejects the sample VPN event."""
    check_pattern(pattern)

    assert matches(pattern, EVENT) is expected


def test_unknown_operators_are_refused() -> None:
    """A pattern operator the product does not have: InvalidArgument."""
    with pytest.raises(EventBridgeError, match="unknown operator"):
        check_pattern({"source": [{"wildcard": "acs.*"}]})


@pytest.fixture
def cloud() -> Cloud:
    return Cloud(seed=4, clock=ManualClock())


@pytest.fixture
def eb(cloud: Cloud) -> EventBridgeBackend:
    return cloud.eventbridge(REGION)


@pytest.fixture
def seen(cloud: Cloud) -> list[bytes]:
    events: list[bytes] = []

    def handler(event: bytes, context: FcContext) -> None:
        events.append(event)

    cloud.fc(REGION).register_function("vpndiag", "archive", handler)
    return events


def fc_target(body: dict[str, str], invocation: str = "Async") -> dict[str, object]:
    return {
        "Id": "archive",
        "Type": "acs.fc.function",
        "Endpoint": f"acs:fc:{REGION}:1:services/vpndiag.LATEST/functions/archive",
        "PushRetryStrategy": "BACKOFF_RETRY",
        "ParamList": [
            {"ResourceKey": "serviceName", "Form": "CONSTANT", "Value": "vpndiag"},
            {"ResourceKey": "functionName", "Form": "CONSTANT", "Value": "archive"},
            {"ResourceKey": "InvocationType", "Form": "CONSTANT", "Value": invocation},
            {"ResourceKey": "Body", **body},
        ],
    }


def health_rule(eb: EventBridgeBackend, target: dict[str, object], status: str = "ENABLE") -> None:
    eb.create_rule(
        "default",
        "vpn-health",
        filter_pattern={"source": ["acs.vpn"]},
        targets=[target],
        status=status,
    )


def deliver(cloud: Cloud, eb: EventBridgeBackend) -> None:
    eb.publish_system_event(EVENT)
    cloud.fc(REGION).drain()


def test_original_body_is_the_whole_cloud_event(
    cloud: Cloud, eb: EventBridgeBackend, seen: list[bytes]
) -> None:
    """ORIGINAL: the function receives the CloudEvent with the bus's attributes."""
    health_rule(eb, fc_target({"Form": "ORIGINAL"}))

    deliver(cloud, eb)

    event = json.loads(seen[0])
    assert (event["type"], event["aliyuneventbusname"]) == (EVENT["type"], "default")


def test_jsonpath_body_is_the_selected_part(
    cloud: Cloud, eb: EventBridgeBackend, seen: list[bytes]
) -> None:
    """JSONPATH $.data.ip: the function receives that string."""
    health_rule(eb, fc_target({"Form": "JSONPATH", "Value": "$.data.ip"}))

    deliver(cloud, eb)

    assert seen == [b"10.0.0.7"]


def test_template_body_fills_the_variables(
    cloud: Cloud, eb: EventBridgeBackend, seen: list[bytes]
) -> None:
    """TEMPLATE: ${name} in Template replaced by the JSONPaths of Value."""
    body = {"Form": "TEMPLATE", "Value": '{"ip": "$.data.ip"}', "Template": "peer ${ip}"}
    health_rule(eb, fc_target(body))

    deliver(cloud, eb)

    assert seen == [b"peer 10.0.0.7"]


def test_constant_body_is_the_value(
    cloud: Cloud, eb: EventBridgeBackend, seen: list[bytes]
) -> None:
    """CONSTANT: the Value as written."""
    health_rule(
        eb,
        fc_target({"Form": "CONSTANT", "Value": "fixed"}),
    )

    deliver(cloud, eb)

    assert seen == [b"fixed"]


def test_sync_invocation_runs_during_the_publication(
    eb: EventBridgeBackend, seen: list[bytes]
) -> None:
    """InvocationType Sync: the function has run when PutEvents returns (no drain)."""
    health_rule(eb, fc_target({"Form": "CONSTANT", "Value": "x"}, invocation="Sync"))

    eb.publish_system_event(EVENT)

    assert seen == [b"x"]


def test_a_disabled_rule_delivers_nothing(
    cloud: Cloud, eb: EventBridgeBackend, seen: list[bytes]
) -> None:
    """Status DISABLE: no invocation, no delivery."""
    health_rule(eb, fc_target({"Form": "ORIGINAL"}), status="DISABLE")

    deliver(cloud, eb)

    assert (seen, eb.deliveries) == ([], [])


def test_other_targets_are_recorded_not_sent(eb: EventBridgeBackend) -> None:
    """A DingTalk target: the delivery is listed with its resolved parameters."""
    target: dict[str, object] = {
        "Id": "dingtalk",
        "Type": "acs.dingtalk",
        "Endpoint": "https://oapi.dingtalk.com/robot/send?access_token=x",
        "ParamList": [{"ResourceKey": "Body", "Form": "JSONPATH", "Value": "$.data.count"}],
    }
    health_rule(eb, target)

    eb.publish_system_event(EVENT)

    (delivery,) = eb.deliveries
    assert (delivery.target_type, delivery.parameters) == ("acs.dingtalk", {"Body": "3"})


def test_rules_of_a_custom_bus_see_its_events(cloud: Cloud, eb: EventBridgeBackend) -> None:
    """A rule on a custom bus ignores system events on the default bus."""
    eb.create_bus("vpndiag")
    fc: FcBackend = cloud.fc(REGION)
    fc.register_function("vpndiag", "archive", lambda event, context: None)
    eb.create_rule(
        "vpndiag",
        "r",
        filter_pattern={"source": ["acs.vpn"]},
        targets=[fc_target({"Form": "ORIGINAL"})],
    )

    eb.publish_system_event(EVENT)

    assert fc.pending == 0
