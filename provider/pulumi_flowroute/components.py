"""``RoutedNumber``: a number, the routes it needs and its routing, as one component."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from .inbound_route import InboundRoute, RouteArgs
from .number_routing import NumberRouting
from .phone_number import NumberSearch, PhoneNumber

RouteSpec = RouteArgs | pulumi.Input[str]


class RoutedNumber(pulumi.ComponentResource):
    """A phone number routed to a primary and an optional failover route.

    ``primary`` / ``failover`` are either a :class:`RouteArgs` (an inline route, created as a
    child named ``<name>-primary`` / ``<name>-failover``) or an existing route id, such as a
    shared ``InboundRoute``'s ``route_id``. Children are parented to the component.
    """

    number: pulumi.Output[str]
    primary_route_id: pulumi.Output[str]
    failover_route_id: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        primary: RouteSpec,
        failover: RouteSpec | None = None,
        number: pulumi.Input[str] | None = None,
        search: NumberSearch | Mapping[str, Any] | None = None,
        alias: pulumi.Input[str] | None = None,
        cnam_lookups_enabled: pulumi.Input[bool] | None = None,
        adopt: pulumi.Input[bool] = False,
        release_on_delete: pulumi.Input[bool] = False,
        max_setup_cost: pulumi.Input[float] | None = None,
        max_monthly_cost: pulumi.Input[float] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Compose the number; the arguments are those of PhoneNumber plus the two routes."""
        super().__init__("flowroute:index:RoutedNumber", resource_name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.phone_number = PhoneNumber(
            resource_name,
            number=number,
            search=search,
            alias=alias,
            cnam_lookups_enabled=cnam_lookups_enabled,
            adopt=adopt,
            release_on_delete=release_on_delete,
            max_setup_cost=max_setup_cost,
            max_monthly_cost=max_monthly_cost,
            opts=child,
        )
        self.routes: dict[str, InboundRoute] = {}
        primary_id = self._route_id(f"{resource_name}-primary", primary, child)
        failover_id = (
            self._route_id(f"{resource_name}-failover", failover, child)
            if failover is not None
            else None
        )
        self.routing = NumberRouting(
            f"{resource_name}-routing",
            number=self.phone_number.number,
            primary_route_id=primary_id,
            failover_route_id=failover_id,
            opts=child,
        )
        self.number = self.phone_number.number
        self.primary_route_id = self.routing.primary_route_id
        # Without a failover the output is known to be none; the routing's own output would
        # preview as unknown, since the SDK reads a null output in a preview as not known yet.
        self.failover_route_id = (
            self.routing.failover_route_id
            if failover is not None
            else pulumi.Output.from_input(None)
        )
        self.register_outputs(
            {
                "number": self.number,
                "primary_route_id": self.primary_route_id,
                "failover_route_id": self.failover_route_id,
            }
        )

    def _route_id(
        self, name: str, spec: RouteSpec, opts: pulumi.ResourceOptions
    ) -> pulumi.Input[str]:
        if not isinstance(spec, RouteArgs):
            return spec
        route = InboundRoute(
            name,
            route_type=spec.route_type,
            value=spec.value,
            alias=spec.alias,
            edge_strategy_id=spec.edge_strategy_id,
            opts=opts,
        )
        self.routes[name] = route
        return route.route_id
