"""The app's EventBridge client against the emulated bus: publish, read back, failures, retries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.conftest import EVENTS
from vpndiag import errors
from vpndiag.clients.eventbridge import (
    MAX_BATCH_EVENTS,
    EventBridgeClient,
    EventBridgeEndpoints,
    EventTooLarge,
    PublishFailed,
)
from vpndiag.credentials import Credentials
from vpndiag.health import events
from vpndiag.health.thresholds import Thresholds, assess
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag.model.response import parse_result
from vpndiag.normalize import normalize
from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_ACCOUNT_ID,
    Cloud,
    EventBridgeBackend,
)

REGION = "cn-hangzhou"
BUS = "vpndiag-events"
DEFAULT_KEYS = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    cloud = Cloud(seed=5)
    cloud.eventbridge(REGION).create_bus(BUS)
    with cloud.mock():
        yield cloud


@pytest.fixture
def bus(cloud: Cloud) -> EventBridgeBackend:
    return cloud.eventbridge(REGION)


def _client(
    keys: Credentials = DEFAULT_KEYS,
    *,
    attempts: int = 3,
    endpoints: EventBridgeEndpoints | None = None,
) -> EventBridgeClient:
    return EventBridgeClient(
        session=new_session(),
        credentials=lambda: keys,
        endpoints=endpoints or EventBridgeEndpoints(),
        region=REGION,
        account_id=DEFAULT_ACCOUNT_ID,
        retry=RetryPolicy(attempts=attempts),
    )


def _event(number: int, **data: Any) -> dict[str, Any]:
    return {"id": f"evt-{number:04d}", "source": "vpndiag", "type": "test", "data": data}


def _publish(events_: list[dict[str, Any]], client: EventBridgeClient | None = None) -> Any:
    return (client or _client()).put_events(BUS, events_, Deadline.after(30))


def _archived_event() -> dict[str, Any]:
    body = json.loads((EVENTS / "responses" / "finished-all-checks.json").read_text())
    summary = normalize(parse_result(body), region=REGION, account_id=DEFAULT_ACCOUNT_ID)
    findings = [assess(c, Thresholds()) for c in summary.checks]
    return events.diagnosis_archived(summary, "oss://a/b", findings, {}, None)


def test_published_events_are_stored_with_the_bus_attributes(
    bus: EventBridgeBackend,
) -> None:
    """Every event lands on the bus as sent, plus the bus's aliyun* attributes."""
    result = _publish([_event(1, level="error"), _event(2)])

    stored = bus.events(BUS)
    assert result.event_ids == ("evt-0001", "evt-0002")
    assert all(result.trace_ids[i] for i in result.event_ids)
    assert [e["id"] for e in stored] == ["evt-0001", "evt-0002"]
    assert stored[0]["data"] == {"level": "error"}
    assert stored[0]["aliyuneventbusname"] == BUS
    assert (stored[0]["aliyunaccountid"], stored[0]["aliyunregionid"]) == (
        DEFAULT_ACCOUNT_ID,
        REGION,
    )


def test_a_replay_publishes_the_same_id_and_consumers_see_one_event(
    bus: EventBridgeBackend,
) -> None:
    """The bus stores a replayed event twice; by source + id it is one event."""
    _publish([_archived_event()])
    _publish([_archived_event()])

    stored = bus.events(BUS)
    assert len(stored) == 2
    assert len({(e["source"], e["id"]) for e in stored}) == 1
    assert stored[0]["data"] == stored[1]["data"]


def test_many_events_go_in_batches_of_at_most_sixteen(
    cloud: Cloud, bus: EventBridgeBackend
) -> None:
    """20 events: two requests (16 + 4), all stored in order."""
    result = _publish([_event(i) for i in range(20)])

    assert result.requests == 2
    assert [e["id"] for e in bus.events(BUS)] == [f"evt-{i:04d}" for i in range(20)]
    assert cloud.requests.actions("eventbridge") == ["PutEvents", "PutEvents"]
    assert MAX_BATCH_EVENTS == 16


def test_a_refused_entry_with_a_retryable_code_is_resent_alone(bus: EventBridgeBackend) -> None:
    """InternalError on one entry: only that entry goes again; each event is stored once."""
    bus.reject("evt-0002", "InternalError")

    result = _publish([_event(1), _event(2), _event(3)])

    assert result.requests == 2
    assert sorted(result.event_ids) == ["evt-0001", "evt-0002", "evt-0003"]
    assert sorted(e["id"] for e in bus.events(BUS)) == ["evt-0001", "evt-0002", "evt-0003"]


def test_a_permanent_refusal_is_reported_with_the_event_id(bus: EventBridgeBackend) -> None:
    """A non-retryable entry code: PublishFailed names the id; the others were published."""
    bus.reject("evt-0002", "InvalidArgument", "bad event", times=None)

    with pytest.raises(PublishFailed) as caught:
        _publish([_event(1), _event(2), _event(3)])

    assert [(f.event_id, f.code) for f in caught.value.failures] == [
        ("evt-0002", "InvalidArgument")
    ]
    assert caught.value.retryable is False
    assert [e["id"] for e in bus.events(BUS)] == ["evt-0001", "evt-0003"]


def test_a_refusal_that_outlasts_the_retries_is_retryable_for_the_platform(
    bus: EventBridgeBackend,
) -> None:
    """Throttled entries past the last attempt: PublishFailed, retryable, id listed."""
    bus.reject("evt-0001", "TooManyRequests", times=None)

    with pytest.raises(PublishFailed) as caught:
        _publish([_event(1)], _client(attempts=2))

    assert caught.value.retryable is True
    assert "evt-0001 (TooManyRequests)" in str(caught.value)


def test_throttling_is_retried(cloud: Cloud, bus: EventBridgeBackend) -> None:
    """One 429 TooManyRequests, then success: published once, two requests."""
    cloud.faults.add(service="eventbridge", kind="throttle", code="TooManyRequests", status=429)

    result = _publish([_event(1)])

    assert result.requests == 2
    assert [r.error_code for r in cloud.requests] == ["TooManyRequests", None]
    assert len(bus.events(BUS)) == 1


def test_persistent_throttling_raises_a_retryable_typed_error(cloud: Cloud) -> None:
    """Throttled on every attempt: ThrottledError, which the platform may retry."""
    cloud.faults.add(
        service="eventbridge", kind="throttle", code="TooManyRequests", status=429, times=None
    )

    with pytest.raises(errors.ThrottledError) as caught:
        _publish([_event(1)], _client(attempts=2))

    assert caught.value.retryable


def test_a_lost_answer_is_resent_and_the_duplicate_is_visible(
    cloud: Cloud, bus: EventBridgeBackend
) -> None:
    """The bus stored the batch but the answer was cut: resent, stored twice, same id."""
    cloud.faults.add(service="eventbridge", kind="truncated")

    _publish([_event(1)])

    assert [e["id"] for e in bus.events(BUS)] == ["evt-0001", "evt-0001"]


@pytest.mark.usefixtures("cloud")
def test_unknown_bus_is_a_not_found_error() -> None:
    """EventBusNotExist (409): NotFoundError, not retried."""
    with pytest.raises(errors.NotFoundError) as caught:
        _client().put_events("no-such-bus", [_event(1)], Deadline.after(30))
    assert (caught.value.code, caught.value.status) == ("EventBusNotExist", 409)


def test_a_bad_signature_is_an_auth_error_without_the_secret(cloud: Cloud) -> None:
    """A wrong secret: SignatureDoesNotMatch, the secret appears nowhere in the error."""
    wrong = Credentials(DEFAULT_ACCESS_KEY_ID, "not-the-secret")

    with pytest.raises(errors.AuthError) as caught:
        _publish([_event(1)], _client(wrong))

    assert caught.value.code == "SignatureDoesNotMatch"
    assert "not-the-secret" not in str(caught.value)
    assert cloud.requests.actions("eventbridge") == ["PutEvents"]


def test_sts_keys_publish_with_their_token(cloud: Cloud, bus: EventBridgeBackend) -> None:
    """An STS key with its token is accepted; with another token it is refused."""
    cloud.add_access_key("STS.key", "sts-secret", security_token="the-token")

    _publish([_event(1)], _client(Credentials("STS.key", "sts-secret", "the-token")))
    with pytest.raises(errors.AuthError) as caught:
        _publish([_event(2)], _client(Credentials("STS.key", "sts-secret", "other")))

    assert [e["id"] for e in bus.events(BUS)] == ["evt-0001"]
    assert caught.value.code == "SecurityTokenInvalid"


def test_the_request_log_never_holds_the_sts_token(cloud: Cloud) -> None:
    """A refused STS request is logged with its reason, the token masked."""
    cloud.add_access_key("STS.key", "sts-secret", security_token="the-token")

    with pytest.raises(errors.AuthError):
        _publish([_event(1)], _client(Credentials("STS.key", "wrong-secret", "the-token")))

    detail = cloud.requests[0].detail
    assert detail is not None
    assert "x-acs-security-token:****" in detail
    assert "the-token" not in detail


def test_an_event_over_the_limit_is_refused_before_anything_is_sent(cloud: Cloud) -> None:
    """A 70 KB event: EventTooLarge with its index, and no request at all."""
    with pytest.raises(EventTooLarge) as caught:
        _publish([_event(1), _event(2, blob="z" * 70_000)])

    assert caught.value.index == 1
    assert cloud.requests.actions("eventbridge") == []


def test_the_loopback_server_routes_by_the_host_header() -> None:
    """An IP endpoint (the emulator) gets the real host name in Host: account and region read."""
    cloud = Cloud(seed=5)
    cloud.eventbridge(REGION).create_bus(BUS)
    with cloud.serve() as server:
        client = _client(endpoints=EventBridgeEndpoints(override=server.base_url))
        client.put_events(BUS, [_event(1)], Deadline.after(30))
    assert [e["id"] for e in cloud.eventbridge(REGION).events(BUS)] == ["evt-0001"]


def test_event_time_is_kept_as_sent(bus: EventBridgeBackend) -> None:
    """The event's own time (the diagnosis's) is not replaced by the publish time."""
    moment = events.event_time(datetime(2024, 3, 4, 8, 15, 19, tzinfo=timezone.utc))
    _publish([{**_event(1), "time": moment}])
    stored = bus.events(BUS)[0]
    assert stored["time"] == "2024-03-04T08:15:19.000Z"
    assert stored["aliyunpublishtime"] != stored["time"]
