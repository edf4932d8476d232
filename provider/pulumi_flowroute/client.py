"""The Flowroute v2 HTTP client for numbers and inbound routes.

One :class:`FlowrouteClient` wraps one ``requests.Session`` with Basic auth, timeouts and a
retry policy. Safe methods (GET, PATCH, DELETE) are retried on 429/500/502/503/504 and connection
errors; a POST is retried only after a 429, when Flowroute refused it and nothing happened.
Any other failed POST raises, and the caller settles what happened by reading.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

import requests
from urllib3 import exceptions as urllib3_exceptions
from urllib3.exceptions import InvalidHeader, MaxRetryError
from urllib3.util.retry import Retry

from .config import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT_SECONDS,
    Credentials,
    Endpoint,
    parse_base_url,
)
from .errors import (
    ApiError,
    ConfigError,
    IncompleteAnswer,
    MalformedResponse,
    TransportError,
    error_from_response,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

try:
    __version__ = version("pulumi-flowroute")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

USER_AGENT = f"pulumi-flowroute/{__version__} python-requests/{requests.__version__}"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "PATCH", "DELETE"})
PAGE_LIMIT = 200
# A page of 200 numbers is about 100 KB: an answer 80 times that is not Flowroute's.
MAX_BODY_BYTES = 8 * 1024 * 1024
# Far past any account (200 numbers a page): a server whose links.next never ends is stopped.
MAX_PAGES = 10_000
CONNECT_TIMEOUT = 5.0
BUILTIN_ROUTE_ID = "0"

_NUMBER_TYPES = {
    "standard": "standard",
    "longcode": "standard",
    "tollfree": "tollfree",
    "toll-free": "tollfree",
}


def _number_type(raw: Any) -> str | None:
    """Fold the old (standard/tollfree) and new (longcode/toll-free) spellings into one."""
    if raw is None:
        return None
    return _NUMBER_TYPES.get(str(raw).lower(), str(raw).lower())


def _reason(exc: requests.RequestException) -> str:
    """``ConnectionError: [Errno 111] Connection refused`` out of urllib3's nested wrapping."""
    errno = re.search(r"\[Errno -?\d+\][^'\")]*", str(exc))
    return f"{type(exc).__name__}: {errno.group(0).strip()}" if errno else type(exc).__name__


def _retryable(method: str, outcome: requests.Response | TransportError) -> bool:
    """Whether to send again: never a write whose outcome is unknown, except after a 429,
    which Flowroute answers before acting."""
    if isinstance(outcome, TransportError):
        return method in IDEMPOTENT_METHODS
    return outcome.status_code in RETRY_STATUSES and (
        method in IDEMPOTENT_METHODS or outcome.status_code == 429
    )


def _what(outcome: requests.Response | TransportError) -> str:
    return outcome.reason if isinstance(outcome, TransportError) else str(outcome.status_code)


def _retry_after(retry: Retry, header: str | None) -> float | None:
    """The server's ``Retry-After`` in seconds; one we cannot read is ignored for our backoff."""
    if not header:
        return None
    try:
        return float(retry.parse_retry_after(header))
    except InvalidHeader:
        log.debug("ignoring an unreadable Retry-After header: %r", header)
        return None


def _float(raw: Any) -> float | None:
    return None if raw is None else float(raw)


@dataclass(frozen=True)
class AvailableNumber:
    """A number in Flowroute's purchasable inventory."""

    value: str
    number_type: str | None
    rate_center: str | None
    state: str | None
    setup_cost: float | None
    monthly_cost: float | None

    @classmethod
    def from_resource(cls, item: Mapping[str, Any]) -> AvailableNumber:
        attrs = item.get("attributes") or {}
        return cls(
            value=str(attrs.get("value") or item["id"]),
            number_type=_number_type(attrs.get("number_type")),
            rate_center=attrs.get("rate_center"),
            state=attrs.get("state"),
            setup_cost=_float(attrs.get("setup_cost")),
            monthly_cost=_float(attrs.get("monthly_cost")),
        )


@dataclass(frozen=True)
class Route:
    """An inbound voice route (host, number, uri, or the built-in sip-reg route ``"0"``)."""

    id: str
    route_type: str
    value: str | None
    alias: str | None
    edge_strategy_id: int | None

    @classmethod
    def from_resource(cls, item: Mapping[str, Any]) -> Route:
        attrs = item.get("attributes") or {}
        edge = attrs.get("edge_strategy_id")
        return cls(
            id=str(item["id"]),
            route_type=str(attrs.get("route_type")),
            value=attrs.get("value"),
            alias=attrs.get("alias"),
            edge_strategy_id=int(edge) if edge is not None else None,
        )


@dataclass(frozen=True)
class EdgeStrategy:
    """An edge strategy (where Flowroute handles a route's media): ``id`` and its name."""

    id: int
    name: str | None

    @classmethod
    def from_resource(cls, item: Mapping[str, Any]) -> EdgeStrategy:
        attrs = item.get("attributes") or {}
        name = attrs.get("name") or attrs.get("alias")
        return cls(id=int(item["id"]), name=str(name) if name else None)


class UnexpectedDocument(ValueError):
    """A well-formed answer about something other than what was asked."""


def _details_of(asked: str) -> Callable[[Mapping[str, Any]], Number]:
    """A parser of a number's details that refuses a document about another number."""

    def parse(document: Mapping[str, Any]) -> Number:
        number = Number.from_document(document)
        if number.value != asked:
            raise UnexpectedDocument(f"the details of {number.value!r} instead of {asked}")
        return number

    return parse


def _route_document(document: Mapping[str, Any]) -> Route:
    return Route.from_resource(document["data"])


def _related_id(relationships: Mapping[str, Any], name: str) -> str | None:
    data = (relationships.get(name) or {}).get("data")
    return str(data["id"]) if isinstance(data, dict) and data.get("id") is not None else None


@dataclass(frozen=True)
class Number:
    """A number on the account. Routes are known only from a details read (``get_number``)."""

    value: str
    alias: str | None
    cnam_lookups_enabled: bool
    number_type: str | None
    rate_center: str | None
    state: str | None
    primary_route_id: str | None = None
    failover_route_id: str | None = None
    e911_id: str | None = None
    cnam_id: str | None = None
    routes: tuple[Route, ...] = ()

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Number:
        """Parse a details document (``data`` plus ``included`` routes)."""
        number = cls.from_resource(document["data"])
        included = tuple(
            Route.from_resource(item)
            for item in document.get("included") or ()
            if item.get("type") == "route"
        )
        return cls(**{**number.__dict__, "routes": included})

    @classmethod
    def from_resource(cls, item: Mapping[str, Any]) -> Number:
        attrs = item.get("attributes") or {}
        rels = item.get("relationships") or {}
        return cls(
            value=str(attrs.get("value") or item["id"]),
            alias=attrs.get("alias"),
            cnam_lookups_enabled=bool(attrs.get("cnam_lookups_enabled")),
            number_type=_number_type(attrs.get("number_type")),
            rate_center=attrs.get("rate_center"),
            state=attrs.get("state"),
            primary_route_id=_related_id(rels, "primary_route"),
            failover_route_id=_related_id(rels, "failover_route"),
            e911_id=_related_id(rels, "e911_address"),
            cnam_id=_related_id(rels, "cnam_preset"),
        )


ADDRESS_FIELDS = (
    "label",
    "first_name",
    "last_name",
    "street_number",
    "street_name",
    "address_type",
    "address_type_number",
    "city",
    "state",
    "country",
    "zip",
)


@dataclass(frozen=True)
class EmergencyAddress:
    """An E911 address record, as Flowroute stores it (``id`` is the ``e911_id``)."""

    id: str
    label: str
    first_name: str
    last_name: str
    street_number: str
    street_name: str
    city: str
    state: str
    country: str
    zip: str
    address_type: str | None = None
    address_type_number: str | None = None

    @classmethod
    def from_resource(cls, item: Mapping[str, Any]) -> EmergencyAddress:
        attrs = item.get("attributes") or {}

        def text(name: str) -> str | None:
            value = attrs.get(name)
            return None if value is None or value == "" else str(value)

        return cls(id=str(item["id"]), **{name: text(name) for name in ADDRESS_FIELDS})  # type: ignore[arg-type]

    def fields(self) -> dict[str, str | None]:
        """The address without its id, as :meth:`FlowrouteClient.create_address` takes it."""
        return {name: getattr(self, name) for name in ADDRESS_FIELDS}


def _address_document(document: Mapping[str, Any]) -> EmergencyAddress:
    return EmergencyAddress.from_resource(document["data"])


@dataclass(frozen=True)
class CallerName:
    """A CNAM record: the caller name shown for numbers that use it, once Flowroute approves."""

    id: str
    value: str
    is_approved: bool
    rejection_reason: str | None
    creation_datetime: str | None
    approval_datetime: str | None
    numbers: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        """``approved``, ``rejected`` (see ``rejection_reason``) or ``pending`` review."""
        if self.is_approved:
            return "approved"
        return "rejected" if self.rejection_reason else "pending"

    @classmethod
    def from_resource(cls, item: Mapping[str, Any]) -> CallerName:
        attrs = item.get("attributes") or {}
        related = ((item.get("relationships") or {}).get("numbers") or {}).get("data") or ()
        return cls(
            id=str(item["id"]),
            value=str(attrs["value"]),
            is_approved=bool(attrs.get("is_approved")),
            rejection_reason=attrs.get("rejection_reason") or None,
            creation_datetime=attrs.get("creation_datetime"),
            approval_datetime=attrs.get("approval_datetime"),
            numbers=tuple(str(n["id"]) for n in related),
        )


def _caller_name_document(document: Mapping[str, Any]) -> CallerName:
    return CallerName.from_resource(document["data"])


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, exponential backoff with jitter, and a total time budget.

    ``max_retry_after`` caps how long a server's ``Retry-After`` may make us wait per attempt.
    """

    attempts: int = 5
    backoff_factor: float = 0.5
    backoff_max: float = 8.0
    jitter: float = 0.25
    total_seconds: float = 60.0
    max_retry_after: float = 30.0

    def start(self) -> Retry:
        # urllib3's Retry keeps the attempt history and computes backoff + jitter; the loop
        # below owns the decision because urllib3 cannot express "POST only after 429".
        return Retry(
            total=self.attempts - 1,
            backoff_factor=self.backoff_factor,
            backoff_max=self.backoff_max,
            backoff_jitter=self.jitter,
            respect_retry_after_header=True,
            raise_on_status=False,
        )


#: The API version of every endpoint but the messaging webhooks (v2.1, and v2.2 to clear one).
API_VERSION = "v2"


class FlowrouteClient:
    """Flowroute API v2: numbers, routes, E911 addresses, caller names and messaging webhooks.

    Build one directly, or from a stack's settings with :func:`pulumi_flowroute.connect`
    (which also wires ``emulator:PATH``)::

        client = FlowrouteClient("12345678", secret, base_url="https://api.flowroute.com")
        for item in client.search_available(starts_with="206", limit=5):
            ...

    The client is safe to share between threads: ``requests.Session`` connection pools are.
    """

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
        self._credentials = Credentials(access_key, secret_key)
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
        return f"FlowrouteClient(base_url={self.base_url!r}, credentials=***)"

    def close(self) -> None:
        self.session.close()

    # -- transport ---------------------------------------------------------------------------

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
        retry = self.retry.start()
        while True:
            outcome = self._attempt(method, url, shown, params, json_body)
            if not _retryable(method, outcome):
                if isinstance(outcome, TransportError):
                    raise outcome
                if outcome.status_code >= 300:
                    raise error_from_response(method, shown, outcome)
                return outcome
            try:
                retry = retry.increment(method, url)
            except MaxRetryError:
                raise self._give_up(method, shown, outcome) from None
            wait = self._wait(retry, outcome)
            # Count both the clock and our own waits: a test's fake sleep does not move the clock.
            if max(time.monotonic() - started, waited) + wait > self.retry.total_seconds:
                raise self._give_up(method, shown, outcome)
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

    def _wait(self, retry: Retry, outcome: requests.Response | TransportError) -> float:
        """The server's Retry-After (capped), else urllib3's backoff with jitter."""
        if isinstance(outcome, requests.Response):
            asked = _retry_after(retry, outcome.headers.get("Retry-After"))
            if asked is not None:
                return float(min(asked, self.retry.max_retry_after))
        # urllib3 makes the first retry immediate; a refused or failing server deserves a
        # pause even then.
        return retry.get_backoff_time() or (
            self.retry.backoff_factor + random.random() * self.retry.jitter
        )

    @staticmethod
    def _give_up(
        method: str, path: str, failure: requests.Response | TransportError
    ) -> ApiError | TransportError:
        if isinstance(failure, TransportError):
            return failure
        return error_from_response(method, path, failure)

    def _json(
        self,
        method: str,
        path: str,
        *,
        version: str = API_VERSION,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        response = self._send(method, path, version=version, params=params, json_body=json_body)
        if response.status_code == 204 or not response.content:
            return None
        return self._decode(method, path, response, json.loads)

    def _document(
        self,
        parse: Callable[[Any], T],
        method: str,
        path: str,
        *,
        json_body: Any = None,
    ) -> T:
        """Send, then parse the answer's document; a 2xx answer that does not parse is ours."""
        response = self._send(method, path, json_body=json_body)
        return self._decode(method, path, response, lambda text: parse(json.loads(text)))

    @staticmethod
    def _decode(
        method: str, path: str, response: requests.Response, parse: Callable[[bytes], T]
    ) -> T:
        # json.loads reads the bytes' UTF encoding itself; response.text would guess a charset.
        try:
            return parse(response.content)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            if isinstance(error, UnexpectedDocument):
                problem = str(error)
            elif isinstance(error, ValueError):
                kind = response.headers.get("Content-Type") or "no Content-Type"
                problem = f"a body that is not JSON ({kind})"
            elif isinstance(error, KeyError):
                problem = f"a document missing {error}"
            else:
                problem = "a document of the wrong shape"
            raise MalformedResponse(method, path, response.status_code, problem, response) from None

    def _pages(
        self, path: str, params: Mapping[str, Any], limit: int | None, offset: int = 0
    ) -> Iterator[Any]:
        """Yield list items, following ``links.next`` until it is absent or ``limit`` is hit."""
        query = {k: v for k, v in params.items() if v is not None}
        page_size = min(limit, PAGE_LIMIT) if limit else PAGE_LIMIT
        query["limit"] = page_size
        if offset:
            query["offset"] = offset
        target: str = path
        request_params: Mapping[str, Any] | None = query
        seen = 0
        visited = {path}
        while True:
            document = self._json("GET", target, params=request_params) or {}
            if not isinstance(document, dict) or not isinstance(document.get("data"), list):
                raise MalformedResponse("GET", path, 200, "a page without a data list")
            for item in document["data"]:
                yield item
                seen += 1
                if limit is not None and seen >= limit:
                    return
            next_link = (document.get("links") or {}).get("next")
            if not next_link:
                return
            # links.next carries the whole query; rebase it so a proxying host cannot redirect
            # our credentials elsewhere.
            target = self._rebase(str(next_link))
            request_params = None
            if target in visited:
                raise MalformedResponse(
                    "GET", path, 200, f"a links.next back to a page already read ({next_link!r})"
                )
            if len(visited) >= MAX_PAGES:
                raise MalformedResponse("GET", path, 200, f"more than {MAX_PAGES} pages")
            visited.add(target)

    def _rebase(self, link: str) -> str:
        marker = link.find(f"/{API_VERSION}/")
        if marker < 0:
            raise MalformedResponse("GET", link, 200, f"a paging link outside /v2/: {link!r}")
        return f"{self.base_url}{link[marker:]}"

    # -- numbers -----------------------------------------------------------------------------

    def list_numbers(
        self,
        *,
        starts_with: str | None = None,
        ends_with: str | None = None,
        contains: str | None = None,
        alias: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Number]:
        """Numbers on the account (no route data: use ``get_number`` for that)."""
        params = {
            "starts_with": starts_with,
            "ends_with": ends_with,
            "contains": contains,
            "alias": alias,
        }
        for item in self._pages("/numbers", params, limit):
            yield Number.from_resource(item)

    def search_available(
        self,
        *,
        starts_with: str | None = None,
        contains: str | None = None,
        ends_with: str | None = None,
        rate_center: str | None = None,
        state: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Iterator[AvailableNumber]:
        """Purchasable inventory matching the filters, in Flowroute's order, from ``offset``."""
        params = {
            "starts_with": starts_with,
            "contains": contains,
            "ends_with": ends_with,
            "rate_center": rate_center,
            "state": state,
        }
        for item in self._pages("/numbers/available", params, limit, offset):
            yield AvailableNumber.from_resource(item)

    def purchase_number(self, number: str) -> Number:
        """Buy ``number``. Not retried after anything but a 429: settle doubts with get_number."""
        return self._document(_details_of(number), "POST", f"/numbers/{number}")

    def get_number(self, number: str) -> Number:
        """Details of a number on the account, with its primary and failover routes."""
        return self._document(_details_of(number), "GET", f"/numbers/{number}")

    def update_number(
        self,
        number: str,
        *,
        alias: str | None = None,
        cnam_lookups_enabled: bool | None = None,
        clear_alias: bool = False,
    ) -> Number:
        """Set alias and/or CNAM lookups; ``clear_alias=True`` removes the alias."""
        body: dict[str, Any] = {"type": "number"}
        if alias is not None or clear_alias:
            body["alias"] = alias
        if cnam_lookups_enabled is not None:
            body["cnam_lookups_enabled"] = cnam_lookups_enabled
        return self._document(Number.from_document, "PATCH", f"/numbers/{number}", json_body=body)

    def release_number(self, number: str) -> None:
        """Release the number back to inventory. Irreversible without Flowroute support."""
        self._send("DELETE", f"/numbers/{number}")

    def set_route(self, number: str, slot: str, route_id: str) -> None:
        """Point the number's ``primary`` or ``failover`` slot at a route."""
        body = {"data": {"type": "route", "id": str(route_id)}}
        self._send("PATCH", self._slot_path(number, slot), json_body=body)

    def remove_route(self, number: str, slot: str) -> None:
        """Clear a slot: primary goes back to the built-in route ``"0"``, failover to none."""
        self._send("DELETE", self._slot_path(number, slot))

    @staticmethod
    def _slot_path(number: str, slot: str) -> str:
        if slot not in ("primary", "failover"):
            raise ValueError(f"route slot must be 'primary' or 'failover', not {slot!r}")
        return f"/numbers/{number}/relationships/{slot}_route"

    # -- routes ------------------------------------------------------------------------------

    def list_routes(
        self, *, route_type: str | None = None, limit: int | None = None
    ) -> Iterator[Route]:
        """Every inbound route, the built-in route ``"0"`` first."""
        for item in self._pages("/routes", {"route_type": route_type}, limit):
            yield Route.from_resource(item)

    def find_route(self, route_id: str) -> Route | None:
        """The route with this id, or None. Flowroute has no single-route GET: this pages."""
        return next((r for r in self.list_routes() if r.id == str(route_id)), None)

    def create_route(
        self, route_type: str, value: str, alias: str, edge_strategy_id: int | None = None
    ) -> Route:
        """Create an inbound route. Not retried after anything but a 429."""
        attrs: dict[str, Any] = {"route_type": route_type, "value": value, "alias": alias}
        if edge_strategy_id is not None:
            attrs["edge_strategy_id"] = edge_strategy_id
        body = {"data": {"type": "route", "attributes": attrs}}
        return self._document(_route_document, "POST", "/routes", json_body=body)

    def update_route(self, route_id: str, **attributes: Any) -> Route:
        """Change any of ``route_type``, ``value``, ``alias``, ``edge_strategy_id``."""
        body = {"data": {"type": "route", "id": str(route_id), "attributes": attributes}}
        return self._document(_route_document, "PATCH", f"/routes/{route_id}", json_body=body)

    def list_edge_strategies(self) -> list[EdgeStrategy]:
        """The edge strategies a route's ``edge_strategy_id`` may name."""
        document = self._json("GET", "/routes/edge_strategies") or {}
        return [EdgeStrategy.from_resource(item) for item in document.get("data") or ()]

    def delete_route(self, route_id: str) -> None:
        """Delete a route; Flowroute refuses (403) while a number still uses it."""
        self._send("DELETE", f"/routes/{route_id}")

    # -- E911 addresses ----------------------------------------------------------------------

    def list_addresses(
        self,
        *,
        label: str | None = None,
        street_name: str | None = None,
        city: str | None = None,
        state: str | None = None,
        limit: int | None = None,
    ) -> Iterator[EmergencyAddress]:
        """E911 addresses; label, street name and city match in part, ignoring case."""
        params = {"label": label, "street_name": street_name, "city": city, "state": state}
        for item in self._pages("/e911s", params, limit):
            yield EmergencyAddress.from_resource(item)

    def get_address(self, e911_id: str) -> EmergencyAddress:
        return self._document(_address_document, "GET", f"/e911s/{e911_id}")

    def create_address(self, fields: Mapping[str, str | None]) -> EmergencyAddress:
        """Validate and create an address. Not retried: settle doubts by listing."""
        return self._document(_address_document, "POST", "/e911s", json_body=_address_body(fields))

    def update_address(self, e911_id: str, fields: Mapping[str, str | None]) -> EmergencyAddress:
        """Revalidate and replace the address with ``fields`` (send them all: an absent unit
        would otherwise stay); the numbers using it follow."""
        return self._document(
            _address_document, "PATCH", f"/e911s/{e911_id}", json_body=_address_body(fields)
        )

    def delete_address(self, e911_id: str) -> None:
        """Delete an address; Flowroute refuses while a number uses it."""
        self._send("DELETE", f"/e911s/{e911_id}")

    def address_numbers(self, e911_id: str) -> list[str]:
        """The numbers using an address (their values: the items' ids are relationship ids)."""
        document = self._json("GET", f"/e911s/{e911_id}/relationships/numbers") or {}
        return [str(item["attributes"]["value"]) for item in document.get("data") or ()]

    def assign_address(self, number: str, e911_id: str) -> None:
        """Give ``number`` this E911 address, replacing any other (charged once per address)."""
        self._send("PATCH", f"/numbers/{number}/relationships/e911s/{e911_id}")

    def unassign_address(self, number: str) -> None:
        """Take the E911 address off ``number``."""
        self._send("DELETE", f"/numbers/{number}/relationships/e911s")

    # -- CNAM records --------------------------------------------------------------------------

    def list_caller_names(
        self, *, value: str | None = None, is_approved: bool | None = None, limit: int | None = None
    ) -> Iterator[CallerName]:
        """CNAM records; ``value`` matches in part, ignoring case."""
        approved = None if is_approved is None else str(is_approved).lower()
        for item in self._pages("/cnams", {"value": value, "is_approved": approved}, limit):
            yield CallerName.from_resource(item)

    def get_caller_name(self, cnam_id: str) -> CallerName:
        return self._document(_caller_name_document, "GET", f"/cnams/{cnam_id}")

    def create_caller_name(self, value: str) -> CallerName:
        """Ask for a caller name; Flowroute reviews it (up to 48 hours). Not retried."""
        return self._document(_caller_name_document, "POST", "/cnams", json_body={"value": value})

    def update_caller_name(self, cnam_id: str, value: str) -> CallerName:
        """Change a record still pending review."""
        body = {"data": {"type": "cnam", "attributes": {"value": value}}}
        return self._document(_caller_name_document, "PATCH", f"/cnams/{cnam_id}", json_body=body)

    def delete_caller_name(self, cnam_id: str) -> None:
        """Delete a record; Flowroute takes it off every number using it."""
        self._send("DELETE", f"/cnams/{cnam_id}")

    def assign_caller_name(self, number: str, cnam_id: str) -> str | None:
        """Request the record for ``number`` (days to take effect); returns when it was asked."""
        document = self._json("PATCH", f"/numbers/{number}/relationships/cnams/{cnam_id}") or {}
        return ((document.get("data") or {}).get("attributes") or {}).get("date_created")

    def unassign_caller_name(self, number: str) -> None:
        """Request that ``number`` show no caller name from a record."""
        self._send("DELETE", f"/numbers/{number}/relationships/cnams")

    # -- messaging webhooks ------------------------------------------------------------------

    def get_callback(self, kind: str) -> str | None:
        """The account's webhook URL for ``kind`` (``sms``, ``mms`` or ``dlr``), or None."""
        document = self._json("GET", f"/messages/{kind}_callback", version="v2.1") or {}
        url = ((document.get("data") or {}).get("attributes") or {}).get("callback_url")
        return str(url) if url else None

    def set_callback(self, kind: str, url: str) -> None:
        """Post the account's ``kind`` messages (or delivery receipts) to ``url``."""
        body = {"data": {"attributes": {"callback_url": url}}}
        self._send("PUT", f"/messages/{kind}_callback", version="v2.1", json_body=body)

    def clear_callback(self, kind: str) -> None:
        """Stop posting the account's ``kind`` messages anywhere (a v2.2 endpoint)."""
        self._send("DELETE", f"/messages/{kind}_callback", version="v2.2")


def _address_body(fields: Mapping[str, str | None]) -> dict[str, Any]:
    return {"data": {"type": "e911", "attributes": {k: fields.get(k) for k in ADDRESS_FIELDS}}}
