"""The emulated FC API's signature check, against requests signed here from the specification.

The signer below is written from signing.md section 5, independently of both the emulator and
aliyun-fc2 (the interop test covers the SDK); each test breaks one thing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_ACCOUNT_ID,
    Cloud,
    ManualClock,
)

REGION = "cn-hangzhou"
HOST = f"{DEFAULT_ACCOUNT_ID}.{REGION}.fc.aliyuncs.com"
PATH = "/2016-08-15/services/vpndiag/functions/archive/invocations"


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    cloud = Cloud(seed=1, clock=ManualClock())
    cloud.fc(REGION).register_function("vpndiag", "archive", lambda event, context: b"ok")
    with cloud.mock():
        yield cloud


def _post(
    cloud: Cloud,
    *,
    key_id: str = DEFAULT_ACCESS_KEY_ID,
    secret: str = DEFAULT_ACCESS_KEY_SECRET,
    token: str | None = None,
    at: datetime | None = None,
    host: str = HOST,
    extra: Mapping[str, str] | None = None,
    signed_path: str = PATH,
) -> requests.Response:
    """POST an invocation signed as the spec says: S = METHOD, MD5, type, date, x-fc-*, path."""
    headers = {
        "content-type": "application/json",
        "date": format_datetime(at or cloud.clock.now(), usegmt=True),
        "x-fc-invocation-type": "Sync",
        **(extra or {}),
    }
    if token is not None:
        headers["x-fc-security-token"] = token
    fc_headers = "".join(f"{k}:{v}\n" for k, v in sorted(headers.items()) if k.startswith("x-fc-"))
    text = f"POST\n\n{headers['content-type']}\n{headers['date']}\n{fc_headers}{signed_path}"
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()
    headers["authorization"] = f"FC {key_id}:{base64.b64encode(digest).decode()}"
    return requests.post(f"https://{host}{PATH}", data=b"{}", headers=headers, timeout=5)


def _code(response: requests.Response) -> tuple[int, str]:
    return response.status_code, response.json()["ErrorCode"]


def test_a_correctly_signed_request_is_answered(cloud: Cloud) -> None:
    """The spec's string to sign, signed with the key's secret, invokes the function."""
    response = _post(cloud)

    assert (response.status_code, response.content) == (200, b"ok")


def test_wrong_secret_is_signature_not_match(cloud: Cloud) -> None:
    """A signature made with another secret: 403 SignatureNotMatch."""
    assert _code(_post(cloud, secret="wrong")) == (403, "SignatureNotMatch")


def test_x_fc_headers_are_signed(cloud: Cloud) -> None:
    """An x-fc-* header changed after signing breaks the signature."""
    response = _post(cloud, signed_path=PATH.replace("archive", "other"))

    assert _code(response) == (403, "SignatureNotMatch")


def test_unknown_access_key(cloud: Cloud) -> None:
    """A key the cloud does not know: 403 InvalidAccessKeyID."""
    assert _code(_post(cloud, key_id="LTAInobody")) == (403, "InvalidAccessKeyID")


def test_date_outside_the_window_is_refused(cloud: Cloud) -> None:
    """A Date 16 minutes off the server's clock: 403 RequestTimeTooSkewed."""
    late = cloud.clock.now() - timedelta(minutes=16)

    assert _code(_post(cloud, at=late)) == (403, "RequestTimeTooSkewed")


def test_sts_key_needs_its_token(cloud: Cloud) -> None:
    """An STS key without x-fc-security-token: 403 InvalidSecurityToken."""
    cloud.add_access_key("STSfc", "sts-secret", security_token="tok-1")

    assert _code(_post(cloud, key_id="STSfc", secret="sts-secret")) == (
        403,
        "InvalidSecurityToken",
    )


def test_sts_key_with_its_token_is_answered(cloud: Cloud) -> None:
    """The token travels in x-fc-security-token, itself a signed x-fc-* header."""
    cloud.add_access_key("STSfc", "sts-secret", security_token="tok-1")

    response = _post(cloud, key_id="STSfc", secret="sts-secret", token="tok-1")

    assert response.status_code == 200


def test_denied_invoke_is_access_denied(cloud: Cloud) -> None:
    """A key without fc:InvokeFunction: 403 AccessDenied."""
    cloud.deny(DEFAULT_ACCESS_KEY_ID, "fc:InvokeFunction")

    assert _code(_post(cloud)) == (403, "AccessDenied")


def test_another_accounts_host_is_access_denied(cloud: Cloud) -> None:
    """The account in the host name must be the key's own."""
    response = _post(cloud, host=f"9999999999999999.{REGION}.fc.aliyuncs.com")

    assert _code(response) == (403, "AccessDenied")
