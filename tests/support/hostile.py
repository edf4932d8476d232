"""A server on loopback that answers HTTP the way Flowroute never should: for the client's bounds;
or a relay to an emulator that answers one write that way after it went through.

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

import requests

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


def raw(body: bytes, status: int = 200) -> Answer:
    """A well-formed HTTP answer carrying ``body`` as it is: JSON no encoder would write."""

    def send(conn: socket.socket) -> None:
        headers = {"Content-Type": "application/vnd.api+json", "Content-Length": str(len(body))}
        conn.sendall(head(status, headers) + body)

    return send


def _read_request(conn: socket.socket) -> tuple[str, str, dict[str, str], bytes] | None:
    """Method, target, headers and body of the request on ``conn``; None if it closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    header_block, body = data.split(b"\r\n\r\n", 1)
    line, *fields = header_block.decode("latin-1").split("\r\n")
    method, target, _ = line.split(" ", 2)
    headers = dict(field.split(": ", 1) for field in fields if ": " in field)
    length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return method, target, headers, body


#: Request headers a relay does not pass on: its own connection's, and the encodings it would
#: have to undo.
_HOP_BY_HOP = {"host", "connection", "content-length", "accept-encoding", "transfer-encoding"}


class HostileServer:
    """Answers ``(method, path)`` with its scripted answer, anything else with 404.

    Given an ``upstream`` (an emulator server), it is a relay instead: every request goes on
    there and its answer comes back, except that a request matching ``after_relay`` goes on
    (so the write happens) but is answered, once, with that answer: a write that committed and
    whose answer cannot be used.
    """

    def __init__(self, routes: dict[tuple[str, str], Answer], upstream: str | None = None) -> None:
        self.routes = routes
        self.upstream = upstream
        self.after_relay: dict[tuple[str, str], Answer] = {}
        self.requests: list[tuple[str, str]] = []
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                request = _read_request(self.request)
                if request is not None:
                    server._answer(self.request, *request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _answer(
        self, conn: socket.socket, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> None:
        self.requests.append((method, target))
        path = target.split("?", 1)[0]
        scripted = self.routes.get((method, path))
        if scripted is not None or self.upstream is None:
            (scripted or document({"errors": []}, 404))(conn)
            return
        relayed = requests.request(
            method,
            f"{self.upstream}{target}",
            headers={k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP},
            data=body,
            allow_redirects=False,
            timeout=30,
        )
        instead = self.after_relay.pop((method, path), None)
        if instead is not None:
            instead(conn)
            return
        kind = relayed.headers.get("Content-Type", "application/octet-stream")
        answer = {"Content-Type": kind, "Content-Length": str(len(relayed.content))}
        conn.sendall(head(relayed.status_code, answer) + relayed.content)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
