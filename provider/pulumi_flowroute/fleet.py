"""A fleet of numbers described in stack config, validated whole before anything is registered.

The stack program (``__main__.py``) reads two config objects::

    routes:                       # shared routes, declared once by name
      pbx: {route_type: host, value: "sip.example.com:5060"}
    numbers:
      support:
        number: "12065551234"     # or search: {starts_with: "206", state: wa}
        alias: Support line
        primary: pbx              # a shared route's name,
        failover: {route_type: number, value: "12065550100"}   # an inline route,
                                  # or {route_id: "98396"} for a route made elsewhere

Every mistake is reported at once, each with its config path (``numbers.support.primary``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from .components import RoutedNumber
from .errors import FleetConfigError
from .inbound_route import InboundRoute, RouteArgs
from .phone_number import SEARCH_CONVERTERS, SEARCH_FIELDS
from .provider_base import as_alias, as_bool, as_cost, as_id, as_int, as_number
from .values import ROUTE_TYPES, route_value_problem

ROUTE_KEYS = ("route_type", "value", "alias", "edge_strategy_id")
NUMBER_OPTIONS: dict[str, Callable[[Any], Any]] = {
    "alias": as_alias,
    "cnam_lookups_enabled": as_bool,
    "adopt": as_bool,
    "release_on_delete": as_bool,
    "max_setup_cost": as_cost,
    "max_monthly_cost": as_cost,
    "protect": as_bool,
}
NUMBER_KEYS = ("number", "search", "primary", "failover", *NUMBER_OPTIONS)


@dataclass(frozen=True)
class RouteRef:
    """A route named in config: a shared route, an inline one, or an existing id."""

    shared: str | None = None
    inline: RouteArgs | None = None
    route_id: str | None = None


@dataclass(frozen=True)
class NumberEntry:
    name: str
    primary: RouteRef
    failover: RouteRef | None
    number: str | None = None
    search: dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Fleet:
    routes: dict[str, RouteArgs]
    numbers: list[NumberEntry]


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, value: Any, fix: str) -> None:
        self.items.append(f"{path} = {value!r}: {fix}")

    def convert(self, path: str, value: Any, convert: Callable[[Any], Any]) -> Any:
        try:
            return convert(value)
        except ValueError as error:
            self.add(path, value, str(error))
            return None

    def unknown_keys(self, path: str, given: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for key in given:
            if key not in allowed:
                self.add(f"{path}.{key}", given[key], f"unknown key; use {', '.join(allowed)}")


def _route(problems: _Problems, path: str, spec: Any) -> RouteArgs | None:
    if not isinstance(spec, Mapping):
        problems.add(path, spec, "describe the route as {route_type: ..., value: ...}")
        return None
    problems.unknown_keys(path, spec, ROUTE_KEYS)
    route_type, value = spec.get("route_type"), spec.get("value")
    if route_type not in ROUTE_TYPES:
        problems.add(f"{path}.route_type", route_type, f"use one of {', '.join(ROUTE_TYPES)}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value))  # YAML reads an unquoted number route as an int
    if not isinstance(value, str):
        problems.add(f"{path}.value", value, "set the route's destination as a string")
    elif route_type in ROUTE_TYPES:
        problem = route_value_problem(str(route_type), value)
        if problem:
            problems.add(f"{path}.value", value, problem)
    alias = spec.get("alias")
    if alias is not None:
        problems.convert(f"{path}.alias", alias, as_alias)
    edge = spec.get("edge_strategy_id")
    if edge is not None:
        edge = problems.convert(f"{path}.edge_strategy_id", edge, as_int)
    return RouteArgs(
        route_type=str(route_type), value=str(value), alias=alias, edge_strategy_id=edge
    )


def _route_ref(
    problems: _Problems, path: str, spec: Any, shared: Mapping[str, Any]
) -> RouteRef | None:
    if isinstance(spec, str):
        if spec not in shared:
            known = ", ".join(sorted(shared)) or "none are declared"
            problems.add(path, spec, f"no shared route has this name (routes: {known})")
            return None
        return RouteRef(shared=spec)
    if isinstance(spec, Mapping) and set(spec) == {"route_id"}:
        route_id = problems.convert(f"{path}.route_id", spec["route_id"], as_id)
        return RouteRef(route_id=route_id) if route_id else None
    inline = _route(problems, path, spec)
    return RouteRef(inline=inline) if inline else None


def _number(
    problems: _Problems, name: str, spec: Any, shared: Mapping[str, Any]
) -> NumberEntry | None:
    path = f"numbers.{name}"
    if not isinstance(spec, Mapping):
        problems.add(path, spec, "describe the number as {number: ..., primary: ...}")
        return None
    problems.unknown_keys(path, spec, NUMBER_KEYS)
    number = search = None
    if ("number" in spec) == ("search" in spec):
        problems.add(path, dict(spec), "set exactly one of number or search")
    elif "number" in spec:
        number = problems.convert(f"{path}.number", spec["number"], as_number)
    elif not isinstance(spec["search"], Mapping) or not spec["search"]:
        problems.add(
            f"{path}.search", spec["search"], f"give search criteria: {', '.join(SEARCH_FIELDS)}"
        )
    else:
        problems.unknown_keys(f"{path}.search", spec["search"], SEARCH_FIELDS)
        search = {
            k: problems.convert(f"{path}.search.{k}", v, SEARCH_CONVERTERS[k])
            for k, v in spec["search"].items()
            if k in SEARCH_CONVERTERS
        }
    options = {
        key: problems.convert(f"{path}.{key}", spec[key], convert)
        for key, convert in NUMBER_OPTIONS.items()
        if key in spec
    }
    if "primary" not in spec:
        problems.add(f"{path}.primary", None, "name a shared route or describe one inline")
        primary = None
    else:
        primary = _route_ref(problems, f"{path}.primary", spec["primary"], shared)
    failover = (
        _route_ref(problems, f"{path}.failover", spec["failover"], shared)
        if spec.get("failover") is not None
        else None
    )
    if primary is None:
        return None
    return NumberEntry(name, primary, failover, number, search, options)


def parse_fleet(routes: Any, numbers: Any) -> Fleet:
    """Validate the ``routes`` and ``numbers`` config objects; raise every problem at once."""
    problems = _Problems()
    routes = {} if routes is None else routes
    if not isinstance(routes, Mapping):
        problems.add("routes", routes, "map route names to {route_type: ..., value: ...}")
        routes = {}
    if not isinstance(numbers, Mapping) or not numbers:
        problems.add("numbers", numbers, "map at least one entry name to a number description")
        numbers = {}
    shared = {name: _route(problems, f"routes.{name}", spec) for name, spec in routes.items()}
    entries = [_number(problems, str(name), spec, shared) for name, spec in numbers.items()]
    if problems.items:
        raise FleetConfigError(problems.items)
    return Fleet(
        {k: v for k, v in shared.items() if v is not None}, [e for e in entries if e is not None]
    )


def deploy_fleet(fleet: Fleet) -> dict[str, Any]:
    """Register the fleet's resources; returns, per entry, its number and route ids."""
    shared = {
        name: InboundRoute(
            f"route-{name}",
            route_type=spec.route_type,
            value=spec.value,
            alias=spec.alias,
            edge_strategy_id=spec.edge_strategy_id,
        )
        for name, spec in fleet.routes.items()
    }

    def resolve(ref: RouteRef) -> RouteArgs | pulumi.Input[str]:
        if ref.shared is not None:
            return shared[ref.shared].route_id
        return ref.inline if ref.inline is not None else str(ref.route_id)

    exports: dict[str, Any] = {}
    for entry in fleet.numbers:
        options = dict(entry.options)
        protect = bool(options.pop("protect", False))
        line = RoutedNumber(
            entry.name,
            number=entry.number,
            search=entry.search,
            primary=resolve(entry.primary),
            failover=resolve(entry.failover) if entry.failover else None,
            opts=pulumi.ResourceOptions(protect=protect),
            **options,
        )
        exports[entry.name] = {
            "number": line.number,
            "primary_route_id": line.primary_route_id,
            "failover_route_id": line.failover_route_id,
        }
    return exports
