"""The OSS V4 signer reproduces the official SDK vectors (reference/signing.md, section 3)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from vpndiag.signing import oss_v4

VECTOR_QUERY = {
    "param1": "value1",
    "+param1": "value3",
    "|param1": "value4",
    "+param2": "",
    "|param2": "",
    "param2": "",
}


def _headers(timestamp: str, **extra: str) -> dict[str, str]:
    return {
        "x-oss-head1": "value",
        "abc": "value",
        "ZAbc": "value",
        "XYZ": "value",
        "content-type": "text/plain",
        "x-oss-content-sha256": "UNSIGNED-PAYLOAD",
        "x-oss-date": timestamp,
        **extra,
    }


def _sign(headers: dict[str, str], additional: tuple[str, ...] = ()) -> str:
    return oss_v4.sign(
        method="PUT",
        bucket="bucket",
        key="1234+-/123/1.txt",
        query=VECTOR_QUERY,
        headers=headers,
        region="cn-hangzhou",
        access_key_id="ak",
        access_key_secret="sk",
        additional_headers=additional,
    )


def test_vector_without_token() -> None:
    """ts 20231216T162057Z signs to the published value, with the documented credential scope."""
    assert _sign(_headers("20231216T162057Z")) == (
        "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,"
        "Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"
    )


def test_vector_with_security_token() -> None:
    """The STS token header is signed like any x-oss-* header."""
    header = _sign(_headers("20231217T034736Z", **{"x-oss-security-token": "token"}))
    assert header.endswith(
        "Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea"
    )


def test_vector_with_additional_headers() -> None:
    """AdditionalHeaders ZAbc and abc are signed lower-cased and sorted, and named in the header."""
    header = _sign(_headers("20231216T172512Z"), additional=("ZAbc", "abc"))
    assert ",AdditionalHeaders=abc;zabc," in header
    assert header.endswith(
        "Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f"
    )


def test_canonical_request_of_the_vector() -> None:
    """URI keeps '/', encodes '+'; bare keys for empty values; only x-oss-*/content-* headers."""
    request, signed_extra = oss_v4.canonical_request(
        "PUT",
        oss_v4.canonical_uri("bucket", "1234+-/123/1.txt"),
        VECTOR_QUERY,
        _headers("20231216T162057Z"),
    )
    assert request == (
        "PUT\n/bucket/1234%2B-/123/1.txt\n"
        "%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\n"
        "content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\n"
        "x-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD"
    )
    assert signed_extra == ""


def test_string_to_sign_of_the_vector() -> None:
    """The string to sign carries the timestamp, the scope and the canonical request's hash."""
    request, _ = oss_v4.canonical_request(
        "PUT",
        oss_v4.canonical_uri("bucket", "1234+-/123/1.txt"),
        VECTOR_QUERY,
        _headers("20231216T162057Z"),
    )
    text = oss_v4.string_to_sign(
        oss_v4.ALGORITHM,
        "20231216T162057Z",
        oss_v4.scope("20231216", "cn-hangzhou", "oss"),
        request,
    )
    assert text == (
        "OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\n"
        "f4613657f1b108998e8dbd10a1aa5da621dc2c6e02c9ddec0f163664848704c4"
    )


@pytest.mark.parametrize(
    ("key", "uri"),
    [
        ("", "/bucket/"),
        ("a b/c~d.json", "/bucket/a%20b/c~d.json"),
        ("région=é/x*", "/bucket/r%C3%A9gion%3D%C3%A9/x%2A"),
    ],
)
def test_canonical_uri_encodes_all_but_slash_and_unreserved(key: str, uri: str) -> None:
    """Bucket operations sign /bucket/; keys are RFC 3986 encoded with '/' kept."""
    assert oss_v4.canonical_uri("bucket", key) == uri


def test_signing_key_is_the_documented_chain() -> None:
    """aliyun_v4+secret -> date -> region -> product -> aliyun_v4_request, HMAC-SHA256 each."""
    key = b"aliyun_v4sk"
    for part in ("20231216", "cn-hangzhou", "oss", "aliyun_v4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    assert oss_v4.signing_key("sk", "20231216", "cn-hangzhou", "oss") == key
