"""The provider instance the engine serves every Flowroute resource with, one per program run.

Left to itself the engine gives a dynamic resource its *default* ``pulumi-python`` provider,
and hands that provider the stack's whole config, which it keeps in the state twice (inputs
and outputs). For the stack-config fleet that is every number's entry again: about 250 bytes
per number, written at every checkpoint. The library registers its own ``pulumi-python``
provider instead, named ``flowroute``, whose inputs are the ``flowroute:*`` settings alone
(credentials as secrets). The engine starts it exactly as it starts the default one, and a
stack deployed under the default provider moves to it without any change to its resources:
the dynamic provider has no ``DiffConfig``, which the engine reads as "nothing to replace".
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import pulumi

from .config import CONFIG_KEYS, read_config

T = TypeVar("T")
PROVIDER_NAME = "flowroute"
_CREDENTIALS = {CONFIG_KEYS["access_key"][0], CONFIG_KEYS["secret_key"][0]}
# One of each per program run, found by the run's resource monitor (a process may run several
# programs: tests, mocks). The root resource would not do: mocks never reset it.
_PER_RUN: weakref.WeakKeyDictionary[object, dict[Callable[[], Any], Any]] = (
    weakref.WeakKeyDictionary()
)


def once_per_run(make: Callable[[], T]) -> T:
    """``make()``'s result, made on the first call in this program run and kept for the rest."""
    run = pulumi.runtime.settings.get_monitor()
    made = _PER_RUN.setdefault(run, {})
    if make not in made:
        made[make] = make()
    return made[make]  # type: ignore[no-any-return]


def _register() -> pulumi.ProviderResource:
    settings: dict[str, Any] = {
        key: pulumi.Output.secret(value)
        if key in _CREDENTIALS or pulumi.runtime.is_config_secret(key)
        else value
        for key, value in read_config(pulumi.runtime.get_config).items()
    }
    return pulumi.ProviderResource("pulumi-python", PROVIDER_NAME, settings)


def engine_provider() -> pulumi.ProviderResource:
    """This run's ``flowroute`` provider: the stack's ``flowroute:*`` settings and nothing else."""
    return once_per_run(_register)


def served_by_flowroute(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """``opts`` with the run's ``flowroute`` provider, unless they name a provider already."""
    if opts is not None and opts.provider is not None:
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(provider=engine_provider()))
