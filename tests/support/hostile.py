"""A server on loopback that answers HTTP the way Flowroute never should: for the client's bounds.

Each route is a function that writes raw bytes to the socket, so an answer can be cut off,
endless, dripped byte by byte or about the wrong thing, which no well-behaved HTTP server
library would send.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from typing import Any

Answer = Callable[[socket.socket], None]


def head(status: int, headers: dict[str, str]) -> bytes:
    # One answer per connection: the client never reuses a socket this server has closed.
    headers = {**headers, "Connection": "close"}
    lines = [f"HTTP/1.1 {status} Hostile", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode()


def document(body: Any, status: int = 200) -> Answer:
    """A well-formed answer carrying ``body`` as JSON."""
    data = json.dumps(body).encode()

    def send(conn: socket.socket) -> None:
        headers = {"Content-Type": "application/vnd.api+json", "Content-Length": str(len(data))}
        conn.sendall(head(status, headers) + data)

    return send


def cut_off(status: int = 201) -> Answer:
    """Promises 1,000 bytes, sends the start of a document, and closes the connection."""

    def send(conn: socket.socket) -> None:
        headers = {"Content-Type": "application/vnd.api+json", "Content-Length": "1000"}
        conn.sendall(head(status, headers) + b'{"data": {"type": "number", "id"')

    return send


#: Where the endless body stops after all: four times the client's cap, so a client without
#: the cap reads it whole and fails its test instead of filling memory.
ENDLESS_BYTES = 32 * 2**20
#: Where the dripped body ends after all: far past the deadlines the tests give, so a client
#: without the deadline gets the whole body and fails its test instead of hanging.
DRIP_SECONDS = 30.0


def endless(conn: socket.socket) -> None:
    """A chunked body that goes on, as fast as the client reads it, past any sane size."""
    conn.sendall(head(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}))
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    try:
        for _ in range(ENDLESS_BYTES // 65536):
            conn.sendall(chunk)
        conn.sendall(b"0\r\n\r\n")
    except OSError:
        return


def drip(conn: socket.socket) -> None:
    """A chunked body of one byte every 0.05 s: never silent long enough for a read timeout,
    for ``DRIP_SECONDS`` in all."""
    conn.sendall(head(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}))
    ends = time.monotonic() + DRIP_SECONDS
    try:
        while time.monotonic() < ends:
            conn.sendall(b"1\r\n \r\n")
            time.sleep(0.05)
        conn.sendall(b"0\r\n\r\n")
    except OSError:
        return


class HostileServer:
    """Answers ``(method, path)`` with its scripted answer, anything else with 404."""

    def __init__(self, routes: dict[tuple[str, str], Answer]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, str]] = []
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                request = b""
                while b"\r\n\r\n" not in request:
                    data = self.request.recv(65536)
                    if not data:
                        return
                    request += data
                line = request.split(b"\r\n", 1)[0].decode()
                method, target, _ = line.split(" ", 2)
                server.requests.append((method, target))
                path = target.split("?", 1)[0]
                answer = server.routes.get((method, path), document({"errors": []}, 404))
                answer(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
