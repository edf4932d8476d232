"""Read-only lookups for Pulumi programs: what is for sale, what the account holds, one number.

They run in the program process while it is being evaluated (preview and up alike), with the
same ``flowroute:*`` stack config and ``FLOWROUTE_*`` fallbacks as the resources, or on the
account of an explicit :class:`~.engine_provider.Provider` given as ``provider=`` (or in
``opts=pulumi.InvokeOptions(provider=...)``, or inherited from ``opts``' parent). Each has an
``_output`` form that takes Inputs (another resource's outputs) and returns an Output, as
Pulumi packages do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import pulumi

from .client import (
    AvailableNumber,
    CallerName,
    EdgeStrategy,
    EmergencyAddress,
    FlowrouteClient,
    Number,
)
from .config import read_config, resolve_settings
from .connect import connect
from .engine_provider import DYNAMIC_TYPE, PACKAGE, Provider
from .errors import ConfigError

T = TypeVar("T")


#: The client a lookup uses instead of one for the stack's settings (the provider plugin's).
_CLIENT: ContextVar[FlowrouteClient | None] = ContextVar("flowroute_lookup_client", default=None)


@contextmanager
def using(client: FlowrouteClient) -> Iterator[None]:
    """Run the lookups called within on ``client`` (an account other than the stack's)."""
    token = _CLIENT.set(client)
    try:
        yield
    finally:
        _CLIENT.reset(token)


def _ask(call: Callable[[FlowrouteClient], T], account: Provider | None = None) -> T:
    """``call`` with a client for ``account``'s settings, or else the stack's, closed
    afterwards."""
    given = _CLIENT.get()
    if account is None and given is not None:
        return call(given)
    config = (
        read_config(pulumi.runtime.get_config)
        if account is None
        else account.config_now(f"a lookup on provider {account._name!r}")
    )
    client = connect(resolve_settings(config))
    try:
        return call(client)
    finally:
        client.close()


def account_of(
    provider: pulumi.ProviderResource | None, opts: pulumi.InvokeOptions | None
) -> Provider | None:
    """The explicit account a lookup is asked on: ``provider``, else ``opts``' provider, else
    the one ``opts``' parent passes on to its children; None for the stack config's."""
    chosen = provider
    if chosen is None and opts is not None:
        chosen = opts.provider
        if chosen is None and opts.parent is not None:
            chosen = opts.parent.get_provider(DYNAMIC_TYPE)
    if chosen is None or isinstance(chosen, Provider):
        return chosen
    if chosen.package == PACKAGE:
        return None  # the stack config's own (a parent served by it)
    raise ConfigError(
        f"a lookup was given a provider of the {chosen.package!r} package, which serves no "
        "pulumi_flowroute lookup: give a pulumi_flowroute.Provider"
    )


#: Every lookup's last two keywords: the account to ask, when not the stack config's.
Account = pulumi.ProviderResource | None
Invoke = pulumi.InvokeOptions | None


def get_available_numbers(
    *,
    starts_with: str | None = None,
    contains: str | None = None,
    ends_with: str | None = None,
    rate_center: str | None = None,
    state: str | None = None,
    limit: int = 10,
    provider: Account = None,
    opts: Invoke = None,
) -> list[AvailableNumber]:
    """Up to ``limit`` numbers for sale matching the filters, with their costs."""
    return _ask(
        lambda client: list(
            client.search_available(
                starts_with=starts_with,
                contains=contains,
                ends_with=ends_with,
                rate_center=rate_center,
                state=state,
                limit=limit,
            )
        ),
        account_of(provider, opts),
    )


def get_number(number: str, *, provider: Account = None, opts: Invoke = None) -> Number:
    """Details of a number on the account, including its primary and failover routes.

    Raises :class:`pulumi_flowroute.NotFound` when the number is not on the account.
    """
    return _ask(lambda client: client.get_number(number), account_of(provider, opts))


def get_numbers(
    *,
    starts_with: str | None = None,
    contains: str | None = None,
    ends_with: str | None = None,
    limit: int | None = None,
    provider: Account = None,
    opts: Invoke = None,
) -> list[Number]:
    """Numbers on the account matching the digit filters (all of them without ``limit``).

    Listed numbers carry no routes: use :func:`get_number` for one number's routing.
    """
    return _ask(
        lambda client: list(
            client.list_numbers(
                starts_with=starts_with, contains=contains, ends_with=ends_with, limit=limit
            )
        ),
        account_of(provider, opts),
    )


def get_e911_addresses(
    *,
    label: str | None = None,
    street_name: str | None = None,
    city: str | None = None,
    state: str | None = None,
    limit: int | None = None,
    provider: Account = None,
    opts: Invoke = None,
) -> list[EmergencyAddress]:
    """E911 addresses on the account; label, street name and city match in part, ignoring case.

    For the adopt path: declare an ``E911Address`` as it is stored, with ``adopt=True``.
    """
    return _ask(
        lambda client: list(
            client.list_addresses(
                label=label, street_name=street_name, city=city, state=state, limit=limit
            )
        ),
        account_of(provider, opts),
    )


def get_cnam_records(
    *,
    value: str | None = None,
    is_approved: bool | None = None,
    limit: int | None = None,
    provider: Account = None,
    opts: Invoke = None,
) -> list[CallerName]:
    """Caller-name records on the account; ``value`` matches in part, ignoring case."""
    return _ask(
        lambda client: list(
            client.list_caller_names(value=value, is_approved=is_approved, limit=limit)
        ),
        account_of(provider, opts),
    )


def get_edge_strategies(*, provider: Account = None, opts: Invoke = None) -> list[EdgeStrategy]:
    """Flowroute's edge strategies (media regions), for ``InboundRoute.edge_strategy_id``."""
    return _ask(lambda client: client.list_edge_strategies(), account_of(provider, opts))


def _lifted(
    lookup: Callable[..., T], inputs: dict[str, Any], provider: Account, opts: Invoke
) -> pulumi.Output[T]:
    account = account_of(provider, opts)
    if account is None:
        return pulumi.Output.from_input(inputs).apply(lambda resolved: lookup(**resolved))
    # The settings' secrets stay in this process: the lookup's answer is not one.
    config = pulumi.Output.unsecret(account.config_output())
    return pulumi.Output.all(pulumi.Output.from_input(inputs), config).apply(
        lambda both: _on_account(both[1], lambda: lookup(**both[0]))
    )


def _on_account(config: dict[str, str], lookup: Callable[[], T]) -> T:
    """``lookup()`` on the account these ``flowroute:*`` settings name."""
    client = connect(resolve_settings(config))
    try:
        with using(client):
            return lookup()
    finally:
        client.close()


def get_available_numbers_output(
    *,
    starts_with: pulumi.Input[str | None] = None,
    contains: pulumi.Input[str | None] = None,
    ends_with: pulumi.Input[str | None] = None,
    rate_center: pulumi.Input[str | None] = None,
    state: pulumi.Input[str | None] = None,
    limit: pulumi.Input[int] = 10,
    provider: Account = None,
    opts: Invoke = None,
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
        provider,
        opts,
    )


def get_numbers_output(
    *,
    starts_with: pulumi.Input[str | None] = None,
    contains: pulumi.Input[str | None] = None,
    ends_with: pulumi.Input[str | None] = None,
    limit: pulumi.Input[int | None] = None,
    provider: Account = None,
    opts: Invoke = None,
) -> pulumi.Output[list[Number]]:
    """:func:`get_numbers` over Inputs."""
    return _lifted(
        get_numbers,
        {"starts_with": starts_with, "contains": contains, "ends_with": ends_with, "limit": limit},
        provider,
        opts,
    )


def get_number_output(
    number: pulumi.Input[str], *, provider: Account = None, opts: Invoke = None
) -> pulumi.Output[Number]:
    """:func:`get_number` over an Input, e.g. a ``PhoneNumber``'s ``number``."""
    return _lifted(get_number, {"number": number}, provider, opts)


def get_e911_addresses_output(
    *,
    label: pulumi.Input[str | None] = None,
    street_name: pulumi.Input[str | None] = None,
    city: pulumi.Input[str | None] = None,
    state: pulumi.Input[str | None] = None,
    limit: pulumi.Input[int | None] = None,
    provider: Account = None,
    opts: Invoke = None,
) -> pulumi.Output[list[EmergencyAddress]]:
    """:func:`get_e911_addresses` over Inputs."""
    return _lifted(
        get_e911_addresses,
        {"label": label, "street_name": street_name, "city": city, "state": state, "limit": limit},
        provider,
        opts,
    )


def get_cnam_records_output(
    *,
    value: pulumi.Input[str | None] = None,
    is_approved: pulumi.Input[bool | None] = None,
    limit: pulumi.Input[int | None] = None,
    provider: Account = None,
    opts: Invoke = None,
) -> pulumi.Output[list[CallerName]]:
    """:func:`get_cnam_records` over Inputs."""
    return _lifted(
        get_cnam_records,
        {"value": value, "is_approved": is_approved, "limit": limit},
        provider,
        opts,
    )


def get_edge_strategies_output(
    *, provider: Account = None, opts: Invoke = None
) -> pulumi.Output[list[EdgeStrategy]]:
    """:func:`get_edge_strategies` as an Output."""
    return _lifted(get_edge_strategies, {}, provider, opts)
