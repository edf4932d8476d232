"""The server front door: a real threaded HTTP server on loopback, and a client for its controls.

Run it with ``python -m pulumi_flowroute.emulator serve --port 0``; it prints its URL on the
first line of stdout.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import inventory
from .controls import EmulatorControls
from .models import Fault, FlowrouteBackend, LoggedRequest
from .responses import FlowrouteApp

log = logging.getLogger(__name__)

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


class EmulatorControlError(RuntimeError):
    """A control request the emulator refused; the message carries the emulator's reason."""


class _Handler(WSGIRequestHandler):
    # Headers and body go out in separate writes; without TCP_NODELAY a keep-alive client
    # waits ~40 ms per call on delayed ACKs.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, self.path, code)


def make_emulator_server(
    backend: FlowrouteBackend,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    access_key: str | None = None,
    secret_key: str | None = None,
) -> BaseWSGIServer:
    """A threaded WSGI server for the emulator; ``port=0`` picks a free port."""
    app = FlowrouteApp(backend, access_key, secret_key, control_hosts=LOOPBACK_NAMES | {host})
    return make_server(host, port, app, threaded=True, request_handler=_Handler)


class RemoteEmulator(EmulatorControls):
    """The control surface of a running emulator server, with the mock handle's method names."""

    def __init__(
        self, url: str, *, access_key: str | None = None, secret_key: str | None = None
    ) -> None:
        """``access_key`` / ``secret_key``: the pair the server was started with, if any."""
        self.url = url.rstrip("/")
        self._session = requests.Session()
        self._session.trust_env = False
        if access_key and secret_key:
            self._session.auth = (access_key, secret_key)

    def __repr__(self) -> str:
        return f"RemoteEmulator({self.url!r})"

    def _call(self, method: str, path: str, body: Any = None) -> requests.Response:
        response = self._session.request(
            method,
            f"{self.url}/_emulator/{path}",
            json=body if body is not None or method == "GET" else {},
            timeout=10,
        )
        if response.status_code >= 400:
            errors = (response.json() if response.content else {}).get("errors") or [{}]
            reason = errors[0].get("detail") or errors[0].get("title") or response.reason
            raise EmulatorControlError(
                f"the emulator refused {method} /_emulator/{path}: {response.status_code} {reason}"
            )
        return response

    def reset(self, seed: int = inventory.DEFAULT_SEED, balance: float | None = None) -> None:
        body: dict[str, Any] = {"seed": seed}
        if balance is not None:
            body["balance"] = balance
        self._call("POST", "reset", body)

    def seed_number(self, number: str, alias: str | None = None) -> None:
        self._call("POST", "numbers", {"number": number, "alias": alias})

    def set_balance(self, balance: float) -> None:
        self._call("PUT", "balance", {"balance": balance})

    def requests(self) -> list[LoggedRequest]:
        return [LoggedRequest(**r) for r in self._call("GET", "requests").json()["requests"]]

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def _arm(self, fault: Fault) -> None:
        self._call("POST", "faults", asdict(fault))

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def approve_cnam(self, cnam_id: str) -> None:
        self._call("POST", f"cnams/{cnam_id}/approve")

    def reject_cnam(self, cnam_id: str, reason: str) -> None:
        self._call("POST", f"cnams/{cnam_id}/reject", {"reason": reason})

    def close(self) -> None:
        self._session.close()
