"""What every area of the emulated API shares: JSON:API documents, errors, paging."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from .. import exceptions as exc
from ..models import (
    FlowrouteBackend,
    NumberRecord,
    Page,
    RouteRecord,
)

JSONAPI = "application/vnd.api+json"
FORM = "application/x-www-form-urlencoded"
# Form bodies: the Python SDK sends one to create a CNAM record; elsewhere they fail as not JSON.
ACCEPTED_CONTENT_TYPES = ("application/json", JSONAPI, FORM)
DEFAULT_LIMIT = 10
MAX_LIMIT = 200
# E911 addresses and CNAM records list in larger pages than numbers and routes.
MAX_RECORDS_LIMIT = 2000

StartResponse = Callable[..., Any]


def document(body: Any, status: int = 200) -> Response:
    # One bytes body: the server sends it with the headers in as few writes as possible.
    return Response(json.dumps(body, separators=(",", ":")), status=status, content_type=JSONAPI)


def error_response(status: int, title: str | None, detail: Any) -> Response:
    error: dict[str, Any] = {"id": str(uuid.uuid4()), "status": status}
    if title is not None:
        error["title"] = title
    if detail is not None:
        error["detail"] = detail
    response = document({"errors": [error]}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Flowroute API"'
    return response


def json_body(request: Request) -> dict[str, Any]:
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


def flag(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise exc.HttpUnprocessable({name: ["must be true or false"]})


def paging(args: MultiDict[str, str], most: int = MAX_LIMIT) -> tuple[int, int]:
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


class Api:
    """What every area's endpoints share: the backend, and how numbers, routes and lists render."""

    backend: FlowrouteBackend

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
        return document({"data": items, "links": links})

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
        return document({"data": data, "included": included, "links": data["links"]}, status)
