"""The stack program's shape under ``pulumi.runtime.set_mocks``, and its config validation."""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

import pulumi_flowroute as flowroute
from pulumi_flowroute.errors import FleetConfigError
from pulumi_flowroute.fleet import deploy_fleet, parse_fleet
from pulumi_flowroute.inbound_route import NAMED

ROOT = Path(__file__).resolve().parent.parent
DEV = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"]


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers registrations like a provider would, and remembers them."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        self.resources.append(args)
        outputs = dict(args.inputs)
        if args.typ.endswith(":InboundRoute"):
            outputs["route_id"] = f"id-{args.name}"
        if args.typ.endswith(":E911Address"):
            outputs["e911_id"] = f"e911-{args.name}"
        if args.typ.endswith(":PhoneNumber") and not outputs.get("number"):
            outputs["number"] = "1" + outputs["search"]["starts_with"] + "5550000"
        resource_id = (
            outputs.get("route_id") or outputs.get("e911_id") or outputs.get("number") or args.name
        )
        return (str(resource_id) if args.custom else None), outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any] | None]:
        return {}, None

    def names(self, suffix: str) -> list[str]:
        return sorted(r.name for r in self.resources if r.typ.endswith(suffix))


@pytest.fixture
def mocks() -> RecordingMocks:
    recorder = RecordingMocks()
    pulumi.runtime.set_mocks(recorder, project="flowroute-fleet", stack="dev", preview=False)
    # Settings are checked before anything registers: the dev stack's embedded emulator needs
    # no credentials.
    pulumi.runtime.set_all_config({"flowroute:baseUrl": DEV["flowroute:baseUrl"]})
    return recorder


def fleet_from(numbers: Any, routes: Any = None) -> Any:
    return parse_fleet(
        DEV["flowroute-fleet:routes"] if routes is None else routes,
        numbers,
        DEV["flowroute-fleet:e911"],
        DEV["flowroute-fleet:messaging"],
    )


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_dev_stack_shape(mocks: RecordingMocks) -> Any:
    exports = deploy_fleet(fleet_from(DEV["flowroute-fleet:numbers"]))

    def check(resolved: dict[str, Any]) -> None:
        # One PhoneNumber per entry, routing itself; no component, no NumberRouting.
        assert mocks.names(":RoutedNumber") == mocks.names(":NumberRouting") == []
        assert mocks.names(":PhoneNumber") == ["helpdesk", "sales", "support"]
        assert mocks.names(":InboundRoute") == [
            "route-office-pbx",
            "route-on-call-cell",
            "sales-primary",
        ]
        support = next(r for r in mocks.resources if r.name == "support" and r.custom)
        assert support.inputs["primary_route_id"] == "id-route-office-pbx"
        assert support.inputs["failover_route_id"] == "id-route-on-call-cell"
        assert mocks.names(":E911Address") == ["e911-office"]
        assert mocks.names(":StackClaim") == ["flowroute-stack-claim"]
        assert mocks.names(":E911Assignment") == [
            "helpdesk-e911-assignment",
            "sales-e911-assignment",
            "support-e911-assignment",
        ]
        assert resolved["support"] == {
            "number": "12065551234",
            "primary_route_id": "id-route-office-pbx",
            "failover_route_id": "id-route-on-call-cell",
            "e911_id": "e911-e911-office",
        }
        assert resolved["sales"]["primary_route_id"] == "id-sales-primary"
        assert resolved["helpdesk"]["failover_route_id"] is None
        sales = next(r for r in mocks.resources if r.name == "sales" and r.custom)
        assert sales.inputs["search"]["starts_with"] == "425"
        assert sales.inputs["max_monthly_cost"] == 1.5
        # Every resource is served by the library's own provider instance, not the default one.
        (provider,) = (r for r in mocks.resources if r.typ == "pulumi:providers:pulumi-python")
        assert provider.name == "flowroute"
        dynamic = [r for r in mocks.resources if r.custom and r is not provider]
        assert all(r.typ.startswith("pulumi-python:dynamic/flowroute:") for r in dynamic)
        assert {str(r.provider).split("::")[3] for r in dynamic} == {"flowroute"}

    return pulumi.Output.from_input(exports).apply(check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_the_provider_holds_the_flowroute_settings_alone(mocks: RecordingMocks) -> Any:
    # The default provider would be handed the whole stack config: the fleet's every entry.
    pulumi.runtime.set_all_config(
        {
            "flowroute:baseUrl": DEV["flowroute:baseUrl"],
            "flowroute:accessKey": "81234567",
            "flowroute:secretKey": "s3cret-key",
            "flowroute:settleSeconds": "5",
            "flowroute-fleet:numbers": json.dumps(DEV["flowroute-fleet:numbers"]),
        }
    )
    exports = deploy_fleet(fleet_from(DEV["flowroute-fleet:numbers"]))

    def check(_: Any) -> None:
        (provider,) = (r for r in mocks.resources if r.typ == "pulumi:providers:pulumi-python")
        secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
        assert provider.inputs == {
            "flowroute:accessKey": {**secret, "value": "81234567"},
            "flowroute:secretKey": {**secret, "value": "s3cret-key"},
            "flowroute:baseUrl": DEV["flowroute:baseUrl"],
            "flowroute:settleSeconds": "5",
        }

    return pulumi.Output.from_input(exports).apply(check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_one_program_declares_three_thousand_dynamic_resources(mocks: RecordingMocks) -> Any:
    # Each dynamic resource pickles its provider in the program process, as under the CLI;
    # the SDK's pickler once made that cost one more stack frame per resource declared.
    count = 1_500
    numbers = {
        f"line{i}": {"search": {"starts_with": "206"}, "primary": "office-pbx"}
        for i in range(count)
    }
    exports = deploy_fleet(fleet_from(numbers))

    def check(resolved: dict[str, Any]) -> None:
        assert len(resolved) == count
        # One engine resource per number: it routes itself.
        assert len(mocks.names(":PhoneNumber")) == count
        assert mocks.names(":NumberRouting") == mocks.names(":RoutedNumber") == []
        assert resolved[f"line{count - 1}"]["primary_route_id"] == "id-route-office-pbx"

    return pulumi.Output.from_input(exports).apply(check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_a_routed_number_with_an_inline_e911_address(mocks: RecordingMocks) -> Any:
    line = flowroute.RoutedNumber(
        "front-desk",
        number="12065550142",
        primary="0",
        e911=flowroute.E911AddressArgs(
            label="Front desk",
            first_name="Ada",
            last_name="Lovelace",
            street_number="1218",
            street_name="3rd Ave",
            city="Seattle",
            state="WA",
            zip="98101",
        ),
    )

    def check(e911_id: str | None) -> None:
        assert mocks.names(":E911Address") == ["front-desk-e911"]
        assert mocks.names(":E911Assignment") == ["front-desk-e911-assignment"]
        assignment = next(r for r in mocks.resources if r.typ.endswith(":E911Assignment"))
        assert assignment.inputs["number"] == "12065550142"
        assert e911_id == "e911-front-desk-e911"

    return line.e911_id.apply(check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_inline_route_is_auto_named_from_project_stack_name(mocks: RecordingMocks) -> Any:
    exports = deploy_fleet(
        fleet_from(
            {
                "x": {
                    "number": "12065551234",
                    "primary": {"route_type": "host", "value": "10.0.0.1"},
                }
            },
            routes={},
        )
    )

    def check(route_id: str) -> None:
        assert route_id == "id-x-primary"
        route = next(r for r in mocks.resources if r.typ.endswith(":InboundRoute"))
        assert route.inputs.get("alias") is None  # named by check, from the stack's claim
        assert re.fullmatch(r"flowroute-fleet\.dev\.x-primary-[0-9a-f]{6}", route.inputs[NAMED])

    return pulumi.Output.from_input(exports["x"]["primary_route_id"]).apply(check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_routes_named_by_the_user_need_no_claim(mocks: RecordingMocks) -> Any:
    named = flowroute.InboundRoute("pbx", route_type="host", value="10.0.0.1", alias="pbx")

    def check(route_id: str) -> None:
        assert route_id == "id-pbx"
        assert mocks.names(":StackClaim") == []  # a stack of such routes gets none
        (route,) = (r for r in mocks.resources if r.typ.endswith(":InboundRoute"))
        assert [k for k in route.inputs if k.startswith("__")] == ["__provider"]

    return named.route_id.apply(check)


BAD_CONFIGS: list[tuple[dict[str, Any] | None, list[str]]] = [
    ({"a": {"primary": "office-pbx"}}, ["numbers.a.number = None: set number"]),
    ({"a": {"number": "555", "primary": "office-pbx"}}, ["numbers.a.number = '555'"]),
    (
        {"a": {"number": "12065551234", "search": {"starts_with": "206"}, "primary": "office-pbx"}},
        ["numbers.a.search = {'starts_with': '206'}: set number (an exact number) or search"],
    ),
    (
        {"a": {"search": {"starts_with": "20x"}, "primary": "office-pbx"}},
        ["numbers.a.search.starts_with = '20x'"],
    ),
    (
        {"a": {"search": {"zip": "98101"}, "primary": "office-pbx"}},
        ["numbers.a.search.zip = '98101'"],
    ),
    ({"a": {"number": "12065551234"}}, ["numbers.a.primary = None"]),
    ({"a": {"number": "12065551234", "primary": "nope"}}, ["numbers.a.primary = 'nope'"]),
    (
        {"a": {"number": "12065551234", "primary": {"route_type": "fax", "value": "1"}}},
        ["numbers.a.primary.route_type = 'fax'"],
    ),
    (
        {"a": {"number": "12065551234", "primary": {"route_type": "uri", "value": "x"}}},
        ["numbers.a.primary.value = 'x'"],
    ),
    (
        {"a": {"number": "12065551234", "primary": {"route_id": "abc"}}},
        ["numbers.a.primary.route_id = 'abc': use a Flowroute route id such as '98396'"],
    ),
    # Each id's mistake names its kind, not a route's.
    (
        {"a": {"number": "12065551234", "primary": "office-pbx", "e911": {"e911_id": "abc"}}},
        ["numbers.a.e911.e911_id = 'abc': use a Flowroute E911 address id such as '20155'"],
    ),
    (
        {"a": {"number": "12065551234", "primary": "office-pbx", "cnam": {"cnam_id": "x"}}},
        ["numbers.a.cnam.cnam_id = 'x': use a Flowroute caller name id such as '22671'"],
    ),
    (
        {"a": {"number": "12065551234", "primary": "office-pbx", "alias": "x" * 70}},
        ["numbers.a.alias = "],
    ),
    (
        {"a": {"number": "12065551234", "primary": "office-pbx", "max_setup_cost": -1}},
        ["numbers.a.max_setup_cost = -1"],
    ),
    (
        {"a": {"number": "12065551234", "primary": "office-pbx", "relase_on_delete": True}},
        ["numbers.a.relase_on_delete = True"],
    ),
    (None, ["numbers = None"]),
]


@pytest.mark.parametrize(("numbers", "expected"), BAD_CONFIGS)
def test_config_mistakes_name_their_path(
    numbers: dict[str, Any] | None, expected: list[str]
) -> None:
    with pytest.raises(FleetConfigError) as caught:
        fleet_from(numbers)
    assert len(caught.value.problems) == len(expected)
    for problem, prefix in zip(caught.value.problems, expected, strict=True):
        assert problem.startswith(prefix), problem


def test_a_stack_of_shared_routes_and_addresses_alone_has_an_empty_numbers_map() -> None:
    fleet = fleet_from({})
    assert fleet.numbers == []
    assert set(fleet.routes) == set(DEV["flowroute-fleet:routes"])


def test_every_mistake_at_once_and_nothing_registered(mocks: RecordingMocks) -> None:
    numbers = {
        "a": {"number": "555", "primary": "nope"},
        "b": {
            "search": {"state": "Washington"},
            "primary": "office-pbx",
            "failover": {"route_type": "number", "value": "2065550100"},
        },
    }
    pulumi.runtime.set_all_config(
        {
            "flowroute-fleet:routes": json.dumps(
                {**DEV["flowroute-fleet:routes"], "bad": {"route_type": "host"}}
            ),
            "flowroute-fleet:numbers": json.dumps(numbers),
        }
    )
    with pytest.raises(FleetConfigError) as caught:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
    assert [p.split(" = ")[0] for p in caught.value.problems] == [
        "routes.bad.value",
        "numbers.a.number",
        "numbers.a.primary",
        "numbers.b.search.state",
        "numbers.b.failover.value",
    ]
    assert "the stack config has 5 problems" in str(caught.value)
    assert mocks.resources == []


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, "Flowroute credentials are missing: set flowroute:accessKey"),
        (
            {
                "flowroute:baseUrl": "http://api.example.com",
                "flowroute:accessKey": "81234567",
                "flowroute:secretKey": "s3cret",
            },
            "would send credentials unencrypted to api.example.com",
        ),
    ],
)
def test_unusable_settings_stop_the_program_before_it_registers(
    mocks: RecordingMocks, monkeypatch: pytest.MonkeyPatch, config: dict[str, str], expected: str
) -> None:
    for name in ("FLOWROUTE_ACCESS_KEY", "FLOWROUTE_SECRET_KEY", "FLOWROUTE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    pulumi.runtime.set_all_config(config)
    with pytest.raises(pulumi.RunError, match=expected):
        deploy_fleet(fleet_from(DEV["flowroute-fleet:numbers"]))
    assert mocks.resources == []


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (
            lambda: flowroute.PhoneNumber("main", number="-12065551234"),
            "PhoneNumber 'main': number = '-12065551234': give a US/Canada number",
        ),
        (
            lambda: flowroute.PhoneNumber("main", number="12065551234", alias="\x1b[2Jhi"),
            "PhoneNumber 'main': alias = '\\x1b[2Jhi': remove the character '\\x1b'",
        ),
        (
            lambda: flowroute.PhoneNumber("line\nfake", number="12065551234"),
            "PhoneNumber name 'line\\nfake': remove the character '\\n'",
        ),
        (
            lambda: flowroute.InboundRoute(
                "pbx", route_type="host", value="pbx.example.com", edge_strategy_id=2**40
            ),
            "InboundRoute 'pbx': edge_strategy_id = 1099511627776: use a Flowroute edge",
        ),
        (
            lambda: flowroute.RoutedNumber(
                "helpdesk", search=flowroute.NumberSearch(starts_with="425"), primary="../v2"
            ),
            "RoutedNumber 'helpdesk': primary_route_id = '../v2': use a Flowroute route",
        ),
        (
            lambda: flowroute.RoutedNumber(
                "helpdesk",
                search=flowroute.NumberSearch(starts_with="425"),
                primary="98396",
                failover=flowroute.InboundRouteArgs(route_type="number", value="555"),
            ),
            "RoutedNumber 'helpdesk' failover: value = '555': for route_type 'number'",
        ),
    ],
    ids=["sign", "escape", "name", "edge", "routed-primary", "routed-inline-failover"],
)
def test_bad_known_inputs_stop_the_program_before_anything_registers(
    mocks: RecordingMocks, declare: Any, message: str
) -> None:
    # Pulumi's own report of an input its check refuses repeats the value raw; and once a
    # RoutedNumber's number is registered, the engine may be buying it.
    with pytest.raises(flowroute.ResourceError) as raised:
        declare()
    assert message in str(raised.value)
    assert "\x1b" not in str(raised.value)
    assert "\n" not in str(raised.value)
    assert mocks.resources == []
