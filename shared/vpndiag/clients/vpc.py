"""The VPC API (2016-04-28) over ``requests``: V3 signatures by default, V1 on request.

One instance per function instance; credentials are asked for at each call because FC's STS keys
rotate. Every call runs under the shared retry policy within the invocation's deadline.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, Literal
from urllib.parse import urlsplit

import requests

from vpndiag.clients import rpc_errors
from vpndiag.clients.endpoints import VpcEndpoints
from vpndiag.credentials import Credentials
from vpndiag.errors import ResponseError
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy
from vpndiag.http.session import send
from vpndiag.signing import acs3, rpc_v1
from vpndiag.signing.percent import encode

API_VERSION = "2016-04-28"
SERVICE = "vpc"
Signature = Literal["v3", "v1"]
Json = dict[str, Any]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class VpcClient:
    def __init__(
        self,
        *,
        session: requests.Session,
        credentials: Callable[[], Credentials],
        endpoints: VpcEndpoints,
        retry: RetryPolicy,
        signature: Signature = "v3",
        timeout: float = 10.0,
        clock: Callable[[], datetime] = _utc_now,
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._session = session
        self._credentials = credentials
        self._endpoints = endpoints
        self._retry = retry
        self._signature = signature
        self._timeout = timeout
        self._clock = clock
        self._nonce = nonce

    def call(
        self, action: str, params: Mapping[str, str], *, region: str, deadline: Deadline
    ) -> Json:
        """Call ``action`` in ``region``; returns the decoded JSON body or raises a typed error."""
        query = {"RegionId": region, **params}
        base = self._endpoints.url(region)
        return self._retry.call(
            lambda left: self._once(action, query, base, min(left, self._timeout)), deadline
        )

    def _once(self, action: str, query: dict[str, str], base: str, timeout: float) -> Json:
        # Signed afresh per attempt: a retried request needs a new nonce and a current timestamp.
        creds = self._credentials()
        if self._signature == "v3":
            url, headers = self._sign_v3(action, query, base, creds)
        else:
            url, headers = self._sign_v1(action, query, base, creds)
        response = send(self._session, SERVICE, "POST", url, headers=headers, timeout=timeout)
        if response.status_code >= 300:
            raise rpc_errors.from_response(
                SERVICE, response.status_code, response.content, dict(response.headers)
            )
        try:
            body = json.loads(response.content)
        except ValueError:
            raise ResponseError(SERVICE, f"{action}: body is not JSON", retryable=True) from None
        if not isinstance(body, dict):
            raise ResponseError(SERVICE, f"{action}: body is not a JSON object", retryable=True)
        return body

    def _sign_v3(
        self, action: str, query: dict[str, str], base: str, creds: Credentials
    ) -> tuple[str, dict[str, str]]:
        headers = {
            "host": urlsplit(base).netloc,
            "x-acs-action": action,
            "x-acs-version": API_VERSION,
            "x-acs-date": self._clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "x-acs-signature-nonce": self._nonce(),
            "x-acs-content-sha256": acs3.EMPTY_SHA256,
        }
        if creds.security_token:
            headers["x-acs-security-token"] = creds.security_token
        headers["Authorization"] = acs3.sign(
            method="POST",
            path="/",
            query=query,
            headers=headers,
            payload_hash=acs3.EMPTY_SHA256,
            access_key_id=creds.access_key_id,
            access_key_secret=creds.access_key_secret,
        )
        return f"{base}/?{acs3.canonical_query(query)}", headers

    def _sign_v1(
        self, action: str, query: dict[str, str], base: str, creds: Credentials
    ) -> tuple[str, dict[str, str]]:
        params = {
            **query,
            "Action": action,
            "Version": API_VERSION,
            "Format": "JSON",
            "AccessKeyId": creds.access_key_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "SignatureNonce": self._nonce(),
            "Timestamp": self._clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if creds.security_token:
            params["SecurityToken"] = creds.security_token
        params["Signature"] = rpc_v1.sign("POST", params, creds.access_key_secret)
        query_string = "&".join(f"{encode(k)}={encode(v)}" for k, v in params.items())
        return f"{base}/?{query_string}", {}

    def get_diagnose_result(
        self,
        region: str,
        *,
        deadline: Deadline,
        diagnose_id: str | None = None,
        gateway_id: str | None = None,
    ) -> Json:
        params = {}
        if diagnose_id:
            params["DiagnoseId"] = diagnose_id
        if gateway_id:
            params["VpnGatewayId"] = gateway_id
        return self.call("GetVpnGatewayDiagnoseResult", params, region=region, deadline=deadline)
