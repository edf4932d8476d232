"""Errors the emulator backend raises; the HTTP layer renders each as an ``errors`` envelope."""

from __future__ import annotations

from typing import Any


class EmulatorError(Exception):
    """An API error with the status, title and detail Flowroute would send."""

    status = 400
    title = "Bad Request"

    def __init__(self, detail: Any = None, *, title: str | None = None) -> None:
        self.detail = detail
        if title is not None:
            self.title = title
        super().__init__(f"{self.status} {self.title}: {detail}")


class HttpBadRequest(EmulatorError):
    status = 400
    title = "Bad Request"


class HttpUnauthorized(EmulatorError):
    status = 401
    title = "Unauthorized"


class HttpForbidden(EmulatorError):
    status = 403
    title = "Forbidden"


class HttpNotFound(EmulatorError):
    status = 404
    title = "Not Found"


class HttpUnsupportedMediaType(EmulatorError):
    status = 415
    title = "Unsupported Media Type"


class HttpUnprocessable(EmulatorError):
    status = 422
    title = "Unprocessable Entity"
