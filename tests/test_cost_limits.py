"""With a cost limit set, a number whose price the inventory does not give is never bought: the
limit cannot be checked. A search takes the next priced match, or stops with one line saying
why nothing was bought; an exact number stops with one line naming the missing price."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_flowroute import AvailableNumber, FlowrouteClient, ResourceError
from pulumi_flowroute.emulator import MockFlowroute
from pulumi_flowroute.phone_number import PhoneNumberProvider
from pulumi_flowroute.purchases import unpriced, within_costs
from tests.support.providers import checked, configured


@pytest.fixture
def provider(mock: MockFlowroute) -> PhoneNumberProvider:
    return configured(PhoneNumberProvider)


def _listing(setup: float | None, monthly: float | None) -> AvailableNumber:
    return AvailableNumber("12065551234", "standard", "seattle", "wa", setup, monthly)


@pytest.mark.parametrize(
    ("limits", "setup", "monthly", "within", "unchecked"),
    [
        ({}, None, None, True, []),
        ({"max_setup_cost": 1.0}, None, 0.5, False, ["max_setup_cost"]),
        ({"max_monthly_cost": 1.0}, 0.0, None, False, ["max_monthly_cost"]),
        ({"max_monthly_cost": 1.0}, None, 0.5, True, []),
        ({"max_setup_cost": 1.0, "max_monthly_cost": 1.0}, None, None, False, None),
        ({"max_setup_cost": 1.0}, 2.0, None, False, []),
        ({"max_setup_cost": 0.0}, 0.0, 9.0, True, []),
    ],
)
def test_a_limit_is_met_only_by_a_known_price_within_it(
    limits: dict[str, float],
    setup: float | None,
    monthly: float | None,
    within: bool,
    unchecked: list[str] | None,
) -> None:
    listing = _listing(setup, monthly)
    assert within_costs(limits, listing) is within
    expected = ["max_setup_cost", "max_monthly_cost"] if unchecked is None else unchecked
    assert unpriced(limits, listing) == expected


def _prices_hidden(
    monkeypatch: pytest.MonkeyPatch, provider: PhoneNumberProvider, hidden: set[str] | None
) -> None:
    """The provider's inventory reads give no setup price for ``hidden`` (None: for all)."""
    client = provider.client
    search = client.search_available

    def without_prices(**criteria: Any) -> Iterator[AvailableNumber]:
        for item in search(**criteria):
            if hidden is None or item.value in hidden:
                item = dataclasses.replace(item, setup_cost=None)
            yield item

    monkeypatch.setattr(client, "search_available", without_prices)


def _posts(mock: MockFlowroute) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in mock.requests() if r.method == "POST"]


def test_a_search_passes_over_an_unpriced_match_to_the_next(
    provider: PhoneNumberProvider,
    mock: MockFlowroute,
    client: FlowrouteClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = (n.value for n in client.search_available(starts_with="206", limit=2))
    _prices_hidden(monkeypatch, provider, {first})
    inputs = checked(provider, {"search": {"starts_with": "206"}, "max_setup_cost": 10})
    created = provider.create(inputs)
    assert created.id == second
    assert _posts(mock) == [second]


def test_a_search_with_no_priced_match_says_why_nothing_was_bought(
    provider: PhoneNumberProvider, mock: MockFlowroute, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prices_hidden(monkeypatch, provider, None)
    inputs = checked(provider, {"search": {"starts_with": "206"}, "max_setup_cost": 10})
    with pytest.raises(ResourceError) as stopped:
        provider.create(inputs)
    message = str(stopped.value)
    assert "\n" not in message
    assert "at a known price" in message
    assert "have no setup price, so max_setup_cost could not be checked" in message
    assert "Nothing was bought" in message
    assert _posts(mock) == []


def test_an_exact_number_without_the_limited_price_is_not_bought(
    provider: PhoneNumberProvider, mock: MockFlowroute, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prices_hidden(monkeypatch, provider, None)
    inputs = checked(provider, {"number": "12065551234", "max_setup_cost": 10})
    with pytest.raises(ResourceError) as stopped:
        provider.create(inputs)
    message = str(stopped.value)
    assert message == (
        "12065551234 has no setup price in Flowroute's inventory, so max_setup_cost could not "
        "be checked and it was not bought. Choose another number, or remove the limit to buy "
        "it whatever it costs."
    )
    assert _posts(mock) == []
    # A limit on the price it does give is checked as ever; no limit, no check.
    monthly = checked(provider, {"number": "12065551234", "max_monthly_cost": 10})
    assert provider.create(monthly).id == "12065551234"
    assert _posts(mock) == ["12065551234"]


def test_an_exact_number_above_a_limit_names_an_unknown_price_it_does_not_limit(
    provider: PhoneNumberProvider, mock: MockFlowroute, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = provider.client
    search = client.search_available

    def no_monthly_price(**criteria: Any) -> Iterator[AvailableNumber]:
        for item in search(**criteria):
            yield dataclasses.replace(item, setup_cost=5.0, monthly_cost=None)

    monkeypatch.setattr(client, "search_available", no_monthly_price)
    inputs = checked(provider, {"number": "12065551234", "max_setup_cost": 1})
    with pytest.raises(ResourceError, match=r"costs 5\.00 to set up and an unknown price a month"):
        provider.create(inputs)
    assert _posts(mock) == []
