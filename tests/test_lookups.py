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


@pytest.fixture
def configured(mock: MockFlowroute) -> MockFlowroute:
    pulumi.runtime.set_all_config(
        {"flowroute:accessKey": ACCESS_KEY, "flowroute:secretKey": SECRET_KEY}
    )
    return mock


def test_get_available_numbers(configured: MockFlowroute) -> None:
    found = flowroute.get_available_numbers(starts_with="206", state="wa", limit=3)
    assert len(found) == 3 and all(n.value.startswith("1206") for n in found)
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
    pulumi.export("alias", main.alias)
    pulumi.export("adopted", main.adopted)
"""


def test_phone_number_get_reads_without_managing(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    db = tmp_path / "account.db"
    embedded_client(db).purchase_number("12065551234")
    embedded_client(db).update_number("12065551234", alias="Main")
    runner = ProgramRunner(
        tmp_path, "refs", "dev", {"flowroute:baseUrl": f"emulator:{db}"}, tmp_path / "state.json"
    )
    up = runner.up()
    assert up.error is None, up.error
    assert up.exports == {"alias": "Main", "adopted": True}
    destroy = runner.destroy()
    assert destroy.error is None and destroy.ops("delete") == ["main-line", "refs-dev"]
    assert embedded_client(db).get_number("12065551234").alias == "Main"
    assert up.ops("read") == ["main-line"]


def test_get_numbers_lists_the_account_with_digit_filters(configured: MockFlowroute) -> None:
    configured.seed_number("12065551234", alias="Main")
    configured.seed_number("14255550142")
    assert [n.value for n in flowroute.get_numbers()] == ["12065551234", "14255550142"]
    main = flowroute.get_numbers(starts_with="1206")
    assert [(n.value, n.alias) for n in main] == [("12065551234", "Main")]
    assert flowroute.get_numbers(ends_with="0142", limit=1)[0].value == "14255550142"


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

    def check(resolved: list[Any]) -> None:
        available, numbers, number = resolved
        assert len(available) == 2 and all(n.value.startswith("1206") for n in available)
        assert [n.value for n in numbers] == ["12065551234"]
        assert (number.alias, number.primary_route_id) == ("Main", "0")

    return pulumi.Output.all(for_sale, owned, one).apply(check)
