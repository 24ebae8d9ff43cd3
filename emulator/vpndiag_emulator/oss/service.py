"""The OSS service as the core routes to it: addressing, authentication, operations, XML errors.

Addressing: virtual-hosted (``{bucket}.oss-{region}[-internal].aliyuncs.com``, through ``mock()``
or with the emulator as HTTP proxy) or path-style (``/{bucket}/{key}``) when the request reaches
the loopback server by its address, as the app's client and ``oss2`` address an IP endpoint.
Path-style to a real OSS host name is refused (``SecondLevelDomainForbidden``), as OSS does.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import format_datetime
from typing import TYPE_CHECKING
from urllib.parse import unquote

from vpndiag_emulator.core.wire import EmulatedRequest, EmulatedResponse

from . import errors
from .auth import authenticate
from .buckets import BUCKET_HANDLERS
from .errors import OssError
from .responses import LIST_OBJECTS_V2, OBJECT_HANDLERS, Handler, OssCall, error_xml
from .urls import HOST_PATTERN, parse_host

if TYPE_CHECKING:
    from vpndiag_emulator.core.cloud import Cloud

_OSS_AUTH = ("OSS4-HMAC-SHA256 ", "OSS ")
# Query parameters that only override response headers; any other turns an object request into
# a sub-resource operation (acl, tagging, multipart, ...) the emulator does not provide.
_RESPONSE_OVERRIDE = "response-"


@dataclass(frozen=True)
class Target:
    """What a request addresses: bucket, key ("" for the bucket) and, from the host, the region."""

    bucket: str
    key: str
    region: str | None


def locate(request: EmulatedRequest) -> Target:
    """Read bucket, key and region from the host (virtual-hosted) or the path (path-style)."""
    host = parse_host(request.hostname)
    if host is not None and host.bucket is not None:
        return Target(host.bucket, unquote(request.path[1:]), host.region)
    if host is not None:
        if request.path.strip("/"):
            raise errors.second_level_domain_forbidden()
        raise errors.not_implemented("ListBuckets")
    bucket, _, key = request.path[1:].partition("/")
    if not bucket:
        raise errors.not_implemented("ListBuckets")
    return Target(unquote(bucket), unquote(key), None)


def operation(request: EmulatedRequest, target: Target) -> tuple[str, Handler]:
    """The operation's name and handler, or ``Emulator.NotImplemented`` naming what was asked."""
    params = dict(request.query_params)
    if not target.key:
        if request.method == "GET" and params.get("list-type") == "2":
            return LIST_OBJECTS_V2
        subresources = sorted(p for p in params if not p.startswith(_RESPONSE_OVERRIDE))
        bucket_op = BUCKET_HANDLERS.get((request.method, "&".join(subresources)))
        if bucket_op is None:
            asked = f"?{'&'.join(subresources)}" if subresources else "/"
            raise errors.not_implemented(f"{request.method} {asked} on a bucket")
        return bucket_op
    found = OBJECT_HANDLERS.get(request.method)
    extra = sorted(p for p in params if not p.startswith(_RESPONSE_OVERRIDE))
    if found is None or extra:
        asked = f" with ?{'&'.join(extra)}" if extra else ""
        raise errors.not_implemented(f"{request.method} of an object{asked}")
    return found


class OssService:
    """OSS: implements the core's ``Service`` contract."""

    name = "oss"
    host_pattern: re.Pattern[str] = HOST_PATTERN

    def claims(self, request: EmulatedRequest) -> bool:
        """Path-style to the loopback address: an OSS signature or an ``x-oss-*`` header."""
        authorization = request.header("authorization") or ""
        return authorization.startswith(_OSS_AUTH) or any(
            name.startswith("x-oss-") for name in request.headers
        )

    def action_of(self, request: EmulatedRequest) -> str | None:
        """``PutObject``, ``GetObject``, ``HeadObject``, ``DeleteObject``, ``ListObjectsV2``,
        ``PutBucket``, ``GetBucketInfo``, ``DeleteBucket``."""
        try:
            return operation(request, locate(request))[0]
        except OssError:
            return None

    def handle(self, cloud: Cloud, request: EmulatedRequest) -> EmulatedResponse:
        """Locate, authenticate and run the operation; every failure becomes an XML error."""
        try:
            target = locate(request)
            action, handler = operation(request, target)
            caller = authenticate(
                cloud,
                request,
                bucket=target.bucket,
                key=target.key,
                region=target.region,
                action=action,
            )
            backend = cloud.oss(caller.region, account_id=caller.key.account_id)
            response = handler(OssCall(request, backend, target.bucket, target.key))
        except OssError as error:
            return self._error(cloud, request, error)
        return EmulatedResponse(
            status=response.status,
            body=response.body,
            headers={**_common_headers(cloud), **response.headers},
        )

    def error_response(
        self,
        request: EmulatedRequest,
        *,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> EmulatedResponse:
        """An OSS XML error (the core's fault injection calls this)."""
        # The protocol gives no clock here, so a fault's answer goes without a Date header.
        return _render_error(request, OssError(status, code, message), headers or {})

    def _error(self, cloud: Cloud, request: EmulatedRequest, error: OssError) -> EmulatedResponse:
        return _render_error(
            request, error, {"Date": format_datetime(cloud.clock.now(), usegmt=True)}
        )


def oss_service() -> OssService:
    """The OSS API."""
    return OssService()


def _request_id() -> str:
    # OSS request ids are 24 upper-case hex digits.
    return secrets.token_hex(12).upper()


def _common_headers(cloud: Cloud) -> dict[str, str]:
    return {
        "Server": "AliyunOSS",
        "Date": format_datetime(cloud.clock.now(), usegmt=True),
        "x-oss-request-id": _request_id(),
    }


def _render_error(
    request: EmulatedRequest, error: OssError, extra: Mapping[str, str]
) -> EmulatedResponse:
    request_id = _request_id()
    body = error_xml(
        {
            "Code": error.code,
            "Message": error.message,
            "RequestId": request_id,
            "HostId": request.host,
            **error.fields,
        }
    )
    headers = {
        "Server": "AliyunOSS",
        "Content-Type": "application/xml",
        "x-oss-request-id": request_id,
        **extra,
    }
    if "EC" in error.fields:
        headers["x-oss-ec"] = error.fields["EC"]
    if request.method == "HEAD":
        # A HEAD answer has no body: OSS sends the error document base64-encoded in a header.
        headers["x-oss-err"] = base64.b64encode(body).decode("ascii")
        body = b""
    return EmulatedResponse(
        status=error.status,
        body=body,
        headers=headers,
        error_code=error.code,
        detail=error.detail,
    )
