"""The VPC API (2016-04-28) over ``requests``: V3 signatures by default, V1 on request.

One instance per function instance; credentials are asked for at each call because FC's STS keys
rotate. Every call runs under the shared retry policy within the invocation's deadline.

Keys never leave this module: DescribeVpnConnections returns the pre-shared keys
(``IkeConfig.Psk``, ``TunnelIkeConfig.Psk``) and the BGP authentication key
(``VpnBgpConfig.AuthKey``) in clear text, DescribeCustomerGateways its ``AuthKey``, so every decoded
body loses each key-bearing field (``model.connection.without_secrets``) before anyone else sees it.
Connections come back as ``VpnConnection`` models, tunnels included.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import requests

from vpndiag import identifiers
from vpndiag.clients import paging, rpc_errors
from vpndiag.clients.endpoints import VpcEndpoints
from vpndiag.credentials import Credentials
from vpndiag.errors import ResponseError
from vpndiag.http.deadline import Deadline
from vpndiag.http.retry import RetryPolicy, logged
from vpndiag.http.session import send
from vpndiag.model.connection import VpnConnection, connection_from_api, without_secrets
from vpndiag.signing import acs3, rpc_v1
from vpndiag.signing.percent import encode

API_VERSION = "2016-04-28"
SERVICE = "vpc"
Signature = Literal["v3", "v1"]
Json = dict[str, Any]

ACTIONS: Final = frozenset(
    {
        "vpc:DescribeVpnGateways",
        "vpc:DescribeVpnConnections",
        "vpc:DescribeCustomerGateways",
        "vpc:DiagnoseVpnGateway",
        "vpc:GetVpnGatewayDiagnoseResult",
    }
)
"""The RAM actions this client's methods call: template.yml grants exactly these (and the
template tests hold it to this set), so a new call starts here."""

PAGE_SIZE: Final = 50  # the API's maximum: fewest round trips per listing
_IDEMPOTENCY_PREFIX: Final = "vpndiag-"


def client_token(*parts: str) -> str:
    """A ClientToken derived from what identifies one intended call (ASCII, 56 characters).

    The same parts give the same token, so a retried timer tick or a redelivered event asks for
    a diagnosis the service has already started and gets its DiagnoseId back.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return _IDEMPOTENCY_PREFIX + digest[:48]


def _items(body: Mapping[str, Any], wrapper: str, item: str, action: str) -> list[Json]:
    """The list under ``body[wrapper][item]`` (the RPC APIs' way of wrapping arrays)."""
    container = body.get(wrapper) or {}
    found = container.get(item, []) if isinstance(container, dict) else None
    if not isinstance(found, list) or not all(isinstance(i, dict) for i in found):
        raise ResponseError(SERVICE, f"{action}: {wrapper}.{item} is not a list of objects")
    return found


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
        self,
        action: str,
        params: Mapping[str, str],
        *,
        region: str,
        deadline: Deadline,
        retry: RetryPolicy | None = None,
    ) -> Json:
        """Call ``action`` in ``region``; returns the decoded JSON body or raises a typed error.

        ``retry`` replaces the client's policy for this call (a sweep does not wait for a
        gateway that is being configured: it reports it and moves on).
        """
        query = {"RegionId": region, **params}
        base = self._endpoints.url(region)
        policy = retry or self._retry
        return policy.call(
            lambda left: self._once(action, query, base, min(left, self._timeout)),
            deadline,
            on_retry=logged(action),
        )

    def _once(self, action: str, query: dict[str, str], base: str, timeout: float) -> Json:
        # Signed afresh per attempt: a retried request needs a new nonce and a current timestamp.
        creds = self._credentials()
        body = b""
        if self._signature == "v3":
            url, headers = self._sign_v3(action, query, base, creds)
        else:
            url, headers, body = self._sign_v1(action, query, base, creds)
        response = send(
            self._session, SERVICE, "POST", url, headers=headers, body=body, timeout=timeout
        )
        if response.status_code >= 300:
            raise rpc_errors.from_response(
                SERVICE, response.status_code, response.content, dict(response.headers)
            )
        try:
            body = json.loads(response.content)
        except (ValueError, RecursionError):
            raise ResponseError(SERVICE, f"{action}: body is not JSON", retryable=True) from None
        if not isinstance(body, dict):
            raise ResponseError(SERVICE, f"{action}: body is not a JSON object", retryable=True)
        redacted: Json = without_secrets(body)
        return redacted

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
    ) -> tuple[str, dict[str, str], bytes]:
        """URL, headers and body of a V1 request: the parameters travel as a form body, never in
        the URL, which HTTP libraries log (the access key id, the STS token, the signature)."""
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
        form = "&".join(f"{encode(k)}={encode(v)}" for k, v in params.items())
        headers = {"content-type": "application/x-www-form-urlencoded"}
        return f"{base}/", headers, form.encode("ascii")

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

    def _all_pages(
        self,
        action: str,
        params: Mapping[str, str],
        wrapper: tuple[str, str],
        *,
        region: str,
        deadline: Deadline,
    ) -> list[Json]:
        """Every item of a paged Describe call, asking for pages of ``PAGE_SIZE``."""

        def fetch(number: int) -> Json:
            page = {**params, "PageNumber": str(number), "PageSize": str(PAGE_SIZE)}
            return self.call(action, page, region=region, deadline=deadline)

        return paging.collect(fetch, lambda body: _items(body, *wrapper, action), action=action)

    def describe_vpn_gateways(
        self,
        region: str,
        *,
        deadline: Deadline,
        gateway_id: str | None = None,
        tags: Iterable[tuple[str, str | None]] = (),
    ) -> list[Json]:
        """Every VPN gateway in ``region`` matching the filters (a tag without value: key only;
        the API takes up to 20 tags)."""
        params: dict[str, str] = {}
        if gateway_id:
            params["VpnGatewayId"] = gateway_id
        for n, (key, value) in enumerate(tags, start=1):
            params[f"Tag.{n}.Key"] = key
            if value is not None:
                params[f"Tag.{n}.Value"] = value
        return self._all_pages(
            "DescribeVpnGateways",
            params,
            ("VpnGateways", "VpnGateway"),
            region=region,
            deadline=deadline,
        )

    def describe_vpn_connections(
        self,
        region: str,
        *,
        gateway_id: str | None = None,
        connection_id: str | None = None,
        deadline: Deadline,
    ) -> list[VpnConnection]:
        """IPsec connections of a region (of a gateway, or one by id), tunnels included.

        Without ``gateway_id`` the listing includes connections attached to a transit router
        (no gateway). Names and peer addresses are not in this answer: see ``with_names``.
        """
        params: dict[str, str] = {}
        if gateway_id:
            params["VpnGatewayId"] = gateway_id
        if connection_id:
            params["VpnConnectionId"] = connection_id
        found = self._all_pages(
            "DescribeVpnConnections",
            params,
            ("VpnConnections", "VpnConnection"),
            region=region,
            deadline=deadline,
        )
        return [connection_from_api(item) for item in found]

    def describe_connection(
        self, region: str, connection_id: str, *, deadline: Deadline
    ) -> VpnConnection | None:
        """One connection by id (one request), or None when the region does not have it."""
        identifiers.region(region)
        identifiers.connection_id(connection_id)
        params = {"VpnConnectionId": connection_id, "PageNumber": "1", "PageSize": str(PAGE_SIZE)}
        body = self.call("DescribeVpnConnections", params, region=region, deadline=deadline)
        items = _items(body, "VpnConnections", "VpnConnection", "DescribeVpnConnections")
        # The filter names one connection; an item naming another is not an answer about it.
        return next(
            (
                connection_from_api(item)
                for item in items
                if item.get("VpnConnectionId") == connection_id
            ),
            None,
        )

    def customer_gateway_addresses(self, region: str, *, deadline: Deadline) -> dict[str, str]:
        """``CustomerGatewayId -> IpAddress`` of every customer gateway in ``region``.

        DescribeVpnConnections names a connection's (or tunnel's) customer gateway but not its
        address (SDK model ``DescribeVpnConnectionsResponseBody...VpnConnection``: no peer address
        field), so the peer address comes from DescribeCustomerGateways, once per region.
        """
        found = self._all_pages(
            "DescribeCustomerGateways",
            {},
            ("CustomerGateways", "CustomerGateway"),
            region=region,
            deadline=deadline,
        )
        return {
            str(item["CustomerGatewayId"]): str(item["IpAddress"])
            for item in found
            if isinstance(item.get("CustomerGatewayId"), str)
            and isinstance(item.get("IpAddress"), str)
            and item["IpAddress"]
        }

    def diagnose_vpn_gateway(
        self,
        region: str,
        *,
        gateway_id: str,
        connection_id: str,
        client_token: str,
        deadline: Deadline,
        retry: RetryPolicy | None = None,
    ) -> str:
        """Start a diagnosis of one IPsec connection; returns its DiagnoseId.

        ``client_token`` makes it idempotent: the same token answers with the same DiagnoseId.
        """
        params = {
            "VpnGatewayId": gateway_id,
            "ResourceType": "IPsec",
            "ResourceId": connection_id,
            "ClientToken": client_token,
        }
        body = self.call(
            "DiagnoseVpnGateway", params, region=region, deadline=deadline, retry=retry
        )
        diagnose_id = body.get("DiagnoseId")
        if not isinstance(diagnose_id, str) or not diagnose_id:
            raise ResponseError(SERVICE, "DiagnoseVpnGateway: no DiagnoseId", body.get("RequestId"))
        return diagnose_id
