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

from typing import Any

import pulumi

from .config import CONFIG_KEYS, read_config
from .deployment import DEPLOYMENT

PROVIDER_NAME = "flowroute"
_CREDENTIALS = {CONFIG_KEYS["access_key"][0], CONFIG_KEYS["secret_key"][0]}


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
    # Once per run, found by the engine's address (deployment.run_key), not by the SDK's
    # monitor client: a component provider gets a new client for each Construct of one run.
    return DEPLOYMENT.once_per_run(_register)


def served_by_flowroute(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """``opts`` with the run's ``flowroute`` provider, unless they name a provider already."""
    if opts is not None and opts.provider is not None:
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(provider=engine_provider()))
