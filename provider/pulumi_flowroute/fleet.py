"""A fleet of numbers described in stack config, validated whole before anything is registered.

An infra repo's whole program can be :func:`deploy_fleet_from_config`::

    from pulumi_flowroute.fleet import deploy_fleet_from_config

    deploy_fleet_from_config()

It reads five config objects of the project's namespace (as ``onboard`` writes them and
``split`` divides them)::

    routes:                       # shared routes, declared once by name
      pbx: {route_type: host, value: "sip.example.com:5060"}
    e911:                         # shared E911 addresses, declared once by name
      office: {label: HQ, first_name: Ada, last_name: Lovelace, street_number: "1218",
               street_name: 3rd Ave, city: Seattle, state: WA, zip: "98101"}
    numbers:
      support:
        number: "12065551234"     # or search: {starts_with: "206", state: wa}
        alias: Support line
        primary: pbx              # a shared route's name,
        failover: {route_type: number, value: "12065550100"}   # an inline route,
                                  # or {route_id: "98396"} for a route made elsewhere
        e911: office              # a shared address's name, or {e911_id: "20155"}
        cnam: support             # a shared caller name's name, or {cnam_id: "22671"}
    cnam:                         # shared caller-name (CNAM) records, declared once by name
      support: {value: ACME SUPPORT}
    messaging:                    # the account's webhooks (optional)
      sms_url: https://hooks.example.com/sms

Every mistake is reported at once, each with its config path (``numbers.support.primary``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi

from . import cnam_record, e911_address, inbound_route, phone_number
from .cnam_record import CnamRecord, CnamRecordArgs
from .components import ROUTED_NUMBER, RouteSpec, declare_routed_number
from .conversions import as_bool, as_cnam_id, as_e911_id, as_route_id
from .e911_address import E911Address, E911AddressArgs
from .errors import FleetConfigError
from .inbound_route import InboundRoute, InboundRouteArgs
from .kinds import DYNAMIC, Kinds
from .messaging_callbacks import INPUTS as MESSAGING_INPUTS
from .messaging_callbacks import MessagingCallbacksArgs
from .schema import Problems

# What an entry holds besides the PhoneNumber's own inputs.
ENTRY_KEYS = ("primary", "failover", "e911", "cnam", "protect")
# Below this size the CLI's own line per resource is progress enough.
PROGRESS_FROM = 50


@dataclass(frozen=True)
class RouteRef:
    """A route named in config: a shared route, an inline one, or an existing id."""

    shared: str | None = None
    inline: InboundRouteArgs | None = None
    route_id: str | None = None


@dataclass(frozen=True)
class NumberEntry:
    name: str
    primary: RouteRef
    failover: RouteRef | None
    number: dict[str, Any]
    protect: bool = False
    e911: str | None = None  # a shared address's name
    e911_id: str | None = None  # an address made elsewhere
    cnam: str | None = None  # a shared caller name's name
    cnam_id: str | None = None  # a caller name made elsewhere


@dataclass(frozen=True)
class Fleet:
    routes: dict[str, InboundRouteArgs]
    numbers: list[NumberEntry]
    e911: dict[str, E911AddressArgs] = field(default_factory=dict)
    messaging: MessagingCallbacksArgs | None = None
    cnam: dict[str, CnamRecordArgs] = field(default_factory=dict)


def _without_unset(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _if_valid(
    problems: Problems, validate: Callable[[], Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The values ``validate`` found that are set, or None when it added a problem."""
    before = len(problems.found)
    values = validate()
    return _without_unset(values) if len(problems.found) == before else None


def _described(
    problems: Problems,
    spec: Any,
    shape: str,
    validate: Callable[[Problems, Mapping[str, Any]], Mapping[str, Any]],
) -> Any:
    """A shared object's config (a route, an address, a caller name): its set values when
    ``validate`` accepts it, else None with the problems added."""
    if not isinstance(spec, Mapping):
        problems.add("", spec, f"describe it as {shape}")
        return None
    return _if_valid(problems, lambda: validate(problems, spec))


def _route(problems: Problems, spec: Any) -> InboundRouteArgs | None:
    return cast(
        InboundRouteArgs | None,
        _described(
            problems,
            spec,
            "{route_type: ..., value: ...}",
            lambda found, given: inbound_route.validate(found, given, strict=True),
        ),
    )


def _route_ref(problems: Problems, spec: Any, shared: Mapping[str, Any]) -> RouteRef | None:
    if isinstance(spec, str):
        if spec not in shared:
            known = ", ".join(sorted(shared)) or "none are declared"
            problems.add("", spec, f"no shared route has this name (routes: {known})")
            return None
        return RouteRef(shared=spec)
    if isinstance(spec, Mapping) and set(spec) == {"route_id"}:
        try:
            return RouteRef(route_id=as_route_id(spec["route_id"]))
        except ValueError as error:
            problems.add("route_id", spec["route_id"], str(error))
            return None
    inline = _route(problems, spec)
    return RouteRef(inline=inline) if inline else None


def _address(problems: Problems, spec: Any) -> E911AddressArgs | None:
    return cast(
        E911AddressArgs | None,
        _described(
            problems,
            spec,
            "{label: ..., street_number: ..., ...}",
            lambda found, given: e911_address.validate(found, given, strict=True),
        ),
    )


# An existing object's id by its kind, so a mistake is named as an E911 address or caller name.
_ID_CONVERSIONS = {"e911_id": as_e911_id, "cnam_id": as_cnam_id}


def _shared_ref(
    problems: Problems, spec: Any, shared: Mapping[str, Any], section: str, id_key: str
) -> tuple[str | None, str | None]:
    """(a shared object's name, an existing id): one of them, or neither on a mistake."""
    if isinstance(spec, str) and spec in shared:
        return spec, None
    if isinstance(spec, Mapping) and set(spec) == {id_key}:
        try:
            return None, _ID_CONVERSIONS[id_key](spec[id_key])
        except ValueError as error:
            problems.add(id_key, spec[id_key], str(error))
            return None, None
    known = ", ".join(sorted(shared)) or "none are declared"
    problems.add("", spec, f"name a shared one ({section}: {known}) or give {{{id_key}: ...}}")
    return None, None


def _number(
    problems: Problems,
    name: str,
    spec: Any,
    shared: Mapping[str, Any],
    addresses: Mapping[str, Any],
    caller_names: Mapping[str, Any],
) -> NumberEntry | None:
    if not isinstance(spec, Mapping):
        problems.add("", spec, "describe the number as {number: ..., primary: ...}")
        return None
    allowed = (*phone_number.INPUTS.names, *ENTRY_KEYS)
    for key in spec:
        if key not in allowed:
            problems.add(key, spec[key], f"unknown key; use {', '.join(allowed)}")
    before = len(problems.found)
    values = phone_number.validate(
        problems, {k: v for k, v in spec.items() if k in phone_number.INPUTS.names}
    )
    protect = False
    if spec.get("protect") is not None:
        try:
            protect = as_bool(spec["protect"])
        except ValueError as error:
            problems.add("protect", spec["protect"], str(error))
    primary = failover = None
    if spec.get("primary") is None:
        problems.add("primary", None, "name a shared route or describe one inline")
    else:
        primary = _route_ref(problems.under("primary"), spec["primary"], shared)
    if spec.get("failover") is not None:
        failover = _route_ref(problems.under("failover"), spec["failover"], shared)
    e911 = e911_id = None
    if spec.get("e911") is not None:
        e911, e911_id = _shared_ref(
            problems.under("e911"), spec["e911"], addresses, "e911", "e911_id"
        )
    cnam = cnam_id = None
    if spec.get("cnam") is not None:
        cnam, cnam_id = _shared_ref(
            problems.under("cnam"), spec["cnam"], caller_names, "cnam", "cnam_id"
        )
    if primary is None or len(problems.found) != before:
        return None
    return NumberEntry(
        name, primary, failover, _without_unset(values), protect, e911, e911_id, cnam, cnam_id
    )


def _messaging(problems: Problems, spec: Any) -> MessagingCallbacksArgs | None:
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        problems.add("messaging", spec, "give {sms_url: ..., mms_url: ..., dlr_url: ...}")
        return None
    return cast(
        MessagingCallbacksArgs | None,
        _if_valid(
            problems,
            lambda: MESSAGING_INPUTS.validate(problems.under("messaging"), spec, strict=True),
        ),
    )


def _caller_name(problems: Problems, spec: Any) -> CnamRecordArgs | None:
    return cast(
        CnamRecordArgs | None,
        _described(
            problems,
            spec,
            "{value: ...}",
            lambda found, given: cnam_record.INPUTS.validate(found, given, strict=True),
        ),
    )


def parse_fleet(
    routes: Any, numbers: Any, e911: Any = None, messaging: Any = None, cnam: Any = None
) -> Fleet:
    """Validate the ``routes``, ``numbers``, ``e911``, ``messaging`` and ``cnam`` config
    objects; raise every problem at once."""
    problems = Problems()
    cnam = {} if cnam is None else cnam
    if not isinstance(cnam, Mapping):
        problems.add("cnam", cnam, "map caller-name names to {value: ...}")
        cnam = {}
    caller_names = {
        name: _caller_name(problems.under(f"cnam.{name}"), spec) for name, spec in cnam.items()
    }
    webhooks = _messaging(problems, messaging)
    e911 = {} if e911 is None else e911
    if not isinstance(e911, Mapping):
        problems.add("e911", e911, "map address names to {label: ..., street_number: ..., ...}")
        e911 = {}
    addresses = {
        name: _address(problems.under(f"e911.{name}"), spec) for name, spec in e911.items()
    }
    routes = {} if routes is None else routes
    if not isinstance(routes, Mapping):
        problems.add("routes", routes, "map route names to {route_type: ..., value: ...}")
        routes = {}
    # An empty mapping is a stack of shared routes and addresses only (``split``'s shared
    # stack); a missing one is a mistake, usually a misspelt key.
    if not isinstance(numbers, Mapping):
        problems.add("numbers", numbers, "map entry names to number descriptions")
        numbers = {}
    shared = {name: _route(problems.under(f"routes.{name}"), spec) for name, spec in routes.items()}
    entries = [
        _number(problems.under(f"numbers.{name}"), str(name), spec, shared, addresses, caller_names)
        for name, spec in numbers.items()
    ]
    if problems:
        raise FleetConfigError(problems.lines())
    return Fleet(
        {k: v for k, v in shared.items() if v is not None},
        [e for e in entries if e is not None],
        {k: v for k, v in addresses.items() if v is not None},
        webhooks,
        {k: v for k, v in caller_names.items() if v is not None},
    )


@dataclass(frozen=True)
class SharedResources:
    """The fleet's shared routes and E911 addresses, by their config names."""

    routes: dict[str, InboundRoute]
    addresses: dict[str, E911Address]
    caller_names: dict[str, CnamRecord] = field(default_factory=dict)

    @property
    def route_ids(self) -> dict[str, pulumi.Output[str]]:
        return {name: route.route_id for name, route in self.routes.items()}

    @property
    def e911_ids(self) -> dict[str, pulumi.Output[str]]:
        return {name: address.e911_id for name, address in self.addresses.items()}

    @property
    def cnam_ids(self) -> dict[str, pulumi.Output[str]]:
        return {name: record.cnam_id for name, record in self.caller_names.items()}


def deploy_shared(
    fleet: Fleet, kinds: Kinds = DYNAMIC, opts: pulumi.ResourceOptions | None = None
) -> SharedResources:
    """Register the fleet's shared routes, E911 addresses, caller names and webhooks.

    ``kinds``: what to declare them as; ``opts``: the options of each (a parent, say).
    """
    routes = {
        name: kinds.InboundRoute(f"route-{name}", opts=opts, **spec)
        for name, spec in fleet.routes.items()
    }
    addresses = {
        name: kinds.E911Address(f"e911-{name}", opts=opts, **spec)
        for name, spec in fleet.e911.items()
    }
    caller_names = {
        name: kinds.CnamRecord(f"cnam-{name}", opts=opts, **spec)
        for name, spec in fleet.cnam.items()
    }
    if fleet.messaging is not None:
        kinds.MessagingCallbacks("messaging", opts=opts, **fleet.messaging)
    return SharedResources(routes, addresses, caller_names)


def deploy_fleet(
    fleet: Fleet, kinds: Kinds = DYNAMIC, opts: pulumi.ResourceOptions | None = None
) -> dict[str, Any]:
    """Register the whole fleet; returns, per entry, its number and route ids."""
    return deploy_numbers(fleet, deploy_shared(fleet, kinds, opts), kinds, opts)


#: The config objects a fleet is described by, in :func:`parse_fleet`'s order.
FLEET_KEYS = ("routes", "numbers", "e911", "messaging", "cnam")


def fleet_from_config(config: pulumi.Config | None = None) -> Fleet:
    """The fleet the stack config describes, checked whole (:class:`FleetConfigError` lists
    every mistake): ``routes``, ``numbers``, ``e911``, ``messaging`` and ``cnam`` of
    ``config`` (by default the project's namespace)."""
    config = pulumi.Config() if config is None else config
    routes, numbers, e911, messaging, cnam = (config.get_object(key) for key in FLEET_KEYS)
    return parse_fleet(routes, numbers, e911, messaging, cnam)


def deploy_fleet_from_config(
    config: pulumi.Config | None = None,
    *,
    opts: pulumi.ResourceOptions | None = None,
    export: bool = True,
) -> dict[str, Any]:
    """An infra repo's whole program: the fleet its stack config describes, deployed.

    ``config``: where the fleet is (default: the project's namespace, ``<project>:numbers``
    and the rest, which ``python -m pulumi_flowroute onboard`` writes and ``split`` divides);
    ``opts``: every resource's options (``provider=`` a :class:`~.engine_provider.Provider`
    for another account than the stack's ``flowroute:*`` config, ``protect=True``...).

    With ``export`` (the default), the stack exports ``numbers`` (per entry its number, route
    ids, ``e911_id`` and ``cnam_id``) and the shared ``routes``, ``e911`` and ``cnam`` ids by
    name: what ``split`` hands from the shared stack to the numbers' stacks. Returns
    ``numbers``.
    """
    fleet = fleet_from_config(config)
    shared = deploy_shared(fleet, opts=opts)
    numbers = deploy_numbers(fleet, shared, opts=opts)
    if export:
        pulumi.export("numbers", numbers)
        # What other stacks name as {route_id: ...} / {e911_id: ...}: `split` does.
        pulumi.export("routes", shared.route_ids)
        pulumi.export("e911", shared.e911_ids)
        pulumi.export("cnam", shared.cnam_ids)
    return numbers


def deploy_numbers(
    fleet: Fleet,
    shared_resources: SharedResources,
    kinds: Kinds = DYNAMIC,
    opts: pulumi.ResourceOptions | None = None,
) -> dict[str, Any]:
    """Register the fleet's numbers; returns, per entry, its number and route ids.

    Each entry is a routed number as a ``RoutedNumber`` declares one
    (:func:`~.components.declare_routed_number`), without the component: one ``PhoneNumber``
    that routes itself, plus its inline routes and its E911 and caller-name assignments when it
    has them. The engine saves the whole state after every resource step, so its time grows with
    the square of the resources per number.
    """
    shared = shared_resources.routes
    addresses, caller_names = shared_resources.addresses, shared_resources.caller_names

    def spec(ref: RouteRef) -> RouteSpec:
        if ref.shared is not None:
            return shared[ref.shared].route_id
        return ref.inline if ref.inline is not None else str(ref.route_id)

    progress = _Progress(len(fleet.numbers))
    exports: dict[str, Any] = {}
    for entry in fleet.numbers:
        parts = declare_routed_number(
            kinds,
            entry.name,
            entry.number,
            primary=spec(entry.primary),
            failover=spec(entry.failover) if entry.failover else None,
            e911=addresses[entry.e911].e911_id if entry.e911 else entry.e911_id,
            cnam=caller_names[entry.cnam].cnam_id if entry.cnam else entry.cnam_id,
            opts=_moved(entry.name, opts),
            protect=entry.protect,
        )
        number = parts.phone_number.number
        e911 = parts.e911.e911_id if parts.e911 is not None else None
        cnam = parts.cnam.cnam_id if parts.cnam is not None else None
        progress.watch(number, e911, cnam)
        exports[entry.name] = {
            "number": number,
            "primary_route_id": parts.primary_route_id,
            "failover_route_id": parts.failover_route_id,
            "e911_id": e911,
        }
        if cnam is not None:
            exports[entry.name]["cnam_id"] = cnam
    return exports


class _Progress:
    """Says in the CLI how many of the fleet's numbers ``up`` has finished, every tenth.

    The engine shows each resource's own row, but a run of thousands of numbers needs one line
    a person can read to know how far it is (in preview nothing is done, so it says nothing).
    """

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.every = math.ceil(total / 10)
        self.active = total >= PROGRESS_FROM and not pulumi.runtime.is_dry_run()

    def watch(self, *outputs: pulumi.Input[Any] | None) -> None:
        """Count one number as done once every output of its resources is resolved."""
        if self.active:
            pulumi.Output.all(*(o for o in outputs if o is not None)).apply(self._finished)

    def _finished(self, _: object) -> None:
        self.done += 1
        if self.done % self.every == 0 or self.done == self.total:
            pulumi.log.info(f"flowroute: {self.done} of {self.total} numbers done")


def _moved(name: str, opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions | None:
    """``opts`` of an entry's resources. Each entry used to be a ``RoutedNumber`` component:
    its children keep their identity (so the number is never bought again) by naming their old
    parent as an alias. Inside a component (``opts`` has its parent) there is no older layout
    to move from."""
    if opts is not None and opts.parent is not None:
        return opts
    component = f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{ROUTED_NUMBER}::{name}"
    moved = pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=component)])
    return moved if opts is None else pulumi.ResourceOptions.merge(opts, moved)
