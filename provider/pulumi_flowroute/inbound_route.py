"""``InboundRoute``: where Flowroute sends inbound calls (a SIP host, a phone number, a SIP URI).

Every property changes in place (PATCH). Creation is settled by alias: a route whose POST answer
was lost, or which a crashed run created, is found by its alias instead of being created twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from .client import FlowrouteClient, Route
from .errors import ApiError, Forbidden, NotFound, TransportError
from .provider_base import (
    Checker,
    FlowrouteProvider,
    FlowrouteResource,
    ResourceError,
    as_alias,
    as_int,
    is_unknown,
)
from .values import MAX_ALIAS_LENGTH, ROUTE_TYPES, route_value_problem

INPUTS = ("route_type", "value", "alias", "edge_strategy_id")
# Scanning every number to name a route's users is bounded: accounts can be large.
MAX_NUMBERS_SCANNED = 200


@dataclass
class RouteArgs:
    """An inbound route to create: ``route_type`` is ``host``, ``number`` or ``uri``."""

    route_type: pulumi.Input[str]
    value: pulumi.Input[str]
    alias: pulumi.Input[str] | None = None
    edge_strategy_id: pulumi.Input[int] | None = None


def default_alias(resource_name: str) -> str:
    """``project.stack.name``: stable across runs, distinct between stacks sharing an account."""
    alias = f"{pulumi.get_project()}.{pulumi.get_stack()}.{resource_name}"
    if len(alias) <= MAX_ALIAS_LENGTH:
        return alias
    digest = hashlib.sha256(alias.encode()).hexdigest()[:8]
    return f"{alias[: MAX_ALIAS_LENGTH - 9]}-{digest}"


def _route_type(value: Any) -> str:
    if value not in ROUTE_TYPES:
        raise ValueError(f"use one of {', '.join(ROUTE_TYPES)}")
    return str(value)


def _number_value(value: Any) -> Any:
    # A number route given as an int reaches the provider as a float.
    return str(int(value)) if isinstance(value, float) and value.is_integer() else value


def _outputs(route: Route) -> dict[str, Any]:
    return {
        "route_id": route.id,
        "route_type": route.route_type,
        "value": route.value,
        "alias": route.alias,
        "edge_strategy_id": route.edge_strategy_id,
    }


class InboundRouteProvider(FlowrouteProvider):
    """Dynamic provider behind :class:`InboundRoute`."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        check = Checker(news)
        route_type = check.take("route_type", _route_type)
        if route_type is None and news.get("route_type") is None:
            check.fail("route_type", None, f"set route_type to one of {', '.join(ROUTE_TYPES)}")
        value = check.take("value", _number_value)
        if value is None and news.get("value") is None:
            check.fail(
                "value",
                None,
                "set the route's destination, e.g. 'sip.example.com:5060' for a host route",
            )
        elif isinstance(route_type, str) and not is_unknown(value):
            problem = (
                route_value_problem(route_type, value) if isinstance(value, str) else "use a string"
            )
            if problem:
                check.fail("value", value, f"for route_type {route_type!r}, {problem}")
        check.take("alias", as_alias)
        if news.get("alias") is None:
            check.fail("alias", None, "set an alias (InboundRoute sets one from its name)")
        edge = check.take("edge_strategy_id", as_int)
        if isinstance(edge, int) and edge < 0:
            check.fail("edge_strategy_id", edge, "use a Flowroute edge strategy id (1 or more)")
        return CheckResult(check.inputs, check.failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in INPUTS if news.get(k) != olds.get(k)]
        return DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client
        existing = self._by_alias(client, props["alias"])
        if existing is not None:
            return CreateResult(existing.id, _outputs(self._take_over(existing, props)))
        try:
            route = client.create_route(
                props["route_type"], props["value"], props["alias"], props.get("edge_strategy_id")
            )
        except (TransportError, ApiError) as error:
            if isinstance(error, ApiError) and error.status < 500:
                raise ResourceError(self._refused(props, error)) from None
            route_or_none = self._by_alias(client, props["alias"])
            if route_or_none is None:
                raise ResourceError(
                    f"creating route {props['alias']!r} got no usable answer ({error}) and no "
                    "route with that alias exists, so nothing was created. Run `pulumi up` "
                    "again."
                ) from None
            route = route_or_none
        return CreateResult(route.id, _outputs(route))

    @staticmethod
    def _by_alias(client: FlowrouteClient, alias: str) -> Route | None:
        return next((r for r in client.list_routes() if r.alias == alias), None)

    def _take_over(self, route: Route, props: Mapping[str, Any]) -> Route:
        wanted = {k: props.get(k) for k in INPUTS}
        if _outputs(route) | {"route_id": None} == wanted | {"route_id": None}:
            self.info(f"route {route.alias!r} already exists (id {route.id}); using it")
            return route
        raise ResourceError(
            f"a route with alias {route.alias!r} already exists (id {route.id}, "
            f"{route.route_type} {route.value!r}) and differs from this one. Give this "
            "InboundRoute another alias, or change or delete the existing route."
        )

    @staticmethod
    def _refused(props: Mapping[str, Any], error: ApiError) -> str:
        return (
            f"Flowroute refused route {props['alias']!r} ({props['route_type']} "
            f"{props['value']!r}): {error.detail_text or error.title}"
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        route = self.client.find_route(id_)
        if route is None:
            return ReadResult("", {})
        outs = _outputs(route)
        return ReadResult(id_, outs, {k: outs[k] for k in INPUTS})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        changes = {k: news.get(k) for k in INPUTS if news.get(k) != olds.get(k)}
        try:
            route = self.client.update_route(id_, **changes)
        except NotFound:
            raise ResourceError(
                f"route {id_} ({olds.get('alias')!r}) no longer exists on Flowroute. Run "
                "`pulumi refresh` to drop it from state, then `pulumi up` to create it again."
            ) from None
        except ApiError as error:
            if error.status >= 500:
                raise
            raise ResourceError(self._refused(news, error)) from None
        return UpdateResult(_outputs(route))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            self.client.delete_route(id_)
        except NotFound:
            self.info(f"route {id_} was already gone")
        except Forbidden as error:
            users = self._numbers_using(id_)
            raise ResourceError(
                f"Flowroute will not delete route {id_} ({props.get('alias')!r}): "
                f"{error.title}. It is still the primary or failover route of "
                f"{', '.join(users) if users else 'some number'}. Point those numbers at "
                "another route (or remove their NumberRouting) first, then run again."
            ) from None

    def _numbers_using(self, route_id: str) -> list[str]:
        users = []
        for number in self.client.list_numbers(limit=MAX_NUMBERS_SCANNED):
            details = self.client.get_number(number.value)
            if route_id in (details.primary_route_id, details.failover_route_id):
                users.append(number.value)
        return users


class InboundRoute(FlowrouteResource, module="flowroute", name="InboundRoute"):
    """An inbound voice route. ``route_id`` is what ``NumberRouting`` points numbers at."""

    route_id: pulumi.Output[str]
    route_type: pulumi.Output[str]
    value: pulumi.Output[str]
    alias: pulumi.Output[str]
    edge_strategy_id: pulumi.Output[int | None]

    def __init__(
        self,
        resource_name: str,
        route_type: pulumi.Input[str] | None = None,
        value: pulumi.Input[str] | None = None,
        alias: pulumi.Input[str] | None = None,
        edge_strategy_id: pulumi.Input[int] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a route.

        :param route_type: ``host`` (``sip.example.com:5060`` or an IP), ``number``
            (``12065550100``) or ``uri`` (``sip:alice@pbx.example.com``).
        :param value: the destination, valid for ``route_type``.
        :param alias: the route's name at Flowroute; defaults to ``project.stack.name``, which
            is stable across runs and is how a lost create is recognised.
        :param edge_strategy_id: Flowroute edge strategy (media region) id.
        """
        props = {
            "route_type": route_type,
            "value": value,
            "alias": alias if alias is not None else default_alias(resource_name),
            "edge_strategy_id": edge_strategy_id,
            "route_id": None,
        }
        super().__init__(InboundRouteProvider(), resource_name, props, opts)
