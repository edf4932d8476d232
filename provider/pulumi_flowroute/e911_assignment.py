"""``E911Assignment``: which E911 address a number gives emergency services.

Changing the address moves the number straight to the new record, with no moment without
E911. Deleting the resource takes the address off the number, so a destroy (assignment first,
as Pulumi orders it) never blocks deleting the address or releasing the number.
"""

from typing import Annotated, Any, TypedDict

import pulumi
from typing_extensions import Unpack

from .assignment import AssignedNumber, AssignmentProvider
from .conversions import as_e911_id
from .errors import NotFound, ResourceError, Unprocessable
from .provider_base import FlowrouteResource
from .schema import Inputs, Rule


class E911AssignmentArgs(TypedDict):
    """The inputs of :class:`E911Assignment`.

    - ``number``: the number (usually ``PhoneNumber.number``); changing it replaces this.
    - ``e911_id``: the address (``E911Address.e911_id``); changing it moves the number.
    """

    number: AssignedNumber
    e911_id: Annotated[
        pulumi.Input[str],
        Rule(as_e911_id, missing="set the address, e.g. an E911Address's .e911_id"),
    ]


INPUTS = Inputs(E911AssignmentArgs)


class E911AssignmentProvider(AssignmentProvider):
    """Dynamic provider behind :class:`E911Assignment`."""

    inputs = INPUTS
    field = "e911_id"
    object_name = "E911 address"
    holds = "gives E911 address"

    def assign(self, number: str, e911_id: str) -> dict[str, Any]:
        """Point the number at the address; safe to repeat, charged once per address. An
        update goes straight to the new address: detaching first would leave the number
        without E911."""
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
        return {}

    def unassign(self, number: str) -> None:
        self.client.unassign_address(number)
        self.warn(
            f"{number} no longer has an E911 address: emergency calls from it carry no location "
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
