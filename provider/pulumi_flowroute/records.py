"""What the Flowroute API answers, as typed records: each parses its JSON:API document and
refuses, with :class:`UnexpectedDocument`, one that is not what it says.

An answer is read within bounds (:func:`load`): how deep it nests, how many digits an integer
has, no number that is not finite. Past a bound the answer is not Flowroute's, and is refused
like any other document of the wrong shape: one line of MalformedResponse, which a write
settles by reading. Each field a record keeps is bounded too, by what it is used for:

- an id (a number's value, a route's, an address's, a caller name's, and the ids they relate
  to) is ASCII digits, or the answer is refused: it is the resource's id in the state and goes
  into the path of the next request (``1/../numbers`` would name another endpoint);
- a whole number (``edge_strategy_id``) or a price is one of its range, or refused;
- a text (an alias, a route's value, an address line, a caller name, a webhook URL, a date) is
  at most :data:`MAX_TEXT` characters, or refused; within that it is kept as the answer gives
  it, control characters and bidi marks included, never escaped or cut. An alias is compared
  with the alias the user wrote: inputs hold no control character, so one that does differs
  from any alias a user gives, and ``up`` writes the user's. An escaped copy (``Main\\x1b``)
  could equal an alias a user wrote while the account holds another, and refusing it would
  make one alias set in the portal block every read and listing of the account. It is escaped
  where it is shown instead: the providers print through :func:`~.errors.for_terminal`, errors
  reach the CLI through it, and Pulumi's own display quotes strings (Go's ``%q``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from .values import MAX_EDGE_STRATEGY_ID, is_digits

BUILTIN_ROUTE_ID = "0"

#: How deep an answer may nest. A JSON:API document nests six levels at most (``included``,
#: an item, ``relationships``, a relationship, ``data``, its members), a validation error's
#: detail two more; parsing a deeper one would recurse as far as the sender likes.
MAX_NESTING = 32
#: The digits of an integer: 19 hold any 64-bit one, and Flowroute's ids are 32-bit. Python
#: refuses to parse one of more than 4,300 digits (as "not JSON"), and parses 4,000 slowly.
MAX_INTEGER_DIGITS = 19
#: The longest text a record keeps (an alias, a route's URI, an address line, a webhook URL):
#: Flowroute's own fields are far shorter (an alias 64, a caller name 15).
MAX_TEXT = 2048


class UnexpectedDocument(ValueError):
    """An answer that is not a document this client can use: about something other than what
    was asked, or past a bound (too deep, an integer too long, a field that is not its kind)."""


def _shown(raw: Any) -> str:
    """A value from an answer as a refusal quotes it: its repr (control characters and bidi
    marks escaped), cut short."""
    text = repr(raw)
    return text if len(text) <= 40 else f"{text[:40]}... ({len(text)} characters)"


# -- reading a body within bounds ---------------------------------------------------------------

# A string, to its closing quote or the end: it always matches where it starts, so a body of
# escaped quotes with no closing one is read once, not once per quote.
_STRING = re.compile(r'"[^"\\]*(?:\\.?[^"\\]*)*(?:"|\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _deeper_than(text: str, levels: int) -> bool:
    """Whether the JSON ``text`` nests deeper than ``levels``, found without recursing.

    The strings go (a bracket in one nests nothing), then everything but brackets; the depth
    after each bracket is the running sum of +1 (opening) and -1 (closing), read until one
    passes ``levels``. Brackets that do not pair are left for the parser to refuse.
    """
    if text.count("[") + text.count("{") <= levels:
        return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depths = accumulate(map(_STEP.__getitem__, brackets))
    return next(filter(levels.__lt__, depths), None) is not None


def _integer(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_INTEGER_DIGITS:
        raise UnexpectedDocument(
            f"an integer of {digits} digits (at most {MAX_INTEGER_DIGITS} are read)"
        )
    return int(text)


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise UnexpectedDocument(f"a number out of range ({_shown(text)})")
    return number


def _constant(name: str) -> Any:
    raise UnexpectedDocument(f"{name}, which is not a JSON number")


def load(body: bytes) -> Any:
    """The JSON document in ``body``, read within bounds: at most :data:`MAX_NESTING` deep,
    integers of at most :data:`MAX_INTEGER_DIGITS` digits, only finite numbers (no ``NaN``,
    ``Infinity`` or ``1e999999``). Raises :class:`UnexpectedDocument` past a bound, and
    ``ValueError`` for a body that is not JSON at all.
    """
    # As json.loads reads bytes: UTF-8, -16 or -32, by the first bytes.
    text = body.decode(json.detect_encoding(body), "surrogatepass")
    if _deeper_than(text, MAX_NESTING):
        raise UnexpectedDocument(f"a document nested deeper than {MAX_NESTING} levels")
    return json.loads(text, parse_int=_integer, parse_float=_finite, parse_constant=_constant)


# -- fields, each of its kind -------------------------------------------------------------------


def _id(raw: Any, name: str) -> str:
    """An id (or a number's value): ASCII digits, as text. It names a record in the state and
    in the path of the next request, so nothing else is taken for one."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return str(raw)
    if isinstance(raw, str) and is_digits(raw) and len(raw) <= MAX_INTEGER_DIGITS:
        return raw
    raise UnexpectedDocument(f"a {name} of {_shown(raw)}, which is not an id")


def _text(raw: Any, name: str) -> str | None:
    """A text field, as given (see the module's docstring), at most :data:`MAX_TEXT` long."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise UnexpectedDocument(f"a {name} of {_shown(raw)}, which is not text")
    text = raw if isinstance(raw, str) else str(raw)
    if len(text) > MAX_TEXT:
        raise UnexpectedDocument(
            f"a {name} of {len(text)} characters (at most {MAX_TEXT} are kept)"
        )
    return text


def _whole(raw: Any, name: str, maximum: int) -> int | None:
    """A whole number from 0 to ``maximum``, or None."""
    if raw is None:
        return None
    whole_float = isinstance(raw, float) and raw.is_integer()
    digit_text = isinstance(raw, str) and is_digits(raw) and len(raw) <= MAX_INTEGER_DIGITS
    number = int(raw) if whole_float or digit_text else raw
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= maximum:
        raise UnexpectedDocument(
            f"a {name} of {_shown(raw)}, which is not a whole number from 0 to {maximum}"
        )
    return number


def _price(raw: Any, name: str) -> float | None:
    """A price in US dollars: a finite number, 0 or more (a numeric string too), or None."""
    if raw is None:
        return None
    try:
        price = None if isinstance(raw, bool) else float(raw)
    except (TypeError, ValueError):
        price = None
    if price is None or not math.isfinite(price) or price < 0:
        raise UnexpectedDocument(f"a {name} of {_shown(raw)}, which is not a price")
    return price


_NUMBER_TYPES = {
    "standard": "standard",
    "longcode": "standard",
    "tollfree": "tollfree",
    "toll-free": "tollfree",
}


def _number_type(raw: Any) -> str | None:
    """Fold the old (standard/tollfree) and new (longcode/toll-free) spellings into one."""
    text = _text(raw, "number_type")
    if text is None:
        return None
    return _NUMBER_TYPES.get(text.lower(), text.lower())


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
            value=_id(attrs.get("value") or item["id"], "number"),
            number_type=_number_type(attrs.get("number_type")),
            rate_center=_text(attrs.get("rate_center"), "rate_center"),
            state=_text(attrs.get("state"), "state"),
            setup_cost=_price(attrs.get("setup_cost"), "setup_cost"),
            monthly_cost=_price(attrs.get("monthly_cost"), "monthly_cost"),
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
        return cls(
            id=_id(item["id"], "route id"),
            route_type=str(_text(attrs.get("route_type"), "route_type")),
            value=_text(attrs.get("value"), "route value"),
            alias=_text(attrs.get("alias"), "route alias"),
            edge_strategy_id=_whole(
                attrs.get("edge_strategy_id"), "edge_strategy_id", MAX_EDGE_STRATEGY_ID
            ),
        )


@dataclass(frozen=True)
class EdgeStrategy:
    """An edge strategy (where Flowroute handles a route's media): ``id`` and its name."""

    id: int
    name: str | None

    @classmethod
    def from_resource(cls, item: Mapping[str, Any]) -> EdgeStrategy:
        attrs = item.get("attributes") or {}
        name = _text(attrs.get("name") or attrs.get("alias"), "edge strategy name")
        strategy = _whole(item["id"], "edge strategy id", MAX_EDGE_STRATEGY_ID)
        if strategy is None:
            raise UnexpectedDocument("an edge strategy without an id")
        return cls(id=strategy, name=name or None)


def edge_strategies_document(document: Mapping[str, Any] | None) -> list[EdgeStrategy]:
    return [EdgeStrategy.from_resource(item) for item in (document or {}).get("data") or ()]


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
    if isinstance(data, dict) and data.get("id") is not None:
        return _id(data["id"], f"{name} id")
    return None


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
            value=_id(attrs.get("value") or item["id"], "number"),
            alias=_text(attrs.get("alias"), "number alias"),
            cnam_lookups_enabled=bool(attrs.get("cnam_lookups_enabled")),
            number_type=_number_type(attrs.get("number_type")),
            rate_center=_text(attrs.get("rate_center"), "rate_center"),
            state=_text(attrs.get("state"), "state"),
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
        fields = {name: _text(attrs.get(name), name) or None for name in ADDRESS_FIELDS}
        return cls(id=_id(item["id"], "e911_id"), **fields)

    def fields(self) -> dict[str, str | None]:
        """The address without its id, as :meth:`FlowrouteClient.create_address` takes it."""
        return {name: getattr(self, name) for name in ADDRESS_FIELDS}


def address_document(document: Mapping[str, Any]) -> EmergencyAddress:
    return EmergencyAddress.from_resource(document["data"])


def address_numbers_document(document: Mapping[str, Any] | None) -> list[str]:
    """The numbers using an address (their values: the items' ids are relationship ids)."""
    return [
        _id(item["attributes"]["value"], "number") for item in (document or {}).get("data") or ()
    ]


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
            id=_id(item["id"], "cnam_id"),
            value=str(_text(attrs["value"], "caller name")),
            is_approved=bool(attrs.get("is_approved")),
            rejection_reason=_text(attrs.get("rejection_reason"), "rejection_reason") or None,
            creation_datetime=_text(attrs.get("creation_datetime"), "creation_datetime"),
            approval_datetime=_text(attrs.get("approval_datetime"), "approval_datetime"),
            numbers=tuple(_id(n["id"], "number") for n in related),
        )


def caller_name_document(document: Mapping[str, Any]) -> CallerName:
    return CallerName.from_resource(document["data"])


def _attribute(document: Mapping[str, Any] | None, name: str) -> str | None:
    return _text(((((document or {}).get("data") or {}).get("attributes")) or {}).get(name), name)


def caller_name_request_document(document: Mapping[str, Any] | None) -> str | None:
    """When a caller name was asked for a number (``date_created``), if the answer says."""
    return _attribute(document, "date_created")


def callback_document(document: Mapping[str, Any] | None) -> str | None:
    """A messaging webhook's URL, or None when none is set."""
    return _attribute(document, "callback_url") or None
