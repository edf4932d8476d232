"""The package's components, ``RoutedNumber`` and ``Fleet``, constructed inside the plugin.

They are the library's own components (:class:`~pulumi_flowroute.components.RoutedNumber`,
:func:`~pulumi_flowroute.fleet.deploy_fleet`), declaring their children as this package's
``flowroute:index:*`` types instead of dynamic resources: the engine sends those back to this
plugin, and the children inherit the component's provider (its account) as any child does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.provider.experimental.provider import ConstructRequest, ConstructResponse
from pulumi.resource import DependencyResource
from pulumi.runtime.rpc import UNKNOWN

from ..cnam_record import INPUTS as CNAM_INPUTS
from ..components import RoutedNumber
from ..e911_address import INPUTS as ADDRESS_INPUTS
from ..errors import ResourceError
from ..fleet import deploy_fleet, parse_fleet
from ..inbound_route import INPUTS as ROUTE_INPUTS
from ..kinds import Kinds
from ..phone_number import INPUTS as NUMBER_INPUTS
from ..phone_number import ROUTING
from .catalog import RESOURCES, camel, outputs, snake, token, type_name
from .wire import plain


class PackageResource(pulumi.CustomResource):
    """A child declared as this package's own type, with the library's snake_case names."""

    def __init__(
        self,
        kind: str,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        **inputs: Any,
    ) -> None:
        declared = {name: None for name in outputs(RESOURCES[kind])}
        super().__init__(token(kind), resource_name, {**declared, **inputs}, opts)

    def translate_input_property(self, prop: str) -> str:
        return camel(prop)

    def translate_output_property(self, prop: str) -> str:
        return snake(prop)


def _kind(name: str) -> Any:
    def declare(
        resource_name: str, *, opts: pulumi.ResourceOptions | None = None, **inputs: Any
    ) -> PackageResource:
        return PackageResource(name, resource_name, opts, **inputs)

    return declare


PACKAGE_KINDS = Kinds(**{name: _kind(name) for name in Kinds.__dataclass_fields__})


class PackageRoutedNumber(RoutedNumber):
    """``flowroute:index:RoutedNumber`` as the plugin constructs it."""

    kinds: ClassVar[Kinds] = PACKAGE_KINDS


class Fleet(pulumi.ComponentResource):
    """``flowroute:index:Fleet``: the fleet format (``routes``, ``numbers``, ``e911``, ``cnam``,
    ``messaging``, as a stack's config holds it) as one component."""

    def __init__(
        self, resource_name: str, config: Mapping[str, Any], opts: pulumi.ResourceOptions
    ) -> None:
        fleet = parse_fleet(
            config.get("routes"),
            config.get("numbers"),
            config.get("e911"),
            config.get("messaging"),
            config.get("cnam"),
        )
        super().__init__(token("Fleet"), resource_name, None, opts)
        self.numbers = deploy_fleet(fleet, PACKAGE_KINDS, pulumi.ResourceOptions(parent=self))
        self.register_outputs({"numbers": self.numbers})


def specs(builder: Any) -> dict[str, dict[str, Any]]:
    """The components' schemas, their object types added to ``builder``."""
    number = builder.input_properties(NUMBER_INPUTS)["properties"]
    route = {"$ref": f"#/types/{builder.object_of(ROUTE_INPUTS, 'InlineRoute')}"}
    address = {"$ref": f"#/types/{builder.object_of(ADDRESS_INPUTS, 'InlineE911Address')}"}
    caller_name = {"$ref": f"#/types/{builder.object_of(CNAM_INPUTS, 'InlineCnamRecord')}"}
    string = {"type": "string"}
    routed_inputs = {k: v for k, v in number.items() if k not in {camel(r) for r in ROUTING}}
    routed_inputs.update(
        primary={**route, "description": "An inline route created for this number."},
        failover={**route, "description": "An inline failover route."},
        primaryRouteId={**string, "description": "An existing route's id, instead of `primary`."},
        failoverRouteId={**string, "description": "An existing route's id, instead of `failover`."},
        e911={**address, "description": "An inline E911 address created for this number."},
        e911Id={**string, "description": "An existing E911 address's id, instead of `e911`."},
        cnam={**caller_name, "description": "An inline caller name created for this number."},
        cnamId={**string, "description": "An existing caller name's id, instead of `cnam`."},
    )
    anything = {"$ref": "pulumi.json#/Any"}
    by_name = {"type": "object", "additionalProperties": anything}
    return {
        "RoutedNumber": {
            "isComponent": True,
            "description": "A phone number routed to a primary and an optional failover route, "
            "created with it (inline) or existing (by id), and optionally given an E911 address "
            "and a caller name.",
            "inputProperties": routed_inputs,
            "properties": {
                "number": {**string, "description": "The number bought or adopted."},
                "primaryRouteId": string,
                "failoverRouteId": string,
                "e911Id": string,
                "cnamId": string,
            },
            "required": ["number", "primaryRouteId"],
        },
        "Fleet": {
            "isComponent": True,
            "description": "Many numbers, their shared routes, E911 addresses and caller names, "
            "in the fleet format of this project's stack config (snake_case keys, as in "
            "`numbers: {support: {number: '12065551234', primary: pbx}}`).",
            "inputProperties": {
                "routes": {**by_name, "description": "Shared routes by name."},
                "numbers": {**by_name, "description": "The numbers, by entry name."},
                "e911": {**by_name, "description": "Shared E911 addresses by name."},
                "cnam": {**by_name, "description": "Shared caller names by name."},
                "messaging": {**anything, "description": "The account's messaging webhooks."},
            },
            "requiredInputs": ["numbers"],
            "properties": {
                "numbers": {**by_name, "description": "Per entry: its number and route ids."}
            },
            "required": ["numbers"],
        },
    }


async def construct(request: ConstructRequest) -> ConstructResponse:
    """Build the component the engine asks for, and hand back its outputs."""
    kind = type_name(request.resource_type)
    opts = request.options
    if kind == "RoutedNumber":
        args = {snake(k): _input(v) for k, v in request.inputs.items()}
        primary = args.pop("primary", None) or args.pop("primary_route_id", None)
        failover = args.pop("failover", None) or args.pop("failover_route_id", None)
        e911 = args.pop("e911", None) or args.pop("e911_id", None)
        cnam = args.pop("cnam", None) or args.pop("cnam_id", None)
        for name in ("primary_route_id", "failover_route_id", "e911_id", "cnam_id"):
            args.pop(name, None)
        if primary is None:
            raise ResourceError(
                f"RoutedNumber {request.name!r}: set primary (an inline route "
                "{routeType, value}) or primaryRouteId (an existing route's id)"
            )
        routed = PackageRoutedNumber(
            request.name,
            primary=primary,
            failover=failover,
            e911=e911,
            cnam=cnam,
            opts=opts,
            **args,
        )
        component: pulumi.ComponentResource = routed
        state: dict[str, Any] = {
            "number": routed.number,
            "primaryRouteId": routed.primary_route_id,
            "failoverRouteId": routed.failover_route_id,
            "e911Id": routed.e911_id,
            "cnamId": routed.cnam_id,
        }
    elif kind == "Fleet":
        unknown = [k for k, v in request.inputs.items() if _holds_unknown(v)]
        if unknown:
            raise ResourceError(
                f"Fleet {request.name!r}: {', '.join(unknown)} must be known before the run "
                "(write the fleet as values, not other resources' outputs)"
            )
        config = {k: plain({"v": v}, rename=False)["v"] for k, v in request.inputs.items()}
        fleet = Fleet(request.name, config, opts)
        component, state = fleet, {"numbers": fleet.numbers}
    else:
        raise ResourceError(f"flowroute has no component {request.resource_type!r}")
    urn = await component.urn.future()
    values = await asyncio.gather(*(_settled(value) for value in state.values()))
    return ConstructResponse(str(urn), dict(zip(state, values, strict=True)), {})


def _holds_unknown(value: PropertyValue) -> bool:
    held = value.value
    if isinstance(held, Computed):
        return True
    if isinstance(held, Mapping):
        return any(_holds_unknown(v) for v in held.values())
    if isinstance(held, list | tuple):
        return any(_holds_unknown(v) for v in held)
    return False


def _input(value: PropertyValue) -> Any:
    """An input of a component as its Python code takes it: a plain value, or an Output
    where the value is secret, not known yet, or comes from other resources."""
    held = value.value
    if isinstance(held, Mapping):
        inner = {snake(k): _input(v) for k, v in held.items()}
        return inner if not value.is_secret else pulumi.Output.secret(inner)
    if isinstance(held, list | tuple):
        return [_input(v) for v in held]
    if not value.is_secret and not value.dependencies and not isinstance(held, Computed):
        return held
    known = not isinstance(held, Computed)
    resources: set[pulumi.Resource] = {DependencyResource(urn) for urn in value.dependencies}
    return pulumi.Output(
        resources,
        _ready(held if known else None),
        _ready(known),
        _ready(value.is_secret),
    )


def _ready(value: Any) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


async def _settled(value: Any) -> PropertyValue:
    """An output of a component as the engine takes it: its value, secrecy and dependencies."""
    output = pulumi.Output.from_input(value)
    known = await output.is_known()
    secret = await output.is_secret()
    resources = await output.resources()
    urns = [str(await r.urn.future()) for r in resources]
    if not known:
        return PropertyValue(UNKNOWN, secret, urns)
    from .wire import wire

    held = wire({"v": await output.future()})["v"]
    return PropertyValue(held.value, secret, urns)
