"""``RoutedNumber``: a number, the routes it needs and its routing, as one component."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
from typing_extensions import Unpack

from .e911_address import E911Address, E911AddressArgs, E911AddressProvider
from .e911_assignment import E911Assignment, E911AssignmentProvider
from .errors import ResourceError
from .inbound_route import InboundRoute, InboundRouteArgs, InboundRouteProvider
from .kinds import DYNAMIC, Kinds
from .phone_number import INPUTS, ROUTING, PhoneNumber, PhoneNumberArgs, PhoneNumberProvider
from .provider_base import LATER, refuse_bad_inputs, refuse_bad_name

RouteSpec = InboundRouteArgs | pulumi.Input[str]
E911Spec = E911AddressArgs | pulumi.Input[str]


class RoutedNumber(pulumi.ComponentResource):
    """A phone number routed to a primary and an optional failover route.

    ``primary`` / ``failover`` are either an :class:`InboundRouteArgs` (an inline route, created
    as a child named ``<name>-primary`` / ``<name>-failover``) or an existing route id, such as
    a shared ``InboundRoute``'s ``route_id``. ``e911`` is likewise an
    :class:`E911AddressArgs` (a child ``<name>-e911``) or an existing ``e911_id``; the number
    gets it through ``<name>-e911-assignment``. The other inputs are the number's, those of
    :class:`PhoneNumberArgs`. Children are parented to the component.
    """

    #: What the children are declared as (the provider plugin declares its own types).
    kinds: ClassVar[Kinds] = DYNAMIC

    number: pulumi.Output[str]
    primary_route_id: pulumi.Output[str]
    failover_route_id: pulumi.Output[str | None]
    e911_id: pulumi.Output[str | None]

    @INPUTS.keywords
    def __init__(
        self,
        resource_name: str,
        *,
        primary: RouteSpec,
        failover: RouteSpec | None = None,
        e911: E911Spec | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **number: Unpack[PhoneNumberArgs],
    ) -> None:
        """Compose the number, its inline routes and its routing."""
        stray = sorted(set(number) & set(ROUTING))
        if stray:
            raise ResourceError(
                f"RoutedNumber {resource_name!r}: give the routes as primary= and failover=, "
                f"not {', '.join(stray)}"
            )
        _refuse_bad_parts(resource_name, primary, failover, e911, number)
        super().__init__("flowroute:index:RoutedNumber", resource_name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.routes: dict[str, InboundRoute] = {}
        primary_id = self._route_id(f"{resource_name}-primary", primary, child)
        failover_id = (
            self._route_id(f"{resource_name}-failover", failover, child)
            if failover is not None
            else None
        )
        # The number routes itself: one engine resource, not a number and a routing.
        routed: dict[str, Any] = {
            **number,
            "primary_route_id": primary_id,
            "failover_route_id": failover_id,
        }
        self.phone_number: PhoneNumber = self.kinds.PhoneNumber(resource_name, opts=child, **routed)
        self.number = self.phone_number.number
        self.primary_route_id = pulumi.Output.from_input(primary_id)
        # Without a failover the output is known to be none; the number's own output would
        # preview as unknown, since the SDK reads a null output in a preview as not known yet.
        self.failover_route_id = pulumi.Output.from_input(failover_id)
        self.e911_id = (
            self._e911_id(resource_name, e911, child)
            if e911 is not None
            else pulumi.Output.from_input(None)
        )
        self.register_outputs(
            {
                "number": self.number,
                "primary_route_id": self.primary_route_id,
                "failover_route_id": self.failover_route_id,
                "e911_id": self.e911_id,
            }
        )

    def _e911_id(
        self, name: str, spec: E911Spec, opts: pulumi.ResourceOptions
    ) -> pulumi.Output[str | None]:
        if isinstance(spec, Mapping):
            self.e911_address: E911Address | None = self.kinds.E911Address(
                f"{name}-e911", opts=opts, **spec
            )
            e911_id: pulumi.Input[str] = self.e911_address.e911_id
        else:
            self.e911_address, e911_id = None, spec
        self.e911: E911Assignment = self.kinds.E911Assignment(
            f"{name}-e911-assignment", number=self.number, e911_id=e911_id, opts=opts
        )
        e911_id_output: pulumi.Output[str | None] = self.e911.e911_id
        return e911_id_output

    def _route_id(
        self, name: str, spec: RouteSpec, opts: pulumi.ResourceOptions
    ) -> pulumi.Input[str]:
        if not isinstance(spec, Mapping):
            return spec
        route: InboundRoute = self.kinds.InboundRoute(name, opts=opts, **spec)
        self.routes[name] = route
        return route.route_id


def _refuse_bad_parts(
    name: str,
    primary: RouteSpec,
    failover: RouteSpec | None,
    e911: E911Spec | None,
    number: Mapping[str, Any],
) -> None:
    """Check every child's inputs before the first child is declared.

    Once the number is registered the engine may be buying it, and routes are declared before
    it: a mistake anywhere stops the program before anything is registered.
    """
    refuse_bad_name("RoutedNumber", name)
    owner = f"RoutedNumber {name!r}"
    for slot, spec in (("primary", primary), ("failover", failover)):
        if isinstance(spec, Mapping):
            refuse_bad_inputs(f"{owner} {slot}", InboundRouteProvider().validate, dict(spec))

    def given(spec: RouteSpec | E911Spec | None) -> object:
        return LATER if isinstance(spec, Mapping) else spec

    routed = {**number, "primary_route_id": given(primary), "failover_route_id": given(failover)}
    refuse_bad_inputs(owner, PhoneNumberProvider().validate, routed)
    if isinstance(e911, Mapping):
        refuse_bad_inputs(f"{owner} e911", E911AddressProvider().validate, dict(e911))
    elif e911 is not None:
        assignment = {"number": LATER, "e911_id": e911}
        refuse_bad_inputs(f"{owner} e911", E911AssignmentProvider().validate, assignment)
