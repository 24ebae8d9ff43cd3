"""Signed calls to the Alibaba Cloud RPC APIs the deploy tool uses (ROS, EventBridge's control plane).

Signed with ACS3-HMAC-SHA256 (V3), as the official SDKs sign by default: parameters travel in the
query, a large one (a template body) form-encoded in the body, whose SHA-256 is signed too
(``alibabacloud_tea_openapi``'s ``do_request`` with ``req_body_type='formData'``). Answers are JSON.
A non-2xx answer is a typed error, and so is a 2xx one whose body says ``"Success": false``: the
EventBridge control plane answers some failures that way (``EventBusNotExist`` with HTTP 200, as the
terraform provider's ``DescribeEventBridgeEventBus`` expects).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import requests

from vpndiag.clients import rpc_errors
from vpndiag.credentials import Credentials
from vpndiag.errors import ResponseError
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import send
from vpndiag.signing import acs3
from vpndiag.signing.percent import encode

Json = dict[str, Any]
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class RpcApi:
    """One RPC product: its name in errors, its API version and the base URL it is reached at."""

    service: str
    version: str
    endpoint: str


def flatten(name: str, items: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """A list of objects as RPC query parameters: ``Name.1.Key=value``, counted from 1, as the
    SDKs' ``Utils.query`` writes ``Parameters`` (``Parameters.1.ParameterKey``, ...)."""
    return {
        f"{name}.{index}.{key}": value
        for index, item in enumerate(items, start=1)
        for key, value in item.items()
    }


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _failed_in_body(body: Json) -> bool:
    success = body.get("Success")
    return success is False or (isinstance(success, str) and success.lower() == "false")


class RpcCaller:
    """Calls one RPC API; credentials are asked for at every attempt, retries follow ``retry``."""

    def __init__(
        self,
        api: RpcApi,
        *,
        session: requests.Session,
        credentials: Callable[[], Credentials],
        retry: RetryPolicy,
        timeout: float = 30.0,
        clock: Callable[[], datetime] = _utc_now,
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.api = api
        self._session = session
        self._credentials = credentials
        self._retry = retry
        self._timeout = timeout
        self._clock = clock
        self._nonce = nonce

    def call(
        self,
        action: str,
        query: Mapping[str, str],
        *,
        form: Mapping[str, str] | None = None,
        deadline: Deadline,
    ) -> Json:
        """Call ``action``; the decoded JSON body, or a typed error naming the service's code."""
        body = "&".join(f"{encode(k)}={encode(v)}" for k, v in (form or {}).items()).encode()
        return self._retry.call(
            lambda left: self._once(action, dict(query), body, min(left, self._timeout)), deadline
        )

    def _once(self, action: str, query: dict[str, str], body: bytes, timeout: float) -> Json:
        # Signed afresh per attempt: a retried request needs a new nonce and a current timestamp.
        creds = self._credentials()
        payload_hash = hashlib.sha256(body).hexdigest()
        headers = {
            "host": urlsplit(self.api.endpoint).netloc,
            "x-acs-action": action,
            "x-acs-version": self.api.version,
            "x-acs-date": self._clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "x-acs-signature-nonce": self._nonce(),
            "x-acs-content-sha256": payload_hash,
        }
        if body:
            headers["content-type"] = FORM
        if creds.security_token:
            headers["x-acs-security-token"] = creds.security_token
        headers["Authorization"] = acs3.sign(
            method="POST",
            path="/",
            query=query,
            headers=headers,
            payload_hash=payload_hash,
            access_key_id=creds.access_key_id,
            access_key_secret=creds.access_key_secret,
        )
        url = f"{self.api.endpoint.rstrip('/')}/?{acs3.canonical_query(query)}"
        service = self.api.service
        response = send(
            self._session, service, "POST", url, headers=headers, body=body, timeout=timeout
        )
        if response.status_code >= 300:
            raise rpc_errors.from_response(
                service, response.status_code, response.content, dict(response.headers)
            )
        try:
            decoded = json.loads(response.content)
        except (ValueError, RecursionError):
            raise ResponseError(service, f"{action}: body is not JSON", retryable=True) from None
        if not isinstance(decoded, dict):
            raise ResponseError(service, f"{action}: body is not a JSON object", retryable=True)
        if _failed_in_body(decoded):
            raise rpc_errors.from_response(
                service, response.status_code, response.content, dict(response.headers)
            )
        return decoded
