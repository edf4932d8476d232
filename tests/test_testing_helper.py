"""``pulumi_flowroute.testing.flowroute_mocks``: a program under ``pulumi.runtime.set_mocks``
with its Flowroute resources served by their providers on an emulated account (the README's
recipe: tests/test_readme_testing_recipe.py)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

import pulumi_flowroute as flowroute
from pulumi_flowroute.fleet import deploy_fleet_from_config
from pulumi_flowroute.testing import flowroute_mocks


class Pets(pulumi.runtime.Mocks):
    """The mocks of another provider's resources."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.seen.append(args.typ)
        return "pet-1", {"id": "rex"}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def writes(requests: list[Any]) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in requests if r.method != "GET"]


def test_reads_gets_and_other_resources() -> None:
    pets = Pets()
    with flowroute_mocks(project="infra", stack="test", fallback=pets) as account:
        account.emulator.seed_number("12065551234", alias="Main")

        @pulumi.runtime.test  # type: ignore[untyped-decorator]
        def program() -> Any:
            seen = flowroute.PhoneNumber.get("seen", "12065551234")
            pet = pulumi.CustomResource("random:index:RandomPet", "pet", {})

            def check(values: list[Any]) -> None:
                alias, pet_id = values
                assert (alias, pet_id) == ("Main", "pet-1")
                assert pets.seen == ["random:index:RandomPet"]
                assert writes(account.emulator.requests()) == []

            return pulumi.Output.all(seen.alias, pet.id).apply(check)

        program()
        assert pulumi.runtime.get_config("flowroute:accessKey")
    # Put back: the next test sees none of it.
    assert pulumi.runtime.get_config("flowroute:accessKey") is None


def test_a_preview_checks_and_creates_nothing() -> None:
    with flowroute_mocks(preview=True) as account:

        @pulumi.runtime.test  # type: ignore[untyped-decorator]
        def program() -> Any:
            route = flowroute.InboundRoute("pbx", route_type="host", value="sip.example.com")

            def check(value: str) -> None:
                assert value == "sip.example.com"  # an input: known in a preview
                assert writes(account.emulator.requests()) == []
                assert [r.id for r in account.client.list_routes() if r.id != "0"] == []
                declared = [(d.typ.rsplit(":", 1)[-1], d.name) for d in account.mocks.declared]
                assert ("InboundRoute", "pbx") in declared

            return route.value.apply(check)

        program()


FLEET = {
    "infra:routes": json.dumps({"pbx": {"route_type": "host", "value": "sip.example.com"}}),
    "infra:numbers": json.dumps({"main": {"number": "12065551234", "primary": "pbx"}}),
}


@pytest.mark.parametrize("config", [FLEET])
def test_a_fleet_program_from_stack_config(config: dict[str, str]) -> None:
    with flowroute_mocks(project="infra", stack="test", config=config) as account:

        @pulumi.runtime.test  # type: ignore[untyped-decorator]
        def program() -> Any:
            numbers = deploy_fleet_from_config(export=False)

            def check(main: dict[str, Any]) -> None:
                assert main["number"] == "12065551234"
                held = account.client.get_number("12065551234")
                assert held.primary_route_id == main["primary_route_id"]

            return pulumi.Output.from_input(numbers["main"]).apply(check)

        program()
