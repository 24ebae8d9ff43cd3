"""Interop: the official FC 2.0 SDK (``aliyun-fc2``) against the emulated FC API.

The SDK is the vendor's own signer: its requests verifying here (sync and async, permanent and STS
keys, on loopback and in-process) is the independent check of the emulator's FC signature.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import fc2
import pytest
from fc2.auth import Auth

from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_ACCOUNT_ID,
    Cloud,
    FcContext,
    LoopbackServer,
)
from vpndiag_emulator.fc.signing import signature, string_to_sign

REGION = "cn-hangzhou"


def _echo(event: bytes, context: FcContext) -> bytes:
    return event


@pytest.fixture
def cloud() -> Cloud:
    cloud = Cloud(seed=3)
    cloud.fc(REGION).register_function("vpndiag", "archive", _echo)
    return cloud


@pytest.fixture
def server(cloud: Cloud) -> Iterator[LoopbackServer]:
    with cloud.serve() as running:
        yield running


def _client(endpoint: str, key_id: str = DEFAULT_ACCESS_KEY_ID, **extra: str) -> fc2.Client:
    return fc2.Client(
        endpoint=endpoint,
        accessKeyID=key_id,
        accessKeySecret=extra.pop("secret", DEFAULT_ACCESS_KEY_SECRET),
        **extra,
    )


def test_sdk_signature_equals_the_emulators() -> None:
    """For the same request, fc2's Authorization equals the emulator's own computation."""
    headers = {
        "content-type": "application/json",
        "date": "Fri, 20 Nov 2026 08:00:00 GMT",
        "x-fc-invocation-type": "Async",
        "x-fc-security-token": "tok",
    }
    path = "/2016-08-15/services/vpndiag/functions/archive/invocations"

    sdk = Auth("LTAIexample", "secret", "tok").sign_request("POST", path, headers)

    assert sdk == f"FC LTAIexample:{signature('secret', string_to_sign('POST', path, headers))}"


def test_sdk_sync_invocation_over_loopback(server: LoopbackServer) -> None:
    """``invoke_function`` against ``http://127.0.0.1:PORT`` runs the function."""
    response = _client(server.base_url).invoke_function("vpndiag", "archive", payload=b'{"a":1}')

    assert response.data == b'{"a":1}'


def test_sdk_async_invocation_over_loopback(cloud: Cloud, server: LoopbackServer) -> None:
    """``x-fc-invocation-type: Async`` queues; draining runs it."""
    _client(server.base_url).invoke_function(
        "vpndiag", "archive", payload=b"{}", headers={"x-fc-invocation-type": "Async"}
    )

    assert cloud.fc(REGION).drain().succeeded == 1


def test_sdk_with_sts_token(cloud: Cloud, server: LoopbackServer) -> None:
    """The SDK's x-fc-security-token is checked against the STS key's token."""
    cloud.add_access_key("STSsdk", "sts-secret", security_token="sdk-token")

    response = _client(
        server.base_url, "STSsdk", secret="sts-secret", securityToken="sdk-token"
    ).invoke_function("vpndiag", "archive", payload=b"{}")

    assert response.data == b"{}"


def test_sdk_wrong_secret_is_refused(server: LoopbackServer) -> None:
    """A wrong secret: the SDK raises FcError 403 SignatureNotMatch."""
    with pytest.raises(fc2.FcError) as raised:
        _client(server.base_url, secret="wrong").invoke_function(
            "vpndiag", "archive", payload=b"{}"
        )

    assert (raised.value.status_code, raised.value.err_code) == (403, "SignatureNotMatch")


def test_sdk_in_process_on_the_real_host_name(cloud: Cloud) -> None:
    """Through ``cloud.mock()`` the SDK addresses the real host name, no socket involved."""
    endpoint = f"https://{DEFAULT_ACCOUNT_ID}.{REGION}.fc.aliyuncs.com"
    with cloud.mock():
        response = _client(endpoint).invoke_function("vpndiag", "archive", payload=b'"x"')

    assert json.loads(response.data) == "x"
