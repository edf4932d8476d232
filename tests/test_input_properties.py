"""Every input of every resource, fed anything (hypothesis): ``check`` never crashes, what it
accepts is printable text, and what it says about a refusal is one bounded, printable line."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_flowroute.cnam_assignment import CnamAssignmentProvider
from pulumi_flowroute.cnam_record import CnamRecordProvider
from pulumi_flowroute.e911_address import E911AddressProvider
from pulumi_flowroute.e911_assignment import E911AssignmentProvider
from pulumi_flowroute.inbound_route import InboundRouteProvider
from pulumi_flowroute.messaging_callbacks import MessagingCallbacksProvider
from pulumi_flowroute.number_routing import NumberRoutingProvider
from pulumi_flowroute.phone_number import PhoneNumberProvider
from pulumi_flowroute.provider_base import FlowrouteProvider
from pulumi_flowroute.values import control_character

PROVIDERS = [
    PhoneNumberProvider,
    InboundRouteProvider,
    NumberRoutingProvider,
    E911AddressProvider,
    E911AssignmentProvider,
    CnamRecordProvider,
    CnamAssignmentProvider,
    MessagingCallbacksProvider,
]
# What stack config, a program or a hostile paste can put in an input, the engine's floats too.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12).map(lambda s: "1206" + s),
    st.sampled_from(["12065551234", "+1 (206) 555-1234", "206", "98396", "host", "sip:a@b.c"]),
)
VALUES = st.one_of(SCALARS, st.dictionaries(st.text(max_size=12), SCALARS, max_size=4))


def _printable_text(value: Any) -> bool:
    if isinstance(value, str):
        return control_character(value) is None
    if isinstance(value, dict):
        return all(_printable_text(v) for v in value.values())
    return True


@pytest.mark.parametrize("cls", PROVIDERS, ids=lambda cls: cls.__name__)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_check_takes_anything_and_answers_in_one_printable_line(
    cls: type[FlowrouteProvider], data: st.DataObject
) -> None:
    names = list(cls.inputs.names)
    news = data.draw(st.dictionaries(st.sampled_from(names), VALUES, max_size=len(names)))
    result = cls().check({}, news)
    for failure in result.failures:
        reason = failure.reason
        assert "\n" not in reason, reason
        assert control_character(reason) is None, reason
        assert len(reason) < 800, reason
    if not result.failures:
        accepted = {name: result.inputs.get(name) for name in names}
        assert all(_printable_text(value) for value in accepted.values()), accepted
