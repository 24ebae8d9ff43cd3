"""The instance session's ``send`` over real sockets: keep-alive, a connection the server dropped,
proxies without stalls, timeouts, what the answer holds; and the in-process mock answering
through the same path."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from vpndiag.errors import TransportError
from vpndiag.http.session import _Adapter, new_session, send
from vpndiag_emulator import Cloud, LoopbackServer

REGION = "cn-hangzhou"
BUCKET = "lean-transport"
# The emulator routes by the Host header, as the cloud does: an unsigned GET of a key is OSS's.
OSS = {"host": f"{BUCKET}.oss-{REGION}.aliyuncs.com"}


@pytest.fixture
def cloud() -> Cloud:
    cloud = Cloud(seed=1)
    cloud.oss(REGION).create_bucket(BUCKET)
    return cloud


@pytest.fixture
def server(cloud: Cloud) -> Iterator[LoopbackServer]:
    with cloud.serve() as running:
        yield running


def _opened(session: object) -> int:
    """Connections the session's pools have opened so far."""
    adapter = session.get_adapter("http://x")  # type: ignore[attr-defined]
    assert isinstance(adapter, _Adapter)
    pools = adapter.poolmanager.pools
    # urllib3's RecentlyUsedContainer refuses iteration; keys() is its way.
    return sum(pools[key].num_connections for key in pools.keys())  # noqa: SIM118


def test_connections_are_kept_alive_and_reused(server: LoopbackServer) -> None:
    """Ten requests, one connection: it goes back to the pool after each answer."""
    session = new_session()
    url = f"{server.base_url}/missing"

    statuses = [
        send(session, "oss", "GET", url, headers=OSS, timeout=5).status_code for _ in range(10)
    ]

    assert set(statuses) == {403}  # unsigned: refused, but answered
    assert _opened(session) == 1


def test_a_connection_the_server_closed_is_replaced(server: LoopbackServer) -> None:
    """The server ends its idle keep-alive connections; the next request opens a new one."""
    session = new_session()
    url = f"{server.base_url}/missing"
    send(session, "oss", "GET", url, headers=OSS, timeout=5)

    server._httpd.close_open_connections()
    time.sleep(0.05)
    answer = send(session, "oss", "GET", url, headers=OSS, timeout=5)

    assert answer.status_code == 403


def test_real_host_names_through_the_emulator_as_proxy(server: LoopbackServer) -> None:
    """An http URL goes to the proxy in absolute form; kept-alive requests with a body do not
    stall (no Nagle meeting the proxy's delayed ACK)."""
    session = new_session(proxy=server.base_url)
    url = f"http://{BUCKET}.oss-{REGION}.aliyuncs.com/key"

    timings = []
    for _ in range(5):
        started = time.perf_counter()
        answer = send(session, "oss", "PUT", url, headers={}, body=b"x" * 500, timeout=5)
        timings.append(time.perf_counter() - started)

    assert answer.status_code == 403  # routed to OSS by the Host header, refused: unsigned
    assert b"AccessDenied" in answer.content or b"Signature" in answer.content
    assert sorted(timings)[2] < 0.03


def test_a_slow_answer_is_a_transport_error(cloud: Cloud, server: LoopbackServer) -> None:
    """No answer within the timeout: TransportError, and the connection is not reused."""
    cloud.faults.add(service="oss", kind="latency", delay=1.0)
    session = new_session()

    with pytest.raises(TransportError, match="no answer within"):
        send(session, "oss", "GET", f"{server.base_url}/k", headers=OSS, timeout=0.2)


def test_nothing_listening_is_a_transport_error() -> None:
    with pytest.raises(TransportError, match="oss unreachable"):
        send(new_session(), "oss", "GET", "http://127.0.0.1:9/x", headers={}, timeout=1)


def test_a_header_with_a_line_break_is_refused(server: LoopbackServer) -> None:
    with pytest.raises(TransportError, match="InvalidHeader"):
        send(
            new_session(),
            "oss",
            "GET",
            f"{server.base_url}/k",
            headers={**OSS, "x-oss-meta-a": "one\r\nInjected: yes"},
            timeout=5,
        )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b'{"ok": true}'
        if self.path == "/gzip":
            body = gzip.compress(body)
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Twice", "a")
            self.send_header("X-Twice", "b")
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/chunked-close":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def plain() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_answers_are_decoded_and_headers_joined(plain: str) -> None:
    """gzip bodies decoded; a repeated header joined with ", " (as urllib3 does)."""
    answer = send(new_session(), "x", "GET", f"{plain}/gzip", headers={}, timeout=5)

    assert answer.content == b'{"ok": true}'
    assert answer.headers["x-twice"] == "a, b"


def test_chunked_answer_that_closes_the_connection(plain: str) -> None:
    """A chunked body is read whole; a connection the answer closes is not pooled."""
    session = new_session()

    answer = send(session, "x", "GET", f"{plain}/chunked-close", headers={}, timeout=5)

    assert answer.content == b'{"ok": true}'


def test_the_in_process_mock_still_answers(cloud: Cloud) -> None:
    """With requests' transport replaced (cloud.mock()), send goes through it: the emulator
    answers the real host name without any socket."""
    session = new_session()
    url = f"https://{BUCKET}.oss-{REGION}.aliyuncs.com/key"

    with cloud.mock():
        answer = send(session, "oss", "GET", url, headers={}, timeout=5)

    assert answer.status_code == 403
    assert _opened(session) == 0
