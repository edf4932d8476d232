"""``PhoneNumber``: a Flowroute number bought (exactly, or the first match of a search) or adopted.

Its whole life is here: ``check`` validates without calling the API, ``create`` buys (never
twice: a purchase whose answer was lost is settled by reading the number's details), ``read``
finds drift, ``update`` changes alias / CNAM in place, ``delete`` keeps the number unless
``release_on_delete=True``.
"""

import contextlib
import dataclasses
import re
import threading
import time
from collections.abc import Collection, Mapping
from typing import Annotated, Any, TypedDict

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from typing_extensions import Unpack

from . import number_routing
from .claims import claim_alias
from .client import BUILTIN_ROUTE_ID, AvailableNumber, FlowrouteClient, Number
from .errors import ApiError, Forbidden, MalformedResponse, NotFound, RateLimited, ResourceError
from .lifeline import engine_reachable
from .number_routing import HANDOVERS
from .provider_base import (
    UNANSWERED,
    FlowrouteProvider,
    FlowrouteResource,
    outcome_unknown,
    per_deployment,
    with_id,
)
from .schema import (
    Inputs,
    Problems,
    Rule,
    as_alias,
    as_bool,
    as_cost,
    as_digits,
    as_id,
    as_number,
    is_unknown,
)
from .values import MAX_RATE_CENTER_LENGTH

_RATE_CENTER = re.compile(rf"[A-Za-z0-9][A-Za-z0-9 .'-]{{0,{MAX_RATE_CENTER_LENGTH - 1}}}")


def _state(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValueError("use a two-letter state or province abbreviation, e.g. 'wa'")
    return value.lower()


def _rate_center(value: Any) -> str:
    if not isinstance(value, str) or not _RATE_CENTER.fullmatch(value.strip(" ")):
        raise ValueError(
            f"use a Flowroute rate centre name of up to {MAX_RATE_CENTER_LENGTH} letters, "
            "digits and spaces, e.g. 'seattle'"
        )
    return value.strip(" ").lower()


class NumberSearch(TypedDict, total=False):
    """Criteria for buying the first matching number from Flowroute's inventory.

    ``starts_with`` / ``contains`` / ``ends_with`` are digits (``starts_with="206"`` means
    ``1206``); ``state`` is a two-letter abbreviation; ``rate_center`` a Flowroute rate centre
    such as ``"seattle"``.
    """

    starts_with: Annotated[pulumi.Input[str] | None, Rule(as_digits)]
    contains: Annotated[pulumi.Input[str] | None, Rule(as_digits)]
    ends_with: Annotated[pulumi.Input[str] | None, Rule(as_digits)]
    rate_center: Annotated[pulumi.Input[str] | None, Rule(_rate_center)]
    state: Annotated[pulumi.Input[str] | None, Rule(_state)]


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
    primary_route_id: Annotated[pulumi.Input[str] | None, Rule(as_id)]
    failover_route_id: Annotated[pulumi.Input[str] | None, Rule(as_id)]


INPUTS = Inputs(PhoneNumberArgs)
ROUTING = ("primary_route_id", "failover_route_id")
SEARCH = INPUTS.nested["search"]
DETAIL_OUTPUTS = (
    "rate_center",
    "state",
    "number_type",
    "monthly_cost",
    "setup_cost",
    "adopted",
    "e911_id",
    "cnam_id",
)
# Left as they are on the account while unset (the failover: while the primary is unset).
UNMANAGED_WHEN_UNSET = ("alias", "cnam_lookups_enabled", "primary_route_id")


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


def _set_fields(search: Any) -> Any:
    if not isinstance(search, Mapping):
        return search
    return {k: v for k, v in search.items() if v is not None}


def _matches(search: Mapping[str, Any], props: Mapping[str, Any]) -> bool:
    """Whether the number held in ``props`` still satisfies ``search`` and the cost limits."""
    number = str(props.get("number") or "")
    starts = search.get("starts_with")
    if starts and not number.startswith(starts if starts.startswith("1") else "1" + starts):
        return False
    if search.get("contains") and search["contains"] not in number:
        return False
    if search.get("ends_with") and not number.endswith(search["ends_with"]):
        return False
    for field in ("state", "rate_center"):
        if search.get(field) and str(props.get(field) or "").lower() != search[field]:
            return False
    return True


def _within_costs(props: Mapping[str, Any], candidate: AvailableNumber) -> bool:
    limits = (
        ("max_setup_cost", candidate.setup_cost),
        ("max_monthly_cost", candidate.monthly_cost),
    )
    return all(
        props.get(limit) is None or (cost is not None and cost <= props[limit])
        for limit, cost in limits
    )


# Another stack may be between buying a number and naming it: give it at least this long, and
# as long as a write's answer may take to show (flowroute:settleSeconds), looking every second.
SUSPECT_RECHECK_SECONDS = 2.0
SUSPECT_POLL_SECONDS = 1.0
# Most searches buy one number, so the first read of the inventory is small; each further read
# (a fleet sharing the search) doubles, up to the API's page limit.
FIRST_PAGE = 10
MAX_PAGE = 200


class _Candidates:
    """One search's inventory as this process has read it, handed out once per candidate.

    Sibling creates sharing a search take successive candidates instead of all trying the
    first, so a fleet makes about one POST per number, and the inventory is read in a few
    pages instead of one page per attempt.
    """

    def __init__(self, criteria: Mapping[str, Any]) -> None:
        self._criteria = dict(criteria)
        self._lock = threading.Lock()
        self._items: list[AvailableNumber] = []
        self._handed_out: set[str] = set()
        self._left_inventory = 0
        self._exhausted = False

    def take(self, client: FlowrouteClient, props: Mapping[str, Any]) -> AvailableNumber | None:
        """The first candidate nobody here has taken that is within ``props``'s cost limits."""
        with self._lock:
            while True:
                for item in self._items:
                    if item.value not in self._handed_out and _within_costs(props, item):
                        self._handed_out.add(item.value)
                        return item
                if self._exhausted:
                    return None
                self._read_more(client)

    def left_inventory(self) -> None:
        """A handed-out candidate was bought, here or elsewhere: later pages shift down."""
        with self._lock:
            self._left_inventory += 1

    def _read_more(self, client: FlowrouteClient) -> None:
        limit = min(MAX_PAGE, max(FIRST_PAGE, len(self._items)))
        known = {item.value for item in self._items}
        # Where the unread inventory starts if the numbers bought meanwhile were all ours; a
        # page of numbers already seen means it starts later, so read on.
        offset = len(self._items) - self._left_inventory
        while True:
            page = list(client.search_available(**self._criteria, limit=limit, offset=offset))
            self._refuse_strays(page)
            fresh = [item for item in page if item.value not in known]
            self._items.extend(fresh)
            self._exhausted = len(page) < limit
            if fresh or self._exhausted:
                return
            offset += len(page)

    def _refuse_strays(self, page: list[AvailableNumber]) -> None:
        """Buy only what was asked for: an answer that ignored the criteria is not trusted."""
        for item in page:
            if not _matches(self._criteria, _fields(item)):
                raise MalformedResponse(
                    "GET",
                    "/numbers/available",
                    200,
                    f"{item.value} ({item.state}, {item.rate_center}) for a search it does not "
                    f"match ({_describe({'search': self._criteria})}); nothing was bought",
                )


class _ProcessMemory:
    """What this provider process knows, shared by every PhoneNumber of the deployment.

    The engine runs one provider process per deployment and creates resources in parallel:
    a number held here is being bought or adopted by a sibling, or is a sibling's in the
    state (the engine diffs every recorded resource), never an interrupted earlier purchase.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[str] = set()
        self._listed: dict[tuple[tuple[str, str], ...], list[Number]] = {}
        self._candidates: dict[tuple[tuple[str, str], ...], _Candidates] = {}

    def hold(self, value: str) -> None:
        with self._lock:
            self._held.add(value)

    def _unheld(self, numbers: list[Number]) -> list[Number]:
        with self._lock:
            return [n for n in numbers if n.value not in self._held]

    def candidates(self, criteria: Mapping[str, Any]) -> _Candidates:
        """The shared inventory reader of one search."""
        with self._lock:
            key = tuple(sorted(criteria.items()))
            return self._candidates.setdefault(key, _Candidates(criteria))

    def leftovers(
        self, client: FlowrouteClient, search: Mapping[str, Any], aliases: Collection[str | None]
    ) -> list[Number]:
        """Numbers on the account that match ``search``, carry one of ``aliases`` and are held
        by no resource of this deployment: what an interrupted purchase may have left.

        The account is listed once per search per process (the account list filters by digits;
        state and rate centre are matched here).
        """
        digits = {k: search[k] for k in ("starts_with", "contains", "ends_with") if search.get(k)}
        key = tuple(sorted(digits.items()))
        with self._lock:
            listed = self._listed.get(key)
        if listed is None:
            listed = list(client.list_numbers(**digits))
            with self._lock:
                listed = self._listed.setdefault(key, listed)
        matching = [n for n in listed if n.alias in aliases and _matches(search, _fields(n))]
        return self._unheld(matching)

    def still_unexplained(
        self,
        client: FlowrouteClient,
        suspects: list[Number],
        props: Mapping[str, Any],
        window: float,
    ) -> list[Number]:
        """``suspects`` that, read every second for ``window`` seconds, still look like what an
        interrupted purchase of ``props`` leaves (:func:`_left`), held by nobody here. Another
        stack may be buying one right now (its purchase answer can take that long, and its
        alias comes after), or routing one it just bought, or a sibling adopting it.
        """
        deadline = time.monotonic() + window
        while True:
            suspects = [n for n in _reread(client, self._unheld(suspects)) if _left(n, props)]
            left = deadline - time.monotonic()
            if not suspects or left <= 0:
                return self._unheld(suspects)
            time.sleep(min(SUSPECT_POLL_SECONDS, left))


def _left(number: Number, props: Mapping[str, Any]) -> bool:
    """Whether ``number`` (read in detail) looks like a purchase of ``props`` interrupted before
    Pulumi recorded it: unnamed; or named with the alias you gave and routed as this resource
    routes (or not at all), with no E911 address.

    A number with your alias may also be another stack's that shares alias and search; once
    that stack has routed it to routes of its own, or given it an address, it no longer looks
    left behind.
    """
    if number.alias is None:
        return True
    routing = (number.primary_route_id, number.failover_route_id)
    ours = (props.get("primary_route_id"), props.get("failover_route_id"))
    return (
        props.get("alias") is not None
        and number.alias == props["alias"]
        and routing in ((None, None), (BUILTIN_ROUTE_ID, None), ours)
        and number.e911_id is None
    )


def _reread(client: FlowrouteClient, numbers: list[Number]) -> list[Number]:
    """``numbers`` as the account has them now; those gone from it are left out."""
    found = []
    for number in numbers:
        with contextlib.suppress(NotFound):
            found.append(client.get_number(number.value))
    return found


_MEMORY = _ProcessMemory()


@per_deployment
def _forget_deployment() -> None:
    global _MEMORY
    _MEMORY = _ProcessMemory()


def _fields(number: Number | AvailableNumber) -> dict[str, Any]:
    return {"number": number.value, "state": number.state, "rate_center": number.rate_center}


def _interrupted_message(suspects: list[Number], props: Mapping[str, Any]) -> str:
    values = ", ".join(n.value for n in suspects)
    first = suspects[0].value
    one = len(suspects) == 1
    alias = props.get("alias")
    named = (
        f"no alias, or the alias {alias!r} and no routing or E911 address of another's,"
        if alias is not None
        else "no alias,"
    )
    return (
        f"{values} {'is' if one else 'are'} on your Flowroute account, "
        f"match{'es' if one else ''} this search ({_describe(props)}) and carr"
        f"{'ies' if one else 'y'} {named} so {'it' if one else 'one'} may have been bought "
        "for this PhoneNumber by a run that was interrupted before Pulumi recorded it. Nothing "
        f"was bought. The run that bought it printed `buying {first}`. If it is this "
        f"PhoneNumber's, set number='{first}' and adopt=True in place of search (in stack "
        "config: number and adopt: true, no search). If it belongs elsewhere (another stack "
        "not done with it yet, or bought by hand), give it another alias in the Flowroute "
        "portal, or release it. Then run `pulumi up` again."
    )


def _claimed(alias: str) -> str:
    return f"it carries this PhoneNumber's own alias {alias!r}: an interrupted run bought it"


def _describe(props: Mapping[str, Any]) -> str:
    parts = [f"{k}={v!r}" for k, v in (props.get("search") or {}).items() if v is not None]
    parts += [
        f"{k} <= {props[k]:.2f}"
        for k in ("max_setup_cost", "max_monthly_cost")
        if props.get(k) is not None
    ]
    return ", ".join(parts)


class PhoneNumberProvider(FlowrouteProvider):
    """Dynamic provider behind :class:`PhoneNumber`."""

    inputs = INPUTS

    def validate(
        self, problems: Problems, news: dict[str, Any], olds: dict[str, Any]
    ) -> dict[str, Any]:
        inputs = validate(problems, news)
        inputs["default_alias"] = news.get("default_alias")
        return inputs

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        _MEMORY.hold(id_)  # a sibling's search must not take this recorded number for a leftover
        if news.get("primary_route_id") is not None:
            HANDOVERS.add(id_)  # before any NumberRouting of an older program is deleted
        replaces: list[str] = []
        # The engine drops null members of objects: compare searches by their set fields only.
        news = {**news, "search": _set_fields(news.get("search"))}
        olds = {**olds, "search": _set_fields(olds.get("search"))}
        number, search = news.get("number"), news.get("search")
        if number is not None and (is_unknown(number) or number != olds.get("number")):
            replaces.append("number")
        elif isinstance(search, Mapping) and search != olds.get("search"):
            # A new search keeps the held number while that number still matches it.
            if any(is_unknown(v) for v in search.values()) or not _matches(search, olds):
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
        if props.get("number"):
            number, costs, adopted = self._acquire_exact(client, props)
        else:
            number, costs, adopted = self._acquire_by_search(client, props)
        number = self._apply_settings(client, number, props, bought=not adopted)
        if props.get("primary_route_id") is not None:
            number = self._route(client, number, props)
        return CreateResult(number.value, self._outputs(props, number, costs, adopted))

    def _route(self, client: FlowrouteClient, number: Number, wanted: Mapping[str, Any]) -> Number:
        """Set the number's routing slots that differ from what it has."""
        current = {k: getattr(number, k) for k in ROUTING}
        number_routing.converge(client, number.value, current, wanted)
        HANDOVERS.add(number.value)
        return dataclasses.replace(
            number,
            primary_route_id=wanted["primary_route_id"],
            failover_route_id=wanted.get("failover_route_id"),
        )

    def _acquire_exact(
        self, client: FlowrouteClient, props: Mapping[str, Any]
    ) -> tuple[Number, AvailableNumber | None, bool]:
        value = props["number"]
        if props.get("adopt"):
            owned = self._details_or_none(client, value)
            if owned is not None:
                return self._adopt(owned, "already on the account"), None, True
        # The inventory read gives the costs (outputs, limits); the POST itself tells an owned
        # or sold number apart from a bought one, so no details read comes first.
        listing = next(
            (n for n in client.search_available(starts_with=value, limit=1) if n.value == value),
            None,
        )
        if listing is not None and not _within_costs(props, listing):
            raise ResourceError(
                f"{value} costs {listing.setup_cost:.2f} to set up and {listing.monthly_cost:.2f}"
                f" a month, above the limits ({_describe(props)}); raise max_setup_cost / "
                "max_monthly_cost or choose another number. Nothing was bought."
            )
        if listing is not None:
            try:
                return self._purchase(client, value, props), listing, False
            except NotFound:
                pass
        owned = self._details_or_none(client, value)
        claim = props.get("default_alias")
        if owned is not None and claim is not None and owned.alias == claim:
            return self._adopt(owned, _claimed(claim)), None, True
        raise ResourceError(self._not_for_sale(value, owned=owned is not None, sold=bool(listing)))

    def _adopt(self, number: Number, why: str) -> Number:
        _MEMORY.hold(number.value)
        self.info(f"adopted {number.value} ({why}); nothing was bought")
        return number

    @staticmethod
    def _not_for_sale(value: str, *, owned: bool, sold: bool) -> str:
        """Why an exact number could not be bought: it is ours already, or nobody sells it."""
        if owned:
            return (
                f"{value} is already on your Flowroute account, so it was not bought again. "
                "If an earlier run bought it for this PhoneNumber and was interrupted, or "
                "you want Pulumi to manage it, set adopt=True (it is released on delete "
                "only with release_on_delete=True too). If it belongs elsewhere, choose "
                "another number."
            )
        if sold:
            return (
                f"{value} was sold to another buyer a moment ago; choose another number, or use "
                "search=NumberSearch(...). Nothing was bought."
            )
        return (
            f"{value} is neither on your Flowroute account nor in Flowroute's inventory, "
            "so it cannot be bought. Check the digits, or use search=NumberSearch(...) to buy "
            "the first available match (bought once, then kept)."
        )

    def _acquire_by_search(
        self, client: FlowrouteClient, props: Mapping[str, Any]
    ) -> tuple[Number, AvailableNumber | None, bool]:
        search = _set_fields(props["search"])
        claim: str | None = props.get("default_alias")
        alias = props.get("alias")
        # A bought number is named at once: this resource's alias, else its claim
        # (project.stack.name~token). The claim proves whose it is; your alias or none does not.
        left = _MEMORY.leftovers(client, search, {None, alias, claim})
        ours = [n for n in left if claim is not None and n.alias == claim]
        if claim is not None and len(ours) == 1:
            return self._adopt(ours[0], _claimed(claim)), None, True
        window = max(SUSPECT_RECHECK_SECONDS, self.settings.settle_seconds)
        suspects = ours or _MEMORY.still_unexplained(client, left, props, window)
        if suspects:
            raise ResourceError(_interrupted_message(suspects, props))
        pool = _MEMORY.candidates(search)
        while (candidate := pool.take(client, props)) is not None:
            try:
                number = self._purchase(client, candidate.value, props)
            except NotFound:
                pool.left_inventory()
                self.info(f"{candidate.value} was taken by another buyer; trying the next match")
                continue
            pool.left_inventory()
            return number, candidate, False
        raise ResourceError(
            f"no number in Flowroute's inventory matches {_describe(props)}, or every match "
            "was taken first. Widen the search or raise the cost limits. Nothing was bought."
        )

    def _purchase(self, client: FlowrouteClient, value: str, props: Mapping[str, Any]) -> Number:
        """Buy once; a lost answer is settled by reading, never by buying again.

        The number is named in the log before the POST, so that the CLI output of a run killed
        mid-purchase still says which number it may have bought.
        """
        _MEMORY.hold(value)
        self.info(f"buying {value} for {props.get('default_alias') or 'this PhoneNumber'}")
        try:
            number = client.purchase_number(value)
        except Forbidden as error:
            raise ResourceError(
                f"Flowroute refused to sell {value}: {error.detail_text or error.title}. "
                "Check the account balance and permissions, then run `pulumi up` again."
            ) from None
        except RateLimited:
            raise ResourceError(
                f"Flowroute kept refusing to sell {value} for now (429 Too Many Requests), so "
                "nothing was bought. Run `pulumi up` again in a minute."
            ) from None
        except (ApiError, *UNANSWERED) as error:
            if not outcome_unknown(error):
                raise
            return self._settle_purchase(client, value, error)
        self.info(f"bought {value}")
        return number

    def _settle_purchase(self, client: FlowrouteClient, value: str, lost: Exception) -> Number:
        owned, failure = self.settle(lambda: self._details_or_none(client, value))
        if owned is not None:
            self.info(f"bought {value} (the answer was lost; its details show it is ours)")
            return owned
        seconds = f"{self.settings.settle_seconds:g}"
        if failure is not None:
            raise ResourceError(
                f"buying {value} got no usable answer ({lost}), and reading its details failed "
                f"too ({failure}). {value} may be on your account now. Check it in the Flowroute "
                f"portal: if it is there, set number='{value}' and adopt=True on this "
                "PhoneNumber (or release it); if not, run `pulumi up` again."
            ) from None
        raise ResourceError(
            f"buying {value} got no usable answer ({lost}), and for {seconds} s its details "
            "said it is not on your account, so it was most likely not bought. Run `pulumi up` "
            f"again: if {value} turns up later, that run stops and names it instead of buying "
            "another."
        ) from None

    @staticmethod
    def _details_or_none(client: FlowrouteClient, value: str) -> Number | None:
        try:
            return client.get_number(value)
        except NotFound:
            return None

    def _apply_settings(
        self, client: FlowrouteClient, number: Number, props: Mapping[str, Any], *, bought: bool
    ) -> Number:
        """Set alias / CNAM after a purchase; a failure here must not lose the number.

        A bought number always gets an alias (the user's, or ``project.stack.name``): a number
        with none that matches a search is what an interrupted purchase leaves behind.
        """
        alias, cnam = props.get("alias"), props.get("cnam_lookups_enabled")
        claim = props.get("default_alias")
        if alias is None and number.alias is None and bought:
            alias = claim
        elif bought and alias is not None and claim is not None and not engine_reachable():
            # Pulumi is gone, so this number will not be recorded: only its claim lets the next
            # run know it for this resource's (your alias may be another stack's too).
            self.warn(
                f"Pulumi stopped while {number.value} was being bought: it carries this "
                f"PhoneNumber's claim {claim!r} for now; the next `pulumi up` adopts it and "
                f"sets the alias {alias!r}"
            )
            alias = claim
        if (alias is None or alias == number.alias) and (
            cnam is None or cnam == number.cnam_lookups_enabled
        ):
            return number
        try:
            return client.update_number(number.value, alias=alias, cnam_lookups_enabled=cnam)
        except (ApiError, *UNANSWERED) as error:
            self.warn(
                f"{number.value} is yours and recorded, but setting its alias / CNAM failed "
                f"({error}). The next `pulumi up` sets an alias or CNAM you gave; a number left "
                "with no alias that matches a search looks like an interrupted purchase, so "
                "give it one."
            )
            return number

    # -- read, update, delete ----------------------------------------------------------------

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        number = self._details_or_none(self.client, id_)
        if number is None:
            # One "not found" may be stale: only a number that stays gone leaves the state.
            number, failure = self.settle(lambda: self._details_or_none(self.client, id_))
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
            number_routing.converge(self.client, id_, known, news)
            HANDOVERS.add(id_)
        else:
            outs.update(dict.fromkeys(ROUTING))
        outs.pop("__provider", None)
        return UpdateResult(outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if not props.get("release_on_delete"):
            routed = props.get("primary_route_id") is not None
            if routed and number_routing.unroute(
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
        outs.update(
            default_alias=props.get("default_alias"),
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
        reference = bool(opts and opts.id)
        props = INPUTS.props("PhoneNumber", args, reference=reference)
        # Given to a bought number that has no alias of its own: its claim.
        props["default_alias"] = None if reference else claim_alias(resource_name)
        props.update(dict.fromkeys(DETAIL_OUTPUTS))
        super().__init__(PhoneNumberProvider(), resource_name, props, opts)
        # The id is the number, and the engine keeps it known in a preview whenever the number
        # stays (an alias update). The ``number`` output itself would be unknown there, as the
        # engine previews an update's outputs from its inputs, where a search leaves it unset,
        # so routing that depends on it would preview a replacement that up never makes.
        self.number = self.id.apply(str)

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> "PhoneNumber":
        """Reference a number already on the account, read-only: nothing is bought or released.

        Pulumi reads it on every run; deleting the reference leaves the number alone.
        """
        return PhoneNumber(resource_name, opts=with_id(opts, id))
