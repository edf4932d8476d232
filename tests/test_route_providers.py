"""InboundRoute and NumberRouting provider methods called directly against the mock."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest

from pulumi_flowroute import (
    FlowrouteClient,
    InboundRoute,
    NumberRouting,
    PhoneNumber,
    PhoneNumberArgs,
    ResourceError,
    RoutedNumber,
)
from pulumi_flowroute.claims import route_alias
from pulumi_flowroute.emulator import MockFlowroute
from pulumi_flowroute.errors import Unauthorized
from pulumi_flowroute.inbound_route import AUTO, NAMED, InboundRouteProvider
from pulumi_flowroute.number_routing import NumberRoutingProvider
from pulumi_flowroute.provider_base import LATER, forget_deployment
from pulumi_flowroute.schema import is_unknown
from tests.support.providers import STACK_CONFIG, checked, configured

PBX = {"route_type": "host", "value": "sip.example.com:5060", "alias": "proj.dev.pbx"}


@pytest.fixture
def routes(mock: MockFlowroute) -> InboundRouteProvider:
    return configured(InboundRouteProvider)


@pytest.fixture
def routing(mock: MockFlowroute) -> NumberRoutingProvider:
    return configured(NumberRoutingProvider)


def make_route(routes: InboundRouteProvider, **news: Any) -> dict[str, Any]:
    check = routes.check({}, news)
    assert check.failures == []
    return routes.create(check.inputs).outs or {}


def test_route_create_read_update_delete(
    routes: InboundRouteProvider, client: FlowrouteClient, mock: MockFlowroute
) -> None:
    outs = make_route(routes, **PBX)
    assert outs["route_id"].isdigit()
    assert outs["alias"] == "proj.dev.pbx"
    assert routes.diff(outs["route_id"], outs, dict(PBX, edge_strategy_id=None)).changes is False
    client.update_route(outs["route_id"], value="10.0.0.9")
    forget_deployment()  # refresh is a later run
    read = routes.read(outs["route_id"], outs)
    assert read.outs is not None
    assert read.outs["value"] == "10.0.0.9"
    assert read.inputs is not None
    assert read.inputs["value"] == "10.0.0.9"
    diff = routes.diff(outs["route_id"], read.outs, dict(PBX, edge_strategy_id=None))
    assert (diff.changes, diff.replaces) == (True, [])
    mock.clear_requests()
    updated = routes.update(outs["route_id"], read.outs, dict(PBX, edge_strategy_id=2)).outs
    assert updated is not None
    assert (updated["value"], updated["edge_strategy_id"]) == ("sip.example.com:5060", 2)
    assert [r.method for r in mock.requests()] == ["PATCH"]
    routes.delete(outs["route_id"], updated)
    assert routes.read(outs["route_id"], updated).id == ""
    routes.delete(outs["route_id"], updated)  # already gone: not an error


def test_lost_create_answer_is_found_by_alias(
    routes: InboundRouteProvider, client: FlowrouteClient, mock: MockFlowroute
) -> None:
    mock.inject_fault("drop", method="POST", path="/v2/routes")
    outs = make_route(routes, **PBX)
    assert [r.id for r in client.list_routes()] == ["0", outs["route_id"]]
    # The answer was lost, not the route: the rerun finds it by alias instead of a second POST.
    assert [(r.method, r.path) for r in mock.requests()].count(("POST", "/v2/routes")) == 1


def test_an_identical_route_with_the_explicit_alias_is_taken_over_a_differing_one_refused(
    routes: InboundRouteProvider, client: FlowrouteClient
) -> None:
    earlier = client.create_route("host", "sip.example.com:5060", "proj.dev.pbx")
    assert make_route(routes, **PBX)["route_id"] == earlier.id
    client.update_route(earlier.id, value="10.9.9.9")
    forget_deployment()  # a later run
    with pytest.raises(ResourceError, match=r"already exists .* and differs"):
        make_route(routes, **PBX)


def test_two_routes_with_one_explicit_alias_in_one_program_are_refused(
    routes: InboundRouteProvider, mock: MockFlowroute
) -> None:
    first = make_route(routes, **PBX)
    with pytest.raises(ResourceError, match=f"already created route {first['route_id']} with"):
        make_route(routes, **{**PBX, "value": "10.0.0.2"})
    assert [r.method for r in mock.requests()].count("POST") == 1


URN = "urn:pulumi:dev::proj::pulumi-python:dynamic/flowroute:InboundRoute::pbx"


def unnamed(token: str = "c1a1e0", urn: str = URN) -> dict[str, Any]:
    """A route declared without an alias, as the program registers it: with the name it gets."""
    return {**PBX, "alias": None, NAMED: route_alias(urn, token)}


def test_unnamed_routes_of_two_stacks_with_the_same_names_never_meet(
    routes: InboundRouteProvider, client: FlowrouteClient
) -> None:
    mine = make_route(routes, **unnamed("aaaaaa"))
    forget_deployment()  # the other checkout, with its own backend and so its own claim
    theirs = make_route(routes, **unnamed("bbbbbb"))
    assert mine["route_id"] != theirs["route_id"]
    assert mine["alias"].startswith("proj.dev.pbx-")
    assert mine["alias"] != theirs["alias"]
    routes.delete(mine["route_id"], mine)
    assert client.find_route(theirs["route_id"]) is not None


def test_an_unnamed_route_is_named_from_the_claim_and_urn_the_same_on_every_run() -> None:
    named = route_alias(URN, "c1a1e0")
    assert re.fullmatch(r"proj\.dev\.pbx-[0-9a-f]{6}", named)
    assert route_alias(URN, "c1a1e0") == named  # every run, every process
    assert route_alias(URN, "c1a1e1") != named  # another stack's claim
    assert route_alias(URN.replace("::pbx", "::pbx2"), "c1a1e0")[:-7] == "proj.dev.pbx2"
    # Under a component, the URN differs (parent types), so the name does too.
    nested = URN.replace("pulumi-python:", "flowroute:index:RoutedNumber$pulumi-python:")
    assert route_alias(nested, "c1a1e0") != named


def test_an_auto_named_route_keeps_its_name(routes: InboundRouteProvider) -> None:
    first = routes.check({}, unnamed()).inputs
    assert first["alias"] == route_alias(URN, "c1a1e0")
    assert first[AUTO] is True
    assert NAMED not in first  # used by check, never kept
    again = routes.check(first, unnamed("d00d00")).inputs
    assert (again["alias"], again[AUTO]) == (first["alias"], True)
    assert not routes.diff("98396", {**first, "route_id": "98396"}, again).changes
    # A route named by an earlier version keeps that name: flagged, or from before the flag.
    legacy = {**PBX, "alias": "proj.dev.pbx-123abc", "alias_auto": True, "alias_prefix": "p"}
    assert routes.check(legacy, unnamed()).inputs["alias"] == "proj.dev.pbx-123abc"
    assert routes.check({**PBX}, unnamed()).inputs["alias"] == "proj.dev.pbx"
    # An alias the user gave and then removed is not kept: the route takes the automatic name.
    explicit = routes.check({}, dict(PBX)).inputs
    assert explicit[AUTO] is False
    assert routes.check(explicit, unnamed()).inputs["alias"] == first["alias"]


def test_a_preview_before_the_first_up_shows_the_automatic_name_as_unknown(
    routes: InboundRouteProvider,
) -> None:
    later = LATER  # the claim is drawn by the first up: its token is not known yet
    preview = routes.check({}, {**PBX, "alias": None, NAMED: later})
    assert preview.failures == []
    assert is_unknown(preview.inputs["alias"])


def test_the_route_a_killed_run_made_is_taken_over_not_made_twice(
    routes: InboundRouteProvider, client: FlowrouteClient, mock: MockFlowroute
) -> None:
    inputs = checked(routes, unnamed())
    # The earlier run's POST went through, and Pulumi never recorded the route; its value
    # changed in the program since.
    left = client.create_route("host", "10.0.0.1", inputs["alias"])
    mock.clear_requests()
    outs = routes.create(inputs).outs or {}
    assert outs["route_id"] == left.id
    assert (outs["value"], outs["adopted"], outs[AUTO]) == ("sip.example.com:5060", False, True)
    assert [r.method for r in mock.requests()] == ["GET", "PATCH"]
    assert [r.alias for r in client.list_routes()].count(inputs["alias"]) == 1
    # It is this resource's own: deleting the resource deletes it.
    routes.delete(outs["route_id"], outs)
    assert client.find_route(left.id) is None


def test_a_refresh_keeps_the_inputs_unless_the_account_changed(
    routes: InboundRouteProvider, client: FlowrouteClient
) -> None:
    outs = make_route(routes, **unnamed())
    forget_deployment()  # refresh is a later run
    same = routes.read(outs["route_id"], outs)
    assert same.outs == {**outs, "adopt": False}
    assert same.inputs is None  # the engine keeps the program's: no difference to show
    # A state an earlier version wrote reads the same, its bookkeeping under the new name.
    legacy = {k: v for k, v in outs.items() if k != AUTO} | {
        "alias_auto": True,
        "alias_prefix": "p",
    }
    forget_deployment()
    read = routes.read(outs["route_id"], legacy)
    assert (read.inputs, read.outs) == (None, same.outs)
    client.update_route(outs["route_id"], value="10.0.0.9")
    forget_deployment()
    drifted = routes.read(outs["route_id"], outs)
    assert drifted.inputs is not None
    assert (drifted.inputs["value"], drifted.inputs[AUTO]) == ("10.0.0.9", True)


def test_route_in_use_names_the_number(
    routes: InboundRouteProvider, client: FlowrouteClient, owned_number: str
) -> None:
    outs = make_route(routes, **PBX)
    client.set_route(owned_number, "failover", outs["route_id"])
    with pytest.raises(ResourceError) as caught:
        routes.delete(outs["route_id"], outs)
    assert f"failover route of {owned_number}" in str(caught.value)
    assert client.find_route(outs["route_id"]) is not None


def test_routing_patches_only_what_differs(
    routes: InboundRouteProvider,
    routing: NumberRoutingProvider,
    client: FlowrouteClient,
    owned_number: str,
    mock: MockFlowroute,
) -> None:
    pbx = make_route(routes, **PBX)["route_id"]
    cell = make_route(routes, route_type="number", value="12065550100", alias="cell")["route_id"]
    news = routing.check(
        {}, {"number": "+1 206 555 1234", "primary_route_id": float(pbx), "failover_route_id": cell}
    )
    assert news.failures == []
    assert news.inputs["primary_route_id"] == pbx
    mock.clear_requests()
    outs = routing.create(news.inputs).outs or {}
    assert outs == {"number": owned_number, "primary_route_id": pbx, "failover_route_id": cell}
    # Two writes and no read: the minimum that sets both slots.
    assert [(r.method, r.path.rsplit("/", 1)[1]) for r in mock.requests()] == [
        ("PATCH", "primary_route"),
        ("PATCH", "failover_route"),
    ]
    mock.clear_requests()
    moved = routing.update(owned_number, outs, {**news.inputs, "failover_route_id": None}).outs
    assert moved == {"number": owned_number, "primary_route_id": pbx, "failover_route_id": None}
    assert [(r.method, r.path.rsplit("/", 1)[1]) for r in mock.requests()] == [
        ("DELETE", "failover_route"),
    ]
    assert client.get_number(owned_number).failover_route_id is None


def test_routing_read_drift_diff_and_delete(
    routes: InboundRouteProvider,
    routing: NumberRoutingProvider,
    client: FlowrouteClient,
    owned_number: str,
) -> None:
    pbx = make_route(routes, **PBX)["route_id"]
    inputs = {"number": owned_number, "primary_route_id": pbx, "failover_route_id": None}
    outs = routing.create(inputs).outs or {}
    client.set_route(owned_number, "primary", "0")
    read = routing.read(owned_number, outs)
    assert read.outs is not None
    assert read.outs["primary_route_id"] == "0"
    assert routing.diff(owned_number, read.outs, inputs).changes is True
    assert routing.diff(owned_number, outs, {**inputs, "number": "12065550000"}).replaces == [
        "number"
    ]
    routing.update(owned_number, read.outs, inputs)
    assert client.get_number(owned_number).primary_route_id == pbx
    routing.delete(owned_number, outs)
    details = client.get_number(owned_number)
    assert (details.primary_route_id, details.failover_route_id) == ("0", None)
    client.release_number(owned_number)
    with pytest.raises(ResourceError, match="run `pulumi refresh`"):
        routing.update(owned_number, outs, {**inputs, "primary_route_id": "0"})
    routing.delete(owned_number, outs)  # number gone: nothing to undo
    assert routing.read(owned_number, outs).id == ""


def test_routing_to_unknown_route_or_number(
    routing: NumberRoutingProvider, client: FlowrouteClient, owned_number: str
) -> None:
    with pytest.raises(ResourceError, match="Flowroute has no such route"):
        routing.create(
            {"number": owned_number, "primary_route_id": "424242", "failover_route_id": None}
        )
    with pytest.raises(ResourceError, match="not on your Flowroute account"):
        routing.create(
            {"number": "12065550000", "primary_route_id": "0", "failover_route_id": None}
        )


def test_a_refresh_lists_the_routes_once_for_every_route(
    routes: InboundRouteProvider, mock: MockFlowroute
) -> None:
    made = [make_route(routes, **{**PBX, "alias": f"pbx-{i}"}) for i in range(3)]
    forget_deployment()  # refresh is a later run
    mock.clear_requests()
    for outs in made:
        read = routes.read(outs["route_id"], outs)
        assert read.outs is not None
        assert read.outs["alias"] == outs["alias"]
    assert [(r.method, r.path) for r in mock.requests()] == [("GET", "/v2/routes")]


@pytest.mark.parametrize(
    "declare",
    [
        lambda: InboundRoute("r"),  # type: ignore[call-arg]
        lambda: InboundRoute("r", "host", "sip.example.com"),  # type: ignore[arg-type, call-arg]
        lambda: NumberRouting("n", primary_route_id="0"),  # type: ignore[call-arg]
        lambda: PhoneNumber("p", "12065551234"),  # type: ignore[arg-type, call-arg]
    ],
)
# mypy (warn_unused_ignores) fails if any of these calls stops being a type error too.
def test_inputs_are_keywords_and_required_ones_are_required(declare: Callable[[], Any]) -> None:
    with pytest.raises(TypeError):
        declare()


@pytest.mark.parametrize(
    ("resource", "required"),
    [
        (PhoneNumber, set()),
        (InboundRoute, {"route_type", "value"}),
        (NumberRouting, {"number", "primary_route_id"}),
        (RoutedNumber, {"primary"}),
    ],
)
def test_the_signatures_read_like_a_pulumi_package(resource: type, required: set[str]) -> None:
    params = list(inspect.signature(resource).parameters.values())
    assert params[0].name == "resource_name"
    assert all(p.kind is p.KEYWORD_ONLY for p in params[1:])
    assert {p.name for p in params[1:] if p.default is p.empty} == required
    names = {p.name for p in params}
    assert "opts" in names
    if resource is not RoutedNumber:
        get = getattr(resource, "get", None)
        assert callable(get)
        assert {"resource_name", "id", "opts"} <= set(inspect.signature(get).parameters)
    if resource in (PhoneNumber, RoutedNumber):
        assert set(PhoneNumberArgs.__annotations__) <= names


def test_a_refused_key_pair_names_the_settings_not_the_route(mock: MockFlowroute) -> None:
    routes = configured(InboundRouteProvider, {**STACK_CONFIG, "flowroute:secretKey": "wrong"})
    # Auto-named: the create's first request is the listing that finds a killed run's route.
    check = routes.check({}, unnamed())
    assert check.failures == []
    with pytest.raises(Unauthorized) as refused:
        routes.create(check.inputs)
    assert "HTTP 401" in str(refused.value)
    assert "Check flowroute:accessKey and flowroute:secretKey" in str(refused.value)
    assert [(r.method, r.status) for r in mock.requests()] == [("GET", 401)]
