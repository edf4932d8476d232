"""The resources through the SDK's real provider server, in the engine's order of calls."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
import requests

from pulumi_flowroute.emulator import RemoteEmulator
from pulumi_flowroute.inbound_route import InboundRouteProvider
from pulumi_flowroute.number_routing import NumberRoutingProvider
from pulumi_flowroute.phone_number import PhoneNumberProvider
from pulumi_flowroute.provider_base import FlowrouteProvider
from tests.support.audit import ACCESS_KEY, SECRET_KEY, assert_no_secrets
from tests.support.emulators import ServerProcess
from tests.support.engine import DIFF_NONE, DIFF_SOME, UNKNOWN, ProviderServer, provider_blob

NUMBER_URN = ProviderServer.urn("PhoneNumber", "support")
ROUTE_URN = ProviderServer.urn("InboundRoute", "pbx")
ROUTING_URN = ProviderServer.urn("NumberRouting", "support-routing")
PROVIDERS: tuple[type[FlowrouteProvider], ...] = (
    PhoneNumberProvider,
    InboundRouteProvider,
    NumberRoutingProvider,
)
BLOBS = {cls: provider_blob(cls()) for cls in PROVIDERS}


@contextlib.contextmanager
def deployment(server: ServerProcess) -> Iterator[ProviderServer]:
    """The provider process the engine starts for one deployment, configured with the stack."""
    provider = ProviderServer()
    provider.configure(
        {
            "flowroute:accessKey": ACCESS_KEY,
            "flowroute:secretKey": SECRET_KEY,
            "flowroute:baseUrl": server.url,
            "flowroute:settleSeconds": "1",
            "aws:region": "us-west-2",
        },
        secret_keys=("flowroute:secretKey",),
    )
    yield provider
    log = provider.close()
    assert SECRET_KEY not in log
    assert ACCESS_KEY not in log


@pytest.fixture(scope="module")
def engine(server: ServerProcess) -> Iterator[ProviderServer]:
    with deployment(server) as provider:
        yield provider


def program(cls: type[FlowrouteProvider], **props: Any) -> dict[str, Any]:
    """The inputs a program registers: its props plus the pickled provider."""
    return {**props, "__provider": BLOBS[cls]}


def up_new(
    engine: ProviderServer, urn: str, news: dict[str, Any]
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    inputs, failures = engine.check(urn, {}, news)
    assert failures == []
    id_, outs = engine.create(urn, inputs)
    return id_, inputs, outs


def test_provider_blobs_are_small_references() -> None:
    for cls, blob in BLOBS.items():
        assert len(blob) < 200
        raw = base64.b64decode(blob)
        assert cls.__module__.encode() in raw
        assert cls.__name__.encode() in raw
        assert_no_secrets(raw.decode("latin-1"), f"the {cls.__name__} blob")


def test_number_lifecycle(engine: ProviderServer, control: RemoteEmulator) -> None:
    news = program(PhoneNumberProvider, number="+1 206 555 1234", alias="Support line")

    # preview of a new resource: Check only, with an Unknown where a value depends on another
    preview, failures = engine.check(NUMBER_URN, {}, {**news, "alias": UNKNOWN})
    assert failures == []
    assert preview["number"] == "12065551234"
    assert control.requests() == []

    id_, inputs, outs = up_new(engine, NUMBER_URN, news)
    assert id_ == "12065551234"
    assert outs["alias"] == "Support line"
    assert outs["setup_cost"] == 1.0
    assert outs["__provider"] == BLOBS[PhoneNumberProvider]
    assert_no_secrets(str(outs), "the number's outputs")

    # no-op up: Check and Diff, no change, no API call
    control.clear_requests()
    again, _ = engine.check(NUMBER_URN, inputs, news)
    assert engine.diff(NUMBER_URN, id_, outs, again) == (DIFF_NONE, [])
    assert control.requests() == []

    # in-place update keeps every output
    renamed, _ = engine.check(NUMBER_URN, inputs, {**news, "alias": "Help desk"})
    assert engine.diff(NUMBER_URN, id_, outs, renamed) == (DIFF_SOME, [])
    outs = engine.update(NUMBER_URN, id_, outs, renamed)
    assert outs["alias"] == "Help desk"
    assert outs["rate_center"] == "seattle"
    assert outs["monthly_cost"] == 1.25

    # refresh after a change made behind Pulumi's back
    requests.patch(
        f"{control.url}/v2/numbers/{id_}",
        json={"alias": "Portal edit"},
        auth=(ACCESS_KEY, SECRET_KEY),
        timeout=5,
    )
    read_id, refreshed, refreshed_inputs = engine.read(NUMBER_URN, id_, outs, renamed)
    assert read_id == id_
    assert refreshed["alias"] == refreshed_inputs["alias"] == "Portal edit"
    assert engine.diff(NUMBER_URN, id_, refreshed, renamed)[0] == DIFF_SOME

    # replacement: a different number is created first, the old one deleted last
    other = next(n for n in control_available(control) if n != id_)
    moved, _ = engine.check(
        NUMBER_URN, renamed, {**news, "number": other, "release_on_delete": True}
    )
    assert engine.diff(NUMBER_URN, id_, refreshed, moved) == (DIFF_SOME, ["number"])
    new_id, new_outs = engine.create(NUMBER_URN, moved)
    engine.delete(NUMBER_URN, id_, refreshed)
    assert new_id == other
    assert new_outs["number"] == other
    log = [(r.method, r.path) for r in control.requests()]
    assert ("DELETE", f"/v2/numbers/{id_}") not in log  # kept: release_on_delete was False

    engine.delete(NUMBER_URN, new_id, new_outs)
    assert ("DELETE", f"/v2/numbers/{other}") in [(r.method, r.path) for r in control.requests()]
    gone = engine.read(NUMBER_URN, new_id, new_outs)
    assert gone[0] == ""


def control_available(control: RemoteEmulator) -> list[str]:
    answer = requests.get(
        f"{control.url}/v2/numbers/available?starts_with=1425&limit=3",
        auth=(ACCESS_KEY, SECRET_KEY),
        timeout=5,
    )
    return [item["id"] for item in answer.json()["data"]]


def test_route_and_routing_lifecycle(
    engine: ProviderServer, control: RemoteEmulator, server: ServerProcess
) -> None:
    number_id, _, _ = up_new(
        engine, NUMBER_URN, program(PhoneNumberProvider, search={"starts_with": 206.0})
    )
    route_news = program(
        InboundRouteProvider,
        route_type="host",
        value="sip.example.com:5060",
        alias="flowroute-tests.dev.pbx",
    )
    route_id, route_inputs, route_outs = up_new(engine, ROUTE_URN, route_news)
    assert route_outs["route_id"] == route_id

    # preview: the route id is not known yet when routing is checked
    _, failures = engine.check(
        ROUTING_URN, {}, program(NumberRoutingProvider, number=number_id, primary_route_id=UNKNOWN)
    )
    assert failures == []

    routing_news = program(
        NumberRoutingProvider, number=number_id, primary_route_id=float(route_id)
    )
    routing_id, _, routing_outs = up_new(engine, ROUTING_URN, routing_news)
    assert routing_outs["primary_route_id"] == route_id
    assert routing_id == number_id

    # a route edited in the portal is found by refresh and put back by the next up
    requests.patch(
        f"{control.url}/v2/routes/{route_id}",
        auth=(ACCESS_KEY, SECRET_KEY),
        json={"data": {"type": "route", "attributes": {"value": "10.0.0.1"}}},
        timeout=5,
    )
    with deployment(server) as refresh:  # `pulumi refresh` runs in a provider process of its own
        _, refreshed, _ = refresh.read(ROUTE_URN, route_id, route_outs, route_inputs)
    assert refreshed["value"] == "10.0.0.1"
    checked, _ = engine.check(ROUTE_URN, route_inputs, route_news)
    assert engine.diff(ROUTE_URN, route_id, refreshed, checked) == (DIFF_SOME, [])
    assert engine.update(ROUTE_URN, route_id, refreshed, checked)["value"] == "sip.example.com:5060"

    # deleting the route while the number still uses it is refused, naming the number
    with pytest.raises(grpc.RpcError) as caught:
        engine.delete(ROUTE_URN, route_id, route_outs)
    assert f"primary or failover route of {number_id}" in str(caught.value.details())
    assert_no_secrets(caught.value.details(), "the refused delete")

    # destroy in reverse dependency order: routing, then route, then number
    engine.delete(ROUTING_URN, routing_id, routing_outs)
    engine.delete(ROUTE_URN, route_id, route_outs)
    engine.delete(
        NUMBER_URN, number_id, {"number": number_id, "__provider": BLOBS[PhoneNumberProvider]}
    )
    remaining = requests.get(
        f"{control.url}/v2/numbers/{number_id}", auth=(ACCESS_KEY, SECRET_KEY), timeout=5
    ).json()
    assert remaining["data"]["relationships"]["primary_route"]["data"]["id"] == "0"


def test_check_failures_and_errors_reach_the_user(
    engine: ProviderServer, control: RemoteEmulator
) -> None:
    _, failures = engine.check(
        NUMBER_URN, {}, program(PhoneNumberProvider, number="555", max_monthly_cost=-1.0)
    )
    assert {prop for prop, _ in failures} == {"number", "max_monthly_cost"}
    control.seed_number("12065551234")
    inputs, _ = engine.check(NUMBER_URN, {}, program(PhoneNumberProvider, number="12065551234"))
    with pytest.raises(grpc.RpcError) as caught:
        engine.create(NUMBER_URN, inputs)
    message = caught.value.details()
    assert "already on your Flowroute account" in message
    assert "adopt=True" in message
    assert_no_secrets(message, "the refused create")
    assert [r.method for r in control.requests()] == ["GET", "GET"]  # inventory, details
