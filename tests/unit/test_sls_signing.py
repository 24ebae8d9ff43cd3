"""The SLS signers reproduce the published V1 and V4 vectors (reference/signing.md, section 4)."""

from __future__ import annotations

import hashlib

from vpndiag.signing import sls

BODY = b"adasd= -asd zcas"
AK, SECRET = "acsddda21dsd", "zxasdasdasw2"


def _v1_headers(**extra: str) -> dict[str, str]:
    return {
        "Content-MD5": hashlib.md5(BODY).hexdigest().upper(),
        "Content-Type": "application/x-protobuf",
        "Date": "Mon, 08 Aug 2022 03:23:30 GMT",
        "x-log-apiversion": "0.6.0",
        "x-log-signaturemethod": "hmac-sha1",
        "x-log-bodyrawsize": "16",
        "x-log-compresstype": "lz4",
        "x-acs-security-token": "STS.tok",
        **extra,
    }


def _v1(headers: dict[str, str], query: dict[str, str] | None = None) -> str:
    return sls.sign_v1(
        method="POST",
        resource="/logstores/store/shards/lb",
        query=query or {},
        headers=headers,
        access_key_id=AK,
        access_key_secret=SECRET,
    )


def _v4(headers: dict[str, str], *, region: str, resource: str = "/logstores", **query: str) -> str:
    return sls.sign_v4(
        method="POST",
        resource=resource,
        query=query,
        headers={
            **headers,
            "x-log-date": "20220808T032330Z",
            "x-log-content-sha256": hashlib.sha256(BODY).hexdigest(),
        },
        region=region,
        access_key_id=AK,
        access_key_secret=SECRET,
    )


def test_v1_vector() -> None:
    """The published PutLogs request with an STS token signs to the published value."""
    assert _v1(_v1_headers()) == "LOG acsddda21dsd:WtqKIoQ0IjrHvG8WI2761OLiF+U="


def test_v1_does_not_sign_x_log_date_or_meta_headers() -> None:
    """x-log-date (a stand-in for Date) and x-log-meta-* leave the signature unchanged."""
    extra = {"x-log-date": "Mon, 08 Aug 2022 03:23:30 GMT", "x-log-meta-a": "b"}
    assert _v1(_v1_headers(**extra)) == _v1(_v1_headers())


def test_v1_string_to_sign_puts_the_query_raw_and_sorted() -> None:
    """The resource's query is sorted by key and not percent-encoded."""
    text = sls.v1_string_to_sign(
        "GET",
        "/logstores/ls",
        {"type": "log", "query": 'diagnose_id: "x"', "from": "1"},
        {"Date": "D", "x-log-apiversion": "0.6.0"},
    )
    assert text == (
        'GET\n\n\nD\nx-log-apiversion:0.6.0\n/logstores/ls?from=1&query=diagnose_id: "x"&type=log'
    )


def test_v4_vector() -> None:
    """The published V4 request (no other headers or parameters) signs to the published value."""
    assert _v4({}, region="cn-shanghai") == (
        "SLS4-HMAC-SHA256 Credential=acsddda21dsd/20220808/cn-shanghai/sls/aliyun_v4_request,"
        "Signature=8a10a5e723cb2e75964816de660b2c16a58af8bc0261f7f0722d832468c76ce8"
    )


# The official Java SDK's SignerV4Test: unsigned headers mixed in, parameters with odd keys.
JAVA_HEADERS = {
    "hello": "world",
    "hello-Text": "a12X- ",
    " Ko ": "",
    "x-log-test": "het123",
    "x-acs-ppp": "dds",
}
JAVA_QUERY = {" abc": "efg", " agc ": "", "": "efg", "A-bc": "eFg"}


def test_v4_java_sdk_vector_signs_only_log_and_acs_headers() -> None:
    """Headers outside content-type/host/x-log-*/x-acs-* are ignored; keys stay unencoded."""
    assert _v4(JAVA_HEADERS, region="cn-hangzhou", **JAVA_QUERY).endswith(
        "Signature=a98f5632e93836e63839cd836a54055f480020a9364ca944e2d34f2eb9bf1bed"
    )


def test_v4_java_sdk_vector_encodes_values_not_keys_nor_path() -> None:
    """Values are RFC 3986 encoded (~ kept); keys and the resource path are signed as they are."""
    query = {**JAVA_QUERY, "abs-ij*asd/vc": "a~js+d ada", "a abAas123/vc": "a~jdad a2ADFs+d ada"}
    header = _v4(JAVA_HEADERS, region="cn-hangzhou", resource="/logstores/hello/a+*~bb/cc", **query)
    assert header.endswith(
        "Signature=2c204068e961a8813a6bcf7ac422f7fa6e9bf9a5da493e0165dfe100854d18ff"
    )


def test_v4_signs_host_and_content_type() -> None:
    """host and content-type are part of the canonical headers (a verifier derives them)."""
    request = sls.v4_canonical_request(
        "POST",
        "/logstores/ls/shards/lb",
        {},
        {
            "Host": "p.cn-hangzhou.log.aliyuncs.com",
            "Content-Type": "application/x-protobuf",
            "Content-MD5": "ABC",
            "x-log-content-sha256": "h",
        },
    )
    assert request.split("\n")[3:7] == [
        "content-type:application/x-protobuf",
        "host:p.cn-hangzhou.log.aliyuncs.com",
        "x-log-content-sha256:h",
        "",
    ]
    assert request.split("\n")[7] == "content-type;host;x-log-content-sha256"
