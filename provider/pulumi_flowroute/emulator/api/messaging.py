"""The account's messaging webhooks (v2.1 and v2.2)."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from .. import exceptions as exc
from ..rules import CALLBACK_KINDS_V21
from .base import (
    Api,
    document,
    json_body,
)


class MessagingApi(Api):
    def get_callback(self, request: Request, kind: str) -> Response:
        attributes = {
            "api_version": "v2.1",
            "callback_url": self.backend.callback(kind),
            "product": kind.removesuffix("_callback"),
        }
        return document({"data": {"type": "callback", "attributes": attributes}})

    def set_callback(self, request: Request, version: str, kind: str) -> Response:
        # Wrapped as the Python SDK sends it, or flat as the PHP SDK does.
        body = json_body(request)
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
