"""What every Flowroute dynamic provider shares: configuration, the client, input checking.

The provider instance is pickled into Pulumi state by reference (module and class name only):
``__reduce__`` names the class and nothing else, so no setting, credential or client is ever
stored there. The
client is built lazily from the stack config handed to ``configure()`` (or, outside the engine,
from the ``FLOWROUTE_*`` environment variables).
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, ClassVar, TypeVar, cast

import pulumi
from pulumi.dynamic import CheckResult, ConfigureRequest, DiffResult, ResourceProvider
from pulumi.output import Unknown

from .client import FlowrouteClient, Number
from .config import Settings, read_config, resolve_settings
from .connect import connect
from .deployment import DEPLOYMENT
from .deployment import forget_deployment as forget_deployment  # the harnesses' name for it
from .engine_provider import Provider, served_by_flowroute, serving
from .errors import (
    ApiError,
    FlowrouteError,
    MalformedResponse,
    NotFound,
    ResourceError,
    TransportError,
    for_terminal,
)
from .imports import refused_import
from .lifeline import counted, watch_engine
from .schema import Inputs, Problems, shown
from .values import MAX_ALIAS_LENGTH, control_character

T = TypeVar("T")
# In the provider process pulumi.log prints to stderr, which the CLI shows line by line; two
# threads printing at once run their lines together.
_LOG_LOCK = threading.Lock()
# Errors after which a write's outcome is unknown: Flowroute may have acted.
UNANSWERED = (TransportError, MalformedResponse)


def outcome_unknown(error: Exception) -> bool:
    """Whether a failed write may still have happened (no answer, a 5xx, a garbled 2xx)."""
    return isinstance(error, UNANSWERED) or (isinstance(error, ApiError) and error.status >= 500)


def settle(
    probe: Callable[[], T | None],
    seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[T | None, Exception | None]:
    """Read until ``probe`` finds what a write with a lost answer made, or ``seconds`` pass.

    A late commit shows after a while, and one read may be stale: a single "not found" proves
    nothing. Returns what was found, or None with the last read's error (None when the last
    read answered cleanly that nothing is there).
    """
    deadline = time.monotonic() + seconds
    delay = 0.5
    while True:
        try:
            found = probe()
            error: Exception | None = None
        except (ApiError, *UNANSWERED) as failure:
            found, error = None, failure
        if found is not None:
            return found, None
        if time.monotonic() + delay > deadline:
            return None, error
        sleep(delay)
        delay = min(delay * 2, 8.0)


def details_or_none(client: FlowrouteClient, number: str) -> Number | None:
    """``number``'s details, or None when it is not on the account."""
    try:
        return client.get_number(number)
    except NotFound:
        return None


def auto_alias(resource_name: str, reserve: int = 0) -> str:
    """``project.stack.name`` of this program, shortened to leave ``reserve`` characters free."""
    return auto_alias_for(pulumi.get_project(), pulumi.get_stack(), resource_name, reserve)


def auto_alias_for(project: str, stack: str, resource_name: str, reserve: int = 0) -> str:
    """``project.stack.name``, shortened with a digest to leave ``reserve`` characters free."""
    room = MAX_ALIAS_LENGTH - reserve
    alias = f"{project}.{stack}.{resource_name}"
    if len(alias) <= room:
        return alias
    digest = hashlib.sha256(alias.encode()).hexdigest()[:8]
    return f"{alias[: room - 9]}-{digest}"


class FlowrouteProvider(ResourceProvider):
    """Base class: lazily configured, thread-safe client; nothing pickled into state.

    ``check`` validates the resource's declared :attr:`inputs` (a resource adds its own rules
    in :meth:`validate`), and ``diff`` compares them, replacing on those in :attr:`replace_on`.
    """

    #: The pickled provider is its class alone (see ``__reduce__``): no secret to hide, so the
    #: SDK stores it in plain text rather than encrypting one copy per resource in the state.
    serialize_as_secret_always = False
    #: The resource's inputs, as its ``...Args`` declares them.
    inputs: ClassVar[Inputs]
    #: The inputs whose change replaces the resource; the others change in place.
    replace_on: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._config: dict[str, str] = {}
        self._settings: Settings | None = None
        self._client: FlowrouteClient | None = None
        self._lock = threading.Lock()

    def __reduce__(self) -> tuple[type[FlowrouteProvider], tuple[()]]:
        # By class and nothing else: pickling even an empty dict walks a chain of wrappers
        # that pulumi.dynamic.serialize_provider grows by one per resource (bench/README.md).
        return type(self), ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def validate(
        self, problems: Problems, news: dict[str, Any], olds: dict[str, Any]
    ) -> dict[str, Any]:
        """The inputs ``check`` hands the engine, every mistake added to ``problems``."""
        return self.inputs.validate(problems, news)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        problems = Problems()
        inputs = self.validate(problems, news, olds)
        return CheckResult(inputs, problems.check_failures())

    def details_or_none(self, number: str) -> Number | None:
        """``number``'s details, or None when it is not on the account."""
        return details_or_none(self.client, number)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # An input absent from either side holds its default: a state written before the
        # input existed (say ``adopt``) is not a change.
        def value(props: Mapping[str, Any], name: str) -> Any:
            found = props.get(name)
            return self.inputs.rules[name].default if found is None else found

        changed = [n for n in self.inputs.names if value(news, n) != value(olds, n)]
        replaces = [name for name in changed if name in self.replace_on]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The calls that reach Flowroute: the process waits for them before it exits (lifeline.py).
        for name in ("create", "update", "delete", "read"):
            if name in cls.__dict__:
                setattr(cls, name, counted(cls.__dict__[name]))

    def configure(self, req: ConfigureRequest) -> None:
        _report_our_errors_plainly()
        watch_engine()
        self.use_config(read_config(req.config.get))

    def use_config(self, config: dict[str, str]) -> None:
        """Serve the account that these ``flowroute:*`` settings name from now on."""
        self._config = config
        self._settings = None
        self._client = None

    @property
    def settings(self) -> Settings:
        """The settings for this deployment, resolved on first use (``check`` never needs them)."""
        with self._lock:
            if self._settings is None:
                self._settings = resolve_settings(self._config)
            return self._settings

    @property
    def client(self) -> FlowrouteClient:
        """The client for this deployment, built on first use."""
        settings = self.settings
        with self._lock:
            if self._client is None:
                self._client = connect(settings)
            return self._client

    def settle(self, probe: Callable[[], T | None]) -> tuple[T | None, Exception | None]:
        """:func:`settle` over this deployment's ``flowroute:settleSeconds``."""
        return settle(probe, self.settings.settle_seconds)

    # A message may quote what the API returned (an alias, a route's value): printed escaped.
    # With the engine gone, stderr is a broken pipe: the line is lost, the call goes on.
    @staticmethod
    def info(message: str) -> None:
        _say("info", message)

    @staticmethod
    def warn(message: str) -> None:
        _say("warn", message)


#: Where a provider call's messages go instead of the SDK's log: the provider plugin sends them
#: to the engine itself, under the URN of the resource the call is for.
LOG_SINK: ContextVar[Callable[[str, str], None] | None] = ContextVar(
    "flowroute_log_sink", default=None
)


def _say(severity: str, message: str) -> None:
    sink = LOG_SINK.get()
    with _LOG_LOCK, contextlib.suppress(OSError):
        if sink is not None:
            sink(severity, for_terminal(message))
        elif severity == "warn":
            pulumi.log.warn(for_terminal(message))
        else:
            pulumi.log.info(for_terminal(message))


def _report_our_errors_plainly() -> None:
    """Let the CLI show a FlowrouteError raised in a provider method by its message alone.

    The SDK's provider server (``python -m pulumi.dynamic``, running only our providers and the
    program's other dynamic ones) answers a failed call with ``traceback.format_exc()``, and the
    CLI prints that to the user: a dozen lines of frames above a message that already says what
    happened and what to do. It offers no hook, so ``format_exc`` is wrapped in that process,
    for our errors only; any other exception (a bug) keeps its traceback. The SDK's own
    ``KeyError: '__provider'`` on ``pulumi import`` of one of our resources becomes the line
    saying what to do instead (:mod:`.imports`).
    """
    original = traceback.format_exc
    if getattr(original, "flowroute_plain", False):
        return

    def format_exc(limit: int | None = None, chain: bool = True) -> str:
        _, error, trace = sys.exc_info()
        if isinstance(error, FlowrouteError):
            return f"{for_terminal(str(error))}\n"
        refusal = refused_import(error, trace)
        if refusal is not None:
            return f"{refusal}\n"
        return original(limit, chain)

    format_exc.flowroute_plain = True  # type: ignore[attr-defined]
    traceback.format_exc = format_exc


#: What the SDK's provider server process runs before any provider is loaded, through the
#: installed ``pulumi_flowroute-dynamic.pth`` (setup.py): ``pulumi import`` loads none.
report_errors_plainly = _report_our_errors_plainly


def check_settings() -> None:
    """Fail the program, once and before any resource is registered, on unusable settings.

    Missing credentials or a base URL that would leak them are known from the stack config
    alone; found here, ``pulumi preview`` stops with one message instead of every resource
    failing midway through ``pulumi up``. Raises :class:`ConfigError` (a ``pulumi.RunError``).
    """
    DEPLOYMENT.once_per_run(_resolved_settings)


def _resolved_settings() -> Settings:
    # Once per run, not per resource: the SDK answers a key the stack does not set by parsing
    # the whole stack config (every fleet entry) from the environment again.
    return resolve_settings(read_config(pulumi.runtime.get_config))


def with_id(opts: pulumi.ResourceOptions | None, id: pulumi.Input[str]) -> pulumi.ResourceOptions:
    """``opts`` for a read-only ``get()`` of the resource with this id."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))


R = TypeVar("R", bound="FlowrouteResource")


class FlowrouteResource(pulumi.dynamic.Resource):
    """Base of the library's dynamic resources: what every one does to declare itself.

    A resource class states its schema once: its ``provider_class`` (whose ``inputs`` are the
    ``...Args`` declaration) and its outputs as ``pulumi.Output`` annotations; an output
    that is not an input is declared to the engine here (as ``None`` until the provider sets
    it). Its ``__init__`` only gives the type checker its keywords.

    Settings and every input already known are checked here, before registering, by the same
    rules as the provider's ``check``: that would refuse a bad input too, but only once the
    engine has the resource, and by then a sibling registered earlier may be buying a number;
    Pulumi's own report of a refused input also repeats the value raw.
    """

    provider_class: ClassVar[type[FlowrouteProvider]]
    #: An output equal to the id, resolved from it: the engine keeps an id known in the
    #: preview of an in-place update, where it would preview the output itself as unknown
    #: (and everything depending on it as changing).
    id_output: ClassVar[str | None] = None

    def __init__(
        self,
        resource_name: str,
        args: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        kind = type(self).__name__
        refuse_bad_name(kind, resource_name)
        reference = bool(opts and opts.id)
        props = type(self).provider_class.inputs.props(kind, args, reference=reference)
        # A read-only get() makes no change: let it read as it can. Otherwise the settings are
        # checked before anything of the run registers (the flowroute provider, the claim).
        if not reference and not isinstance(serving(opts), Provider):  # one checked its own
            check_settings()
        props.update(dict.fromkeys(self.computed_outputs()))
        props.update(self.hidden_inputs(resource_name, reference))
        provider = type(self).provider_class()
        served = served_by_flowroute(opts)
        if not reference:
            refuse_bad_inputs(f"{kind} {resource_name!r}", provider.validate, props)
        super().__init__(provider, resource_name, props, served)
        if self.id_output is not None:
            setattr(self, self.id_output, self.id.apply(str))

    @classmethod
    def computed_outputs(cls) -> tuple[str, ...]:
        """The outputs (annotated ``pulumi.Output[...]``) that are not inputs."""
        return tuple(
            name
            for name, hint in cls.__annotations__.items()
            if "Output[" in str(hint) and name not in cls.provider_class.inputs.names
        )

    def hidden_inputs(self, resource_name: str, reference: bool) -> dict[str, Any]:
        """Inputs the provider needs that the user does not give (a resource's naming)."""
        return {}

    @classmethod
    def get(
        cls: type[R],
        resource_name: str,
        id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> R:
        """Reference an existing one by its id, read-only: Pulumi reads it on every run and
        never changes, replaces or deletes it (the class says what its id is)."""
        # A reference declares no inputs: the engine reads them from Flowroute.
        return cast(R, cast(Any, cls)(resource_name, opts=with_id(opts, id)))


def refuse_bad_inputs(
    owner: str,
    validate: Callable[[Problems, dict[str, Any], dict[str, Any]], Any],
    props: Mapping[str, Any],
) -> None:
    """Raise :class:`ResourceError` naming every known input that ``validate`` refuses."""
    problems = Problems()
    validate(problems, {key: known(value) for key, value in props.items()}, {})
    if problems:
        raise ResourceError(f"{owner}: " + "; ".join(problems.lines()))


#: What ``check`` sees for an input the engine supplies later (another resource's output).
LATER = Unknown()  # type: ignore[no-untyped-call]


def known(value: Any) -> Any:
    """``value`` with whatever is not known until the engine runs (Outputs) left unknown."""
    if isinstance(value, pulumi.Output) or inspect.isawaitable(value):
        return LATER
    if isinstance(value, Mapping):
        return {key: known(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [known(item) for item in value]
    return value


def refuse_bad_name(kind: str, name: str) -> None:
    """A resource name becomes part of URNs, log lines and default aliases: printable only."""
    bad = control_character(name)
    if bad is not None:
        raise ResourceError(
            f"{kind} name {shown(name)}: remove the character {bad!r}; resource names are "
            "printable text"
        )
