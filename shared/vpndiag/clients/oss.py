"""OSS (Object Storage Service) over ``requests``, signed with V4: put, get, head and list objects.

Every operation runs under the shared retry policy, PUT included. A PUT sends the same bytes under
the same key every time, so sending it again cannot change what is stored; with
``forbid_overwrite`` a retry after a lost answer meets ``FileAlreadyExists``, which the object store
resolves by comparing bytes (identical: a replay). So retrying is safe wherever it can help.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Final, Literal, NamedTuple
from urllib.parse import quote, unquote
from xml.etree import ElementTree

import requests

from vpndiag import errors, identifiers
from vpndiag.clients.endpoints import Network, addressed_directly, virtual_hosted
from vpndiag.credentials import Credentials
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import send
from vpndiag.signing import oss_v4
from vpndiag.signing.percent import encode
from vpndiag.store.objects import check_key

SERVICE = "oss"
Encryption = Literal["AES256", "KMS"]

_BUCKET = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_META_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
# Metadata values travel as header values: anything beyond printable ASCII (and ``%``, to keep the
# encoding reversible) is percent-encoded, so no value can break or inject a header.
_META_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")
# Bodies are covered by Content-MD5 (PUT) or absent: the payload hash is not computed.
_UNSIGNED: Final[Mapping[str, str]] = {"x-oss-content-sha256": oss_v4.UNSIGNED_PAYLOAD}


def bucket_name(value: object) -> str:
    """Return ``value`` if it is a bucket name (3-63 of ``a-z0-9-``, alphanumeric ends)."""
    if not isinstance(value, str) or not _BUCKET.fullmatch(value):
        raise errors.InvalidIdentifier("oss bucket", str(value))
    return value


@dataclass(frozen=True)
class OssEndpoints:
    """Where a bucket is reached: ``{bucket}.oss-{region}[-internal].aliyuncs.com`` or an override.

    ``network="vpc"`` selects the internal endpoint (from FC in the bucket's region). An override is
    a base URL: ``{bucket}`` and ``{region}`` are filled in; a host name without ``{bucket}`` gets
    ``{bucket}.`` in front (virtual-hosted, as the SDKs do with a regional endpoint); an IP address
    or ``localhost`` (an emulator) is addressed path-style, ``/{bucket}/{key}``. V4 signs
    ``/{bucket}/{key}`` in every case, so the signature does not depend on the style.
    """

    network: Network = "public"
    override: str | None = None
    proxy: str | None = None
    _by_ip: bool = field(init=False, repr=False, compare=False, default=False)

    def __post_init__(self) -> None:
        if self.override:
            sample = self.override.replace("{bucket}", "bucket")
            direct = addressed_directly("VPNDIAG_OSS_ENDPOINT", self.override, self.proxy, sample)
            object.__setattr__(self, "_by_ip", direct)

    def address(self, bucket: str, region: str) -> tuple[str, str]:
        """Return (base URL, path prefix): the prefix is ``/{bucket}`` path-style, else empty."""
        bucket_name(bucket)
        identifiers.region(region)
        if not self.override:
            internal = "-internal" if self.network == "vpc" else ""
            return f"https://{bucket}.oss-{region}{internal}.aliyuncs.com", ""
        if self._by_ip:
            return self.override.rstrip("/").replace("{region}", region), f"/{bucket}"
        return virtual_hosted(self.override, region, "{bucket}", bucket), ""


@dataclass(frozen=True)
class PutResult:
    etag: str
    request_id: str | None


@dataclass(frozen=True)
class ObjectHead:
    size: int
    etag: str
    content_type: str
    metadata: dict[str, str]  # x-oss-meta-* without the prefix, names lower-cased
    request_id: str | None


_EXACT: Final[dict[str, type[errors.ApiError]]] = {
    "NoSuchKey": errors.NotFoundError,
    "NoSuchBucket": errors.NotFoundError,
    "FileAlreadyExists": errors.ConflictError,
    "AccessDenied": errors.ForbiddenError,
    "SignatureDoesNotMatch": errors.AuthError,
    "InvalidAccessKeyId": errors.AuthError,
    "RequestTimeTooSkewed": errors.AuthError,
    "SecurityTokenExpired": errors.AuthError,
    "InternalError": errors.ServerError,
    "ServiceUnavailable": errors.ServerError,
    "InvalidDigest": errors.InvalidRequestError,
    "InvalidArgument": errors.InvalidRequestError,
}
_BY_STATUS: Final[dict[int, type[errors.ApiError]]] = {
    401: errors.AuthError,
    403: errors.ForbiddenError,
    404: errors.NotFoundError,
    409: errors.ConflictError,
    429: errors.ThrottledError,
}


def _xml(data: bytes) -> ElementTree.Element | None:
    # Bodies come only from the configured endpoint; expat resolves no external entities.
    try:
        return ElementTree.fromstring(data)  # noqa: S314
    except ElementTree.ParseError:
        return None


def error_from(response: requests.Response) -> errors.ApiError:
    """The typed error for a non-2xx answer, from the XML body or (HEAD) the ``x-oss-err`` header.

    Only Code, Message and RequestId are kept: a ``SignatureDoesNotMatch`` body also carries the
    string to sign and the access key id, which must not reach a log.
    """
    status = response.status_code
    data = response.content
    encoded = response.headers.get("x-oss-err")
    if not data and encoded:
        try:
            data = base64.b64decode(encoded)
        except ValueError:
            data = b""
    root = _xml(data) if data else None
    code = (root.findtext("Code") if root is not None else None) or f"HTTP{status}"
    message = (root.findtext("Message") if root is not None else None) or "no error body"
    request_id = (root.findtext("RequestId") if root is not None else None) or response.headers.get(
        "x-oss-request-id"
    )
    cls = _EXACT.get(code) or _BY_STATUS.get(status)
    if cls is None:
        cls = errors.ServerError if status >= 500 else errors.InvalidRequestError
    return cls(
        service=SERVICE, code=code, message=message[:500], status=status, request_id=request_id
    )


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class _Request(NamedTuple):
    """What stays the same across the attempts of one request (the signature does not)."""

    method: str
    url: str
    bucket: str
    key: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


class OssClient:
    """One region's OSS API. Credentials are asked for at every attempt (STS keys rotate)."""

    def __init__(
        self,
        *,
        session: requests.Session,
        credentials: Callable[[], Credentials],
        endpoints: OssEndpoints,
        region: str,
        retry: RetryPolicy,
        timeout: float = 10.0,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._session = session
        self._credentials = credentials
        self._endpoints = endpoints
        self._region = identifiers.region(region)
        self._retry = retry
        self._timeout = timeout
        self._clock = clock

    def _object(
        self,
        method: str,
        bucket: str,
        key: str,
        headers: Mapping[str, str],
        body: bytes = b"",
    ) -> _Request:
        base, prefix = self._endpoints.address(bucket, self._region)
        url = f"{base}{prefix}/{encode(check_key(key), '/')}"
        return _Request(method, url, bucket, key, {}, headers, body)

    def put_object(
        self,
        bucket: str,
        key: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
        forbid_overwrite: bool = False,
        server_side_encryption: Encryption | None = None,
        deadline: Deadline,
    ) -> PutResult:
        """Store ``body`` under ``key``; ``forbid_overwrite`` makes an existing key a ConflictError
        (code ``FileAlreadyExists``) instead of a replacement."""
        headers = {
            "content-type": content_type,
            "content-md5": base64.b64encode(
                hashlib.md5(body, usedforsecurity=False).digest()
            ).decode(),
            "x-oss-content-sha256": oss_v4.UNSIGNED_PAYLOAD,
        }
        if forbid_overwrite:
            headers["x-oss-forbid-overwrite"] = "true"
        if server_side_encryption:
            headers["x-oss-server-side-encryption"] = server_side_encryption
        for name, value in (metadata or {}).items():
            if not _META_KEY.fullmatch(name):
                raise errors.InvalidIdentifier("object metadata name", name)
            headers[f"x-oss-meta-{name}"] = quote(value, safe=_META_SAFE)
        response = self._call(self._object("PUT", bucket, key, headers, body), deadline)
        return PutResult(response.headers.get("ETag", ""), response.headers.get("x-oss-request-id"))

    def get_object(self, bucket: str, key: str, *, deadline: Deadline) -> bytes:
        """The object's bytes; ``NotFoundError`` (code ``NoSuchKey``) when there is none."""
        request = self._object("GET", bucket, key, _UNSIGNED)
        return self._call(request, deadline).content

    def head_object(self, bucket: str, key: str, *, deadline: Deadline) -> ObjectHead:
        """The object's size, ETag, type and user metadata, without its bytes."""
        response = self._call(self._object("HEAD", bucket, key, _UNSIGNED), deadline)
        headers = response.headers
        return ObjectHead(
            size=int(headers.get("Content-Length", "0")),
            etag=headers.get("ETag", ""),
            content_type=headers.get("Content-Type", ""),
            metadata={
                name[11:].lower(): unquote(value)
                for name, value in headers.items()
                if name.lower().startswith("x-oss-meta-")
            },
            request_id=headers.get("x-oss-request-id"),
        )

    def list_objects_v2(
        self, bucket: str, *, prefix: str = "", max_keys: int = 1000, deadline: Deadline
    ) -> Iterator[str]:
        """Yield every key under ``prefix``, page by page (``continuation-token``); ``deadline``
        bounds the whole listing."""
        base, path_prefix = self._endpoints.address(bucket, self._region)
        query = {"list-type": "2", "max-keys": str(max_keys), "encoding-type": "url"}
        if prefix:
            query["prefix"] = prefix
        while True:
            url = f"{base}{path_prefix}/?" + "&".join(
                f"{encode(k)}={encode(v)}" for k, v in query.items()
            )
            request = _Request("GET", url, bucket, "", query, _UNSIGNED, b"")
            response = self._call(request, deadline)
            root = _xml(response.content)
            if root is None:
                raise errors.ResponseError(
                    SERVICE,
                    "ListObjectsV2 body is not XML",
                    response.headers.get("x-oss-request-id"),
                    retryable=True,
                )
            decode = unquote if root.findtext("EncodingType") == "url" else str
            for key in root.iterfind("Contents/Key"):
                yield decode(key.text or "")
            token = root.findtext("NextContinuationToken")
            if root.findtext("IsTruncated") != "true" or not token:
                return
            query["continuation-token"] = decode(token)

    def _call(self, request: _Request, deadline: Deadline) -> requests.Response:
        return self._retry.call(lambda left: self._once(request, left), deadline)

    def _once(self, request: _Request, left: float) -> requests.Response:
        # Signed afresh per attempt: the date moves and the STS keys may have rotated.
        creds = self._credentials()
        headers = dict(request.headers)
        headers["x-oss-date"] = self._clock().strftime("%Y%m%dT%H%M%SZ")
        if creds.security_token:
            headers["x-oss-security-token"] = creds.security_token
        headers["authorization"] = oss_v4.sign(
            method=request.method,
            bucket=request.bucket,
            key=request.key,
            query=request.query,
            headers=headers,
            region=self._region,
            access_key_id=creds.access_key_id,
            access_key_secret=creds.access_key_secret,
        )
        response = send(
            self._session,
            SERVICE,
            request.method,
            request.url,
            headers=headers,
            body=request.body,
            timeout=min(left, self._timeout),
        )
        if response.status_code >= 300:
            raise error_from(response)
        _check_answer(request, response)
        return response


def _check_answer(request: _Request, response: requests.Response) -> None:
    """Refuse a 2xx answer OSS cannot have sent: retryable, the request is simply sent again.

    A PutObject answer has no body (a proxy's error page with status 200 does, and means nothing
    was stored); an object's bytes must match the ``Content-MD5`` OSS sends with them (a body cut
    short in transit does not, and would read as other content).
    """
    request_id = response.headers.get("x-oss-request-id")
    if not request_id:
        # Every OSS answer names its request; a 2xx without one is a proxy's or a portal's page,
        # and a HEAD "found" that is not OSS's would make a missing marker look present.
        raise errors.ResponseError(
            SERVICE,
            f"{request.method} answer without x-oss-request-id: not from OSS",
            retryable=True,
        )
    if request.method == "PUT" and response.content:
        raise errors.ResponseError(
            SERVICE,
            "PutObject answer has a body: not an answer from OSS",
            request_id,
            retryable=True,
        )
    expected = response.headers.get("Content-MD5")
    if request.method == "GET" and request.key and expected:
        digest = base64.b64encode(hashlib.md5(response.content, usedforsecurity=False).digest())
        if digest.decode() != expected:
            raise errors.ResponseError(
                SERVICE, "GetObject body does not match its Content-MD5", request_id, retryable=True
            )
