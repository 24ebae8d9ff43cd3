"""Interop: the official Log Service SDK (``aliyun-log-python-sdk``) against the emulator.

The SDK is the vendor's own client: its V1 and V4 signatures, its lz4 bodies and its protobuf
LogGroups being accepted here, and its parser reading the emulator's GetLogs answers, are the
independent check of the emulator's SLS wire contract. The SDK cannot address a project on an IP
endpoint (it prefixes the project to the host), so it keeps the real host name over plain http
with the emulator as its HTTP proxy (``HTTP_PROXY``). ``source=`` spares its constructor a lookup.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from aliyun.log import GetLogsRequest, LogClient, LogException, LogItem, PutLogsRequest

from vpndiag.clients.sls import SlsClient, SlsEndpoints
from vpndiag.credentials import Credentials
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag.store.logs import LogRecord
from vpndiag.store.sls import SlsLogStore
from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    Cloud,
    LoopbackServer,
    ManualClock,
)

REGION = "cn-hangzhou"
ENDPOINT = f"{REGION}.log.aliyuncs.com"
PROJECT = "interop-project"
LOGSTORE = "interop-store"


@pytest.fixture
def cloud() -> Cloud:
    """A cloud with one logstore, on a manual clock at real time (the SDK signs with real time)."""
    cloud = Cloud(seed=5, clock=ManualClock())
    cloud.sls(REGION).create_project(PROJECT)
    cloud.sls(REGION).create_logstore(PROJECT, LOGSTORE)
    return cloud


@pytest.fixture
def server(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    """The loopback server, set as the HTTP proxy the SDK's session reads from the environment."""
    with cloud.serve() as running:
        for name in ("HTTP_PROXY", "http_proxy"):
            monkeypatch.setenv(name, running.base_url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        yield running


def sdk(
    *,
    key_id: str = DEFAULT_ACCESS_KEY_ID,
    secret: str = DEFAULT_ACCESS_KEY_SECRET,
    security_token: str | None = None,
    auth_version: str = "v1",
) -> LogClient:
    """An SDK client of the real regional host name, over http."""
    return LogClient(
        ENDPOINT,
        key_id,
        secret,
        securityToken=security_token,
        source="interop-test",
        auth_version=auth_version,
        region=REGION,
    )


def put(
    client: LogClient,
    *values: str,
    compress: bool = True,
    tags: list[tuple[str, str]] | None = None,
) -> None:
    now = int(time.time())
    items = [LogItem(now, [("record_id", value), ("level", "normal")]) for value in values]
    request = PutLogsRequest(
        PROJECT, LOGSTORE, "vpndiag", "vpn-1", items, compress=compress, logtags=tags
    )
    client.put_logs(request)


def read(client: LogClient, query: str = "*") -> list[dict[str, str]]:
    now = int(time.time())
    response = client.get_logs(GetLogsRequest(PROJECT, LOGSTORE, now - 60, now + 60, query=query))
    assert response.is_completed()
    return [log.get_contents() for log in response.get_logs()]


@pytest.mark.usefixtures("server")
@pytest.mark.parametrize("auth_version", ["v1", "v4"])
def test_sdk_puts_and_reads_back(cloud: Cloud, auth_version: str) -> None:
    """PutLogs (lz4 LogGroup) then GetLogs (the SDK's POST .../logs, lz4 answer), V1 and V4."""
    client = sdk(auth_version=auth_version)

    put(client, "r1", "r2")
    rows = read(client, query='record_id: "r2"')

    assert [row["record_id"] for row in rows] == ["r2"]
    assert rows[0]["__topic__"] == "vpndiag"
    stored = cloud.sls(REGION).logs(PROJECT, LOGSTORE)
    assert [(row["record_id"], row["__source__"]) for row in stored] == [
        ("r1", "vpn-1"),
        ("r2", "vpn-1"),
    ]


@pytest.mark.usefixtures("server")
def test_sdk_uncompressed_put_and_log_tags(cloud: Cloud) -> None:
    """An uncompressed PutLogs with LogTags: the tags are stored as __tag__:key."""
    put(sdk(), "r1", compress=False, tags=[("env", "interop")])

    assert cloud.sls(REGION).logs(PROJECT, LOGSTORE)[0]["__tag__:env"] == "interop"


@pytest.mark.usefixtures("server")
def test_sdk_reads_with_the_classic_get_logs() -> None:
    """With GetLogs v2 off, the SDK's GET ?type=log reads the JSON array and x-log-progress."""
    client = sdk()
    # The SDK's own (private) switch between its two GetLogs requests.
    vars(client)["_get_logs_v2_enabled"] = False

    put(client, "r1")

    assert [row["record_id"] for row in read(client)] == ["r1"]


@pytest.mark.usefixtures("server")
def test_sdk_with_sts_token(cloud: Cloud) -> None:
    """An STS key: the SDK's x-acs-security-token is signed and checked."""
    cloud.add_access_key("STS.interop", "sts-secret", security_token="token-1")
    client = sdk(key_id="STS.interop", secret="sts-secret", security_token="token-1")

    put(client, "r1")

    assert len(cloud.sls(REGION).logs(PROJECT, LOGSTORE)) == 1


@pytest.mark.usefixtures("server")
@pytest.mark.parametrize("auth_version", ["v1", "v4"])
def test_sdk_wrong_secret_is_signature_not_match(auth_version: str) -> None:
    """A wrong secret: LogException SignatureNotMatch (401)."""
    with pytest.raises(LogException) as raised:
        put(sdk(secret="not-the-secret", auth_version=auth_version), "r1")

    assert (raised.value.get_error_code(), raised.value.get_resp_status()) == (
        "SignatureNotMatch",
        401,
    )


@pytest.mark.usefixtures("server")
def test_sdk_sees_write_quota_exceed(cloud: Cloud) -> None:
    """A throttle fault reaches the SDK as WriteQuotaExceed (403), nothing stored."""
    cloud.faults.add(service="sls", kind="throttle")

    with pytest.raises(LogException) as raised:
        put(sdk(), "r1")

    assert raised.value.get_error_code() == "WriteQuotaExceed"
    assert cloud.sls(REGION).logs(PROJECT, LOGSTORE) == []


def test_sdk_in_process_mock(cloud: Cloud) -> None:
    """cloud.mock() answers the SDK in-process, no proxy needed."""
    client = sdk()

    with cloud.mock():
        put(client, "r1")
        rows = read(client)

    assert [row["record_id"] for row in rows] == ["r1"]


def test_sdk_reads_what_the_app_wrote(cloud: Cloud, server: LoopbackServer) -> None:
    """Records the app's log store wrote (deflate, V1, Host routing on an IP) read back via SDK."""
    client = SlsClient(
        session=new_session(),
        credentials=lambda: Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET),
        endpoints=SlsEndpoints(override=server.base_url),
        region=REGION,
        retry=RetryPolicy(attempts=1),
    )
    now = int(time.time())
    SlsLogStore(client, PROJECT, LOGSTORE).put(
        [LogRecord(now, "vpndiag", "vpn-1", {"record_id": "vpndgn-1/summary", "level": "warning"})]
    )

    rows = read(sdk(), query="level: warning")

    assert [(row["record_id"], row["__topic__"]) for row in rows] == [
        ("vpndgn-1/summary", "vpndiag")
    ]
