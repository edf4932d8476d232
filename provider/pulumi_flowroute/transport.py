"""How the client talks to Flowroute: one ``requests.Session`` with Basic auth, timeouts, a
retry policy, bounded answers, JSON:API decoding and paging.

Safe methods (GET, PUT, PATCH, DELETE) are retried on 429/500/502/503/504 and connection
errors; a POST is retried only after a 429, when Flowroute refused it and nothing happened.
Any other failed POST raises, and the caller settles what happened by reading.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, ClassVar, TypeVar

import requests
from urllib3 import exceptions as urllib3_exceptions

from .config import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT_SECONDS,
    Endpoint,
    parse_base_url,
)
from .errors import (
    ConfigError,
    IncompleteAnswer,
    MalformedResponse,
    TransportError,
    error_from_response,
    for_terminal,
)
from .records import MAX_TEXT, UnexpectedDocument, load
from .values import unprintable

log = logging.getLogger(__name__)
T = TypeVar("T")

try:
    __version__ = version("pulumi-flowroute")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

USER_AGENT = f"pulumi-flowroute/{__version__} python-requests/{requests.__version__}"
PAGE_LIMIT = 200
# A page of 200 numbers is about 100 KB: an answer 80 times that is not Flowroute's.
MAX_BODY_BYTES = 8 * 1024 * 1024
# Far past any account (200 numbers a page): a server whose links.next never ends is stopped.
MAX_PAGES = 10_000
CONNECT_TIMEOUT = 5.0


def _reason(exc: requests.RequestException) -> str:
    """``ConnectionError: [Errno 111] Connection refused`` out of urllib3's nested wrapping."""
    errno = re.search(r"\[Errno -?\d+\][^'\")]*", str(exc))
    return f"{type(exc).__name__}: {errno.group(0).strip()}" if errno else type(exc).__name__


def _what(outcome: requests.Response | TransportError) -> str:
    return outcome.reason if isinstance(outcome, TransportError) else str(outcome.status_code)


@dataclass(frozen=True)
class RetryPolicy:
    """The whole retry decision: whether a call is sent again, after how long, and when to stop.

    ``attempts`` bounds the sends of one call, ``total_seconds`` the time it may take; between
    sends the policy waits the server's ``Retry-After`` (at most ``max_retry_after``), else an
    exponential backoff (``backoff_factor`` doubling from the second retry, up to
    ``backoff_max``) plus up to ``jitter`` seconds at random. It needs no transport:
    :meth:`pause` takes the method, the status (``None`` when no answer came) and the header.
    """

    #: Answers worth sending again: rate limited, or a server failure that may pass.
    STATUSES: ClassVar[frozenset[int]] = frozenset({429, 500, 502, 503, 504})
    #: Methods that may be sent twice: the second send has the same effect as the first.
    IDEMPOTENT_METHODS: ClassVar[frozenset[str]] = frozenset({"GET", "PUT", "PATCH", "DELETE"})

    attempts: int = 5
    backoff_factor: float = 0.5
    backoff_max: float = 8.0
    jitter: float = 0.25
    total_seconds: float = 60.0
    max_retry_after: float = 30.0

    def may_resend(self, method: str, status: int | None) -> bool:
        """Whether an outcome is worth sending again, attempts and time aside: never a write
        whose outcome is unknown, except after a 429, which Flowroute answers before acting.

        ``status`` is ``None`` for a request that got no (whole) answer.
        """
        if status is None:
            return method in self.IDEMPOTENT_METHODS
        return status in self.STATUSES and (method in self.IDEMPOTENT_METHODS or status == 429)

    def backoff(self, retry: int) -> float:
        """The wait before the ``retry``-th retry (1 for the first) when the server names none.

        The first retry waits ``backoff_factor`` plus jitter (a refused or failing server
        deserves a pause even then); the n-th waits ``backoff_factor * 2 ** (n - 1)`` plus
        jitter, at most ``backoff_max``.
        """
        if retry > 1:
            grown = self.backoff_factor * 2 ** (retry - 1) + random.random() * self.jitter
            capped = float(max(0.0, min(self.backoff_max, grown)))
            if capped:
                return capped
        return self.backoff_factor + random.random() * self.jitter

    def retry_after(self, header: str | None) -> float | None:
        """The server's ``Retry-After`` in seconds (delay-seconds or an HTTP-date, never
        negative), at most ``max_retry_after``; ``None`` when absent or unreadable, so the
        backoff applies."""
        if not header:
            return None
        if re.fullmatch(r"\s*[0-9]+\s*", header):
            asked = float(int(header))
        else:
            date = email.utils.parsedate_tz(header)
            if date is None:
                log.debug("ignoring an unreadable Retry-After header: %r", header)
                return None
            asked = email.utils.mktime_tz(date) - time.time()
        return float(min(max(asked, 0.0), self.max_retry_after))

    def pause(
        self,
        method: str,
        status: int | None,
        retry_after: str | None = None,
        *,
        sent: int,
        spent: float,
    ) -> float | None:
        """How long to wait before sending again, or ``None`` to stop and report the outcome.

        ``sent``: the sends of this call so far (this one included); ``spent``: the seconds
        it has taken so far. A wait that would end past ``total_seconds`` is not begun.
        """
        if not self.may_resend(method, status) or sent >= self.attempts:
            return None
        wait = self.retry_after(retry_after)
        if wait is None:
            wait = self.backoff(sent)
        if spent + wait > self.total_seconds:
            return None
        return wait


#: The API version of every endpoint but the messaging webhooks (v2.1, and v2.2 to clear one).
API_VERSION = "v2"


class Transport:
    """The session and the sending, decoding and paging every endpoint shares."""

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        base_url: str | Endpoint = DEFAULT_BASE_URL,
        *,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, DEFAULT_TIMEOUT_SECONDS),
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        endpoint = base_url if isinstance(base_url, Endpoint) else parse_base_url(base_url)
        if not isinstance(endpoint, Endpoint):
            raise ConfigError(
                f"FlowrouteClient speaks HTTP; for the embedded emulator at {endpoint.path!r} "
                "build the client with pulumi_flowroute.connect(settings), which mounts it"
            )
        self.base_url = endpoint.url
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.session = session or requests.Session()
        if endpoint.plain_http:
            # Plain http goes to loopback only; an HTTP(S)_PROXY from the environment would carry
            # the Basic auth header in clear to the proxy.
            self.session.trust_env = False
        self.session.auth = (access_key, secret_key)
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/vnd.api+json, application/json"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, credentials=***)"

    def close(self) -> None:
        self.session.close()

    def _url(self, path: str, version: str = API_VERSION) -> str:
        """Every request's URL: the base URL, the API version, the path (``/numbers/...``)."""
        return f"{self.base_url}/{version}{path}"

    def _send(
        self,
        method: str,
        path_or_url: str,
        *,
        version: str = API_VERSION,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> requests.Response:
        """One call with retries: a 2xx answer, or the typed error of the last attempt.

        ``path_or_url`` is a path under ``version``, or a paging link already rebased here.
        """
        url = path_or_url if "://" in path_or_url else self._url(path_or_url, version)
        shown = url[len(self.base_url) :] if url.startswith(self.base_url) else url
        started = time.monotonic()
        waited = 0.0
        sent = 0
        while True:
            outcome = self._attempt(method, url, shown, params, json_body)
            sent += 1
            answer = outcome if isinstance(outcome, requests.Response) else None
            wait = self.retry.pause(
                method,
                answer.status_code if answer is not None else None,
                answer.headers.get("Retry-After") if answer is not None else None,
                sent=sent,
                # Both the clock and our own waits: a test's fake sleep does not move the clock.
                spent=max(time.monotonic() - started, waited),
            )
            if wait is None:
                if isinstance(outcome, TransportError):
                    raise outcome
                if outcome.status_code >= 300:
                    raise error_from_response(method, shown, outcome)
                return outcome
            log.info("%s %s: %s, retrying in %.2fs", method, shown, _what(outcome), wait)
            self._sleep(wait)
            waited += wait

    def _attempt(
        self,
        method: str,
        url: str,
        shown: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
    ) -> requests.Response | TransportError:
        """Send once: the answer, or the TransportError of a request that got none."""
        headers = {"Content-Type": "application/vnd.api+json"} if json_body is not None else None
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json_body,
                headers=headers,
                timeout=self.timeout,
                # A redirect would re-send the body and the credentials to another URL.
                allow_redirects=False,
                # The body is read here, bounded in size and in time.
                stream=True,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            return TransportError(method, shown, _reason(exc), self.base_url)
        log.debug("%s %s -> %s", method, shown, response.status_code)
        problem = self._read_body(response)
        if problem is not None:
            return IncompleteAnswer(method, shown, response.status_code, problem)
        return response

    def _read_body(self, response: requests.Response) -> str | None:
        """Read the whole body into ``response``, or say why it could not be had.

        The read timeout bounds each wait for data, so a server that sends a byte now and then
        never trips it; the deadline bounds the whole body, and the size cap its memory.
        """
        limit = self.timeout[1]
        deadline = time.monotonic() + limit
        body = bytearray()
        try:
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    return f"was larger than {MAX_BODY_BYTES // 2**20} MiB when reading stopped"
                if time.monotonic() > deadline:
                    return f"was still arriving after {limit:g} s when reading stopped"
        except (urllib3_exceptions.HTTPError, requests.RequestException, OSError) as exc:
            return f"was cut off before its end ({type(exc).__name__})"
        finally:
            response.close()
        # What Response.content would have cached, had requests read the body itself.
        response._content = bytes(body)
        return None

    def _document(
        self,
        parse: Callable[[Any], T],
        method: str,
        path: str,
        *,
        version: str = API_VERSION,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        optional: bool = False,
    ) -> T:
        """Send, then parse the answer's document; a 2xx answer that does not parse is ours.

        ``optional``: an answer without a body (a 204, or an empty one) is parsed as ``None``.
        """
        response = self._send(method, path, version=version, params=params, json_body=json_body)

        def read(body: bytes) -> T:
            if optional and (response.status_code == 204 or not body):
                return parse(None)
            return parse(load(body))

        return self._decode(method, path, response, read)

    @staticmethod
    def _decode(
        method: str, path: str, response: requests.Response, parse: Callable[[bytes], T]
    ) -> T:
        """``parse(response.content)``; whatever it cannot use is one MalformedResponse.

        The body is handed over as bytes: :func:`~.records.load` reads its UTF encoding
        itself, where response.text would guess a charset.
        """
        try:
            return parse(response.content)
        except UNUSABLE as error:
            raise MalformedResponse(
                method, path, response.status_code, _problem(error, response), response
            ) from None

    def _pages(
        self,
        path: str,
        params: Mapping[str, Any],
        limit: int | None,
        parse: Callable[[Any], T],
        offset: int = 0,
    ) -> Iterator[T]:
        """Yield list items, following ``links.next`` until it is absent or ``limit`` is hit.

        Each page is parsed whole (every item by ``parse``) before its first item is yielded.
        """
        query = {k: v for k, v in params.items() if v is not None}
        page_size = min(limit, PAGE_LIMIT) if limit else PAGE_LIMIT
        query["limit"] = page_size
        if offset:
            query["offset"] = offset
        target: str = path
        request_params: Mapping[str, Any] | None = query
        seen = 0
        visited = {path}
        read_page = _page_of(parse)
        while True:
            items, next_link = self._document(
                read_page, "GET", target, params=request_params, optional=True
            )
            for item in items:
                yield item
                seen += 1
                if limit is not None and seen >= limit:
                    return
            if not next_link:
                return
            # links.next carries the whole query; rebase it so a proxying host cannot redirect
            # our credentials elsewhere.
            target = self._rebase(path, next_link)
            request_params = None
            if target in visited:
                raise MalformedResponse(
                    "GET",
                    path,
                    200,
                    f"a links.next back to a page already read ({_quoted(next_link)})",
                )
            if len(visited) >= MAX_PAGES:
                raise MalformedResponse("GET", path, 200, f"more than {MAX_PAGES} pages")
            visited.add(target)

    def _rebase(self, path: str, link: str) -> str:
        marker = link.find(f"/{API_VERSION}/")
        if marker < 0:
            raise MalformedResponse(
                "GET", path, 200, f"a paging link outside /{API_VERSION}/: {_quoted(link)}"
            )
        return f"{self.base_url}{link[marker:]}"


#: What parsing an answer raises when the answer is not what it should be: its JSON is broken
#: or past a bound (ValueError), a member is missing (KeyError) or of another kind. Anything
#: else is a bug of ours, and keeps its traceback.
UNUSABLE = (
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    ArithmeticError,
    RecursionError,
)


def _quoted(text: str, limit: int = 80) -> str:
    """Text from the wire (a link, a header) as a message quotes it: escaped, cut short."""
    return for_terminal(repr(text), limit)


def _problem(error: Exception, response: requests.Response) -> str:
    """What was wrong with an answer, as its one-line error says it."""
    if isinstance(error, UnexpectedDocument):
        return str(error)
    if isinstance(error, ValueError):
        kind = response.headers.get("Content-Type") or "no Content-Type"
        return f"a body that is not JSON ({for_terminal(kind, 60)})"
    if isinstance(error, KeyError):
        return f"a document missing {_quoted(str(error.args[0]) if error.args else '')}"
    if isinstance(error, ArithmeticError | RecursionError):
        return f"a document this client cannot read ({type(error).__name__})"
    return "a document of the wrong shape"


def _url_like(link: Any) -> bool:
    """Text that can be a URL: at most MAX_TEXT long, without spaces or control characters."""
    return (
        isinstance(link, str)
        and len(link) <= MAX_TEXT
        and not any(char.isspace() or unprintable(char) for char in link)
    )


def _page_of(parse: Callable[[Any], T]) -> Callable[[Any], tuple[list[T], str | None]]:
    """A parser of one page of a listing: its items, each by ``parse``, and its next link."""

    def read(document: Any) -> tuple[list[T], str | None]:
        if not isinstance(document, dict) or not isinstance(document.get("data"), list):
            raise UnexpectedDocument("a page without a data list")
        link = (document.get("links") or {}).get("next")
        # The next request's URL (and the path its errors name): a URL, or the page is refused.
        if link is not None and not _url_like(link):
            raise UnexpectedDocument(f"a links.next that is not a URL ({_quoted(str(link))})")
        return [parse(item) for item in document["data"]], link or None

    return read
