"""PhoneNumber's provider methods called directly against ``mock_flowroute()``."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from pulumi_flowroute import AvailableNumber, FlowrouteClient, ResourceError, RetryPolicy
from pulumi_flowroute.claims import DEFAULT_ALIAS
from pulumi_flowroute.emulator import MockFlowroute
from pulumi_flowroute.phone_number import PhoneNumberProvider
from tests.support.emulators import writes
from tests.support.providers import configured


@pytest.fixture
def provider(mock: MockFlowroute) -> PhoneNumberProvider:
    return configured(PhoneNumberProvider)


def checked(provider: PhoneNumberProvider, **news: Any) -> dict[str, Any]:
    result = provider.check({}, news)
    assert result.failures == [], [f.reason for f in result.failures]
    return result.inputs


def posts(mock: MockFlowroute) -> list[str]:
    return [r.path for r in mock.requests() if r.method == "POST"]


def test_check_normalises_and_fills_defaults(
    provider: PhoneNumberProvider, mock: MockFlowroute
) -> None:
    inputs = checked(provider, number="+1 (206) 555-1234", max_setup_cost=2)
    assert inputs["number"] == "12065551234"
    assert (inputs["adopt"], inputs["release_on_delete"]) == (False, False)
    assert inputs["max_setup_cost"] == 2.0
    by_search = checked(provider, search={"starts_with": 425.0, "state": "WA"})
    # Only the criteria given: the engine would drop unset ones from the state anyway.
    assert by_search["search"] == {"starts_with": "425", "state": "wa"}
    assert mock.requests() == []


def test_check_tolerates_unknowns(provider: PhoneNumberProvider) -> None:
    assert provider.check({}, {"number": Unknown(), "alias": Unknown()}).failures == []
    result = provider.check({}, {"search": {"starts_with": Unknown()}})
    assert result.failures == []


def test_create_exact_number(provider: PhoneNumberProvider, mock: MockFlowroute) -> None:
    result = provider.create(
        checked(provider, number="12065551234", alias="Support line", cnam_lookups_enabled=True)
    )
    assert result.id == "12065551234"
    outs = result.outs or {}
    assert outs["alias"] == "Support line"
    assert outs["cnam_lookups_enabled"] is True
    assert (outs["rate_center"], outs["state"], outs["number_type"]) == (
        "seattle",
        "wa",
        "standard",
    )
    assert (outs["setup_cost"], outs["monthly_cost"], outs["adopted"]) == (1.0, 1.25, False)
    assert posts(mock) == ["/v2/numbers/12065551234"]


def test_create_refuses_a_number_already_owned(
    provider: PhoneNumberProvider, mock: MockFlowroute
) -> None:
    mock.seed_number("12065551234", alias="Bought in the portal")
    with pytest.raises(ResourceError, match=r"already on your Flowroute account.*adopt=True"):
        provider.create(checked(provider, number="12065551234"))
    assert posts(mock) == []


def test_adopt_takes_over_without_buying(
    provider: PhoneNumberProvider, mock: MockFlowroute
) -> None:
    mock.seed_number("12065551234", alias="Bought in the portal")
    result = provider.create(checked(provider, number="12065551234", adopt=True))
    outs = result.outs or {}
    assert outs["adopted"] is True
    assert outs["alias"] == "Bought in the portal"
    assert posts(mock) == []
    provider.delete(result.id, outs)
    assert [r.method for r in mock.requests()].count("DELETE") == 0


def test_exact_number_not_for_sale(provider: PhoneNumberProvider, mock: MockFlowroute) -> None:
    with pytest.raises(ResourceError, match="neither on your Flowroute account nor in"):
        provider.create(checked(provider, number="12065550000"))
    assert posts(mock) == []


def test_exact_number_above_cost_limit(provider: PhoneNumberProvider, mock: MockFlowroute) -> None:
    with pytest.raises(ResourceError, match=r"above the limits \(max_monthly_cost <= 1.00\)"):
        provider.create(checked(provider, number="12065551234", max_monthly_cost=1))
    assert posts(mock) == []


def test_search_buys_first_match_within_costs(
    provider: PhoneNumberProvider, client: FlowrouteClient
) -> None:
    candidates = [
        n for n in client.search_available(starts_with="206", limit=50) if n.setup_cost == 0.0
    ]
    outs = (
        provider.create(checked(provider, search={"starts_with": "206"}, max_setup_cost=0)).outs
        or {}
    )
    assert outs["number"] == candidates[0].value
    assert outs["setup_cost"] == 0.0
    assert outs["search"]["starts_with"] == "206"


def test_search_moves_past_a_number_taken_meanwhile(
    provider: PhoneNumberProvider,
    client: FlowrouteClient,
    mock: MockFlowroute,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stale = list(client.search_available(starts_with="253", limit=3))
    mock.seed_number(stale[0].value, alias="another buyer's")  # taken first

    def stale_listing(**_: Any) -> list[AvailableNumber]:
        return stale

    monkeypatch.setattr(provider.client, "search_available", stale_listing)
    outs = provider.create(checked(provider, search={"starts_with": "253"})).outs or {}
    assert outs["number"] == stale[1].value
    assert posts(mock) == [f"/v2/numbers/{stale[0].value}", f"/v2/numbers/{stale[1].value}"]


def test_search_with_nothing_left_names_the_criteria(
    provider: PhoneNumberProvider, mock: MockFlowroute
) -> None:
    with pytest.raises(ResourceError) as caught:
        provider.create(checked(provider, search={"starts_with": "206", "state": "ny"}))
    assert "starts_with='206', state='ny'" in str(caught.value)
    assert posts(mock) == []


def test_lost_purchase_answer_is_settled_by_reading(
    provider: PhoneNumberProvider, mock: MockFlowroute
) -> None:
    mock.inject_fault("drop", method="POST")
    outs = provider.create(checked(provider, number="12065551234", alias="Desk")).outs or {}
    assert outs["number"] == "12065551234"
    assert outs["alias"] == "Desk"
    assert posts(mock) == ["/v2/numbers/12065551234"]


def test_failed_purchase_is_reported_and_a_rerun_converges(
    provider: PhoneNumberProvider, mock: MockFlowroute
) -> None:
    mock.inject_fault("503", method="POST")
    inputs = checked(provider, number="12065551234")
    with pytest.raises(ResourceError, match=r"most likely not bought\. Run `pulumi up` again"):
        provider.create(inputs)
    assert provider.create(inputs).id == "12065551234"
    assert posts(mock) == ["/v2/numbers/12065551234"] * 2


def test_alias_failure_after_purchase_keeps_the_number(
    provider: PhoneNumberProvider, mock: MockFlowroute
) -> None:
    provider.client.retry = RetryPolicy(attempts=1)  # the PATCH fails for good
    mock.inject_fault("500", method="PATCH")
    inputs = checked(provider, number="12065551234", alias="Desk")
    outs = provider.create(inputs).outs or {}
    assert outs["number"] == "12065551234"
    assert outs["alias"] is None
    # The next up sees the alias missing and sets it in place.
    diff = provider.diff("12065551234", outs, inputs)
    assert diff.changes is True
    assert diff.replaces == []


def _bought(provider: PhoneNumberProvider, **news: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    inputs = checked(provider, **news)
    return inputs, provider.create(inputs).outs or {}


def test_read_reports_drift_and_disappearance(
    provider: PhoneNumberProvider, client: FlowrouteClient
) -> None:
    inputs, outs = _bought(provider, number="12065551234", alias="Desk")
    client.update_number("12065551234", alias="Changed in portal")
    read = provider.read("12065551234", outs)
    assert read.outs is not None
    assert read.inputs is not None
    assert read.outs["alias"] == read.inputs["alias"] == "Changed in portal"
    assert read.outs["setup_cost"] == 1.0
    assert provider.diff("12065551234", read.outs, inputs).changes is True
    client.release_number("12065551234")
    assert provider.read("12065551234", outs).id == ""


def test_a_refresh_right_after_an_up_keeps_the_inputs_as_the_program_gave_them(
    provider: PhoneNumberProvider,
) -> None:
    # Neither alias nor caller-name lookups given: the account's are left alone, and are no
    # inputs; the claim is bookkeeping, under a key Pulumi never shows.
    inputs, outs = _bought(provider, search={"starts_with": "503"}, **{DEFAULT_ALIAS: "p.s.line"})
    assert inputs[DEFAULT_ALIAS] == outs[DEFAULT_ALIAS] == "p.s.line"
    assert "default_alias" not in inputs
    read = provider.read(outs["number"], outs)
    assert read.inputs is None  # the engine keeps the recorded inputs: nothing to show
    assert read.outs == outs
    assert provider.diff(outs["number"], read.outs, inputs).changes is False
    # A state an earlier version wrote (the claim under its old key) reads the same way.
    legacy = {k: v for k, v in outs.items() if k != DEFAULT_ALIAS} | {"default_alias": "p.s.line"}
    again = provider.read(outs["number"], legacy)
    assert (again.inputs, again.outs) == (None, outs)


def test_read_keeps_a_search_number_out_of_inputs(
    provider: PhoneNumberProvider, client: FlowrouteClient
) -> None:
    inputs, outs = _bought(provider, search={"starts_with": "503"}, cnam_lookups_enabled=False)
    client.update_number(outs["number"], cnam_lookups_enabled=True)  # in the portal
    read = provider.read(outs["number"], outs)
    assert read.inputs is not None
    assert read.inputs["cnam_lookups_enabled"] is True
    assert read.inputs["number"] is None
    assert read.inputs["search"] == inputs["search"]
    assert provider.diff(outs["number"], read.outs or {}, inputs).changes is True


def test_diff(provider: PhoneNumberProvider) -> None:
    inputs, outs = _bought(provider, search={"starts_with": "425"}, alias="A")
    held = outs["number"]
    same = provider.diff(held, outs, inputs)
    assert (same.changes, same.replaces) == (False, [])
    still = provider.diff(held, outs, {**inputs, "search": {**inputs["search"], "state": "wa"}})
    assert (still.changes, still.replaces) == (True, [])
    moved = provider.diff(
        held, outs, {**inputs, "search": {**inputs["search"], "starts_with": "206"}}
    )
    assert moved.replaces == ["search"]
    renamed = provider.diff(held, outs, {**inputs, "alias": "B"})
    assert (renamed.changes, renamed.replaces) == (True, [])
    flagged = provider.diff(held, outs, {**inputs, "release_on_delete": True})
    assert (flagged.changes, flagged.replaces) == (True, [])
    sparse = provider.diff(held, {**outs, "search": {"starts_with": "425"}}, inputs)
    assert (sparse.changes, sparse.replaces) == (False, [])
    pinned = provider.diff(held, outs, {**inputs, "search": None, "number": held})
    assert pinned.replaces == []
    other = provider.diff(held, outs, {**inputs, "search": None, "number": "12065551234"})
    assert other.replaces == ["number"]
    unknown = provider.diff(held, outs, {**inputs, "search": None, "number": Unknown()})
    assert unknown.replaces == ["number"]


def test_update_alias_in_place_and_flags_without_calls(
    provider: PhoneNumberProvider, mock: MockFlowroute
) -> None:
    inputs, outs = _bought(provider, number="12065551234", alias="A")
    mock.clear_requests()
    renamed = provider.update("12065551234", outs, {**inputs, "alias": "B"}).outs or {}
    assert renamed["alias"] == "B"
    assert renamed["setup_cost"] == 1.0
    assert [(r.method, r.json()) for r in mock.requests()] == [
        ("PATCH", {"type": "number", "alias": "B"})
    ]
    mock.clear_requests()
    flagged = (
        provider.update(
            "12065551234", renamed, {**inputs, "alias": "B", "release_on_delete": True}
        ).outs
        or {}
    )
    assert mock.requests() == []
    assert flagged["release_on_delete"] is True
    assert flagged["rate_center"] == "seattle"


def test_delete_keeps_or_releases(
    provider: PhoneNumberProvider, client: FlowrouteClient, mock: MockFlowroute
) -> None:
    _, kept = _bought(provider, number="12065551234")
    provider.delete("12065551234", kept)
    assert client.get_number("12065551234").value == "12065551234"
    _, released = _bought(provider, search={"starts_with": "720"}, release_on_delete=True)
    provider.delete(released["number"], released)
    provider.delete(released["number"], released)  # already gone: not an error
    assert {n.value for n in client.list_numbers()} == {"12065551234"}


def test_a_replacement_that_keeps_the_old_number_billing_warns_at_diff(
    provider: PhoneNumberProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, outs = _bought(provider, number="12065551234")
    # Recorded here: where pulumi.log sends a warning depends on what ran before in this process.
    warned: list[str] = []
    monkeypatch.setattr(PhoneNumberProvider, "warn", staticmethod(warned.append))
    provider.diff(outs["number"], outs, {**inputs, "number": "12065550199"})
    assert len(warned) == 1
    assert "buys 12065550199 while 12065551234 stays on your Flowroute account" in warned[0]
    assert "use search=NumberSearch(...) instead" in warned[0]
    released = {**outs, "release_on_delete": True}
    provider.diff(outs["number"], released, {**inputs, "number": "12065550199"})
    provider.diff(outs["number"], outs, dict(inputs))
    assert len(warned) == 1


# -- a number that routes itself (one engine resource per number in a fleet) ------------------


def test_a_number_routes_itself_and_changes_only_the_slot_that_differs(
    provider: PhoneNumberProvider, mock: MockFlowroute, client: FlowrouteClient
) -> None:
    pbx = client.create_route("host", "sip.example.com:5060", alias="pbx").id
    cell = client.create_route("number", "12065550100", alias="cell").id
    wanted = checked(provider, number="12065551234", primary_route_id=pbx, failover_route_id=cell)
    created = provider.create(wanted)
    outs = created.outs or {}
    details = client.get_number("12065551234")
    assert (details.primary_route_id, details.failover_route_id) == (pbx, cell)
    assert (outs["primary_route_id"], outs["failover_route_id"]) == (pbx, cell)

    mock.clear_requests()
    swapped = {**wanted, "primary_route_id": cell, "failover_route_id": cell}
    assert provider.diff(created.id, outs, swapped).changes
    provider.update(created.id, outs, swapped)
    assert writes(mock) == [("PATCH", "/v2/numbers/12065551234/relationships/primary_route")]

    # Kept on delete: it lets go of the routes, so they can be deleted.
    provider.delete(created.id, {**outs, **swapped})
    details = client.get_number("12065551234")
    assert (details.primary_route_id, details.failover_route_id) == ("0", None)


def test_an_unrouted_number_leaves_its_routing_alone(
    provider: PhoneNumberProvider, mock: MockFlowroute, client: FlowrouteClient
) -> None:
    pbx = client.create_route("host", "sip.example.com:5060", alias="pbx").id
    mock.seed_number("12065551234", alias="Main")
    client.set_route("12065551234", "primary", pbx)
    adopted = provider.create(checked(provider, number="12065551234", adopt=True))
    outs = adopted.outs or {}
    assert outs["primary_route_id"] is None  # not this resource's to manage
    assert not provider.diff(
        adopted.id, outs, checked(provider, number="12065551234", adopt=True)
    ).changes
    provider.delete(adopted.id, outs)
    assert client.get_number("12065551234").primary_route_id == pbx


def test_a_failover_needs_a_primary(provider: PhoneNumberProvider) -> None:
    result = provider.check({}, {"number": "12065551234", "failover_route_id": "98396"})
    assert [(f.property, f.reason) for f in result.failures] == [
        (
            "failover_route_id",
            "failover_route_id = '98396' is not valid: set primary_route_id too: a number "
            "routes to its "
            "failover only when its primary fails",
        )
    ]
