"""What ``E911Assignment`` and ``CnamAssignment`` share: a number given one of the account's
objects (an E911 address, a caller name), its id kept in the number's own details.

The id is the resource's: the number. Create reads first, so a number adopted with the object
already given (onboarding) needs no write; read takes the object from the number's details, and
a number gone from the account drops the resource; update writes the new object straight over
the old; delete takes the object off, and a number already gone has nothing to take off.
"""

from typing import Annotated, Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from .client import Number
from .conversions import as_number
from .errors import NotFound
from .provider_base import FlowrouteProvider
from .schema import Rule

#: The ``number`` input of both assignments (an ``...Args`` annotation, evaluated).
AssignedNumber = Annotated[
    pulumi.Input[str],
    Rule(as_number, missing="set the number, e.g. a PhoneNumber's .number"),
]


class AssignmentProvider(FlowrouteProvider):
    """Base of the providers behind a number's assignment; a subclass writes and takes off."""

    replace_on = ("number",)
    #: The input, and the number's detail, holding the object's id (``e911_id``, ``cnam_id``).
    field: ClassVar[str]
    #: What the object is called in messages ("E911 address").
    object_name: ClassVar[str]
    #: What a number does with it, in messages ("gives E911 address").
    holds: ClassVar[str]
    #: Outputs beyond the inputs, from the write (None when nothing was written).
    extra_outputs: ClassVar[tuple[str, ...]] = ()

    def assign(self, number: str, object_id: str) -> dict[str, Any]:
        """Give ``number`` the object; returns the :attr:`extra_outputs`."""
        raise NotImplementedError

    def unassign(self, number: str) -> None:
        """Take the object off ``number``; raises NotFound when the number is gone."""
        raise NotImplementedError

    def assigned(self, number: Number, props: dict[str, Any]) -> Any:
        """The object's id as ``read`` reports it: the number's own detail."""
        return getattr(number, self.field)

    def create(self, props: dict[str, Any]) -> CreateResult:
        value, wanted = props["number"], props[self.field]
        details = self.details_or_none(value)  # if None, assign says why
        if details is not None and getattr(details, self.field) == wanted:
            self.info(f"{value} already {self.holds} {wanted}")
            extra = dict.fromkeys(self.extra_outputs)
        else:
            extra = self.assign(value, wanted)
        return CreateResult(value, {"number": value, self.field: wanted, **extra})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            number = self.client.get_number(id_)
        except NotFound:
            return ReadResult("", {})
        # None (taken off outside Pulumi) reads as a change the next `up` puts back.
        inputs = {"number": number.value, self.field: self.assigned(number, props)}
        outs = {**inputs, **{name: props.get(name) for name in self.extra_outputs}}
        return ReadResult(id_, outs, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        extra = self.assign(id_, news[self.field])
        return UpdateResult({"number": id_, self.field: news[self.field], **extra})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            self.unassign(id_)
        except NotFound:
            self.info(f"{id_} is no longer on the account; no {self.object_name} to take off")
