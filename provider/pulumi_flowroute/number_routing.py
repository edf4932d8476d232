"""``NumberRouting``: which routes a number's inbound calls take, primary and failover.

Create writes both slots without reading first; an update PATCHes only the slots that differ
from the state (the writes are safe to repeat), and nothing is read back. Deleting the resource puts
Flowroute's built-in route ``"0"`` back as primary and clears the failover, so routes can then
be deleted.
"""

from typing import Annotated, Any, TypedDict

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from typing_extensions import Unpack

from .client import BUILTIN_ROUTE_ID, Number
from .conversions import as_number, as_route_id
from .errors import NotFound
from .provider_base import FlowrouteProvider, FlowrouteResource
from .routing import converge, handovers, unroute
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
