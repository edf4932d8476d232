"""Writing a number's routing: which routes its inbound calls take, primary and failover.

Used by both resources that route a number: ``NumberRouting``, and a ``PhoneNumber`` given
route ids, which routes its own number. Both writes (PATCH a slot, DELETE the failover) are safe
to repeat. A number whose routing a PhoneNumber took over is remembered for the deployment
(:class:`Handovers`), so that a ``NumberRouting`` left from an older program does not undo it.
"""

import threading
from collections.abc import Mapping
from typing import Any

from .client import FlowrouteClient
from .deployment import DEPLOYMENT
from .errors import NotFound, ResourceError


def converge(
    client: FlowrouteClient, value: str, current: Mapping[str, Any] | None, wanted: Any
) -> None:
    """PATCH (or DELETE) the slots of ``value`` that differ from ``current`` (None: not known,
    so all)."""
    try:
        primary = wanted["primary_route_id"]
        if current is None or primary != current.get("primary_route_id"):
            point(client, value, "primary", primary)
        failover = wanted.get("failover_route_id")
        if current is None or failover != current.get("failover_route_id"):
            if failover is None:
                client.remove_route(value, "failover")
            else:
                point(client, value, "failover", failover)
    except NotFound:
        raise _not_on_account(value) from None


def take_over(
    client: FlowrouteClient, value: str, current: Mapping[str, Any] | None, wanted: Any
) -> None:
    """:func:`converge` for a PhoneNumber that routes its own number, which is then its own."""
    converge(client, value, current, wanted)
    handovers().add(value)


def point(client: FlowrouteClient, number: str, slot: str, route_id: str) -> None:
    """Make ``route_id`` the ``slot`` (primary or failover) route of ``number``."""
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


def _not_on_account(number: str) -> ResourceError:
    return ResourceError(
        f"{number} is not on your Flowroute account, so its routing cannot be set. Buy or "
        "adopt it with a PhoneNumber first (and pass that PhoneNumber's .number here so Pulumi "
        "orders them); if it was released outside Pulumi, run `pulumi refresh`."
    )


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
    """This deployment's numbers whose routing is their PhoneNumber's."""
    return DEPLOYMENT.of(Handovers)
