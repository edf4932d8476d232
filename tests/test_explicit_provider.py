"""``pulumi_flowroute.Provider``: one program, several accounts. Resources given one (or a
component's children, which inherit it) and lookups asked on one reach its account; the others
the stack config's. Under ``pulumi.runtime.set_mocks`` with the library's own mocks, which run
the providers (tests/test_e2e_accounts.py does it under plain ``pulumi``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

import pulumi_flowroute as flowroute
from pulumi_flowroute import ConfigError, ResourceError
from pulumi_flowroute.config import resolve_settings
from pulumi_flowroute.connect import connect
from pulumi_flowroute.testing import EmulatedAccount, flowroute_mocks


@pytest.fixture
def no_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FLOWROUTE_ACCESS_KEY", "FLOWROUTE_SECRET_KEY", "FLOWROUTE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_key_in_the_environment")
@pytest.mark.parametrize(
    ("name", "settings", "says"),
    [
        ("flowroute", {"base_url": "emulator:a.db"}, "'flowroute' is the stack config's provider"),
        ("prod", {}, "credentials are missing: give access_key= (or FLOWROUTE_ACCESS_KEY) and"),
        ("prod", {"access_key": "1234", "secret_key": " "}, "give secret_key= (or FLOWROUTE_"),
        (
            "prod",
            {"access_key": "1", "secret_key": "2", "base_url": "http://api.example.com"},
            "base_url 'http://api.example.com' would send credentials unencrypted",
        ),
        ("prod", {"base_url": "emulator:a.db", "timeout_seconds": 0}, "timeout_seconds=0 is not"),
        ("prod", {"base_url": "emulator:a.db", "settle_seconds": "soon"}, "settle_seconds='soon'"),
        ("prod", {"base_url": "emulator:a.db", "timeout_seconds": True}, "timeout_seconds=True"),
    ],
)
def test_unusable_settings_stop_the_program_in_one_line(
    name: str, settings: dict[str, Any], says: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        flowroute.Provider(name, **settings)
    assert str(refused.value).startswith(f"pulumi_flowroute.Provider {name!r}: ")
    assert says in str(refused.value)
    assert "\n" not in str(refused.value)


@pytest.fixture
def stack_account(no_key_in_the_environment: None) -> Iterator[EmulatedAccount]:
    with flowroute_mocks(project="infra", stack="test") as account:
        yield account


def other_account(tmp_path: Path) -> tuple[flowroute.Provider, flowroute.FlowrouteClient]:
    base_url = f"emulator:{tmp_path / 'other.db'}"
    provider = flowroute.Provider("other", base_url=base_url, timeout_seconds=10)
    return provider, connect(resolve_settings({"flowroute:baseUrl": base_url}, {}))


def numbers_of(client: flowroute.FlowrouteClient) -> list[str]:
    return sorted(number.value for number in client.list_numbers())


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_resources_reach_the_account_of_their_provider(
    stack_account: EmulatedAccount, tmp_path: Path
) -> Any:
    other, client = other_account(tmp_path)
    on_other = pulumi.ResourceOptions(provider=other)
    pbx = flowroute.InboundRoute("pbx", route_type="host", value="sip.example.com", opts=on_other)
    main = flowroute.PhoneNumber(
        "main", number="12065551234", primary_route_id=pbx.route_id, opts=on_other
    )
    # A component's children inherit its provider, as Pulumi does.
    desk = flowroute.RoutedNumber(
        "desk",
        search=flowroute.NumberSearch(starts_with="425"),
        primary=flowroute.InboundRouteArgs(route_type="number", value="12065550100"),
        opts=on_other,
    )
    home = flowroute.PhoneNumber("home", number="12062125765")

    def check(ids: list[str]) -> None:
        pbx_id, main_number, desk_number, home_number = ids
        assert numbers_of(client) == sorted([main_number, desk_number])
        assert desk_number.startswith("1425")
        assert numbers_of(stack_account.client) == [home_number]
        assert client.get_number(main_number).primary_route_id == pbx_id
        assert pbx_id in {route.id for route in client.list_routes()}
        assert not [r for r in stack_account.client.list_routes() if r.id != "0"]

    return pulumi.Output.all(pbx.route_id, main.number, desk.number, home.number).apply(check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_a_stack_config_without_keys_is_fine_for_resources_given_a_provider(
    no_key_in_the_environment: None, tmp_path: Path
) -> Any:
    keyless = {"flowroute:accessKey": "", "flowroute:secretKey": ""}
    with flowroute_mocks(config=keyless):
        other, client = other_account(tmp_path)
        number = flowroute.PhoneNumber(
            "main", number="12065551234", opts=pulumi.ResourceOptions(provider=other)
        )
        with pytest.raises(ConfigError, match="Flowroute credentials are missing"):
            flowroute.PhoneNumber("home", number="12062125765")

        def check(bought: str) -> None:
            assert numbers_of(client) == [bought]

        return number.number.apply(check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_lookups_ask_the_account_they_are_given(
    stack_account: EmulatedAccount, tmp_path: Path
) -> Any:
    other, client = other_account(tmp_path)
    client.purchase_number("12065551234")
    stack_account.emulator.seed_number("12062125765", alias="Home")
    component = flowroute.RoutedNumber(
        "desk",
        number="12065551234",
        adopt=True,
        primary="0",
        opts=pulumi.ResourceOptions(provider=other),
    )
    assert [n.value for n in flowroute.get_numbers(provider=other)] == ["12065551234"]
    assert [n.value for n in flowroute.get_numbers()] == ["12062125765"]
    on_other = pulumi.InvokeOptions(provider=other)
    assert flowroute.get_number("12065551234", opts=on_other).value == "12065551234"
    by_parent = flowroute.get_numbers(opts=pulumi.InvokeOptions(parent=component))
    assert [n.value for n in by_parent] == ["12065551234"]
    looked_up = flowroute.get_number_output(pulumi.Output.from_input("12065551234"), provider=other)
    stack_side = flowroute.get_numbers_output(starts_with=pulumi.Output.from_input("1206"))

    def check(found: list[Any]) -> None:
        number, listed = found
        assert number.value == "12065551234"
        assert [n.value for n in listed] == ["12062125765"]

    return pulumi.Output.all(looked_up, stack_side).apply(check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_a_provider_of_another_package_is_refused(stack_account: EmulatedAccount) -> None:
    other = pulumi.ProviderResource("random", "dice")
    with pytest.raises(ResourceError, match="'random' package, which serves no pulumi_flowroute"):
        flowroute.PhoneNumber(
            "main", number="12065551234", opts=pulumi.ResourceOptions(provider=other)
        )
    with pytest.raises(ConfigError, match=r"give a pulumi_flowroute\.Provider"):
        flowroute.get_numbers(provider=other)
