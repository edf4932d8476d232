"""What the Flowroute API answers, as typed records: each parses its JSON:API document and
refuses, with :class:`UnexpectedDocument`, one that is not what it says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

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


def details_of(asked: str) -> Callable[[Mapping[str, Any]], Number]:
    """A parser of a number's details that refuses a document about another number."""

    def parse(document: Mapping[str, Any]) -> Number:
        number = Number.from_document(document)
        if number.value != asked:
            raise UnexpectedDocument(f"the details of {number.value!r} instead of {asked}")
        return number

    return parse


def route_document(document: Mapping[str, Any]) -> Route:
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
    """An E911 address record, as Flowroute stores it (``id`` is the ``e911_id``).

    Every field is as the answer gave it: ``None`` when it was missing or empty (a record made
    in the portal, or an answer we did not expect), never a guess.
    """

    id: str
    label: str | None
    first_name: str | None
    last_name: str | None
    street_number: str | None
    street_name: str | None
    city: str | None
    state: str | None
    country: str | None
    zip: str | None
    address_type: str | None = None
    address_type_number: str | None = None

    @classmethod
    def from_resource(cls, item: Mapping[str, Any]) -> EmergencyAddress:
        attrs = item.get("attributes") or {}

        def text(name: str) -> str | None:
            value = attrs.get(name)
            return None if value is None or value == "" else str(value)

        return cls(id=str(item["id"]), **{name: text(name) for name in ADDRESS_FIELDS})

    def fields(self) -> dict[str, str | None]:
        """The address without its id, as :meth:`FlowrouteClient.create_address` takes it."""
        return {name: getattr(self, name) for name in ADDRESS_FIELDS}


def address_document(document: Mapping[str, Any]) -> EmergencyAddress:
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


def caller_name_document(document: Mapping[str, Any]) -> CallerName:
    return CallerName.from_resource(document["data"])
