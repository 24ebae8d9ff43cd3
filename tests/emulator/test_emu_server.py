"""The loopback server: keep-alive speed, proxy mode, routing, bodies, logging, shutdown."""

from __future__ import annotations

import hashlib
import hmac
import socket
import struct
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest
import requests

from vpndiag_emulator import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    Cloud,
    LoopbackServer,
)

if TYPE_CHECKING:
    from tests.emulator.conftest import AcsTestClient

DESCRIBE = "DescribeVpnGateways"
REGION = {"RegionId": "cn-hangzhou"}


def test_keep_alive_requests_do_not_stall(served_client: AcsTestClient) -> None:
    """Sequential requests on one keep-alive connection take well under the 40 ms Nagle stall."""
    served_client.call(DESCRIBE, REGION)  # open the connection

    started = time.perf_counter()
    for _ in range(50):
        assert served_client.call(DESCRIBE, REGION).status_code == 200
    per_request = (time.perf_counter() - started) / 50

    assert per_request < 0.02


def test_response_leaves_in_one_send(server: LoopbackServer) -> None:
    """Status line, headers and body arrive together: the first recv holds the whole response.

    No waiting before recv: it returns the first segment, so a body sent separately would be
    missing from it in most of the ten tries.
    """
    for _ in range(10):
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(b"POST /?Action=Nope HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
            data = sock.recv(65536)

        head, _, body = data.partition(b"\r\n\r\n")
        lengths = [h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")]
        assert head.startswith(b"HTTP/1.1 400")
        assert len(body) == int(lengths[0].split(b":")[1]) > 0


def test_client_disconnects_are_not_reported(
    server: LoopbackServer, capfd: pytest.CaptureFixture[str]
) -> None:
    """A client resetting its connection mid-exchange leaves no traceback on stderr."""
    for _ in range(5):
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(b"POST /?Action=Nope HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
        # SO_LINGER 0: close() sends RST instead of FIN, with the response still unread.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    time.sleep(0.1)  # let the handler threads meet the reset

    assert "Traceback" not in capfd.readouterr().err


def test_absolute_uri_requests_route_by_real_host(
    server: LoopbackServer, proxied_client: AcsTestClient
) -> None:
    """Proxy mode: 'POST http://vpc.cn-hangzhou.aliyuncs.com/?...' verifies and is answered."""
    ok = proxied_client.call(DESCRIBE, REGION)
    error = proxied_client.call("NoSuchAction", REGION)

    assert ok.status_code == 200
    assert error.json()["HostId"] == "vpc.cn-hangzhou.aliyuncs.com"


def test_unemulated_real_host_is_not_claimed(server: LoopbackServer) -> None:
    """A real host of a product not emulated (ECS) gets the emulator's 404, not a VPC answer."""
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"http": server.base_url}

    response = session.post(
        "http://ecs.cn-hangzhou.aliyuncs.com/?Action=DescribeRegions", timeout=5
    )

    assert (response.status_code, response.json()["Code"]) == (404, "Emulator.NoSuchService")


def test_chunked_body_is_read(server: LoopbackServer, cloud: Cloud) -> None:
    """A chunked request body is reassembled before the body hash is verified."""
    body = b"RegionId=cn-hangzhou&PageSize=3"
    headers = signed_v3_headers(server, cloud, body)

    response = requests.post(
        f"{server.base_url}/", data=iter([body[:10], body[10:]]), headers=headers, timeout=5
    )

    assert response.status_code == 200, response.text
    assert response.json()["PageSize"] == 3


def test_requests_are_not_logged_to_stderr(
    served_client: AcsTestClient, capfd: pytest.CaptureFixture[str]
) -> None:
    """The server is quiet unless verbose."""
    served_client.call(DESCRIBE, REGION)

    assert capfd.readouterr().err == ""


def test_concurrent_clients_are_all_answered(server: LoopbackServer, cloud: Cloud) -> None:
    """Eight threads with their own connections get 200 for every request (thread safety)."""
    cloud.vpc("cn-hangzhou").add_gateway()

    def worker(_: int) -> list[int]:
        session = requests.Session()
        session.trust_env = False
        statuses = []
        for _ in range(25):
            headers = signed_v3_headers(server, cloud, b"", query="RegionId=cn-hangzhou")
            response = session.post(
                f"{server.base_url}/?RegionId=cn-hangzhou", headers=headers, timeout=5
            )
            statuses.append(response.status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [s for statuses in pool.map(worker, range(8)) for s in statuses]

    assert results == [200] * 200
    assert len(cloud.requests) == 200


def test_stop_ends_idle_keep_alive_connections(cloud: Cloud) -> None:
    """After stop(), an idle keep-alive connection is closed and nothing answers any more."""
    server = cloud.serve()
    session = requests.Session()
    session.trust_env = False
    session.get(f"{server.base_url}/", timeout=5)

    server.stop()
    server.stop()  # idempotent

    with pytest.raises(requests.exceptions.ConnectionError):
        session.get(f"{server.base_url}/", timeout=5)


def signed_v3_headers(
    server: LoopbackServer, cloud: Cloud, body: bytes, query: str = ""
) -> dict[str, str]:
    """Minimal V3 headers for DescribeVpnGateways, signed with the default key."""
    headers = {
        "host": f"127.0.0.1:{server.port}",
        "x-acs-action": DESCRIBE,
        "x-acs-version": "2016-04-28",
        "x-acs-date": cloud.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
    }
    if body:
        headers["content-type"] = "application/x-www-form-urlencoded"
    names = sorted(headers)
    canonical = "\n".join(
        [
            "POST",
            "/",
            query,
            "".join(f"{n}:{headers[n]}\n" for n in names),
            ";".join(names),
            headers["x-acs-content-sha256"],
        ]
    )
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    signature = hmac.new(
        DEFAULT_ACCESS_KEY_SECRET.encode(), string_to_sign.encode(), hashlib.sha256
    ).hexdigest()
    headers["Authorization"] = (
        f"ACS3-HMAC-SHA256 Credential={DEFAULT_ACCESS_KEY_ID},"
        f"SignedHeaders={';'.join(names)},Signature={signature}"
    )
    return headers


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_v1_request_to_loopback_is_routed_by_its_action(
    served_client: AcsTestClient, method: str
) -> None:
    """A V1 request with no real host reaches VPC by its Action parameter, by GET or POST."""
    response = served_client.call(DESCRIBE, REGION, scheme="v1", method=method)

    assert response.status_code == 200, response.text


def test_v3_get_is_answered(served_client: AcsTestClient) -> None:
    """V3 signed over GET is accepted as well as POST."""
    response = served_client.call(DESCRIBE, REGION, method="GET")

    assert response.status_code == 200, response.text
