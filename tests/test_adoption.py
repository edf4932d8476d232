"""Taking over what is already on the account writes nothing, and only when told to."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_flowroute import FlowrouteClient, ResourceError
from pulumi_flowroute.cnam_assignment import CnamAssignmentProvider
from pulumi_flowroute.cnam_record import CnamRecordProvider
from pulumi_flowroute.e911_address import E911AddressProvider
from pulumi_flowroute.e911_assignment import E911AssignmentProvider
from pulumi_flowroute.emulator import MockFlowroute
from pulumi_flowroute.inbound_route import InboundRouteProvider
from pulumi_flowroute.phone_number import HOLDER, PhoneNumberProvider
from pulumi_flowroute.provider_base import forget_deployment
from tests.support.emulators import writes
from tests.support.providers import ADDRESS, checked, configured

NUMBER = "12065551234"
PBX = {"route_type": "host", "value": "sip.example.com:5060", "alias": "office-pbx"}


def test_an_adopted_route_is_taken_over_without_a_write_and_kept_on_delete(
    mock: MockFlowroute, client: FlowrouteClient
) -> None:
    existing = client.create_route("host", "sip.example.com:5060", "office-pbx")
    routes = configured(InboundRouteProvider)
    mock.clear_requests()
    created: Any = routes.create(checked(routes, {**PBX, "adopt": True}))
    assert created.id == existing.id
    assert created.outs["adopted"] is True
    assert writes(mock) == []
    routes.delete(created.id, created.outs)
    assert writes(mock) == []
    assert client.find_route(existing.id) is not None


def test_adopting_a_route_needs_its_alias() -> None:
    routes = configured(InboundRouteProvider)
    failures = routes.check({}, {"route_type": "host", "value": "10.0.0.7", "adopt": True}).failures
    assert [(f.property, "set alias" in f.reason) for f in failures] == [("adopt", True)]


def test_a_route_that_differs_is_not_adopted(mock: MockFlowroute, client: FlowrouteClient) -> None:
    client.create_route("host", "10.0.0.7", "office-pbx")
    routes = configured(InboundRouteProvider)
    with pytest.raises(ResourceError, match=r"already exists .* and differs"):
        routes.create(checked(routes, {**PBX, "adopt": True}))


def test_an_adopted_address_and_caller_name_are_found_before_anything_is_posted(
    mock: MockFlowroute, client: FlowrouteClient
) -> None:
    address = client.create_address({**ADDRESS, "country": "US"})
    record = client.create_caller_name("ACME SUPPORT")
    mock.clear_requests()
    addresses = configured(E911AddressProvider)
    adopted: Any = addresses.create(checked(addresses, {**ADDRESS, "adopt": True}))
    names = configured(CnamRecordProvider)
    named: Any = names.create(checked(names, {"value": "ACME SUPPORT", "adopt": True}))
    assert (adopted.id, adopted.outs["adopted"]) == (address.id, True)
    assert (named.id, named.outs["adopted"]) == (record.id, True)
    assert writes(mock) == []


def test_assignments_already_in_place_are_not_made_again(
    mock: MockFlowroute, client: FlowrouteClient
) -> None:
    client.purchase_number(NUMBER)
    address = client.create_address({**ADDRESS, "country": "US"})
    record = client.create_caller_name("ACME SUPPORT")
    mock.approve_cnam(record.id)
    client.assign_address(NUMBER, address.id)
    client.assign_caller_name(NUMBER, record.id)
    mock.clear_requests()
    e911 = configured(E911AssignmentProvider)
    e911.create(checked(e911, {"number": NUMBER, "e911_id": address.id}))
    cnam = configured(CnamAssignmentProvider)
    assigned: Any = cnam.create(checked(cnam, {"number": NUMBER, "cnam_id": record.id}))
    assert writes(mock) == []
    assert assigned.outs["requested_at"] is None  # when it was asked for is not known


def _urn(name: str) -> str:
    return f"urn:pulumi:dev::proj::pulumi-python:dynamic/flowroute:PhoneNumber::{name}"


def test_two_resources_of_one_stack_never_manage_one_number(mock: MockFlowroute) -> None:
    numbers = configured(PhoneNumberProvider)
    adopt = {"number": "+1 206 555 1234", "adopt": True}
    first = numbers.check({}, {**adopt, HOLDER: _urn("desk")})
    assert first.failures == []
    assert HOLDER not in first.inputs  # used by check, never kept in the state
    # check sees every resource of a deployment in turn, before anything is created.
    second = numbers.check({}, {**adopt, HOLDER: _urn("front")})
    assert [(f.property, f.reason) for f in second.failures] == [
        (
            "number",
            "number = '12065551234' is not valid: PhoneNumber 'desk' manages it already: keep "
            "one of PhoneNumber 'front' and PhoneNumber 'desk' (two would undo each other's "
            "alias and routing on every run)",
        )
    ]
    assert "\n" not in second.failures[0].reason
    # The same resource checked again, a number bought by search, or the next deployment.
    assert numbers.check(first.inputs, {**adopt, HOLDER: _urn("desk")}).failures == []
    assert numbers.check({}, {"search": {"starts_with": "206"}, HOLDER: _urn("x")}).failures == []
    forget_deployment()
    assert numbers.check({}, {**adopt, HOLDER: _urn("front")}).failures == []
    assert mock.requests() == []  # all in check: nothing read, nothing written
