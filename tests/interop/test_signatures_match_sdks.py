"""The app's signers equal the official SDKs' for the same fixed inputs (time, nonce, body).

Each test gives the app's signer and the SDK's the same request, with the SDK's clock pinned
where it reads one, and compares the signatures. Equal signatures over awkward inputs (keys with
'+', spaces and UTF-8, empty query values, STS tokens, additional headers) mean the app builds
the same canonical strings as the vendor, beyond the few published vectors.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import oss2.auth
import pytest
from alibabacloud_tea_openapi.utils import Utils as OpenApiUtils
from aliyun.log.credentials import StaticCredentialsProvider as LogCredentials
from oss2.credentials import StaticCredentialsProvider as OssCredentials

from vpndiag.signing import acs3, oss_v4, rpc_v1, sls

AK, SECRET, TOKEN = "LTAIfixedkey", "fixed-secret-value", "STS.fixed-token"
REGION = "cn-hangzhou"
# aliyun.log's signing module has no type hints (its package is marked typed): used through Any.
log_auth: Any = importlib.import_module("aliyun.log.auth")
OSS_TIME = datetime(2024, 5, 1, 12, 30, 45)  # naive UTC, as oss2 reads datetime.utcnow()
BODY = b'{"DiagnoseId": "vpndgn-abc"}\n'


class _PinnedDatetime(datetime):
    """oss2 signs at ``datetime.utcnow()``: pinned here to a fixed moment."""

    @classmethod
    def utcnow(cls) -> datetime:  # type: ignore[override]
        return OSS_TIME


def _signature_of(authorization: str) -> str:
    # Field order and separators differ between clients (oss2 writes ', '); the value does not.
    fields = dict(
        part.strip().partition("=")[::2] for part in authorization.split(" ", 1)[1].split(",")
    )
    return fields["Signature"]


# -- OSS V4 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "key", "params", "headers", "additional"),
    [
        (
            "PUT",
            "diagnoses/region=cn-hangzhou/a b+c é.json",
            {},
            {
                "Content-Type": "application/json",
                "Content-MD5": base64.b64encode(hashlib.md5(BODY).digest()).decode(),
                "x-oss-forbid-overwrite": "true",
                "x-oss-meta-diagnose-id": "vpndgn-abc",
            },
            (),
        ),
        (
            "GET",
            "",
            {"list-type": "2", "prefix": "diagnoses/", "encoding-type": "url", "acl": ""},
            {},
            (),
        ),
        ("HEAD", "k", {}, {"X-Custom": "value", "x-oss-security-token": TOKEN}, ("x-custom",)),
    ],
)
def test_oss_v4_equals_oss2(
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    key: str,
    params: dict[str, str],
    headers: dict[str, str],
    additional: tuple[str, ...],
) -> None:
    """OSS V4: the app's signer and oss2's ProviderAuthV4 give the same signature."""
    monkeypatch.setattr(oss2.auth, "datetime", _PinnedDatetime)
    request = oss2.http.Request(
        method,
        "http://127.0.0.1/",
        params=dict(params),
        headers=dict(headers),
        region=REGION,
        product="oss",
    )
    oss2.ProviderAuthV4(OssCredentials(AK, SECRET))._sign_request(
        request, "bucket", key, in_additional_headers=list(additional) or None
    )
    app_headers = {
        **{k.lower(): v for k, v in headers.items()},
        "x-oss-date": OSS_TIME.strftime("%Y%m%dT%H%M%SZ"),
        "x-oss-content-sha256": oss_v4.UNSIGNED_PAYLOAD,
    }

    app = oss_v4.sign(
        method=method,
        bucket="bucket",
        key=key,
        query=params,
        headers=app_headers,
        region=REGION,
        access_key_id=AK,
        access_key_secret=SECRET,
        additional_headers=additional,
    )

    assert _signature_of(app) == _signature_of(request.headers["authorization"])


# -- SLS V1 and V4 -----------------------------------------------------------------------------

SLS_DATE = "Wed, 01 May 2024 12:30:45 GMT"
SLS_CASES = [
    (
        "POST",
        "/logstores/diagnoses/shards/lb",
        {},
        {
            "Content-Type": "application/x-protobuf",
            "x-log-bodyrawsize": "123",
            "x-log-compresstype": "deflate",
            "x-log-apiversion": "0.6.0",
        },
        BODY,
    ),
    (
        "GET",
        "/logstores/diagnoses",
        {
            "type": "log",
            "from": "1714500000",
            "to": "1714566645",
            "query": 'diagnose_id: "vpndgn-abc"',
            "line": "100",
            "offset": "0",
            "reverse": "false",
        },
        {"x-log-apiversion": "0.6.0", "x-log-bodyrawsize": "0"},
        b"",
    ),
]


@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.parametrize(("method", "resource", "params", "headers", "body"), SLS_CASES)
def test_sls_v1_equals_aliyun_log(
    monkeypatch: pytest.MonkeyPatch,
    token: str | None,
    method: str,
    resource: str,
    params: dict[str, str],
    headers: dict[str, str],
    body: bytes,
) -> None:
    """SLS V1: the app's signer and aliyun-log's AuthV1 give the same Authorization."""
    monkeypatch.setattr(log_auth.AuthV1, "_getGMT", staticmethod(lambda: SLS_DATE))
    sdk_headers = dict(headers)
    log_auth.AuthV1(LogCredentials(AK, SECRET, token or "")).sign_request(
        method, resource, dict(params), sdk_headers, body
    )
    app_headers = {**headers, "x-log-signaturemethod": "hmac-sha1", "date": SLS_DATE}
    if body:
        app_headers["content-md5"] = hashlib.md5(body).hexdigest().upper()
    if token:
        app_headers["x-acs-security-token"] = token

    app = sls.sign_v1(
        method=method,
        resource=resource,
        query=params,
        headers=app_headers,
        access_key_id=AK,
        access_key_secret=SECRET,
    )

    assert app == sdk_headers["Authorization"]


@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.parametrize(("method", "resource", "params", "headers", "body"), SLS_CASES)
def test_sls_v4_equals_aliyun_log(
    token: str | None,
    method: str,
    resource: str,
    params: dict[str, str],
    headers: dict[str, str],
    body: bytes,
) -> None:
    """SLS V4: the app's signer and aliyun-log's AuthV4 (time given) give the same Authorization."""
    timestamp = "20240501T123045Z"
    host = {"Host": f"vpndiag-logs.{REGION}.log.aliyuncs.com"}
    sdk_headers = {**headers, **host}
    sdk = log_auth.AuthV4(LogCredentials(AK, SECRET, token or ""), REGION)._do_sign_request(
        method, resource, dict(params), sdk_headers, body, timestamp
    )
    app_headers = {
        **headers,
        **host,
        "x-log-date": timestamp,
        "x-log-content-sha256": hashlib.sha256(body).hexdigest(),
    }
    if token:
        app_headers["x-acs-security-token"] = token

    app = sls.sign_v4(
        method=method,
        resource=resource,
        query=params,
        headers=app_headers,
        region=REGION,
        access_key_id=AK,
        access_key_secret=SECRET,
    )

    assert app == sdk


# -- VPC (POP RPC) V3 and V1 ---------------------------------------------------------------------


def test_vpc_v3_equals_the_openapi_sdk() -> None:
    """ACS3-HMAC-SHA256: the app's signer and alibabacloud_tea_openapi's give the same header."""
    query = {"RegionId": REGION, "DiagnoseId": "vpndgn-abc", "VpnGatewayId": "vpn-1 2~x"}
    headers = {
        "host": f"vpc.{REGION}.aliyuncs.com",
        "x-acs-action": "GetVpnGatewayDiagnoseResult",
        "x-acs-version": "2016-04-28",
        "x-acs-date": "2024-05-01T12:30:45Z",
        "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
        "x-acs-content-sha256": acs3.EMPTY_SHA256,
        "x-acs-security-token": TOKEN,
    }
    request = SimpleNamespace(pathname="/", method="POST", query=query, headers=headers)

    sdk = OpenApiUtils.get_authorization(request, "ACS3-HMAC-SHA256", acs3.EMPTY_SHA256, AK, SECRET)
    app = acs3.sign(
        method="POST",
        path="/",
        query=query,
        headers=headers,
        payload_hash=acs3.EMPTY_SHA256,
        access_key_id=AK,
        access_key_secret=SECRET,
    )

    assert app == sdk


def test_vpc_v1_equals_the_openapi_sdk() -> None:
    """HMAC-SHA1 (SignatureVersion 1.0): the app's and the SDK's Signature are equal."""
    params = {
        "Action": "GetVpnGatewayDiagnoseResult",
        "Version": "2016-04-28",
        "Format": "JSON",
        "AccessKeyId": AK,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "Timestamp": "2024-05-01T12:30:45Z",
        "RegionId": REGION,
        "DiagnoseId": "vpndgn-abc",
        "Note": "a b*c~é",
    }

    assert rpc_v1.sign("GET", params, SECRET) == OpenApiUtils.get_rpcsignature(
        params, "GET", SECRET
    )
