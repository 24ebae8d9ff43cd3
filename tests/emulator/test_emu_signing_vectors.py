"""The emulator's canonicalisation reproduces the published ACS signing vectors."""

from __future__ import annotations

from vpndiag_emulator.core.acs_signing import (
    EMPTY_BODY_SHA256,
    percent_encode,
    v1_signature,
    v1_string_to_sign,
    v3_canonical_request,
    v3_signature,
    v3_string_to_sign,
)

V3_SIGNED = (
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
)

V1_SMS_PARAMS = [
    ("Action", "SendSms"),
    ("Format", "XML"),
    ("OutId", "123"),
    ("PhoneNumbers", "15300000001"),
    ("RegionId", "cn-hangzhou"),
    ("SignName", "阿里云短信测试专用"),
    ("SignatureMethod", "HMAC-SHA1"),
    ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
    ("SignatureVersion", "1.0"),
    ("TemplateCode", "SMS_71390007"),
    ("TemplateParam", '{"customer":"test"}'),
    ("Timestamp", "2017-07-12T02:42:19Z"),
    ("Version", "2017-05-25"),
    ("AccessKeyId", "testId"),
]


def test_v3_vector_run_instances() -> None:
    """V3: the vendor's RunInstances vector gives its canonical-request hash and signature."""
    canonical = v3_canonical_request(
        "POST",
        "/",
        [
            ("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"),
            ("RegionId", "cn-shanghai"),
        ],
        {
            "host": "ecs.cn-shanghai.aliyuncs.com",
            "x-acs-action": "RunInstances",
            "x-acs-version": "2014-05-26",
            "x-acs-date": "2023-10-26T10:22:32Z",
            "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
            "x-acs-content-sha256": EMPTY_BODY_SHA256,
        },
        signed_headers=V3_SIGNED,
        payload_hash=EMPTY_BODY_SHA256,
    )
    string_to_sign = v3_string_to_sign(canonical)

    assert string_to_sign == (
        "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
    )
    assert v3_signature("YourAccessKeySecret", string_to_sign) == (
        "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
    )


def test_v1_vector_1_describe_regions() -> None:
    """V1 vector 1 (GET DescribeRegions) gives the published signature."""
    params = [
        ("Action", "DescribeRegions"),
        ("Format", "XML"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2016-02-23T12:46:24Z"),
        ("Version", "2014-05-26"),
        ("AccessKeyId", "testid"),
    ]

    signature = v1_signature("testsecret", v1_string_to_sign("GET", params))

    assert signature == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_v1_vector_2_utf8_and_json_values_get() -> None:
    """V1 vector 2 (UTF-8 and JSON values) with GET gives the published signature."""
    assert v1_signature("testSecret", v1_string_to_sign("GET", V1_SMS_PARAMS)) == (
        "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    )


def test_v1_vector_2_post() -> None:
    """V1 vector 2 with POST gives the published POST signature."""
    assert v1_signature("testSecret", v1_string_to_sign("POST", V1_SMS_PARAMS)) == (
        "Xvhv7fPXrPkLVSnlt0jIr08o8NQ="
    )


def test_percent_encoding_is_rfc3986() -> None:
    """Space is %20, '*' is %2A, '~' and '/'-free unreserved characters stay, hex is upper."""
    assert percent_encode("a b*~/é") == "a%20b%2A~%2F%C3%A9"
