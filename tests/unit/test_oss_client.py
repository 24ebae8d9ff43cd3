"""The OSS client and object store on the wire (faked with ``responses``): addressing, headers,
V4 signatures an emulator can verify, error mapping, paging and the create-only archive."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from vpndiag import errors
from vpndiag.clients.oss import OssClient, OssEndpoints
from vpndiag.credentials import Credentials
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import new_session
from vpndiag.signing import oss_v4
from vpndiag.store.objects import PutOutcome
from vpndiag.store.oss import OssObjectStore

REGION = "cn-hangzhou"
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
PLAIN = Credentials("LTAIplainkey", "plain-secret-value")
STS = Credentials("STS.tempkey", "sts-secret-value", "sts-token-value")
HOST = "https://archive.oss-cn-hangzhou.aliyuncs.com"
KEY = "diagnoses/region=cn-hangzhou/vpndgn-abcd.summary.json"
URL = f"{HOST}/diagnoses/region%3Dcn-hangzhou/vpndgn-abcd.summary.json"


class OssMock(responses.RequestsMock):
    """Stubs answer as OSS does: every answer names its request (``x-oss-request-id``)."""

    def add(self, method: Any = None, url: Any = None, *args: Any, **kwargs: Any) -> Any:
        if isinstance(method, str) and kwargs.get("status", 200) < 300:
            kwargs["headers"] = {"x-oss-request-id": "RID-stub", **kwargs.get("headers", {})}
        return super().add(method, url, *args, **kwargs)


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with OssMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def test_an_answer_without_a_request_id_is_not_from_oss(mock: responses.RequestsMock) -> None:
    """A 2xx page without x-oss-request-id (a proxy, a portal) is a retryable ResponseError,
    never taken as "found" or "stored"."""
    responses.RequestsMock.add(mock, responses.HEAD, URL, status=200)
    with pytest.raises(errors.ResponseError, match="x-oss-request-id") as caught:
        _client(attempts=1).head_object("archive", KEY, deadline=_deadline())
    assert caught.value.retryable


def _client(
    endpoints: OssEndpoints | None = None, credentials: Credentials = PLAIN, attempts: int = 3
) -> OssClient:
    return OssClient(
        session=new_session(),
        credentials=lambda: credentials,
        endpoints=endpoints or OssEndpoints(),
        region=REGION,
        retry=RetryPolicy(attempts=attempts),
        clock=lambda: NOW,
    )


def _deadline() -> Deadline:
    return Deadline.after(30)


def _sent(mock: responses.RequestsMock, index: int = -1) -> requests.PreparedRequest:
    request = mock.calls[index].request
    assert isinstance(request, requests.PreparedRequest)
    return request


def _verify(request: requests.PreparedRequest, bucket: str, key: str, secret: str) -> None:
    """Recompute the signature the way a verifier does, from what was received."""
    headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
    query = _query_of(request)
    expected = oss_v4.sign(
        method=request.method or "",
        bucket=bucket,
        key=key,
        query=query,
        headers={k.lower(): v for k, v in headers.items()},
        region=REGION,
        access_key_id=request.headers["Authorization"].split("Credential=")[1].split("/")[0],
        access_key_secret=secret,
    )
    assert request.headers["Authorization"] == expected


def _query_of(request: requests.PreparedRequest) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(request.url or "").query, keep_blank_values=True))


def _error(code: str, message: str = "m", request_id: str = "RID-1") -> str:
    return (
        f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
        f"<Message>{message}</Message><RequestId>{request_id}</RequestId>"
        "<HostId>archive.oss-cn-hangzhou.aliyuncs.com</HostId><EC>0000-00000000</EC></Error>"
    )


def test_put_sends_md5_create_only_metadata_and_encryption(mock: responses.RequestsMock) -> None:
    """PUT carries base64 Content-MD5, forbid-overwrite, x-oss-meta-*, SSE and the V4 headers."""
    mock.add(responses.PUT, URL, headers={"ETag": '"ABC"', "x-oss-request-id": "RID-9"})
    result = _client().put_object(
        "archive",
        KEY,
        b"{}\n",
        content_type="application/json",
        metadata={"diagnose-id": "vpndgn-abcd"},
        forbid_overwrite=True,
        server_side_encryption="AES256",
        deadline=_deadline(),
    )
    sent = _sent(mock)
    assert sent.body == b"{}\n"
    assert sent.headers["Content-MD5"] == base64.b64encode(hashlib.md5(b"{}\n").digest()).decode()
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["x-oss-forbid-overwrite"] == "true"
    assert sent.headers["x-oss-meta-diagnose-id"] == "vpndgn-abcd"
    assert sent.headers["x-oss-server-side-encryption"] == "AES256"
    assert sent.headers["x-oss-date"] == "20240501T120000Z"
    assert sent.headers["x-oss-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert "x-oss-security-token" not in sent.headers
    assert (result.etag, result.request_id) == ('"ABC"', "RID-9")


def test_put_signature_verifies_over_bucket_and_key(mock: responses.RequestsMock) -> None:
    """The Authorization header is V4 over /bucket/key with the documented credential scope."""
    mock.add(responses.PUT, URL)
    _client().put_object("archive", KEY, b"x", metadata={"a": "b"}, deadline=_deadline())
    sent = _sent(mock)
    assert sent.headers["Authorization"].startswith(
        "OSS4-HMAC-SHA256 Credential=LTAIplainkey/20240501/cn-hangzhou/oss/aliyun_v4_request,"
    )
    _verify(sent, "archive", KEY, PLAIN.access_key_secret)


def test_sts_token_is_sent_and_signed(mock: responses.RequestsMock) -> None:
    """STS credentials add x-oss-security-token, covered by the signature."""
    mock.add(responses.GET, URL, body=b"data")
    _client(credentials=STS).get_object("archive", KEY, deadline=_deadline())
    sent = _sent(mock)
    assert sent.headers["x-oss-security-token"] == "sts-token-value"
    _verify(sent, "archive", KEY, STS.access_key_secret)


def test_credentials_are_asked_for_at_every_attempt(mock: responses.RequestsMock) -> None:
    """A retried request is signed with the keys current at that attempt."""
    mock.add(responses.GET, URL, status=503, body=_error("ServiceUnavailable"))
    mock.add(responses.GET, URL, body=b"data")
    keys = iter([PLAIN, STS])
    client = OssClient(
        session=new_session(),
        credentials=lambda: next(keys),
        endpoints=OssEndpoints(),
        region=REGION,
        retry=RetryPolicy(attempts=3),
        clock=lambda: NOW,
    )
    assert client.get_object("archive", KEY, deadline=_deadline()) == b"data"
    assert "Credential=LTAIplainkey/" in _sent(mock, 0).headers["Authorization"]
    assert "Credential=STS.tempkey/" in _sent(mock, 1).headers["Authorization"]


@pytest.mark.parametrize(
    ("endpoints", "url"),
    [
        (OssEndpoints("vpc"), "https://archive.oss-cn-hangzhou-internal.aliyuncs.com/k"),
        (
            OssEndpoints(override="https://{bucket}.oss-{region}.example.com"),
            "https://archive.oss-cn-hangzhou.example.com/k",
        ),
        (
            OssEndpoints(override="https://oss-{region}.aliyuncs.com/"),
            "https://archive.oss-cn-hangzhou.aliyuncs.com/k",
        ),
        (OssEndpoints(override="http://127.0.0.1:9000"), "http://127.0.0.1:9000/archive/k"),
        (OssEndpoints(override="http://localhost:9000"), "http://localhost:9000/archive/k"),
    ],
)
def test_addressing(mock: responses.RequestsMock, endpoints: OssEndpoints, url: str) -> None:
    """Internal host, placeholders, a bucket-less host (bucket prefixed), IP/localhost path-style."""
    mock.add(responses.GET, url, body=b"x")
    assert _client(endpoints).get_object("archive", "k", deadline=_deadline()) == b"x"


def test_path_style_signs_the_same_as_virtual_hosted(mock: responses.RequestsMock) -> None:
    """/bucket/key is signed whichever the addressing, so an emulator verifies either unchanged."""
    mock.add(responses.GET, URL, body=b"x")
    mock.add(responses.GET, "http://127.0.0.1:9000/archive/" + URL.split("/", 3)[3], body=b"x")
    _client().get_object("archive", KEY, deadline=_deadline())
    _client(OssEndpoints(override="http://127.0.0.1:9000")).get_object(
        "archive", KEY, deadline=_deadline()
    )
    assert _sent(mock, 0).headers["Authorization"] == _sent(mock, 1).headers["Authorization"]


def test_plain_http_off_loopback_is_refused() -> None:
    """An override must be https unless it (or the proxy) is on loopback."""
    with pytest.raises(errors.ConfigError, match="https"):
        OssEndpoints(override="http://oss.example.com")
    assert OssEndpoints(override="http://oss.example.com", proxy="http://127.0.0.1:8080")


@pytest.mark.parametrize("key", ["../escape", "/abs", "a//b", "a\nb", ""])
def test_unsafe_keys_are_never_sent(mock: responses.RequestsMock, key: str) -> None:
    """check_key refuses the key before any request is made."""
    with pytest.raises(ValueError, match="unsafe object key"):
        _client().put_object("archive", key, b"x", deadline=_deadline())
    assert len(mock.calls) == 0


@pytest.mark.parametrize(
    "bucket", ["ab", "Archive", "-archive", "archive-", "a_b", "a" * 64, "a.b"]
)
def test_invalid_bucket_names_are_never_sent(mock: responses.RequestsMock, bucket: str) -> None:
    """Bucket names must be 3-63 of lowercase letters, digits and hyphens, alphanumeric ends."""
    with pytest.raises(errors.InvalidIdentifier, match="oss bucket"):
        _client().get_object(bucket, "k", deadline=_deadline())
    assert len(mock.calls) == 0


def test_key_is_percent_encoded_in_the_path(mock: responses.RequestsMock) -> None:
    """Spaces, '+', '=' and non-ASCII are encoded; '/' separates segments."""
    mock.add(responses.GET, f"{HOST}/a%20b/c%2Bd%3De/%C3%A9", body=b"x")
    _client().get_object("archive", "a b/c+d=e/é", deadline=_deadline())
    assert urlsplit(_sent(mock).url or "").path == "/a%20b/c%2Bd%3De/%C3%A9"


def test_metadata_values_cannot_break_a_header(mock: responses.RequestsMock) -> None:
    """Values beyond printable ASCII (and %) are percent-encoded: no CR/LF reaches a header."""
    mock.add(responses.PUT, URL)
    _client().put_object(
        "archive", KEY, b"x", metadata={"correlation-id": "a\r\nX: y é%"}, deadline=_deadline()
    )
    assert _sent(mock).headers["x-oss-meta-correlation-id"] == "a%0D%0AX: y %C3%A9%25"


def test_invalid_metadata_names_are_refused(mock: responses.RequestsMock) -> None:
    """Metadata names are lower-case letters, digits and hyphens."""
    with pytest.raises(errors.InvalidIdentifier, match="metadata name"):
        _client().put_object("archive", KEY, b"x", metadata={"Bad Name": "v"}, deadline=_deadline())
    assert len(mock.calls) == 0


def test_get_missing_key_is_not_found_with_code_and_request_id(
    mock: responses.RequestsMock,
) -> None:
    """A NoSuchKey body becomes NotFoundError keeping code, message, status and request id."""
    mock.add(responses.GET, URL, status=404, body=_error("NoSuchKey", "gone", "RID-404"))
    with pytest.raises(errors.NotFoundError) as caught:
        _client().get_object("archive", KEY, deadline=_deadline())
    assert (caught.value.code, caught.value.message) == ("NoSuchKey", "gone")
    assert (caught.value.status, caught.value.request_id) == (404, "RID-404")


def test_head_error_is_read_from_the_x_oss_err_header(mock: responses.RequestsMock) -> None:
    """HEAD answers have no body: the error XML comes base64-encoded in x-oss-err."""
    encoded = base64.b64encode(_error("NoSuchKey", request_id="RID-H").encode()).decode()
    mock.add(responses.HEAD, URL, status=404, headers={"x-oss-err": encoded})
    with pytest.raises(errors.NotFoundError) as caught:
        _client().head_object("archive", KEY, deadline=_deadline())
    assert (caught.value.code, caught.value.request_id) == ("NoSuchKey", "RID-H")


def test_head_returns_size_etag_type_and_metadata(mock: responses.RequestsMock) -> None:
    """User metadata comes back without its prefix, names lower-cased, values decoded."""
    mock.add(
        responses.HEAD,
        URL,
        headers={
            "Content-Length": "12",
            "ETag": '"E"',
            "Content-Type": "application/json",
            "x-oss-meta-Correlation-Id": "a%20%C3%A9",
        },
    )
    head = _client().head_object("archive", KEY, deadline=_deadline())
    assert (head.size, head.etag, head.content_type) == (12, '"E"', "application/json")
    assert head.metadata == {"correlation-id": "a é"}


def _listing(keys: list[str], token: str | None) -> str:
    contents = "".join(
        f"<Contents><Key>{k}</Key><LastModified>2024-05-01T12:00:00.000Z</LastModified>"
        f'<ETag>"E"</ETag><Type>Normal</Type><Size>1</Size><StorageClass>Standard</StorageClass>'
        "</Contents>"
        for k in keys
    )
    more = f"<NextContinuationToken>{token}</NextContinuationToken>" if token else ""
    return (
        "<?xml version='1.0' encoding='UTF-8'?><ListBucketResult><Name>archive</Name>"
        f"<Prefix>d%2F</Prefix><MaxKeys>2</MaxKeys><EncodingType>url</EncodingType>"
        f"<IsTruncated>{'true' if token else 'false'}</IsTruncated><KeyCount>{len(keys)}</KeyCount>"
        f"{more}{contents}</ListBucketResult>"
    )


def test_list_pages_with_continuation_token(mock: responses.RequestsMock) -> None:
    """Pages follow NextContinuationToken; url-encoded keys and token are decoded."""
    mock.add(responses.GET, f"{HOST}/", body=_listing(["d/a%20b", "d/c"], "tok%2B1"))
    mock.add(responses.GET, f"{HOST}/", body=_listing(["d/%C3%A9"], None))
    keys = list(_client().list_objects_v2("archive", prefix="d/", max_keys=2, deadline=_deadline()))
    assert keys == ["d/a b", "d/c", "d/é"]
    first, second = _query_of(_sent(mock, 0)), _query_of(_sent(mock, 1))
    assert first == {"list-type": "2", "max-keys": "2", "encoding-type": "url", "prefix": "d/"}
    assert second["continuation-token"] == "tok+1"
    _verify(_sent(mock, 1), "archive", "", PLAIN.access_key_secret)


def test_list_is_path_style_on_an_ip_override(mock: responses.RequestsMock) -> None:
    """A bucket operation on an IP override goes to /bucket/ with the query."""
    mock.add(responses.GET, "http://127.0.0.1:9000/archive/", body=_listing(["k"], None))
    client = _client(OssEndpoints(override="http://127.0.0.1:9000"))
    assert list(client.list_objects_v2("archive", deadline=_deadline())) == ["k"]


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (404, "NoSuchKey", errors.NotFoundError),
        (404, "NoSuchBucket", errors.NotFoundError),
        (409, "FileAlreadyExists", errors.ConflictError),
        (403, "AccessDenied", errors.ForbiddenError),
        (403, "SignatureDoesNotMatch", errors.AuthError),
        (403, "InvalidAccessKeyId", errors.AuthError),
        (403, "RequestTimeTooSkewed", errors.AuthError),
        (400, "InvalidDigest", errors.InvalidRequestError),
        (400, "SomethingNew", errors.InvalidRequestError),
        (403, "SomethingNew", errors.ForbiddenError),
        (429, "SomethingNew", errors.ThrottledError),
        (500, "InternalError", errors.ServerError),
        (503, "ServiceUnavailable", errors.ServerError),
        (502, "SomethingNew", errors.ServerError),
    ],
)
def test_error_mapping(
    mock: responses.RequestsMock, status: int, code: str, cls: type[errors.ApiError]
) -> None:
    """Known codes map exactly, unknown ones by status; only 5xx and throttling are retryable."""
    mock.add(responses.GET, URL, status=status, body=_error(code))
    with pytest.raises(cls) as caught:
        _client(attempts=1).get_object("archive", KEY, deadline=_deadline())
    assert type(caught.value) is cls
    assert caught.value.code == code
    assert caught.value.retryable is (status >= 500 or status == 429)


def test_an_error_without_xml_is_named_by_status(mock: responses.RequestsMock) -> None:
    """A proxy's HTML error page still yields a typed error, with the request id header."""
    mock.add(responses.GET, URL, status=502, body="<html>", headers={"x-oss-request-id": "R"})
    with pytest.raises(errors.ServerError) as caught:
        _client(attempts=1).get_object("archive", KEY, deadline=_deadline())
    assert (caught.value.code, caught.value.request_id) == ("HTTP502", "R")


def test_server_errors_are_retried(mock: responses.RequestsMock) -> None:
    """A 503 is tried again and the next answer is returned."""
    mock.add(responses.GET, URL, status=503, body=_error("ServiceUnavailable"))
    mock.add(responses.GET, URL, body=b"ok")
    assert _client().get_object("archive", KEY, deadline=_deadline()) == b"ok"
    assert len(mock.calls) == 2


def test_put_is_retried_after_a_transport_failure(mock: responses.RequestsMock) -> None:
    """Sending the same bytes under the same key again is safe, so a lost PUT is resent."""
    mock.add(responses.PUT, URL, body=requests.ConnectionError("reset"))
    mock.add(responses.PUT, URL)
    _client().put_object("archive", KEY, b"x", forbid_overwrite=True, deadline=_deadline())
    assert len(mock.calls) == 2


def test_auth_errors_are_not_retried(mock: responses.RequestsMock) -> None:
    """A signature failure cannot heal by itself: one attempt only."""
    mock.add(responses.GET, URL, status=403, body=_error("SignatureDoesNotMatch"))
    with pytest.raises(errors.AuthError):
        _client().get_object("archive", KEY, deadline=_deadline())
    assert len(mock.calls) == 1


def test_errors_carry_no_secret_token_or_signature(mock: responses.RequestsMock) -> None:
    """SignatureDoesNotMatch's StringToSign and key id stay out of the error text."""
    body = (
        "<Error><Code>SignatureDoesNotMatch</Code><Message>no match</Message>"
        "<RequestId>R</RequestId><OSSAccessKeyId>STS.tempkey</OSSAccessKeyId>"
        "<SignatureProvided>deadbeef</SignatureProvided>"
        "<StringToSign>OSS4-HMAC-SHA256 sts-token-value</StringToSign></Error>"
    )
    mock.add(responses.GET, URL, status=403, body=body)
    with pytest.raises(errors.AuthError) as caught:
        _client(credentials=STS).get_object("archive", KEY, deadline=_deadline())
    text = str(caught.value)
    signature = _sent(mock).headers["Authorization"].rsplit("=", 1)[1]
    for secret in ("sts-secret-value", "sts-token-value", "STS.tempkey", "deadbeef", signature):
        assert secret not in text


def test_transport_errors_do_not_quote_the_url(mock: responses.RequestsMock) -> None:
    """A network failure becomes TransportError without the library's message (it has the URL)."""
    mock.add(responses.GET, URL, body=requests.ConnectionError(f"failed {URL}?token=x"))
    with pytest.raises(errors.TransportError) as caught:
        _client(attempts=1).get_object("archive", KEY, deadline=_deadline())
    assert "aliyuncs" not in str(caught.value)
    assert caught.value.__cause__ is None


# The object store: create-only, settled by comparing bytes.


def _store() -> OssObjectStore:
    return OssObjectStore(_client(attempts=1), "archive")


def test_store_put_creates_with_forbid_overwrite(mock: responses.RequestsMock) -> None:
    """A first put is CREATED and asks OSS itself to refuse an overwrite."""
    mock.add(responses.PUT, URL)
    assert _store().put_if_absent(KEY, b"{}", content_type="application/json") is PutOutcome.CREATED
    assert _sent(mock).headers["x-oss-forbid-overwrite"] == "true"


def test_store_existing_identical_bytes_are_a_replay(mock: responses.RequestsMock) -> None:
    """409 FileAlreadyExists, then equal bytes read back: IDENTICAL."""
    mock.add(responses.PUT, URL, status=409, body=_error("FileAlreadyExists"))
    mock.add(responses.GET, URL, body=b"{}")
    assert _store().put_if_absent(KEY, b"{}", content_type="t") is PutOutcome.IDENTICAL


def test_store_existing_different_bytes_are_never_overwritten(
    mock: responses.RequestsMock,
) -> None:
    """Different bytes raise ArchiveConflict; the only PUT made was the create-only one."""
    mock.add(responses.PUT, URL, status=409, body=_error("FileAlreadyExists"))
    mock.add(responses.GET, URL, body=b"first")
    with pytest.raises(errors.ArchiveConflict, match="vpndgn-abcd"):
        _store().put_if_absent(KEY, b"second", content_type="t")
    puts = [c.request for c in mock.calls if c.request.method == "PUT"]
    assert len(puts) == 1
    assert puts[0].headers["x-oss-forbid-overwrite"] == "true"


def test_store_object_deleted_in_between_is_retryable(mock: responses.RequestsMock) -> None:
    """FileAlreadyExists, then NoSuchKey: nothing was written, and a later attempt may succeed."""
    mock.add(responses.PUT, URL, status=409, body=_error("FileAlreadyExists"))
    mock.add(responses.GET, URL, status=404, body=_error("NoSuchKey"))
    with pytest.raises(errors.ResponseError) as caught:
        _store().put_if_absent(KEY, b"x", content_type="t")
    assert caught.value.retryable


def test_store_other_conflicts_are_raised(mock: responses.RequestsMock) -> None:
    """A 409 that is not FileAlreadyExists is not mistaken for an existing object."""
    mock.add(responses.PUT, URL, status=409, body=_error("ObjectNotAppendable"))
    with pytest.raises(errors.ConflictError):
        _store().put_if_absent(KEY, b"x", content_type="t")
    assert len(mock.calls) == 1


def test_store_get_absent_is_none_but_a_missing_bucket_raises(
    mock: responses.RequestsMock,
) -> None:
    """NoSuchKey is an absence; NoSuchBucket is a configuration error."""
    mock.add(responses.GET, URL, status=404, body=_error("NoSuchKey"))
    assert _store().get(KEY) is None
    mock.replace(responses.GET, URL, status=404, body=_error("NoSuchBucket"))
    with pytest.raises(errors.NotFoundError, match="NoSuchBucket"):
        _store().get(KEY)


def test_store_exists_uses_head(mock: responses.RequestsMock) -> None:
    """exists is a HEAD: 200 is True, NoSuchKey (from x-oss-err) is False."""
    mock.add(responses.HEAD, URL)
    assert _store().exists(KEY)
    encoded = base64.b64encode(_error("NoSuchKey").encode()).decode()
    mock.replace(responses.HEAD, URL, status=404, headers={"x-oss-err": encoded})
    assert not _store().exists(KEY)


def test_store_list_yields_keys_under_a_prefix(mock: responses.RequestsMock) -> None:
    """list pages through ListObjectsV2 with the prefix."""
    mock.add(responses.GET, f"{HOST}/", body=_listing(["d/a", "d/b"], None))
    assert list(_store().list("d/")) == ["d/a", "d/b"]
    assert _query_of(_sent(mock))["prefix"] == "d/"


def test_store_location_is_an_oss_url() -> None:
    """location names bucket and key."""
    assert _store().location(KEY) == f"oss://archive/{KEY}"
