"""Malformed inputs: each is refused by ``check`` naming the property, before any API call."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from pulumi_flowroute.conversions import (
    SecretInValue,
    as_cnam_id,
    as_e911_id,
    as_int,
    as_route_id,
    as_webhook_url,
)
from pulumi_flowroute.emulator import MockFlowroute
from pulumi_flowroute.inbound_route import InboundRouteProvider
from pulumi_flowroute.messaging_callbacks import MessagingCallbacksProvider
from pulumi_flowroute.number_routing import NumberRoutingProvider
from pulumi_flowroute.phone_number import PhoneNumberProvider
from pulumi_flowroute.provider_base import FlowrouteProvider
from tests.support.providers import configured

NUMBER = {"number": "12065551234"}
ROUTE = {"route_type": "host", "value": "sip.example.com", "alias": "pbx"}
ROUTING = {"number": "12065551234", "primary_route_id": "98396"}

CASES: list[tuple[type[FlowrouteProvider], dict[str, Any], str]] = [
    (PhoneNumberProvider, {"number": "206555123"}, "number"),
    (PhoneNumberProvider, {"number": "22065551234"}, "number"),
    (PhoneNumberProvider, {"number": "+44 20 7946 0958"}, "number"),
    (PhoneNumberProvider, {"number": "call-me-maybe"}, "number"),
    (PhoneNumberProvider, {"number": 12.5}, "number"),
    (PhoneNumberProvider, {}, "number"),
    (PhoneNumberProvider, {"number": "12065551234", "search": {"starts_with": "206"}}, "search"),
    (PhoneNumberProvider, {"search": {}}, "search"),
    (PhoneNumberProvider, {"search": "206"}, "search"),
    (PhoneNumberProvider, {"search": {"starts_with": "2o6"}}, "search.starts_with"),
    (PhoneNumberProvider, {"search": {"contains": "12-34"}}, "search.contains"),
    (PhoneNumberProvider, {"search": {"ends_with": "123456789012"}}, "search.ends_with"),
    (PhoneNumberProvider, {"search": {"state": "Washington"}}, "search.state"),
    (PhoneNumberProvider, {"search": {"rate_center": "  "}}, "search.rate_center"),
    (PhoneNumberProvider, {"search": {"area_code": "206"}}, "search.area_code"),
    (PhoneNumberProvider, {**NUMBER, "alias": "x" * 65}, "alias"),
    (PhoneNumberProvider, {**NUMBER, "alias": ""}, "alias"),
    (PhoneNumberProvider, {**NUMBER, "cnam_lookups_enabled": "yes"}, "cnam_lookups_enabled"),
    (PhoneNumberProvider, {**NUMBER, "adopt": "true"}, "adopt"),
    (PhoneNumberProvider, {**NUMBER, "release_on_delete": 1}, "release_on_delete"),
    (PhoneNumberProvider, {**NUMBER, "max_setup_cost": -1.0}, "max_setup_cost"),
    (PhoneNumberProvider, {**NUMBER, "max_monthly_cost": "cheap"}, "max_monthly_cost"),
    (PhoneNumberProvider, {"search": {"starts_with": "206"}, "adopt": True}, "adopt"),
    (InboundRouteProvider, {**ROUTE, "route_type": "fax"}, "route_type"),
    (InboundRouteProvider, {**ROUTE, "route_type": None}, "route_type"),
    (InboundRouteProvider, {**ROUTE, "value": None}, "value"),
    (InboundRouteProvider, {**ROUTE, "value": "sip .example.com"}, "value"),
    (InboundRouteProvider, {**ROUTE, "value": "pbx.example.com:99999"}, "value"),
    (InboundRouteProvider, {**ROUTE, "route_type": "number", "value": "sip.example.com"}, "value"),
    (InboundRouteProvider, {**ROUTE, "route_type": "number", "value": "2065550100"}, "value"),
    (
        InboundRouteProvider,
        {**ROUTE, "route_type": "uri", "value": "help@pbx.example.com"},
        "value",
    ),
    (
        InboundRouteProvider,
        {**ROUTE, "route_type": "uri", "value": "sip:help@pbx.example.com;transport=sctp"},
        "value",
    ),
    (InboundRouteProvider, {**ROUTE, "alias": ""}, "alias"),
    (InboundRouteProvider, {**ROUTE, "alias": "a" * 65}, "alias"),
    (InboundRouteProvider, {**ROUTE, "edge_strategy_id": 1.5}, "edge_strategy_id"),
    (InboundRouteProvider, {**ROUTE, "edge_strategy_id": -2}, "edge_strategy_id"),
    (NumberRoutingProvider, {**ROUTING, "number": "555-1234"}, "number"),
    (NumberRoutingProvider, {**ROUTING, "number": None}, "number"),
    (NumberRoutingProvider, {**ROUTING, "primary_route_id": ""}, "primary_route_id"),
    (NumberRoutingProvider, {**ROUTING, "primary_route_id": None}, "primary_route_id"),
    (NumberRoutingProvider, {**ROUTING, "primary_route_id": "pbx"}, "primary_route_id"),
    (NumberRoutingProvider, {**ROUTING, "failover_route_id": ""}, "failover_route_id"),
    (NumberRoutingProvider, {**ROUTING, "failover_route_id": 3.5}, "failover_route_id"),
    # Unicode digits pass str.isdigit() but are not digits to Flowroute.
    (PhoneNumberProvider, {"number": "1206555\u0661\u0662\u0663\u0664"}, "number"),
    (PhoneNumberProvider, {"search": {"starts_with": "\u00b2\u2070\u2076"}}, "search.starts_with"),
    (PhoneNumberProvider, {"search": {"contains": "\uff15\uff15\uff15"}}, "search.contains"),
    (
        NumberRoutingProvider,
        {**ROUTING, "primary_route_id": "\u0669\u0668\u0663\u0669\u0666"},
        "primary_route_id",
    ),
    # NANP: the area code and the exchange never start with 0 or 1.
    (PhoneNumberProvider, {"number": "11065551234"}, "number"),
    (PhoneNumberProvider, {"number": "12061551234"}, "number"),
    (InboundRouteProvider, {**ROUTE, "route_type": "number", "value": "12060550100"}, "value"),
    # A trailing newline slips past a regex anchored with $.
    (InboundRouteProvider, {**ROUTE, "value": "sip.example.com\n"}, "value"),
    (
        InboundRouteProvider,
        {**ROUTE, "route_type": "uri", "value": "sip:help@pbx.example.com\n"},
        "value",
    ),
    (InboundRouteProvider, {**ROUTE, "value": ".".join(["a" * 63] * 4)}, "value"),
    (PhoneNumberProvider, {"search": {"rate_center": "s" * 65}}, "search.rate_center"),
    (PhoneNumberProvider, {"search": {"rate_center": "seattle\n"}}, "search.rate_center"),
    (PhoneNumberProvider, {**NUMBER, "alias": "line\r\nInjected: yes"}, "alias"),
    (PhoneNumberProvider, {**NUMBER, "alias": "nul\x00byte"}, "alias"),
    (InboundRouteProvider, {**ROUTE, "alias": "\x1b[31mred"}, "alias"),
    (NumberRoutingProvider, {**ROUTING, "primary_route_id": "9" * 20}, "primary_route_id"),
    (NumberRoutingProvider, {**ROUTING, "failover_route_id": 2.0**31}, "failover_route_id"),
    # Found by trying: a sign, or a newline or record separator pasted inside the digits.
    (PhoneNumberProvider, {"number": "-12065551234"}, "number"),
    (PhoneNumberProvider, {"number": "1206555\n1234"}, "number"),
    (PhoneNumberProvider, {"number": "1206555\x1c1234"}, "number"),
    (PhoneNumberProvider, {"number": "+1 (206) 555-1234 ext 5"}, "number"),
    # Characters that reorder or hide text on a terminal, and a lone surrogate.
    (PhoneNumberProvider, {**NUMBER, "alias": "Support\u202eenil"}, "alias"),
    (PhoneNumberProvider, {**NUMBER, "alias": "Sup\u200bport"}, "alias"),
    (InboundRouteProvider, {**ROUTE, "alias": "pbx\ud800"}, "alias"),
    (InboundRouteProvider, {**ROUTE, "edge_strategy_id": 2**40}, "edge_strategy_id"),
    (InboundRouteProvider, {**ROUTE, "edge_strategy_id": 0}, "edge_strategy_id"),
    (
        NumberRoutingProvider,
        {**ROUTING, "primary_route_id": "../../v2/numbers"},
        "primary_route_id",
    ),
]


@pytest.mark.parametrize(
    ("cls", "news", "prop"),
    CASES,
    ids=[f"{c.__name__[:-8]}-{p}-{i}" for i, (c, _, p) in enumerate(CASES)],
)
def test_bad_input_is_refused_before_any_request(
    mock: MockFlowroute, cls: type[FlowrouteProvider], news: dict[str, Any], prop: str
) -> None:
    result = configured(cls).check({}, news)
    assert [f.property for f in result.failures] == [prop]
    reason = result.failures[0].reason
    assert reason.startswith(f"{prop} = ")
    assert "is not valid:" in reason
    assert mock.requests() == []


def test_the_table_is_broad() -> None:
    assert len(CASES) >= 30
    assert {c for c, _, _ in CASES} == {
        PhoneNumberProvider,
        InboundRouteProvider,
        NumberRoutingProvider,
    }


def test_every_mistake_is_reported_at_once(mock: MockFlowroute) -> None:
    result = configured(PhoneNumberProvider).check(
        {}, {"number": "123", "alias": "", "max_setup_cost": -5}
    )
    assert {f.property for f in result.failures} == {"number", "alias", "max_setup_cost"}


def test_a_huge_value_is_named_without_being_repeated(mock: MockFlowroute) -> None:
    result = configured(PhoneNumberProvider).check({}, {"number": "1" * 1_000_000})
    [failure] = result.failures
    assert failure.property == "number"
    assert len(failure.reason) < 400
    assert "(1000002 characters)" in failure.reason


@pytest.mark.parametrize(
    ("convert", "kind", "source"),
    [
        (as_route_id, "route", "an InboundRoute's route_id"),
        (as_e911_id, "E911 address", "an E911Address's e911_id"),
        (as_cnam_id, "caller name", "a CnamRecord's cnam_id"),
    ],
)
def test_an_id_conversion_names_the_kind_it_converts(
    convert: Callable[[Any], str], kind: str, source: str
) -> None:
    assert convert(" 42 ") == "42"
    assert convert(42.0) == "42"
    with pytest.raises(ValueError, match=re.escape(f"use a Flowroute {kind} id such as '")):
        convert("abc")
    with pytest.raises(ValueError, match=re.escape(f"' ({source})")):
        convert("abc")
    too_big = f"{kind} ids are at most 2147483647; use {source}, e.g."
    with pytest.raises(ValueError, match=re.escape(too_big)):
        convert("2147483648")


def test_a_whole_number_is_asked_for_in_words() -> None:
    assert as_int(3.0) == 3
    with pytest.raises(ValueError, match=r"^use a whole number$"):
        as_int(1.5)


WEBHOOK_PASSWORD = "s3cr3t-pw"


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        (
            f"https://hook:{WEBHOOK_PASSWORD}@hooks.example.com/sms",
            "https://***@hooks.example.com/sms",
        ),
        (f"http://{WEBHOOK_PASSWORD}@127.0.0.1:8080?to=a@b", "http://***@127.0.0.1:8080?to=a@b"),
    ],
)
def test_a_webhook_url_with_a_password_is_refused_without_repeating_it(
    url: str, redacted: str
) -> None:
    with pytest.raises(SecretInValue) as raised:
        as_webhook_url(url)
    assert "user name and password (user:password@)" in str(raised.value)
    assert "in clear in the state" in str(raised.value)
    assert WEBHOOK_PASSWORD not in str(raised.value)
    assert raised.value.redacted == redacted
    # An @ past the host (a query, a path) is no password.
    assert as_webhook_url("https://hooks.example.com/sms?to=a@b") == (
        "https://hooks.example.com/sms?to=a@b"
    )


def test_the_refusal_of_a_webhook_url_never_shows_its_password(mock: MockFlowroute) -> None:
    url = f"https://hook:{WEBHOOK_PASSWORD}@hooks.example.com/sms"
    result = configured(MessagingCallbacksProvider).check({}, {"sms_url": url})
    [failure] = result.failures
    assert failure.property == "sms_url"
    assert "user name and password" in failure.reason
    assert WEBHOOK_PASSWORD not in failure.reason
    assert "'https://***@hooks.example.com/sms'" in failure.reason
    # Nor when the URL is refused for a control character first.
    result = configured(MessagingCallbacksProvider).check({}, {"sms_url": url + "\x1b"})
    [failure] = result.failures
    assert "remove the character" in failure.reason
    assert WEBHOOK_PASSWORD not in failure.reason
