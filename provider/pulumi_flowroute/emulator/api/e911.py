"""E911 addresses and their numbers."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from .. import exceptions as exc
from ..models import (
    E911Record,
)
from ..rules import E911_FIELDS
from .base import (
    MAX_RECORDS_LIMIT,
    Api,
    document,
    json_body,
    paging,
)

E911_FILTERS = ("label", "street_name", "city", "state")


class E911Api(Api):
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
        data = json_body(request).get("data")
        typed = isinstance(data, dict) and data.get("type", "e911") in ("e911", "e911s")
        attrs = data.get("attributes") if typed and isinstance(data, dict) else None
        if not isinstance(attrs, dict):
            raise exc.HttpBadRequest(
                'Body must be {"data": {"type": "e911", "attributes": {...}}}.'
            )
        return {k: v for k, v in attrs.items() if k in E911_FIELDS}

    def list_e911s(self, request: Request) -> Response:
        limit, offset = paging(request.args, MAX_RECORDS_LIMIT)
        filters = {k: request.args[k] for k in E911_FILTERS if request.args.get(k)}
        page = self.backend.list_e911s(filters, limit, offset)
        items = [self._e911_item(request, r) for r in page.items]
        return self._list_document(request, page, items, filters, limit, offset)

    def get_e911(self, request: Request, e911_id: str) -> Response:
        item = self._e911_item(request, self.backend.get_e911(e911_id))
        return document({"data": item, "links": item["links"]})

    def validate_e911(self, request: Request) -> Response:
        self.backend.validate_e911(self._e911_attributes(request))
        return Response(status=204)

    def create_e911(self, request: Request) -> Response:
        item = self._e911_item(request, self.backend.create_e911(self._e911_attributes(request)))
        return document({"data": item, "links": item["links"]}, 201)

    def update_e911(self, request: Request, e911_id: str) -> Response:
        record = self.backend.update_e911(e911_id, self._e911_attributes(request))
        item = self._e911_item(request, record)
        return document({"data": item, "links": item["links"]})

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
        return document({"data": items, "links": {"self": request.url}})

    def assign_e911(self, request: Request, number: str, e911_id: str) -> Response:
        self.backend.assign_e911(number, e911_id)
        return Response(status=204)

    def unassign_e911(self, request: Request, number: str) -> Response:
        self.backend.unassign_e911(number)
        return Response(status=204)
