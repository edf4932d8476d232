"""E911 addresses and assignments: the emulator's rules, and both providers called directly."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from pulumi_flowroute import FlowrouteClient, ResourceError
from pulumi_flowroute.e911_address import E911AddressProvider
from pulumi_flowroute.e911_assignment import E911AssignmentProvider
from pulumi_flowroute.emulator import MockFlowroute
from pulumi_flowroute.errors import BadRequest, Forbidden, Unprocessable
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.emulators import writes
from tests.support.providers import checked, configured

OFFICE: dict[str, Any] = {
    "label": "Seattle office",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "street_number": "1218",
    "street_name": "3rd Ave",
    "address_type": "Suite",
    "address_type_number": "600",
    "city": "Seattle",
    "state": "wa",
    "zip": "98101",
}


@pytest.fixture
def addresses(mock: MockFlowroute) -> E911AddressProvider:
    return configured(E911AddressProvider)


@pytest.fixture
def assignments(mock: MockFlowroute) -> E911AssignmentProvider:
    return configured(E911AssignmentProvider)


def created(addresses: E911AddressProvider, **changes: Any) -> dict[str, Any]:
    return addresses.create(checked(addresses, {**OFFICE, **changes})).outs or {}


# -- the emulator ------------------------------------------------------------------------------


def test_the_emulator_validates_geocodes_and_refuses_duplicates(client: FlowrouteClient) -> None:
    fields = {**OFFICE, "state": "WA", "country": "USA"}
    address = client.create_address(fields)
    assert (address.id, address.country, address.state) == ("20155", "US", "WA")
    with pytest.raises(Forbidden, match="Duplicate address"):
        client.create_address({**fields, "street_name": "3RD  AVE"})
    with pytest.raises(BadRequest, match="Could not geocode") as geocode:
        client.create_address({**fields, "street_name": "Nowhere Lane"})
    assert geocode.value.title == "Client Error"
    with pytest.raises(Unprocessable) as bad_zip:
        client.create_address({**fields, "label": "Other", "zip": "98101-1234"})
    assert bad_zip.value.detail == {
        "data": {"attributes": {"zip": ["ZIP code must be at least 4 and at most 7 digits long"]}}
    }
    assert [a.id for a in client.list_addresses(city="seat")] == ["20155"]


def test_the_emulator_takes_what_each_official_sdk_sends(mock: MockFlowroute) -> None:
    # The Python SDK sends no Content-Type; .NET names the type "e911s".
    body = {"data": {"type": "e911s", "attributes": {**OFFICE, "country": "US"}}}
    answer = requests.post(
        "https://api.flowroute.com/v2/e911s",
        data=json.dumps(body),
        auth=(ACCESS_KEY, SECRET_KEY),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["data"]["attributes"]["state"] == "WA"


def test_assignment_rules_and_release(
    client: FlowrouteClient, owned_number: str, mock: MockFlowroute
) -> None:
    address = client.create_address({**OFFICE, "country": "US"})
    client.assign_address(owned_number, address.id)
    client.assign_address(owned_number, address.id)  # safe to repeat
    assert client.get_number(owned_number).e911_id == address.id
    assert client.address_numbers(address.id) == [owned_number]
    with pytest.raises(Forbidden, match="still associated"):
        client.delete_address(address.id)
    toll_free = next(client.search_available(starts_with="1800", limit=1)).value
    client.purchase_number(toll_free)
    with pytest.raises(Unprocessable, match="does not support emergency services"):
        client.assign_address(toll_free, address.id)
    client.release_number(owned_number)  # the emulator's choice: release detaches the address
    client.delete_address(address.id)


# -- E911Address -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "prop", "says"),
    [
        ({"zip": "98101-1234"}, "zip", "5-digit ZIP"),
        ({"country": "CA", "zip": "98101"}, "zip", "Canadian postal code"),
        ({"country": "MX"}, "country", "'US' or 'CA'"),
        ({"state": "Washington"}, "state", "two-letter"),
        ({"address_type": "Igloo"}, "address_type", "Suite"),
        ({"address_type_number": None}, "address_type_number", "together"),
        ({"label": "  "}, "label", "non-empty"),
        ({"street_name": None}, "street_name", "every E911 address needs it"),
    ],
)
def test_check_names_the_property_and_the_fix(
    addresses: E911AddressProvider,
    mock: MockFlowroute,
    change: dict[str, Any],
    prop: str,
    says: str,
) -> None:
    news = {k: v for k, v in {**OFFICE, **change}.items() if v is not None}
    failures = addresses.check({}, news).failures
    assert [f.property for f in failures] == [prop]
    assert says in failures[0].reason
    assert mock.requests() == []


def test_check_normalises_what_flowroute_stores(addresses: E911AddressProvider) -> None:
    inputs = checked(
        addresses,
        {**OFFICE, "street_number": 1218.0, "country": "canada", "zip": "k1a 0b1", "state": "on"},
    )
    assert (inputs["street_number"], inputs["country"], inputs["zip"], inputs["state"]) == (
        "1218",
        "CA",
        "K1A 0B1",
        "ON",
    )


def test_create_read_update_in_place_and_delete(
    addresses: E911AddressProvider, client: FlowrouteClient, mock: MockFlowroute
) -> None:
    outs = created(addresses)
    e911_id = outs["e911_id"]
    assert (outs["state"], outs["country"], outs["adopted"]) == ("WA", "US", False)
    # Flowroute's own spelling of the same address is not drift.
    client.update_address(e911_id, {**outs, "street_name": "3RD AVE"})
    read = addresses.read(e911_id, outs)
    assert read.inputs is not None
    assert read.inputs["street_name"] == "3rd Ave"
    # A real change in the portal is.
    client.update_address(e911_id, {**outs, "street_number": "1220"})
    read = addresses.read(e911_id, outs)
    assert read.inputs is not None
    assert read.inputs["street_number"] == "1220"
    # Removing the unit changes the address in place, unit and all.
    news = checked(addresses, {k: v for k, v in OFFICE.items() if not k.startswith("address_")})
    diff = addresses.diff(e911_id, outs, news)
    assert diff.changes
    assert diff.replaces == []
    updated = addresses.update(e911_id, outs, news).outs or {}
    assert (updated["e911_id"], updated["address_type"], updated["street_number"]) == (
        e911_id,
        None,
        "1218",
    )
    assert client.get_address(e911_id).address_type_number is None
    addresses.delete(e911_id, updated)
    assert addresses.read(e911_id, updated).id == ""
    addresses.delete(e911_id, updated)  # already gone is fine


def test_an_identical_address_is_taken_over_only_when_adopted(
    addresses: E911AddressProvider, client: FlowrouteClient
) -> None:
    existing = client.create_address({**OFFICE, "state": "WA", "country": "US"})
    with pytest.raises(ResourceError) as refused:
        created(addresses)
    assert f"e911_id {existing.id}" in str(refused.value)
    assert "adopt=True" in str(refused.value)
    outs = created(addresses, adopt=True)
    assert (outs["e911_id"], outs["adopted"]) == (existing.id, True)
    assert len(list(client.list_addresses())) == 1


def test_refusals_name_the_fields_to_fix(
    addresses: E911AddressProvider, mock: MockFlowroute
) -> None:
    with pytest.raises(ResourceError) as geocode:
        created(addresses, street_name="Nowhere Lane")
    assert "street_number and street_name" in str(geocode.value)
    assert "was not created" in str(geocode.value)
    outs = created(addresses)
    news = checked(addresses, {**OFFICE, "street_name": "Nowhere Lane"})
    with pytest.raises(ResourceError, match="the numbers keep the address they had"):
        addresses.update(outs["e911_id"], outs, news)


def test_a_create_whose_answer_is_lost_makes_one_record(
    addresses: E911AddressProvider, client: FlowrouteClient, mock: MockFlowroute
) -> None:
    mock.clear_requests()
    mock.inject_fault("drop", method="POST", path="/v2/e911s")
    outs = created(addresses)
    assert [a.id for a in client.list_addresses()] == [outs["e911_id"]]
    assert writes(mock) == [("POST", "/v2/e911s")]


def test_delete_names_the_numbers_still_using_it(
    addresses: E911AddressProvider, client: FlowrouteClient, owned_number: str
) -> None:
    outs = created(addresses)
    client.assign_address(owned_number, outs["e911_id"])
    with pytest.raises(ResourceError) as refused:
        addresses.delete(outs["e911_id"], outs)
    assert owned_number in str(refused.value)
    assert "E911Assignment" in str(refused.value)


# -- E911Assignment ----------------------------------------------------------------------------


def test_an_assignment_moves_straight_to_a_new_address_and_detaches_on_delete(
    addresses: E911AddressProvider,
    assignments: E911AssignmentProvider,
    client: FlowrouteClient,
    owned_number: str,
    mock: MockFlowroute,
) -> None:
    first = created(addresses)["e911_id"]
    second = created(addresses, label="Annex", street_number="1300")["e911_id"]
    props = checked(assignments, {"number": "+1 206 555 1234", "e911_id": first})
    outs = assignments.create(props).outs or {}
    assert outs == {"number": owned_number, "e911_id": first}
    mock.clear_requests()
    news = checked(assignments, {"number": owned_number, "e911_id": int(second)})
    assert assignments.diff(owned_number, outs, news).replaces == []
    assignments.update(owned_number, outs, news)
    # No DELETE first: the number is never without an address.
    assert writes(mock) == [("PATCH", f"/v2/numbers/{owned_number}/relationships/e911s/{second}")]
    assert client.get_number(owned_number).e911_id == second
    client.unassign_address(owned_number)  # taken off in the portal: refresh sees it
    read = assignments.read(owned_number, news)
    assert read.inputs == {"number": owned_number, "e911_id": None}
    assignments.create(news)
    assignments.delete(owned_number, news)
    assert client.get_number(owned_number).e911_id is None


def test_assignment_errors_say_what_to_do(
    addresses: E911AddressProvider,
    assignments: E911AssignmentProvider,
    client: FlowrouteClient,
    owned_number: str,
) -> None:
    e911_id = created(addresses)["e911_id"]
    with pytest.raises(ResourceError, match=r"not on your Flowroute account.*PhoneNumber"):
        assignments.create({"number": "12065550000", "e911_id": e911_id})
    with pytest.raises(ResourceError, match="E911 address 99999 is not on your Flowroute"):
        assignments.create({"number": owned_number, "e911_id": "99999"})
    toll_free = next(client.search_available(starts_with="1800", limit=1)).value
    client.purchase_number(toll_free)
    with pytest.raises(ResourceError, match="Toll-free numbers cannot call emergency"):
        assignments.create({"number": toll_free, "e911_id": e911_id})
    failures = assignments.check({}, {"number": owned_number, "e911_id": "HQ"}).failures
    assert [f.property for f in failures] == ["e911_id"]
