"""The ``flowroute`` package schema, generated from the library's own declarations.

Nothing here restates a resource: each one's inputs come from its ``...Args`` (types, required,
defaults, descriptions from the docstring's bullets), its outputs from its ``pulumi.Output``
annotations, a lookup's arguments and result from its signature. Names are camelCased, as
Pulumi schemas are; the credentials are marked secret.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from ..config import CONFIG_KEYS
from ..schema import Inputs
from ..transport import __version__
from .catalog import LOOKUPS, PACKAGE, RESOURCES, camel, outputs, token

#: The provider's configuration: name, type, whether secret, and what it is.
CONFIG: dict[str, tuple[str, bool, str]] = {
    "accessKey": ("string", True, "Flowroute API access key (or FLOWROUTE_ACCESS_KEY)."),
    "secretKey": ("string", True, "Flowroute API secret key (or FLOWROUTE_SECRET_KEY)."),
    "baseUrl": (
        "string",
        False,
        "Where the API is: https://api.flowroute.com (default), http://127.0.0.1:PORT for an "
        "emulator server, or emulator:PATH for the embedded emulator (or FLOWROUTE_BASE_URL).",
    ),
    "timeoutSeconds": ("number", False, "Seconds to wait for an answer (default 30)."),
    "settleSeconds": (
        "number",
        False,
        "Seconds a write whose answer was lost may take to show before it counts as not done "
        "(default 30).",
    ),
}
assert {key.split(":")[1] for key, _ in CONFIG_KEYS.values()} == set(CONFIG), "config drifted"

_BULLET = re.compile(r"^\s*- (.+?)(?=^\s*- |\Z)", re.MULTILINE | re.DOTALL)
_NAME = re.compile(r"``(\w+)``")
_LITERAL = re.compile(r"``(.+?)``")
_ROLE = re.compile(r":\w+:`~?(?:[\w.]+\.)?(\w+)`")


def descriptions(doc: str | None) -> dict[str, str]:
    """Each input's description from a docstring's ``- ``name``: what it is`` bullets."""
    found: dict[str, str] = {}
    for bullet in _BULLET.findall(doc or ""):
        text = " ".join(bullet.split())
        head, sep, rest = text.partition(": ")
        named = _NAME.findall(head if sep else text)
        for name in named:
            found.setdefault(name, prose(rest if sep else text))
    return found


def prose(text: str) -> str:
    """Docstring markup as schema descriptions show it: ``x`` as `x`, Python names camelCased,
    a sentence begun with a capital."""
    text = _ROLE.sub(r"`\1`", text.strip())
    text = _NAME.sub(lambda m: f"`{camel(m.group(1))}`", text)
    text = _LITERAL.sub(r"`\1`", text)
    return text[:1].upper() + text[1:]


def summary(doc: str | None) -> str:
    """A class docstring's paragraphs before its bullets."""
    text = (doc or "").split("\n    - ", 1)[0].split("\n- ", 1)[0]
    return prose(" ".join(text.split()))


class Builder:
    """Collects the object types that properties refer to while it describes them."""

    def __init__(self) -> None:
        self.types: dict[str, Any] = {}

    def spec(self, hint: Any, nested: Inputs | None = None) -> dict[str, Any]:
        """The schema of a property of type ``hint`` (``nested``: a mapping of inputs)."""
        if nested is not None:
            return {"$ref": f"#/types/{self.object_of(nested)}"}
        hint = _plain(hint)
        if hint is str:
            return {"type": "string"}
        if hint is bool:
            return {"type": "boolean"}
        if hint is int:
            return {"type": "integer"}
        if hint is float:
            return {"type": "number"}
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (list, tuple):
            return {"type": "array", "items": self.spec(args[0])}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.spec(args[1])}
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            return {"$ref": f"#/types/{self.record(hint)}"}
        return {"$ref": "pulumi.json#/Any"}

    def object_of(self, inputs: Inputs, name: str | None = None) -> str:
        """The object type of a mapping of inputs (a search's criteria, an inline route)."""
        ref = token(name or inputs.args.__name__)
        if ref not in self.types:
            self.types[ref] = {"type": "object", **self.input_properties(inputs)}
        return ref

    def record(self, cls: type) -> str:
        """The object type of what a lookup returns (a dataclass of the client's records)."""
        ref = token(cls.__name__)
        if ref not in self.types:
            self.types[ref] = {}  # a record that refers to itself stops here
            hints = typing.get_type_hints(cls)
            fields = dataclasses.fields(cls)
            self.types[ref] = {
                "type": "object",
                "description": summary(cls.__doc__),
                "properties": {camel(f.name): self.spec(hints[f.name]) for f in fields},
                "required": sorted(camel(f.name) for f in fields if not _optional(hints[f.name])),
            }
        return ref

    def input_properties(self, inputs: Inputs) -> dict[str, Any]:
        docs = descriptions(inputs.args.__doc__)
        properties = {}
        for name in inputs.names:
            spec = self.spec(inputs.types[name], inputs.nested.get(name))
            if name in docs:
                spec["description"] = docs[name]
            default = inputs.rules[name].default
            if default is not None and "type" in spec:
                spec["default"] = default
            properties[camel(name)] = spec
        required = sorted(camel(name) for name in inputs.required)
        return (
            {"properties": properties, "required": required}
            if required
            else {"properties": properties}
        )


def _plain(hint: Any) -> Any:
    """``pulumi.Input[str] | None`` -> ``str``: what a property holds once known."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        held = [
            arg
            for arg in typing.get_args(hint)
            # pulumi.Input[T] is T, an Awaitable[T] or an Output[T] (a forward reference).
            if arg is not type(None)
            and not isinstance(arg, typing.ForwardRef)
            and typing.get_origin(arg) not in (pulumi.Output, _AWAITABLE)
        ]
        return _plain(held[0]) if len(held) == 1 else Any
    return hint


_AWAITABLE = typing.get_origin(typing.Awaitable[int])


def _optional(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


def resource_spec(builder: Builder, name: str) -> dict[str, Any]:
    """One resource's schema: its inputs from its ``...Args``, its outputs from its class."""
    cls = RESOURCES[name]
    inputs = cls.provider_class.inputs
    described = builder.input_properties(inputs)
    properties: dict[str, Any] = {}
    for output, hint in outputs(cls).items():
        prop = dict(described["properties"].get(camel(output)) or builder.spec(hint))
        prop.pop("default", None)
        properties[camel(output)] = prop
    spec: dict[str, Any] = {
        "description": summary(cls.__doc__),
        "properties": properties,
        "required": sorted(camel(o) for o, hint in outputs(cls).items() if not _optional(hint)),
        "inputProperties": described["properties"],
    }
    if described.get("required"):
        spec["requiredInputs"] = described["required"]
    return spec


def function_spec(builder: Builder, name: str) -> dict[str, Any]:
    lookup = LOOKUPS[name]
    doc = (lookup.function.__doc__ or "").strip()
    arguments = {camel(arg): builder.spec(hint) for arg, hint in lookup.arguments.items()}
    required = [camel(arg) for arg in lookup.required]
    spec: dict[str, Any] = {
        "description": prose(" ".join(doc.split("\n\n")[0].split())),
        "outputs": {
            "properties": {lookup.result: builder.spec(lookup.returns)},
            "required": [lookup.result],
        },
    }
    if arguments:
        spec["inputs"] = {"properties": arguments}
        if required:
            spec["inputs"]["required"] = required
    return spec


def config_properties() -> dict[str, Any]:
    return {
        name: {"type": kind, "description": text, **({"secret": True} if secret else {})}
        for name, (kind, secret, text) in CONFIG.items()
    }


def package_schema(
    components: Callable[[Builder], Mapping[str, dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """The whole package schema (``components``: the component resources' specs, by name)."""
    builder = Builder()
    resources = {token(name): resource_spec(builder, name) for name in RESOURCES}
    for name, spec in (components(builder) if components else {}).items():
        resources[token(name)] = spec
    functions = {token(name): function_spec(builder, name) for name in LOOKUPS}
    config = config_properties()
    return {
        "name": PACKAGE,
        "displayName": "Flowroute",
        "version": __version__,
        "description": "Flowroute phone numbers, inbound voice routing, E911, CNAM and "
        "messaging webhooks as code: never bought twice, never released by surprise.",
        "keywords": ["pulumi", "flowroute", "telephony", "category/network"],
        "license": "MIT",
        "config": {"variables": config},
        "provider": {
            "description": "The Flowroute account the resources live in (one per account).",
            "inputProperties": config,
            "properties": {k: v for k, v in config.items() if not v.get("secret")},
        },
        "resources": resources,
        "functions": functions,
        "types": builder.types,
        "language": {
            "nodejs": {"respectSchemaVersion": True},
            "python": {"respectSchemaVersion": True, "pyproject": {"enabled": True}},
        },
    }
