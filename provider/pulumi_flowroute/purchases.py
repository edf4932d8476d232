"""How ``PhoneNumber`` acquires a number: bought exactly, bought as the first match of a search,
or adopted; never twice.

Before a search buys, the account is read for what an interrupted run may have left (a number
carrying this resource's claim is adopted; an unexplained one stops the run, naming it). Sibling
resources sharing a search take successive candidates from one inventory reader. A purchase
whose answer is lost is settled by reading, never by buying again.
"""

import contextlib
import threading
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from .claims import default_alias_of
from .client import BUILTIN_ROUTE_ID, AvailableNumber, FlowrouteClient, Number
from .deployment import DEPLOYMENT
from .errors import ApiError, Forbidden, MalformedResponse, NotFound, RateLimited, ResourceError
from .lifeline import answer_recorded, time_left
from .provider_base import UNANSWERED, details_or_none, outcome_unknown, settle


def quiet(say: Callable[[str], None]) -> Callable[[str], None]:
    """``say``, never raising: once the engine is gone its log fails (the plugin sends each
    message to the engine), and a purchase must still reach its claim, heard or not."""

    def said(message: str) -> None:
        with contextlib.suppress(Exception):
            say(message)

    return said


def matches(search: Mapping[str, Any], props: Mapping[str, Any]) -> bool:
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


def _costs(candidate: AvailableNumber) -> tuple[tuple[str, float | None], ...]:
    return (
        ("max_setup_cost", candidate.setup_cost),
        ("max_monthly_cost", candidate.monthly_cost),
    )


def within_costs(props: Mapping[str, Any], candidate: AvailableNumber) -> bool:
    """Whether ``candidate`` is within ``props``'s cost limits; a price the inventory does not
    give is never within a limit set on it (the limit could not be checked)."""
    return all(
        props.get(limit) is None or (cost is not None and cost <= props[limit])
        for limit, cost in _costs(candidate)
    )


def unpriced(props: Mapping[str, Any], candidate: AvailableNumber) -> list[str]:
    """The cost limits of ``props`` that ``candidate`` cannot be checked against: the inventory
    gave no such price."""
    return [
        limit for limit, cost in _costs(candidate) if props.get(limit) is not None and cost is None
    ]


# Another stack may be between buying a number and naming it: give it at least this long, and
# as long as a write's answer may take to show (flowroute:settleSeconds), looking every second.
SUSPECT_RECHECK_SECONDS = 2.0
SUSPECT_POLL_SECONDS = 1.0
# Most searches buy one number, so the first read of the inventory is small; each further read
# (a fleet sharing the search) doubles, up to the API's page limit.
FIRST_PAGE = 10
MAX_PAGE = 200


class Candidates:
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
                    if item.value not in self._handed_out and within_costs(props, item):
                        self._handed_out.add(item.value)
                        return item
                if self._exhausted:
                    return None
                self._read_more(client)

    def unchecked(self, props: Mapping[str, Any]) -> list[AvailableNumber]:
        """The candidates read so far, taken by nobody here, that were passed over because
        the inventory gave no price for a limit ``props`` sets."""
        with self._lock:
            return [
                item
                for item in self._items
                if item.value not in self._handed_out and unpriced(props, item)
            ]

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
            if not matches(self._criteria, fields_of(item)):
                raise MalformedResponse(
                    "GET",
                    "/numbers/available",
                    200,
                    f"{item.value} ({item.state}, {item.rate_center}) for a search it does not "
                    f"match ({describe({'search': self._criteria})}); nothing was bought",
                )


class ProcessMemory:
    """What this provider process knows, shared by every PhoneNumber of the deployment.

    The engine runs one provider process per deployment and creates resources in parallel:
    a number held here is being bought or adopted by a sibling, or is a sibling's in the
    state (the engine diffs every recorded resource), never an interrupted earlier purchase.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[str] = set()
        self._listed: dict[tuple[tuple[str, str], ...], list[Number]] = {}
        self._candidates: dict[tuple[tuple[str, str], ...], Candidates] = {}

    def hold(self, value: str) -> None:
        with self._lock:
            self._held.add(value)

    def _unheld(self, numbers: list[Number]) -> list[Number]:
        with self._lock:
            return [n for n in numbers if n.value not in self._held]

    def candidates(self, criteria: Mapping[str, Any]) -> Candidates:
        """The shared inventory reader of one search."""
        with self._lock:
            key = tuple(sorted(criteria.items()))
            return self._candidates.setdefault(key, Candidates(criteria))

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
        matching = [n for n in listed if n.alias in aliases and matches(search, fields_of(n))]
        return self._unheld(matching)

    def still_unexplained(
        self,
        client: FlowrouteClient,
        suspects: list[Number],
        props: Mapping[str, Any],
        window: float,
    ) -> list[Number]:
        """``suspects`` that, read every second for ``window`` seconds, still look like what an
        interrupted purchase of ``props`` leaves (:func:`left_behind`), held by nobody here. Another
        stack may be buying one right now (its purchase answer can take that long, and its
        alias comes after), or routing one it just bought, or a sibling adopting it.
        """
        deadline = time.monotonic() + window
        while True:
            suspects = [n for n in reread(client, self._unheld(suspects)) if left_behind(n, props)]
            left = deadline - time.monotonic()
            if not suspects or left <= 0:
                return self._unheld(suspects)
            time.sleep(min(SUSPECT_POLL_SECONDS, left))


def left_behind(number: Number, props: Mapping[str, Any]) -> bool:
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


def reread(client: FlowrouteClient, numbers: list[Number]) -> list[Number]:
    """``numbers`` as the account has them now; those gone from it are left out."""
    found = []
    for number in numbers:
        with contextlib.suppress(NotFound):
            found.append(client.get_number(number.value))
    return found


def memory() -> ProcessMemory:
    """This deployment's memory of numbers (a new one for each, see :mod:`.deployment`)."""
    return DEPLOYMENT.of(ProcessMemory)


def fields_of(number: Number | AvailableNumber) -> dict[str, Any]:
    return {"number": number.value, "state": number.state, "rate_center": number.rate_center}


def interrupted_message(suspects: list[Number], props: Mapping[str, Any]) -> str:
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
        f"match{'es' if one else ''} this search ({describe(props)}) and carr"
        f"{'ies' if one else 'y'} {named} so {'it' if one else 'one'} may have been bought "
        "for this PhoneNumber by a run that was interrupted before Pulumi recorded it. Nothing "
        f"was bought. The run that bought it printed `buying {first}`. If it is this "
        f"PhoneNumber's, set number='{first}' and adopt=True in place of search (in stack "
        "config: number and adopt: true, no search). If it belongs elsewhere (another stack "
        "not done with it yet, or bought by hand), give it another alias in the Flowroute "
        "portal, or release it. Then run `pulumi up` again."
    )


def over_limits(listing: AvailableNumber, props: Mapping[str, Any]) -> str:
    """Why an exact number was not bought: above a cost limit, or without the price it sets."""
    value = listing.value
    unknown = unpriced(props, listing)
    if unknown:
        return (
            f"{value} has no {' or '.join(_price_names(unknown))} price in Flowroute's "
            f"inventory, so {' / '.join(unknown)} could not be checked and it was not bought. "
            "Choose another number, or remove the limit to buy it whatever it costs."
        )
    setup, monthly = (
        "an unknown price" if cost is None else f"{cost:.2f}" for _, cost in _costs(listing)
    )
    return (
        f"{value} costs {setup} to set up and {monthly} a month, above the limits "
        f"({describe(props)}); raise max_setup_cost / max_monthly_cost or choose another "
        "number. Nothing was bought."
    )


def nothing_bought(unchecked: list[AvailableNumber], props: Mapping[str, Any]) -> str:
    """Why a search bought nothing: no match within the limits, or none with a price to check."""
    if unchecked:
        limits = sorted({limit for item in unchecked for limit in unpriced(props, item)})
        shown = ", ".join(item.value for item in unchecked[:3])
        more = f" and {len(unchecked) - 3} more" if len(unchecked) > 3 else ""
        return (
            f"no number in Flowroute's inventory matches {describe(props)} at a known price: "
            f"{shown}{more} match but have no {' or '.join(_price_names(limits))} price, so "
            f"{' / '.join(limits)} could not be checked. Nothing was bought. Widen the search, "
            "or remove the limit to buy them whatever they cost."
        )
    return (
        f"no number in Flowroute's inventory matches {describe(props)}, or every match "
        "was taken first. Widen the search or raise the cost limits. Nothing was bought."
    )


def _price_names(limits: list[str]) -> list[str]:
    return ["setup" if limit == "max_setup_cost" else "monthly" for limit in limits]


def claimed(alias: str) -> str:
    return f"it carries this PhoneNumber's own alias {alias!r}: an interrupted run bought it"


def describe(props: Mapping[str, Any]) -> str:
    parts = [f"{k}={v!r}" for k, v in (props.get("search") or {}).items() if v is not None]
    parts += [
        f"{k} <= {props[k]:.2f}"
        for k in ("max_setup_cost", "max_monthly_cost")
        if props.get(k) is not None
    ]
    return ", ".join(parts)


class Purchaser:
    """Acquires the number of one PhoneNumber's create, for the provider that built it with its
    client, its ``flowroute:settleSeconds`` and its log: bought exactly, bought as the first
    match of a search, or adopted; never twice."""

    def __init__(
        self, client: FlowrouteClient, settle_seconds: float, info: Callable[[str], None]
    ) -> None:
        self.client = client
        self.settle_seconds = settle_seconds
        self.info = quiet(info)
        self.memory = memory()

    def acquire(self, props: Mapping[str, Any]) -> tuple[Number, AvailableNumber | None, bool]:
        """The number, what it cost (None when adopted), and whether it was adopted."""
        if props.get("number"):
            return self._exact(props)
        return self._by_search(props)

    def details_or_none(self, value: str) -> Number | None:
        return details_or_none(self.client, value)

    def _exact(self, props: Mapping[str, Any]) -> tuple[Number, AvailableNumber | None, bool]:
        client = self.client
        value = props["number"]
        if props.get("adopt"):
            owned = self.details_or_none(value)
            if owned is not None:
                return self._adopt(owned, "already on the account"), None, True
        # The inventory read gives the costs (outputs, limits); the POST itself tells an owned
        # or sold number apart from a bought one, so no details read comes first.
        listing = next(
            (n for n in client.search_available(starts_with=value, limit=1) if n.value == value),
            None,
        )
        if listing is not None and not within_costs(props, listing):
            raise ResourceError(over_limits(listing, props))
        if listing is not None:
            try:
                return self._purchase(value, props), listing, False
            except NotFound:
                pass
        owned = self.details_or_none(value)
        claim = default_alias_of(props)
        if owned is not None and claim is not None and owned.alias == claim:
            return self._adopt(owned, claimed(claim)), None, True
        raise ResourceError(self._not_for_sale(value, owned=owned is not None, sold=bool(listing)))

    def _adopt(self, number: Number, why: str) -> Number:
        self.memory.hold(number.value)
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

    def _by_search(self, props: Mapping[str, Any]) -> tuple[Number, AvailableNumber | None, bool]:
        client = self.client
        search = props["search"]
        claim: str | None = default_alias_of(props)
        alias = props.get("alias")
        # A bought number is named at once: this resource's alias, else its claim
        # (project.stack.name~token). The claim proves whose it is; your alias or none does not.
        left = self.memory.leftovers(client, search, {None, alias, claim})
        ours = [n for n in left if claim is not None and n.alias == claim]
        if claim is not None and len(ours) == 1:
            return self._adopt(ours[0], claimed(claim)), None, True
        window = max(SUSPECT_RECHECK_SECONDS, self.settle_seconds)
        suspects = ours or self.memory.still_unexplained(client, left, props, window)
        if suspects:
            raise ResourceError(interrupted_message(suspects, props))
        pool = self.memory.candidates(search)
        while (candidate := pool.take(client, props)) is not None:
            try:
                number = self._purchase(candidate.value, props)
            except NotFound:
                pool.left_inventory()
                self.info(f"{candidate.value} was taken by another buyer; trying the next match")
                continue
            pool.left_inventory()
            return number, candidate, False
        raise ResourceError(nothing_bought(pool.unchecked(props), props))

    def _purchase(self, value: str, props: Mapping[str, Any]) -> Number:
        """Buy once; a lost answer is settled by reading, never by buying again.

        The number is named in the log before the POST, so that the CLI output of a run killed
        mid-purchase still says which number it may have bought.
        """
        if not answer_recorded():
            # Pulumi is gone or stopping: a number bought now would never be recorded.
            raise ResourceError(
                f"Pulumi stopped before {value} was bought, so nothing was bought. Run "
                "`pulumi up` again."
            )
        self.memory.hold(value)
        self.info(f"buying {value} for {default_alias_of(props) or 'this PhoneNumber'}")
        try:
            number = self.client.purchase_number(value)
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
            return self._settle_purchase(value, error)
        self.info(f"bought {value}")
        return number

    def _settle_purchase(self, value: str, lost: Exception) -> Number:
        # Within the engine's grace when it is stopping this process.
        seconds = time_left(self.settle_seconds)
        owned, failure = settle(lambda: self.details_or_none(value), seconds)
        if owned is not None:
            self.info(f"bought {value} (the answer was lost; its details show it is ours)")
            return owned
        if failure is not None:
            raise ResourceError(
                f"buying {value} got no usable answer ({lost}), and reading its details failed "
                f"too ({failure}). {value} may be on your account now. Check it in the Flowroute "
                f"portal: if it is there, set number='{value}' and adopt=True on this "
                "PhoneNumber (or release it); if not, run `pulumi up` again."
            ) from None
        raise ResourceError(
            f"buying {value} got no usable answer ({lost}), and for {seconds:g} s its details "
            "said it is not on your account, so it was most likely not bought. Run `pulumi up` "
            f"again: if {value} turns up later, that run stops and names it instead of buying "
            "another."
        ) from None
