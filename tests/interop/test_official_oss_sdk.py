"""Interop: the official OSS SDK (``oss2``, V4 signatures) against the emulator.

oss2 is the vendor's own client: its V4 signatures verifying here, its CRC-64 check of every upload
and download passing, and its XML parsers reading the emulator's answers are the independent check
of the emulator's OSS wire contract. An IP endpoint makes oss2 address buckets path-style.
"""

from __future__ import annotations

from collections.abc import Iterator

import oss2
import pytest

from vpndiag.clients.oss import OssClient, OssEndpoints
from vpndiag.credentials import Credentials
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag.store.oss import OssObjectStore
from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    Cloud,
    LoopbackServer,
    ManualClock,
)
from vpndiag_emulator.oss.crc64 import crc64_ecma

REGION = "cn-hangzhou"
BUCKET = "interop-bucket"
_PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # oss2's session reads proxy variables: a proxy set on the machine must not divert loopback.
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def cloud() -> Cloud:
    """A cloud with one bucket, on a manual clock at real time (oss2 signs with real time)."""
    cloud = Cloud(seed=3, clock=ManualClock())
    cloud.oss(REGION).create_bucket(BUCKET)
    return cloud


@pytest.fixture
def server(cloud: Cloud) -> Iterator[LoopbackServer]:
    """The loopback server."""
    with cloud.serve() as running:
        yield running


@pytest.fixture
def bucket(server: LoopbackServer) -> oss2.Bucket:
    """oss2 with AuthV4 on the server's IP endpoint (path-style)."""
    auth = oss2.AuthV4(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
    return oss2.Bucket(auth, server.base_url, BUCKET, region=REGION)


def test_put_and_get_pass_the_sdk_crc_check(bucket: oss2.Bucket, cloud: Cloud) -> None:
    """PutObject and GetObject: oss2 compares x-oss-hash-crc64ecma with its own CRC both ways."""
    body = b"diagnosis " * 1000

    put = bucket.put_object("raw/a.json", body)
    got = bucket.get_object("raw/a.json").read()

    assert got == body
    assert put.crc == crc64_ecma(body)
    assert put.etag == cloud.oss(REGION).get_object(BUCKET, "raw/a.json").etag


def test_provider_auth_v4_is_accepted(server: LoopbackServer) -> None:
    """ProviderAuthV4 with a static credentials provider signs as AuthV4 does."""
    provider = oss2.credentials.StaticCredentialsProvider(
        DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET
    )
    bucket = oss2.Bucket(oss2.ProviderAuthV4(provider), server.base_url, BUCKET, region=REGION)

    assert bucket.put_object("k", b"x").status == 200


def test_metadata_round_trips_through_head(bucket: oss2.Bucket) -> None:
    """x-oss-meta-* sent with a put come back on HeadObject, with the ETag."""
    put = bucket.put_object("m", b"x", headers={"x-oss-meta-diagnose-id": "vpndgn-1"})

    head = bucket.head_object("m")

    assert head.headers["x-oss-meta-diagnose-id"] == "vpndgn-1"
    assert head.etag == put.etag


def test_head_reports_the_object_size_over_the_socket(bucket: oss2.Bucket) -> None:
    """HeadObject's Content-Length is the object's size, though no body is sent."""
    bucket.put_object("sized", b"0123456789")

    assert bucket.head_object("sized").content_length == 10


def test_forbid_overwrite_is_file_already_exists(bucket: oss2.Bucket) -> None:
    """A create-only put of an existing key raises with 409 FileAlreadyExists."""
    bucket.put_object("once", b"first")

    with pytest.raises(oss2.exceptions.ServerError) as raised:
        bucket.put_object("once", b"second", headers={"x-oss-forbid-overwrite": "true"})

    assert (raised.value.status, raised.value.code) == (409, "FileAlreadyExists")
    assert bucket.get_object("once").read() == b"first"


def test_listing_pages_with_delimiter(bucket: oss2.Bucket) -> None:
    """ObjectIteratorV2 (url encoding, max_keys=2, delimiter) reads every page and prefix."""
    for key in ("a/1", "a/2", "b c/1", "top é", "z"):
        bucket.put_object(key, b"x")

    listed = [o.key for o in oss2.ObjectIteratorV2(bucket, delimiter="/", max_keys=2)]
    flat = [o.key for o in oss2.ObjectIteratorV2(bucket, prefix="a/", max_keys=1)]

    assert listed == ["a/", "b c/", "top é", "z"]
    assert flat == ["a/1", "a/2"]


def test_missing_keys_raise_the_sdk_not_found_errors(bucket: oss2.Bucket) -> None:
    """GET of a missing key is NoSuchKey; HEAD (error in x-oss-err) is NotFound with the code."""
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object("missing")
    with pytest.raises(oss2.exceptions.NotFound) as raised:
        bucket.head_object("missing")

    assert raised.value.code == "NoSuchKey"


def test_wrong_secret_is_signature_does_not_match(server: LoopbackServer) -> None:
    """A wrong secret: SignatureDoesNotMatch, with the StringToSign OSS returns."""
    auth = oss2.AuthV4(DEFAULT_ACCESS_KEY_ID, "not-the-secret")
    bucket = oss2.Bucket(auth, server.base_url, BUCKET, region=REGION)

    with pytest.raises(oss2.exceptions.ServerError) as raised:
        bucket.get_object("k")

    assert (raised.value.status, raised.value.code) == (403, "SignatureDoesNotMatch")
    assert raised.value.details["StringToSign"].startswith("OSS4-HMAC-SHA256\n")


def test_sts_auth_v4_is_accepted(server: LoopbackServer, cloud: Cloud) -> None:
    """StsAuth in V4 mode sends x-oss-security-token, which an STS key requires."""
    cloud.add_access_key("STS.interop", "sts-secret", security_token="token-1")
    auth = oss2.StsAuth("STS.interop", "sts-secret", "token-1", auth_version="v4")
    bucket = oss2.Bucket(auth, server.base_url, BUCKET, region=REGION)

    assert bucket.put_object("k", b"x").status == 200


def test_virtual_hosted_through_the_emulator_as_proxy(server: LoopbackServer) -> None:
    """The real endpoint over http with the emulator as proxy: virtual-hosted requests verify."""
    auth = oss2.AuthV4(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
    bucket = oss2.Bucket(
        auth,
        f"http://oss-{REGION}.aliyuncs.com",
        BUCKET,
        region=REGION,
        proxies={"http": server.base_url},
    )

    bucket.put_object("proxied", b"x")

    assert bucket.get_object("proxied").read() == b"x"


def test_in_process_mock(cloud: Cloud) -> None:
    """cloud.mock() answers oss2 in-process (it sends through ``requests``)."""
    auth = oss2.AuthV4(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
    bucket = oss2.Bucket(auth, f"https://oss-{REGION}.aliyuncs.com", BUCKET, region=REGION)

    with cloud.mock():
        bucket.put_object("k", b"in process")
        body = bucket.get_object("k").read()

    assert body == b"in process"


def test_sdk_reads_what_the_app_wrote(bucket: oss2.Bucket, server: LoopbackServer) -> None:
    """An object the app's store wrote (create-only, with metadata) reads back through oss2."""
    client = OssClient(
        session=new_session(),
        credentials=lambda: Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET),
        endpoints=OssEndpoints(override=server.base_url),
        region=REGION,
        retry=RetryPolicy(attempts=1),
    )
    store = OssObjectStore(client, BUCKET)
    store.put_if_absent(
        "diagnoses/x.summary.json",
        b'{"level": "normal"}\n',
        content_type="application/json",
        metadata={"diagnose-id": "vpndgn-1"},
    )

    got = bucket.get_object("diagnoses/x.summary.json")

    assert got.read() == b'{"level": "normal"}\n'
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["x-oss-meta-diagnose-id"] == "vpndgn-1"
