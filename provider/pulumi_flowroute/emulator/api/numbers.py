"""Numbers: the account's, the inventory's, purchases, releases and routing."""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from .. import exceptions as exc
from ..inventory import InventoryItem
from ..rules import MAX_ALIAS_LENGTH
from .base import (
    Api,
    flag,
    json_body,
    paging,
)

DIGIT_FILTERS = ("starts_with", "ends_with", "contains")


def digit_filters(args: MultiDict[str, str]) -> dict[str, str | None]:
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


class NumbersApi(Api):
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
            "links": {"related": f"{Api._root(request)}/v2/numbers/{item.value}"},
        }

    def list_numbers(self, request: Request) -> Response:
        limit, offset = paging(request.args)
        filters = digit_filters(request.args)
        if request.args.get("alias") is not None:
            filters["alias"] = request.args["alias"]
        page = self.backend.list_numbers(filters, limit, offset)
        items = [self._number_item(request, n) for n in page.items]
        return self._list_document(request, page, items, filters, limit, offset)

    def list_available(self, request: Request) -> Response:
        limit, offset = paging(request.args)
        filters = digit_filters(request.args)
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
        options = {**request.args.to_dict(), **json_body(request)}
        cnam = options.get("cnam_lookups_enabled")
        record = self.backend.purchase(
            number,
            cnam_lookups_enabled=flag("cnam_lookups_enabled", cnam) if cnam is not None else False,
        )
        return self._number_document(request, record, 201)

    def get_number(self, request: Request, number: str) -> Response:
        return self._number_document(request, self.backend.get_number(number))

    def update_number(self, request: Request, number: str) -> Response:
        body = json_body(request)
        changes: dict[str, Any] = {}
        if "alias" in body:
            alias = body["alias"]
            if alias is not None and (not isinstance(alias, str) or len(alias) > MAX_ALIAS_LENGTH):
                raise exc.HttpUnprocessable(
                    {"alias": [f"must be a string of at most {MAX_ALIAS_LENGTH} characters"]}
                )
            changes["alias"] = alias
        if "cnam_lookups_enabled" in body:
            changes["cnam_lookups_enabled"] = flag(
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
        data = json_body(request).get("data")
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
