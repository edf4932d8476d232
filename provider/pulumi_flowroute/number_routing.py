"""``NumberRouting``: which routes a number's inbound calls take, primary and failover.

Only relationships that differ are PATCHed (they are safe to repeat). Deleting the resource puts
Flowroute's built-in route ``"0"`` back as primary and clears the failover, so routes can then
be deleted.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from .client import BUILTIN_ROUTE_ID, FlowrouteClient, Number
from .errors import NotFound
from .provider_base import (
    Checker,
    FlowrouteProvider,
    FlowrouteResource,
    ResourceError,
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
        current = self._details(self.client, props["number"])
        number = self._converge(current, props)
        return CreateResult(number.value, _outputs(number))

    def _converge(self, current: Number, wanted: dict[str, Any]) -> Number:
        """PATCH (or DELETE) only the slots whose route differs, then read the result once."""
        client = self.client
        value = current.value
        touched = False
        try:
            if wanted["primary_route_id"] != current.primary_route_id:
                self._set(client, value, "primary", wanted["primary_route_id"])
                touched = True
            failover = wanted.get("failover_route_id")
            if failover != current.failover_route_id:
                if failover is None:
                    client.remove_route(value, "failover")
                else:
                    self._set(client, value, "failover", failover)
                touched = True
        except NotFound:
            raise _not_on_account(value) from None
        return self._details(client, value) if touched else current

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

    @staticmethod
    def _details(client: FlowrouteClient, number: str) -> Number:
        try:
            return client.get_number(number)
        except NotFound:
            raise _not_on_account(number) from None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            number = self.client.get_number(id_)
        except NotFound:
            return ReadResult("", {})
        outs = _outputs(number)
        return ReadResult(id_, outs, dict(outs))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        known = Number(
            value=id_,
            alias=None,
            cnam_lookups_enabled=False,
            number_type=None,
            rate_center=None,
            state=None,
            primary_route_id=olds.get("primary_route_id"),
            failover_route_id=olds.get("failover_route_id"),
        )
        return UpdateResult(_outputs(self._converge(known, news)))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            self.client.remove_route(id_, "primary")
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
        number: pulumi.Input[str] | None = None,
        primary_route_id: pulumi.Input[str] | None = None,
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
