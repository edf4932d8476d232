"""What the ``flowroute`` provider plugin serves, and how its names map to the library's.

The plugin is a second front door to the same resources: each ``flowroute:index:<Name>`` type
is served by the provider class of the library's ``<Name>`` resource, its inputs are that
class's ``...Args`` and its outputs the class's ``pulumi.Output`` annotations. Names cross
the boundary camelCased (Pulumi's convention for schemas and every language but Python).
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from .. import lookups
from ..cnam_assignment import CnamAssignment
from ..cnam_record import CnamRecord
from ..e911_address import E911Address
from ..e911_assignment import E911Assignment
from ..inbound_route import InboundRoute
from ..messaging_callbacks import MessagingCallbacks
from ..number_routing import NumberRouting
from ..phone_number import PhoneNumber
from ..provider_base import FlowrouteResource

PACKAGE = "flowroute"

#: The resources, by the name their type token ends in.
RESOURCES: dict[str, type[FlowrouteResource]] = {
    cls.__name__: cls
    for cls in (
        PhoneNumber,
        InboundRoute,
        NumberRouting,
        E911Address,
        E911Assignment,
        CnamRecord,
        CnamAssignment,
        MessagingCallbacks,
    )
}


def token(name: str) -> str:
    """The type token of ``name`` in this package: ``flowroute:index:PhoneNumber``."""
    return f"{PACKAGE}:index:{name}"


def type_name(type_token: str) -> str:
    """``PhoneNumber`` for ``flowroute:index:PhoneNumber`` (or ``flowroute:PhoneNumber``)."""
    return type_token.rsplit(":", 1)[-1]


def camel(name: str) -> str:
    """``cnam_lookups_enabled`` -> ``cnamLookupsEnabled``; bookkeeping (``__name``) as it is."""
    if name.startswith("_"):
        return name
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(name: str) -> str:
    """``cnamLookupsEnabled`` -> ``cnam_lookups_enabled``; bookkeeping (``__name``) as it is."""
    if name.startswith("_"):
        return name
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def outputs(cls: type[FlowrouteResource]) -> dict[str, Any]:
    """Every output of a resource class, by its Python name, with the type it holds."""
    return {
        # Read as declared: a resource module's annotations are evaluated (schema.Inputs).
        name: typing.get_args(hint)[0]
        for name, hint in cls.__annotations__.items()
        if getattr(hint, "__origin__", None) is pulumi.Output
    }


@dataclass(frozen=True)
class Lookup:
    """A lookup served as a function: ``flowroute:index:getNumbers``, say.

    ``function`` takes the Python keyword arguments (``arguments``, by name and type;
    ``required`` those without a default) and returns a ``returns``; ``result`` names the one
    output property that holds it.
    """

    function: Callable[..., Any]
    result: str
    arguments: Mapping[str, Any]
    required: tuple[str, ...]
    returns: Any


#: A lookup's keywords that pick its account in a Python program: here the function is served
#: by the plugin's own provider instance, so they are no arguments of it.
ACCOUNT_KEYWORDS = ("provider", "opts")


def _lookup(function: Callable[..., Any], result: str) -> Lookup:
    hints = typing.get_type_hints(function)
    returns = hints.pop("return")
    hints = {name: hint for name, hint in hints.items() if name not in ACCOUNT_KEYWORDS}
    params = inspect.signature(function).parameters.values()
    required = tuple(p.name for p in params if p.default is inspect.Parameter.empty)
    return Lookup(function, result, hints, required, returns)


#: The lookups, by function token name.
LOOKUPS: dict[str, Lookup] = {
    "getAvailableNumbers": _lookup(lookups.get_available_numbers, "numbers"),
    "getNumber": _lookup(lookups.get_number, "number"),
    "getNumbers": _lookup(lookups.get_numbers, "numbers"),
    "getE911Addresses": _lookup(lookups.get_e911_addresses, "addresses"),
    "getCnamRecords": _lookup(lookups.get_cnam_records, "records"),
    "getEdgeStrategies": _lookup(lookups.get_edge_strategies, "strategies"),
}
