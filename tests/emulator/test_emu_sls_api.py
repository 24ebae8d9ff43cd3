"""The SLS emulator on the wire: PutLogs checks and storage, GetLogs, signatures, faults.

Requests are signed with the app's signers (``vpndiag.signing.sls``, V1 and V4), separate from the
emulator's verifier, and sent raw so each test can break one thing. Most tests run on both
transports: in-process, and the loopback server addressed by IP with the project's host name in
``Host`` (what the app's client sends to an IP endpoint).
"""

from __future__ import annotations

import hashlib
import json
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any, Literal
from urllib.parse import quote

import lz4.block
import pytest
import requests

from vpndiag.clients.sls_protobuf import Log, LogGroup, encode_log_group
from vpndiag.signing import sls as signer
from vpndiag_emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Cloud
from vpndiag_emulator.sls.protobuf import DecodedGroup, DecodedLog

REGION = "cn-hangzhou"
PROJECT = "vpndiag-logs"
LOGSTORE = "diagnoses"
Compression = Literal["deflate", "lz4", ""]


class SlsRaw:
    """Signs SLS requests with the app's signers and sends them once, with ``requests``."""

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        base: str | None = None,
        key_id: str = DEFAULT_ACCESS_KEY_ID,
        secret: str = DEFAULT_ACCESS_KEY_SECRET,
        security_token: str | None = None,
        signature: Literal["v1", "v4"] = "v1",
        region: str = REGION,
    ) -> None:
        self.now = now
        self.base = base
        """``http://IP:PORT`` (the host name goes in ``Host``); ``None``: the real host name."""
        self.key_id = key_id
        self.secret = secret
        self.security_token = security_token
        self.signature = signature
        self.region = region
        self.session = requests.Session()
        self.session.trust_env = False
        self.intranet = False
        """Address the ``-intranet`` (in-VPC) host names."""

    def send(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        secret: str | None = None,
        when: datetime | None = None,
        unsigned: Mapping[str, str] | None = None,
        project: str = PROJECT,
    ) -> requests.Response:
        """Sign and send; ``unsigned`` headers are added after signing."""
        suffix = "-intranet" if self.intranet else ""
        host = f"{project}.{self.region}{suffix}.log.aliyuncs.com"
        signed = {"host": host, "x-log-apiversion": "0.6.0"}
        if body:
            signed["content-md5"] = hashlib.md5(body).hexdigest().upper()
        signed.update({k.lower(): v for k, v in (headers or {}).items()})
        if self.security_token is not None:
            signed["x-acs-security-token"] = self.security_token
        moment = when or self.now()
        key = secret if secret is not None else self.secret
        if self.signature == "v1":
            signed["x-log-signaturemethod"] = "hmac-sha1"
            signed["date"] = format_datetime(moment, usegmt=True)
            signed["authorization"] = signer.sign_v1(
                method=method,
                resource=path,
                query=query or {},
                headers=signed,
                access_key_id=self.key_id,
                access_key_secret=key,
            )
        else:
            signed["x-log-date"] = moment.strftime("%Y%m%dT%H%M%SZ")
            signed["x-log-content-sha256"] = hashlib.sha256(body).hexdigest()
            signed["authorization"] = signer.sign_v4(
                method=method,
                resource=path,
                query=query or {},
                headers=signed,
                region=self.region,
                access_key_id=self.key_id,
                access_key_secret=key,
            )
        url = (self.base or f"https://{host}") + path
        if query:
            url += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
        return self.session.request(
            method, url, headers={**signed, **(unsigned or {})}, data=body or None, timeout=10
        )

    def put(
        self,
        logs: Sequence[Log],
        *,
        topic: str = "",
        source: str = "",
        tags: Sequence[tuple[str, str]] = (),
        **options: Any,
    ) -> requests.Response:
        """PutLogs of one LogGroup (``options`` as ``put_raw`` takes them)."""
        return self.put_raw(encode_log_group(LogGroup(logs, topic, source, tags)), **options)

    def put_raw(
        self,
        raw: bytes,
        *,
        compression: Compression = "deflate",
        raw_size: int | None = None,
        logstore: str = LOGSTORE,
        headers: Mapping[str, str] | None = None,
        **options: Any,
    ) -> requests.Response:
        """PutLogs of a raw body, compressed as asked (``options`` as ``send`` takes them)."""
        if compression == "deflate":
            body = zlib.compress(raw)
        elif compression == "lz4":
            body = lz4.block.compress(raw)[4:]
        else:
            body = raw
        wire = {
            "content-type": "application/x-protobuf",
            "x-log-bodyrawsize": str(len(raw) if raw_size is None else raw_size),
        }
        if compression:
            wire["x-log-compresstype"] = compression
        wire.update(headers or {})
        return self.send(
            "POST", f"/logstores/{logstore}/shards/lb", body=body, headers=wire, **options
        )

    def get(self, logstore: str = LOGSTORE, **params: str) -> requests.Response:
        """GetLogs over the whole clock window unless ``from``/``to`` are given."""
        now = int(self.now().timestamp())
        query = {"type": "log", "from": str(now - 3600), "to": str(now + 3600), **params}
        return self.send("GET", f"/logstores/{logstore}", query=query)


def code_of(response: requests.Response) -> tuple[int, str]:
    """(HTTP status, errorCode) of an SLS error answer."""
    return response.status_code, response.json()["errorCode"]


@pytest.fixture
def logstore(cloud: Cloud) -> str:
    """An empty logstore of the default account in cn-hangzhou."""
    backend = cloud.sls(REGION)
    backend.create_project(PROJECT)
    backend.create_logstore(PROJECT, LOGSTORE)
    return LOGSTORE


@pytest.fixture(params=["mock", "server"])
def sls(request: pytest.FixtureRequest, cloud: Cloud, logstore: str) -> Iterator[SlsRaw]:
    """A raw SLS client (V1), once per transport."""
    if request.param == "mock":
        with cloud.mock():
            yield SlsRaw(now=cloud.clock.now)
    else:
        with cloud.serve() as running:
            yield SlsRaw(now=cloud.clock.now, base=running.base_url)


def _now(cloud: Cloud) -> int:
    return int(cloud.clock.now().timestamp())


def stored(cloud: Cloud) -> list[dict[str, str]]:
    return cloud.sls(REGION).logs(PROJECT, LOGSTORE)


# -- PutLogs ---------------------------------------------------------------------------------


def test_put_logs_stores_logs_with_reserved_fields(sls: SlsRaw, cloud: Cloud) -> None:
    """Each log keeps its time, topic, source, tags (as __tag__:k) and contents."""
    now = _now(cloud)

    response = sls.put(
        [
            Log(now, [("record_id", "r1"), ("level", "warning")]),
            Log(now - 5, [("record_id", "r2")]),
        ],
        topic="vpndiag",
        source="vpn-1",
        tags=[("env", "test")],
    )

    assert (response.status_code, response.content) == (200, b"")
    assert len(response.headers["x-log-requestid"]) == 24
    assert stored(cloud) == [
        {
            "__time__": str(now),
            "__topic__": "vpndiag",
            "__source__": "vpn-1",
            "__tag__:env": "test",
            "record_id": "r1",
            "level": "warning",
        },
        {
            "__time__": str(now - 5),
            "__topic__": "vpndiag",
            "__source__": "vpn-1",
            "__tag__:env": "test",
            "record_id": "r2",
        },
    ]


@pytest.mark.parametrize("compression", ["lz4", ""])
def test_lz4_and_uncompressed_bodies(sls: SlsRaw, cloud: Cloud, compression: Compression) -> None:
    """lz4 (a raw block) and uncompressed bodies are read as deflate ones are."""
    response = sls.put([Log(_now(cloud), [("k", "v" * 500)])], compression=compression)

    assert response.status_code == 200
    assert stored(cloud)[0]["k"] == "v" * 500


def test_v4_signature_is_accepted(sls: SlsRaw, cloud: Cloud) -> None:
    """SLS4-HMAC-SHA256 requests write and read."""
    sls.signature = "v4"

    put = sls.put([Log(_now(cloud), [("k", "v")])])
    got = sls.get(query="k: v")

    assert put.status_code == 200
    assert [row["k"] for row in got.json()] == ["v"]


@pytest.mark.parametrize("signature", ["v1", "v4"])
def test_wrong_secret_is_signature_not_match(
    sls: SlsRaw, cloud: Cloud, signature: Literal["v1", "v4"]
) -> None:
    """401 SignatureNotMatch; nothing stored."""
    sls.signature = signature

    response = sls.put([Log(_now(cloud), [("k", "v")])], secret="wrong")

    assert code_of(response) == (401, "SignatureNotMatch")
    assert stored(cloud) == []


def test_changed_body_fails_the_v4_signature(sls: SlsRaw, cloud: Cloud) -> None:
    """V4 signs the body's SHA-256: a body other than the one signed fails."""
    sls.signature = "v4"
    raw = encode_log_group(LogGroup([Log(_now(cloud), [("k", "v")])]))

    response = sls.put_raw(raw, compression="", unsigned={"x-log-content-sha256": "0" * 64})

    assert code_of(response) == (401, "SignatureNotMatch")


def test_unknown_key_is_unauthorized(sls: SlsRaw) -> None:
    """401 Unauthorized 'AccessKeyId not found'."""
    sls.key_id = "LTAIunknown"

    response = sls.get()

    assert code_of(response) == (401, "Unauthorized")
    assert "AccessKeyId not found" in response.json()["errorMessage"]


def test_sts_key_needs_its_token(sls: SlsRaw, cloud: Cloud) -> None:
    """An STS key is accepted with x-acs-security-token and refused without it."""
    cloud.add_access_key("STS.key", "sts-secret", security_token="token-1")
    sls.key_id, sls.secret = "STS.key", "sts-secret"

    sls.security_token = "token-1"
    accepted = sls.get()
    sls.security_token = None
    refused = sls.get()

    assert accepted.status_code == 200
    assert code_of(refused) == (401, "Unauthorized")


def test_denied_action_is_unauthorized(sls: SlsRaw, cloud: Cloud) -> None:
    """A key denied sls:PutLogs: 401 Unauthorized naming the RAM action; reading still works."""
    cloud.deny(DEFAULT_ACCESS_KEY_ID, "sls:PutLogs")

    response = sls.put([Log(_now(cloud), [("k", "v")])])

    assert code_of(response) == (401, "Unauthorized")
    assert "log:PostLogStoreLogs" in response.json()["errorMessage"]
    assert sls.get().status_code == 200


def test_request_time_window(sls: SlsRaw, cloud: Cloud) -> None:
    """A Date 16 minutes off: 400 RequestTimeExpired."""
    response = sls.send(
        "GET",
        f"/logstores/{LOGSTORE}",
        query={"type": "log", "from": "0", "to": "1"},
        when=cloud.clock.now() - timedelta(minutes=16),
    )

    assert code_of(response) == (400, "RequestTimeExpired")


def test_x_log_date_replaces_date(sls: SlsRaw, cloud: Cloud) -> None:
    """A stale Date with a fresh (unsigned) x-log-date passes the time check, as SDKs send it."""
    stale = cloud.clock.now() - timedelta(hours=1)
    fresh = format_datetime(cloud.clock.now(), usegmt=True)

    response = sls.send(
        "GET",
        f"/logstores/{LOGSTORE}",
        query={"type": "log", "from": "0", "to": "1"},
        when=stale,
        unsigned={"x-log-date": fresh},
    )

    assert response.status_code == 200


def test_content_md5_must_be_the_body(sls: SlsRaw, cloud: Cloud) -> None:
    """A Content-MD5 of another body: 400 InvalidContentMD5 (code inferred), nothing stored."""
    response = sls.put([Log(_now(cloud), [("k", "v")])], headers={"content-md5": "0" * 32})

    assert code_of(response) == (400, "InvalidContentMD5")
    assert stored(cloud) == []


@pytest.mark.parametrize("compression", ["deflate", "lz4", ""])
def test_raw_size_must_be_the_decompressed_size(
    sls: SlsRaw, cloud: Cloud, compression: Compression
) -> None:
    """x-log-bodyrawsize other than the decompressed size: 400 InvalidBodyRawSize."""
    raw = encode_log_group(LogGroup([Log(_now(cloud), [("k", "v" * 100)])]))

    too_small = sls.put_raw(raw, compression=compression, raw_size=len(raw) - 1)
    too_large = sls.put_raw(raw, compression=compression, raw_size=len(raw) + 1)

    assert code_of(too_small) == (400, "InvalidBodyRawSize")
    assert code_of(too_large) == (400, "InvalidBodyRawSize")
    assert stored(cloud) == []


def test_raw_size_and_compression_headers_are_checked(sls: SlsRaw, cloud: Cloud) -> None:
    """No x-log-bodyrawsize: MissingBodyRawSize; an unknown compression: InvalidCompressType."""
    raw = encode_log_group(LogGroup([Log(_now(cloud), [("k", "v")])]))
    missing = sls.send(
        "POST",
        f"/logstores/{LOGSTORE}/shards/lb",
        body=raw,
        headers={"content-type": "application/x-protobuf"},
    )
    unknown = sls.put_raw(raw, compression="", headers={"x-log-compresstype": "snappy"})

    assert code_of(missing) == (400, "MissingBodyRawSize")
    assert code_of(unknown) == (400, "InvalidCompressType")


def test_more_than_4096_logs_is_too_large(sls: SlsRaw, cloud: Cloud) -> None:
    """4097 logs in one request: 413 PostBodyTooLarge; 4096 are accepted."""
    now = _now(cloud)

    too_many = sls.put([Log(now, [("n", str(i))]) for i in range(4097)])
    limit = sls.put([Log(now, [("n", str(i))]) for i in range(4096)])

    assert code_of(too_many) == (413, "PostBodyTooLarge")
    assert limit.status_code == 200
    assert len(stored(cloud)) == 4096


def test_raw_body_over_3_mb_is_too_large(sls: SlsRaw, cloud: Cloud) -> None:
    """A raw body over 3 MB: 413 PostBodyTooLarge (checked before decompressing)."""
    big = "x" * (1024 * 1024 - 100)
    logs = [Log(_now(cloud), [("v", big)]) for _ in range(4)]

    response = sls.put(logs)

    assert code_of(response) == (413, "PostBodyTooLarge")


@pytest.mark.parametrize("offset", [timedelta(days=-7, seconds=-60), timedelta(minutes=16)])
def test_one_log_out_of_time_range_fails_the_request(
    sls: SlsRaw, cloud: Cloud, offset: timedelta
) -> None:
    """A log older than 7 days or more than 15 minutes ahead fails the whole request."""
    now = _now(cloud)

    response = sls.put([Log(now, [("ok", "1")]), Log(now + int(offset.total_seconds()), [])])

    assert code_of(response) == (400, "PostBodyInvalid")
    assert stored(cloud) == []


def test_body_that_is_not_a_log_group_is_invalid(sls: SlsRaw, cloud: Cloud) -> None:
    """A body that does not decode as a LogGroup: 400 PostBodyInvalid."""
    response = sls.put_raw(b"\x0a\x05\x08\x01", compression="deflate")

    assert code_of(response) == (400, "PostBodyInvalid")


def test_put_logs_needs_protobuf_content_type(sls: SlsRaw, cloud: Cloud) -> None:
    """PutLogs with a JSON content type: 415 InvalidContentType."""
    raw = encode_log_group(LogGroup([Log(_now(cloud), [("k", "v")])]))

    response = sls.put_raw(raw, headers={"content-type": "application/json"})

    assert code_of(response) == (415, "InvalidContentType")


def test_missing_project_and_logstore(sls: SlsRaw, cloud: Cloud) -> None:
    """404 ProjectNotExist for an unknown project, LogStoreNotExist for an unknown logstore."""
    log = [Log(_now(cloud), [("k", "v")])]

    no_store = sls.put(log, logstore="other-store")
    no_project = sls.send(
        "GET", "/logstores/x", query={"type": "log", "from": "0", "to": "1"}, project="nope"
    )

    assert code_of(no_store) == (404, "LogStoreNotExist")
    assert code_of(no_project) == (404, "ProjectNotExist")


def test_concurrent_puts_all_land(sls: SlsRaw, cloud: Cloud) -> None:
    """Ten threads putting at once: every log stored, none lost or doubled."""
    now = _now(cloud)

    def put(n: int) -> None:
        assert sls.put([Log(now, [("n", str(n))])]).status_code == 200

    threads = [threading.Thread(target=put, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(int(row["n"]) for row in stored(cloud)) == list(range(10))


def test_intranet_host_reaches_the_same_project(cloud: Cloud, logstore: str) -> None:
    """{project}.{region}-intranet.log.aliyuncs.com serves the same region's project."""
    client = SlsRaw(now=cloud.clock.now)
    client.intranet = True
    with cloud.mock():
        response = client.put([Log(_now(cloud), [("k", "v")])])

    assert response.status_code == 200
    assert len(stored(cloud)) == 1


def test_state_is_per_region_and_account(cloud: Cloud, logstore: str) -> None:
    """The project exists for its account in its region only."""
    cloud.add_access_key("LTAIother", "other-secret", account_id="999")
    with cloud.mock():
        shanghai = SlsRaw(now=cloud.clock.now, region="cn-shanghai").get()
        other = SlsRaw(now=cloud.clock.now, key_id="LTAIother", secret="other-secret").get()

    assert code_of(shanghai) == (404, "ProjectNotExist")
    assert code_of(other) == (404, "ProjectNotExist")


# -- GetLogs ---------------------------------------------------------------------------------


@pytest.fixture
def written(cloud: Cloud, logstore: str) -> int:
    """Five logs, one per second ending now, in two topics; returns the first log's time."""
    now = _now(cloud)
    backend = cloud.sls(REGION)
    for n in range(5):
        log = DecodedLog(
            now - 4 + n, (("n", str(n)), ("kind", "even" if n % 2 == 0 else "odd")), None
        )
        backend.put_logs(PROJECT, LOGSTORE, DecodedGroup((log,), "t1" if n < 3 else "t2", "", ()))
    return now - 4


def test_get_logs_answers_a_complete_json_array(sls: SlsRaw, written: int) -> None:
    """GetLogs: JSON array of rows, x-log-progress Complete, x-log-count."""
    response = sls.get()

    assert response.headers["x-log-progress"] == "Complete"
    assert response.headers["x-log-count"] == "5"
    assert [row["n"] for row in response.json()] == ["0", "1", "2", "3", "4"]


def test_get_logs_filters_by_query_and_topic(sls: SlsRaw, written: int) -> None:
    """'key: value' terms joined by 'and', and the topic parameter, filter the rows."""
    assert [r["n"] for r in sls.get(query='kind: "even"').json()] == ["0", "2", "4"]
    assert [r["n"] for r in sls.get(query="kind: even and __topic__: t2").json()] == ["4"]
    assert [r["n"] for r in sls.get(query="*", topic="t1").json()] == ["0", "1", "2"]


def test_get_logs_time_window_is_half_open(sls: SlsRaw, written: int) -> None:
    """from <= __time__ < to."""
    response = sls.get(**{"from": str(written + 1), "to": str(written + 3)})

    assert [r["n"] for r in response.json()] == ["1", "2"]


def test_get_logs_pages_with_offset_and_line(sls: SlsRaw, written: int) -> None:
    """line rows from offset; reverse=true starts from the newest."""
    assert [r["n"] for r in sls.get(line="2", offset="2").json()] == ["2", "3"]
    assert [r["n"] for r in sls.get(line="2", reverse="true").json()] == ["4", "3"]


def test_get_logs_line_is_at_most_100(sls: SlsRaw, written: int) -> None:
    """line=101: 400 ParameterInvalid."""
    assert code_of(sls.get(line="101")) == (400, "ParameterInvalid")


def test_get_logs_v2_answers_lz4_json(sls: SlsRaw, written: int) -> None:
    """POST /logstores/{ls}/logs with Accept-Encoding lz4: {meta, data} as a raw lz4 block."""
    body = json.dumps({"from": written, "to": written + 5, "line": 2, "reverse": True}).encode()

    response = sls.send(
        "POST",
        f"/logstores/{LOGSTORE}/logs",
        body=body,
        headers={"content-type": "application/json", "accept-encoding": "lz4"},
    )

    raw = lz4.block.decompress(
        response.content, uncompressed_size=int(response.headers["x-log-bodyrawsize"])
    )
    document = json.loads(raw)
    assert response.headers["x-log-compresstype"] == "lz4"
    assert document["meta"]["progress"] == "Complete"
    assert [row["n"] for row in document["data"]] == ["4", "3"]


def test_index_delay_hides_fresh_logs_from_get_logs(sls: SlsRaw, cloud: Cloud) -> None:
    """With an index delay, GetLogs sees a log only once that much clock time has passed."""
    cloud.sls(REGION).set_index_delay(3)
    sls.put([Log(_now(cloud), [("k", "v")])])

    before = sls.get()
    cloud.clock.advance(3)
    after = sls.get()

    assert (before.json(), len(after.json())) == ([], 1)
    assert len(stored(cloud)) == 1


def test_unsupported_operation_is_not_implemented(sls: SlsRaw) -> None:
    """An operation the emulator lacks (ListLogStores): 501 Emulator.NotImplemented."""
    assert code_of(sls.send("GET", "/logstores")) == (501, "Emulator.NotImplemented")


# -- faults ----------------------------------------------------------------------------------


def test_throttle_fault_is_write_quota_exceed(sls: SlsRaw, cloud: Cloud) -> None:
    """throttle on PutLogs: 403 WriteQuotaExceed, nothing stored; on GetLogs: ReadQuotaExceed."""
    cloud.faults.add(service="sls", kind="throttle", times=2)

    put = sls.put([Log(_now(cloud), [("k", "v")])])
    get = sls.get()

    assert code_of(put) == (403, "WriteQuotaExceed")
    assert code_of(get) == (403, "ReadQuotaExceed")
    assert stored(cloud) == []


@pytest.mark.parametrize(
    ("status", "expected"), [(None, (503, "ServerBusy")), (500, (500, "InternalServerError"))]
)
def test_server_error_fault_speaks_sls(
    sls: SlsRaw, cloud: Cloud, status: int | None, expected: tuple[int, str]
) -> None:
    """server_error: 503 ServerBusy (500: InternalServerError), as SLS spells them."""
    cloud.faults.add(service="sls", kind="server_error", status=status)

    response = sls.put([Log(_now(cloud), [("k", "v")])])

    assert code_of(response) == expected
    assert response.headers["x-log-requestid"]


def test_error_fault_passes_its_code(sls: SlsRaw, cloud: Cloud) -> None:
    """An error fault's code is sent as given (ShardWriteQuotaExceed)."""
    cloud.faults.add(service="sls", kind="error", code="ShardWriteQuotaExceed", status=403)

    assert code_of(sls.put([Log(_now(cloud), [("k", "v")])])) == (403, "ShardWriteQuotaExceed")


def test_request_log_names_put_and_get(sls: SlsRaw, cloud: Cloud) -> None:
    """The request log records PutLogs and GetLogs."""
    sls.put([Log(_now(cloud), [("k", "v")])])
    sls.get()

    assert cloud.requests.actions("sls") == ["PutLogs", "GetLogs"]
