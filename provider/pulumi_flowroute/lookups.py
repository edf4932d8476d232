"""Read-only lookups for Pulumi programs: what is for sale, what the account holds, one number.

They run in the program process while it is being evaluated (preview and up alike), with the
same ``flowroute:*`` stack config and ``FLOWROUTE_*`` fallbacks as the resources. Each has an
``_output`` form that takes Inputs (another resource's outputs) and returns an Output, as
Pulumi packages do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pulumi

from .client import AvailableNumber, FlowrouteClient, Number
from .config import read_config, resolve_settings
from .connect import connect

T = TypeVar("T")


def _client() -> FlowrouteClient:
    settings = resolve_settings(read_config(pulumi.runtime.get_config))
    return connect(settings)


def get_available_numbers(
    *,
    starts_with: str | None = None,
    contains: str | None = None,
    ends_with: str | None = None,
    rate_center: str | None = None,
    state: str | None = None,
    limit: int = 10,
) -> list[AvailableNumber]:
    """Up to ``limit`` numbers for sale matching the filters, with their costs."""
    client = _client()
    try:
        return list(
            client.search_available(
                starts_with=starts_with,
                contains=contains,
                ends_with=ends_with,
                rate_center=rate_center,
                state=state,
                limit=limit,
            )
        )
    finally:
        client.close()


def get_number(number: str) -> Number:
    """Details of a number on the account, including its primary and failover routes.

    Raises :class:`pulumi_flowroute.NotFound` when the number is not on the account.
    """
    client = _client()
    try:
        return client.get_number(number)
    finally:
        client.close()


def get_numbers(
    *,
    starts_with: str | None = None,
    contains: str | None = None,
    ends_with: str | None = None,
    limit: int | None = None,
) -> list[Number]:
    """Numbers on the account matching the digit filters (all of them without ``limit``).

    Listed numbers carry no routes: use :func:`get_number` for one number's routing.
    """
    client = _client()
    try:
        return list(
            client.list_numbers(
                starts_with=starts_with, contains=contains, ends_with=ends_with, limit=limit
            )
        )
    finally:
        client.close()


def _lifted(lookup: Callable[..., T], inputs: dict[str, Any]) -> pulumi.Output[T]:
    return pulumi.Output.from_input(inputs).apply(lambda resolved: lookup(**resolved))


def get_available_numbers_output(
    *,
    starts_with: pulumi.Input[str | None] = None,
    contains: pulumi.Input[str | None] = None,
    ends_with: pulumi.Input[str | None] = None,
    rate_center: pulumi.Input[str | None] = None,
    state: pulumi.Input[str | None] = None,
    limit: pulumi.Input[int] = 10,
) -> pulumi.Output[list[AvailableNumber]]:
    """:func:`get_available_numbers` over Inputs."""
    return _lifted(
        get_available_numbers,
        {
            "starts_with": starts_with,
            "contains": contains,
            "ends_with": ends_with,
            "rate_center": rate_center,
            "state": state,
            "limit": limit,
        },
    )


def get_numbers_output(
    *,
    starts_with: pulumi.Input[str | None] = None,
    contains: pulumi.Input[str | None] = None,
    ends_with: pulumi.Input[str | None] = None,
    limit: pulumi.Input[int | None] = None,
) -> pulumi.Output[list[Number]]:
    """:func:`get_numbers` over Inputs."""
    return _lifted(
        get_numbers,
        {"starts_with": starts_with, "contains": contains, "ends_with": ends_with, "limit": limit},
    )


def get_number_output(number: pulumi.Input[str]) -> pulumi.Output[Number]:
    """:func:`get_number` over an Input, e.g. a ``PhoneNumber``'s ``number``."""
    return _lifted(get_number, {"number": number})
