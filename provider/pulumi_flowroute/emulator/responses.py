"""The emulator's HTTP layer: parse Flowroute v2 requests, call the backend, render documents.

Each area's endpoints live in :mod:`.api`; this module routes a request to them, after the
checks every request meets (authentication, injected faults, content type), and logs it.

:class:`FlowrouteApp` is a WSGI application. The server runs it directly; the ``responses``
mock and the in-process ``emulator:`` transport call :meth:`FlowrouteApp.handle` with a werkzeug
request built from a ``requests.PreparedRequest``. All three therefore answer byte-for-byte
alike.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from werkzeug import exceptions as http_exceptions
from werkzeug.wrappers import Request, Response

from . import exceptions as exc
from .api.base import ACCEPTED_CONTENT_TYPES, JSONAPI, StartResponse, error_response
from .api.cnam import CnamApi
from .api.controls import ControlsApi
from .api.e911 import E911Api
from .api.messaging import MessagingApi
from .api.numbers import NumbersApi
from .api.routes import RoutesApi
from .models import FlowrouteBackend
from .urls import url_map

__all__ = ["FlowrouteApp", "error_response"]


class FlowrouteApp(NumbersApi, RoutesApi, E911Api, CnamApi, MessagingApi, ControlsApi):
    """WSGI application emulating Flowroute's v2 API (numbers, routes, E911, CNAM, messaging).

    With ``access_key``/``secret_key`` set, only that pair is accepted, on the API and on the
    ``/_emulator/`` control routes; without, any non-empty Basic-auth pair is (like moto, so
    users' tests need no real keys) and the controls are open. Missing auth is 401.

    ``control_hosts`` limits the Host header the controls answer to: a web page that rebinds
    its own name to loopback cannot reach them. Changing controls also demand a JSON body, which
    no cross-site form can send without the browser asking first.
    """

    def __init__(
        self,
        backend: FlowrouteBackend,
        access_key: str | None = None,
        secret_key: str | None = None,
        *,
        control_hosts: frozenset[str] | None = None,
    ) -> None:
        self.backend = backend
        self._expected = (access_key, secret_key) if access_key and secret_key else None
        self._control_hosts = control_hosts

    def __repr__(self) -> str:
        return f"FlowrouteApp(db={self.backend.path!r})"

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        response, drop = self.handle(Request(environ))
        if drop:
            sock = environ.get("werkzeug.socket")
            if isinstance(sock, socket.socket):
                # The change is committed; the client never hears about it.
                sock.shutdown(socket.SHUT_RDWR)
        return response(environ, start_response)

    def handle(self, request: Request) -> tuple[Response, bool]:
        """Answer one request. The flag asks the front door to drop the connection instead."""
        urls = url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = urls.match()
        except http_exceptions.MethodNotAllowed:
            return self._logged(request, error_response(405, "Method Not Allowed", None)), False
        except http_exceptions.HTTPException:
            return self._logged(
                request,
                error_response(404, "Not Found", "Could not find that resource on your account."),
            ), False
        if endpoint.startswith("control_"):
            try:
                self._guard_control(request)
                return getattr(self, endpoint)(request, **args), False
            except exc.EmulatorError as error:
                return error_response(error.status, error.title, error.detail), False
            except (ValueError, TypeError, KeyError) as error:
                return error_response(400, "Bad control request", str(error)), False
        drop = False
        try:
            self._authenticate(request)
            fault = self.backend.take_fault(request.method, request.path)
            if fault is not None and fault.kind in ("404", "429", "500", "503"):
                response = self._fault_response(fault.kind, fault.retry_after)
                return self._logged(request, response), False
            if fault is not None and fault.kind == "delay":
                time.sleep(fault.seconds or 0.0)
            drop = fault is not None and fault.kind == "drop"
            self._check_content_type(request)
            response = getattr(self, endpoint)(request, **args)
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.seconds or 0.0)
            if fault is not None and fault.kind == "garbage":
                # The change is committed; the answer is an outage page from something in between.
                response = Response(
                    "<html><body>502 Bad Gateway</body></html>",
                    status=response.status_code,
                    content_type="text/html",
                )
        except exc.EmulatorError as error:
            response = error_response(error.status, error.title, error.detail)
        return self._logged(request, response), drop

    def _logged(self, request: Request, response: Response) -> Response:
        body = request.get_data(cache=True, as_text=True) or None
        self.backend.log_request(
            request.method,
            request.path,
            request.query_string.decode(),
            request.headers.get("Content-Type"),
            body,
            response.status_code,
        )
        return response

    def _authenticate(self, request: Request) -> None:
        auth = request.authorization
        supplied = (auth.username, auth.password) if auth and auth.type == "basic" else None
        if not supplied or not all(supplied) or (self._expected and supplied != self._expected):
            raise exc.HttpUnauthorized("Authentication failed.")

    def _guard_control(self, request: Request) -> None:
        if self._expected:
            self._authenticate(request)
        host = urlsplit(f"//{request.host}").hostname
        if self._control_hosts is not None and host not in self._control_hosts:
            raise exc.HttpForbidden(
                f"the control routes answer only to Host {sorted(self._control_hosts)}, "
                f"not {request.host!r}"
            )
        # A browser's cross-site form always sends a form Content-Type, so requiring JSON keeps
        # web pages away from the controls; a bare `curl -X POST` sends none, and no body.
        bare = not request.mimetype and not request.get_data(cache=True)
        if request.method != "GET" and request.mimetype != "application/json" and not bare:
            raise exc.HttpUnsupportedMediaType(
                f"control requests send Content-Type application/json, not {request.mimetype!r}"
            )

    @staticmethod
    def _check_content_type(request: Request) -> None:
        if not request.get_data(cache=True).strip():
            return
        mimetype = request.mimetype
        if mimetype and mimetype not in ACCEPTED_CONTENT_TYPES:
            raise exc.HttpUnsupportedMediaType(
                f"Content-Type {mimetype!r} is not supported; send application/json or {JSONAPI}."
            )

    @staticmethod
    def _fault_response(kind: str, retry_after: int | None) -> Response:
        if kind == "429":
            response = error_response(429, "Too Many Requests", "Rate limit exceeded.")
            if retry_after is not None:
                response.headers["Retry-After"] = str(retry_after)
            return response
        if kind == "404":
            return error_response(404, "Not Found", "Could not find that resource on your account.")
        if kind == "500":
            return error_response(500, "Internal Server Error", "Injected fault.")
        return error_response(503, "Service Unavailable", "Injected fault.")
