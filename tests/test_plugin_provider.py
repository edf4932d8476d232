"""The ``flowroute`` provider plugin's methods called directly, as its gRPC server calls them.

Values go in and come out as the engine's ``PropertyValue``s, camelCased; the account is
``mock_flowroute()``. End to end, under plain ``pulumi``, see ``test_e2e_plugin.py``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    ConfigureRequest,
    CreateRequest,
    DiffRequest,
    GetSchemaRequest,
    InvokeRequest,
    PropertyDiffKind,
    ReadRequest,
)
from pulumi.runtime.rpc import UNKNOWN

from pulumi_flowroute import FlowrouteClient
from pulumi_flowroute.claims import route_alias
from pulumi_flowroute.emulator import MockFlowroute
from pulumi_flowroute.plugin.catalog import RESOURCES, camel, outputs
from pulumi_flowroute.plugin.provider import CLAIM, FlowroutePlugin
from pulumi_flowroute.plugin.wire import plain
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.providers import ADDRESS

T = TypeVar("T")
URN = "urn:pulumi:prod::infra::flowroute:index:{kind}::{name}"


def run(call: Coroutine[Any, Any, T]) -> T:
    # A loop of its own, leaving the thread's current loop as it was (asyncio.run would unset
    # it, and the SDK's mocks in a later test on this worker expect one).
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(call)
    finally:
        loop.close()


def values(**props: Any) -> dict[str, PropertyValue]:
    def value(item: Any) -> PropertyValue:
        if isinstance(item, PropertyValue):
            return item
        if isinstance(item, Mapping):
            return PropertyValue({k: value(v) for k, v in item.items()})
        if isinstance(item, int) and not isinstance(item, bool):
            return PropertyValue(float(item))
        return PropertyValue(item)

    return {k: value(v) for k, v in props.items()}


def urn(kind: str, name: str) -> str:
    return URN.format(kind=kind, name=name)


@pytest.fixture
def plugin(mock: MockFlowroute) -> FlowroutePlugin:
    """A plugin configured as the engine configures a provider: its checked inputs."""
    plugin = FlowroutePlugin()
    settings = values(accessKey=ACCESS_KEY, secretKey=SECRET_KEY, settleSeconds="1")
    checked = run(plugin.check_config(CheckRequest("urn", {}, settings, b"")))
    assert checked.failures == []
    assert checked.inputs is not None
    run(plugin.configure(ConfigureRequest({}, checked.inputs, True, True)))
    return plugin


def checked(plugin: FlowroutePlugin, kind: str, name: str, **props: Any) -> dict[str, Any]:
    result = run(plugin.check(CheckRequest(urn(kind, name), {}, values(**props), b"")))
    assert not result.failures, [f.reason for f in result.failures or []]
    assert result.inputs is not None
    return result.inputs


def failures(plugin: FlowroutePlugin, kind: str, **props: Any) -> dict[str, str]:
    result = run(plugin.check(CheckRequest(urn(kind, "x"), {}, values(**props), b"")))
    return {f.property: f.reason for f in result.failures or []}


# -- the schema ----------------------------------------------------------------------------


def schema(plugin: FlowroutePlugin) -> dict[str, Any]:
    return dict(json.loads(run(plugin.get_schema(GetSchemaRequest(0))).schema or "{}"))


def test_schema_is_the_args_of_each_resource_camelcased(plugin: FlowroutePlugin) -> None:
    resources = schema(plugin)["resources"]
    for name, cls in RESOURCES.items():
        spec = resources[f"flowroute:index:{name}"]
        inputs = cls.provider_class.inputs
        assert list(spec["inputProperties"]) == [camel(n) for n in inputs.names], name
        assert sorted(spec.get("requiredInputs", [])) == sorted(camel(n) for n in inputs.required)
        assert list(spec["properties"]) == [camel(n) for n in outputs(cls)], name
        # Every input says what it is, from the Args docstring.
        assert all(prop.get("description") for prop in spec["inputProperties"].values()), name
    number = resources["flowroute:index:PhoneNumber"]["inputProperties"]
    assert number["search"] == {
        "$ref": "#/types/flowroute:index:NumberSearch",
        "description": "Buy the first available number matching these criteria instead.",
    }
    assert number["releaseOnDelete"]["type"] == "boolean"
    assert number["releaseOnDelete"]["default"] is False
    assert number["maxSetupCost"]["type"] == "number"


def test_schema_marks_the_keys_secret_and_every_reference_resolves(
    plugin: FlowroutePlugin,
) -> None:
    package = schema(plugin)
    assert package["name"] == "flowroute"
    for props in (package["config"]["variables"], package["provider"]["inputProperties"]):
        assert props["accessKey"]["secret"] is True
        assert props["secretKey"]["secret"] is True
        assert "secret" not in props["baseUrl"]
    # The provider's outputs never repeat a key.
    assert {"accessKey", "secretKey"}.isdisjoint(package["provider"]["properties"])
    refs = [ref for ref in _refs(package) if ref.startswith("#/types/")]
    assert refs
    assert all(ref.removeprefix("#/types/") in package["types"] for ref in refs)
    routed = package["resources"]["flowroute:index:RoutedNumber"]
    assert routed["isComponent"] is True
    assert routed["inputProperties"]["primary"]["$ref"] == "#/types/flowroute:index:InlineRoute"
    assert "primaryRouteId" in routed["properties"]
    lookup = package["functions"]["flowroute:index:getAvailableNumbers"]
    assert lookup["outputs"]["properties"]["numbers"]["items"] == {
        "$ref": "#/types/flowroute:index:AvailableNumber"
    }


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


# -- the provider's configuration ----------------------------------------------------------


def test_the_stack_claim_is_drawn_once_and_kept(mock: MockFlowroute) -> None:
    plugin = FlowroutePlugin()
    news = values(accessKey=ACCESS_KEY, secretKey=SECRET_KEY)
    first = run(plugin.check_config(CheckRequest("urn", {}, news, b""))).inputs or {}
    claim = first[CLAIM].value
    assert isinstance(claim, str)
    assert len(claim) == 6
    again = run(plugin.check_config(CheckRequest("urn", first, news, b""))).inputs or {}
    assert again[CLAIM].value == claim
    # The keys are kept as secrets, however they were given.
    assert first["accessKey"].is_secret
    assert first["secretKey"].is_secret
    assert not first[CLAIM].is_secret


def test_bad_settings_fail_naming_the_setting(
    mock: MockFlowroute, monkeypatch: pytest.MonkeyPatch
) -> None:
    for env in ("FLOWROUTE_ACCESS_KEY", "FLOWROUTE_SECRET_KEY", "FLOWROUTE_BASE_URL"):
        monkeypatch.delenv(env, raising=False)
    plugin = FlowroutePlugin()
    missing = run(plugin.check_config(CheckRequest("urn", {}, values(), b""))).failures or []
    assert [f.property for f in missing] == ["accessKey"]
    assert "credentials are missing" in missing[0].reason
    leaky = values(accessKey="a", secretKey="b", baseUrl="http://example.com")
    refused = run(plugin.check_config(CheckRequest("urn", {}, leaky, b""))).failures or []
    assert [f.property for f in refused] == ["baseUrl"]
    assert "unencrypted" in refused[0].reason


# -- resources -----------------------------------------------------------------------------


def test_check_names_the_property_as_the_package_spells_it(plugin: FlowroutePlugin) -> None:
    found = failures(plugin, "PhoneNumber", number="12065551234", failoverRouteId="98396")
    assert list(found) == ["failoverRouteId"]
    assert "set primaryRouteId too" in found["failoverRouteId"]
    assert "_route_id" not in found["failoverRouteId"]
    long_alias = failures(plugin, "PhoneNumber", number="12065551234", alias="x" * 65)
    assert list(long_alias) == ["alias"]
    assert failures(plugin, "InboundRoute", routeType="host")["value"]


def test_unknown_inputs_pass_check_and_stay_unknown(plugin: FlowroutePlugin) -> None:
    inputs = checked(plugin, "PhoneNumber", "a", number="12065551234", primaryRouteId=UNKNOWN)
    assert inputs["primaryRouteId"].value == UNKNOWN
    assert inputs["number"].value == "12065551234"


def test_an_unnamed_route_gets_the_same_alias_on_every_run(plugin: FlowroutePlugin) -> None:
    first = checked(plugin, "InboundRoute", "pbx", routeType="host", value="sip.example.com")
    again = checked(plugin, "InboundRoute", "pbx", routeType="host", value="sip.example.com")
    alias = first["alias"].value
    assert isinstance(alias, str)
    assert alias.startswith("infra.prod.pbx-")
    assert again["alias"].value == alias
    # As the dynamic resources name theirs.
    assert alias == route_alias(urn("InboundRoute", "pbx"), plugin._claim)
    # Internal bookkeeping stays out of the user's inputs.
    assert set(first) == {"routeType", "value", "alias", "adopt"}


def test_a_number_bought_without_an_alias_carries_the_stack_claim(
    plugin: FlowroutePlugin, mock: MockFlowroute
) -> None:
    inputs = checked(plugin, "PhoneNumber", "support", search={"startsWith": "206"})
    created = run(plugin.create(CreateRequest(urn("PhoneNumber", "support"), inputs, 60, False)))
    number = created.resource_id
    assert number is not None
    assert number.startswith("1206")
    outs = plain(created.properties)
    assert outs["alias"] == f"infra.prod.support~{plugin._claim}"
    assert outs["number"] == number
    assert outs["rate_center"]
    assert sum(r.method == "POST" for r in mock.requests()) == 1
    # The same inputs again: no change; a new alias: an in-place update of the alias alone.
    state = created.properties
    same = run(plugin.diff(DiffRequest(urn("PhoneNumber", "support"), number, state, inputs, [])))
    assert same.changes is False
    renamed = {**inputs, **values(alias="Support line")}
    diff = run(plugin.diff(DiffRequest(urn("PhoneNumber", "support"), number, state, renamed, [])))
    assert diff.changes is True
    assert diff.replaces == []
    assert {k: v.kind for k, v in diff.detailed_diff.items()} == {"alias": PropertyDiffKind.UPDATE}


def test_import_reads_a_number_already_on_the_account(
    plugin: FlowroutePlugin,
    mock: MockFlowroute,
    client: FlowrouteClient,
    first_available: Callable[..., str],
) -> None:
    owned = first_available(client, starts_with="206")
    mock.seed_number(owned, alias="Front desk")
    mock.clear_requests()
    read = run(plugin.read(ReadRequest(urn("PhoneNumber", "desk"), owned, {}, {})))
    assert read.resource_id == owned
    inputs = plain(read.inputs)
    assert inputs["number"] == owned
    assert inputs["alias"] == "Front desk"
    assert inputs["release_on_delete"] is False
    assert plain(read.properties)["adopted"] is True
    assert [r.method for r in mock.requests()] == ["GET"]


def test_a_number_gone_from_the_account_leaves_the_state(plugin: FlowroutePlugin) -> None:
    props = values(number="12065550199", alias="gone")
    read = run(plugin.read(ReadRequest(urn("PhoneNumber", "gone"), "12065550199", props, props)))
    assert read.resource_id == ""


def test_lookups_answer_with_records_camelcased(plugin: FlowroutePlugin) -> None:
    args = values(startsWith="206", limit=3)
    answer = run(plugin.invoke(InvokeRequest("flowroute:index:getAvailableNumbers", args)))
    found = plain(answer.return_value or {}, rename=False)["numbers"]
    assert len(found) == 3
    assert all(item["value"].startswith("1206") for item in found)
    assert {"setupCost", "monthlyCost", "rateCenter"} <= set(found[0])


def test_import_reads_a_route_and_an_address_by_id(plugin: FlowroutePlugin) -> None:
    route = checked(plugin, "InboundRoute", "pbx", routeType="host", value="sip.example.com")
    made = run(plugin.create(CreateRequest(urn("InboundRoute", "pbx"), route, 60, False)))
    assert made.resource_id is not None
    read = run(plugin.read(ReadRequest(urn("InboundRoute", "pbx2"), made.resource_id, {}, {})))
    assert plain(read.inputs) == {
        "route_type": "host",
        "value": "sip.example.com",
        "alias": plain(route)["alias"],
        "adopt": False,
    }
    address = checked(plugin, "E911Address", "hq", **{camel(k): v for k, v in ADDRESS.items()})
    made = run(plugin.create(CreateRequest(urn("E911Address", "hq"), address, 60, False)))
    assert made.resource_id is not None
    read = run(plugin.read(ReadRequest(urn("E911Address", "hq2"), made.resource_id, {}, {})))
    assert plain(read.inputs)["street_name"] == ADDRESS["street_name"]
    assert plain(read.inputs)["label"] == ADDRESS["label"]


def test_two_numbers_of_one_number_are_refused_naming_both(plugin: FlowroutePlugin) -> None:
    checked(plugin, "PhoneNumber", "support", number="12065551234")
    found = failures(plugin, "PhoneNumber", number="12065551234")
    assert list(found) == ["number"]
    assert "PhoneNumber 'support'" in found["number"]
    assert "PhoneNumber 'x'" in found["number"]
