"""The EventBridge data plane as the core routes to it.

A request is answered in the order of concern: path and method, signature (key, date, signature,
STS token, nonce), permission, the account and region it addresses, then the batch. The account
and region come from the real host name (``{accountId}.eventbridge.{region}.aliyuncs.com``);
a loopback request addressed by IP has none, so the account is the key's and the region the
``x-eventbridge-regionId`` header the SDK sends.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from vpndiag_emulator.core.credentials import AccessKey
from vpndiag_emulator.core.wire import EmulatedRequest, EmulatedResponse

from . import errors, ram
from .auth import authenticate
from .models import EventBridgeBackend
from .responses import put_events
from .urls import API_PREFIX, HOST_PATTERN, PUT_EVENTS_PATH, account_and_region

if TYPE_CHECKING:
    import re

    from vpndiag_emulator.core.cloud import Cloud

ACTION: Final = "PutEvents"
_JSON: Final = "application/json;charset=utf-8"


class EventBridgeService:
    """Implements the core's ``Service`` contract for the data plane."""

    name = "eventbridge"

    @property
    def host_pattern(self) -> re.Pattern[str]:
        return HOST_PATTERN

    def claims(self, request: EmulatedRequest) -> bool:
        """Data-plane shape: a path under ``/openapi/`` with the ``x-eventbridge-version`` header."""
        return request.path.startswith(API_PREFIX) and bool(request.header("x-eventbridge-version"))

    def action_of(self, request: EmulatedRequest) -> str | None:
        return ACTION if request.path == PUT_EVENTS_PATH else None

    def handle(self, cloud: Cloud, request: EmulatedRequest) -> EmulatedResponse:
        request_id = str(uuid.uuid4()).upper()
        try:
            if request.path != PUT_EVENTS_PATH or request.method != "POST":
                raise errors.not_found(f"{request.method} {request.path}")
            key = authenticate(cloud, request)
            if key.is_expired(cloud.clock.now()):
                raise ram.token_expired()
            backend = _backend(cloud, request, key)
            for arn in ram.resources(backend.region, key.account_id, request.body):
                if not cloud.credentials.is_allowed(
                    key, self.name, ACTION, ram_action=ram.RAM_ACTION, resource=arn
                ):
                    raise ram.denied(arn)
            payload = put_events(backend, request, request_id=request_id, now=cloud.clock.now())
        except errors.EventBridgeError as error:
            return _error(request_id, error)
        return EmulatedResponse(
            status=200,
            body=json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
            headers={"Content-Type": _JSON},
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
        """An error answer in the data plane's format (used by fault injection)."""
        response = _error(str(uuid.uuid4()).upper(), errors.EventBridgeError(status, code, message))
        return EmulatedResponse(
            status=response.status,
            body=response.body,
            headers={**response.headers, **(headers or {})},
            error_code=code,
        )


def eventbridge_service() -> EventBridgeService:
    """The EventBridge data plane."""
    return EventBridgeService()


def _backend(cloud: Cloud, request: EmulatedRequest, key: AccessKey) -> EventBridgeBackend:
    named = account_and_region(request.hostname)
    if named is None:
        region = request.header("x-eventbridge-regionid")
        if not region:
            raise errors.invalid_argument("no region: neither a regional host nor a region header")
        return cloud.eventbridge(region, account_id=key.account_id)
    account, region = named
    if account != key.account_id:
        raise errors.access_denied(f"account {account} is not the key's")
    return cloud.eventbridge(region, account_id=key.account_id)


def _error(request_id: str, error: errors.EventBridgeError) -> EmulatedResponse:
    # The SDK reads the error body's keys in lower camel case: code, message, requestId.
    body = {"requestId": request_id, "code": error.code, "message": error.message}
    return EmulatedResponse(
        status=error.status,
        body=json.dumps(body, separators=(",", ":")).encode("utf-8"),
        headers={"Content-Type": _JSON},
        error_code=error.code,
        detail=error.detail,
    )
