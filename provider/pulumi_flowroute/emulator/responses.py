"""The emulator's HTTP layer: parse Flowroute v2 requests, call the backend, render documents.

:class:`FlowrouteApp` is a WSGI application. The server runs it directly; the ``responses``
mock and the in-process ``emulator:`` transport call :meth:`FlowrouteApp.handle` with a werkzeug
request built from a ``requests.PreparedRequest``. All three therefore answer byte-for-byte
alike.
"""

from __future__ import annotations

import json
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode, urlsplit

from werkzeug import exceptions as http_exceptions
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from . import exceptions as exc
from .inventory import InventoryItem
from .models import CnamRecord, E911Record, Fault, FlowrouteBackend, NumberRecord, Page, RouteRecord
from .rules import CALLBACK_KINDS_V21, E911_FIELDS, EDGE_STRATEGIES, MAX_ALIAS_LENGTH, ROUTE_TYPES
from .urls import url_map

JSONAPI = "application/vnd.api+json"
FORM = "application/x-www-form-urlencoded"
# Form bodies: the Python SDK sends one to create a CNAM record; elsewhere they fail as not JSON.
ACCEPTED_CONTENT_TYPES = ("application/json", JSONAPI, FORM)
DEFAULT_LIMIT = 10
MAX_LIMIT = 200
MAX_E911_LIMIT = 2000
E911_FILTERS = ("label", "street_name", "city", "state")
DIGIT_FILTERS = ("starts_with", "ends_with", "contains")

StartResponse = Callable[..., Any]


def _document(body: Any, status: int = 200) -> Response:
    # One bytes body: the server sends it with the headers in as few writes as possible.
    return Response(json.dumps(body, separators=(",", ":")), status=status, content_type=JSONAPI)


def error_response(status: int, title: str | None, detail: Any) -> Response:
    error: dict[str, Any] = {"id": str(uuid.uuid4()), "status": status}
    if title is not None:
        error["title"] = title
    if detail is not None:
        error["detail"] = detail
    response = _document({"errors": [error]}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Flowroute API"'
    return response


def _json_body(request: Request) -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise exc.HttpBadRequest("Request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise exc.HttpBadRequest("Request body must be a JSON object.")
    return body


def _flag(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise exc.HttpUnprocessable({name: ["must be true or false"]})


def _paging(args: MultiDict[str, str], most: int = MAX_LIMIT) -> tuple[int, int]:
    def integer(name: str, default: int) -> int:
        raw = args.get(name)
        if raw is None:
            return default
        try:
            return int(raw)
        except ValueError:
            raise exc.HttpBadRequest(f"{name} must be an integer, not {raw!r}.") from None

    limit, offset = integer("limit", DEFAULT_LIMIT), integer("offset", 0)
    if not 1 <= limit <= most:
        raise exc.HttpBadRequest(f"limit must be between 1 and {most}, not {limit}.")
    if offset < 0:
        raise exc.HttpBadRequest(f"offset must not be negative, not {offset}.")
    return limit, offset


def _digit_filters(args: MultiDict[str, str]) -> dict[str, str | None]:
    filters: dict[str, str | None] = {}
    for name in DIGIT_FILTERS:
        raw = args.get(name)
        if raw is None or raw == "":
            continue
        if not re.fullmatch(r"[0-9]+", raw):
            raise exc.HttpBadRequest(f"{name} must contain digits only, not {raw!r}.")
        # Flowroute assumes the country code: starts_with=206 means 1206.
        filters[name] = raw if name != "starts_with" or raw.startswith("1") else "1" + raw
    return filters


class FlowrouteApp:
    """WSGI application emulating Flowroute's numbers and routes API over one backend.

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

    # -- rendering ---------------------------------------------------------------------------

    @staticmethod
    def _root(request: Request) -> str:
        return request.host_url.rstrip("/")

    def _list_document(
        self,
        request: Request,
        page: Page,
        items: list[dict[str, Any]],
        query: dict[str, Any],
        limit: int,
        offset: int,
    ) -> Response:
        base = f"{self._root(request)}{request.path}"
        links = {"self": f"{base}?{urlencode({**query, 'limit': limit, 'offset': offset})}"}
        if page.has_more:
            following = {**query, "limit": limit, "offset": offset + limit}
            links["next"] = f"{base}?{urlencode(following)}"
        return _document({"data": items, "links": links})

    def _number_item(self, request: Request, number: NumberRecord) -> dict[str, Any]:
        return {
            "type": "number",
            "id": number.value,
            "attributes": {
                "alias": number.alias,
                "cnam_lookups_enabled": number.cnam_lookups_enabled,
                "number_type": number.number_type,
                "rate_center": number.rate_center,
                "state": number.state,
                "value": number.value,
            },
            "links": {"self": f"{self._root(request)}/v2/numbers/{number.value}"},
        }

    def _route_item(self, request: Request, route: RouteRecord) -> dict[str, Any]:
        return {
            "type": "route",
            "id": route.id,
            "attributes": {
                "alias": route.alias,
                "route_type": route.route_type,
                "value": route.value,
                "edge_strategy_id": route.edge_strategy_id,
            },
            "links": {"self": f"{self._root(request)}/v2/routes/{route.id}"},
        }

    def _number_document(
        self, request: Request, number: NumberRecord, status: int = 200
    ) -> Response:
        data = self._number_item(request, number)
        e911_id = self.backend.e911_of(number.value)
        cnam_id = self.backend.cnam_of(number.value)

        def related(route_id: str | None) -> dict[str, Any]:
            return {"data": {"id": route_id, "type": "route"} if route_id is not None else None}

        data["relationships"] = {
            "cnam_preset": {"data": {"id": cnam_id, "type": "cnam"} if cnam_id else None},
            "e911_address": {"data": {"id": e911_id, "type": "e911"} if e911_id else None},
            "failover_route": related(number.failover_route_id),
            "primary_route": related(number.primary_route_id),
        }
        ids = [i for i in (number.primary_route_id, number.failover_route_id) if i is not None]
        included = [self._route_item(request, r) for r in self.backend.routes_by_id(ids)]
        return _document({"data": data, "included": included, "links": data["links"]}, status)

    @staticmethod
    def _available_item(request: Request, item: InventoryItem) -> dict[str, Any]:
        return {
            "type": "number",
            "id": item.value,
            "attributes": {
                "monthly_cost": item.monthly_cost,
                "number_type": item.number_type,
                "rate_center": item.rate_center,
                "setup_cost": item.setup_cost,
                "state": item.state,
                "value": item.value,
            },
            "links": {"related": f"{FlowrouteApp._root(request)}/v2/numbers/{item.value}"},
        }

    # -- numbers -----------------------------------------------------------------------------

    def list_numbers(self, request: Request) -> Response:
        limit, offset = _paging(request.args)
        filters = _digit_filters(request.args)
        if request.args.get("alias") is not None:
            filters["alias"] = request.args["alias"]
        page = self.backend.list_numbers(filters, limit, offset)
        items = [self._number_item(request, n) for n in page.items]
        return self._list_document(request, page, items, filters, limit, offset)

    def list_available(self, request: Request) -> Response:
        limit, offset = _paging(request.args)
        filters = _digit_filters(request.args)
        for name in ("rate_center", "state"):
            if request.args.get(name):
                filters[name] = request.args[name]
        if filters.get("state") and len(str(filters["state"])) != 2:
            raise exc.HttpBadRequest(
                f"state must be a two-letter abbreviation, not {filters['state']!r}."
            )
        page = self.backend.list_available(filters, limit, offset)
        items = [self._available_item(request, i) for i in page.items]
        return self._list_document(request, page, items, filters, limit, offset)

    def purchase(self, request: Request, number: str) -> Response:
        options = {**request.args.to_dict(), **_json_body(request)}
        cnam = options.get("cnam_lookups_enabled")
        record = self.backend.purchase(
            number,
            cnam_lookups_enabled=_flag("cnam_lookups_enabled", cnam) if cnam is not None else False,
        )
        return self._number_document(request, record, 201)

    def get_number(self, request: Request, number: str) -> Response:
        return self._number_document(request, self.backend.get_number(number))

    def update_number(self, request: Request, number: str) -> Response:
        body = _json_body(request)
        changes: dict[str, Any] = {}
        if "alias" in body:
            alias = body["alias"]
            if alias is not None and (not isinstance(alias, str) or len(alias) > MAX_ALIAS_LENGTH):
                raise exc.HttpUnprocessable(
                    {"alias": [f"must be a string of at most {MAX_ALIAS_LENGTH} characters"]}
                )
            changes["alias"] = alias
        if "cnam_lookups_enabled" in body:
            changes["cnam_lookups_enabled"] = _flag(
                "cnam_lookups_enabled", body["cnam_lookups_enabled"]
            )
        return self._number_document(request, self.backend.update_number(number, changes))

    def release(self, request: Request, number: str) -> Response:
        self.backend.release(number)
        return Response(status=204)

    @staticmethod
    def _slot(slot: str) -> str:
        return slot.removesuffix("_route")

    def set_route(self, request: Request, number: str, slot: str) -> Response:
        data = _json_body(request).get("data")
        route_id = data.get("id") if isinstance(data, dict) else None
        if (
            not isinstance(data, dict)
            or data.get("type") != "route"
            or not isinstance(route_id, str)
        ):
            raise exc.HttpBadRequest(
                'Body must be {"data": {"type": "route", "id": "<route id>"}} '
                "with the id as a string."
            )
        self.backend.set_route(number, self._slot(slot), route_id)
        return Response(status=204)

    def remove_route(self, request: Request, number: str, slot: str) -> Response:
        self.backend.remove_route(number, self._slot(slot))
        return Response(status=204)

    # -- routes ------------------------------------------------------------------------------

    def list_routes(self, request: Request) -> Response:
        limit, offset = _paging(request.args)
        route_type = request.args.get("route_type") or None
        query = {"route_type": route_type} if route_type else {}
        page = self.backend.list_routes(route_type, limit, offset)
        items = [self._route_item(request, r) for r in page.items]
        return self._list_document(request, page, items, query, limit, offset)

    @staticmethod
    def _route_attributes(request: Request, *, partial: bool) -> dict[str, Any]:
        data = _json_body(request).get("data")
        attrs = data.get("attributes") if isinstance(data, dict) else None
        if not isinstance(data, dict) or data.get("type") != "route" or not isinstance(attrs, dict):
            raise exc.HttpBadRequest(
                'Body must be {"data": {"type": "route", "attributes": {...}}}.'
            )
        problems: dict[str, list[str]] = {}
        known = {
            k: attrs[k] for k in ("route_type", "value", "alias", "edge_strategy_id") if k in attrs
        }
        for name in ("route_type", "value", "alias"):
            if name not in known and not partial:
                problems.setdefault(name, []).append("is required")
            elif name in known and (not isinstance(known[name], str) or not known[name]):
                problems.setdefault(name, []).append("must be a non-empty string")
        if isinstance(known.get("alias"), str) and len(known["alias"]) > MAX_ALIAS_LENGTH:
            problems.setdefault("alias", []).append(
                f"must be at most {MAX_ALIAS_LENGTH} characters"
            )
        if isinstance(known.get("route_type"), str) and known["route_type"] not in ROUTE_TYPES:
            problems.setdefault("route_type", []).append(f"must be one of {list(ROUTE_TYPES)}")
        edge = known.get("edge_strategy_id")
        if edge is not None and (isinstance(edge, bool) or not isinstance(edge, int)):
            problems.setdefault("edge_strategy_id", []).append("must be an integer or null")
        elif edge is not None and edge not in dict(EDGE_STRATEGIES):
            problems.setdefault("edge_strategy_id", []).append(
                f"must be one of the edge strategy ids {sorted(dict(EDGE_STRATEGIES))}"
            )
        if problems:
            raise exc.HttpUnprocessable(problems)
        return known

    @staticmethod
    def list_edge_strategies(request: Request) -> Response:
        items = [
            {"type": "edge_strategy", "id": id_, "attributes": {"name": name}}
            for id_, name in EDGE_STRATEGIES
        ]
        return _document({"data": items, "links": {"self": request.url}})

    def create_route(self, request: Request) -> Response:
        attrs = self._route_attributes(request, partial=False)
        route = self.backend.create_route(
            attrs["route_type"], attrs["value"], attrs["alias"], attrs.get("edge_strategy_id")
        )
        item = self._route_item(request, route)
        return _document({"data": item, "links": item["links"]}, 201)

    def update_route(self, request: Request, route_id: str) -> Response:
        route = self.backend.update_route(route_id, self._route_attributes(request, partial=True))
        item = self._route_item(request, route)
        return _document({"data": item, "links": item["links"]})

    def delete_route(self, request: Request, route_id: str) -> Response:
        self.backend.delete_route(route_id)
        return Response(status=204)

    # -- E911 addresses ----------------------------------------------------------------------

    def _e911_item(self, request: Request, record: E911Record) -> dict[str, Any]:
        return {
            "type": "e911",
            "id": record.id,
            "attributes": record.fields(),
            "links": {"self": f"{self._root(request)}/v2/e911s/{record.id}"},
        }

    @staticmethod
    def _e911_attributes(request: Request) -> dict[str, Any]:
        # The SDKs differ: type "e911" or "e911s" (.NET), with or without a Content-Type.
        data = _json_body(request).get("data")
        typed = isinstance(data, dict) and data.get("type", "e911") in ("e911", "e911s")
        attrs = data.get("attributes") if typed and isinstance(data, dict) else None
        if not isinstance(attrs, dict):
            raise exc.HttpBadRequest(
                'Body must be {"data": {"type": "e911", "attributes": {...}}}.'
            )
        return {k: v for k, v in attrs.items() if k in E911_FIELDS}

    def list_e911s(self, request: Request) -> Response:
        limit, offset = _paging(request.args, MAX_E911_LIMIT)
        filters = {k: request.args[k] for k in E911_FILTERS if request.args.get(k)}
        page = self.backend.list_e911s(filters, limit, offset)
        items = [self._e911_item(request, r) for r in page.items]
        return self._list_document(request, page, items, filters, limit, offset)

    def get_e911(self, request: Request, e911_id: str) -> Response:
        item = self._e911_item(request, self.backend.get_e911(e911_id))
        return _document({"data": item, "links": item["links"]})

    def validate_e911(self, request: Request) -> Response:
        self.backend.validate_e911(self._e911_attributes(request))
        return Response(status=204)

    def create_e911(self, request: Request) -> Response:
        item = self._e911_item(request, self.backend.create_e911(self._e911_attributes(request)))
        return _document({"data": item, "links": item["links"]}, 201)

    def update_e911(self, request: Request, e911_id: str) -> Response:
        record = self.backend.update_e911(e911_id, self._e911_attributes(request))
        item = self._e911_item(request, record)
        return _document({"data": item, "links": item["links"]})

    def delete_e911(self, request: Request, e911_id: str) -> Response:
        self.backend.delete_e911(e911_id)
        return Response(status=204)

    def e911_numbers(self, request: Request, e911_id: str) -> Response:
        items = [
            {
                "type": "number",
                "id": relationship,
                "attributes": {"alias": number.alias, "value": number.value},
            }
            for relationship, number in self.backend.e911_numbers(e911_id)
        ]
        return _document({"data": items, "links": {"self": request.url}})

    def assign_e911(self, request: Request, number: str, e911_id: str) -> Response:
        self.backend.assign_e911(number, e911_id)
        return Response(status=204)

    def unassign_e911(self, request: Request, number: str) -> Response:
        self.backend.unassign_e911(number)
        return Response(status=204)

    # -- CNAM records --------------------------------------------------------------------------

    def _cnam_item(self, request: Request, record: CnamRecord) -> dict[str, Any]:
        item: dict[str, Any] = {
            "type": "cnam",
            "id": record.id,
            "attributes": {
                "approval_datetime": record.approval_datetime,
                "creation_datetime": record.creation_datetime,
                "is_approved": record.is_approved,
                "rejection_reason": record.rejection_reason,
                "value": record.value,
            },
            "links": {"self": f"{self._root(request)}/v2/cnams/{record.id}"},
        }
        numbers = self.backend.cnam_numbers(record.id)
        if record.is_approved and numbers:
            item["relationships"] = {
                "numbers": {"data": [{"type": "number", "id": n} for n in numbers]}
            }
        return item

    def list_cnams(self, request: Request) -> Response:
        limit, offset = _paging(request.args, MAX_E911_LIMIT)
        raw = request.args.get("is_approved")
        approved = None if raw is None else _flag("is_approved", raw)
        value = request.args.get("value") or None
        page = self.backend.list_cnams(value, approved, limit, offset)
        query = {k: request.args[k] for k in ("value", "is_approved") if request.args.get(k)}
        items = [self._cnam_item(request, r) for r in page.items]
        return self._list_document(request, page, items, query, limit, offset)

    def get_cnam(self, request: Request, cnam_id: str) -> Response:
        item = self._cnam_item(request, self.backend.get_cnam(cnam_id))
        return _document({"data": item, "links": item["links"]})

    def create_cnam(self, request: Request) -> Response:
        # JSON as documented, or a form body as the Python SDK sends it.
        if request.mimetype == FORM:
            value = request.form.get("value")
        else:
            value = _json_body(request).get("value")
        item = self._cnam_item(request, self.backend.create_cnam(value))
        return _document({"data": item, "links": item["links"]}, 201)

    def update_cnam(self, request: Request, cnam_id: str) -> Response:
        data = _json_body(request).get("data")
        attributes = data.get("attributes") if isinstance(data, dict) else None
        if not isinstance(attributes, dict) or "value" not in attributes:
            raise exc.HttpBadRequest(
                'Body must be {"data": {"type": "cnam", "attributes": {"value": "..."}}}.'
            )
        item = self._cnam_item(request, self.backend.update_cnam(cnam_id, attributes["value"]))
        return _document({"data": item, "links": item["links"]})

    def delete_cnam(self, request: Request, cnam_id: str) -> Response:
        self.backend.delete_cnam(cnam_id)
        return Response(status=204)

    def assign_cnam(self, request: Request, number: str, _path: str, cnam_id: str) -> Response:
        created = self.backend.assign_cnam(number, cnam_id)
        body = {
            "data": {"attributes": {"date_created": created}, "id": int(cnam_id), "type": "cnam"}
        }
        return _document(body, 202)

    def unassign_cnam(self, request: Request, number: str, _path: str) -> Response:
        created = self.backend.unassign_cnam(number)
        body = {"data": {"attributes": {"date_created": created}, "id": None, "type": "cnam"}}
        return _document(body, 202)

    # -- messaging callbacks -----------------------------------------------------------------

    def get_callback(self, request: Request, kind: str) -> Response:
        attributes = {
            "api_version": "v2.1",
            "callback_url": self.backend.callback(kind),
            "product": kind.removesuffix("_callback"),
        }
        return _document({"data": {"type": "callback", "attributes": attributes}})

    def set_callback(self, request: Request, version: str, kind: str) -> Response:
        # Wrapped as the Python SDK sends it, or flat as the PHP SDK does.
        body = _json_body(request)
        data = body.get("data")
        attributes = data.get("attributes") if isinstance(data, dict) else body
        url = attributes.get("callback_url") if isinstance(attributes, dict) else None
        if url is None:
            raise exc.HttpBadRequest(
                'Body must be {"data": {"attributes": {"callback_url": ...}}}.'
            )
        if version == "v2.1" and kind not in CALLBACK_KINDS_V21:
            raise exc.HttpNotFound(f"{kind} is a v2.2 callback; use /v2.2/messages/{kind}.")
        self.backend.set_callback(kind, url)
        return Response(status=204)

    def remove_callback(self, request: Request, kind: str) -> Response:
        self.backend.remove_callback(kind)
        return Response(status=204)

    # -- control surface ---------------------------------------------------------------------

    def control_reset(self, request: Request) -> Response:
        body = _json_body(request)
        self.backend.reset(**{k: body[k] for k in ("seed", "balance") if k in body})
        return Response(status=204)

    def control_seed_number(self, request: Request) -> Response:
        body = _json_body(request)
        record = self.backend.seed_number(str(body["number"]), alias=body.get("alias"))
        return self._number_document(request, record, 201)

    def control_decide_cnam(self, request: Request, cnam_id: str, decision: str) -> Response:
        reason = _json_body(request).get("reason") or "Rejected by review."
        self.backend.decide_cnam(cnam_id, None if decision == "approve" else str(reason))
        return Response(status=204)

    def control_balance(self, request: Request) -> Response:
        self.backend.set_balance(float(_json_body(request)["balance"]))
        return Response(status=204)

    def control_requests(self, request: Request) -> Response:
        return _document({"requests": [asdict(r) for r in self.backend.request_log()]})

    def control_clear_requests(self, request: Request) -> Response:
        self.backend.clear_request_log()
        return Response(status=204)

    def control_add_fault(self, request: Request) -> Response:
        self.backend.add_fault(Fault(**_json_body(request)))
        return Response(status=204)

    def control_clear_faults(self, request: Request) -> Response:
        self.backend.clear_faults()
        return Response(status=204)
