"""The emulator's own control routes (``/_emulator/``): reset, seed, faults, the log."""

from __future__ import annotations

from dataclasses import asdict

from werkzeug.wrappers import Request, Response

from ..models import (
    Fault,
)
from .base import (
    Api,
    document,
    json_body,
)


class ControlsApi(Api):
    def control_reset(self, request: Request) -> Response:
        body = json_body(request)
        self.backend.reset(**{k: body[k] for k in ("seed", "balance") if k in body})
        return Response(status=204)

    def control_seed_number(self, request: Request) -> Response:
        body = json_body(request)
        record = self.backend.seed_number(str(body["number"]), alias=body.get("alias"))
        return self._number_document(request, record, 201)

    def control_decide_cnam(self, request: Request, cnam_id: str, decision: str) -> Response:
        reason = json_body(request).get("reason") or "Rejected by review."
        self.backend.decide_cnam(cnam_id, None if decision == "approve" else str(reason))
        return Response(status=204)

    def control_balance(self, request: Request) -> Response:
        self.backend.set_balance(float(json_body(request)["balance"]))
        return Response(status=204)

    def control_requests(self, request: Request) -> Response:
        return document({"requests": [asdict(r) for r in self.backend.request_log()]})

    def control_clear_requests(self, request: Request) -> Response:
        self.backend.clear_request_log()
        return Response(status=204)

    def control_add_fault(self, request: Request) -> Response:
        self.backend.add_fault(Fault(**json_body(request)))
        return Response(status=204)

    def control_clear_faults(self, request: Request) -> Response:
        self.backend.clear_faults()
        return Response(status=204)
