"""``NumberRouting``: which routes a number's inbound calls take, primary and failover.

Create writes both slots without reading first; an update PATCHes only the slots that differ
from the state (the writes are safe to repeat), and nothing is read back. Deleting the resource puts
Flowroute's built-in route ``"0"`` back as primary and clears the failover, so routes can then
be deleted.
"""

import threading
from collections.abc import Mapping
from typing import Annotated, Any, TypedDict

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from typing_extensions import Unpack

from .client import BUILTIN_ROUTE_ID, FlowrouteClient, Number
from .conversions import as_number, as_route_id
from .deployment import DEPLOYMENT
from .errors import NotFound, ResourceError
from .provider_base import FlowrouteProvider, FlowrouteResource
from .schema import Inputs, Rule


class _Routed(TypedDict):
    number: Annotated[
        pulumi.Input[str],
        Rule(as_number, missing="set the number to route, e.g. a PhoneNumber's .number"),
    ]
    primary_route_id: Annotated[
        pulumi.Input[str],
        Rule(
            as_route_id,
            missing="set the route for inbound calls, e.g. an InboundRoute's .route_id "
            "(or '0' for SIP registration)",
        ),
    ]


class NumberRoutingArgs(_Routed, total=False):
    """The inputs of :class:`NumberRouting`.

    - ``number``: the number (usually ``PhoneNumber.number``); changing it replaces the routing.
    - ``primary_route_id``: the route calls take first (``InboundRoute.route_id``).
    - ``failover_route_id``: the route calls take when the primary fails; unset means none.
    """

    failover_route_id: Annotated[pulumi.Input[str] | None, Rule(as_route_id)]


INPUTS = Inputs(NumberRoutingArgs)


def _outputs(number: Number) -> dict[str, Any]:
    return {
        "number": number.value,
        "primary_route_id": number.primary_route_id,
        "failover_route_id": number.failover_route_id,
    }


def _not_on_account(number: str) -> ResourceError:
    return ResourceError(
        f"{number} is not on your Flowroute account, so its routing cannot be set. Buy or "
        "adopt it with a PhoneNumber first (and pass that PhoneNumber's .number here so Pulumi "
        "orders them); if it was released outside Pulumi, run `pulumi refresh`."
    )


def converge(
    client: FlowrouteClient, value: str, current: Mapping[str, Any] | None, wanted: Any
) -> None:
    """PATCH (or DELETE) the slots of ``value`` that differ from ``current`` (None: not known,
    so all). Both writes are safe to repeat. Used by NumberRouting and by a PhoneNumber that
    routes its own number."""
    try:
        primary = wanted["primary_route_id"]
        if current is None or primary != current.get("primary_route_id"):
            _point(client, value, "primary", primary)
        failover = wanted.get("failover_route_id")
        if current is None or failover != current.get("failover_route_id"):
            if failover is None:
                client.remove_route(value, "failover")
            else:
                _point(client, value, "failover", failover)
    except NotFound:
        raise _not_on_account(value) from None


def _point(client: FlowrouteClient, number: str, slot: str, route_id: str) -> None:
    try:
        client.set_route(number, slot, route_id)
    except NotFound as error:
        if error.detail_text == "Route not found.":
            raise ResourceError(
                f"cannot make route {route_id} the {slot} route of {number}: Flowroute has "
                "no such route. Use an InboundRoute's route_id, or '0' for SIP "
                "registration."
            ) from None
        raise


def unroute(client: FlowrouteClient, value: str, had_failover: bool) -> bool:
    """Put the built-in route back as primary and clear the failover, so the routes can be
    deleted; False when the number is gone from the account."""
    try:
        client.remove_route(value, "primary")
        if had_failover:
            client.remove_route(value, "failover")
    except NotFound:
        return False
    return True


class Handovers:
    """Numbers whose routing a PhoneNumber of this deployment manages itself: a NumberRouting
    left behind by an older program (its routing moved into the PhoneNumber) must not undo it
    when Pulumi deletes it, which is after every create and update of the run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._numbers: set[str] = set()

    def add(self, number: str) -> None:
        with self._lock:
            self._numbers.add(number)

    def __contains__(self, number: object) -> bool:
        with self._lock:
            return number in self._numbers


def handovers() -> Handovers:
    """This deployment's numbers handed over to their PhoneNumber."""
    return DEPLOYMENT.of(Handovers)


class NumberRoutingProvider(FlowrouteProvider):
    """Dynamic provider behind :class:`NumberRouting`."""

    inputs = INPUTS
    replace_on = ("number",)

    def create(self, props: dict[str, Any]) -> CreateResult:
        # Both slots are written whatever they held (the writes are safe to repeat), so no read
        # comes first; a failover an adopted number carried is cleared.
        converge(self.client, props["number"], None, props)
        return CreateResult(props["number"], {k: props.get(k) for k in INPUTS.names})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            number = self.client.get_number(id_)
        except NotFound:
            return ReadResult("", {})
        outs = _outputs(number)
        return ReadResult(id_, outs, dict(outs))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        converge(self.client, id_, olds, news)
        return UpdateResult({k: news.get(k) for k in INPUTS.names} | {"number": id_})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if id_ in handovers():
            self.info(f"{id_}'s routing is now its PhoneNumber's; left as it is")
            return
        if not unroute(self.client, id_, props.get("failover_route_id") is not None):
            self.info(f"{id_} is no longer on the account; nothing to unroute")
            return
        self.info(f"{id_} routes back to the built-in route {BUILTIN_ROUTE_ID} with no failover")


class NumberRouting(FlowrouteResource, module="flowroute", name="NumberRouting"):
    """Points a number's inbound calls at a primary and an optional failover route."""

    provider_class = NumberRoutingProvider

    number: pulumi.Output[str]
    primary_route_id: pulumi.Output[str]
    failover_route_id: pulumi.Output[str | None]

    @INPUTS.keywords
    def __init__(
        self,
        resource_name: str,
        *,
        opts: pulumi.ResourceOptions | None = None,
        **args: Unpack[NumberRoutingArgs],
    ) -> None:
        """Declare a number's routing (see :class:`NumberRoutingArgs` for each input)."""
        super().__init__(resource_name, args, opts)
