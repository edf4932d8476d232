"""The provider's checks and the emulator's rules, written apart, give the same verdicts.

Each side keeps its own copy of Flowroute's value rules (the emulator never imports the code it
tests), so this is what pins them together: the same inputs go to the provider's ``check`` and
to the emulator's rules. Whatever the provider accepts, Flowroute must accept too, or a fleet
would fail after buying; and on the cases written out here they agree both ways.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_flowroute.cnam_record import CnamRecordProvider
from pulumi_flowroute.emulator import rules
from pulumi_flowroute.inbound_route import InboundRouteProvider
from pulumi_flowroute.messaging_callbacks import MessagingCallbacksProvider

ROUTES = [
    ("host", "sip.example.com:5060"),
    ("host", "sip.example.com"),
    ("host", "10.0.0.7"),
    ("host", "10.0.0.7:5061"),
    ("host", "[2001:db8::1]:5060"),
    ("host", "2001:db8::1"),
    ("host", "1.2.3.4:99999"),
    ("host", "1.2.3.4:0"),
    ("host", "-bad-.example.com"),
    ("host", "12345"),
    ("host", "sip.example.com:"),
    ("host", "sip example.com"),
    ("number", "12065550100"),
    ("number", "2065550100"),
    ("number", "120655501000"),
    ("uri", "sip:alice@pbx.example.com:5060;transport=tls"),
    ("uri", "sips:pbx.example.com"),
    ("uri", "sip:alice@[2001:db8::1]:5060"),
    ("uri", "http://pbx.example.com"),
    ("uri", "sip:alice@pbx.example.com;transport=sctp"),
    ("uri", "sip:alice@pbx.example.com:70000"),
    ("uri", "sip:[a]"),  # brackets hold an IP literal, not a name (found by hypothesis)
    ("host", "[pbx.example.com]:5060"),
]
CALLER_NAMES = ["ACME", "ACME SUPPORT", "A&B Plumbing", "O'Neil", "x" * 15, "x" * 16, "", "Café"]
CALLBACKS = [
    "https://hooks.example.com/sms",
    "http://hooks.example.com/sms",
    "https://hooks.example.com:8443/a?b=c",
    "ftp://hooks.example.com/sms",
    "https://",
    "hooks.example.com/sms",
    "https://hooks.example.com/a b",
]


def provider_accepts_route(route_type: str, value: str) -> bool:
    news = {"route_type": route_type, "value": value, "alias": "a", "alias_prefix": "p"}
    return InboundRouteProvider().check({}, news).failures == []


def provider_accepts_caller_name(value: str) -> bool:
    return CnamRecordProvider().check({}, {"value": value}).failures == []


def provider_accepts_callback(url: str) -> bool:
    return MessagingCallbacksProvider().check({}, {"sms_url": url}).failures == []


@pytest.mark.parametrize(("route_type", "value"), ROUTES)
def test_route_values_get_one_verdict(route_type: str, value: str) -> None:
    emulator = rules.route_value_problem(route_type, value) is None
    assert provider_accepts_route(route_type, value) == emulator


@pytest.mark.parametrize("value", CALLER_NAMES)
def test_caller_names_get_one_verdict(value: str) -> None:
    assert provider_accepts_caller_name(value) == (rules.cnam_problem(value) is None)


@pytest.mark.parametrize("url", CALLBACKS)
def test_webhook_urls_get_one_verdict(url: str) -> None:
    assert provider_accepts_callback(url) == rules.callback_url_ok(url)


HOSTISH = st.text(alphabet="abc019.-:[]", max_size=24)
SIPISH = st.builds(
    lambda scheme, rest: scheme + rest, st.sampled_from(["sip:", "sips:", "tel:"]), HOSTISH
)


@settings(max_examples=300, deadline=None)
@given(
    route_type=st.sampled_from(rules.ROUTE_TYPES),
    value=st.one_of(HOSTISH, SIPISH, st.from_regex(r"1?[0-9]{9,11}", fullmatch=True)),
)
def test_no_route_value_the_provider_accepts_is_refused_by_flowroute(
    route_type: str, value: str
) -> None:
    if provider_accepts_route(route_type, value):
        assert rules.route_value_problem(route_type, value) is None, (route_type, value)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="AZaz09 -_.,@+&'/\"<>é!", max_size=18))
def test_no_caller_name_the_provider_accepts_is_refused_by_flowroute(value: str) -> None:
    if provider_accepts_caller_name(value):
        assert rules.cnam_problem(value) is None, value
