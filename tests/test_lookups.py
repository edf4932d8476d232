"""Lookups and read-only references, as a user's program calls them."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pulumi
import pytest

import pulumi_flowroute as flowroute
from pulumi_flowroute.emulator import MockFlowroute
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.emulators import embedded_client
from tests.support.program_runner import ProgramRunner
from tests.support.providers import ADDRESS


@pytest.fixture
def configured(mock: MockFlowroute) -> MockFlowroute:
    pulumi.runtime.set_all_config(
        {"flowroute:accessKey": ACCESS_KEY, "flowroute:secretKey": SECRET_KEY}
    )
    return mock


def test_get_available_numbers(configured: MockFlowroute) -> None:
    found = flowroute.get_available_numbers(starts_with="206", state="wa", limit=3)
    assert len(found) == 3
    assert all(n.value.startswith("1206") for n in found)
    assert all(n.monthly_cost is not None for n in found)


def test_get_number(configured: MockFlowroute) -> None:
    configured.seed_number("12065551234", alias="Main")
    number = flowroute.get_number("12065551234")
    assert (number.alias, number.primary_route_id) == ("Main", "0")
    with pytest.raises(flowroute.NotFound):
        flowroute.get_number("12065550000")


def test_lookups_say_which_credentials_are_missing(mock: MockFlowroute) -> None:
    pulumi.runtime.set_all_config({})
    with pytest.raises(flowroute.ConfigError, match="flowroute:accessKey"):
        flowroute.get_number("12065551234")


PROGRAM = """
    import pulumi
    import pulumi_flowroute as flowroute

    main = flowroute.PhoneNumber.get("main-line", "12065551234")
    pbx = flowroute.InboundRoute.get("pbx", pulumi.Config().require("route"))
    routing = flowroute.NumberRouting.get("main-routing", "12065551234")
    pulumi.export("alias", main.alias)
    pulumi.export("adopted", main.adopted)
    pulumi.export("route", [pbx.route_type, pbx.value, pbx.alias])
    pulumi.export("routing", [routing.primary_route_id, routing.failover_route_id])
"""


def test_every_resource_get_reads_without_managing(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    db = tmp_path / "account.db"
    client = embedded_client(db)
    client.purchase_number("12065551234")
    client.update_number("12065551234", alias="Main")
    route = client.create_route("host", "sip.example.com:5060", "office-pbx")
    client.set_route("12065551234", "primary", route.id)
    config = {"flowroute:baseUrl": f"emulator:{db}", "refs:route": route.id}
    runner = ProgramRunner(tmp_path, "refs", "dev", config, tmp_path / "state.json")
    up = runner.up()
    assert up.error is None, up.error
    assert up.exports == {
        "alias": "Main",
        "adopted": True,
        "route": ["host", "sip.example.com:5060", "office-pbx"],
        "routing": [route.id, None],
    }
    assert sorted(up.ops("read")) == ["main-line", "main-routing", "pbx"]
    destroy = runner.destroy()
    assert destroy.error is None, destroy.error
    assert sorted(destroy.ops("delete")) == [
        "flowroute",
        "main-line",
        "main-routing",
        "pbx",
        "refs-dev",
    ]
    # Destroying references changes nothing at Flowroute.
    after = client.get_number("12065551234")
    assert (after.alias, after.primary_route_id) == ("Main", route.id)
    assert client.find_route(route.id) == route


def test_get_numbers_lists_the_account_with_digit_filters(configured: MockFlowroute) -> None:
    configured.seed_number("12065551234", alias="Main")
    configured.seed_number("14255550142")
    assert [n.value for n in flowroute.get_numbers()] == ["12065551234", "14255550142"]
    main = flowroute.get_numbers(starts_with="1206")
    assert [(n.value, n.alias) for n in main] == [("12065551234", "Main")]
    assert flowroute.get_numbers(ends_with="0142", limit=1)[0].value == "14255550142"


def test_lookups_for_addresses_caller_names_and_edge_strategies(configured: MockFlowroute) -> None:
    client = flowroute.FlowrouteClient(ACCESS_KEY, SECRET_KEY)
    fields = {**ADDRESS, "country": "US"}
    office = client.create_address(fields)
    client.create_address({**fields, "label": "Annex", "city": "Tacoma", "zip": "98402"})
    assert [a.id for a in flowroute.get_e911_addresses(city="seat")] == [office.id]
    support = client.create_caller_name("Acme Support")
    client.create_caller_name("Acme Sales")
    configured.approve_cnam(support.id)
    approved = flowroute.get_cnam_records(value="acme", is_approved=True)
    assert [(r.id, r.status) for r in approved] == [(support.id, "approved")]
    strategies = flowroute.get_edge_strategies()
    assert strategies
    assert all(isinstance(s.id, int) and s.name for s in strategies)


class _NoResources(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return args.name, dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture
def in_a_program(mock: MockFlowroute) -> MockFlowroute:
    pulumi.runtime.set_mocks(_NoResources(), project="p", stack="s", preview=False)
    pulumi.runtime.set_all_config(
        {"flowroute:accessKey": ACCESS_KEY, "flowroute:secretKey": SECRET_KEY}
    )
    mock.seed_number("12065551234", alias="Main")
    return mock


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_output_lookups_take_inputs_and_return_outputs(in_a_program: MockFlowroute) -> Any:
    area = pulumi.Output.from_input("1206")
    for_sale = flowroute.get_available_numbers_output(starts_with=area, limit=2)
    owned = flowroute.get_numbers_output(starts_with=area)
    one = flowroute.get_number_output(owned.apply(lambda numbers: numbers[0].value))
    strategies = flowroute.get_edge_strategies_output()
    names = flowroute.get_cnam_records_output(value=pulumi.Output.from_input("nobody"))
    addresses = flowroute.get_e911_addresses_output(state=pulumi.Output.from_input("WA"))

    def check(resolved: list[Any]) -> None:
        available, numbers, number, edges, cnams, e911s = resolved
        assert edges
        assert (cnams, e911s) == ([], [])
        assert len(available) == 2
        assert all(n.value.startswith("1206") for n in available)
        assert [n.value for n in numbers] == ["12065551234"]
        assert (number.alias, number.primary_route_id) == ("Main", "0")

    return pulumi.Output.all(for_sale, owned, one, strategies, names, addresses).apply(check)
