"""Values between the engine's ``PropertyValue``s and the plain dicts the providers work on.

Inward: camelCase keys become the library's snake_case names, secrets are unwrapped (and
remembered), a value not known yet becomes the :data:`~pulumi_flowroute.provider_base.LATER`
placeholder the checks already understand. Outward: the reverse, with integers as the floats
Pulumi's wire format holds, and every property that came in secret sent back secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime.rpc import UNKNOWN

from ..provider_base import LATER
from ..schema import is_unknown
from .catalog import camel, snake


def plain(values: Mapping[str, PropertyValue], *, rename: bool = True) -> dict[str, Any]:
    """``values`` as the providers take them (``rename``: keys to snake_case)."""
    return {(snake(k) if rename else k): _plain(v, rename) for k, v in values.items()}


def _plain(value: PropertyValue, rename: bool) -> Any:
    held = value.value
    # An unknown may also arrive as the wire's sentinel string.
    if isinstance(held, Computed) or held == UNKNOWN:
        return LATER
    if isinstance(held, Mapping):
        return {(snake(k) if rename else k): _plain(v, rename) for k, v in held.items()}
    if isinstance(held, Sequence) and not isinstance(held, str):
        return [_plain(item, rename) for item in held]
    return held


def secret_names(values: Mapping[str, PropertyValue]) -> set[str]:
    """The snake_case names of the properties that hold a secret."""
    return {snake(k) for k, v in values.items() if v.contains_secret()}


def wire(
    values: Mapping[str, Any], secret: Iterable[str] = (), *, keep_none: bool = True
) -> dict[str, PropertyValue]:
    """``values`` for the engine: camelCase keys, ``secret`` names marked secret."""
    hidden = set(secret)
    return {
        camel(k): _wire(v).with_secret(k in hidden)
        for k, v in values.items()
        if keep_none or v is not None
    }


def _wire(value: Any) -> PropertyValue:
    if value is None:
        return PropertyValue.null()
    if is_unknown(value):
        # As the wire spells an unknown (the SDK's PropertyValue cannot marshal Computed).
        return PropertyValue(UNKNOWN)
    if isinstance(value, bool | str):
        return PropertyValue(value)
    if isinstance(value, int | float):
        return PropertyValue(float(value))
    if isinstance(value, Mapping):
        return PropertyValue({camel(str(k)): _wire(v) for k, v in value.items()})
    if isinstance(value, Sequence):
        return PropertyValue([_wire(item) for item in value])
    raise TypeError(f"cannot send a {type(value).__name__} to the engine")
