"""Every error this library raises: the client's typed API errors and the providers' own.

An :class:`ApiError` carries what Flowroute said (status, title, detail, request id) and the
``requests`` response; its message never contains credentials, because it is built only from
the method, the URL path and the error document. Whatever it quotes from the wire is one line,
escaped, and cut at :data:`WIRE_TEXT_LIMIT` with an ellipsis: its ``title`` and ``detail_text``
too, which the providers quote in their own messages.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from pulumi import RunError

from .records import load
from .values import unprintable

#: How much of a text from the wire (an error detail) a message quotes.
WIRE_TEXT_LIMIT = 300


def for_terminal(text: str, limit: int | None = None) -> str:
    """``text`` safe to print on one line: every unprintable character escaped (``\\x1b``,
    ``\\n``, ``\\u202e``), cut at ``limit`` characters with an ellipsis that says how many
    more there were."""
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}... ({len(text) - limit} more characters)"
    return "".join(
        char.encode("unicode_escape").decode("ascii") if unprintable(char) else char
        for char in text
    )


class FlowrouteError(RunError):
    """Base class of every error this library raises.

    A ``pulumi.RunError``: raised in a Pulumi program (a stack config mistake, a lookup that
    fails), the CLI shows its message alone, without the Python traceback.
    """


class ConfigError(FlowrouteError):
    """The provider configuration (base URL, credentials) is unusable."""


class ResourceError(FlowrouteError):
    """A provider operation that cannot go on; the message says what happened and what to do."""


class FleetConfigError(FlowrouteError):
    """The stack config describes an impossible fleet; ``problems`` lists every mistake."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "the stack config has {} problem{}:\n  - {}".format(
                len(problems), "" if len(problems) == 1 else "s", "\n  - ".join(problems)
            )
        )


class OnboardError(FlowrouteError):
    """``onboard``: the account cannot be described as it is; nothing was written."""


class TransportError(FlowrouteError):
    """The request got no HTTP answer (connection refused or dropped, timeout).

    For a POST the outcome is unknown: the server may have acted before the connection broke.
    Callers settle that by reading, never by sending the POST again.
    """

    def __init__(self, method: str, path: str, reason: str, base_url: str = "") -> None:
        self.method = method
        self.path = path
        self.reason = reason
        where = f" at {base_url}" if base_url else ""
        super().__init__(
            f"{method} {path}: no answer from Flowroute{where} ({reason}); check that "
            "flowroute:baseUrl is right and reachable from here"
        )


class IncompleteAnswer(TransportError):
    """An answer began but its body could not be read whole: cut off, too large, or too slow.

    As with no answer at all, a POST's outcome is unknown; a GET may be sent again.
    """

    def __init__(self, method: str, path: str, status: int, problem: str) -> None:
        self.method = method
        self.path = path
        self.reason = problem
        self.status = status
        FlowrouteError.__init__(
            self, f"{method} {path}: Flowroute's answer ({status}) {problem}; none of it was used"
        )


class MalformedResponse(FlowrouteError):
    """Flowroute answered 2xx with a body that is not the document the API promises.

    For a POST the change may have happened: callers settle that by reading, as after a
    :class:`TransportError`.
    """

    def __init__(
        self,
        method: str,
        path: str,
        status: int,
        problem: str,
        response: requests.Response | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.response = response
        super().__init__(
            f"{method} {path}: Flowroute answered {status} with {problem}; a proxy or an outage "
            "page may be in the way"
        )


def _detail_text(detail: Any) -> str | None:
    if detail is None or isinstance(detail, str):
        return detail
    # Validation errors carry an object (field -> messages); keep it readable in one line.
    return json.dumps(detail, sort_keys=True)


def _quoted(text: str | None) -> str | None:
    """Wire text as an error quotes it: one line, escaped, at most WIRE_TEXT_LIMIT long."""
    return None if text is None else for_terminal(text, WIRE_TEXT_LIMIT)


class ApiError(FlowrouteError):
    """Flowroute answered with an error status.

    ``detail`` is what Flowroute sent (an object of field messages, or text); ``title`` and
    :attr:`detail_text` are as a message quotes them: one line, escaped, cut with an ellipsis
    (a detail of 20,000 characters is not repeated whole in every message that quotes it).
    """

    #: What the user can do about it, added to the message.
    hint: str | None = None

    def __init__(
        self,
        method: str,
        path: str,
        status: int,
        title: str | None,
        detail: Any,
        request_id: str | None,
        response: requests.Response | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.title = _quoted(title)
        self.detail = detail
        self.request_id = request_id
        self.response = response
        # Whatever the server sent is quoted on this one line, never acted on by the terminal.
        parts = [f"{method} {path}: HTTP {status}"]
        if self.title:
            parts.append(self.title)
        if self.detail_text:
            parts.append(self.detail_text)
        message = ": ".join(parts)
        if request_id:
            message += f" (Flowroute request id {for_terminal(request_id, 80)})"
        if self.hint:
            message += f". {self.hint}"
        super().__init__(message)

    @property
    def detail_text(self) -> str | None:
        """The detail as one line, whatever shape Flowroute sent: escaped, cut with an
        ellipsis past WIRE_TEXT_LIMIT characters."""
        return _quoted(_detail_text(self.detail))


class BadRequest(ApiError):
    """400: malformed query or body."""


class Unauthorized(ApiError):
    """401: the access key / secret key pair was refused."""

    hint = (
        "Check flowroute:accessKey and flowroute:secretKey (or FLOWROUTE_ACCESS_KEY / "
        "FLOWROUTE_SECRET_KEY) against API Control in the Flowroute portal"
    )


class Forbidden(ApiError):
    """403: not allowed (insufficient funds, route still in use, built-in route)."""


class NotFound(ApiError):
    """404: not on the account, not in inventory, or unknown route."""


class Unprocessable(ApiError):
    """422: the body was understood but its values are invalid."""


class RateLimited(ApiError):
    """429: too many requests; retried automatically, raised when retries run out."""


class ServerError(ApiError):
    """5xx: Flowroute failed; retried for safe methods, raised when retries run out."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    422: Unprocessable,
    429: RateLimited,
}


def _bounded(detail: Any) -> Any:
    """An error's detail as kept: an object (field -> messages) whose text is longer than a
    message quotes is kept as that text, so a provider listing its fields lists no more."""
    if detail is None or isinstance(detail, str):
        return detail
    text = _detail_text(detail)
    return text if text is not None and len(text) > WIRE_TEXT_LIMIT else detail


def error_from_response(method: str, path: str, response: requests.Response) -> ApiError:
    """Build the typed error for an error response, tolerating every documented body shape."""
    title: str | None = None
    detail: Any = None
    request_id: str | None = None
    try:
        body = load(response.content)
    except ValueError:  # not JSON, or past the bounds every answer is read within
        body = None
    errors = body.get("errors") if isinstance(body, dict) else None
    first = errors[0] if isinstance(errors, list) and errors else None
    if isinstance(first, dict):
        title = first.get("title") if isinstance(first.get("title"), str) else None
        detail = _bounded(first.get("detail"))
        raw_id = first.get("id")
        request_id = str(raw_id) if raw_id is not None else None
    elif response.content and body is None:
        # The start alone, read as UTF-8: response.text would first guess the charset of it all.
        detail = response.content[:800].decode("utf-8", "replace")[:200]
    if title is None:
        title = response.reason or None
    if 300 <= response.status_code < 400:
        detail = (
            f"redirected to {for_terminal(repr(response.headers.get('Location')), 120)}, not "
            "followed: the request and its credentials would go elsewhere. Check "
            "flowroute:baseUrl"
        )
    cls = _BY_STATUS.get(response.status_code)
    if cls is None:
        cls = ServerError if response.status_code >= 500 else ApiError
    return cls(method, path, response.status_code, title, detail, request_id, response)
