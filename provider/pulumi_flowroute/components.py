"""A routed number, declared in one place: the ``RoutedNumber`` component and every entry of a
fleet (:func:`~.fleet.deploy_numbers`) are both :func:`declare_routed_number`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pulumi
from typing_extensions import Unpack

from .cnam_assignment import CnamAssignmentProvider
from .cnam_record import CnamRecordArgs, CnamRecordProvider
from .e911_address import E911AddressArgs, E911AddressProvider
from .e911_assignment import E911AssignmentProvider
from .errors import ResourceError
from .inbound_route import InboundRouteArgs, InboundRouteProvider
from .kinds import DYNAMIC, Kind, Kinds
from .phone_number import INPUTS, ROUTING, PhoneNumber, PhoneNumberArgs, PhoneNumberProvider
from .provider_base import LATER, refuse_bad_inputs, refuse_bad_name
from .schema import Problems

#: The component's type. A fleet's entries were RoutedNumbers once (see ``fleet._moved``).
ROUTED_NUMBER = "flowroute:index:RoutedNumber"

RouteSpec = InboundRouteArgs | pulumi.Input[str]
E911Spec = E911AddressArgs | pulumi.Input[str]
CnamSpec = CnamRecordArgs | pulumi.Input[str]


@dataclass
class RoutedParts:
    """What :func:`declare_routed_number` declared, as the kinds it was given made them."""

    phone_number: Any
    primary_route_id: pulumi.Input[str]
    failover_route_id: pulumi.Input[str] | None
    #: The inline routes, by resource name.
    routes: dict[str, Any] = field(default_factory=dict)
    e911_address: Any | None = None
    e911: Any | None = None
    cnam_record: Any | None = None
    cnam: Any | None = None


def declare_routed_number(
    kinds: Kinds,
    name: str,
    number: Mapping[str, Any],
    *,
    primary: RouteSpec,
    failover: RouteSpec | None = None,
    e911: E911Spec | None = None,
    cnam: CnamSpec | None = None,
    opts: pulumi.ResourceOptions | None = None,
    protect: bool | None = None,
) -> RoutedParts:
    """Declare one number (``number``: its :class:`PhoneNumberArgs`), routing itself.

    A route, an E911 address or a caller name is either inline (its ``...Args``, declared as
    ``<name>-primary``, ``<name>-failover``, ``<name>-e911``, ``<name>-cnam``) or an existing
    id (another resource's output, say). The number routes itself, one engine resource rather
    than a number and a routing; it gets its address through ``<name>-e911-assignment`` and its
    caller name through ``<name>-cnam-assignment``. Every resource has ``opts``; the number has
    ``protect`` too, when given.
    """
    parts = RoutedParts(None, "", None)

    def route_id(slot: str, spec: RouteSpec) -> pulumi.Input[str]:
        if not isinstance(spec, Mapping):
            return spec
        route = kinds.InboundRoute(f"{name}-{slot}", opts=opts, **spec)
        parts.routes[f"{name}-{slot}"] = route
        return route.route_id  # type: ignore[no-any-return]

    parts.primary_route_id = route_id("primary", primary)
    parts.failover_route_id = route_id("failover", failover) if failover is not None else None
    number_opts = (
        opts
        if protect is None
        else pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=protect))
    )
    parts.phone_number = kinds.PhoneNumber(
        name,
        opts=number_opts,
        primary_route_id=parts.primary_route_id,
        failover_route_id=parts.failover_route_id,
        **number,
    )

    def give(part: str, spec: Any, inline: Kind, id_name: str, assignment: Kind) -> tuple[Any, Any]:
        """The object declared inline (``<name>-<part>``), if it is, and its assignment."""
        made = None
        if isinstance(spec, Mapping):
            made = inline(f"{name}-{part}", opts=opts, **spec)
            spec = getattr(made, id_name)
        number = parts.phone_number.number
        given = {id_name: spec}
        return made, assignment(f"{name}-{part}-assignment", number=number, opts=opts, **given)

    if e911 is not None:
        parts.e911_address, parts.e911 = give(
            "e911", e911, kinds.E911Address, "e911_id", kinds.E911Assignment
        )
    if cnam is not None:
        parts.cnam_record, parts.cnam = give(
            "cnam", cnam, kinds.CnamRecord, "cnam_id", kinds.CnamAssignment
        )
    return parts


class RoutedNumber(pulumi.ComponentResource):
    """A phone number routed to a primary and an optional failover route.

    ``primary`` / ``failover`` are either an :class:`InboundRouteArgs` (an inline route, created
    as a child named ``<name>-primary`` / ``<name>-failover``) or an existing route id, such as
    a shared ``InboundRoute``'s ``route_id``. ``e911`` is likewise an
    :class:`E911AddressArgs` (a child ``<name>-e911``) or an existing ``e911_id``; the number
    gets it through ``<name>-e911-assignment``. ``cnam``, the caller name the number shows, is
    a :class:`CnamRecordArgs` (a child ``<name>-cnam``) or an existing ``cnam_id``, given
    through ``<name>-cnam-assignment``. The other inputs are the number's, those of
    :class:`PhoneNumberArgs`. Children are parented to the component.
    """

    #: What the children are declared as (the provider plugin declares its own types).
    kinds: ClassVar[Kinds] = DYNAMIC

    number: pulumi.Output[str]
    primary_route_id: pulumi.Output[str]
    failover_route_id: pulumi.Output[str | None]
    e911_id: pulumi.Output[str | None]
    cnam_id: pulumi.Output[str | None]

    @INPUTS.keywords
    def __init__(
        self,
        resource_name: str,
        *,
        primary: RouteSpec,
        failover: RouteSpec | None = None,
        e911: E911Spec | None = None,
        cnam: CnamSpec | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **number: Unpack[PhoneNumberArgs],
    ) -> None:
        """Compose the number, its inline routes, address and caller name, and its routing."""
        stray = sorted(set(number) & set(ROUTING))
        if stray:
            raise ResourceError(
                f"RoutedNumber {resource_name!r}: give the routes as primary= and failover=, "
                f"not {', '.join(stray)}"
            )
        _refuse_bad_parts(resource_name, primary, failover, e911, cnam, number)
        super().__init__(ROUTED_NUMBER, resource_name, None, opts)
        parts = declare_routed_number(
            self.kinds,
            resource_name,
            number,
            primary=primary,
            failover=failover,
            e911=e911,
            cnam=cnam,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.routes: dict[str, Any] = parts.routes
        self.phone_number: PhoneNumber = parts.phone_number
        self.e911_address = parts.e911_address
        self.e911 = parts.e911
        self.cnam_record = parts.cnam_record
        self.cnam = parts.cnam
        self.number = self.phone_number.number
        self.primary_route_id = pulumi.Output.from_input(parts.primary_route_id)
        # Without a failover the output is known to be none; the number's own output would
        # preview as unknown, since the SDK reads a null output in a preview as not known yet.
        self.failover_route_id = pulumi.Output.from_input(parts.failover_route_id)
        self.e911_id = _output_of(self.e911, "e911_id")
        self.cnam_id = _output_of(self.cnam, "cnam_id")
        self.register_outputs(
            {
                "number": self.number,
                "primary_route_id": self.primary_route_id,
                "failover_route_id": self.failover_route_id,
                "e911_id": self.e911_id,
                "cnam_id": self.cnam_id,
            }
        )


def _output_of(assignment: Any | None, name: str) -> pulumi.Output[str | None]:
    """An assignment's id output, or an output known to be none without one."""
    if assignment is None:
        return pulumi.Output.from_input(None)
    output: pulumi.Output[str | None] = getattr(assignment, name)
    return output


Validate = Callable[[Problems, dict[str, Any], dict[str, Any]], Any]


def _refuse_bad_parts(
    name: str,
    primary: RouteSpec,
    failover: RouteSpec | None,
    e911: E911Spec | None,
    cnam: CnamSpec | None,
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

    def given(spec: Any) -> object:
        return LATER if isinstance(spec, Mapping) else spec

    routed = {**number, "primary_route_id": given(primary), "failover_route_id": given(failover)}
    refuse_bad_inputs(owner, PhoneNumberProvider().validate, routed)
    parts: tuple[tuple[str, Any, Validate, str, Validate], ...] = (
        (
            "e911",
            e911,
            E911AddressProvider().validate,
            "e911_id",
            E911AssignmentProvider().validate,
        ),
        ("cnam", cnam, CnamRecordProvider().validate, "cnam_id", CnamAssignmentProvider().validate),
    )
    for part, spec, inline, id_name, assignment in parts:
        if isinstance(spec, Mapping):
            refuse_bad_inputs(f"{owner} {part}", inline, dict(spec))
        elif spec is not None:
            refuse_bad_inputs(f"{owner} {part}", assignment, {"number": LATER, id_name: spec})
