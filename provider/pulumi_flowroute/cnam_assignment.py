"""``CnamAssignment``: which caller-name record a number shows on outbound calls.

Flowroute takes 5 to 7 business days to put an assignment into effect, and only long-code
numbers can carry one; the record must be approved first (the create says to wait and rerun
while it is not). Until the days have passed, a number that does not show the record yet is
not drift.
"""

import time
from datetime import datetime, timezone
from typing import Annotated, Any, TypedDict

import pulumi
from typing_extensions import Unpack

from .assignment import AssignedNumber, AssignmentProvider
from .client import Number
from .conversions import as_cnam_id
from .errors import NotFound, ResourceError, Unprocessable
from .provider_base import FlowrouteResource
from .schema import Inputs, Rule

# 7 business days, as calendar days with a weekend or two in between.
TAKES_EFFECT_SECONDS = 11 * 24 * 3600


class CnamAssignmentArgs(TypedDict):
    """The inputs of :class:`CnamAssignment`.

    - ``number``: a long-code number (usually ``PhoneNumber.number``); changing it replaces this.
    - ``cnam_id``: an approved record (``CnamRecord.cnam_id``).
    """

    number: AssignedNumber
    cnam_id: Annotated[
        pulumi.Input[str],
        Rule(as_cnam_id, missing="set the caller name, e.g. a CnamRecord's .cnam_id"),
    ]


INPUTS = Inputs(CnamAssignmentArgs)


def _requested_recently(requested_at: Any) -> bool:
    if not isinstance(requested_at, str):
        return False
    try:
        when = datetime.fromisoformat(requested_at)
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return time.time() - when.timestamp() < TAKES_EFFECT_SECONDS


class CnamAssignmentProvider(AssignmentProvider):
    """Dynamic provider behind :class:`CnamAssignment`; ``requested_at`` is when the caller
    name was asked for (None for a number adopted with it: unknown)."""

    inputs = INPUTS
    field = "cnam_id"
    object_name = "caller name"
    holds = "shows caller name"
    extra_outputs = ("requested_at",)

    def assign(self, number: str, cnam_id: str) -> dict[str, Any]:
        client = self.client
        try:
            record = client.get_caller_name(cnam_id)
        except NotFound:
            raise ResourceError(
                f"caller name {cnam_id} is not on your Flowroute account. Use a CnamRecord's "
                "cnam_id (run `pulumi refresh` if it was deleted outside Pulumi)."
            ) from None
        if record.status != "approved":
            why = (
                f"was rejected ({record.rejection_reason}): change the CnamRecord's value"
                if record.status == "rejected"
                else "is pending Flowroute's review (up to 48 hours)"
            )
            raise ResourceError(
                f"caller name {record.value!r} (cnam_id {cnam_id}) {why}, so {number} cannot "
                "use it yet; nothing was changed. Run `pulumi up` again once the CnamRecord's "
                "status is approved (`pulumi refresh` shows it)."
            )
        try:
            requested = client.assign_caller_name(number, cnam_id)
        except NotFound:
            raise ResourceError(
                f"{number} is not on your Flowroute account, so it cannot get a caller name. "
                "Buy or adopt it with a PhoneNumber first, and pass that PhoneNumber's .number."
            ) from None
        except Unprocessable as error:
            raise ResourceError(
                f"Flowroute will not give {number} caller name {record.value!r}: "
                f"{error.detail_text}. Only long-code (not toll-free) numbers carry one."
            ) from None
        self.info(
            f"{number} asked to show caller name {record.value!r}; Flowroute takes 5-7 "
            "business days to put it into effect"
        )
        return {
            "requested_at": requested or datetime.now(timezone.utc).isoformat(timespec="seconds")
        }

    def assigned(self, number: Number, props: dict[str, Any]) -> Any:
        if number.cnam_id is None and _requested_recently(props.get("requested_at")):
            # Not in effect yet: the days it takes are not drift.
            self.info(f"{number.value} does not show its caller name yet; Flowroute takes days")
            return props.get("cnam_id")
        return number.cnam_id

    def unassign(self, number: str) -> None:
        self.client.unassign_caller_name(number)
        self.info(f"{number} asked to stop showing its caller name (takes effect in days)")


class CnamAssignment(FlowrouteResource, module="flowroute", name="CnamAssignment"):
    """Gives a number an approved caller-name record."""

    provider_class = CnamAssignmentProvider

    number: pulumi.Output[str]
    cnam_id: pulumi.Output[str]
    requested_at: pulumi.Output[str | None]

    @INPUTS.keywords
    def __init__(
        self,
        resource_name: str,
        *,
        opts: pulumi.ResourceOptions | None = None,
        **args: Unpack[CnamAssignmentArgs],
    ) -> None:
        """Declare a number's caller name (see :class:`CnamAssignmentArgs`)."""
        super().__init__(resource_name, args, opts)
