"""The SLS client and log store on the wire (faked with ``responses``): PutLogs headers, body and
signatures, batching inside the limits, error mapping, retry safety, GetLogs paging."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from vpndiag import errors
from vpndiag.clients import sls
from vpndiag.clients.sls import LogTooLarge, SlsClient, SlsEndpoints
from vpndiag.clients.sls_protobuf import Log, LogGroup, decode_log_group
from vpndiag.credentials import Credentials
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag.signing import sls as signer
from vpndiag.store.logs import LogRecord
from vpndiag.store.sls import SlsLogStore

REGION = "cn-hangzhou"
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
PLAIN = Credentials("LTAIplainkey", "plain-secret-value")
STS = Credentials("STS.tempkey", "sts-secret-value", "sts-token-value")
HOST = "vpndiag-logs.cn-hangzhou.log.aliyuncs.com"
PUT_URL = f"https://{HOST}/logstores/diagnoses/shards/lb"
GET_URL = f"https://{HOST}/logstores/diagnoses"


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def _client(
    endpoints: SlsEndpoints | None = None,
    credentials: Credentials = PLAIN,
    signature: sls.Signature = "v1",
    attempts: int = 3,
) -> SlsClient:
    return SlsClient(
        session=new_session(),
        credentials=lambda: credentials,
        endpoints=endpoints or SlsEndpoints(),
        region=REGION,
        retry=RetryPolicy(attempts=attempts),
        signature=signature,
        clock=lambda: NOW,
    )


def _deadline() -> Deadline:
    return Deadline.after(30)


def _sent(mock: responses.RequestsMock, index: int = -1) -> requests.PreparedRequest:
    request = mock.calls[index].request
    assert isinstance(request, requests.PreparedRequest)
    return request


def _body(request: requests.PreparedRequest) -> bytes:
    assert isinstance(request.body, bytes)
    return request.body


def _group(request: requests.PreparedRequest) -> LogGroup:
    return decode_log_group(zlib.decompress(_body(request)))


def _logs(count: int, value: str = "v") -> list[Log]:
    return [Log(1_714_564_800, [("record_id", f"r{i}"), ("k", value)]) for i in range(count)]


def _put(
    client: SlsClient,
    logs: list[Log],
    *,
    topic: str = "",
    source: str = "",
    tags: list[tuple[str, str]] | None = None,
) -> int:
    return client.put_logs(
        "vpndiag-logs",
        "diagnoses",
        logs,
        topic=topic,
        source=source,
        tags=tags or [],
        deadline=_deadline(),
    )


def _query(request: requests.PreparedRequest) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(request.url or "").query, keep_blank_values=True))


def _resource(request: requests.PreparedRequest) -> str:
    return urlsplit(request.url or "").path


def _error(code: str, message: str = "m") -> str:
    return json.dumps({"errorCode": code, "errorMessage": message})


def test_put_logs_headers(mock: responses.RequestsMock) -> None:
    """POST /logstores/{ls}/shards/lb with protobuf, deflate, raw size, upper-hex MD5 and Date."""
    mock.add(responses.POST, PUT_URL, headers={"x-log-requestid": "R"})
    assert _put(_client(), _logs(2), topic="vpndiag", source="vpn-abcd") == 1
    sent = _sent(mock)
    body = _body(sent)
    assert sent.headers["Host"] == HOST
    assert sent.headers["Content-Type"] == "application/x-protobuf"
    assert sent.headers["x-log-apiversion"] == "0.6.0"
    assert sent.headers["x-log-compresstype"] == "deflate"
    assert sent.headers["x-log-bodyrawsize"] == str(len(zlib.decompress(body)))
    assert sent.headers["x-log-signaturemethod"] == "hmac-sha1"
    assert sent.headers["Content-MD5"] == hashlib.md5(body).hexdigest().upper()
    assert sent.headers["Date"] == "Wed, 01 May 2024 12:00:00 GMT"
    assert "x-acs-security-token" not in sent.headers


def test_put_logs_body_is_the_log_group(mock: responses.RequestsMock) -> None:
    """The body inflates to one LogGroup with the logs, topic, source and tags, in order."""
    mock.add(responses.POST, PUT_URL)
    logs = [Log(1_714_564_800, [("a", "1")], 250), Log(1_714_564_801, [("b", "é")])]
    _put(_client(), logs, topic="t", source="s", tags=[("fc", "archive")])
    assert _group(_sent(mock)) == LogGroup(logs, "t", "s", [("fc", "archive")])


def test_v1_signature_verifies(mock: responses.RequestsMock) -> None:
    """The LOG ak:sig header recomputes from what was received (an emulator's check)."""
    mock.add(responses.POST, PUT_URL)
    _put(_client(credentials=STS), _logs(1))
    sent = _sent(mock)
    assert sent.headers["x-acs-security-token"] == "sts-token-value"
    assert sent.headers["Authorization"].startswith("LOG STS.tempkey:")
    headers = {k: v for k, v in sent.headers.items() if k != "Authorization"}
    assert sent.headers["Authorization"] == signer.sign_v1(
        method="POST",
        resource=_resource(sent),
        query={},
        headers=headers,
        access_key_id="STS.tempkey",
        access_key_secret="sts-secret-value",
    )


def test_v4_signature_verifies_and_covers_host(mock: responses.RequestsMock) -> None:
    """V4 sends x-log-date and the body's SHA-256, signs host, and omits the V1 method header."""
    mock.add(responses.POST, PUT_URL)
    _put(_client(signature="v4"), _logs(1))
    sent = _sent(mock)
    assert sent.headers["x-log-date"] == "20240501T120000Z"
    assert sent.headers["x-log-content-sha256"] == hashlib.sha256(_body(sent)).hexdigest()
    assert "x-log-signaturemethod" not in sent.headers
    headers = {k: v for k, v in sent.headers.items() if k != "Authorization"}
    expected = signer.sign_v4(
        method="POST",
        resource=_resource(sent),
        query={},
        headers=headers,
        region=REGION,
        access_key_id="LTAIplainkey",
        access_key_secret="plain-secret-value",
    )
    assert sent.headers["Authorization"] == expected
    signed = signer.v4_canonical_request("POST", "/", {}, headers).split("\n")[-2]
    assert "host" in signed.split(";")


@pytest.mark.parametrize(
    ("endpoints", "url", "host"),
    [
        (
            SlsEndpoints("vpc"),
            "https://vpndiag-logs.cn-hangzhou-intranet.log.aliyuncs.com",
            "vpndiag-logs.cn-hangzhou-intranet.log.aliyuncs.com",
        ),
        (
            SlsEndpoints(override="https://{project}.{region}.example.com"),
            "https://vpndiag-logs.cn-hangzhou.example.com",
            "vpndiag-logs.cn-hangzhou.example.com",
        ),
        (
            SlsEndpoints(override="https://{region}.log.aliyuncs.com:8443"),
            "https://vpndiag-logs.cn-hangzhou.log.aliyuncs.com:8443",
            "vpndiag-logs.cn-hangzhou.log.aliyuncs.com:8443",
        ),
        (SlsEndpoints(override="http://127.0.0.1:9001"), "http://127.0.0.1:9001", HOST),
        (SlsEndpoints(override="http://localhost:9001/"), "http://localhost:9001", HOST),
    ],
)
def test_addressing(
    mock: responses.RequestsMock, endpoints: SlsEndpoints, url: str, host: str
) -> None:
    """Intranet host, placeholders, project prefixed to a bare host; an IP gets the real Host."""
    mock.add(responses.POST, url + "/logstores/diagnoses/shards/lb")
    _put(_client(endpoints), _logs(1))
    assert _sent(mock).headers["Host"] == host


def test_ip_override_v4_signs_the_virtual_host(mock: responses.RequestsMock) -> None:
    """With an IP override the signed host is the project's virtual host, as sent in Host."""
    mock.add(responses.POST, "http://127.0.0.1:9001/logstores/diagnoses/shards/lb")
    _put(_client(SlsEndpoints(override="http://127.0.0.1:9001"), signature="v4"), _logs(1))
    sent = _sent(mock)
    headers = {k: v for k, v in sent.headers.items() if k != "Authorization"}
    assert f"host:{HOST}\n" in signer.v4_canonical_request("POST", "/", {}, headers)
    assert sent.headers["Authorization"] == signer.sign_v4(
        method="POST",
        resource=_resource(sent),
        query={},
        headers=headers,
        region=REGION,
        access_key_id="LTAIplainkey",
        access_key_secret="plain-secret-value",
    )


def test_plain_http_off_loopback_is_refused() -> None:
    """An override must be https unless it (or the proxy) is on loopback."""
    with pytest.raises(errors.ConfigError, match="https"):
        SlsEndpoints(override="http://{project}.sls.example.com")


@pytest.mark.parametrize(
    ("project", "logstore"),
    [("ab", "diagnoses"), ("Vpndiag", "diagnoses"), ("p_x", "diagnoses"), ("vpndiag", "a/b")],
)
def test_invalid_names_are_never_sent(
    mock: responses.RequestsMock, project: str, logstore: str
) -> None:
    """Project and logstore names must match the vendor's patterns before reaching a URL."""
    with pytest.raises(errors.InvalidIdentifier, match="sls"):
        _client().put_logs(project, logstore, _logs(1), deadline=_deadline())
    assert len(mock.calls) == 0


def test_batches_hold_at_most_4096_logs(mock: responses.RequestsMock) -> None:
    """4097 logs go in two requests, 4096 then 1, in order."""
    mock.add(responses.POST, PUT_URL)
    assert _put(_client(), _logs(4097)) == 2
    first, second = _group(_sent(mock, 0)), _group(_sent(mock, 1))
    assert (len(first.logs), len(second.logs)) == (4096, 1)
    assert dict(second.logs[0].contents)["record_id"] == "r4096"


def test_batches_stay_under_3_mb_raw(mock: responses.RequestsMock) -> None:
    """Logs of 0.9 MB each: no request's uncompressed body passes 3 MB, and none is lost."""
    mock.add(responses.POST, PUT_URL)
    sent = _put(_client(), _logs(7, "x" * 900_000), topic="t", tags=[("a", "b")])
    assert sent == 3
    sizes = [int(call.request.headers["x-log-bodyrawsize"]) for call in mock.calls]
    assert max(sizes) <= sls.MAX_RAW_BYTES
    ids = [dict(log.contents)["record_id"] for c in range(3) for log in _group(_sent(mock, c)).logs]
    assert ids == [f"r{i}" for i in range(7)]


def test_a_log_that_fits_no_request_is_refused_before_sending(
    mock: responses.RequestsMock,
) -> None:
    """A log over 3 MB on its own raises LogTooLarge naming its position; nothing is sent."""
    logs = [*_logs(1), Log(1, [("a", "x" * 900_000)] * 4)]
    with pytest.raises(LogTooLarge, match="log 1 is too large") as caught:
        _put(_client(), logs)
    assert caught.value.index == 1
    assert len(mock.calls) == 0


def test_a_value_over_1_mb_is_refused(mock: responses.RequestsMock) -> None:
    """SLS would truncate it: LogTooLarge names the field, and nothing is sent."""
    with pytest.raises(LogTooLarge, match="log 0 field 'detail'"):
        _put(_client(), [Log(1, [("detail", "x" * (1024 * 1024 + 1))])])
    assert len(mock.calls) == 0


def test_no_logs_no_request(mock: responses.RequestsMock) -> None:
    """An empty call sends nothing."""
    assert _put(_client(), []) == 0
    assert len(mock.calls) == 0


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (403, "WriteQuotaExceed", errors.ThrottledError),
        (403, "ShardWriteQuotaExceed", errors.ThrottledError),
        (503, "ServerBusy", errors.ServerError),
        (500, "InternalServerError", errors.ServerError),
        (401, "SignatureNotMatch", errors.AuthError),
        (401, "Unauthorized", errors.AuthError),
        (400, "RequestTimeExpired", errors.AuthError),
        (404, "ProjectNotExist", errors.NotFoundError),
        (404, "LogStoreNotExist", errors.NotFoundError),
        (413, "PostBodyTooLarge", errors.InvalidRequestError),
        (400, "InvalidBodyRawSize", errors.InvalidRequestError),
        (400, "PostBodyInvalid", errors.InvalidRequestError),
        (403, "SomethingNew", errors.ForbiddenError),
        (502, "SomethingNew", errors.ServerError),
        (400, "SomethingNew", errors.InvalidRequestError),
    ],
)
def test_error_mapping(
    mock: responses.RequestsMock, status: int, code: str, cls: type[errors.ApiError]
) -> None:
    """Known codes map exactly (a 403 quota is throttling), unknown ones by status."""
    mock.add(
        responses.POST, PUT_URL, status=status, body=_error(code), headers={"x-log-requestid": "R"}
    )
    with pytest.raises(cls) as caught:
        _put(_client(attempts=1), _logs(1))
    assert type(caught.value) is cls
    assert (caught.value.code, caught.value.status, caught.value.request_id) == (code, status, "R")


def test_throttling_is_retried(mock: responses.RequestsMock) -> None:
    """WriteQuotaExceed was refused by the service: the batch is sent again."""
    mock.add(responses.POST, PUT_URL, status=403, body=_error("WriteQuotaExceed"))
    mock.add(responses.POST, PUT_URL)
    _put(_client(), _logs(1))
    assert len(mock.calls) == 2
    assert _body(_sent(mock, 0)) == _body(_sent(mock, 1))


def test_a_bare_gateway_error_is_not_resent(mock: responses.RequestsMock) -> None:
    """A 502 without an SLS error body came from something in between: the batch may have landed."""
    mock.add(responses.POST, PUT_URL, status=502, body="<html>bad gateway</html>")
    with pytest.raises(errors.ServerError) as caught:
        _put(_client(), _logs(1))
    assert caught.value.code == "HTTP502"
    assert len(mock.calls) == 1


def test_server_busy_is_retried(mock: responses.RequestsMock) -> None:
    """ServerBusy is SLS refusing the write: it is sent again."""
    mock.add(responses.POST, PUT_URL, status=503, body=_error("ServerBusy"))
    mock.add(responses.POST, PUT_URL)
    _put(_client(), _logs(1))
    assert len(mock.calls) == 2


def test_put_logs_is_not_resent_after_a_transport_failure(mock: responses.RequestsMock) -> None:
    """The batch may have landed: no blind resend (duplicates); the failure goes up, retryable."""
    mock.add(responses.POST, PUT_URL, body=requests.ConnectionError(f"reset {PUT_URL}"))
    with pytest.raises(errors.TransportError) as caught:
        _put(_client(credentials=STS), _logs(1))
    assert len(mock.calls) == 1
    assert caught.value.retryable
    assert "aliyuncs" not in str(caught.value)


def test_errors_carry_no_secret_token_or_signature(mock: responses.RequestsMock) -> None:
    """A signature failure names the code, never the keys, token or signature sent."""
    mock.add(responses.POST, PUT_URL, status=401, body=_error("SignatureNotMatch", "bad sig"))
    with pytest.raises(errors.AuthError) as caught:
        _put(_client(credentials=STS), _logs(1))
    text = str(caught.value)
    signature = _sent(mock).headers["Authorization"].split(":", 1)[1]
    for secret in ("sts-secret-value", "sts-token-value", signature):
        assert secret not in text


def _rows(start: int, count: int, diagnose_id: str = "vpndgn-abcd") -> list[dict[str, str]]:
    return [
        {
            "__time__": "1714564800",
            "record_id": f"{diagnose_id}/check/{i}",
            "diagnose_id": diagnose_id,
        }
        for i in range(start, start + count)
    ]


def test_get_logs_pages_by_offset(mock: responses.RequestsMock) -> None:
    """Pages of 100 are read until a short one; each asks the next offset."""
    mock.add(responses.GET, GET_URL, json=_rows(0, 100))
    mock.add(responses.GET, GET_URL, json=_rows(100, 5))
    rows = _client().get_logs(
        "vpndiag-logs", "diagnoses", from_time=10, to_time=20, query="*", deadline=_deadline()
    )
    assert len(rows) == 105
    assert [_query(_sent(mock, i))["offset"] for i in range(2)] == ["0", "100"]
    assert _query(_sent(mock, 0)) == {
        "type": "log",
        "from": "10",
        "to": "20",
        "line": "100",
        "reverse": "false",
        "query": "*",
        "offset": "0",
    }


def test_get_logs_signature_covers_the_raw_query(mock: responses.RequestsMock) -> None:
    """V1 signs the resource with the decoded parameters; the URL carries them encoded."""
    mock.add(responses.GET, GET_URL, json=[])
    _client().get_logs(
        "vpndiag-logs",
        "diagnoses",
        from_time=1,
        to_time=2,
        query='diagnose_id: "vpndgn-abcd"',
        deadline=_deadline(),
    )
    sent = _sent(mock)
    assert "query=diagnose_id%3A%20%22vpndgn-abcd%22" in (sent.url or "")
    assert sent.headers["x-log-bodyrawsize"] == "0"
    headers = {k: v for k, v in sent.headers.items() if k != "Authorization"}
    assert sent.headers["Authorization"] == signer.sign_v1(
        method="GET",
        resource=_resource(sent),
        query=_query(sent),
        headers=headers,
        access_key_id="LTAIplainkey",
        access_key_secret="plain-secret-value",
    )


def test_get_logs_asks_again_while_incomplete(mock: responses.RequestsMock) -> None:
    """x-log-progress: Incomplete is not an answer: the page is requested again."""
    mock.add(responses.GET, GET_URL, json=[], headers={"x-log-progress": "Incomplete"})
    mock.add(responses.GET, GET_URL, json=_rows(0, 2), headers={"x-log-progress": "Complete"})
    rows = _client().get_logs(
        "vpndiag-logs", "diagnoses", from_time=1, to_time=2, deadline=_deadline()
    )
    assert len(rows) == 2
    assert len(mock.calls) == 2


def test_get_logs_refuses_a_body_of_the_wrong_shape(mock: responses.RequestsMock) -> None:
    """A JSON object where a list of logs belongs is a ResponseError."""
    mock.add(responses.GET, GET_URL, json={"logs": []})
    with pytest.raises(errors.ResponseError, match="list of logs"):
        _client().get_logs(
            "vpndiag-logs", "diagnoses", from_time=1, to_time=2, deadline=_deadline()
        )


# The log store.


def _record(index: int, topic: str = "vpndiag", source: str = "vpn-abcd") -> LogRecord:
    return LogRecord(
        time=1_714_564_800,
        topic=topic,
        source=source,
        contents={"record_id": f"vpndgn-abcd/check/{index}", "diagnose_id": "vpndgn-abcd"},
    )


def _store(client: SlsClient | None = None) -> SlsLogStore:
    return SlsLogStore(
        client or _client(attempts=1),
        "vpndiag-logs",
        "diagnoses",
        tags=[("function", "archive")],
        now=lambda: 1_714_564_800.0,
    )


def test_store_put_sends_one_group_per_topic_and_source(mock: responses.RequestsMock) -> None:
    """Records keep their order within each (topic, source) group; the store's tags go along."""
    mock.add(responses.POST, PUT_URL)
    _store().put([_record(0), _record(1, source="vpn-other"), _record(2)])
    first, second = _group(_sent(mock, 0)), _group(_sent(mock, 1))
    assert (first.topic, first.source, second.source) == ("vpndiag", "vpn-abcd", "vpn-other")
    assert [dict(log.contents)["record_id"] for log in first.logs] == [
        "vpndgn-abcd/check/0",
        "vpndgn-abcd/check/2",
    ]
    assert first.tags == [("function", "archive")]
    assert first.logs[0].time == 1_714_564_800


def test_store_names_the_record_too_large(mock: responses.RequestsMock) -> None:
    """A record that fits no request is named by its record id; nothing is sent."""
    big = LogRecord(
        1, "vpndiag", "vpn-abcd", {"record_id": "vpndgn-abcd/summary", "x": "y" * 3_200_000}
    )
    with pytest.raises(LogTooLarge, match="record vpndgn-abcd/summary"):
        _store().put([_record(0), big])
    assert len(mock.calls) == 0


def test_store_record_ids_queries_the_diagnosis(mock: responses.RequestsMock) -> None:
    """GetLogs over [since, now+900] for the id; rows of another diagnosis are filtered out."""
    mock.add(responses.GET, GET_URL, json=[*_rows(0, 2), *_rows(0, 1, "vpndgn-abcdef")])
    assert _store().record_ids("vpndgn-abcd", since=1_714_000_000) == {
        "vpndgn-abcd/check/0",
        "vpndgn-abcd/check/1",
    }
    query = _query(_sent(mock))
    assert query["query"] == 'diagnose_id: "vpndgn-abcd"'
    assert (query["from"], query["to"]) == ("1714000000", "1714565700")


def test_store_record_ids_refuses_a_malformed_id(mock: responses.RequestsMock) -> None:
    """The id is quoted into a query: only a well-formed diagnosis id may reach it."""
    with pytest.raises(errors.InvalidIdentifier):
        _store().record_ids('vpndgn-a" OR *', since=0)
    assert len(mock.calls) == 0


def test_store_location() -> None:
    """location is an sls:// URL naming project and logstore."""
    assert _store().location() == "sls://vpndiag-logs/diagnoses"
