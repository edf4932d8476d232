"""Unit tests of your own Pulumi programs: the library's resources served by an emulated account.

``pulumi.runtime.set_mocks`` replaces the engine, and with it every provider: alone, it would
leave the library's resources unserved (and stop them at declaration, the stack config naming
no account). :func:`flowroute_mocks` sets the mocks *and* an emulated Flowroute account: every
Flowroute resource the program declares is checked and created by its real provider code on
that account, so its outputs are what ``pulumi up`` would give (a bought number, a route id),
and the test can look at the account afterwards::

    import pulumi
    import pytest
    from pulumi_flowroute.testing import flowroute_mocks


    @pytest.fixture
    def flowroute():
        with flowroute_mocks(project="infra", stack="test") as account:
            yield account


    @pulumi.runtime.test
    def test_the_support_line_is_routed(flowroute):
        import infra  # your program's module (or declare resources here)

        def check(number):
            assert flowroute.client.get_number(number).primary_route_id != "0"

        return infra.support.number.apply(check)

Needs the ``emulator`` extra (``pip install 'pulumi-flowroute[emulator]'``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi._utils import ContextProperty
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config as DynamicConfig
from pulumi.runtime import rpc

from .client import FlowrouteClient
from .config import CONFIG_KEYS, read_config
from .deployment import forget_deployment
from .errors import ResourceError

try:
    from .emulator import MockFlowroute, mock_flowroute
except ImportError as missing:  # pragma: no cover - the extra is what the tests install
    raise ImportError(
        f"pulumi_flowroute.testing needs the emulator ({missing}); install it with: "
        "pip install 'pulumi-flowroute[emulator]'"
    ) from None

#: Where the SDK keeps a dynamic resource's provider code among its inputs.
PROVIDER_KEY = "__provider"
#: The keys the emulated account takes (any non-empty pair would do).
ACCESS_KEY, SECRET_KEY = "emulator-access-key", "emulator-secret-key"


@dataclass
class EmulatedAccount:
    """What :func:`flowroute_mocks` gives a test: the emulated account and the mocks."""

    #: The account's controls: ``seed_number(...)``, ``requests()``, ``inject_fault(...)``...
    emulator: MockFlowroute
    #: A client on the account, to look at what the program made.
    client: FlowrouteClient
    #: The mocks standing in for the engine: what was declared, with what.
    mocks: FlowrouteMocks


@dataclass
class Declared:
    """A resource the program declared: its type, name, inputs, and the outputs it got."""

    typ: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass
class FlowrouteMocks(pulumi.runtime.Mocks):
    """Mocks that serve every dynamic resource with its own provider, as the engine would.

    A dynamic resource (the library's, or one of your own) is checked and, unless the mocks
    preview, created (or, given an id, read) by the provider it carries, configured with its
    provider instance's inputs (the stack config's ``flowroute`` one, or a
    :class:`~pulumi_flowroute.Provider`); what its ``check`` refuses raises
    :class:`~pulumi_flowroute.ResourceError`. Any other resource and every invoke go to
    ``fallback`` (by default: a resource's inputs are its outputs, its name its id).
    """

    fallback: pulumi.runtime.Mocks | None = None
    preview: bool = False
    #: Every resource declared, in order (the stack's own and provider instances left out).
    declared: list[Declared] = field(default_factory=list)
    _accounts: dict[str, dict[str, str]] = field(default_factory=dict)
    _providers: dict[tuple[str, str], Any] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        inputs = _revealed(args.inputs)
        resource_id: str | None
        if args.typ.startswith("pulumi:providers:"):
            resource_id = f"{args.name}-{next(self._ids)}"
            self._accounts[resource_id] = {k: str(v) for k, v in inputs.items() if v is not None}
            return resource_id, inputs
        if args.typ.startswith("pulumi-python:dynamic") and PROVIDER_KEY in inputs:
            resource_id, outputs = self._served(args, inputs)
        elif self.fallback is not None:
            resource_id, outputs = self.fallback.new_resource(args)
        else:
            resource_id, outputs = (args.name if args.custom else None), inputs
        self.declared.append(Declared(args.typ, args.name, inputs, dict(outputs)))
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        if self.fallback is not None:
            return self.fallback.call(args)
        return {}, None

    def _served(
        self, args: pulumi.runtime.MockResourceArgs, inputs: dict[str, Any]
    ) -> tuple[str | None, dict[str, Any]]:
        provider = self._provider(args.provider or "", inputs[PROVIDER_KEY])
        if args.resource_id:  # a get(): read, as the engine does
            read = provider.read(args.resource_id, inputs)
            return read.id, {**(read.outs or {}), PROVIDER_KEY: inputs[PROVIDER_KEY]}
        checked = provider.check({}, inputs)
        if checked.failures:
            reasons = "; ".join(f"{f.property}: {f.reason}" for f in checked.failures)
            raise ResourceError(f"{args.typ} {args.name!r}: {reasons}")
        news = {**(checked.inputs or inputs), PROVIDER_KEY: inputs[PROVIDER_KEY]}
        if self.preview:
            return None, news
        created = provider.create(news)
        return str(created.id), {**(created.outs or {}), PROVIDER_KEY: inputs[PROVIDER_KEY]}

    def _provider(self, reference: str, code: str) -> Any:
        """The provider the code stands for, configured once per provider instance, as the
        SDK's provider server does."""
        account = reference.rsplit("::", 1)[-1]
        key = (account, code)
        if key not in self._providers:
            import dill  # the SDK's own serializer for dynamic providers

            provider = dill.loads(base64.b64decode(code))
            config = self._accounts.get(account)
            if config is None:  # the SDK's default provider: the stack config
                config = read_config(pulumi.runtime.get_config)
            provider.configure(ConfigureRequest(DynamicConfig(config, pulumi.get_project())))
            self._providers[key] = provider
        return self._providers[key]


def _revealed(value: Any) -> Any:
    """``value`` with every secret the mock monitor wraps unwrapped (the engine hands a
    provider plain values)."""
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, Mapping):
        return {key: _revealed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_revealed(item) for item in value]
    return value


@contextlib.contextmanager
def flowroute_mocks(
    *,
    project: str = "project",
    stack: str = "stack",
    preview: bool = False,
    config: Mapping[str, str] | None = None,
    fallback: pulumi.runtime.Mocks | None = None,
    base_url: str = "https://api.flowroute.com",
) -> Iterator[EmulatedAccount]:
    """Pulumi's mocks, with the stack config's account an emulated one, for one test.

    ``config``: the stack config the program reads (``{"infra:numbers": ...}``), to which the
    ``flowroute:*`` settings of the emulated account are added (the keys as secrets); a
    ``flowroute:baseUrl`` of your own there (``emulator:PATH``, say) wins. ``preview``: the
    resources are checked, not created. ``fallback``: the mocks of every resource that is not
    a dynamic one (your cloud's).

    Within, the program runs in an event loop and with a stack of its own; on the way out the
    SDK's settings, stack and config, the event loop and this process's memory of the
    deployment (:func:`~pulumi_flowroute.provider_base.forget_deployment`) are put back, so the
    next test starts clean.
    """
    emulator = mock_flowroute(base_url, access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    mocks = FlowrouteMocks(fallback=fallback, preview=preview)
    settings = {
        CONFIG_KEYS["access_key"][0]: ACCESS_KEY,
        CONFIG_KEYS["secret_key"][0]: SECRET_KEY,
        CONFIG_KEYS["base_url"][0]: base_url,
        **(config or {}),
    }
    secret = [CONFIG_KEYS["access_key"][0], CONFIG_KEYS["secret_key"][0]]
    with emulator, _sdk_put_back():
        forget_deployment()
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview)
        pulumi.runtime.set_all_config(settings, secret)
        client = FlowrouteClient(ACCESS_KEY, SECRET_KEY, base_url)
        try:
            yield EmulatedAccount(emulator, client, mocks)
        finally:
            client.close()
            forget_deployment()


@contextlib.contextmanager
def _sdk_put_back() -> Iterator[None]:
    """A new event loop and stack for the block; the SDK's settings, stack, config and the
    loop before it put back after (the SDK keeps them in context variables and globals)."""
    runtime = pulumi.runtime
    names = [
        n for n, v in vars(runtime.settings.Settings).items() if isinstance(v, ContextProperty)
    ]
    kept = {name: getattr(runtime.settings.SETTINGS, name) for name in names}
    root, config = runtime.settings.ROOT.get(), runtime.config.CONFIG.get()
    secrets = runtime.config._SECRET_KEYS.get()
    policy = asyncio.get_event_loop_policy()
    try:
        before: asyncio.AbstractEventLoop | None = policy.get_event_loop()
    except RuntimeError:
        before = None
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runtime.settings.ROOT.set(None)
    try:
        yield
    finally:
        for name, value in kept.items():
            setattr(runtime.settings.SETTINGS, name, value)
        runtime.settings.ROOT.set(root)
        runtime.config.CONFIG.set(config)
        runtime.config._SECRET_KEYS.set(secrets)
        asyncio.set_event_loop(before)
        loop.close()
