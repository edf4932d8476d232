"""The provider instances the engine serves the library's resources with.

Left to itself the engine gives a dynamic resource its *default* ``pulumi-python`` provider,
and hands that provider the stack's whole config, which it keeps in the state twice (inputs
and outputs). For the stack-config fleet that is every number's entry again: about 250 bytes
per number, written at every checkpoint. The library registers its own ``pulumi-python``
provider instead, named ``flowroute``, whose inputs are the ``flowroute:*`` settings alone
(credentials as secrets). The engine starts it exactly as it starts the default one, and a
stack deployed under the default provider moves to it without any change to its resources:
the dynamic provider has no ``DiffConfig``, which the engine reads as "nothing to replace".

:class:`Provider` is the same kind of provider instance with settings of its own, for a
program that manages more than the stack config's account: a resource given one
(``opts=pulumi.ResourceOptions(provider=...)``, or inherited from a component's options, as
Pulumi does for every provider) is served by it; any other by the ``flowroute`` one. The
engine starts one provider process per instance, each configured with its own inputs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.runtime.sync_await import _sync_await

from .config import CONFIG_KEYS, EMULATOR_SCHEME, parse_base_url, read_config
from .deployment import DEPLOYMENT
from .errors import ConfigError, ResourceError

#: The package of every dynamic resource, and of the provider instances that serve them.
PACKAGE = "pulumi-python"
PROVIDER_NAME = "flowroute"
#: A type of the package: what a resource's options are asked for the provider serving it.
DYNAMIC_TYPE = f"{PACKAGE}:dynamic:Resource"
_CREDENTIALS = {CONFIG_KEYS["access_key"][0], CONFIG_KEYS["secret_key"][0]}
#: A :class:`Provider` argument by the config key it stands for.
ARGUMENTS = {
    "access_key": CONFIG_KEYS["access_key"][0],
    "secret_key": CONFIG_KEYS["secret_key"][0],
    "base_url": CONFIG_KEYS["base_url"][0],
    "timeout_seconds": CONFIG_KEYS["timeout"][0],
    "settle_seconds": CONFIG_KEYS["settle"][0],
}
_SECONDS_LIMIT = 3600


def _register() -> pulumi.ProviderResource:
    settings: dict[str, Any] = {
        key: pulumi.Output.secret(value)
        if key in _CREDENTIALS or pulumi.runtime.is_config_secret(key)
        else value
        for key, value in read_config(pulumi.runtime.get_config).items()
    }
    return pulumi.ProviderResource(PACKAGE, PROVIDER_NAME, settings)


def engine_provider() -> pulumi.ProviderResource:
    """This run's ``flowroute`` provider: the stack's ``flowroute:*`` settings and nothing else."""
    # Once per run, found by the engine's address (deployment.run_key), not by the SDK's
    # monitor client: a component provider gets a new client for each Construct of one run.
    return DEPLOYMENT.once_per_run(_register)


class Provider(pulumi.ProviderResource):
    """A Flowroute account for the library's resources, beside the stack config's.

    Give it to a resource (``opts=pulumi.ResourceOptions(provider=prod)``) or a component,
    whose children inherit it, and to a lookup (``get_number(n, provider=prod)``)::

        prod = flowroute.Provider("prod", access_key="12345678",
                                  secret_key=config.require_secret("prodSecretKey"))

    A setting left out falls back on its ``FLOWROUTE_*`` environment variable, never on the
    stack's ``flowroute:*`` config, which stays the account of every resource given no
    provider. Both keys are kept in the state as secrets, however they are given. Settings
    known when the program runs are checked here, so a mistake stops ``pulumi preview`` on
    one line. The name ``flowroute`` is the stack config's provider's own.
    """

    def __init__(
        self,
        resource_name: str,
        *,
        access_key: pulumi.Input[str] | None = None,
        secret_key: pulumi.Input[str] | None = None,
        base_url: pulumi.Input[str] | None = None,
        timeout_seconds: pulumi.Input[float] | None = None,
        settle_seconds: pulumi.Input[float] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        given = {
            "access_key": access_key,
            "secret_key": secret_key,
            "base_url": base_url,
            "timeout_seconds": timeout_seconds,
            "settle_seconds": settle_seconds,
        }
        _refuse_unusable(resource_name, given)
        settings: dict[str, Any] = {
            ARGUMENTS[name]: pulumi.Output.secret(value)
            if ARGUMENTS[name] in _CREDENTIALS
            else value
            for name, value in given.items()
            if value is not None
        }
        super().__init__(PACKAGE, resource_name, settings, opts)
        self._given = {key: value for key, value in settings.items()}

    def config_output(self) -> pulumi.Output[dict[str, str]]:
        """Its ``flowroute:*`` settings as its provider process reads them, as an Output."""
        return pulumi.Output.all(*self._given.values()).apply(
            lambda values: {
                key: str(value)
                for key, value in zip(self._given, values, strict=True)
                if value is not None
            }
        )

    def config_now(self, owner: str) -> dict[str, str]:
        """Its ``flowroute:*`` settings, waited for (as a synchronous invoke waits for its
        provider); ConfigError naming ``owner`` when one is not known in this run."""
        output = self.config_output()
        config = _sync_await(output.future())
        if config is None:
            raise ConfigError(
                f"{owner}: the settings of provider {self._name!r} are not known until "
                f"`pulumi up`; use the lookup's _output form"
            )
        return config


def _known(value: object) -> bool:
    """A value the program has now (not an Output or a future)."""
    return isinstance(value, str | int | float)


def _refuse_unusable(name: str, given: Mapping[str, Any]) -> None:
    """Raise ConfigError (one line, naming the provider) on settings it could never serve;
    a setting known only at ``up`` (an Output) is checked by the provider process."""
    owner = f"pulumi_flowroute.Provider {name!r}"
    if name == PROVIDER_NAME:
        raise ConfigError(
            f"{owner}: {PROVIDER_NAME!r} is the stack config's provider; name yours after "
            "its account (e.g. 'prod')"
        )
    for argument in ("timeout_seconds", "settle_seconds"):
        value = given[argument]
        if _known(value) and not _seconds(value):
            raise ConfigError(
                f"{owner}: {argument}={value!r} is not a number of seconds; give one between "
                f"0 and {_SECONDS_LIMIT}"
            )
    base_url = given["base_url"]
    if base_url is not None and not _known(base_url):
        return
    if base_url is not None:
        try:
            parse_base_url(str(base_url))
        except ConfigError as error:
            message = str(error).replace("flowroute:baseUrl", "base_url")
            raise ConfigError(f"{owner}: {message}") from None
        if str(base_url).strip().startswith(EMULATOR_SCHEME):
            return  # the embedded emulator needs no keys
    missing = [
        f"{argument}= (or {CONFIG_KEYS[argument][1]})"
        for argument in ("access_key", "secret_key")
        if not _present(given[argument])
        and not os.environ.get(CONFIG_KEYS[argument][1], "").strip()
    ]
    if missing:
        raise ConfigError(
            f"{owner}: Flowroute credentials are missing: give {' and '.join(missing)}, e.g. "
            "secret_key=pulumi.Config().require_secret('prodSecretKey')"
        )


def _present(value: object) -> bool:
    """Given: an Output counts (its value comes later), a blank text does not."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _seconds(value: str | float) -> bool:
    """A number of seconds the client can wait: more than 0, at most an hour."""
    if isinstance(value, bool):
        return False
    try:
        return 0 < float(value) <= _SECONDS_LIMIT
    except ValueError:
        return False


def serving(opts: pulumi.ResourceOptions | None) -> pulumi.ProviderResource | None:
    """The ``pulumi-python`` provider the SDK will give a resource with ``opts``, if they name
    one: their ``provider``, their ``providers``' one, or their parent's (inherited)."""
    if opts is None:
        return None
    if opts.provider is not None and opts.provider.package == PACKAGE:
        return opts.provider
    providers = opts.providers
    if isinstance(providers, Mapping):
        found = providers.get(PACKAGE)
        if found is not None:
            return found
    elif providers:
        for provider in providers:
            if provider.package == PACKAGE:
                return provider
    if opts.parent is not None:
        return opts.parent.get_provider(DYNAMIC_TYPE)
    return None


def served_by_flowroute(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """``opts`` with the run's ``flowroute`` provider, unless they name a provider already
    (a :class:`Provider`, given or inherited from a component)."""
    if serving(opts) is not None:
        return opts  # type: ignore[return-value]
    if opts is not None and opts.provider is not None:
        raise ResourceError(
            f"opts.provider is a provider of the {opts.provider.package!r} package, which "
            "serves no pulumi_flowroute resource: give a pulumi_flowroute.Provider"
        )
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(provider=engine_provider()))
