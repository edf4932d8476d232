"""Inbound routes and edge strategies."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from .. import exceptions as exc
from ..rules import EDGE_STRATEGIES, MAX_ALIAS_LENGTH, ROUTE_TYPES
from .base import (
    Api,
    document,
    json_body,
    paging,
)


class RoutesApi(Api):
    def list_routes(self, request: Request) -> Response:
        limit, offset = paging(request.args)
        route_type = request.args.get("route_type") or None
        query = {"route_type": route_type} if route_type else {}
        page = self.backend.list_routes(route_type, limit, offset)
        items = [self._route_item(request, r) for r in page.items]
        return self._list_document(request, page, items, query, limit, offset)

    @staticmethod
    def _route_attributes(request: Request, *, partial: bool) -> dict[str, Any]:
        data = json_body(request).get("data")
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
        return document({"data": items, "links": {"self": request.url}})

    def create_route(self, request: Request) -> Response:
        attrs = self._route_attributes(request, partial=False)
        route = self.backend.create_route(
            attrs["route_type"], attrs["value"], attrs["alias"], attrs.get("edge_strategy_id")
        )
        item = self._route_item(request, route)
        return document({"data": item, "links": item["links"]}, 201)

    def update_route(self, request: Request, route_id: str) -> Response:
        route = self.backend.update_route(route_id, self._route_attributes(request, partial=True))
        item = self._route_item(request, route)
        return document({"data": item, "links": item["links"]})

    def delete_route(self, request: Request, route_id: str) -> Response:
        self.backend.delete_route(route_id)
        return Response(status=204)
