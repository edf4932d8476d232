"""Every numbers and routes endpoint through the client, against the mock and a real server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pulumi_flowroute import FlowrouteClient
from pulumi_flowroute.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
)
from tests.support.emulators import Emulated

Pick = Callable[..., Any]


def test_search_available_filters_and_parses_costs(emulated: Emulated) -> None:
    found = list(emulated.client.search_available(starts_with="206", state="WA", limit=15))
    assert len(found) == 15
    assert all(n.value.startswith("1206") and n.state == "wa" for n in found)
    assert all(n.number_type == "standard" for n in found)
    assert all(isinstance(n.setup_cost, float) and n.monthly_cost for n in found)
    assert [n.value for n in found] == sorted(n.value for n in found)


def test_search_by_rate_center_is_case_insensitive(emulated: Emulated) -> None:
    found = list(emulated.client.search_available(rate_center="BELLEVUE", limit=5))
    assert found
    assert {n.rate_center for n in found} == {"bellevue"}


def test_search_toll_free(emulated: Emulated) -> None:
    found = list(emulated.client.search_available(starts_with="1800", limit=3))
    assert [n.number_type for n in found] == ["tollfree"] * 3


def test_search_rejects_non_digit_filter(emulated: Emulated) -> None:
    with pytest.raises(BadRequest) as caught:
        list(emulated.client.search_available(contains="abc"))
    assert caught.value.status == 400
    assert "contains" in str(caught.value)


def test_purchase_then_details(emulated: Emulated, first_available: Pick) -> None:
    value = first_available(emulated.client, starts_with="425")
    bought = emulated.client.purchase_number(value)
    assert bought.value == value
    assert bought.primary_route_id == "0"
    assert bought.failover_route_id is None
    assert [r.id for r in bought.routes] == ["0"]
    details = emulated.client.get_number(value)
    assert details == bought
    assert ("POST", f"/v2/numbers/{value}", 201) in emulated.api_requests()
    # Sold numbers leave inventory.
    assert value not in {n.value for n in emulated.client.search_available(starts_with=value)}


def test_purchase_unavailable_is_404(emulated: Emulated, first_available: Pick) -> None:
    value = first_available(emulated.client)
    emulated.client.purchase_number(value)
    with pytest.raises(NotFound) as caught:
        emulated.client.purchase_number(value)
    assert caught.value.detail == "Number not available for purchase."
    assert caught.value.request_id


def test_purchase_without_funds_is_403(emulated: Emulated, first_available: Pick) -> None:
    emulated.control.set_balance(0)
    value = first_available(emulated.client, starts_with="1206")
    with pytest.raises(Forbidden):
        emulated.client.purchase_number(value)
    with pytest.raises(NotFound):
        emulated.client.get_number(value)
    assert next(emulated.client.search_available(starts_with=value)).value == value


def test_details_of_number_not_on_account_is_404(emulated: Emulated) -> None:
    with pytest.raises(NotFound) as caught:
        emulated.client.get_number("12065550000")
    assert caught.value.detail == "Could not find that resource on your account."


def test_list_account_numbers_with_filters(emulated: Emulated) -> None:
    values = [n.value for n in emulated.client.search_available(starts_with="303", limit=3)]
    for value in values:
        emulated.client.purchase_number(value)
    emulated.client.update_number(values[1], alias="Front desk")
    listed = list(emulated.client.list_numbers())
    assert [n.value for n in listed] == values
    assert all(n.primary_route_id is None for n in listed)  # list items carry no routes
    by_alias = list(emulated.client.list_numbers(alias="Front desk"))
    assert [n.value for n in by_alias] == [values[1]]
    assert [n.value for n in emulated.client.list_numbers(ends_with=values[2][-4:])] == [values[2]]


def test_update_alias_and_cnam(emulated: Emulated, first_available: Pick) -> None:
    value = first_available(emulated.client)
    emulated.client.purchase_number(value)
    updated = emulated.client.update_number(value, alias="Office 221", cnam_lookups_enabled=True)
    assert (updated.alias, updated.cnam_lookups_enabled) == ("Office 221", True)
    cleared = emulated.client.update_number(value, clear_alias=True)
    assert cleared.alias is None
    assert cleared.cnam_lookups_enabled is True


def test_update_rejects_overlong_alias(emulated: Emulated, first_available: Pick) -> None:
    value = first_available(emulated.client)
    emulated.client.purchase_number(value)
    with pytest.raises(Unprocessable) as caught:
        emulated.client.update_number(value, alias="x" * 65)
    assert caught.value.detail == {"alias": ["must be a string of at most 64 characters"]}
    assert emulated.client.get_number(value).alias is None


def test_update_missing_number_is_404(emulated: Emulated) -> None:
    with pytest.raises(NotFound):
        emulated.client.update_number("12065550000", alias="x")


def test_release_returns_number_to_inventory(emulated: Emulated, first_available: Pick) -> None:
    value = first_available(emulated.client, starts_with="503")
    emulated.client.purchase_number(value)
    emulated.client.release_number(value)
    with pytest.raises(NotFound):
        emulated.client.get_number(value)
    with pytest.raises(NotFound):
        emulated.client.release_number(value)
    assert next(emulated.client.search_available(starts_with=value)).value == value


def test_set_and_remove_routes(emulated: Emulated, first_available: Pick) -> None:
    client = emulated.client
    value = first_available(client)
    client.purchase_number(value)
    pbx = client.create_route("host", "sip.example.com:5060", "pbx")
    cell = client.create_route("number", "12065550100", "cell")
    client.set_route(value, "primary", pbx.id)
    client.set_route(value, "failover", cell.id)
    details = client.get_number(value)
    assert (details.primary_route_id, details.failover_route_id) == (pbx.id, cell.id)
    assert {r.id: r.value for r in details.routes} == {
        pbx.id: "sip.example.com:5060",
        cell.id: "12065550100",
    }
    client.remove_route(value, "primary")
    client.remove_route(value, "failover")
    details = client.get_number(value)
    assert (details.primary_route_id, details.failover_route_id) == ("0", None)


def test_set_unknown_route_is_404(emulated: Emulated, first_available: Pick) -> None:
    value = first_available(emulated.client)
    emulated.client.purchase_number(value)
    with pytest.raises(NotFound) as caught:
        emulated.client.set_route(value, "primary", "424242")
    assert caught.value.detail == "Route not found."
    with pytest.raises(NotFound):
        emulated.client.set_route("12065550000", "primary", "0")


def test_route_lifecycle(emulated: Emulated) -> None:
    client = emulated.client
    route = client.create_route(
        "uri", "sip:help@pbx.example.com;transport=tls", "help", edge_strategy_id=1
    )
    assert route.id.isdigit()
    assert route.edge_strategy_id == 1
    routes = list(client.list_routes())
    assert routes[0].id == "0"
    assert routes[0].route_type == "sip-reg"
    assert client.find_route(route.id) == route
    changed = client.update_route(route.id, value="sip:desk@pbx.example.com")
    assert changed.value == "sip:desk@pbx.example.com"
    assert changed.alias == "help"
    assert [r.id for r in client.list_routes(route_type="uri")] == [route.id]
    client.delete_route(route.id)
    assert client.find_route(route.id) is None
    with pytest.raises(NotFound) as caught:
        client.delete_route(route.id)
    assert caught.value.detail == "Invalid Route Id"


@pytest.mark.parametrize(
    ("route_type", "value", "field"),
    [
        ("host", "not a host", "value"),
        ("number", "2065550100", "value"),
        ("uri", "http://example.com", "value"),
        ("fax", "12065550100", "route_type"),
    ],
)
def test_create_route_validation(
    emulated: Emulated, route_type: str, value: str, field: str
) -> None:
    with pytest.raises(Unprocessable) as caught:
        emulated.client.create_route(route_type, value, "bad")
    assert isinstance(caught.value.detail, dict)
    assert field in caught.value.detail
    assert field in str(caught.value)
    assert [r.id for r in emulated.client.list_routes()] == ["0"]


def test_update_route_value_must_fit_its_type(emulated: Emulated) -> None:
    route = emulated.client.create_route("number", "12065550100", "cell")
    with pytest.raises(Unprocessable):
        emulated.client.update_route(route.id, route_type="host")
    assert emulated.client.find_route(route.id) == route


def test_delete_route_in_use_is_403(emulated: Emulated, first_available: Pick) -> None:
    client = emulated.client
    value = first_available(client)
    client.purchase_number(value)
    route = client.create_route("host", "10.0.0.5", "lan")
    client.set_route(value, "failover", route.id)
    with pytest.raises(Forbidden) as caught:
        client.delete_route(route.id)
    assert caught.value.title == "This Route has numbers still associated to it."
    assert caught.value.detail == "Please disassociate all numbers before deleting."


def test_builtin_route_cannot_change(emulated: Emulated) -> None:
    with pytest.raises(Forbidden):
        emulated.client.delete_route("0")
    with pytest.raises(Forbidden):
        emulated.client.update_route("0", alias="mine")


@pytest.mark.parametrize("mode", ["mock", "server"])
def test_wrong_credentials_are_401(mode: str, request: pytest.FixtureRequest) -> None:
    if mode == "mock":
        request.getfixturevalue("mock")
        base = "https://api.flowroute.com"
    else:
        base = request.getfixturevalue("server").url
    client = FlowrouteClient("81234567", "wrong-secret", base)
    with pytest.raises(Unauthorized) as caught:
        list(client.list_routes())
    assert caught.value.status == 401
    assert caught.value.detail == "Authentication failed."
    assert "wrong-secret" not in str(caught.value)
    assert "wrong-secret" not in repr(client)


def test_list_routes_pages_through_everything(emulated: Emulated) -> None:
    routes = [
        emulated.client.create_route("number", f"1206555{i:04d}", f"r{i}") for i in range(205)
    ]
    emulated.control.clear_requests()
    assert [r.id for r in emulated.client.list_routes()] == ["0", *[r.id for r in routes]]
    assert [r.query for r in emulated.control.requests()] == ["limit=200", "limit=200&offset=200"]


def test_iterator_limit_stops_early(emulated: Emulated) -> None:
    emulated.control.clear_requests()
    assert len(list(emulated.client.search_available(limit=450))) == 450
    gets = [r.query for r in emulated.control.requests()]
    assert gets == ["limit=200", "limit=200&offset=200", "limit=200&offset=400"]


@pytest.mark.parametrize(
    ("call", "error", "status"),
    [
        (lambda c: c.remove_route("12065550000", "failover"), NotFound, 404),
        (lambda c: list(c.list_numbers(contains="x1")), BadRequest, 400),
        (lambda c: c.update_route("424242", alias="x"), NotFound, 404),
        (lambda c: c.purchase_number("not-a-number"), NotFound, 404),
        (lambda c: c.release_number("12065550000"), NotFound, 404),
    ],
    ids=["remove-route", "list-numbers", "update-route", "purchase", "release"],
)
def test_remaining_error_paths(
    emulated: Emulated,
    call: Callable[[FlowrouteClient], Any],
    error: type[Exception],
    status: int,
) -> None:
    with pytest.raises(error):
        call(emulated.client)
    assert [r.status for r in emulated.control.requests()] == [status]
