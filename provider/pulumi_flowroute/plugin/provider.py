"""The ``flowroute`` provider plugin: the library's resources, served to every Pulumi language.

Each ``flowroute:index:<Name>`` call is handed to the very provider class the dynamic resource
``<Name>`` uses (``check`` / ``diff`` / ``create`` / ``read`` / ``update`` / ``delete``), with
its values translated by :mod:`.wire`. What the dynamic resources add in the program (a bought
number's claim, an unnamed route's alias) is added here from the resource's URN and the
provider's stack claim, a token drawn once and kept among the provider's own inputs in the
stack's state, as the dynamic path keeps it in its ``StackClaim`` resource.

The engine runs one plugin process per provider (per account): its settings are this process's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import re
import secrets
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import grpc
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    ConstructRequest,
    ConstructResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    InvokeRequest,
    InvokeResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)
from pulumi.runtime.proto import engine_pb2
from pulumi.runtime.proto.engine_pb2_grpc import EngineStub

from .. import claims, lookups
from ..claims import DEFAULT_ALIAS, TOKEN_BYTES
from ..config import resolve_settings
from ..connect import connect
from ..errors import ConfigError
from ..phone_number import HOLDER
from ..provider_base import LOG_SINK, FlowrouteProvider, auto_alias_for
from ..schema import is_unknown
from . import components
from .catalog import LOOKUPS, PACKAGE, RESOURCES, camel, outputs, type_name
from .package_schema import CONFIG, package_schema
from .wire import plain, secret_names, wire

T = TypeVar("T")
#: Where the provider keeps its stack claim among its inputs (not a setting of the schema).
CLAIM = "stackClaim"
#: The provider's settings, by their stack config keys (``flowroute:accessKey``...).
SETTINGS = {f"{PACKAGE}:{name}": name for name in CONFIG}
_SECRET_SETTINGS = {name for name, (_, secret, _) in CONFIG.items() if secret}


def _nested_names(cls: Any) -> tuple[str, ...]:
    return tuple(n for inputs in cls.provider_class.inputs.nested.values() for n in inputs.names)


#: Every snake_case input and output name, for messages read by users of other languages.
_SNAKE_NAMES = re.compile(
    r"\b("
    + "|".join(
        sorted(
            {
                name
                for cls in RESOURCES.values()
                for name in (*cls.provider_class.inputs.names, *_nested_names(cls), *outputs(cls))
                if "_" in name
            },
            key=len,
            reverse=True,
        )
    )
    + r")\b"
)


def camel_text(text: str) -> str:
    """A message of the library's, with its snake_case input names as this package spells them."""
    return _SNAKE_NAMES.sub(lambda m: camel(m.group(1)), text)


def claim_alias(urn: str, token: str) -> str:
    """A bought number's default alias: ``project.stack.name~token``, as the dynamic path's."""
    stack, project, name = _urn_parts(urn)
    prefix = auto_alias_for(project, stack, name, reserve=1 + 2 * TOKEN_BYTES)
    return f"{prefix}~{token}"


def _urn_parts(urn: str) -> tuple[str, str, str]:
    # urn:pulumi:STACK::PROJECT::TYPE::NAME (the name may itself hold "::").
    _, _, rest = urn.partition("urn:pulumi:")
    stack, project, _type, name = rest.split("::", 3)
    return stack, project, name


class FlowroutePlugin(Provider):
    """Serves the ``flowroute`` package: resources, components and lookups."""

    def __init__(self, engine_address: str | None = None) -> None:
        # Messages of the provider calls go to the engine, which shows them by resource.
        self._engine = EngineStub(grpc.insecure_channel(engine_address)) if engine_address else None
        self._providers: dict[str, FlowrouteProvider] = {
            name: cls.provider_class() for name, cls in RESOURCES.items()
        }
        self._config: dict[str, str] = {}
        self._claim = ""
        # The providers block on HTTP: calls run on threads, as the dynamic provider server's do.
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="flowroute")

    async def _run(self, urn: str, call: Callable[[], T]) -> T:
        """``call`` on a worker thread, its messages shown under ``urn``."""

        def logged() -> T:
            token = LOG_SINK.set(functools.partial(self._log, urn))
            try:
                return call()
            finally:
                LOG_SINK.reset(token)

        return await asyncio.get_running_loop().run_in_executor(self._pool, logged)

    def _log(self, urn: str, severity: str, message: str) -> None:
        message = camel_text(message)
        if self._engine is None:
            print(message, file=sys.stderr)
            return
        level = engine_pb2.WARNING if severity == "warn" else engine_pb2.INFO
        self._engine.Log(engine_pb2.LogRequest(severity=level, message=message, urn=urn))

    def _provider(self, type_token: str) -> FlowrouteProvider:
        return self._providers[type_name(type_token)]

    # -- the provider's own configuration -----------------------------------------------------

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(json.dumps(package_schema(components.specs)))

    async def check_config(self, request: CheckRequest) -> CheckResponse:
        news = plain(request.new_inputs, rename=False)
        olds = plain(request.old_inputs, rename=False)
        inputs = {k: v for k, v in news.items() if k in CONFIG and v is not None}
        failures = []
        if not any(is_unknown(v) for v in inputs.values()):
            try:
                resolve_settings({f"{PACKAGE}:{k}": str(v) for k, v in inputs.items()})
            except ConfigError as error:
                failures.append(CheckFailure(_setting_named(str(error)), str(error)))
        # Drawn once: the first run keeps it in the state, and every later run finds it there.
        claim = olds.get(CLAIM) or news.get(CLAIM)
        inputs[CLAIM] = claim if isinstance(claim, str) else secrets.token_hex(TOKEN_BYTES)
        secret = _SECRET_SETTINGS | secret_names(request.new_inputs)
        return CheckResponse(wire(inputs, secret, keep_none=False), failures)

    async def diff_config(self, request: DiffRequest) -> DiffResponse:
        olds = plain(request.old_state, rename=False)
        news = plain(request.new_inputs, rename=False)
        changed = [k for k in CONFIG if olds.get(k) != news.get(k)]
        return DiffResponse(
            changes=bool(changed),
            diffs=changed,
            detailed_diff={k: PropertyDiff(PropertyDiffKind.UPDATE, True) for k in changed},
        )

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        args = plain(request.args, rename=False)
        # A setting not given here falls back to FLOWROUTE_* (resolve_settings), as in the
        # dynamic path; the stack config reaches a default provider as its inputs.
        self._config = {
            f"{PACKAGE}:{k}": str(v)
            for k, v in args.items()
            if k in CONFIG and v is not None and not is_unknown(v)
        }
        claim = args.get(CLAIM)
        self._claim = claim if isinstance(claim, str) else ""
        for provider in self._providers.values():
            provider.use_config(self._config)
        # Not supports_preview: the engine then never calls create or update in a preview.
        return ConfigureResponse(accept_secrets=True, accept_resources=True, accept_outputs=True)

    # -- resources ----------------------------------------------------------------------------

    async def check(self, request: CheckRequest) -> CheckResponse:
        provider = self._provider(request.type)
        news = plain(request.new_inputs)
        olds = plain(request.old_inputs)
        kind = type_name(request.type)
        if kind == "InboundRoute" and news.get("alias") is None:
            news["alias"] = claims.route_alias(request.urn, self._claim)
        elif kind == "PhoneNumber":
            news[HOLDER] = request.urn  # so a second resource of one number is refused
        result = provider.check(olds, news)
        declared = provider.inputs.names
        inputs = {k: v for k, v in result.inputs.items() if k in declared and v is not None}
        failures = [
            CheckFailure(camel_text(f.property), camel_text(f.reason))
            for f in result.failures or []
        ]
        return CheckResponse(wire(inputs, secret_names(request.new_inputs)), failures)

    async def diff(self, request: DiffRequest) -> DiffResponse:
        provider = self._provider(request.type)
        olds = plain(request.old_state)
        news = plain(request.new_inputs)
        result = await self._run(
            request.urn, lambda: provider.diff(request.resource_id, olds, news)
        )
        replaces = list(result.replaces or [])
        detailed: dict[str, PropertyDiff] = {}
        if result.changes:
            for name in provider.inputs.names:
                old, new = olds.get(name), news.get(name)
                if name not in replaces and (new is None or new == old):
                    continue
                if old is None:
                    kind = (
                        PropertyDiffKind.ADD_REPLACE if name in replaces else PropertyDiffKind.ADD
                    )
                else:
                    kind = (
                        PropertyDiffKind.UPDATE_REPLACE
                        if name in replaces
                        else PropertyDiffKind.UPDATE
                    )
                detailed[camel(name)] = PropertyDiff(kind, True)
        return DiffResponse(
            changes=bool(result.changes),
            replaces=[camel(name) for name in replaces],
            delete_before_replace=bool(result.delete_before_replace),
            diffs=list(detailed),
            detailed_diff=detailed,
        )

    async def create(self, request: CreateRequest) -> CreateResponse:
        provider = self._provider(request.type)
        props = plain(request.properties)
        if type_name(request.type) == "PhoneNumber":
            props[DEFAULT_ALIAS] = claim_alias(request.urn, self._claim)
        result = await self._run(request.urn, lambda: provider.create(props))
        outs = dict(result.outs or {})
        return CreateResponse(result.id, wire(outs, secret_names(request.properties)))

    async def read(self, request: ReadRequest) -> ReadResponse:
        provider = self._provider(request.type)
        props = plain(request.properties)
        result = await self._run(request.urn, lambda: provider.read(request.resource_id, props))
        if not result.id:
            return ReadResponse(resource_id="")
        outs = dict(result.outs or {})
        given = getattr(result, "inputs", None)
        if given is None:
            # None read: the recorded inputs stand (a refresh that found no change shows none),
            # else, for an import, what was read.
            given = plain(request.inputs) if request.inputs else outs
        declared = provider.inputs.names
        inputs = {k: v for k, v in given.items() if k in declared and v is not None}
        secret = secret_names(request.properties) | secret_names(request.inputs)
        return ReadResponse(result.id, wire(outs, secret), wire(inputs, secret))

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        provider = self._provider(request.type)
        olds = plain(request.olds)
        news = plain(request.news)
        result = await self._run(
            request.urn, lambda: provider.update(request.resource_id, olds, news)
        )
        outs = dict(result.outs or {})
        return UpdateResponse(wire(outs, secret_names(request.news)))

    async def delete(self, request: DeleteRequest) -> None:
        provider = self._provider(request.type)
        props = plain(request.properties)
        await self._run(request.urn, lambda: provider.delete(request.resource_id, props))

    # -- components and lookups ---------------------------------------------------------------

    async def construct(self, request: ConstructRequest) -> ConstructResponse:
        return await components.construct(request)

    async def invoke(self, request: InvokeRequest) -> InvokeResponse:
        lookup = LOOKUPS[type_name(request.tok)]
        args = {k: v for k, v in plain(request.args).items() if v is not None}
        for name, hint in lookup.arguments.items():
            if name in args and hint in (int, int | None) and isinstance(args[name], float):
                args[name] = int(args[name])  # the wire holds every number as a float

        def ask() -> Any:
            client = connect(resolve_settings(self._config))
            try:
                with lookups.using(client):
                    return lookup.function(**args)
            finally:
                client.close()

        found = await self._run("", ask)
        return InvokeResponse({lookup.result: _record(found)})


def _record(value: Any) -> PropertyValue:
    """A lookup's answer (records, lists of records) as the engine takes it."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    elif isinstance(value, list):
        value = [dataclasses.asdict(item) for item in value]
    return wire({"value": value})["value"]


def _setting_named(message: str) -> str:
    """The setting a configuration error is about, as the provider spells it."""
    for key, name in SETTINGS.items():
        if key in message:
            return name
    return "baseUrl"
