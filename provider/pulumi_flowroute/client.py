"""The Flowroute v2 HTTP client: one method per API call, over :class:`~.transport.Transport`.

The records it returns are in :mod:`.records`; how it sends (retries, timeouts, paging) is in
:mod:`.transport`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .records import (
    ADDRESS_FIELDS,
    BUILTIN_ROUTE_ID,
    AvailableNumber,
    CallerName,
    EdgeStrategy,
    EmergencyAddress,
    Number,
    Route,
    UnexpectedDocument,
    address_document,
    address_numbers_document,
    callback_document,
    caller_name_document,
    caller_name_request_document,
    details_of,
    edge_strategies_document,
    route_document,
)
from .transport import (
    API_VERSION,
    CONNECT_TIMEOUT,
    MAX_BODY_BYTES,
    RetryPolicy,
    Transport,
)

__all__ = [
    "ADDRESS_FIELDS",
    "API_VERSION",
    "BUILTIN_ROUTE_ID",
    "CONNECT_TIMEOUT",
    "MAX_BODY_BYTES",
    "AvailableNumber",
    "CallerName",
    "EdgeStrategy",
    "EmergencyAddress",
    "FlowrouteClient",
    "Number",
    "RetryPolicy",
    "Route",
    "UnexpectedDocument",
]


class FlowrouteClient(Transport):
    """Flowroute API v2: numbers, routes, E911 addresses, caller names and messaging webhooks.

    Build one directly, or from a stack's settings with :func:`pulumi_flowroute.connect`
    (which also wires ``emulator:PATH``)::

        client = FlowrouteClient("12345678", secret, base_url="https://api.flowroute.com")
        for item in client.search_available(starts_with="206", limit=5):
            ...

    The client is safe to share between threads: ``requests.Session`` connection pools are.
    """

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
        yield from self._pages("/numbers", params, limit, Number.from_resource)

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
        yield from self._pages(
            "/numbers/available", params, limit, AvailableNumber.from_resource, offset
        )

    def purchase_number(self, number: str) -> Number:
        """Buy ``number``. Not retried after anything but a 429: settle doubts with get_number."""
        return self._document(details_of(number), "POST", f"/numbers/{number}")

    def get_number(self, number: str) -> Number:
        """Details of a number on the account, with its primary and failover routes."""
        return self._document(details_of(number), "GET", f"/numbers/{number}")

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
        yield from self._pages("/routes", {"route_type": route_type}, limit, Route.from_resource)

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
        return self._document(route_document, "POST", "/routes", json_body=body)

    def update_route(self, route_id: str, **attributes: Any) -> Route:
        """Change any of ``route_type``, ``value``, ``alias``, ``edge_strategy_id``."""
        body = {"data": {"type": "route", "id": str(route_id), "attributes": attributes}}
        return self._document(route_document, "PATCH", f"/routes/{route_id}", json_body=body)

    def list_edge_strategies(self) -> list[EdgeStrategy]:
        """The edge strategies a route's ``edge_strategy_id`` may name."""
        return self._document(
            edge_strategies_document, "GET", "/routes/edge_strategies", optional=True
        )

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
        yield from self._pages("/e911s", params, limit, EmergencyAddress.from_resource)

    def get_address(self, e911_id: str) -> EmergencyAddress:
        return self._document(address_document, "GET", f"/e911s/{e911_id}")

    def create_address(self, fields: Mapping[str, str | None]) -> EmergencyAddress:
        """Validate and create an address. Not retried: settle doubts by listing."""
        return self._document(address_document, "POST", "/e911s", json_body=_address_body(fields))

    def update_address(self, e911_id: str, fields: Mapping[str, str | None]) -> EmergencyAddress:
        """Revalidate and replace the address with ``fields`` (send them all: an absent unit
        would otherwise stay); the numbers using it follow."""
        return self._document(
            address_document, "PATCH", f"/e911s/{e911_id}", json_body=_address_body(fields)
        )

    def delete_address(self, e911_id: str) -> None:
        """Delete an address; Flowroute refuses while a number uses it."""
        self._send("DELETE", f"/e911s/{e911_id}")

    def address_numbers(self, e911_id: str) -> list[str]:
        """The numbers using an address (their values: the items' ids are relationship ids)."""
        path = f"/e911s/{e911_id}/relationships/numbers"
        return self._document(address_numbers_document, "GET", path, optional=True)

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
        params = {"value": value, "is_approved": approved}
        yield from self._pages("/cnams", params, limit, CallerName.from_resource)

    def get_caller_name(self, cnam_id: str) -> CallerName:
        return self._document(caller_name_document, "GET", f"/cnams/{cnam_id}")

    def create_caller_name(self, value: str) -> CallerName:
        """Ask for a caller name; Flowroute reviews it (up to 48 hours). Not retried."""
        return self._document(caller_name_document, "POST", "/cnams", json_body={"value": value})

    def update_caller_name(self, cnam_id: str, value: str) -> CallerName:
        """Change a record still pending review."""
        body = {"data": {"type": "cnam", "attributes": {"value": value}}}
        return self._document(caller_name_document, "PATCH", f"/cnams/{cnam_id}", json_body=body)

    def delete_caller_name(self, cnam_id: str) -> None:
        """Delete a record; Flowroute takes it off every number using it."""
        self._send("DELETE", f"/cnams/{cnam_id}")

    def assign_caller_name(self, number: str, cnam_id: str) -> str | None:
        """Request the record for ``number`` (days to take effect); returns when it was asked."""
        path = f"/numbers/{number}/relationships/cnams/{cnam_id}"
        return self._document(caller_name_request_document, "PATCH", path, optional=True)

    def unassign_caller_name(self, number: str) -> None:
        """Request that ``number`` show no caller name from a record."""
        self._send("DELETE", f"/numbers/{number}/relationships/cnams")

    # -- messaging webhooks ------------------------------------------------------------------

    def get_callback(self, kind: str) -> str | None:
        """The account's webhook URL for ``kind`` (``sms``, ``mms`` or ``dlr``), or None."""
        path = f"/messages/{kind}_callback"
        return self._document(callback_document, "GET", path, version="v2.1", optional=True)

    def set_callback(self, kind: str, url: str) -> None:
        """Post the account's ``kind`` messages (or delivery receipts) to ``url``."""
        body = {"data": {"attributes": {"callback_url": url}}}
        self._send("PUT", f"/messages/{kind}_callback", version="v2.1", json_body=body)

    def clear_callback(self, kind: str) -> None:
        """Stop posting the account's ``kind`` messages anywhere (a v2.2 endpoint)."""
        self._send("DELETE", f"/messages/{kind}_callback", version="v2.2")


def _address_body(fields: Mapping[str, str | None]) -> dict[str, Any]:
    return {"data": {"type": "e911", "attributes": {k: fields.get(k) for k in ADDRESS_FIELDS}}}
