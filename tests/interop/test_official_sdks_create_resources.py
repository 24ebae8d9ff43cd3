"""Interop: the official SDKs set up their own resources against the emulator, as with moto.

The last test does it against the ``vpndiag emulator`` command itself, in a child process.

``oss2`` creates a bucket, then writes and reads it; ``aliyun-log-python-sdk`` creates a project, a
logstore and an index, then writes and reads logs. Nothing is made beforehand by the test: what
the SDKs send (PutBucket, CreateProject, CreateLogStore, CreateIndex, with the bodies of
``oss2/api.py`` and ``aliyun/log/logclient.py``) is what the emulator must accept. The SLS SDK keeps
the real host name over http with the emulator as its proxy (it cannot address a project on an IP).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator

import oss2
import pytest
from aliyun.log import (
    GetLogsRequest,
    IndexConfig,
    IndexKeyConfig,
    IndexLineConfig,
    LogClient,
    LogException,
    LogItem,
    PutLogsRequest,
)

from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    Cloud,
    LoopbackServer,
    ManualClock,
)

REGION = "cn-hangzhou"
_PROXIES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY")


@pytest.fixture
def cloud() -> Cloud:
    """An empty cloud on a manual clock at real time (the SDKs sign with real time)."""
    return Cloud(seed=11, clock=ManualClock())


@pytest.fixture
def server(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    """The loopback server; no proxy from the machine's environment."""
    for name in _PROXIES:
        monkeypatch.delenv(name, raising=False)
    with cloud.serve() as running:
        yield running


@pytest.fixture
def log_client(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> LogClient:
    """The SLS SDK on the real regional host, through the emulator as its HTTP proxy."""
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, server.base_url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return LogClient(
        f"{REGION}.log.aliyuncs.com",
        DEFAULT_ACCESS_KEY_ID,
        DEFAULT_ACCESS_KEY_SECRET,
        source="interop-test",
    )


def _bucket(server: LoopbackServer, name: str) -> oss2.Bucket:
    auth = oss2.AuthV4(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
    return oss2.Bucket(auth, server.base_url, name, region=REGION)


def test_oss2_creates_a_bucket_then_writes_and_reads_it(server: LoopbackServer) -> None:
    """create_bucket, put_object, get_object: the bucket oss2 made holds what it wrote."""
    bucket = _bucket(server, "sdk-made-bucket")
    assert bucket.create_bucket(oss2.BUCKET_ACL_PRIVATE).status == 200
    bucket.put_object("a/b.json", b'{"ok": true}')
    assert bucket.get_object("a/b.json").read() == b'{"ok": true}'


def test_oss2_reads_the_info_of_the_bucket_it_created(server: LoopbackServer) -> None:
    """get_bucket_info parses the emulator's BucketInfo: name, location, storage class."""
    bucket = _bucket(server, "info-bucket")
    bucket.create_bucket(
        oss2.BUCKET_ACL_PRIVATE, oss2.models.BucketCreateConfig(oss2.BUCKET_STORAGE_CLASS_IA)
    )
    info = bucket.get_bucket_info()
    assert (info.name, info.location, info.storage_class) == ("info-bucket", f"oss-{REGION}", "IA")


def test_oss2_cannot_write_before_the_bucket_exists(server: LoopbackServer) -> None:
    """Without create_bucket, a put is refused with NoSuchBucket, as OSS does."""
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        _bucket(server, "never-made").put_object("k", b"x")


def test_oss2_delete_of_a_bucket_with_objects_is_refused(server: LoopbackServer) -> None:
    """DeleteBucket of a non-empty bucket: 409 BucketNotEmpty (OSS's 409 error page)."""
    bucket = _bucket(server, "full-bucket")
    bucket.create_bucket()
    bucket.put_object("k", b"x")
    with pytest.raises(oss2.exceptions.BucketNotEmpty):
        bucket.delete_bucket()


def test_oss2_deletes_an_empty_bucket(server: LoopbackServer, cloud: Cloud) -> None:
    """DeleteBucket of an empty bucket: 204, and the bucket is gone."""
    bucket = _bucket(server, "empty-bucket")
    bucket.create_bucket()
    assert bucket.delete_bucket().status == 204
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        bucket.get_bucket_info()


def _index() -> IndexConfig:
    keys = {"level": IndexKeyConfig(index_type="text", doc_value=True)}
    return IndexConfig(line_config=IndexLineConfig(), key_config_list=keys)


def test_log_sdk_creates_project_logstore_and_index_then_writes_and_reads(
    log_client: LogClient,
) -> None:
    """create_project, create_logstore, create_index, put_logs, get_logs round trip."""
    log_client.create_project("sdk-project", "made by the SDK")
    log_client.create_logstore("sdk-project", "records", ttl=7, shard_count=1)
    log_client.create_index("sdk-project", "records", _index())
    item = LogItem(timestamp=int(time.time()), contents=[("level", "warning")])
    log_client.put_logs(PutLogsRequest("sdk-project", "records", "t", "", [item]))
    now = int(time.time())
    got = log_client.get_logs(GetLogsRequest("sdk-project", "records", now - 60, now + 60))
    assert [log.get_contents()["level"] for log in got.get_logs()] == ["warning"]


def test_log_sdk_reads_back_the_logstore_and_index_it_created(log_client: LogClient) -> None:
    """get_logstore gives the ttl and shard count sent; get_index_config the keys sent."""
    log_client.create_project("meta-project", "")
    log_client.create_logstore("meta-project", "store", ttl=30, shard_count=2)
    log_client.create_index("meta-project", "store", _index())
    store = log_client.get_logstore("meta-project", "store")
    index = log_client.get_index_config("meta-project", "store").get_index_config()  # type: ignore[no-untyped-call]
    assert (store.get_ttl(), store.get_shard_count()) == (30, 2)
    assert set(index.key_config_list) == {"level"}


def test_log_sdk_create_project_twice_is_refused(log_client: LogClient) -> None:
    """A second CreateProject of one name: ProjectAlreadyExist (CreateProject API page)."""
    log_client.create_project("twice-project", "")
    with pytest.raises(LogException) as raised:
        log_client.create_project("twice-project", "")
    assert raised.value.get_error_code() == "ProjectAlreadyExist"


def test_log_sdk_create_logstore_twice_is_refused(log_client: LogClient) -> None:
    """A second CreateLogStore of one name: LogstoreAlreadyExist (CreateLogstore API page)."""
    log_client.create_project("dup-project", "")
    log_client.create_logstore("dup-project", "store", ttl=1, shard_count=1)
    with pytest.raises(LogException) as raised:
        log_client.create_logstore("dup-project", "store", ttl=1, shard_count=1)
    assert raised.value.get_error_code() == "LogstoreAlreadyExist"


def test_log_sdk_logstore_in_a_missing_project_is_refused(log_client: LogClient) -> None:
    """CreateLogStore in a project never created: ProjectNotExist."""
    with pytest.raises(LogException) as raised:
        log_client.create_logstore("no-such-project", "store", ttl=1, shard_count=1)
    assert raised.value.get_error_code() == "ProjectNotExist"


_READY = re.compile(r"vpndiag emulator listening on (http://127\.0\.0\.1:\d+)\n")


@pytest.fixture
def emulator_command() -> Iterator[str]:
    """``vpndiag emulator`` (its module) in a child process on loopback; its base URL."""
    command = [sys.executable, "-m", "vpndiag_emulator", "--host", "127.0.0.1", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        match = _READY.fullmatch(process.stdout.readline())
        assert match, process.communicate(timeout=5)[1]
        yield match.group(1)
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_the_sdks_set_up_and_use_their_resources_on_the_emulator_command(
    emulator_command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a running ``vpndiag emulator``: oss2 makes a bucket and writes and reads it; the
    log SDK makes a project and a logstore and writes and reads logs."""
    for name in _PROXIES:
        monkeypatch.delenv(name, raising=False)
    auth = oss2.AuthV4(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
    bucket = oss2.Bucket(auth, emulator_command, "cli-bucket", region=REGION)
    bucket.create_bucket()
    bucket.put_object("k.json", b"{}")
    assert bucket.get_object("k.json").read() == b"{}"

    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, emulator_command)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    client = LogClient(
        f"{REGION}.log.aliyuncs.com",
        DEFAULT_ACCESS_KEY_ID,
        DEFAULT_ACCESS_KEY_SECRET,
        source="interop-test",
    )
    client.create_project("cli-project", "")
    client.create_logstore("cli-project", "store", ttl=1, shard_count=1)
    now = int(time.time())
    item = LogItem(timestamp=now, contents=[("k", "v")])
    client.put_logs(PutLogsRequest("cli-project", "store", "t", "", [item]))
    got = client.get_logs(GetLogsRequest("cli-project", "store", now - 60, now + 60))
    assert [log.get_contents()["k"] for log in got.get_logs()] == ["v"]
