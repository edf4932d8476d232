"""``E911Assignment``: which E911 address a number gives emergency services.

Changing the address moves the number straight to the new record, with no moment without
E911. Deleting the resource takes the address off the number, so a destroy (assignment first,
as Pulumi orders it) never blocks deleting the address or releasing the number.
"""

from typing import Annotated, Any, TypedDict

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from typing_extensions import Unpack

from .conversions import as_e911_id, as_number
from .errors import NotFound, ResourceError, Unprocessable
from .provider_base import FlowrouteProvider, FlowrouteResource
from .schema import Inputs, Rule


class E911AssignmentArgs(TypedDict):
    """The inputs of :class:`E911Assignment`.

    - ``number``: the number (usually ``PhoneNumber.number``); changing it replaces this.
    - ``e911_id``: the address (``E911Address.e911_id``); changing it moves the number.
    """

    number: Annotated[
        pulumi.Input[str],
        Rule(as_number, missing="set the number, e.g. a PhoneNumber's .number"),
    ]
    e911_id: Annotated[
        pulumi.Input[str],
        Rule(as_e911_id, missing="set the address, e.g. an E911Address's .e911_id"),
    ]


INPUTS = Inputs(E911AssignmentArgs)


class E911AssignmentProvider(FlowrouteProvider):
    """Dynamic provider behind :class:`E911Assignment`."""

    inputs = INPUTS
    replace_on = ("number",)

    def create(self, props: dict[str, Any]) -> CreateResult:
        # Read first: a number adopted with its address (onboarding) needs no write at all.
        number = self.details_or_none(props["number"])  # if None, _assign says why
        current = number.e911_id if number is not None else None
        if current == props["e911_id"]:
            self.info(f"{props['number']} already gives E911 address {current}")
        else:
            self._assign(props["number"], props["e911_id"])
        return CreateResult(props["number"], {k: props[k] for k in INPUTS.names})

    def _assign(self, number: str, e911_id: str) -> None:
        """Point the number at the address; safe to repeat, charged once per address."""
        client = self.client
        try:
            client.assign_address(number, e911_id)
        except Unprocessable as error:
            raise ResourceError(
                f"Flowroute will not give {number} an E911 address: {error.detail_text}. "
                "Toll-free numbers cannot call emergency services; assign addresses to local "
                "numbers only."
            ) from None
        except NotFound:
            try:
                client.get_number(number)
            except NotFound:
                raise ResourceError(
                    f"{number} is not on your Flowroute account, so it cannot get an E911 "
                    "address. Buy or adopt it with a PhoneNumber first (and pass that "
                    "PhoneNumber's .number here so Pulumi orders them)."
                ) from None
            raise ResourceError(
                f"E911 address {e911_id} is not on your Flowroute account. Use an "
                "E911Address's e911_id (run `pulumi refresh` if it was deleted outside Pulumi)."
            ) from None
        self.info(f"{number} gives E911 address {e911_id}")

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            number = self.client.get_number(id_)
        except NotFound:
            return ReadResult("", {})
        # No address (taken off outside Pulumi) reads as a change the next `up` puts back.
        outs = {"number": number.value, "e911_id": number.e911_id}
        return ReadResult(id_, outs, dict(outs))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Straight to the new address: detaching first would leave the number without E911.
        self._assign(id_, news["e911_id"])
        return UpdateResult({"number": id_, "e911_id": news["e911_id"]})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            self.client.unassign_address(id_)
        except NotFound:
            self.info(f"{id_} is no longer on the account; no E911 address to take off")
            return
        self.warn(
            f"{id_} no longer has an E911 address: emergency calls from it carry no location "
            "until it gets one"
        )


class E911Assignment(FlowrouteResource, module="flowroute", name="E911Assignment"):
    """Gives a number an E911 address."""

    provider_class = E911AssignmentProvider

    number: pulumi.Output[str]
    e911_id: pulumi.Output[str]

    @INPUTS.keywords
    def __init__(
        self,
        resource_name: str,
        *,
        opts: pulumi.ResourceOptions | None = None,
        **args: Unpack[E911AssignmentArgs],
    ) -> None:
        """Declare a number's E911 address (see :class:`E911AssignmentArgs`)."""
        super().__init__(resource_name, args, opts)
