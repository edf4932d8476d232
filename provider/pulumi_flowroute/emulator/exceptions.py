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


class BadRequest(EmulatorError):
    status = 400
    title = "Bad Request"


class Unauthorized(EmulatorError):
    status = 401
    title = "Unauthorized"


class Forbidden(EmulatorError):
    status = 403
    title = "Forbidden"


class NotFound(EmulatorError):
    status = 404
    title = "Not Found"


class MethodNotAllowed(EmulatorError):
    status = 405
    title = "Method Not Allowed"


class UnsupportedMediaType(EmulatorError):
    status = 415
    title = "Unsupported Media Type"


class Unprocessable(EmulatorError):
    status = 422
    title = "Unprocessable Entity"


class TooManyRequests(EmulatorError):
    status = 429
    title = "Too Many Requests"


class InternalServerError(EmulatorError):
    status = 500
    title = "Internal Server Error"


class ServiceUnavailable(EmulatorError):
    status = 503
    title = "Service Unavailable"
