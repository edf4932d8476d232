"""Read-only lookups for Pulumi programs: what is for sale, and what a number looks like now.

They run in the program process while it is being evaluated (preview and up alike), with the
same ``flowroute:*`` stack config and ``FLOWROUTE_*`` fallbacks as the resources.
"""

from __future__ import annotations

import pulumi

from .client import AvailableNumber, FlowrouteClient, Number
from .config import read_config, resolve_settings


def _client() -> FlowrouteClient:
    settings = resolve_settings(read_config(pulumi.runtime.get_config))
    return FlowrouteClient.from_settings(settings)


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
