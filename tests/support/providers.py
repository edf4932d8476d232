"""Helpers for calling the dynamic providers directly, as the provider server would."""

from __future__ import annotations

from typing import Any, TypeVar

from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from pulumi_flowroute.provider_base import FlowrouteProvider
from tests.support.audit import ACCESS_KEY, SECRET_KEY

P = TypeVar("P", bound=FlowrouteProvider)

#: An address Flowroute's geocoder places: an E911Address's inputs.
ADDRESS: dict[str, Any] = {
    "label": "HQ",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "street_number": "1218",
    "street_name": "3rd Ave",
    "city": "Seattle",
    "state": "WA",
    "zip": "98101",
}

STACK_CONFIG = {
    "flowroute:accessKey": ACCESS_KEY,
    "flowroute:secretKey": SECRET_KEY,
    # A lost answer is settled for a second, not the default half minute.
    "flowroute:settleSeconds": "1",
}


def configured(cls: type[P], config: dict[str, str] | None = None) -> P:
    """A provider configured the way ``configure()`` is called by the provider server."""
    provider = cls()
    provider.configure(ConfigureRequest(Config(config or dict(STACK_CONFIG), "flowroute-test")))
    return provider


def checked(
    provider: FlowrouteProvider, news: dict[str, Any], olds: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``provider.check`` that must pass: the inputs the engine would hand to create or update."""
    result = provider.check(olds or {}, news)
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs)
