"""Each resource's inputs, declared once, and the checks every front door shares.

A resource declares its inputs as a ``TypedDict`` (``PhoneNumberArgs``...) whose fields carry a
:class:`Rule` in ``Annotated``: the name, the type a type checker sees, whether it is required,
its default and how a value is checked. :class:`Inputs` reads that declaration, and from it:

- the Resource class takes ``**args: Unpack[...Args]`` and gets a real keyword-only signature;
- the provider's ``check`` and the fleet config validate through :meth:`Inputs.validate`, into
  one :class:`Problems` collector that renders either as ``CheckFailure``s or as config paths.

Each :class:`Rule` names its conversion from :mod:`.conversions`, the one place where values
are checked and coerced.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown

from .errors import for_terminal
from .values import control_character

F = TypeVar("F", bound=Callable[..., None])


def is_unknown(value: Any) -> bool:
    """True for values that are not known yet (during preview)."""
    return isinstance(value, Unknown)


@dataclass(frozen=True)
class Rule:
    """How one input is checked: ``convert`` raises ValueError saying how to fix a bad value.

    ``missing`` is set on required inputs: the fix to show when the input is absent. ``nested``
    declares an input that is itself a mapping of inputs (a search's criteria).
    """

    convert: Callable[[Any], Any] | None = None
    default: Any = None
    missing: str | None = None
    nested: type | None = None


class Problems:
    """Every mistake in a set of inputs, each with its path, its value and the fix."""

    def __init__(self, prefix: str = "", found: list[tuple[str, Any, str]] | None = None) -> None:
        self.prefix = prefix
        self.found: list[tuple[str, Any, str]] = [] if found is None else found

    def under(self, prop: str) -> Problems:
        """The same collector, for the inputs nested in ``prop``."""
        return Problems(self.path(prop), self.found)

    def path(self, prop: str) -> str:
        return ".".join(part for part in (self.prefix, prop) if part)

    def add(self, prop: str, value: Any, fix: str) -> None:
        """Report ``prop``; its first problem is the one shown (a fix at a time)."""
        path = self.path(prop)
        if all(found != path for found, _, _ in self.found):
            self.found.append((path, value, fix))

    def __bool__(self) -> bool:
        return bool(self.found)

    def check_failures(self) -> list[CheckFailure]:
        """As the engine shows them: one failure per property."""
        return [CheckFailure(p, f"{p} = {v} is not valid: {fix}") for p, v, fix in self._shown()]

    def lines(self) -> list[str]:
        """As the fleet config reports them: ``numbers.support.alias = '': use ...``."""
        return [f"{p} = {v}: {fix}" for p, v, fix in self._shown()]

    def _shown(self) -> Iterator[tuple[str, str, str]]:
        # A path holds the keys the user wrote (an unknown one as given) and a fix may quote a
        # value: all of it printed escaped.
        for path, value, fix in self.found:
            yield for_terminal(path, SHOWN_LIMIT), shown(value), for_terminal(fix)


#: How much of a bad value a message repeats.
SHOWN_LIMIT = 80


def shown(value: Any) -> str:
    """``value`` as a message quotes it: its repr (which escapes control characters), cut short."""
    text = repr(value)
    if len(text) > SHOWN_LIMIT:
        text = f"{text[:SHOWN_LIMIT]}... ({len(text)} characters)"
    return text


class Inputs:
    """A resource's inputs, read from its ``...Args`` TypedDict."""

    def __init__(self, args: type) -> None:
        self.args = args
        # Read as declared, never evaluated: pulumi.Input[T] holds a forward reference to Output
        # that only the SDK's own module can resolve. So the declaring module must not use
        # ``from __future__ import annotations``, which would leave each one a string.
        hints = dict(args.__annotations__)
        if any(isinstance(hint, str) for hint in hints.values()):
            raise TypeError(f"{args.__name__}: declare inputs with evaluated annotations")
        self.names: tuple[str, ...] = tuple(hints)
        self.types = {name: typing.get_args(hint)[0] for name, hint in hints.items()}
        self.rules: dict[str, Rule] = {
            name: next(m for m in hint.__metadata__ if isinstance(m, Rule))
            for name, hint in hints.items()
        }
        self.required: frozenset[str] = getattr(args, "__required_keys__", frozenset())
        declared = {name for name, rule in self.rules.items() if rule.missing}
        if declared != self.required:
            raise TypeError(f"{args.__name__}: required inputs {sorted(self.required)} need a fix")
        #: The inputs that are themselves mappings of inputs, read once here.
        self.nested = {
            name: Inputs(rule.nested) for name, rule in self.rules.items() if rule.nested
        }

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def props(
        self, owner: str, given: Mapping[str, Any], *, reference: bool = False
    ) -> dict[str, Any]:
        """Every input for the engine, defaults filled in; wrong keywords fail as Python's do.

        ``reference``: a read-only ``get()``, which declares no inputs at all.
        """
        unknown = sorted(set(given) - set(self.names))
        if unknown:
            raise TypeError(f"{owner}() got an unexpected keyword argument {unknown[0]!r}")
        missing = sorted(self.required - set(given))
        if missing and not reference:
            names = ", ".join(repr(name) for name in missing)
            raise TypeError(f"{owner}() missing required keyword argument(s): {names}")
        return {name: given.get(name, self.rules[name].default) for name in self.names}

    def keywords(self, init: F) -> F:
        """Give ``init`` a signature with its ``**args`` spelled out as keyword-only inputs,
        so that ``help()`` and ``inspect.signature`` show each input."""
        init.__signature__ = self._signature(init)  # type: ignore[attr-defined]
        return init

    def _signature(self, init: Callable[..., None]) -> inspect.Signature:
        own = inspect.signature(init)
        params = [p for p in own.parameters.values() if p.kind is not p.VAR_KEYWORD]
        opts = [p for p in params if p.kind is p.KEYWORD_ONLY]
        fields = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=inspect.Parameter.empty
                if name in self.required
                else self.rules[name].default,
                annotation=self.types[name],
            )
            for name in self.names
        ]
        positional = [p for p in params if p.kind is not p.KEYWORD_ONLY]
        return own.replace(parameters=[*positional, *fields, *opts])

    def validate(
        self, problems: Problems, given: Mapping[str, Any], *, strict: bool = False
    ) -> dict[str, Any]:
        """The inputs normalised; each bad one reported and kept as given. Unknowns pass.

        ``strict``: also report keys that are not inputs (config and nested criteria; the
        engine's own inputs carry the provider's bookkeeping too).
        """
        if strict:
            for key in given:
                if key not in self.rules:
                    problems.add(key, given[key], f"unknown key; use {', '.join(self.names)}")
        values: dict[str, Any] = {}
        for name, rule in self.rules.items():
            value = given.get(name)
            if value is None:
                if rule.missing:
                    problems.add(name, None, rule.missing)
                values[name] = rule.default
            elif is_unknown(value):
                values[name] = value
            elif name in self.nested:
                values[name] = self._nested(problems, name, value, self.nested[name])
            else:
                values[name] = _converted(problems, name, value, rule.convert)
        return values

    @staticmethod
    def _nested(problems: Problems, name: str, value: Any, inputs: Inputs) -> Any:
        if not isinstance(value, Mapping):
            problems.add(name, value, f"give {', '.join(inputs.names)} as a mapping")
            return value
        # Unset criteria are left out here, once: the engine drops null members of objects
        # anyway, so a criterion kept as None would differ between a check and the state.
        values = inputs.validate(problems.under(name), value, strict=True)
        return {key: item for key, item in values.items() if item is not None}


def _converted(
    problems: Problems, name: str, value: Any, convert: Callable[[Any], Any] | None
) -> Any:
    try:
        converted, error = (value if convert is None else convert(value)), None
    except ValueError as failure:
        converted, error = value, failure
    # A value holding a secret (a webhook URL's password) is quoted as its conversion redacts it.
    quoted = getattr(error, "redacted", value)
    bad = control_character(value) if isinstance(value, str) else None
    if bad is not None:
        # No input is more than one line of printable text.
        problems.add(name, quoted, f"remove the character {bad!r}; use printable text")
        return value
    if error is not None:
        problems.add(name, quoted, str(error))
    return converted
