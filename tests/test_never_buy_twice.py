"""A purchase whose answer is lost, garbled or interrupted never buys a second number.

Over real HTTP: the emulator server commits late, drops the connection after committing,
answers an HTML page, or fails the reads that settle what happened.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from pulumi_flowroute import FlowrouteClient, ResourceError, lifeline
from pulumi_flowroute.emulator import RemoteEmulator
from pulumi_flowroute.phone_number import PhoneNumberProvider
from pulumi_flowroute.provider_base import forget_deployment
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.emulators import ServerProcess
from tests.support.polling import wait_until
from tests.support.providers import ADDRESS, STACK_CONFIG, configured

SEARCH: dict[str, Any] = {"starts_with": "303"}


@pytest.fixture
def provider(server: ServerProcess, control: RemoteEmulator) -> PhoneNumberProvider:
    return configured(
        PhoneNumberProvider,
        {
            **STACK_CONFIG,
            "flowroute:baseUrl": server.url,
            "flowroute:timeoutSeconds": "0.5",
            "flowroute:settleSeconds": "3",
        },
    )


@pytest.fixture
def client(server: ServerProcess) -> FlowrouteClient:
    return FlowrouteClient(ACCESS_KEY, SECRET_KEY, server.url)


def inputs(provider: PhoneNumberProvider, **news: Any) -> dict[str, Any]:
    result = provider.check({}, {"default_alias": "proj.dev.line", **news})
    assert result.failures == []
    return result.inputs


def purchases(control: RemoteEmulator) -> list[str]:
    """Numbers the account was charged for: every 201 answer to a purchase POST."""
    return [
        r.path.rsplit("/", 1)[1]
        for r in control.requests()
        if r.method == "POST" and r.path.startswith("/v2/numbers/") and r.status == 201
    ]


def owned(client: FlowrouteClient) -> list[str]:
    return sorted(n.value for n in client.list_numbers())


def test_a_purchase_committed_after_the_timeout_is_found_and_kept(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient
) -> None:
    control.inject_fault("delay", method="POST", seconds=1.5)
    created = provider.create(inputs(provider, search=SEARCH))
    assert owned(client) == [created.id] == purchases(control)
    assert client.get_number(created.id).alias == "proj.dev.line"


@pytest.mark.parametrize("kind", ["garbage", "drop", "slow"])
def test_a_purchase_whose_answer_is_lost_is_settled_by_reading(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient, kind: str
) -> None:
    control.inject_fault(kind, method="POST", seconds=1.0)
    created = provider.create(inputs(provider, search=SEARCH))
    # The emulator logs a slow answer once it has sent it, after the provider has settled.
    wait_until(lambda: purchases(control), "the purchase in the emulator's log")
    assert owned(client) == [created.id] == purchases(control)


def test_a_500_that_bought_nothing_says_so_and_the_rerun_buys_once(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient
) -> None:
    control.inject_fault("500", method="POST")
    with pytest.raises(ResourceError, match="most likely not bought"):
        provider.create(inputs(provider, search=SEARCH))
    assert owned(client) == []
    created = provider.create(inputs(provider, search=SEARCH))
    assert owned(client) == [created.id] == purchases(control)


def test_one_stale_404_while_settling_is_not_believed(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient
) -> None:
    value = next(client.search_available(**SEARCH, limit=1)).value
    control.inject_fault("drop", method="POST")
    control.inject_fault("404", method="GET", path=f"/v2/numbers/{value}", count=2)
    created = provider.create(inputs(provider, number=value))
    assert created.id == value
    assert owned(client) == [value]


def test_failing_settle_reads_name_the_number_and_the_rerun_stops_before_buying(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient
) -> None:
    value = next(client.search_available(**SEARCH, limit=1)).value
    control.inject_fault("drop", method="POST")
    control.inject_fault("503", method="GET", path=f"/v2/numbers/{value}", count=1000)
    with pytest.raises(ResourceError) as lost:
        provider.create(inputs(provider, search=SEARCH))
    assert f"{value} may be on your account now" in str(lost.value)
    assert f"number='{value}' and adopt=True" in str(lost.value)
    control.clear_faults()
    forget_deployment()  # the rerun is a new provider process
    with pytest.raises(ResourceError) as rerun:
        provider.create(inputs(provider, search=SEARCH))
    assert str(rerun.value).startswith(f"{value} is on your Flowroute account, matches")
    assert "Nothing was bought" in str(rerun.value)
    adopted = provider.create(inputs(provider, number=value, adopt=True))
    assert adopted.id == value
    assert owned(client) == [value] == purchases(control)


def test_an_interrupted_purchase_is_named_by_the_next_run(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient
) -> None:
    # The provider was killed after the purchase committed, before anything else.
    orphan = client.purchase_number(next(client.search_available(**SEARCH, limit=1)).value)
    control.clear_requests()
    with pytest.raises(ResourceError, match=f"^{orphan.value} is on your Flowroute account"):
        provider.create(inputs(provider, search=SEARCH))
    assert purchases(control) == []
    with pytest.raises(ResourceError, match="set adopt=True"):
        provider.create(inputs(provider, number=orphan.value))
    assert purchases(control) == []


@pytest.mark.parametrize("exact", [False, True], ids=["search", "exact number"])
def test_a_number_carrying_this_resources_own_alias_is_adopted_not_bought_again(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient, exact: bool
) -> None:
    # Killed after the alias PATCH committed, before the engine recorded the number: the alias
    # is this resource's own (project.stack.name), so the number is provably its.
    orphan = client.purchase_number(next(client.search_available(**SEARCH, limit=1)).value)
    client.update_number(orphan.value, alias="proj.dev.line")
    control.clear_requests()
    asked = {"number": orphan.value} if exact else {"search": SEARCH}
    created = provider.create(inputs(provider, **asked, alias="Main line"))
    assert created.id == orphan.value
    assert (created.outs or {})["adopted"] is True
    assert purchases(control) == []
    # The user's alias then goes on, as after a purchase.
    assert client.get_number(orphan.value).alias == "Main line"
    # Another PhoneNumber of the stack (another default alias) is not stopped by it.
    other = provider.create(inputs(provider, search=SEARCH, default_alias="proj.dev.other"))
    assert other.id != orphan.value


def test_a_bare_number_carrying_the_users_alias_is_named_not_bought_again(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient
) -> None:
    # Killed after your alias went on: not provably this resource's (another stack could share
    # alias and search), so the run stops and names it; following the advice converges.
    orphan = client.purchase_number(next(client.search_available(**SEARCH, limit=1)).value)
    client.update_number(orphan.value, alias="Main line")
    control.clear_requests()
    with pytest.raises(ResourceError) as stopped:
        provider.create(inputs(provider, search=SEARCH, alias="Main line"))
    message = str(stopped.value)
    assert message.startswith(f"{orphan.value} is on your Flowroute account")
    assert "the alias 'Main line' and no routing or E911 address of another's" in message
    assert f"number='{orphan.value}' and adopt=True" in message
    assert purchases(control) == []
    forget_deployment()
    adopted = provider.create(inputs(provider, number=orphan.value, adopt=True, alias="Main line"))
    assert adopted.id == orphan.value
    assert purchases(control) == []


@pytest.mark.parametrize("done", ["routed", "given an E911 address"])
def test_another_stacks_number_with_the_same_alias_and_search_is_left_alone(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient, done: str
) -> None:
    # Staging and prod on one account, both with a "Main line" from the same search: prod's
    # number, routed or given an address, is neither stopped at nor adopted by staging's run.
    prods = client.purchase_number(next(client.search_available(**SEARCH, limit=1)).value)
    client.update_number(prods.value, alias="Main line")
    if done == "routed":
        route = client.create_route("host", "sip.example.com:5060", alias="prod pbx")
        client.set_route(prods.value, "primary", route.id)
    else:
        office = {**ADDRESS, "label": "Prod office", "country": "USA"}
        client.assign_address(prods.value, client.create_address(office).id)
    created = provider.create(inputs(provider, search=SEARCH, alias="Main line"))
    assert created.id != prods.value
    assert (created.outs or {})["adopted"] is False
    assert client.get_number(prods.value).alias == "Main line"


def test_a_number_a_sibling_holds_is_no_leftover(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient
) -> None:
    # A sibling already in the state, with no alias (adopted so): the engine diffs it in this
    # deployment, so a new PhoneNumber with a matching search buys rather than stopping.
    sibling = client.purchase_number(next(client.search_available(**SEARCH, limit=1)).value)
    recorded = inputs(provider, number=sibling.value, adopt=True)
    provider.diff(sibling.value, {**recorded, "number": sibling.value}, recorded)
    created = provider.create(inputs(provider, search=SEARCH))
    assert created.id != sibling.value
    assert purchases(control) == [sibling.value, created.id]


def test_another_stacks_slow_purchase_is_not_taken_for_an_interrupted_one(
    server: ServerProcess, control: RemoteEmulator, client: FlowrouteClient
) -> None:
    # Another stack's purchase committed; its answer takes 3 s, then it names the number. This
    # stack looks for as long as a write's answer may take to show (settleSeconds).
    provider = configured(
        PhoneNumberProvider,
        {**STACK_CONFIG, "flowroute:baseUrl": server.url, "flowroute:settleSeconds": "6"},
    )
    theirs = client.purchase_number(next(client.search_available(**SEARCH, limit=1)).value)
    naming = threading.Timer(3.0, client.update_number, (theirs.value,), {"alias": "other.dev"})
    naming.start()
    try:
        ours = provider.create(inputs(provider, search=SEARCH))
    finally:
        naming.join()
    assert ours.id != theirs.value
    assert owned(client) == sorted([theirs.value, ours.id])


def test_numbers_with_an_alias_are_never_taken_for_interrupted_ones(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient
) -> None:
    first = next(client.search_available(**SEARCH, limit=1)).value
    control.seed_number(first, alias="front desk")
    created = provider.create(inputs(provider, search=SEARCH))
    assert created.id != first
    assert owned(client) == sorted([first, created.id])


def test_twenty_numbers_sharing_one_search_buy_twenty_distinct_numbers(
    provider: PhoneNumberProvider,
    control: RemoteEmulator,
    client: FlowrouteClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Worker threads do not see the Pulumi settings other tests leave in this process.
    monkeypatch.setattr(PhoneNumberProvider, "info", staticmethod(lambda message: None))
    props = inputs(provider, search=SEARCH)
    with ThreadPoolExecutor(10) as pool:
        ids = list(pool.map(lambda _: provider.create(dict(props)).id, range(20)))
    assert len(set(ids)) == 20
    assert owned(client) == sorted(ids) == sorted(purchases(control))
    # The siblings share what the process read: one POST each, and a few small pages.
    log = control.requests()
    assert len([r for r in log if r.method == "POST"]) == 20
    available = [r for r in log if r.path == "/v2/numbers/available"]
    assert len(available) <= 3
    assert all("limit=200" not in r.query for r in available)


def test_siblings_sharing_a_search_skip_numbers_sold_elsewhere_meanwhile(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient
) -> None:
    props = inputs(provider, search=SEARCH)
    first = provider.create(dict(props)).id
    # Another stack buys the next candidates this process has already read.
    taken = [n.value for n in client.search_available(**SEARCH, limit=2)]
    for value in taken:
        client.purchase_number(value)
    second = provider.create(dict(props)).id
    assert second not in (first, *taken)
    posts = [(r.path.rsplit("/", 1)[1], r.status) for r in control.requests() if r.method == "POST"]
    # Ours, the other stack's two, our two refused tries, then the next candidate.
    assert posts == [
        (first, 201),
        *((value, 201) for value in taken),
        *((value, 404) for value in taken),
        (second, 201),
    ]


def test_refresh_does_not_drop_a_number_on_one_404(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient
) -> None:
    created = provider.create(inputs(provider, search=SEARCH))
    outs = dict(created.outs or {})
    control.inject_fault("404", method="GET", path=f"/v2/numbers/{created.id}")
    assert provider.read(created.id, outs).id == created.id
    client.release_number(created.id)
    assert provider.read(created.id, outs).id == ""


def _number_writes(control: RemoteEmulator) -> list[tuple[str, Any]]:
    return [
        (r.method, r.json().get("alias") if r.method == "PATCH" else None)
        for r in control.requests()
        if r.method != "GET" and r.path.startswith("/v2/numbers/")
    ]


@pytest.mark.parametrize("exact", [False, True], ids=["search", "exact number"])
def test_the_claim_goes_on_first_and_your_alias_last(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient, exact: bool
) -> None:
    # Until Pulumi records the number, only the claim says whose it is: a run killed after any
    # write but the last leaves a number the rerun adopts.
    value = next(client.search_available(**SEARCH, limit=1)).value
    asked = {"number": value} if exact else {"search": SEARCH}
    created = provider.create(
        inputs(provider, **asked, alias="Main line", cnam_lookups_enabled=True)
    )
    assert _number_writes(control) == [
        ("POST", None),
        ("PATCH", "proj.dev.line"),
        ("PATCH", "Main line"),
    ]
    last = control.requests()[-1].json()
    assert last == {"type": "number", "alias": "Main line", "cnam_lookups_enabled": True}
    assert (created.outs or {})["alias"] == "Main line"
    assert client.get_number(value).cnam_lookups_enabled is True


def test_without_your_alias_the_claim_is_its_one_write(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient
) -> None:
    created = provider.create(inputs(provider, search=SEARCH, cnam_lookups_enabled=True))
    assert _number_writes(control) == [("POST", None), ("PATCH", "proj.dev.line")]
    assert client.get_number(created.id).cnam_lookups_enabled is True


@pytest.mark.parametrize("kind", ["drop", "garbage", "slow"])
def test_a_claim_whose_answer_is_lost_still_gets_your_alias(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient, kind: str
) -> None:
    # The claim PATCH went through; its answer did not (or was garbled): settled by reading,
    # the claim is on, so your alias follows in the same run, and nothing is bought again.
    control.inject_fault(kind, method="PATCH", seconds=1.0)
    created = provider.create(inputs(provider, search=SEARCH, alias="Main line"))
    wait_until(lambda: purchases(control), "the purchase in the emulator's log")
    assert owned(client) == [created.id] == purchases(control)
    assert client.get_number(created.id).alias == "Main line"
    assert (created.outs or {})["alias"] == "Main line"


@pytest.mark.parametrize("kind", ["drop", "garbage"])
def test_your_alias_whose_answer_is_lost_is_settled_by_reading(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient, kind: str
) -> None:
    value = next(client.search_available(**SEARCH, limit=1)).value
    control.inject_fault("slow", method="PATCH", seconds=0)  # the claim, answered
    control.inject_fault(kind, method="PATCH")  # your alias, committed, answer unusable
    created = provider.create(inputs(provider, number=value, alias="Main line"))
    # Recorded as the account has it: the next run sees no change to make.
    assert (created.outs or {})["alias"] == "Main line"
    assert client.get_number(value).alias == "Main line"


@pytest.fixture
def stopping(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Stop the process (as the engine's SIGINT does) at the moment the returned function is
    called."""
    monkeypatch.setattr(lifeline.LIFELINE, "interrupted_at", None)
    return lifeline.LIFELINE.interrupt


@pytest.mark.parametrize("exact", [False, True], ids=["search", "exact number"])
def test_a_purchase_stopped_mid_flight_keeps_its_claim_and_the_rerun_adopts_it(
    provider: PhoneNumberProvider,
    control: RemoteEmulator,
    client: FlowrouteClient,
    stopping: Any,
    monkeypatch: pytest.MonkeyPatch,
    exact: bool,
) -> None:
    # Ctrl-C twice: the engine drops the answer of the create in flight and SIGINTs the
    # provider, which finishes the purchase with the claim on and your alias not yet.
    value = next(client.search_available(**SEARCH, limit=1)).value
    control.inject_fault("delay", method="POST", seconds=1.0)
    stop = threading.Timer(0.5, stopping)
    stop.start()
    asked = {"number": value} if exact else {"search": SEARCH}
    warnings: list[str] = []
    monkeypatch.setattr(PhoneNumberProvider, "warn", staticmethod(warnings.append))
    provider.create(inputs(provider, **asked, alias="Main line"))
    stop.join()
    assert client.get_number(value).alias == "proj.dev.line"
    assert _number_writes(control) == [("POST", None), ("PATCH", "proj.dev.line")]
    assert any("the next `pulumi up` adopts it" in w for w in warnings), warnings
    # The rerun (a new provider process) adopts it by its claim and then sets your alias.
    monkeypatch.setattr(lifeline.LIFELINE, "interrupted_at", None)
    forget_deployment()
    control.clear_requests()
    rerun = provider.create(inputs(provider, **asked, alias="Main line"))
    assert (rerun.id, (rerun.outs or {})["adopted"]) == (value, True)
    assert purchases(control) == []
    assert client.get_number(value).alias == "Main line"


def test_no_purchase_starts_once_pulumi_is_stopping(
    provider: PhoneNumberProvider, control: RemoteEmulator, client: FlowrouteClient, stopping: Any
) -> None:
    stopping()
    with pytest.raises(
        ResourceError, match=r"^Pulumi stopped before 1303[0-9]+ was bought, so nothing"
    ):
        provider.create(inputs(provider, search=SEARCH))
    assert owned(client) == []
    assert [r for r in control.requests() if r.method != "GET"] == []
