"""The loopback HTTP transport: a threaded HTTP/1.1 server in a background thread.

Latency matters here: Python's ``http.server`` writes the status line, headers and body in
separate small sends, and on a keep-alive connection Nagle's algorithm meeting the client's
delayed ACK stalls each response by ~40 ms. So sockets get ``TCP_NODELAY`` and every response
leaves in a single send.

Requests may be in origin form (``POST /?Action=...``, the host from ``Host``) or absolute form
(``POST http://vpc.cn-hangzhou.aliyuncs.com/?...``), which is what clients send when the
emulator is their HTTP proxy: routing by real host names then works as in the cloud.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .wire import EmulatedRequest, EmulatedResponse

if TYPE_CHECKING:
    from .cloud import Cloud

_MAX_LINE = 65536


class _EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], cloud: Cloud, verbose: bool) -> None:
        self.cloud = cloud
        self.verbose = verbose
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a DNS round trip nothing here uses.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        with self._open_lock:
            self._open.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that goes away mid-exchange is normal traffic, not a server fault worth a
        # traceback; anything else (an emulator bug) is still printed.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def close_open_connections(self) -> None:
        """End idle keep-alive connections, whose threads would otherwise outlive the server."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            # OSError: the peer closed it already.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # StreamRequestHandler.setup() sets TCP_NODELAY on the accepted socket when this is true.
    disable_nagle_algorithm = True
    server: _EmulatorHTTPServer

    def _serve(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request = EmulatedRequest.from_target(self.command, self.path, self.headers.items(), body)
        response = self.server.cloud.handle(request)
        if response.drop_connection:
            # Returning without writing and closing is the "connection reset" clients must face.
            self.close_connection = True
            return
        self._send(response)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _serve

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline(_MAX_LINE).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                # Skip trailers up to the blank line that ends the message.
                while self.rfile.readline(_MAX_LINE).strip():
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(_MAX_LINE)

    def _send(self, response: EmulatedResponse) -> None:
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        declared = next(
            (v for k, v in response.headers.items() if k.lower() == "content-length"), None
        )
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        # A HEAD answer has no body but tells the length of the one GET would return, when the
        # service says it (OSS HeadObject); everything else is measured from the body sent.
        is_head = self.command == "HEAD"
        headers["Content-Length"] = (
            declared if is_head and declared is not None else str(len(response.body))
        )
        if self.close_connection:
            headers["Connection"] = "close"
        head = f"HTTP/1.1 {response.status} {reason}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()
        )
        payload = (head + "\r\n").encode("latin-1")
        if not is_head:
            payload += response.body
        self.wfile.write(payload)
        self.log_request(response.status)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class LoopbackServer:
    """A running emulator server; stop it with ``stop()`` or by leaving its ``with`` block."""

    def __init__(
        self, cloud: Cloud, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False
    ) -> None:
        self._httpd = _EmulatorHTTPServer((host, port), cloud, verbose)
        self.host = host
        self.port: int = self._httpd.server_address[1]
        self._stopped = False
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"vpndiag-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``, the endpoint (or HTTP proxy) to give clients."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        """Stop accepting, end open connections and wait for the serving thread; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._httpd.shutdown()
        self._httpd.close_open_connections()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
