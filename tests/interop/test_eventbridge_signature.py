"""Interop: the EventBridge data-plane signature of the app and of the emulator, against the vendor.

The vectors are the ones published in the vendor util's own unit tests
(``aliyun/alibabacloud-eventbridge-sdk``: ``util/python/tests/test_client.py`` and
``util/php/tests/ClientTest.php``). ``alibabacloud-eventbridge-util`` (a pinned dev
dependency, no dependencies of its own) is the oracle for requests the app really sends, and
its signatures must verify at the emulator.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

import pytest
import requests
import responses

from vpndiag.clients.eventbridge import EventBridgeClient, EventBridgeEndpoints
from vpndiag.credentials import Credentials
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag.signing import eventbridge as app_signer
from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_ACCOUNT_ID,
    Cloud,
)
from vpndiag_emulator.eventbridge import signing as emulator_signer

REGION = "cn-hangzhou"
HOST = f"{DEFAULT_ACCOUNT_ID}.eventbridge.{REGION}.aliyuncs.com"
FULL_HEADERS = {
    "x-acs-meta": "user",
    "accept": "application/json",
    "content-md5": "md5",
    "content-type": "application/json",
    "date": "date",
}
FULL_QUERY = {"ccp": "ok", "test": "tests", "test1": ""}
FULL_STRING = "GET\nmd5\napplication/json\ndate\nx-acs-meta:user\nPathname?ccp=ok&test=tests&test1="


@pytest.fixture
def util() -> Any:
    """The vendor's util module (a pinned dev dependency)."""
    from alibabacloud_eventbridge_util.client import Client

    return Client


def _tea_request(method: str, path: str, headers: dict[str, str]) -> Any:
    from Tea import request as tea

    request = tea.TeaRequest()
    request.method, request.pathname, request.headers, request.query = method, path, headers, {}
    return request


def test_empty_request_matches_the_published_vector() -> None:
    """GET with nothing else: string 'GET\\n\\n\\n\\n', signature Mzu+31oD5IDdv3WFBNIi4Y7JZto=."""
    text = app_signer.string_to_sign("GET", "", {})
    assert text == "GET\n\n\n\n"
    assert app_signer.signature(text, "secret") == "Mzu+31oD5IDdv3WFBNIi4Y7JZto="


def test_signature_of_a_fixed_string_matches_the_published_vector() -> None:
    """HMAC-SHA1 keyed by the bare secret: 'stringtosign' -> OmuTAr79tpI6CRoAdmzKRq5lHs0=."""
    assert app_signer.signature("stringtosign", "secret") == "OmuTAr79tpI6CRoAdmzKRq5lHs0="


def test_headers_and_query_are_canonicalised_as_published() -> None:
    """Only x-acs* headers are listed; the query is sorted and left unencoded."""
    assert app_signer.string_to_sign("GET", "Pathname", FULL_HEADERS, FULL_QUERY) == FULL_STRING
    spaced = app_signer.string_to_sign("GET", "/", {}, {"key": "val ue with space"})
    assert spaced == "GET\n\n\n\n/?key=val ue with space"


def test_emulator_verifier_reproduces_the_published_vectors() -> None:
    """The emulator's independent implementation agrees with the same vectors."""
    text = emulator_signer.string_to_sign("GET", "Pathname", FULL_HEADERS, list(FULL_QUERY.items()))
    assert text == FULL_STRING
    assert emulator_signer.signature("secret", "GET\n\n\n\n") == "Mzu+31oD5IDdv3WFBNIi4Y7JZto="


@pytest.fixture
def captured() -> Iterator[list[requests.PreparedRequest]]:
    """Requests the app's client sends to the real host, answered with an empty success."""
    sent: list[requests.PreparedRequest] = []

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        sent.append(request)
        ids = [e["id"] for e in json.loads(request.body or b"[]")]
        entries = [{"EventId": i, "TraceId": "T"} for i in ids]
        body = {"RequestId": "R", "FailedEntryCount": 0, "EntryList": entries}
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", f"https://{HOST}/openapi/putEvents", callback=answer)
        yield sent


@pytest.mark.parametrize("token", [None, "sts-token"])
def test_app_signature_equals_the_vendor_util(
    util: Any, captured: list[requests.PreparedRequest], token: str | None
) -> None:
    """The Authorization the app's client sends is the util's for the same request."""
    keys = Credentials("LTAItest", "test-secret", token)
    client = EventBridgeClient(
        session=new_session(),
        credentials=lambda: keys,
        endpoints=EventBridgeEndpoints(),
        region=REGION,
        account_id=DEFAULT_ACCOUNT_ID,
        retry=RetryPolicy(attempts=1),
        clock=lambda: datetime(2026, 11, 20, 8, 0, 0, tzinfo=timezone.utc),
        nonce=lambda: "3156853299f313e23d1673dc12e1703d",
    )
    client.put_events(
        "vpndiag", [{"id": "e1", "source": "vpndiag", "type": "t"}], Deadline.after(5)
    )

    sent = captured[0]
    headers = {k.lower(): v for k, v in sent.headers.items() if k.lower() != "authorization"}
    text = util.get_string_to_sign(_tea_request("POST", "/openapi/putEvents", headers))
    expected = f"acs:LTAItest:{util.get_signature(text, 'test-secret')}"
    assert sent.headers["authorization"] == expected


def test_vendor_util_signed_request_verifies_at_the_emulator(util: Any) -> None:
    """A request built and signed the way the SDK's do_request does is accepted and stored."""
    cloud = Cloud(seed=1)
    cloud.eventbridge(REGION).create_bus("vpndiag")
    event = {"id": "e1", "source": "vpndiag", "type": "t", "specversion": "1.0"}
    body = json.dumps([{**event, "aliyuneventbusname": "vpndiag"}])
    headers = {
        "date": format_datetime(cloud.clock.now(), usegmt=True),
        "host": HOST,
        "accept": "application/json",
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-signature-method": "HMAC-SHA1",
        "x-acs-signature-version": "1.0",
        "x-eventbridge-version": "2015-06-06",
        "x-eventbridge-regionId": REGION,
        "content-type": "application/cloudevents-batch+json; charset=utf-8",
    }
    text = util.get_string_to_sign(_tea_request("POST", "/openapi/putEvents", headers))
    signature = util.get_signature(text, DEFAULT_ACCESS_KEY_SECRET)
    headers["authorization"] = f"acs:{DEFAULT_ACCESS_KEY_ID}:{signature}"

    with cloud.mock():
        response = requests.post(
            f"https://{HOST}/openapi/putEvents", data=body, headers=headers, timeout=5
        )

    assert response.status_code == 200, response.text
    assert response.json()["FailedEntryCount"] == 0
    assert [e["id"] for e in cloud.eventbridge(REGION).events("vpndiag")] == ["e1"]
