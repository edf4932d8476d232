"""``InboundRoute``: where Flowroute sends inbound calls (a SIP host, a phone number, a SIP URI).

Every property changes in place (PATCH). Without an alias, a route is auto-named
``project.stack.name-<6 hex digits>`` from the stack's claim and its URN
(:func:`~.claims.route_alias`) and keeps that name: the same on every run, so a run that finds
the route a killed run made takes it over instead of making a second, and a preview shows it (or,
before the stack's first ``up``, an unknown); two stacks that share project and stack names (two
checkouts, two backends) have different claims, so never share a route. Creation is settled by
alias: a route whose POST answer was lost is found by its alias instead of being created twice.
Lookups by id or alias use one listing per deployment (see ``DeploymentRoutes``).
"""

import secrets
import threading
from collections.abc import Mapping
from typing import Annotated, Any, TypedDict

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from typing_extensions import Unpack

from .claims import route_alias_for
from .client import FlowrouteClient, Route
from .conversions import as_alias, as_bool, as_edge_strategy, as_route_type, as_text
from .deployment import DEPLOYMENT
from .errors import ApiError, Forbidden, NotFound, ResourceError, Unauthorized
from .provider_base import (
    UNANSWERED,
    FlowrouteProvider,
    FlowrouteResource,
    outcome_unknown,
)
from .schema import Inputs, Problems, Rule, is_unknown
from .values import ROUTE_TYPES, route_value_problem

# Scanning every number to name a route's users is bounded: accounts can be large.
MAX_NUMBERS_SCANNED = 200


class _RouteDestination(TypedDict):
    route_type: Annotated[
        pulumi.Input[str],
        Rule(as_route_type, missing=f"set route_type to one of {', '.join(ROUTE_TYPES)}"),
    ]
    value: Annotated[
        pulumi.Input[str],
        Rule(
            as_text,
            missing="set the route's destination, e.g. 'sip.example.com:5060' for a host route",
        ),
    ]


class InboundRouteArgs(_RouteDestination, total=False):
    """The inputs of :class:`InboundRoute`, and an inline route of :class:`RoutedNumber`.

    - ``route_type``: ``host`` (``sip.example.com:5060`` or an IP), ``number``
      (``12065550100``) or ``uri`` (``sip:alice@pbx.example.com``).
    - ``value``: the destination, valid for ``route_type``.
    - ``alias``: the route's name at Flowroute. Unset, the route is named
      ``project.stack.name-<6 hex digits>``, digits drawn from the stack's claim and the
      resource's URN (the same on every run), and keeps that name. An existing route with an
      explicit alias is taken over only if it is identical.
    - ``edge_strategy_id``: Flowroute edge strategy (media region) id.
    - ``adopt``: manage the route already on the account with this ``alias`` (it must be
      identical) instead of creating one; ``adopted`` says so, and deleting the resource leaves
      an adopted route on the account. Without a route of that alias, one is created.
    """

    alias: Annotated[pulumi.Input[str] | None, Rule(as_alias)]
    edge_strategy_id: Annotated[pulumi.Input[int] | None, Rule(as_edge_strategy)]
    adopt: Annotated[pulumi.Input[bool] | None, Rule(as_bool, default=False)]


INPUTS = Inputs(InboundRouteArgs)
#: What Flowroute holds of a route (``adopt`` is this resource's own).
ROUTE_FIELDS = ("route_type", "value", "alias", "edge_strategy_id")


def validate(
    problems: Problems, given: Mapping[str, Any], *, strict: bool = False
) -> dict[str, Any]:
    """InboundRoute's inputs checked and normalised, for ``check`` and the fleet config alike."""
    values = INPUTS.validate(problems, given, strict=strict)
    route_type, value = values["route_type"], values["value"]
    if route_type in ROUTE_TYPES and value is not None and not is_unknown(value):
        problem = (
            route_value_problem(route_type, value) if isinstance(value, str) else "use a string"
        )
        if problem:
            problems.add("value", value, f"for route_type {route_type!r}, {problem}")
    if values.get("adopt") is True and given.get("alias") is None:
        problems.add(
            "adopt", True, "adopt takes over the route with this alias: set alias to its name"
        )
    return values


SUFFIX_BYTES = 3  # "-" and six hex digits after the prefix
#: The inputs the program adds to a route's (``__``: Pulumi shows none of them). The name an
#: unnamed route gets (:func:`~.claims.route_alias`), used by ``check`` and not kept;
NAMED = "__auto_alias"
#: and, kept in the state, whether the alias is that name rather than one the user gave.
AUTO = "__alias_auto"
#: Where states written by earlier versions keep the latter, and the prefix of a random name.
LEGACY_AUTO, LEGACY_PREFIX = "alias_auto", "alias_prefix"


def _auto_alias(prefix: str) -> str:
    """A random name, for a provider called outside a program (no claim to derive one from)."""
    return f"{prefix}-{secrets.token_hex(SUFFIX_BYTES)}"


def _was_auto(props: Mapping[str, Any]) -> bool:
    """Whether a route's recorded alias is an automatic name, in a state of any version (one
    from before auto-naming has no flag: its alias is kept as it is, too)."""
    for key in (AUTO, LEGACY_AUTO):
        if key in props:
            return bool(props[key])
    return True


class DeploymentRoutes:
    """One deployment's memory of routes, shared by every InboundRoute of the provider process.

    Two InboundRoutes with one explicit alias would otherwise both find no route and both create
    one; a lock per alias orders them and the second is refused.

    Flowroute has no single-route GET, so finding a route by id or alias means paging the whole
    list. The list is read once per deployment and kept up to date with this process's own
    writes: a fleet's refresh reads it in a few pages instead of a few pages per route.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self.created: dict[str, str] = {}
        self._listed: dict[str, Route] | None = None
        self._listing = threading.Lock()

    def lock(self, alias: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(alias, threading.Lock())

    def listed(self, client: FlowrouteClient) -> dict[str, Route]:
        """Every route by id, as read at the first need of this deployment plus our writes."""
        with self._listing:
            if self._listed is None:
                self._listed = {route.id: route for route in client.list_routes()}
            return self._listed

    def wrote(self, route: Route) -> None:
        with self._listing:
            if self._listed is not None:
                self._listed[route.id] = route

    def deleted(self, route_id: str) -> None:
        with self._listing:
            if self._listed is not None:
                self._listed.pop(route_id, None)


def _routes() -> DeploymentRoutes:
    return DEPLOYMENT.of(DeploymentRoutes)


def _naming(props: Mapping[str, Any]) -> dict[str, Any]:
    """What the state keeps of a route that Flowroute does not: whether it is named
    automatically, and whether it was adopted."""
    return {
        AUTO: bool(props.get(AUTO, props.get(LEGACY_AUTO))),
        "adopt": bool(props.get("adopt")),
        "adopted": bool(props.get("adopted")),
    }


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

    inputs = INPUTS

    def validate(
        self, problems: Problems, news: dict[str, Any], olds: dict[str, Any]
    ) -> dict[str, Any]:
        inputs = validate(problems, news)
        auto = news.get("alias") is None
        if auto:
            inputs["alias"] = self._keep_or_name(olds, news)
        inputs[AUTO] = auto
        return inputs

    @staticmethod
    def _keep_or_name(olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
        """The alias of a route declared without one: the name it already has (routes are never
        renamed, even one an earlier version named at random), or the one the program derived
        from the stack's claim (unknown in a preview until the stack has a claim)."""
        old = olds.get("alias")
        if isinstance(old, str) and _was_auto(olds):
            return old
        named = news.get(NAMED)
        if named is not None:
            return named
        prefix = news.get(LEGACY_PREFIX)
        return _auto_alias(prefix if isinstance(prefix, str) and prefix else "pulumi-route")

    def create(self, props: dict[str, Any]) -> CreateResult:
        alias = props["alias"]
        routes = _routes()
        with routes.lock(alias):
            if alias in routes.created:
                raise ResourceError(
                    f"another InboundRoute in this program already created route "
                    f"{routes.created[alias]} with alias {alias!r}. Give each InboundRoute its "
                    "own alias, or point both numbers at one InboundRoute's route_id."
                )
            route, adopted = self._create(self.client, props)
            routes.created[alias] = route.id
        return CreateResult(route.id, _outputs(route) | _naming({**props, "adopted": adopted}))

    def _create(self, client: FlowrouteClient, props: Mapping[str, Any]) -> tuple[Route, bool]:
        """The route, created or taken over, and whether it was adopted."""
        alias = props["alias"]
        listed = _routes().listed(client).values()
        existing = next((r for r in listed if r.alias == alias), None)
        if existing is not None and props.get(AUTO, props.get(LEGACY_AUTO)):
            # Its name is this stack's and this resource's alone: a killed run made it.
            return self._resume(client, existing, props), False
        if existing is not None:
            return self._take_over(existing, props), bool(props.get("adopt"))
        self.info(f"creating route {alias!r}")
        try:
            route = client.create_route(
                props["route_type"], props["value"], alias, props.get("edge_strategy_id")
            )
        except (ApiError, *UNANSWERED) as error:
            if isinstance(error, Unauthorized):
                raise  # the key pair was refused, not the route: its own message says what to check
            if isinstance(error, ApiError) and not outcome_unknown(error):
                raise ResourceError(self._refused(props, error)) from None
            found, failure = self.settle(lambda: self._by_alias(client, alias))
            if found is None:
                outcome = (
                    f"listing routes failed too ({failure}); look for a route with that alias "
                    "in the Flowroute portal and delete it before running again"
                    if failure is not None
                    else "no route with that alias showed up, so nothing was created; run "
                    "`pulumi up` again"
                )
                raise ResourceError(
                    f"creating route {alias!r} got no usable answer ({error}) and {outcome}."
                ) from None
            route = found
        _routes().wrote(route)
        self.info(f"created route {route.id} ({alias!r})")
        return route, False

    def _resume(self, client: FlowrouteClient, route: Route, props: Mapping[str, Any]) -> Route:
        """The route an interrupted run created under this resource's automatic name, made
        what this run wants."""
        changes = {k: props.get(k) for k in ROUTE_FIELDS if props.get(k) != getattr(route, k)}
        self.info(f"route {route.alias!r} (id {route.id}) was created by an earlier run; kept")
        if changes:
            route = client.update_route(route.id, **changes)
            _routes().wrote(route)
        return route

    @staticmethod
    def _by_alias(client: FlowrouteClient, alias: str) -> Route | None:
        """A fresh look (never the deployment's list): settles a create whose answer was lost."""
        return next((r for r in client.list_routes() if r.alias == alias), None)

    def _take_over(self, route: Route, props: Mapping[str, Any]) -> Route:
        wanted = {k: props.get(k) for k in ROUTE_FIELDS}
        if _outputs(route) | {"route_id": None} == wanted | {"route_id": None}:
            how = "adopted" if props.get("adopt") else "already exists;"
            self.info(f"route {route.alias!r} {how} (id {route.id}); nothing was created")
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
        route = _routes().listed(self.client).get(str(id_))
        if route is None:
            return ReadResult("", {})
        outs = _outputs(route) | _naming(props)
        if all(outs[k] == props.get(k) for k in ROUTE_FIELDS):
            # Nothing changed on the account: the inputs stay exactly as the program gave them,
            # so a refresh shows no difference (a state of any version included).
            return ReadResult(id_, outs)
        return ReadResult(id_, outs, {k: outs[k] for k in (*INPUTS.names, AUTO)})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        changes = {k: news.get(k) for k in ROUTE_FIELDS if news.get(k) != olds.get(k)}
        if not changes:  # only adopt changed: this resource's own bookkeeping
            return UpdateResult({**olds, **_naming({**news, "adopted": olds.get("adopted")})})
        try:
            route = self.client.update_route(id_, **changes)
        except NotFound:
            raise ResourceError(
                f"route {id_} ({olds.get('alias')!r}) no longer exists on Flowroute. Run "
                "`pulumi refresh` to drop it from state, then `pulumi up` to create it again."
            ) from None
        except ApiError as error:
            if error.status >= 500 or isinstance(error, Unauthorized):
                raise
            raise ResourceError(self._refused(news, error)) from None
        _routes().wrote(route)
        return UpdateResult(_outputs(route) | _naming({**news, "adopted": olds.get("adopted")}))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if props.get("adopted"):
            self.info(
                f"route {id_} ({props.get('alias')!r}) was adopted, so it stays on the account"
            )
            return
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
        _routes().deleted(id_)

    def _numbers_using(self, route_id: str) -> list[str]:
        users = []
        for number in self.client.list_numbers(limit=MAX_NUMBERS_SCANNED):
            details = self.client.get_number(number.value)
            if route_id in (details.primary_route_id, details.failover_route_id):
                users.append(number.value)
        return users


class InboundRoute(FlowrouteResource, module="flowroute", name="InboundRoute"):
    """An inbound voice route. ``route_id`` is what ``NumberRouting`` points numbers at."""

    provider_class = InboundRouteProvider

    route_id: pulumi.Output[str]
    route_type: pulumi.Output[str]
    value: pulumi.Output[str]
    alias: pulumi.Output[str]
    edge_strategy_id: pulumi.Output[int | None]
    adopt: pulumi.Output[bool]
    adopted: pulumi.Output[bool]

    @INPUTS.keywords
    def __init__(
        self,
        resource_name: str,
        *,
        opts: pulumi.ResourceOptions | None = None,
        **args: Unpack[InboundRouteArgs],
    ) -> None:
        """Declare a route (see :class:`InboundRouteArgs` for each input)."""
        # What names it when it has no alias: its URN (the parent is part of it).
        self._declared_opts, self._declared_alias = opts, args.get("alias")
        super().__init__(resource_name, args, opts)

    def hidden_inputs(self, resource_name: str, reference: bool) -> dict[str, Any]:
        if reference or isinstance(self._declared_alias, str):
            return {}  # named by the user: no claim needed (a stack of such routes has none)
        # The name an alias-less route gets: this stack's and this resource's, on every run.
        parent = self._declared_opts.parent if self._declared_opts else None
        return {NAMED: route_alias_for(resource_name, self._type_token(), parent)}

    @classmethod
    def _type_token(cls) -> str:
        return f"pulumi-python:{cls._resource_type_name}"
