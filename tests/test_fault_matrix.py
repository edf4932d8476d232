"""Every write crossed with every fault, over real HTTP: a rerun converges, nothing doubles.

Each cell is a test of its own (``-k "buy by search and garbled"`` runs one). The first run
either succeeds or fails with one of our errors (a message, not a crash); after the fault is
gone one rerun converges; and the emulator's ledger shows no number bought twice, no duplicate
route, no number lost.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from pulumi_flowroute import (
    FlowrouteClient,
    RetryPolicy,
)
from pulumi_flowroute.cnam_assignment import CnamAssignmentProvider
from pulumi_flowroute.cnam_record import CnamRecordProvider
from pulumi_flowroute.e911_address import E911AddressProvider
from pulumi_flowroute.e911_assignment import E911AssignmentProvider
from pulumi_flowroute.emulator import RemoteEmulator
from pulumi_flowroute.errors import FlowrouteError
from pulumi_flowroute.inbound_route import InboundRouteProvider
from pulumi_flowroute.messaging_callbacks import MessagingCallbacksProvider
from pulumi_flowroute.number_routing import NumberRoutingProvider
from pulumi_flowroute.phone_number import PhoneNumberProvider
from pulumi_flowroute.provider_base import FlowrouteProvider, forget_deployment
from tests.support.audit import ACCESS_KEY, SECRET_KEY, assert_no_secrets
from tests.support.emulators import ServerProcess
from tests.support.providers import ADDRESS, STACK_CONFIG, checked, configured

NUMBER = "12065551234"
HOOK = "https://hooks.example.com/sms"
PBX = {"route_type": "host", "value": "sip.example.com:5060", "alias": "pbx"}
QUICK = RetryPolicy(attempts=3, backoff_factor=0.05, jitter=0.01, total_seconds=10.0)


@dataclass
class Account:
    """The emulated account a cell runs against, and a client to set it up and inspect it."""

    url: str
    control: RemoteEmulator
    client: FlowrouteClient

    def provider(self, cls: type[FlowrouteProvider], url: str | None = None) -> Any:
        provider = configured(
            cls,
            {
                **STACK_CONFIG,
                "flowroute:baseUrl": url or self.url,
                "flowroute:timeoutSeconds": "0.3",
                "flowroute:settleSeconds": "2",
            },
        )
        provider.client.retry = QUICK
        return provider

    def route(self) -> str:
        return self.client.create_route("host", "10.0.0.9", "existing").id

    def address(self) -> str:
        return self.client.create_address({**ADDRESS, "label": "Existing", "country": "US"}).id

    def number_and_address(self) -> str:
        self.client.purchase_number(NUMBER)
        return self.address()

    def caller_name(self, approved: bool = False) -> str:
        record = self.client.create_caller_name("Existing")
        if approved:
            self.control.approve_cnam(record.id)
        return record.id

    def number_and_caller_name(self) -> str:
        self.client.purchase_number(NUMBER)
        return self.caller_name(approved=True)

    def assigned_caller_name(self) -> str:
        cnam_id = self.number_and_caller_name()
        self.client.assign_caller_name(NUMBER, cnam_id)
        return cnam_id

    def assigned_address(self) -> str:
        e911_id = self.number_and_address()
        self.client.assign_address(NUMBER, e911_id)
        return e911_id


@dataclass
class Write:
    """One write: how to set it up, which request it makes, how to run it, what must hold."""

    name: str
    method: str
    path: Callable[[Account, Any], str]
    setup: Callable[[Account], Any]
    run: Callable[[Account, Any, str | None], Any]
    holds: Callable[[Account, Any], bool]


def _buy(account: Account, url: str | None, **news: Any) -> Any:
    provider = account.provider(PhoneNumberProvider, url)
    return provider.create(checked(provider, {"default_alias": "p.s.line", **news}))


def _routing(account: Account, url: str | None, olds: dict[str, Any], **news: Any) -> Any:
    provider = account.provider(NumberRoutingProvider, url)
    inputs = checked(provider, {"number": NUMBER, **news})
    if olds:
        return provider.update(NUMBER, olds, inputs)
    return provider.create(inputs)


def _address(account: Account, url: str | None, **news: Any) -> Any:
    provider = account.provider(E911AddressProvider, url)
    return provider.create(checked(provider, {**ADDRESS, **news}))


def _assignment(account: Account, url: str | None, e911_id: str, olds: dict[str, Any]) -> Any:
    provider = account.provider(E911AssignmentProvider, url)
    inputs = checked(provider, {"number": NUMBER, "e911_id": e911_id})
    return provider.update(NUMBER, olds, inputs) if olds else provider.create(inputs)


def _labelled(account: Account, label: str) -> list[Any]:
    return [a for a in account.client.list_addresses() if a.label == label]


def _owned(account: Account) -> list[str]:
    return [n.value for n in account.client.list_numbers()]


def _routes(account: Account, alias: str) -> list[Any]:
    return [r for r in account.client.list_routes() if r.alias == alias]


def _number_with_failover(account: Account) -> str:
    account.client.purchase_number(NUMBER)
    route = account.route()
    account.client.set_route(NUMBER, "failover", route)
    return route


def _commit_then_fail_reads(account: Account, method: str, path: str) -> None:
    account.control.inject_fault("drop", method=method, path=path)
    reads = next(
        (prefix for prefix in ("/v2/routes", "/v2/e911s", "/v2/cnams") if path.startswith(prefix)),
        "/v2/numbers/1",
    )
    account.control.inject_fault("503", method="GET", path=reads, count=50)


WRITES = [
    Write(
        "buy exact",
        "POST",
        lambda a, s: f"/v2/numbers/{NUMBER}",
        lambda a: None,
        lambda a, s, url: _buy(a, url, number=NUMBER),
        lambda a, s: _owned(a) == [NUMBER],
    ),
    Write(
        "buy by search",
        "POST",
        lambda a, s: "/v2/numbers/1",
        lambda a: None,
        lambda a, s, url: _buy(a, url, search={"starts_with": "303"}),
        lambda a, s: len(_owned(a)) == 1,
    ),
    Write(
        "alias update",
        "PATCH",
        lambda a, s: f"/v2/numbers/{NUMBER}",
        lambda a: a.client.purchase_number(NUMBER),
        lambda a, s, url: a.provider(PhoneNumberProvider, url).update(
            NUMBER, {"number": NUMBER}, {"number": NUMBER, "alias": "Front desk"}
        ),
        lambda a, s: a.client.get_number(NUMBER).alias == "Front desk",
    ),
    Write(
        "route create",
        "POST",
        lambda a, s: "/v2/routes",
        lambda a: None,
        lambda a, s, url: (p := a.provider(InboundRouteProvider, url)).create(checked(p, PBX)),
        lambda a, s: len(_routes(a, "pbx")) == 1,
    ),
    Write(
        "route update",
        "PATCH",
        lambda a, s: f"/v2/routes/{s}",
        Account.route,
        lambda a, s, url: a.provider(InboundRouteProvider, url).update(
            s, {"value": "10.0.0.9"}, {"value": "10.0.0.10"}
        ),
        lambda a, s: getattr(a.client.find_route(s), "value", None) == "10.0.0.10",
    ),
    Write(
        "route delete",
        "DELETE",
        lambda a, s: f"/v2/routes/{s}",
        Account.route,
        lambda a, s, url: a.provider(InboundRouteProvider, url).delete(s, {"alias": "existing"}),
        lambda a, s: a.client.find_route(s) is None,
    ),
    Write(
        "primary set",
        "PATCH",
        lambda a, s: f"/v2/numbers/{NUMBER}/relationships/primary_route",
        lambda a: (a.client.purchase_number(NUMBER), a.route())[1],
        lambda a, s, url: _routing(a, url, {}, primary_route_id=s),
        lambda a, s: a.client.get_number(NUMBER).primary_route_id == s,
    ),
    Write(
        "failover set",
        "PATCH",
        lambda a, s: f"/v2/numbers/{NUMBER}/relationships/failover_route",
        lambda a: (a.client.purchase_number(NUMBER), a.route())[1],
        lambda a, s, url: _routing(a, url, {}, primary_route_id="0", failover_route_id=s),
        lambda a, s: a.client.get_number(NUMBER).failover_route_id == s,
    ),
    Write(
        "failover clear",
        "DELETE",
        lambda a, s: f"/v2/numbers/{NUMBER}/relationships/failover_route",
        _number_with_failover,
        lambda a, s, url: _routing(
            a, url, {"primary_route_id": "0", "failover_route_id": s}, primary_route_id="0"
        ),
        lambda a, s: a.client.get_number(NUMBER).failover_route_id is None,
    ),
    Write(
        "release",
        "DELETE",
        lambda a, s: f"/v2/numbers/{NUMBER}",
        lambda a: a.client.purchase_number(NUMBER),
        lambda a, s, url: a.provider(PhoneNumberProvider, url).delete(
            NUMBER, {"release_on_delete": True}
        ),
        lambda a, s: _owned(a) == [],
    ),
    Write(
        "e911 create",
        "POST",
        lambda a, s: "/v2/e911s",
        lambda a: None,
        lambda a, s, url: _address(a, url),
        lambda a, s: len(_labelled(a, "HQ")) == 1,
    ),
    Write(
        "e911 update",
        "PATCH",
        lambda a, s: f"/v2/e911s/{s}",
        Account.address,
        lambda a, s, url: a.provider(E911AddressProvider, url).update(
            s, {}, {**ADDRESS, "label": "Existing", "street_number": "1300", "country": "US"}
        ),
        lambda a, s: a.client.get_address(s).street_number == "1300",
    ),
    Write(
        "e911 delete",
        "DELETE",
        lambda a, s: f"/v2/e911s/{s}",
        Account.address,
        lambda a, s, url: a.provider(E911AddressProvider, url).delete(s, {"label": "Existing"}),
        lambda a, s: list(a.client.list_addresses()) == [],
    ),
    Write(
        "e911 assign",
        "PATCH",
        lambda a, s: f"/v2/numbers/{NUMBER}/relationships/e911s/{s}",
        Account.number_and_address,
        lambda a, s, url: _assignment(a, url, s, {}),
        lambda a, s: a.client.get_number(NUMBER).e911_id == s,
    ),
    Write(
        "e911 unassign",
        "DELETE",
        lambda a, s: f"/v2/numbers/{NUMBER}/relationships/e911s",
        Account.assigned_address,
        lambda a, s, url: a.provider(E911AssignmentProvider, url).delete(NUMBER, {}),
        lambda a, s: a.client.get_number(NUMBER).e911_id is None,
    ),
    Write(
        "cnam create",
        "POST",
        lambda a, s: "/v2/cnams",
        lambda a: None,
        lambda a, s, url: (p := a.provider(CnamRecordProvider, url)).create(
            checked(p, {"value": "Acme"})
        ),
        lambda a, s: [r.value for r in a.client.list_caller_names()] == ["ACME"],
    ),
    Write(
        "cnam update",
        "PATCH",
        lambda a, s: f"/v2/cnams/{s}",
        Account.caller_name,
        lambda a, s, url: a.provider(CnamRecordProvider, url).update(
            s, {"value": "EXISTING"}, {"value": "ACME"}
        ),
        lambda a, s: a.client.get_caller_name(s).value == "ACME",
    ),
    Write(
        "cnam delete",
        "DELETE",
        lambda a, s: f"/v2/cnams/{s}",
        Account.caller_name,
        lambda a, s, url: a.provider(CnamRecordProvider, url).delete(s, {"value": "EXISTING"}),
        lambda a, s: list(a.client.list_caller_names()) == [],
    ),
    Write(
        "cnam assign",
        "PATCH",
        lambda a, s: f"/v2/numbers/{NUMBER}/relationships/cnams/{s}",
        Account.number_and_caller_name,
        lambda a, s, url: (p := a.provider(CnamAssignmentProvider, url)).create(
            checked(p, {"number": NUMBER, "cnam_id": s})
        ),
        lambda a, s: a.client.get_number(NUMBER).cnam_id == s,
    ),
    Write(
        "cnam unassign",
        "DELETE",
        lambda a, s: f"/v2/numbers/{NUMBER}/relationships/cnams",
        Account.assigned_caller_name,
        lambda a, s, url: a.provider(CnamAssignmentProvider, url).delete(NUMBER, {}),
        lambda a, s: a.client.get_number(NUMBER).cnam_id is None,
    ),
    Write(
        "webhook set",
        "PUT",
        lambda a, s: "/v2.1/messages/sms_callback",
        lambda a: None,
        lambda a, s, url: (p := a.provider(MessagingCallbacksProvider, url)).create(
            checked(p, {"sms_url": HOOK})
        ),
        lambda a, s: a.client.get_callback("sms") == HOOK,
    ),
    Write(
        "webhook clear",
        "DELETE",
        lambda a, s: "/v2.2/messages/sms_callback",
        lambda a: a.client.set_callback("sms", HOOK),
        lambda a, s, url: a.provider(MessagingCallbacksProvider, url).delete(
            "account-messaging-callbacks", {"on_delete": "clear", "managed": ["sms_url"]}
        ),
        lambda a, s: a.client.get_callback("sms") is None,
    ),
]

FAULTS: dict[str, Callable[[Account, str, str], None]] = {
    "429 burst": lambda a, m, p: a.control.inject_fault(
        "429", method=m, path=p, count=2, retry_after=0
    ),
    "500": lambda a, m, p: a.control.inject_fault("500", method=m, path=p),
    "503": lambda a, m, p: a.control.inject_fault("503", method=m, path=p),
    "commit after timeout": lambda a, m, p: a.control.inject_fault(
        "delay", method=m, path=p, seconds=0.8
    ),
    "slow answer": lambda a, m, p: a.control.inject_fault("slow", method=m, path=p, seconds=0.8),
    "commit, then drop": lambda a, m, p: a.control.inject_fault("drop", method=m, path=p),
    "garbled 2xx": lambda a, m, p: a.control.inject_fault("garbage", method=m, path=p),
    "failing settle read": _commit_then_fail_reads,
    "connection refused": lambda a, m, p: None,
}


@pytest.fixture
def account(server: ServerProcess, control: RemoteEmulator) -> Iterator[Account]:
    client = FlowrouteClient(ACCESS_KEY, SECRET_KEY, server.url)
    yield Account(server.url, control, client)
    client.close()


def _new_deployment() -> None:
    forget_deployment()


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.name)
def test_a_write_survives_a_fault(
    account: Account, write: Write, fault: str, dead_url: str
) -> None:
    state = write.setup(account)
    FAULTS[fault](account, write.method, write.path(account, state))
    url = dead_url if fault == "connection refused" else None
    try:
        write.run(account, state, url)
        failed = False
    except FlowrouteError as error:
        assert_no_secrets(str(error), f"the error of {write.name} / {fault}", access_key=False)
        failed = True
    account.control.clear_faults()
    # The rerun is a new deployment: a provider process of its own.
    _new_deployment()
    if failed or not write.holds(account, state):
        try:
            write.run(account, state, None)
            refusal = None
        except FlowrouteError as error:
            refusal = str(error)
        if refusal is not None:
            # The rerun stopped before buying (or creating) and named what it found: the user
            # adopts it.
            named = re.search(
                r"set number='(\d+)' and adopt=True in place of search"
                r"|^(\d+) is already on your Flowroute account.*set adopt=True"
                r"|identical E911 address is already on the account \(e911_id (\d+)"
                r"|caller name 'ACME' is already on the account \(cnam_id (\d+)",
                refusal,
            )
            assert named, refusal
            if named[3]:
                _address(account, None, adopt=True)
            elif named[4]:
                (p := account.provider(CnamRecordProvider)).create(
                    checked(p, {"value": "Acme", "adopt": True})
                )
            else:
                _buy(account, None, number=named[1] or named[2], adopt=True)
    assert write.holds(account, state), (write.name, fault)
    if fault in ("commit after timeout", "slow answer"):
        time.sleep(1.0)  # the emulator logs a request when it answers, after its wait
    bought = [
        r.path
        for r in account.control.requests()
        if r.method == "POST" and r.path.startswith("/v2/numbers/") and r.status == 201
    ]
    assert len(bought) == len(set(bought)) <= 1, (write.name, fault, bought)
    assert len(_routes(account, "pbx")) <= 1, (write.name, fault)
    assert len(_labelled(account, "HQ")) <= 1, (write.name, fault)
    assert len(list(account.client.list_caller_names(value="ACME"))) <= 1, (write.name, fault)
    log = "".join(f"{r.path}{r.query}{r.body}" for r in account.control.requests())
    assert_no_secrets(log, "the emulator's request log", access_key=False)
