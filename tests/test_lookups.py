"""Lookups and read-only references, as a user's program calls them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pulumi
import pytest

import pulumi_flowroute as flowroute
from pulumi_flowroute import FlowrouteClient
from pulumi_flowroute.emulator import MockFlowroute
from tests.conftest import ACCESS_KEY, SECRET_KEY
from tests.program_runner import ProgramRunner


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
    FlowrouteClient("k", "s", f"emulator:{db}").purchase_number("12065551234")
    FlowrouteClient("k", "s", f"emulator:{db}").update_number("12065551234", alias="Main")
    runner = ProgramRunner(
        tmp_path, "refs", "dev", {"flowroute:baseUrl": f"emulator:{db}"}, tmp_path / "state.json"
    )
    up = runner.up()
    assert up.error is None, up.error
    assert up.exports == {"alias": "Main", "adopted": True}
    destroy = runner.destroy()
    assert destroy.error is None and destroy.ops("delete") == ["main-line", "refs-dev"]
    assert FlowrouteClient("k", "s", f"emulator:{db}").get_number("12065551234").alias == "Main"
    assert up.ops("read") == ["main-line"]
