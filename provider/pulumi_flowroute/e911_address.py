"""``E911Address``: an emergency address record, which numbers point at with ``E911Assignment``.

Every change is made in place: Flowroute revalidates the address and moves every number using
it along, so no number is ever left without E911 (a replacement would detach them first).
``create`` never makes two records: one whose answer was lost is found by listing, and an
identical record that already exists is taken over only with ``adopt=True``. ``delete`` names
the numbers still using the address.
"""

import re
from collections.abc import Mapping
from typing import Annotated, Any, TypedDict

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from typing_extensions import Unpack

from .client import ADDRESS_FIELDS, EmergencyAddress, FlowrouteClient
from .conversions import (
    COUNTRIES,
    as_address_line,
    as_address_state,
    as_address_type,
    as_bool,
    as_country,
    as_text,
)
from .errors import ApiError, BadRequest, Forbidden, NotFound, ResourceError, Unprocessable
from .provider_base import (
    UNANSWERED,
    FlowrouteProvider,
    FlowrouteResource,
    outcome_unknown,
)
from .schema import Inputs, Problems, Rule, is_unknown

_US_ZIP = re.compile(r"[0-9]{5}")
_CA_POSTAL = re.compile(r"[A-Za-z][0-9][A-Za-z] ?[0-9][A-Za-z][0-9]")
DUPLICATE = "Duplicate address."


def _required(what: str) -> str:
    return f"set the {what}; every E911 address needs it"


class _Address(TypedDict):
    label: Annotated[
        pulumi.Input[str], Rule(as_address_line, missing=_required("label, e.g. 'HQ'"))
    ]
    first_name: Annotated[pulumi.Input[str], Rule(as_address_line, missing=_required("first name"))]
    last_name: Annotated[pulumi.Input[str], Rule(as_address_line, missing=_required("last name"))]
    street_number: Annotated[
        pulumi.Input[str], Rule(as_address_line, missing=_required("street number, e.g. '1218'"))
    ]
    street_name: Annotated[
        pulumi.Input[str], Rule(as_address_line, missing=_required("street name, e.g. '3rd Ave'"))
    ]
    city: Annotated[pulumi.Input[str], Rule(as_address_line, missing=_required("city"))]
    state: Annotated[
        pulumi.Input[str], Rule(as_address_state, missing=_required("state, e.g. 'WA'"))
    ]
    zip: Annotated[pulumi.Input[str], Rule(as_text, missing=_required("ZIP or postal code"))]


class E911AddressArgs(_Address, total=False):
    """The inputs of :class:`E911Address`.

    - ``label``: the record's name in the Flowroute portal.
    - ``first_name`` / ``last_name``: who emergency services ask for.
    - ``street_number``, ``street_name``, ``city``, ``state`` (two letters), ``zip`` (a
      5-digit US ZIP code or a Canadian postal code such as ``K1A 0B1``).
    - ``address_type`` / ``address_type_number``: the unit, e.g. ``Suite`` / ``600``; both
      or neither.
    - ``country``: ``US`` (default) or ``CA``.
    - ``adopt``: take over an identical address already on the account instead of failing.
    """

    address_type: Annotated[pulumi.Input[str] | None, Rule(as_address_type)]
    address_type_number: Annotated[pulumi.Input[str] | None, Rule(as_address_line)]
    country: Annotated[pulumi.Input[str] | None, Rule(as_country, default="US")]
    adopt: Annotated[pulumi.Input[bool] | None, Rule(as_bool, default=False)]


INPUTS = Inputs(E911AddressArgs)


def validate(
    problems: Problems, given: Mapping[str, Any], *, strict: bool = False
) -> dict[str, Any]:
    """E911Address's inputs checked and normalised, for ``check`` and the fleet config alike."""
    values = INPUTS.validate(problems, given, strict=strict)
    country, zip_code = values["country"], values["zip"]
    if isinstance(zip_code, str) and not is_unknown(country):
        if country == "CA" and _CA_POSTAL.fullmatch(zip_code.strip()):
            values["zip"] = zip_code.strip().upper()
        elif country == "US" and _US_ZIP.fullmatch(zip_code.strip()):
            values["zip"] = zip_code.strip()
        elif country in COUNTRIES.values():
            fix = (
                "use the 5-digit ZIP code, e.g. '98101' (Flowroute refuses ZIP+4)"
                if country == "US"
                else "use a Canadian postal code, e.g. 'K1A 0B1'"
            )
            problems.add("zip", zip_code, fix)
    kind, unit = given.get("address_type"), given.get("address_type_number")
    if (kind is None) != (unit is None):
        missing = "address_type_number" if unit is None else "address_type"
        problems.add(
            missing,
            None,
            "set address_type and address_type_number together (e.g. 'Suite' and '600'), "
            "or neither",
        )
    return values


def _plain(value: str | None) -> str:
    return " ".join((value or "").split()).lower()


def _same(address: EmergencyAddress, wanted: Mapping[str, Any]) -> bool:
    """Whether a stored address is the wanted one (Flowroute may change case and spacing)."""
    return all(
        _plain(getattr(address, name)) == _plain(wanted.get(name)) for name in ADDRESS_FIELDS
    )


def _outputs(address: EmergencyAddress, props: Mapping[str, Any], adopted: bool) -> dict[str, Any]:
    return {
        **address.fields(),
        "e911_id": address.id,
        "adopt": bool(props.get("adopt")),
        "adopted": adopted,
    }


def _refusal(error: ApiError, action: str) -> str:
    """What Flowroute's validation said, with the fields to fix named."""
    if isinstance(error, BadRequest):
        return (
            f"Flowroute could not find this address on the map ({error.detail_text}), so "
            f"it {action}. Check street_number and street_name first, then city, state and zip, "
            "against the address as the post office writes it."
        )
    detail = error.detail
    attributes = (
        detail.get("data", {}).get("attributes") if isinstance(detail, dict) else None
    ) or detail
    if isinstance(attributes, dict):
        fields = "; ".join(
            f"{field}: {', '.join(map(str, messages)) if isinstance(messages, list) else messages}"
            for field, messages in attributes.items()
        )
    else:
        fields = error.detail_text or error.title or str(error.status)
    return f"Flowroute refused the address ({fields}), so it {action}. Fix the field named."


class E911AddressProvider(FlowrouteProvider):
    """Dynamic provider behind :class:`E911Address`."""

    # Never a replacement: that would take E911 off every number using the address.
    inputs = INPUTS

    def validate(
        self, problems: Problems, news: dict[str, Any], olds: dict[str, Any]
    ) -> dict[str, Any]:
        return validate(problems, news)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client
        wanted = {name: props.get(name) for name in ADDRESS_FIELDS}
        if props.get("adopt"):
            # Look before creating: adopting an address on the account writes nothing.
            found = self._identical(client, props)
            if found is not None:
                self.info(f"adopted E911 address {found.id} ({found.label!r}); nothing was created")
                return CreateResult(found.id, _outputs(found, props, adopted=True))
        self.info(f"creating E911 address {props['label']!r}")
        try:
            address = client.create_address(wanted)
        except Forbidden as error:
            if error.detail_text != DUPLICATE:
                raise ResourceError(
                    f"Flowroute refused to create E911 address {props['label']!r}: "
                    f"{error.detail_text or error.title}. Check the account's balance and "
                    "permissions in the Flowroute portal."
                ) from None
            return self._existing(client, props)
        except (BadRequest, Unprocessable) as error:
            raise ResourceError(_refusal(error, "was not created")) from None
        except (ApiError, *UNANSWERED) as error:
            if not outcome_unknown(error):
                raise
            found, failure = self.settle(lambda: self._identical(client, props))
            if found is None:
                then = (
                    f"listing addresses failed too ({failure}); look for it in the Flowroute "
                    "portal before running again"
                    if failure is not None
                    else "no such address showed up, so none was created; run `pulumi up` again"
                )
                raise ResourceError(
                    f"creating E911 address {props['label']!r} got no usable answer ({error}) "
                    f"and {then}."
                ) from None
            address = found
        self.info(f"created E911 address {address.id} ({props['label']!r})")
        return CreateResult(address.id, _outputs(address, props, adopted=False))

    def _existing(self, client: FlowrouteClient, props: Mapping[str, Any]) -> CreateResult:
        """Flowroute holds an identical address: take it over only when told to."""
        found = self._identical(client, props)
        if found is None:
            raise ResourceError(
                f"Flowroute says E911 address {props['label']!r} duplicates one on the account, "
                "but no identical address was found to adopt. Compare the addresses in the "
                "Flowroute portal (E911), then run again."
            )
        if not props.get("adopt"):
            raise ResourceError(
                f"an identical E911 address is already on the account (e911_id {found.id}, "
                f"label {found.label!r}), so none was created. Set adopt=True to manage it "
                "with this E911Address, or delete it in the Flowroute portal."
            )
        self.info(f"adopted E911 address {found.id} ({found.label!r}); nothing was created")
        return CreateResult(found.id, _outputs(found, props, adopted=True))

    @staticmethod
    def _identical(client: FlowrouteClient, props: Mapping[str, Any]) -> EmergencyAddress | None:
        listed = client.list_addresses(
            street_name=props.get("street_name"), city=props.get("city"), state=props.get("state")
        )
        return next((address for address in listed if _same(address, props)), None)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            address = self.client.get_address(id_)
        except NotFound:
            return ReadResult("", {})
        outs = _outputs(address, props, adopted=bool(props.get("adopted")))
        # Flowroute may store "3rd ave" as "3RD AVE": only a real change is drift.
        inputs = {
            name: props.get(name)
            if _plain(props.get(name)) == _plain(getattr(address, name))
            else getattr(address, name)
            for name in ADDRESS_FIELDS
        }
        inputs["adopt"] = bool(props.get("adopt"))
        return ReadResult(id_, {**outs, **inputs}, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # The whole address every time: a field left out (a removed unit) would otherwise stay.
        wanted = {name: news.get(name) for name in ADDRESS_FIELDS}
        try:
            address = self.client.update_address(id_, wanted)
        except NotFound:
            raise ResourceError(
                f"E911 address {id_} ({olds.get('label')!r}) is no longer on the account. Run "
                "`pulumi refresh` to drop it from state, then `pulumi up` to create it again."
            ) from None
        except (BadRequest, Unprocessable) as error:
            raise ResourceError(
                _refusal(error, "was not changed: the numbers keep the address they had")
            ) from None
        return UpdateResult(_outputs(address, news, adopted=bool(olds.get("adopted"))))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            self.client.delete_address(id_)
        except NotFound:
            self.info(f"E911 address {id_} was already gone")
            return
        except Forbidden as error:
            users = self.client.address_numbers(id_)
            raise ResourceError(
                f"Flowroute will not delete E911 address {id_} ({props.get('label')!r}): "
                f"{error.title}. {', '.join(users) if users else 'Some numbers'} still use it: "
                "delete their E911Assignment (or point them at another address) first, then "
                "run again."
            ) from None
        self.info(f"deleted E911 address {id_}")


class E911Address(FlowrouteResource, module="flowroute", name="E911Address"):
    """An emergency (E911) address on your Flowroute account. ``e911_id`` is what
    ``E911Assignment`` gives a number."""

    provider_class = E911AddressProvider
    id_output = "e911_id"

    e911_id: pulumi.Output[str]
    label: pulumi.Output[str]
    first_name: pulumi.Output[str]
    last_name: pulumi.Output[str]
    street_number: pulumi.Output[str]
    street_name: pulumi.Output[str]
    address_type: pulumi.Output[str | None]
    address_type_number: pulumi.Output[str | None]
    city: pulumi.Output[str]
    state: pulumi.Output[str]
    country: pulumi.Output[str]
    zip: pulumi.Output[str]
    adopt: pulumi.Output[bool]
    adopted: pulumi.Output[bool]

    @INPUTS.keywords
    def __init__(
        self,
        resource_name: str,
        *,
        opts: pulumi.ResourceOptions | None = None,
        **args: Unpack[E911AddressArgs],
    ) -> None:
        """Declare an address (see :class:`E911AddressArgs` for each input)."""
        super().__init__(resource_name, args, opts)
