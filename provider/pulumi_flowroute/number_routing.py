"""``NumberRouting``: which routes a number's inbound calls take, primary and failover.

Create writes both slots without reading first; an update PATCHes only the slots that differ
from the state (the writes are safe to repeat), and nothing is read back. Deleting the resource puts
Flowroute's built-in route ``"0"`` back as primary and clears the failover, so routes can then
be deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from .client import BUILTIN_ROUTE_ID, FlowrouteClient, Number
from .errors import NotFound, ResourceError
from .provider_base import (
    Checker,
    FlowrouteProvider,
    FlowrouteResource,
    as_id,
    as_number,
)

INPUTS = ("number", "primary_route_id", "failover_route_id")


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


class NumberRoutingProvider(FlowrouteProvider):
    """Dynamic provider behind :class:`NumberRouting`."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        check = Checker(news)
        for prop, convert, fix in (
            ("number", as_number, "set the number to route, e.g. a PhoneNumber's .number"),
            (
                "primary_route_id",
                as_id,
                "set the route for inbound calls, e.g. an "
                "InboundRoute's .route_id (or '0' for SIP registration)",
            ),
        ):
            if check.take(prop, convert) is None and news.get(prop) is None:
                check.fail(prop, None, fix)
        check.take("failover_route_id", as_id)
        return CheckResult(check.inputs, check.failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in INPUTS if news.get(k) != olds.get(k)]
        replaces = ["number"] if "number" in changed else []
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        # Both slots are written whatever they held (the writes are safe to repeat), so no read
        # comes first; a failover an adopted number carried is cleared.
        self._converge(props["number"], None, props)
        return CreateResult(props["number"], {k: props.get(k) for k in INPUTS})

    def _converge(self, value: str, current: Mapping[str, Any] | None, wanted: Any) -> None:
        """PATCH (or DELETE) the slots that differ from ``current`` (None: not known, all)."""
        client = self.client
        try:
            primary = wanted["primary_route_id"]
            if current is None or primary != current.get("primary_route_id"):
                self._set(client, value, "primary", primary)
            failover = wanted.get("failover_route_id")
            if current is None or failover != current.get("failover_route_id"):
                if failover is None:
                    client.remove_route(value, "failover")
                else:
                    self._set(client, value, "failover", failover)
        except NotFound:
            raise _not_on_account(value) from None

    @staticmethod
    def _set(client: FlowrouteClient, number: str, slot: str, route_id: str) -> None:
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

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            number = self.client.get_number(id_)
        except NotFound:
            return ReadResult("", {})
        outs = _outputs(number)
        return ReadResult(id_, outs, dict(outs))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._converge(id_, olds, news)
        return UpdateResult({k: news.get(k) for k in INPUTS} | {"number": id_})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            self.client.remove_route(id_, "primary")
            if props.get("failover_route_id") is not None:
                self.client.remove_route(id_, "failover")
        except NotFound:
            self.info(f"{id_} is no longer on the account; nothing to unroute")
            return
        self.info(f"{id_} routes back to the built-in route {BUILTIN_ROUTE_ID} with no failover")


class NumberRouting(FlowrouteResource, module="flowroute", name="NumberRouting"):
    """Points a number's inbound calls at a primary and an optional failover route."""

    number: pulumi.Output[str]
    primary_route_id: pulumi.Output[str]
    failover_route_id: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        number: pulumi.Input[str],
        primary_route_id: pulumi.Input[str],
        failover_route_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a number's routing.

        :param number: the number (usually ``PhoneNumber.number``); changing it replaces this.
        :param primary_route_id: the route calls take first (``InboundRoute.route_id``).
        :param failover_route_id: the route calls take when the primary fails; unset = none.
        """
        props = {
            "number": number,
            "primary_route_id": primary_route_id,
            "failover_route_id": failover_route_id,
        }
        super().__init__(NumberRoutingProvider(), resource_name, props, opts)
