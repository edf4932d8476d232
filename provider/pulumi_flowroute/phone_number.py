"""``PhoneNumber``: a Flowroute number bought (exactly, or the first match of a search) or adopted.

Its whole life is here: ``check`` validates without calling the API, ``create`` buys (never
twice: a purchase whose answer was lost is settled by reading the number's details), ``read``
finds drift, ``update`` changes alias / CNAM in place, ``delete`` keeps the number unless
``release_on_delete=True``.

It imports no other resource: buying is a :class:`~.purchases.Purchaser` that ``create`` calls,
routing its own number goes through :mod:`.routing` (as ``NumberRouting`` does), and a bought
number's claim comes from :mod:`.claims`, the stack's once-per-run token, which imports no
resource either.
"""

import dataclasses
from collections.abc import Mapping
from typing import Annotated, Any, TypedDict

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from typing_extensions import Unpack

from . import purchases, routing
from .claims import DEFAULT_ALIAS, claim_alias, default_alias_of, described, urn_of
from .client import BUILTIN_ROUTE_ID, AvailableNumber, FlowrouteClient, Number
from .conversions import (
    as_alias,
    as_bool,
    as_cost,
    as_digits,
    as_number,
    as_rate_center,
    as_route_id,
    as_search_state,
)
from .deployment import DEPLOYMENT, Holders
from .errors import ApiError, NotFound
from .lifeline import answer_recorded
from .provider_base import UNANSWERED, FlowrouteProvider, FlowrouteResource, outcome_unknown
from .purchases import Purchaser, matches, quiet
from .schema import Inputs, Problems, Rule, is_unknown


class NumberSearch(TypedDict, total=False):
    """Criteria for buying the first matching number from Flowroute's inventory.

    ``starts_with`` / ``contains`` / ``ends_with`` are digits (``starts_with="206"`` means
    ``1206``); ``state`` is a two-letter abbreviation; ``rate_center`` a Flowroute rate centre
    such as ``"seattle"``.
    """

    starts_with: Annotated[pulumi.Input[str] | None, Rule(as_digits)]
    contains: Annotated[pulumi.Input[str] | None, Rule(as_digits)]
    ends_with: Annotated[pulumi.Input[str] | None, Rule(as_digits)]
    rate_center: Annotated[pulumi.Input[str] | None, Rule(as_rate_center)]
    state: Annotated[pulumi.Input[str] | None, Rule(as_search_state)]


class PhoneNumberArgs(TypedDict, total=False):
    """The inputs of :class:`PhoneNumber` (and of :class:`RoutedNumber`'s number).

    - ``number``: the exact number to buy or adopt, e.g. ``"12065551234"``.
    - ``search``: buy the first available number matching these criteria instead.
    - ``alias``: the number's alias in the Flowroute portal (at most 64 characters); unset
      leaves whatever alias the number has.
    - ``cnam_lookups_enabled``: caller-name lookups on inbound calls; unset leaves it as is.
    - ``adopt``: take over ``number`` without buying if it is already on the account.
    - ``release_on_delete``: release the number when the resource is deleted or replaced.
    - ``max_setup_cost`` / ``max_monthly_cost``: refuse to buy a number that costs more (USD).
    - ``primary_route_id`` / ``failover_route_id``: route the number's inbound calls (an
      ``InboundRoute``'s ``route_id``, or ``'0'`` for SIP registration) as part of this
      resource, so a fleet needs one resource per number. Unset leaves the routing alone (to
      a ``NumberRouting``, say). A failover needs a primary; with a primary, no failover means
      none.
    """

    number: Annotated[pulumi.Input[str] | None, Rule(as_number)]
    search: Annotated[NumberSearch | None, Rule(nested=NumberSearch)]
    alias: Annotated[pulumi.Input[str] | None, Rule(as_alias)]
    cnam_lookups_enabled: Annotated[pulumi.Input[bool] | None, Rule(as_bool)]
    adopt: Annotated[pulumi.Input[bool] | None, Rule(as_bool, default=False)]
    release_on_delete: Annotated[pulumi.Input[bool] | None, Rule(as_bool, default=False)]
    max_setup_cost: Annotated[pulumi.Input[float] | None, Rule(as_cost)]
    max_monthly_cost: Annotated[pulumi.Input[float] | None, Rule(as_cost)]
    primary_route_id: Annotated[pulumi.Input[str] | None, Rule(as_route_id)]
    failover_route_id: Annotated[pulumi.Input[str] | None, Rule(as_route_id)]


INPUTS = Inputs(PhoneNumberArgs)
ROUTING = ("primary_route_id", "failover_route_id")
SEARCH = INPUTS.nested["search"]
# Left as they are on the account while unset (the failover: while the primary is unset).
UNMANAGED_WHEN_UNSET = ("alias", "cnam_lookups_enabled", "primary_route_id")
#: The resource's URN, given by the program (``__``: Pulumi shows none of it) so that ``check``
#: can name both resources when two of one stack would manage one number; never kept.
HOLDER = "__urn"


def validate(problems: Problems, given: Mapping[str, Any]) -> dict[str, Any]:
    """PhoneNumber's inputs checked and normalised, for ``check`` and the fleet config alike."""
    values = INPUTS.validate(problems, given)
    if given.get("failover_route_id") is not None and given.get("primary_route_id") is None:
        problems.add(
            "failover_route_id",
            given["failover_route_id"],
            "set primary_route_id too: a number routes to its failover only when its primary fails",
        )
    number, search = given.get("number"), given.get("search")
    if number is not None and search is not None:
        problems.add(
            "search",
            search,
            "set number (an exact number) or search (buy the first match), not both",
        )
    elif number is None and search is None:
        problems.add(
            "number",
            None,
            "set number (e.g. '12065551234') to buy or adopt an exact number, or search "
            "(e.g. starts_with '206') to buy the first available match",
        )
    elif isinstance(search, Mapping) and all(search.get(k) is None for k in SEARCH):
        within = problems.path("search")
        if not any(path.startswith(within) for path, _, _ in problems.found):
            problems.add("search", dict(search), f"give at least one of {', '.join(SEARCH)}")
    if values["adopt"] is True and search is not None:
        problems.add(
            "adopt",
            True,
            "adopt takes over an exact number you already own; set number instead of search, "
            "or drop adopt",
        )
    return values


class PhoneNumberProvider(FlowrouteProvider):
    """Dynamic provider behind :class:`PhoneNumber`."""

    inputs = INPUTS

    def validate(
        self, problems: Problems, news: dict[str, Any], olds: dict[str, Any]
    ) -> dict[str, Any]:
        inputs = validate(problems, news)
        inputs[DEFAULT_ALIAS] = default_alias_of(news)
        self._hold(problems, inputs.get("number"), news.get(HOLDER))
        return inputs

    @staticmethod
    def _hold(problems: Problems, number: Any, urn: Any) -> None:
        """Refuse a number another resource of this deployment manages already.

        ``check`` sees every resource of a deployment, one after another, before anything is
        created: the second of two resources managing one number (two ``adopt=True`` of one
        number, say) is refused in preview, and both are named. They would otherwise overwrite
        each other's alias, caller-name setting and routing on every run.
        """
        if not (isinstance(number, str) and isinstance(urn, str)):
            return  # bought by search, or not known yet: no other resource can name it
        holder = DEPLOYMENT.of(Holders).hold(number, urn)
        if holder is not None:
            problems.add(
                "number",
                number,
                f"{described(holder)} manages it already: keep one of {described(urn)} and "
                f"{described(holder)} (two would undo each other's alias and routing on every "
                "run)",
            )

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        self._recorded(id_, news)
        replaces: list[str] = []
        number, search = news.get("number"), news.get("search")
        if number is not None and (is_unknown(number) or number != olds.get("number")):
            replaces.append("number")
        elif isinstance(search, Mapping) and search != olds.get("search"):
            # A new search keeps the held number while that number still matches it.
            if any(is_unknown(v) for v in search.values()) or not matches(search, olds):
                replaces.append("search")
        elif is_unknown(search):
            replaces.append("search")
        changed = []
        for key in INPUTS.names:
            new = news.get(key)
            if new is None and key in ("number", *UNMANAGED_WHEN_UNSET):
                continue  # a search's number is an output; an unset alias is left alone
            if key == "failover_route_id" and news.get("primary_route_id") is None:
                continue
            if new != olds.get(key):
                changed.append(key)
        if replaces and not olds.get("release_on_delete") and olds.get("number"):
            self._warn_second_bill(olds, news, replaces)
        return DiffResult(
            changes=bool(changed or replaces), replaces=replaces, delete_before_replace=False
        )

    @staticmethod
    def _recorded(id_: str, news: Mapping[str, Any]) -> None:
        """Tell this deployment of a number the state records for a PhoneNumber.

        Written from ``diff`` because it is the one call the engine makes for every recorded
        resource: an unchanged one gets no other (``read`` only with a refresh), and ``check``
        is given the old inputs, which lack a number bought by search. Unknown to the
        deployment, the number (if it has no alias) would be taken by a sibling's search for
        what an interrupted purchase left, and a NumberRouting of an older program, deleted
        after every create and update of the run, would undo the routing this PhoneNumber now
        holds.
        """
        purchases.memory().hold(id_)
        if news.get("primary_route_id") is not None:
            routing.handovers().add(id_)

    def _warn_second_bill(
        self, olds: Mapping[str, Any], news: Mapping[str, Any], replaces: list[str]
    ) -> None:
        """A replacement buys a number and keeps the old one: say so before it happens."""
        old = olds["number"]
        new = news.get("number")
        buys = f"buys {new}" if isinstance(new, str) and "number" in replaces else "buys a number"
        hint = (
            " If the number comes from get_available_numbers(), that picks a different number "
            "on each run: use search=NumberSearch(...) instead, which buys once and keeps it."
            if "number" in replaces
            else ""
        )
        self.warn(
            f"replacing this PhoneNumber {buys} while {old} stays on your Flowroute account and "
            f"keeps billing (release_on_delete is off).{hint}"
        )

    # -- create ------------------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client
        purchaser = Purchaser(client, self.settings.settle_seconds, self.info)
        number, costs, adopted = purchaser.acquire(props)
        number = self._apply_settings(client, number, props, bought=not adopted)
        if props.get("primary_route_id") is not None:
            number = self._route(client, number, props)
        return CreateResult(number.value, self._outputs(props, number, costs, adopted))

    def _route(self, client: FlowrouteClient, number: Number, wanted: Mapping[str, Any]) -> Number:
        """Set the number's routing slots that differ from what it has."""
        current = {k: getattr(number, k) for k in ROUTING}
        routing.take_over(client, number.value, current, wanted)
        return dataclasses.replace(
            number,
            primary_route_id=wanted["primary_route_id"],
            failover_route_id=wanted.get("failover_route_id"),
        )

    def _apply_settings(
        self, client: FlowrouteClient, number: Number, props: Mapping[str, Any], *, bought: bool
    ) -> Number:
        """Set alias / CNAM after a purchase; a failure here must not lose the number.

        A bought number always gets an alias, and its claim (``project.stack.name~token``)
        first: until Pulumi has recorded the number, only the claim proves it this resource's,
        so a run killed after any write but the last leaves a number the rerun adopts. Your
        alias, if you gave one, comes last with the other settings, and only while the answer
        can still be recorded (Pulumi neither gone nor stopping this process).
        """
        alias, cnam = props.get("alias"), props.get("cnam_lookups_enabled")
        claim = default_alias_of(props)
        if alias is None and number.alias is None and bought:
            alias = claim  # the claim is its alias: one write, with the other settings
        # Your alias in place of the claim, which it must carry until then.
        renamed = claim is not None and alias is not None and alias != claim
        try:
            if renamed and bought and number.alias != claim:
                number = self._write(client, number, claim, None)
            if renamed and number.alias == claim and not answer_recorded():
                # This number will not be recorded: only its claim lets the next run know it
                # for this resource's (your alias may be another stack's too).
                quiet(self.warn)(
                    f"Pulumi stopped while {number.value} was being bought: it carries this "
                    f"PhoneNumber's claim {claim!r} for now; the next `pulumi up` adopts it "
                    f"and sets the alias {alias!r}"
                )
                return number
            if (alias is None or alias == number.alias) and (
                cnam is None or cnam == number.cnam_lookups_enabled
            ):
                return number
            return self._write(client, number, alias, cnam)
        except (ApiError, *UNANSWERED) as error:
            quiet(self.warn)(
                f"{number.value} is yours and recorded, but setting its alias / CNAM failed "
                f"({error}). The next `pulumi up` sets an alias or CNAM you gave; a number left "
                "with no alias that matches a search looks like an interrupted purchase, so "
                "give it one."
            )
            return number

    def _write(
        self, client: FlowrouteClient, number: Number, alias: str | None, cnam: bool | None
    ) -> Number:
        """PATCH alias / CNAM; an answer lost or unusable is settled by reading the number, so
        the write that went through counts (and the next one follows it)."""
        try:
            return client.update_number(number.value, alias=alias, cnam_lookups_enabled=cnam)
        except (ApiError, *UNANSWERED) as error:
            if not outcome_unknown(error):
                raise
            found = self.details_or_none(number.value)
            if (
                found is None
                or found.alias != alias
                or cnam not in (None, found.cnam_lookups_enabled)
            ):
                raise
            return found

    # -- read, update, delete ----------------------------------------------------------------

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        number = self.details_or_none(id_)
        if number is None:
            # One "not found" may be stale: only a number that stays gone leaves the state.
            number, failure = self.settle(lambda: self.details_or_none(id_))
            if failure is not None:
                raise failure
        if number is None:
            then = "a replacement" if props.get("search") is not None else "it again"
            self.warn(
                f"{id_} is no longer on your Flowroute account (released outside Pulumi?), so "
                f"it leaves the state; the next `pulumi up` buys {then}"
            )
            return ReadResult("", {})
        # PhoneNumber.get() reads with no properties of ours: a reference to a number we
        # neither bought nor manage.
        reference = props.get("number") is None and props.get("search") is None
        outs = self._outputs(props, number, None, reference or bool(props.get("adopted")))
        outs.update(
            setup_cost=props.get("setup_cost"),
            monthly_cost=props.get("monthly_cost"),
            adopt=bool(props.get("adopt")),
            release_on_delete=bool(props.get("release_on_delete")),
        )
        if not reference and all(outs[k] == props.get(k) for k in INPUTS.names):
            # Nothing that an input holds changed on the account: the inputs stay exactly as the
            # program gave them, so a refresh right after an up shows no difference (whichever
            # version wrote the state; what an unset input left alone holds is not known here).
            return ReadResult(id_, outs)
        inputs = {k: outs[k] for k in INPUTS.names}
        if props.get("search") is not None:
            inputs["number"] = None  # bought by search: the number is an output, not an input
        for key in UNMANAGED_WHEN_UNSET:
            if props.get(key) is None and not reference:
                inputs[key] = None
        if inputs.get("primary_route_id") is None:
            inputs["failover_route_id"] = None
        return ReadResult(id_, outs, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        alias, cnam = news.get("alias"), news.get("cnam_lookups_enabled")
        alias_change = alias is not None and alias != olds.get("alias")
        cnam_change = cnam is not None and cnam != olds.get("cnam_lookups_enabled")
        outs = {**olds, **{k: news.get(k) for k in INPUTS.names}}
        outs["number"] = id_
        if alias_change or cnam_change:
            number = self.client.update_number(
                id_,
                alias=alias if alias_change else None,
                cnam_lookups_enabled=cnam if cnam_change else None,
            )
            outs["alias"], outs["cnam_lookups_enabled"] = number.alias, number.cnam_lookups_enabled
        else:
            outs["alias"] = olds.get("alias") if alias is None else alias
            outs["cnam_lookups_enabled"] = (
                olds.get("cnam_lookups_enabled") if cnam is None else cnam
            )
        if news.get("primary_route_id") is not None:
            # What the state says the slots hold, when it knows (routed here before).
            known = olds if olds.get("primary_route_id") is not None else None
            routing.take_over(self.client, id_, known, news)
        else:
            outs.update(dict.fromkeys(ROUTING))
        outs.pop("__provider", None)
        return UpdateResult(outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if not props.get("release_on_delete"):
            routed = props.get("primary_route_id") is not None
            if routed and routing.unroute(
                self.client, id_, props.get("failover_route_id") is not None
            ):
                # So that its routes can be deleted too.
                self.info(f"{id_} routes back to the built-in route {BUILTIN_ROUTE_ID}")
            how = "adopted" if props.get("adopted") else "bought"
            self.warn(
                f"{id_} ({how} earlier) was removed from Pulumi but stays on your "
                "Flowroute account and keeps billing; set release_on_delete=True before "
                "removing a number to release it"
            )
            return
        try:
            self.client.release_number(id_)
        except NotFound:
            self.info(f"{id_} was already gone from the account")
            return
        self.info(f"released {id_} back to Flowroute")

    @staticmethod
    def _outputs(
        props: Mapping[str, Any], number: Number, costs: AvailableNumber | None, adopted: bool
    ) -> dict[str, Any]:
        outs = {k: props.get(k) for k in INPUTS.names}
        outs[DEFAULT_ALIAS] = default_alias_of(props)
        outs.update(
            number=number.value,
            alias=number.alias,
            cnam_lookups_enabled=number.cnam_lookups_enabled,
            rate_center=number.rate_center,
            state=number.state,
            number_type=number.number_type,
            e911_id=number.e911_id,
            cnam_id=number.cnam_id,
            setup_cost=costs.setup_cost if costs else None,
            monthly_cost=costs.monthly_cost if costs else None,
            adopted=adopted,
        )
        # The routing as the account has it (drift shows), while this resource manages it.
        routed = props.get("primary_route_id") is not None
        outs.update({k: getattr(number, k) if routed else None for k in ROUTING})
        return outs


class PhoneNumber(FlowrouteResource, module="flowroute", name="PhoneNumber"):
    """A phone number on your Flowroute account, bought or adopted by ``pulumi up``.

    Give exactly one of ``number`` (buy or adopt that exact number) or ``search`` (buy the first
    available match); the inputs are those of :class:`PhoneNumberArgs`. Removing the resource
    keeps the number on the account unless ``release_on_delete=True``.
    """

    provider_class = PhoneNumberProvider
    id_output = "number"

    number: pulumi.Output[str]
    search: pulumi.Output[dict[str, Any] | None]
    alias: pulumi.Output[str | None]
    cnam_lookups_enabled: pulumi.Output[bool]
    adopt: pulumi.Output[bool]
    release_on_delete: pulumi.Output[bool]
    max_setup_cost: pulumi.Output[float | None]
    max_monthly_cost: pulumi.Output[float | None]
    rate_center: pulumi.Output[str | None]
    state: pulumi.Output[str | None]
    number_type: pulumi.Output[str]
    monthly_cost: pulumi.Output[float | None]
    setup_cost: pulumi.Output[float | None]
    adopted: pulumi.Output[bool]
    e911_id: pulumi.Output[str | None]
    cnam_id: pulumi.Output[str | None]
    primary_route_id: pulumi.Output[str | None]
    failover_route_id: pulumi.Output[str | None]

    @INPUTS.keywords
    def __init__(
        self,
        resource_name: str,
        *,
        opts: pulumi.ResourceOptions | None = None,
        **args: Unpack[PhoneNumberArgs],
    ) -> None:
        """Declare a number (see :class:`PhoneNumberArgs` for each input)."""
        self._declared_opts = opts  # its parent is part of its URN
        super().__init__(resource_name, args, opts)

    def hidden_inputs(self, resource_name: str, reference: bool) -> dict[str, Any]:
        if reference:
            return {}
        parent = self._declared_opts.parent if self._declared_opts else None
        return {
            # Given to a bought number that has no alias of its own: its claim.
            DEFAULT_ALIAS: claim_alias(resource_name),
            HOLDER: urn_of(resource_name, f"pulumi-python:{self._resource_type_name}", parent),
        }
