"""Every trigger shape becomes one typed request; anything else is a typed error naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import EVENTS
from vpndiag.errors import EventError
from vpndiag.events import parse_event


def _load(name: str) -> bytes:
    return (EVENTS / name).read_bytes()


def test_direct_invocation_with_diagnose_id() -> None:
    """A direct payload yields its region and diagnosis id; the invocation id correlates it."""
    (request,) = parse_event(_load("direct-diagnose-id.json"), invocation_id="req-1").requests
    assert (request.region, request.diagnose_id, request.gateway_id) == (
        "cn-hangzhou",
        "vpndgn-bp1hz0dgn0000000011",
        None,
    )
    assert (request.shape, request.correlation_id) == ("direct", "req-1")


def test_direct_invocation_with_gateway_only() -> None:
    """A gateway id alone asks for that gateway's latest diagnosis."""
    (request,) = parse_event(_load("direct-gateway.json"), invocation_id="r").requests
    assert (request.gateway_id, request.diagnose_id) == ("vpn-uf6sh0gw0000000001", None)


def test_cloudevent_data_carries_the_keys() -> None:
    """A CloudEvent is correlated by source/id and keeps the connection and account."""
    (request,) = parse_event(_load("cloudevent.json"), invocation_id="r").requests
    assert request.shape == "cloudevent"
    assert request.correlation_id == "vpndiag.sweep/5e1b3c2a-8f41-4a7e-9d0b-2f6c1e0a9b11"
    assert request.connection_id == "vco-bp1hz0conn000000012"
    assert request.account_id == "1234567890123456"


def test_cloudevent_data_as_a_json_string() -> None:
    """Some producers send data as a string holding JSON."""
    event = json.loads(_load("cloudevent.json"))
    event["data"] = json.dumps(event["data"])
    (request,) = parse_event(json.dumps(event), invocation_id="r").requests
    assert request.diagnose_id == "vpndgn-bp1hz0dgn0000000012"


def test_actiontrail_event_uses_request_and_response_elements() -> None:
    """The gateway comes from requestParameters and the diagnosis from responseElements."""
    (request,) = parse_event(_load("actiontrail-diagnose.json"), invocation_id="r").requests
    assert request.shape == "actiontrail"
    assert request.gateway_id == "vpn-bp1hz0gw0000000002"
    assert request.diagnose_id == "vpndgn-bp1hz0dgn0000000021"
    assert request.connection_id == "vco-bp1hz0conn000000021"


def test_actiontrail_event_for_another_api_is_refused() -> None:
    """An ActionTrail event of another call says which call it was."""
    event = json.loads(_load("actiontrail-diagnose.json"))
    event["data"]["eventName"] = "DeleteVpnGateway"
    with pytest.raises(EventError, match="DeleteVpnGateway"):
        parse_event(json.dumps(event), invocation_id="r")


def test_batch_yields_one_request_per_event() -> None:
    """A list of CloudEvents is a batch: each event is one request."""
    parsed = parse_event(_load("batch.json"), invocation_id="r")
    assert [r.diagnose_id for r in parsed.requests] == [
        "vpndgn-uf6sh0dgn0000000011",
        "vpndgn-uf6sh0dgn0000000012",
    ]
    assert parsed.rejected == ()


def test_batch_keeps_good_items_and_reports_bad_ones() -> None:
    """A bad item in a batch is reported by index without losing the others."""
    batch = json.loads(_load("batch.json"))
    batch.insert(1, {"hello": "world"})
    parsed = parse_event(json.dumps(batch), invocation_id="r")
    assert len(parsed.requests) == 2
    assert [index for index, _ in parsed.rejected] == [1]


def test_timer_payload_is_parsed_a_second_time() -> None:
    """The timer's payload string holds the keys as JSON; the tick correlates the request."""
    (request,) = parse_event(_load("timer.json"), invocation_id="r").requests
    assert request.shape == "timer"
    assert request.gateway_id == "vpn-bp1hz0gw0000000002"
    assert request.correlation_id == "timer/archive-latest/2026-11-20T08:15:00Z"


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        (b"not json", "payload that is not JSON"),
        (b"[]", "an empty list"),
        (b"42", "a JSON int"),
        (b'{"foo": 1}', "keys [foo]"),
        (b'{"RegionId": "cn-hangzhou"}', "neither DiagnoseId nor VpnGatewayId"),
        (b'{"DiagnoseId": "vpndgn-abcd1234"}', "RegionId is missing"),
        (b'{"triggerTime": "t", "payload": "nope"}', "timer payload that is not JSON"),
    ],
)
def test_unrecognised_shapes_name_what_was_received(payload: bytes, named: str) -> None:
    """The error says what arrived and lists the shapes expected."""
    with pytest.raises(EventError, match="expected") as caught:
        parse_event(payload, invocation_id="r")
    assert named in str(caught.value)


@pytest.mark.parametrize(
    "bad",
    [
        "../../etc",
        "vpndgn-abc/../x",
        "vpndgn-ab\r\nX-Evil: 1",
        "vpndgn-" + "a" * 200,
        "VPNDGN-ABCD",
    ],
)
def test_hostile_identifiers_are_refused(bad: str) -> None:
    """Traversal, header injection, oversized and wrong-case ids never reach a request."""
    with pytest.raises(EventError, match="invalid diagnose id"):
        parse_event(json.dumps({"RegionId": "cn-hangzhou", "DiagnoseId": bad}), invocation_id="r")


def test_every_sample_event_parses(tmp_path: Path) -> None:
    """Each file in events/ (the README's and make run's samples) is a valid trigger."""
    samples = sorted(EVENTS.glob("*.json"))
    assert len(samples) >= 6
    for sample in samples:
        assert parse_event(sample.read_bytes(), invocation_id="r").requests, sample.name


def _documented_actiontrail(referenced: dict[str, list[str]]) -> dict[str, object]:
    """The ActionTrail API-call event as EventBridge's "ActionTrail events" page shows it
    (https://www.alibabacloud.com/help/en/doc-detail/204963.htm): no requestParameters or
    responseElements; eventName, acsRegion, eventRW and referencedResources."""
    return {
        "specversion": "1.0",
        "id": "92b33345-0cef-47be-821f-fb9914d3aaaa",
        "source": "acs.vpc",
        "type": "vpc:ActionTrail:ApiCall",
        "aliyunregionid": "cn-hangzhou",
        "aliyunaccountid": "1234567890123456",
        "data": {
            "eventId": "92b33345-0cef-47be-821f-fb9914d3aaaa",
            "eventVersion": 1,
            "eventRW": "Write",
            "eventType": "ApiCall",
            "referencedResources": referenced,
            "userIdentity": {"type": "ram-user", "userName": "netops"},
            "serviceName": "Vpc",
            "requestId": "32B7EB75-62EE-511E-9449-E19EBF67C2ED",
            "eventTime": "2026-11-20T08:05:00Z",
            "isGlobal": False,
            "acsRegion": "cn-shanghai",
            "eventName": "DiagnoseVpnGateway",
        },
    }


def test_documented_actiontrail_event_naming_a_gateway_asks_for_its_latest_diagnosis() -> None:
    """Without responseElements there is no DiagnoseId: the gateway's latest diagnosis."""
    event = _documented_actiontrail({"ACS::VPC::VpnGateway": ["vpn-bp1hz0gw0000000002"]})

    (request,) = parse_event(json.dumps(event), invocation_id="r").requests

    assert (request.shape, request.region) == ("actiontrail", "cn-shanghai")
    assert (request.gateway_id, request.diagnose_id) == ("vpn-bp1hz0gw0000000002", None)


def test_documented_actiontrail_event_takes_every_referenced_id() -> None:
    """Ids are recognised by prefix, whatever resource type lists them."""
    event = _documented_actiontrail(
        {
            "ACS::VPC::VpnGateway": ["vpn-bp1hz0gw0000000002"],
            "ACS::VPC::VpnConnection": ["vco-bp1hz0conn000000021"],
            "ACS::VPC::Diagnosis": ["vpndgn-bp1hz0dgn0000000021"],
        }
    )

    (request,) = parse_event(json.dumps(event), invocation_id="r").requests

    assert (request.diagnose_id, request.connection_id) == (
        "vpndgn-bp1hz0dgn0000000021",
        "vco-bp1hz0conn000000021",
    )


def test_documented_actiontrail_event_naming_nothing_usable_is_refused() -> None:
    """No gateway and no diagnosis among the referenced resources: an EventError saying so."""
    event = _documented_actiontrail({"ACS::ECS::Instance": ["i-8vb0smn1lf6g77md0000"]})

    with pytest.raises(EventError, match="neither DiagnoseId nor VpnGatewayId"):
        parse_event(json.dumps(event), invocation_id="r")


def test_health_event_carries_its_tunnel_id() -> None:
    """The tunnel a VPN health event names travels on the request (inferred data shape)."""
    (request,) = parse_event(_load("vpn-health-check-failed.json"), invocation_id="r").requests

    assert (request.connection_id, request.tunnel_id) == (
        "vco-bp1hz0conn000000012",
        "tun-bp1hz0tun000000121",
    )


def test_health_event_with_a_malformed_tunnel_id_is_refused() -> None:
    """A tunnel id that is not tun-... is an EventError, not a request."""
    event = json.loads(_load("vpn-health-check-failed.json"))
    event["data"]["tunnelId"] = "../etc"

    with pytest.raises(EventError, match="tunnel id"):
        parse_event(json.dumps(event), invocation_id="r")
