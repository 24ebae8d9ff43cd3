"""The emulated FC invoke API: synchronous runs in-process, asynchronous ones queue; errors look
like FC's (through aliyun-fc2 itself as the client)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import fc2
import pytest

from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_ACCOUNT_ID,
    Cloud,
    FcContext,
)

REGION = "cn-hangzhou"
ENDPOINT = f"https://{DEFAULT_ACCOUNT_ID}.{REGION}.fc.aliyuncs.com"
ASYNC = {"x-fc-invocation-type": "Async"}


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    cloud = Cloud(seed=1)
    with cloud.mock():
        yield cloud


def _client(endpoint: str = ENDPOINT) -> fc2.Client:
    return fc2.Client(
        endpoint=endpoint,
        accessKeyID=DEFAULT_ACCESS_KEY_ID,
        accessKeySecret=DEFAULT_ACCESS_KEY_SECRET,
    )


def _echo(event: bytes, context: FcContext) -> dict[str, object]:
    return {"event": json.loads(event), "region": context.region, "account": context.account_id}


def _fail(event: bytes, context: FcContext) -> None:
    raise RuntimeError("archive failed")


def test_sync_invocation_returns_the_handlers_result(cloud: Cloud) -> None:
    """The handler runs at once with the payload; its return value is the body."""
    cloud.fc(REGION).register_function("vpndiag", "archive", _echo)

    response = _client().invoke_function("vpndiag", "archive", payload=b'{"a": 1}')

    assert json.loads(response.data) == {
        "event": {"a": 1},
        "region": REGION,
        "account": DEFAULT_ACCOUNT_ID,
    }


def test_context_carries_the_functions_role_keys(cloud: Cloud) -> None:
    """context.credentials are the registered role's keys (the service role's STS keys)."""
    role = cloud.add_access_key("STSrole", "role-secret", security_token="role-token")
    seen: list[FcContext] = []
    cloud.fc(REGION).register_function(
        "vpndiag", "archive", lambda event, context: seen.append(context), role=role
    )

    _client().invoke_function("vpndiag", "archive", payload=b"{}")

    assert (seen[0].credentials.access_key_id, seen[0].credentials.security_token) == (
        "STSrole",
        "role-token",
    )


def test_function_error_is_an_unhandled_invocation_error(cloud: Cloud) -> None:
    """A raising handler answers 200 with x-fc-error-type; fc2 turns that into FcError."""
    cloud.fc(REGION).register_function("vpndiag", "archive", _fail)

    with pytest.raises(fc2.FcError) as raised:
        _client().invoke_function("vpndiag", "archive", payload=b"{}")

    assert json.loads(raised.value.message)["errorMessage"] == "archive failed"


def test_unknown_function_is_function_not_found(cloud: Cloud) -> None:
    """404 FunctionNotFound, with the request id fc2 reads from the header."""
    with pytest.raises(fc2.FcError) as raised:
        _client().invoke_function("vpndiag", "nope", payload=b"{}")

    assert (raised.value.status_code, raised.value.err_code) == (404, "FunctionNotFound")


def test_async_invocation_is_queued_not_run(cloud: Cloud) -> None:
    """202 Accepted; the function runs only when the queue is drained."""
    backend = cloud.fc(REGION)
    backend.register_function("vpndiag", "archive", _echo)

    response = _client().invoke_function("vpndiag", "archive", payload=b"{}", headers=ASYNC)

    assert response.headers["x-fc-request-id"]
    assert (backend.pending, backend.runs) == (1, [])


def test_async_payload_over_128_kib_is_refused(cloud: Cloud) -> None:
    """The asynchronous payload limit is 128 KB."""
    cloud.fc(REGION).register_function("vpndiag", "archive", _echo)

    with pytest.raises(fc2.FcError) as raised:
        _client().invoke_function(
            "vpndiag", "archive", payload=b"x" * (128 * 1024 + 1), headers=ASYNC
        )

    assert raised.value.status_code == 400


def test_qualified_service_name_reaches_the_function(cloud: Cloud) -> None:
    """``invoke_function(..., qualifier="LATEST")`` addresses ``vpndiag.LATEST``."""
    seen: list[FcContext] = []
    cloud.fc(REGION).register_function("vpndiag", "archive", lambda e, c: seen.append(c))

    _client().invoke_function("vpndiag", "archive", payload=b"{}", qualifier="LATEST")

    assert seen[0].service.qualifier == "LATEST"


def test_loopback_request_finds_the_functions_region() -> None:
    """On loopback the host names no region: the one holding the function answers."""
    cloud = Cloud(seed=1)
    cloud.fc("cn-shanghai").register_function("vpndiag", "archive", _echo)
    with cloud.serve() as server:
        response = _client(server.base_url).invoke_function("vpndiag", "archive", payload=b"{}")

    assert json.loads(response.data)["region"] == "cn-shanghai"


def test_loopback_request_for_a_function_in_two_regions_is_ambiguous() -> None:
    """Registered in two regions, a loopback call cannot choose: the emulator says so."""
    plain = Cloud(seed=1)
    for region in ("cn-hangzhou", "cn-shanghai"):
        plain.fc(region).register_function("vpndiag", "archive", _echo)
    with plain.serve() as server, pytest.raises(fc2.FcError) as raised:
        _client(server.base_url).invoke_function("vpndiag", "archive", payload=b"{}")

    assert raised.value.err_code == "Emulator.AmbiguousRegion"
