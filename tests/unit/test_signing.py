"""The VPC signers reproduce the vendor's published vectors (reference/signing.md)."""

from __future__ import annotations

import hashlib

from vpndiag.signing import acs3, rpc_v1
from vpndiag.signing.percent import encode

V3_HEADERS = {
    "host": "ecs.cn-shanghai.aliyuncs.com",
    "x-acs-action": "RunInstances",
    "x-acs-version": "2014-05-26",
    "x-acs-date": "2023-10-26T10:22:32Z",
    "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
    "x-acs-content-sha256": acs3.EMPTY_SHA256,
}
V3_QUERY = {
    "ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
    "RegionId": "cn-shanghai",
}


def test_percent_encoding_keeps_only_unreserved() -> None:
    """Space becomes %20, * becomes %2A, ~ stays, UTF-8 is encoded byte by byte."""
    assert encode("a b*~/é") == "a%20b%2A~%2F%C3%A9"


def test_v3_canonical_request_hash_matches_vector() -> None:
    """The canonical request of the published RunInstances example hashes to the documented value."""
    request, signed = acs3.canonical_request("POST", "/", V3_QUERY, V3_HEADERS, acs3.EMPTY_SHA256)
    assert hashlib.sha256(request.encode()).hexdigest() == (
        "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
    )
    assert (
        signed
        == "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
    )


def test_v3_authorization_matches_vector() -> None:
    """The Authorization header carries the published signature."""
    header = acs3.sign(
        method="POST",
        path="/",
        query=V3_QUERY,
        headers=V3_HEADERS,
        payload_hash=acs3.EMPTY_SHA256,
        access_key_id="YourAccessKeyId",
        access_key_secret="YourAccessKeySecret",
    )
    assert header.endswith(
        "Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
    )
    assert header.startswith("ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;")


def test_v3_signs_the_security_token_header() -> None:
    """An STS token header is covered by the signature (it changes the signed header list)."""
    headers = {**V3_HEADERS, "x-acs-security-token": "tok"}
    _, signed = acs3.canonical_request("POST", "/", V3_QUERY, headers, acs3.EMPTY_SHA256)
    assert "x-acs-security-token" in signed.split(";")


def test_v1_vector_one() -> None:
    """DescribeRegions with testid/testsecret signs to the published value."""
    params = {
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
        "AccessKeyId": "testid",
    }
    assert rpc_v1.sign("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


V1_SMS = {
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
    "AccessKeyId": "testId",
}


def test_v1_vector_two_utf8_and_json_values() -> None:
    """UTF-8 and JSON parameter values sign to the published GET value."""
    assert rpc_v1.sign("GET", V1_SMS, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_v1_vector_two_post() -> None:
    """The method is part of the string to sign: POST gives the published POST value."""
    assert rpc_v1.sign("POST", V1_SMS, "testSecret") == "Xvhv7fPXrPkLVSnlt0jIr08o8NQ="


def test_v1_ignores_an_existing_signature_parameter() -> None:
    """Re-signing a request that already carries Signature gives the same value."""
    signed = {**V1_SMS, "Signature": "zJDF+Lrzhj/ThnlvIToysFRq6t4="}
    assert rpc_v1.sign("GET", signed, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
