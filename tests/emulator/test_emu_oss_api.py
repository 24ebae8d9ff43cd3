"""The OSS emulator on the wire: objects, listings, errors, V4 verification, faults.

Requests are signed with the app's V4 signer (``vpndiag.signing.oss_v4``), an implementation
separate from the emulator's verifier, and sent raw so each test can break one thing. Most tests
run on both transports: in-process (virtual-hosted host names) and the loopback server (path-style
``/bucket/key``, as a client addresses an IP endpoint).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
import requests

from vpndiag.signing import oss_v4
from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    Cloud,
    LoopbackServer,
)

REGION = "cn-hangzhou"
BUCKET = "archive-bucket"


class OssRaw:
    """Signs OSS requests with the app's V4 signer and sends them once, with ``requests``."""

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        base: str | None = None,
        proxy: str | None = None,
        key_id: str = DEFAULT_ACCESS_KEY_ID,
        secret: str = DEFAULT_ACCESS_KEY_SECRET,
        security_token: str | None = None,
        region: str = REGION,
    ) -> None:
        self.base = base
        """``http://IP:PORT`` for path-style; ``None`` for the real virtual-hosted names."""
        self.now = now
        self.key_id = key_id
        self.secret = secret
        self.security_token = security_token
        self.region = region
        self.session = requests.Session()
        self.session.trust_env = False
        if proxy is not None:
            self.session.proxies = {"http": proxy, "https": proxy}
        self.scheme = "http" if proxy else "https"
        self.internal = False
        """Address the ``-internal`` (in-VPC) host names."""

    def url(self, bucket: str, key: str) -> str:
        if self.base is not None:
            # As oss2 does for an IP endpoint: the key's '/' encoded too.
            return f"{self.base}/{bucket}/{quote(key, safe='')}"
        suffix = "-internal" if self.internal else ""
        host = f"{bucket}.oss-{self.region}{suffix}.aliyuncs.com"
        return f"{self.scheme}://{host}/{quote(key, safe='/')}"

    def send(
        self,
        method: str,
        key: str = "",
        *,
        bucket: str = BUCKET,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        secret: str | None = None,
        timestamp: datetime | None = None,
        separator: str = ",",
        additional: tuple[str, ...] = (),
        unsigned: Mapping[str, str] | None = None,
        content_sha256: str = oss_v4.UNSIGNED_PAYLOAD,
        sent_key: str | None = None,
    ) -> requests.Response:
        """Sign ``headers`` and send; ``unsigned`` headers are added after signing, and
        ``sent_key`` addresses another key than the one signed."""
        signed = {k.lower(): v for k, v in (headers or {}).items()}
        signed["x-oss-date"] = (timestamp or self.now()).strftime("%Y%m%dT%H%M%SZ")
        signed["x-oss-content-sha256"] = content_sha256
        if self.security_token is not None:
            signed["x-oss-security-token"] = self.security_token
        authorization = oss_v4.sign(
            method=method,
            bucket=bucket,
            key=key,
            query=query or {},
            headers=signed,
            region=self.region,
            access_key_id=self.key_id,
            access_key_secret=secret if secret is not None else self.secret,
            additional_headers=additional,
        )
        signed["authorization"] = authorization.replace(",", separator)
        url = self.url(bucket, key if sent_key is None else sent_key)
        if query:
            url += "?" + "&".join(
                f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query.items()
            )
        return self.session.request(
            method, url, headers={**signed, **(unsigned or {})}, data=body or None, timeout=10
        )

    def put(self, key: str, body: bytes, **headers: str) -> requests.Response:
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        return self.send("PUT", key, body=body, headers={"content-md5": md5, **headers})


def error_of(response: requests.Response) -> dict[str, str]:
    """The elements of an OSS error document (from the body, or ``x-oss-err`` for a HEAD)."""
    data = response.content or base64.b64decode(response.headers["x-oss-err"])
    return {child.tag: child.text or "" for child in ElementTree.fromstring(data)}


def listing(response: requests.Response) -> ElementTree.Element:
    assert response.status_code == 200, response.text
    return ElementTree.fromstring(response.content)


@pytest.fixture
def bucket(cloud: Cloud) -> str:
    """An empty bucket of the default account in cn-hangzhou."""
    cloud.oss(REGION).create_bucket(BUCKET)
    return BUCKET


@pytest.fixture(params=["mock", "server"])
def oss(request: pytest.FixtureRequest, cloud: Cloud, bucket: str) -> Iterator[OssRaw]:
    """A raw OSS client, once per transport (in-process virtual-hosted, loopback path-style)."""
    if request.param == "mock":
        with cloud.mock():
            yield OssRaw(now=cloud.clock.now)
    else:
        with cloud.serve() as running:
            yield OssRaw(now=cloud.clock.now, base=running.base_url)


@pytest.fixture
def served(cloud: Cloud, bucket: str) -> Iterator[LoopbackServer]:
    """The loopback server, for the tests that need its address."""
    with cloud.serve() as running:
        yield running


# -- objects ---------------------------------------------------------------------------------


def test_put_returns_etag_crc64_and_request_id(oss: OssRaw) -> None:
    """PutObject: ETag is the quoted upper-case hex MD5, x-oss-hash-crc64ecma the decimal CRC."""
    response = oss.put("a/b.json", b"123456789")

    assert response.status_code == 200
    assert response.headers["ETag"] == '"25F9E794323B453885F5181F1B624D0B"'
    assert response.headers["x-oss-hash-crc64ecma"] == str(0x995DC9BBDF1939FA)
    assert len(response.headers["x-oss-request-id"]) == 24


def test_get_returns_the_bytes_and_object_headers(oss: OssRaw, cloud: Cloud) -> None:
    """GetObject: the stored bytes, content type, ETag, Last-Modified, Normal object type."""
    oss.put("k.json", b'{"a":1}', **{"content-type": "application/json"})

    response = oss.send("GET", "k.json")

    assert response.content == b'{"a":1}'
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["ETag"] == cloud.oss(REGION).get_object(BUCKET, "k.json").etag.join(
        '""'
    )
    assert response.headers["Last-Modified"].endswith(" GMT")
    assert response.headers["x-oss-object-type"] == "Normal"


def test_user_metadata_is_kept_and_returned(oss: OssRaw) -> None:
    """x-oss-meta-* headers of a put come back on GetObject."""
    oss.put("m", b"x", **{"x-oss-meta-diagnose-id": "vpndgn-1", "x-oss-meta-note": "a%20b"})

    response = oss.send("GET", "m")

    assert response.headers["x-oss-meta-diagnose-id"] == "vpndgn-1"
    assert response.headers["x-oss-meta-note"] == "a%20b"


def test_head_reports_headers_without_a_body(oss: OssRaw) -> None:
    """HeadObject: ETag and metadata, no body."""
    oss.put("h", b"hello", **{"x-oss-meta-owner": "me"})

    response = oss.send("HEAD", "h")

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["x-oss-meta-owner"] == "me"
    assert response.headers["ETag"] == '"5D41402ABC4B2A76B9719D911017C592"'


def test_head_in_process_reports_the_object_size(cloud: Cloud, bucket: str) -> None:
    """In-process, a HEAD's Content-Length is the object's size (the loopback server's core
    derives Content-Length from the body and reports 0: see the handler)."""
    with cloud.mock():
        client = OssRaw(now=cloud.clock.now)
        client.put("h", b"hello")

        response = client.send("HEAD", "h")

    assert response.headers["Content-Length"] == "5"


def test_forbid_overwrite_refuses_an_existing_key(oss: OssRaw, cloud: Cloud) -> None:
    """x-oss-forbid-overwrite: true on an existing key: 409 FileAlreadyExists, object unchanged."""
    oss.put("once", b"first")

    response = oss.put("once", b"second", **{"x-oss-forbid-overwrite": "true"})

    assert response.status_code == 409
    assert error_of(response)["Code"] == "FileAlreadyExists"
    assert cloud.oss(REGION).objects(BUCKET) == {"once": b"first"}


def test_put_without_forbid_overwrite_replaces(oss: OssRaw, cloud: Cloud) -> None:
    """A plain put replaces the object, as OSS does."""
    oss.put("k", b"first")

    oss.put("k", b"second", **{"x-oss-forbid-overwrite": "false"})

    assert cloud.oss(REGION).objects(BUCKET) == {"k": b"second"}


@pytest.mark.parametrize(
    "content_md5", [base64.b64encode(hashlib.md5(b"other").digest()).decode(), "not-base64!"]
)
def test_content_md5_mismatch_is_invalid_digest(
    oss: OssRaw, cloud: Cloud, content_md5: str
) -> None:
    """A Content-MD5 that is not the body's (or not an MD5): 400 InvalidDigest, nothing stored."""
    response = oss.send("PUT", "k", body=b"body", headers={"content-md5": content_md5})

    assert (response.status_code, error_of(response)["Code"]) == (400, "InvalidDigest")
    assert cloud.oss(REGION).objects(BUCKET) == {}


def test_get_of_a_missing_key_is_no_such_key(oss: OssRaw) -> None:
    """404 NoSuchKey, the key named in the error document, OSS's EC code."""
    response = oss.send("GET", "missing/key")

    error = error_of(response)
    assert (response.status_code, error["Code"], error["Key"]) == (404, "NoSuchKey", "missing/key")
    assert error["EC"] == "0026-00000001"


def test_head_error_comes_base64_in_x_oss_err(oss: OssRaw) -> None:
    """A HEAD error has no body: the XML document is base64-encoded in x-oss-err."""
    response = oss.send("HEAD", "missing")

    assert (response.status_code, response.content) == (404, b"")
    assert error_of(response)["Code"] == "NoSuchKey"


def test_missing_bucket_is_no_such_bucket(oss: OssRaw) -> None:
    """A bucket that was never created: 404 NoSuchBucket."""
    response = oss.send("GET", "k", bucket="no-such-bucket")

    assert (response.status_code, error_of(response)["Code"]) == (404, "NoSuchBucket")


def test_delete_then_get_is_no_such_key(oss: OssRaw) -> None:
    """DeleteObject answers 204; the object is gone."""
    oss.put("gone", b"x")

    deleted = oss.send("DELETE", "gone")

    assert deleted.status_code == 204
    assert oss.send("GET", "gone").status_code == 404


def test_racing_create_only_puts_create_exactly_once(served: LoopbackServer, cloud: Cloud) -> None:
    """Eight threads put one key create-only at once: one 200, seven FileAlreadyExists."""
    client = OssRaw(now=cloud.clock.now, base=served.base_url)
    statuses: list[int] = []
    start = threading.Barrier(8)

    def put(n: int) -> None:
        start.wait()
        body = f"writer {n}".encode()
        statuses.append(client.put("race", body, **{"x-oss-forbid-overwrite": "true"}).status_code)

    threads = [threading.Thread(target=put, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] + [409] * 7


def test_keys_with_encoded_slashes_are_decoded(served: LoopbackServer, cloud: Cloud) -> None:
    """Path-style keys arrive percent-encoded ('/' as %2F, spaces, UTF-8) and are stored decoded."""
    client = OssRaw(now=cloud.clock.now, base=served.base_url)

    client.put("dir/sub dir/é.json", b"x")

    assert cloud.oss(REGION).objects(BUCKET) == {"dir/sub dir/é.json": b"x"}


def test_sub_resources_are_not_emulated(oss: OssRaw) -> None:
    """An operation the emulator lacks (?acl) answers 501 Emulator.NotImplemented."""
    response = oss.send("GET", "k", query={"acl": ""})

    assert (response.status_code, error_of(response)["Code"]) == (501, "Emulator.NotImplemented")


# -- addressing and state ----------------------------------------------------------------------


def test_virtual_hosted_through_the_server_as_proxy(served: LoopbackServer, cloud: Cloud) -> None:
    """With the emulator as HTTP proxy, the real bucket host name reaches the bucket."""
    client = OssRaw(now=cloud.clock.now, proxy=served.base_url)

    client.put("via-proxy", b"x")

    assert cloud.oss(REGION).objects(BUCKET) == {"via-proxy": b"x"}


def test_internal_endpoint_reaches_the_same_bucket(cloud: Cloud, bucket: str) -> None:
    """{bucket}.oss-{region}-internal.aliyuncs.com serves the same region's bucket."""
    client = OssRaw(now=cloud.clock.now)
    with cloud.mock():
        client.put("k", b"x")
        client.internal = True
        response = client.send("GET", "k")

    assert response.content == b"x"


def test_path_style_to_a_real_endpoint_is_refused(cloud: Cloud, bucket: str) -> None:
    """OSS serves virtual-hosted style only: /bucket/key on oss-{region}... is forbidden."""
    with cloud.mock():
        response = requests.get(f"https://oss-{REGION}.aliyuncs.com/{BUCKET}/k", timeout=5)

    assert (response.status_code, error_of(response)["Code"]) == (403, "SecondLevelDomainForbidden")


def test_buckets_belong_to_one_region(oss: OssRaw, cloud: Cloud) -> None:
    """A bucket of cn-hangzhou is not found when the request is signed for cn-shanghai."""
    cloud.oss("cn-shanghai").create_bucket("shanghai-bucket")
    oss.region = "cn-shanghai"

    response = oss.send("GET", "k", bucket=BUCKET)

    assert oss.send("GET", "k", bucket="shanghai-bucket").status_code == 404
    assert error_of(response)["Code"] == "NoSuchBucket"


def test_buckets_belong_to_one_account(oss: OssRaw, cloud: Cloud) -> None:
    """Another account's key does not see the default account's bucket."""
    cloud.add_access_key("LTAIother", "other-secret", account_id="999")
    oss.key_id, oss.secret = "LTAIother", "other-secret"

    response = oss.send("GET", "k")

    assert error_of(response)["Code"] == "NoSuchBucket"


# -- ListObjectsV2 ---------------------------------------------------------------------------


def _list(oss: OssRaw, **params: str) -> ElementTree.Element:
    return listing(oss.send("GET", query={"list-type": "2", **params}))


def _all_pages(oss: OssRaw, **params: str) -> tuple[list[str], list[str]]:
    keys: list[str] = []
    prefixes: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = _list(oss, **params, **token)
        keys += [e.text or "" for e in page.iterfind("Contents/Key")]
        prefixes += [e.text or "" for e in page.iterfind("CommonPrefixes/Prefix")]
        if page.findtext("IsTruncated") == "false":
            return keys, prefixes
        token = {"continuation-token": page.findtext("NextContinuationToken") or ""}


@pytest.fixture
def filled(cloud: Cloud, bucket: str) -> list[str]:
    """Seven objects, some under common prefixes."""
    keys = ["a/1", "a/2", "b/x/1", "b/x/2", "b/y", "c", "d/1"]
    for key in keys:
        cloud.oss(REGION).put_object(BUCKET, key, b"x", content_type="text/plain", metadata={})
    return keys


def test_list_pages_through_every_key(oss: OssRaw, filled: list[str]) -> None:
    """max-keys=2 pages, followed by continuation-token, return every key once, in order."""
    assert _all_pages(oss, **{"max-keys": "2"}) == (filled, [])


def test_list_page_shape(oss: OssRaw, filled: list[str]) -> None:
    """A truncated page: KeyCount, IsTruncated, NextContinuationToken, Contents' fields."""
    page = _list(oss, **{"max-keys": "3", "prefix": "b/"})

    assert page.findtext("KeyCount") == "3"
    assert page.findtext("IsTruncated") == "false"
    contents = page.find("Contents")
    assert contents is not None
    assert contents.findtext("ETag") == '"9DD4E461268C8034F5C8564E155C67A6"'
    assert (contents.findtext("Size"), contents.findtext("StorageClass")) == ("1", "Standard")
    assert (contents.findtext("LastModified") or "").endswith(".000Z")


def test_list_with_prefix_and_delimiter_rolls_up_common_prefixes(
    oss: OssRaw, filled: list[str]
) -> None:
    """delimiter=/ returns top-level keys and one CommonPrefix per folder, also across pages."""
    assert _all_pages(oss, delimiter="/", **{"max-keys": "1"}) == (["c"], ["a/", "b/", "d/"])
    assert _all_pages(oss, prefix="b/", delimiter="/") == (["b/y"], ["b/x/"])


def test_list_start_after(oss: OssRaw, filled: list[str]) -> None:
    """start-after skips every key up to and including it."""
    assert _all_pages(oss, **{"start-after": "b/y"}) == (["c", "d/1"], [])


def test_list_url_encoding(oss: OssRaw, cloud: Cloud) -> None:
    """encoding-type=url percent-encodes keys and prefixes in the answer."""
    cloud.oss(REGION).put_object(BUCKET, "dir/a b&é", b"x", content_type="", metadata={})

    page = _list(oss, prefix="dir/", **{"encoding-type": "url"})

    assert page.findtext("EncodingType") == "url"
    assert page.findtext("Prefix") == "dir%2F"
    assert page.findtext("Contents/Key") == quote("dir/a b&é", safe="")


@pytest.mark.parametrize(("name", "value"), [("max-keys", "0"), ("encoding-type", "base64")])
def test_list_rejects_bad_arguments(oss: OssRaw, name: str, value: str) -> None:
    """max-keys outside [1, 1000] or an unknown encoding: 400 InvalidArgument."""
    response = oss.send("GET", query={"list-type": "2", name: value})

    assert (response.status_code, error_of(response)["Code"]) == (400, "InvalidArgument")


# -- V4 verification --------------------------------------------------------------------------


def test_comma_space_separators_are_accepted(oss: OssRaw) -> None:
    """oss2 separates the Authorization fields with ', ': that verifies as ',' does."""
    assert oss.put("k", b"x").status_code == 200
    assert oss.send("GET", "k", separator=", ").status_code == 200


def test_additional_headers_are_signed(oss: OssRaw) -> None:
    """A header named in AdditionalHeaders is signed: changed after signing, it fails."""
    oss.put("k", b"x")
    signed = {"x-custom": "one"}

    accepted = oss.send("GET", "k", headers=signed, additional=("X-Custom",))
    rejected = oss.send(
        "GET", "k", headers=signed, additional=("x-custom",), unsigned={"x-custom": "two"}
    )

    assert accepted.status_code == 200
    assert error_of(rejected)["Code"] == "SignatureDoesNotMatch"


def test_unlisted_headers_are_not_signed(oss: OssRaw) -> None:
    """Headers outside x-oss-*, content-* and AdditionalHeaders may change freely."""
    oss.put("k", b"x")

    assert oss.send("GET", "k", unsigned={"x-custom": "anything"}).status_code == 200


def test_wrong_secret_returns_the_string_to_sign(oss: OssRaw) -> None:
    """403 SignatureDoesNotMatch, with the server's StringToSign (what the client signed too)."""
    moment = oss.now()
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")

    response = oss.send("GET", "k", secret="not-the-secret", timestamp=moment)

    error = error_of(response)
    assert (response.status_code, error["Code"]) == (403, "SignatureDoesNotMatch")
    assert error["StringToSign"].split("\n")[:3] == [
        "OSS4-HMAC-SHA256",
        stamp,
        f"{stamp[:8]}/{REGION}/oss/aliyun_v4_request",
    ]
    assert error["OSSAccessKeyId"] == DEFAULT_ACCESS_KEY_ID


def test_tampered_object_key_fails(oss: OssRaw) -> None:
    """The canonical URI is signed: a request for another key than signed fails."""
    response = oss.send("GET", "k", sent_key="other")

    assert error_of(response)["Code"] == "SignatureDoesNotMatch"


def test_declared_payload_hash_must_be_the_body(oss: OssRaw) -> None:
    """x-oss-content-sha256 other than UNSIGNED-PAYLOAD must hash the body actually sent."""
    body = b"payload"
    good = oss.send("PUT", "k", body=body, content_sha256=hashlib.sha256(body).hexdigest())
    bad = oss.send("PUT", "k", body=body, content_sha256=hashlib.sha256(b"other").hexdigest())

    assert good.status_code == 200
    assert error_of(bad)["Code"] == "SignatureDoesNotMatch"


def test_unknown_key_is_invalid_access_key_id(oss: OssRaw) -> None:
    """403 InvalidAccessKeyId for a key the emulator does not know."""
    oss.key_id = "LTAIunknown"

    response = oss.send("GET", "k")

    assert (response.status_code, error_of(response)["Code"]) == (403, "InvalidAccessKeyId")


@pytest.mark.parametrize(("minutes", "status"), [(14, 404), (16, 403)])
def test_request_time_window_is_fifteen_minutes(oss: OssRaw, minutes: int, status: int) -> None:
    """x-oss-date 14 minutes off is accepted (404 for the missing key); 16 is RequestTimeTooSkewed."""
    response = oss.send("GET", "k", timestamp=oss.now() - timedelta(minutes=minutes))

    assert response.status_code == status
    if status == 403:
        assert error_of(response)["Code"] == "RequestTimeTooSkewed"


def test_sts_key_needs_its_token(oss: OssRaw, cloud: Cloud) -> None:
    """An STS key with its token is accepted; without it, 403 InvalidSecurityToken."""
    cloud.add_access_key("STS.key", "sts-secret", security_token="token-1")
    oss.key_id, oss.secret = "STS.key", "sts-secret"

    oss.security_token = "token-1"
    accepted = oss.put("k", b"x")
    oss.security_token = None
    refused = oss.send("GET", "k")

    assert accepted.status_code == 200
    assert error_of(refused)["Code"] == "InvalidSecurityToken"


def test_v1_signature_is_access_denied(oss: OssRaw) -> None:
    """An OSS V1 Authorization: 403 AccessDenied (V1 is closed to new buckets; V4 only here)."""
    response = oss.session.get(
        oss.url(BUCKET, "k"), headers={"Authorization": "OSS ak:c2lnbmF0dXJl"}, timeout=5
    )

    assert (response.status_code, error_of(response)["Code"]) == (403, "AccessDenied")


def test_anonymous_request_is_access_denied(cloud: Cloud, bucket: str) -> None:
    """No Authorization on a bucket host: 403 AccessDenied (buckets here are private).

    (On the loopback address an unsigned request has no OSS shape to be routed by.)
    """
    with cloud.mock():
        response = requests.get(f"https://{BUCKET}.oss-{REGION}.aliyuncs.com/k", timeout=5)

    assert (response.status_code, error_of(response)["Code"]) == (403, "AccessDenied")


def test_denied_action_is_access_denied(oss: OssRaw, cloud: Cloud) -> None:
    """A key denied oss:PutObject gets 403 AccessDenied for puts and may still read."""
    cloud.deny(DEFAULT_ACCESS_KEY_ID, "oss:PutObject")

    response = oss.put("k", b"x")

    assert (response.status_code, error_of(response)["Code"]) == (403, "AccessDenied")
    assert oss.send("GET", "k").status_code == 404


# -- faults ----------------------------------------------------------------------------------


def test_server_error_fault_is_service_unavailable_xml(oss: OssRaw, cloud: Cloud) -> None:
    """A server_error fault answers 503 ServiceUnavailable as an OSS XML error; nothing stored."""
    cloud.faults.add(service="oss", action="PutObject", kind="server_error")

    response = oss.put("k", b"x")

    assert (response.status_code, error_of(response)["Code"]) == (503, "ServiceUnavailable")
    assert cloud.oss(REGION).objects(BUCKET) == {}


def test_drop_fault_closes_the_connection(oss: OssRaw, cloud: Cloud) -> None:
    """A drop fault: no answer at all, nothing stored."""
    cloud.faults.add(service="oss", kind="drop")

    with pytest.raises(requests.exceptions.ConnectionError):
        oss.put("k", b"x")
    assert cloud.oss(REGION).objects(BUCKET) == {}


def test_truncated_fault_stores_then_loses_the_answer(oss: OssRaw, cloud: Cloud) -> None:
    """A truncated fault: the put is processed although the client sees a broken answer."""
    cloud.faults.add(service="oss", action="PutObject", kind="truncated")

    oss.put("k", b"x")

    assert cloud.oss(REGION).objects(BUCKET) == {"k": b"x"}
    assert cloud.requests[-1].fault == "truncated"


def test_request_log_names_the_operations(oss: OssRaw, cloud: Cloud) -> None:
    """The request log records OSS operations by name."""
    oss.put("k", b"x")
    oss.send("GET", "k")
    oss.send("HEAD", "k")
    oss.send("GET", query={"list-type": "2"})

    assert cloud.requests.actions("oss") == [
        "PutObject",
        "GetObject",
        "HeadObject",
        "ListObjectsV2",
    ]
