"""Two Flowroute accounts in one Python program, under plain ``pulumi``: explicit
``pulumi_flowroute.Provider`` instances on two emulator servers, a component passing its
provider on to its children, a lookup asked on one of them, and neither account's keys in
clear in the state."""

from __future__ import annotations

import base64
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_flowroute import FlowrouteClient
from pulumi_flowroute.emulator import RemoteEmulator
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.emulators import ServerProcess, emulator_keys, writes
from tests.support.infra import Installed, configure, infra_repo

pytestmark = pytest.mark.e2e
#: The second account's keys (the first has the audited ones).
TEST_ACCESS_KEY, TEST_SECRET_KEY = "87654321", "another-s3cret-for-the-test-account"
#: Pulumi's mark of an encrypted value in an exported state.
SECRET_SIG = "4dabf18193072939515e22adb298388d"
PROGRAM = textwrap.dedent(
    """
    import pulumi
    import pulumi_flowroute as flowroute

    config = pulumi.Config()
    prod = flowroute.Provider(
        "prod",
        access_key=config.require_secret("prodAccessKey"),
        secret_key=config.require_secret("prodSecretKey"),
        base_url=config.require("prodUrl"),
    )
    test = flowroute.Provider(
        "test",
        access_key=config.require_secret("testAccessKey"),
        secret_key=config.require_secret("testSecretKey"),
        base_url=config.require("testUrl"),
        timeout_seconds=20,
    )
    on_prod = pulumi.ResourceOptions(provider=prod)
    pbx = flowroute.InboundRoute("pbx", route_type="host", value="sip.example.com", opts=on_prod)
    main = flowroute.PhoneNumber(
        "main", number="12065551234", alias="Main", primary_route_id=pbx.route_id, opts=on_prod
    )
    # The same number on the other account, through a component whose children inherit it.
    desk = flowroute.RoutedNumber(
        "desk",
        number="12065551234",
        alias="Desk",
        primary=flowroute.InboundRouteArgs(route_type="number", value="12065550100"),
        opts=pulumi.ResourceOptions(provider=test),
    )
    on_test = flowroute.get_number_output(desk.number, provider=test)
    pulumi.export("main", main.number)
    pulumi.export("desk", desk.number)
    pulumi.export("on_test", on_test.apply(lambda number: [number.value, number.alias]))
    """
)


@pytest.fixture
def two_servers() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    prod = ServerProcess(env=emulator_keys(ACCESS_KEY, SECRET_KEY))
    test = ServerProcess(env=emulator_keys(TEST_ACCESS_KEY, TEST_SECRET_KEY))
    yield prod, test
    prod.stop()
    test.stop()


def in_clear(text: str) -> list[str]:
    """Which of the four keys (or a Basic-auth token made of them) ``text`` shows."""
    pairs = [(ACCESS_KEY, SECRET_KEY), (TEST_ACCESS_KEY, TEST_SECRET_KEY)]
    found = [key for pair in pairs for key in pair if key in text]
    tokens = [base64.b64encode(f"{a}:{s}".encode()).decode() for a, s in pairs]
    return found + [token for token in tokens if token in text]


def test_one_program_manages_two_accounts_through_explicit_providers(
    tmp_path: Path,
    installed: Installed,
    cli_bin: str,
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    prod_server, test_server = two_servers
    infra = infra_repo(tmp_path / "infra", installed, cli_bin, PROGRAM)
    # No flowroute:* setting at all: each account is its provider's.
    configure(infra, f"infra:prodUrl={prod_server.url}", f"infra:testUrl={test_server.url}")
    configure(
        infra,
        f"infra:prodAccessKey={ACCESS_KEY}",
        f"infra:prodSecretKey={SECRET_KEY}",
        f"infra:testAccessKey={TEST_ACCESS_KEY}",
        f"infra:testSecretKey={TEST_SECRET_KEY}",
        secret=True,
    )
    up = infra.ok("up")
    assert "Traceback" not in up
    assert in_clear(up) == []

    prod = FlowrouteClient(ACCESS_KEY, SECRET_KEY, prod_server.url)
    test = FlowrouteClient(TEST_ACCESS_KEY, TEST_SECRET_KEY, test_server.url)
    pbx = next(route for route in prod.list_routes() if route.value == "sip.example.com")
    number = prod.get_number("12065551234")
    assert (number.alias, number.primary_route_id) == ("Main", pbx.id)
    assert test.get_number("12065551234").alias == "Desk"
    assert [route.value for route in test.list_routes() if route.id != "0"] == ["12065550100"]
    assert [route.value for route in prod.list_routes() if route.id != "0"] == ["sip.example.com"]
    outputs = json.loads(infra.pulumi("stack", "output", "--json").output)
    assert outputs["on_test"] == ["12065551234", "Desk"]

    # The state: each explicit provider under its own name, its keys encrypted.
    exported = infra.pulumi("stack", "export")
    assert exported.ok, exported.output
    assert in_clear(exported.output) == []
    resources = json.loads(exported.output)["deployment"]["resources"]
    providers = {
        r["urn"].rsplit("::", 1)[-1]: r
        for r in resources
        if r["type"] == "pulumi:providers:pulumi-python"
    }
    assert {"prod", "test"} <= set(providers)
    for name in ("prod", "test"):
        inputs = providers[name]["inputs"]
        for key in ("flowroute:accessKey", "flowroute:secretKey"):
            assert inputs[key][SECRET_SIG], (name, key)
    assert providers["test"]["inputs"]["flowroute:timeoutSeconds"] == 20

    # A second run changes nothing on either account.
    controls = [
        RemoteEmulator(prod_server.url, access_key=ACCESS_KEY, secret_key=SECRET_KEY),
        RemoteEmulator(test_server.url, access_key=TEST_ACCESS_KEY, secret_key=TEST_SECRET_KEY),
    ]
    for control in controls:
        control.clear_requests()
    again = infra.ok("up")
    assert "updated" not in again
    assert "created" not in again
    assert [writes(control) for control in controls] == [[], []]
    for client in (prod, test):
        client.close()
    for control in controls:
        control.close()
