"""Caller-name (CNAM) records and their numbers."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from .. import exceptions as exc
from ..models import (
    CnamRecord,
)
from .base import (
    FORM,
    MAX_RECORDS_LIMIT,
    Api,
    document,
    flag,
    json_body,
    paging,
)


class CnamApi(Api):
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
        limit, offset = paging(request.args, MAX_RECORDS_LIMIT)
        raw = request.args.get("is_approved")
        approved = None if raw is None else flag("is_approved", raw)
        value = request.args.get("value") or None
        page = self.backend.list_cnams(value, approved, limit, offset)
        query = {k: request.args[k] for k in ("value", "is_approved") if request.args.get(k)}
        items = [self._cnam_item(request, r) for r in page.items]
        return self._list_document(request, page, items, query, limit, offset)

    def get_cnam(self, request: Request, cnam_id: str) -> Response:
        item = self._cnam_item(request, self.backend.get_cnam(cnam_id))
        return document({"data": item, "links": item["links"]})

    def create_cnam(self, request: Request) -> Response:
        # JSON as documented, or a form body as the Python SDK sends it.
        if request.mimetype == FORM:
            value = request.form.get("value")
        else:
            value = json_body(request).get("value")
        item = self._cnam_item(request, self.backend.create_cnam(value))
        return document({"data": item, "links": item["links"]}, 201)

    def update_cnam(self, request: Request, cnam_id: str) -> Response:
        data = json_body(request).get("data")
        attributes = data.get("attributes") if isinstance(data, dict) else None
        if not isinstance(attributes, dict) or "value" not in attributes:
            raise exc.HttpBadRequest(
                'Body must be {"data": {"type": "cnam", "attributes": {"value": "..."}}}.'
            )
        item = self._cnam_item(request, self.backend.update_cnam(cnam_id, attributes["value"]))
        return document({"data": item, "links": item["links"]})

    def delete_cnam(self, request: Request, cnam_id: str) -> Response:
        self.backend.delete_cnam(cnam_id)
        return Response(status=204)

    def assign_cnam(self, request: Request, number: str, _path: str, cnam_id: str) -> Response:
        created = self.backend.assign_cnam(number, cnam_id)
        body = {
            "data": {"attributes": {"date_created": created}, "id": int(cnam_id), "type": "cnam"}
        }
        return document(body, 202)

    def unassign_cnam(self, request: Request, number: str, _path: str) -> Response:
        created = self.backend.unassign_cnam(number)
        body = {"data": {"attributes": {"date_created": created}, "id": None, "type": "cnam"}}
        return document(body, 202)
