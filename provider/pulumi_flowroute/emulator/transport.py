"""The ``emulator:PATH`` front door: a ``requests`` adapter that answers in-process.

``pulumi_flowroute.connect`` mounts it at :data:`EMULATOR_URL` when ``flowroute:baseUrl`` is
``emulator:PATH``. Its state lives in the
SQLite file at PATH, so several processes (a Pulumi program and its provider) that open the
same file see one account.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPResponse
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from .models import FlowrouteBackend
from .responses import FlowrouteApp

# The address the adapter answers at, in-process: .invalid never resolves, so a session without
# the adapter mounted fails at once instead of reaching some real host.
EMULATOR_URL = "http://emulator.flowroute.invalid"


def to_werkzeug(prepared: requests.PreparedRequest) -> Request:
    """The werkzeug request a real server would have parsed from this prepared request."""
    parts = urlsplit(prepared.url or "")
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    headers: Mapping[str, str] = prepared.headers
    builder = EnvironBuilder(
        method=prepared.method or "GET",
        base_url=f"{parts.scheme}://{parts.netloc}",
        path=parts.path,
        query_string=parts.query,
        headers=list(headers.items()),
        data=body or b"",
    )
    try:
        return builder.get_request()
    finally:
        builder.close()


def to_requests(prepared: requests.PreparedRequest, answer: Response) -> requests.Response:
    """The emulator's answer as requests' HTTPAdapter builds one: its body a stream to read."""
    response = requests.Response()
    response.status_code = answer.status_code
    response.reason = HTTP_STATUS_CODES.get(answer.status_code, "")
    response.headers = CaseInsensitiveDict(dict(answer.headers))
    response.raw = HTTPResponse(
        body=io.BytesIO(answer.get_data()),
        headers=dict(answer.headers),
        status=answer.status_code,
        preload_content=False,
    )
    response.encoding = "utf-8"
    response.url = prepared.url or ""
    response.request = prepared
    return response


def _read_timeout(timeout: object) -> float | None:
    if isinstance(timeout, tuple):
        timeout = timeout[1]
    return float(timeout) if isinstance(timeout, int | float) else None


class EmulatorAdapter(BaseAdapter):
    """Sends every request to an in-process emulator over the state file at ``path``."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.app = FlowrouteApp(FlowrouteBackend(path))

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: object = None,
        verify: object = True,
        cert: object = None,
        proxies: object = None,
    ) -> requests.Response:
        environ = to_werkzeug(request)
        outcome: list[tuple[Response, bool]] = []
        # A worker, so that a slow answer meets the client's read timeout as over a socket,
        # while the emulator goes on to commit after the client has given up.
        worker = threading.Thread(target=lambda: outcome.append(self.app.handle(environ)))
        worker.start()
        worker.join(_read_timeout(timeout))
        if not outcome:
            raise requests.ReadTimeout(
                "emulator: no answer within the read timeout", request=request
            )
        answer, drop = outcome[0]
        if drop:
            raise requests.ConnectionError(
                "emulator fault: connection dropped after commit", request=request
            )
        return to_requests(request, answer)

    def close(self) -> None:
        self.app.backend.close()
