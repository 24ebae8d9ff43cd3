"""Fixtures for the emulator's own tests, and a test-only ACS request signer.

The signer is written here from the vendor specification, separately from the emulator's
verifier, so the two check each other (the published vectors pin the emulator's side, the
official SDK interop test pins both). Test modules get it through fixtures and import its type
under ``TYPE_CHECKING`` only: ``tests/emulator`` is not a package.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Literal, Protocol
from urllib.parse import quote, urlsplit

import pytest
import requests

from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    Cloud,
    LoopbackServer,
    ManualClock,
    VpcBackend,
)

REGION = "cn-hangzhou"
MOCK_ENDPOINT = "https://vpc.cn-hangzhou.aliyuncs.com"
VPC_VERSION = "2016-04-28"

Scheme = Literal["v3", "v1"]


def _enc(text: str) -> str:
    return quote(text, safe="~")


def _canonical(params: Mapping[str, str]) -> str:
    return "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class AcsTestClient:
    """Signs VPC RPC calls (V3 or V1) and sends them with ``requests``.

    Keyword options of ``call`` break one thing at a time, for the rejection tests.
    """

    def __init__(
        self,
        *,
        endpoint: str,
        now: Callable[[], datetime],
        key_id: str = DEFAULT_ACCESS_KEY_ID,
        secret: str = DEFAULT_ACCESS_KEY_SECRET,
        security_token: str | None = None,
        proxy: str | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.key_id = key_id
        self.secret = secret
        self.security_token = security_token
        self._now = now
        self.session = requests.Session()
        # Proxy variables of the environment must not divert loopback traffic.
        self.session.trust_env = False
        if proxy is not None:
            self.session.proxies = {"http": proxy, "https": proxy}

    def call(
        self,
        action: str,
        params: Mapping[str, str] | None = None,
        *,
        scheme: Scheme = "v3",
        method: str = "POST",
        version: str = VPC_VERSION,
        timestamp: datetime | None = None,
        nonce: str | None = None,
        form: Mapping[str, str] | None = None,
        secret: str | None = None,
        unsigned_headers: Mapping[str, str] | None = None,
        declared_body_sha256: str | None = None,
    ) -> requests.Response:
        """Send ``action``; ``params`` go in the query, ``form`` in a form-encoded body."""
        moment = _stamp(timestamp or self._now())
        nonce = nonce or uuid.uuid4().hex
        key = secret if secret is not None else self.secret
        body = _canonical(form).encode() if form else b""
        if scheme == "v3":
            query = dict(params or {})
            headers = self._v3_headers(
                method, action, version, query, body, moment, nonce, key, declared_body_sha256
            )
        else:
            query = self._v1_query(
                method, action, version, dict(params or {}), form, moment, nonce, key
            )
            headers = {"host": urlsplit(self.endpoint).netloc}
            if body:
                headers["content-type"] = "application/x-www-form-urlencoded"
        headers.update(unsigned_headers or {})
        url = f"{self.endpoint}/?{_canonical(query)}" if query else f"{self.endpoint}/"
        return self.session.request(method, url, headers=headers, data=body, timeout=10)

    def _v3_headers(
        self,
        method: str,
        action: str,
        version: str,
        query: Mapping[str, str],
        body: bytes,
        moment: str,
        nonce: str,
        secret: str,
        declared_body_sha256: str | None,
    ) -> dict[str, str]:
        headers = {
            "host": urlsplit(self.endpoint).netloc,
            "x-acs-action": action,
            "x-acs-version": version,
            "x-acs-date": moment,
            "x-acs-signature-nonce": nonce,
            "x-acs-content-sha256": declared_body_sha256 or hashlib.sha256(body).hexdigest(),
        }
        if body:
            headers["content-type"] = "application/x-www-form-urlencoded"
        if self.security_token is not None:
            headers["x-acs-security-token"] = self.security_token
        names = sorted(headers)
        canonical_request = "\n".join(
            [
                method,
                "/",
                _canonical(query),
                "".join(f"{n}:{headers[n].strip()}\n" for n in names),
                ";".join(names),
                headers["x-acs-content-sha256"],
            ]
        )
        digest = hashlib.sha256(canonical_request.encode()).hexdigest()
        string_to_sign = f"ACS3-HMAC-SHA256\n{digest}"
        signature = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (
            f"ACS3-HMAC-SHA256 Credential={self.key_id},"
            f"SignedHeaders={';'.join(names)},Signature={signature}"
        )
        return headers

    def _v1_query(
        self,
        method: str,
        action: str,
        version: str,
        params: dict[str, str],
        form: Mapping[str, str] | None,
        moment: str,
        nonce: str,
        secret: str,
    ) -> dict[str, str]:
        params.update(
            Action=action,
            Version=version,
            Format="JSON",
            AccessKeyId=self.key_id,
            SignatureMethod="HMAC-SHA1",
            SignatureVersion="1.0",
            SignatureNonce=nonce,
            Timestamp=moment,
        )
        if self.security_token is not None:
            params["SecurityToken"] = self.security_token
        string_to_sign = f"{method}&%2F&{_enc(_canonical({**params, **(form or {})}))}"
        mac = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1)
        params["Signature"] = base64.b64encode(mac.digest()).decode()
        return params


class ClientFactory(Protocol):
    """Builds an ``AcsTestClient`` on the in-process transport, with other credentials."""

    def __call__(
        self,
        *,
        key_id: str = ...,
        secret: str = ...,
        security_token: str | None = ...,
    ) -> AcsTestClient: ...


@pytest.fixture
def acs_client_class() -> type[AcsTestClient]:
    """The signer class itself, for tests that point it at an endpoint of their own."""
    return AcsTestClient


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when a test advances it (starts at the real time)."""
    return ManualClock()


@pytest.fixture
def cloud(clock: ManualClock) -> Cloud:
    """A fresh emulated cloud on the manual clock."""
    return Cloud(seed=7, clock=clock)


@pytest.fixture
def vpc(cloud: Cloud) -> VpcBackend:
    """The default account's VPC backend in cn-hangzhou."""
    return cloud.vpc(REGION)


@pytest.fixture
def mocked(cloud: Cloud) -> Iterator[None]:
    """The in-process transport, active for the test."""
    with cloud.mock():
        yield


@pytest.fixture
def make_client(cloud: Cloud, mocked: None) -> ClientFactory:
    """Clients with chosen credentials, on the in-process transport."""

    def make(
        *,
        key_id: str = DEFAULT_ACCESS_KEY_ID,
        secret: str = DEFAULT_ACCESS_KEY_SECRET,
        security_token: str | None = None,
    ) -> AcsTestClient:
        return AcsTestClient(
            endpoint=MOCK_ENDPOINT,
            now=cloud.clock.now,
            key_id=key_id,
            secret=secret,
            security_token=security_token,
        )

    return make


@pytest.fixture
def client(make_client: ClientFactory) -> AcsTestClient:
    """The default key's client on the in-process transport."""
    return make_client()


@pytest.fixture
def server(cloud: Cloud) -> Iterator[LoopbackServer]:
    """A loopback server for the test's cloud."""
    with cloud.serve() as running:
        yield running


@pytest.fixture
def served_client(server: LoopbackServer, cloud: Cloud) -> AcsTestClient:
    """The default key's client of the loopback server, addressed directly (origin form)."""
    return AcsTestClient(endpoint=server.base_url, now=cloud.clock.now)


@pytest.fixture
def proxied_client(server: LoopbackServer, cloud: Cloud) -> AcsTestClient:
    """A client of the real VPC host name, through the loopback server as its HTTP proxy."""
    return AcsTestClient(
        endpoint="http://vpc.cn-hangzhou.aliyuncs.com", now=cloud.clock.now, proxy=server.base_url
    )


@pytest.fixture(params=["mock", "server"])
def any_client(request: pytest.FixtureRequest, cloud: Cloud) -> Iterator[AcsTestClient]:
    """The default key's client, once per transport: in-process mock, then loopback server."""
    if request.param == "mock":
        with cloud.mock():
            yield AcsTestClient(endpoint=MOCK_ENDPOINT, now=cloud.clock.now)
    else:
        with cloud.serve() as running:
            yield AcsTestClient(endpoint=running.base_url, now=cloud.clock.now)
