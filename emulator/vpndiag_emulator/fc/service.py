"""The FC 2.0 invoke API as the core routes to it.

A request is answered in the service's order of concern: path, signature scheme, key, date window,
signature, STS token, permission, then the function. Loopback requests carry no account or region
in their host name: the account is the key's, and the region the one where the function is
registered (``Emulator.AmbiguousRegion`` if several; then address the real host name with the
emulator as HTTP proxy).
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Final

from vpndiag_emulator.core.credentials import AccessKey
from vpndiag_emulator.core.wire import EmulatedRequest, EmulatedResponse

from . import errors, ram
from .models import ASYNC_PAYLOAD_LIMIT, ERROR_TYPE, SYNC_PAYLOAD_LIMIT, FcBackend
from .signing import SCHEME, signature, string_to_sign
from .urls import API_PREFIX, HOST_PATTERN, INVOCATION_PATH, account_and_region

if TYPE_CHECKING:
    import re

    from vpndiag_emulator.core.cloud import Cloud

ACTION: Final = "InvokeFunction"
_JSON: Final = "application/json"


class FcService:
    """Implements the core's ``Service`` contract for the invoke API."""

    name = "fc"

    @property
    def host_pattern(self) -> re.Pattern[str]:
        return HOST_PATTERN

    def claims(self, request: EmulatedRequest) -> bool:
        """FC shape: a path under the API version, or an ``FC`` authorization."""
        authorization = request.header("authorization") or ""
        return request.path.startswith(API_PREFIX) or authorization.startswith(f"{SCHEME} ")

    def action_of(self, request: EmulatedRequest) -> str | None:
        return ACTION if INVOCATION_PATH.fullmatch(request.path) else None

    def handle(self, cloud: Cloud, request: EmulatedRequest) -> EmulatedResponse:
        request_id = str(uuid.uuid4())
        try:
            return self._invoke(cloud, request)
        except errors.FcApiError as error:
            return self._error(request_id, error)

    def error_response(
        self,
        request: EmulatedRequest,
        *,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> EmulatedResponse:
        response = self._error(str(uuid.uuid4()), errors.FcApiError(status, code, message))
        return EmulatedResponse(
            status=response.status,
            body=response.body,
            headers={**response.headers, **(headers or {})},
            error_code=code,
        )

    def _invoke(self, cloud: Cloud, request: EmulatedRequest) -> EmulatedResponse:
        match = INVOCATION_PATH.fullmatch(request.path)
        if match is None or request.method != "POST":
            raise errors.unsupported(f"{request.method} {request.path}")
        key = _authenticate(cloud, request)
        if key.is_expired(cloud.clock.now()):
            raise ram.token_expired()
        service, function = match["service"], match["function"]
        qualifier = match["qualifier"] or "LATEST"
        # The region (part of the ARN) of a loopback call is the function's: found first.
        backend = _backend(cloud, request, key, service, function)
        arn = ram.resource(backend.region, key.account_id, service, match["qualifier"], function)
        if not cloud.credentials.is_allowed(
            key, self.name, ACTION, ram_action=ram.RAM_ACTION, resource=arn
        ):
            raise ram.denied(arn)
        asynchronous = (request.header("x-fc-invocation-type") or "").lower() == "async"
        limit = ASYNC_PAYLOAD_LIMIT if asynchronous else SYNC_PAYLOAD_LIMIT
        if len(request.body) > limit:
            raise errors.payload_too_large(len(request.body), limit)
        if asynchronous:
            request_id = backend.enqueue(service, function, request.body, qualifier=qualifier)
            return EmulatedResponse(status=202, headers={"x-fc-request-id": request_id})
        result = backend.invoke(service, function, request.body, qualifier=qualifier)
        headers = {"x-fc-request-id": result.request_id, "Content-Type": "application/octet-stream"}
        if result.error is not None:
            headers.update({"x-fc-error-type": ERROR_TYPE, "Content-Type": _JSON})
        return EmulatedResponse(status=200, body=result.body, headers=headers)

    def _error(self, request_id: str, error: errors.FcApiError) -> EmulatedResponse:
        body = json.dumps({"ErrorCode": error.code, "ErrorMessage": error.message})
        return EmulatedResponse(
            status=error.status,
            body=body.encode("utf-8"),
            headers={"Content-Type": _JSON, "x-fc-request-id": request_id},
            error_code=error.code,
            detail=error.detail,
        )


def _authenticate(cloud: Cloud, request: EmulatedRequest) -> AccessKey:
    authorization = request.header("authorization")
    if not authorization:
        raise errors.missing_header("Authorization")
    scheme, _, credential = authorization.partition(" ")
    key_id, _, sent = credential.partition(":")
    if scheme != SCHEME or not key_id or not sent:
        raise errors.signature_not_match("(Authorization is not 'FC <AccessKeyId>:<Signature>')")
    key = cloud.credentials.get(key_id)
    if key is None:
        raise errors.invalid_access_key(key_id)
    date = request.header("date")
    if not date:
        raise errors.missing_header("Date")
    try:
        sent_at = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        raise errors.time_skewed(f"Date {date!r} is not an HTTP date") from None
    if sent_at.tzinfo is None or abs(cloud.clock.now() - sent_at) > cloud.timestamp_tolerance:
        raise errors.time_skewed(f"Date {date} against the emulator clock")
    text = string_to_sign(request.method, request.path, request.headers, request.query_params)
    if not hmac.compare_digest(signature(key.secret, text), sent):
        raise errors.signature_not_match(text)
    token = request.header("x-fc-security-token")
    if key.security_token is None:
        if token:
            raise errors.invalid_security_token("a security token was sent with a permanent key")
    elif not token or not hmac.compare_digest(token, key.security_token):
        raise errors.invalid_security_token("missing" if not token else "differs")
    return key


def _backend(
    cloud: Cloud, request: EmulatedRequest, key: AccessKey, service: str, function: str
) -> FcBackend:
    addressed = account_and_region(request.hostname)
    if addressed is not None:
        account, region = addressed
        if account != key.account_id:
            raise errors.access_denied(f"account {account} is not the key's")
        backend = cloud.fc(region, account_id=key.account_id)
        if backend.function(service, function) is None:
            raise errors.function_not_found(service, function)
        return backend
    found = cloud.fc_backends.locate(key.account_id, service, function)
    if not found:
        raise errors.function_not_found(service, function)
    if len(found) > 1:
        raise errors.ambiguous_region(service, function, sorted(b.region for b in found))
    return found[0]


def fc_service() -> FcService:
    """The FC invoke API."""
    return FcService()
