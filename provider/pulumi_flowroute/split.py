"""One stack-config fleet run as several stacks, in parallel, through Pulumi's Automation API.

Pulumi saves a stack's whole state after every resource step, so one stack's time grows with
the square of its numbers. ``python -m pulumi_flowroute split up --stack big`` keeps the fleet
described once, in ``Pulumi.big.yaml``, and runs it as stacks of at most ``--per-stack``
numbers:

- ``big-shared`` holds the shared routes, E911 addresses, caller names and webhooks;
- ``big-001``, ``big-002``... hold the numbers, naming the shared ones by the ids
  ``big-shared`` exports (``{route_id: ...}``, ``{e911_id: ...}``, ``{cnam_id: ...}``).

``up`` and ``refresh`` rewrite the generated stack files from the source file (``destroy``
runs the stacks they name);
``preview`` writes nothing but its logs: it previews the files it would write from a scratch
directory (``pulumi preview --config-file``), and a stack that does not exist yet is reported
as new, not created. An entry stays in the stack that holds it (moving it would delete it in
one stack and acquire it in another), new entries fill stacks with room, removed entries leave
theirs. The stacks run in the project's own program, through the ``pulumi`` CLI, in parallel;
one summary is printed at the end, each failed stack's row naming its first error.

As ``pulumi`` does: ``destroy`` asks first on a terminal and needs ``--yes`` elsewhere; every
operation names its stack (``--stack``), so the stack selected before is still selected after;
a locked stack or an interrupted operation is named with the command to run, never settled on
the user's behalf. Each ``pulumi`` runs in a session of its own (:mod:`.pulumi_runs`): a signal
to this driver (Ctrl-C, a closed terminal, ``kill``) is passed on to them, and they get SIGTERM
if the driver dies without a word, so each cancels as on a first Ctrl-C (the calls in flight
finish, the lock is released, its plugins are shut down) instead of running on without it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from .pulumi_runs import (
    Children,
    Interrupted,
    RunError,
    Workspace,
    ask,
    forwarding_signals,
    pending_note,
    pending_operations,
    setup_problem,
    signal_name,
    stack_problem,
    workspace,
)
from .stackfiles import Project, write_atomically

VERBS = ("preview", "up", "refresh", "destroy")
SHARED = "shared"
# Stack-file keys that are not config but say how its secrets are encrypted: every generated
# stack copies them, so a secret in the source file reads the same in each.
SECRETS_KEYS = ("secretsprovider", "encryptedkey", "encryptionsalt")
FLEET_KEYS = ("routes", "e911", "cnam", "messaging", "numbers")
HEADER = (
    "# Written by `python -m pulumi_flowroute split` from {source}: edit that file, not this one.\n"
    "# The numbers listed here stay in this stack; see the README's fleet section.\n"
)
PROGRESS = re.compile(r"flowroute: (\d+) of (\d+) numbers done")
# A summary row's note is the first error or the step to take: the log has the rest.
NOTE_LIMIT = 200


class SplitError(Exception):
    """A split that cannot start (or go on): the message says what to fix, on one line."""


@dataclass
class Plan:
    """The stacks one source stack becomes: the shared stack's config and each shard's entries."""

    source: str
    settings: dict[str, Any]
    secrets: dict[str, Any]
    shared: dict[str, Any]
    shards: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def shared_stack(self) -> str:
        return f"{self.source}-{SHARED}"

    @property
    def numbers(self) -> int:
        return sum(len(entries) for entries in self.shards.values())


def plan(project: Project, source: str, per_stack: int) -> Plan:
    """Read the source stack file and the shards already written; assign every entry a shard."""
    if per_stack < 1:
        raise SplitError(f"--per-stack {per_stack}: give a positive number of numbers per stack")
    path = project.stack_file(source)
    if not path.exists():
        raise SplitError(f"no stack file {path}: describe the fleet there first")
    document = yaml.safe_load(path.read_text()) or {}
    config = dict(document.get("config") or {})
    fleet = {name: config.pop(project.key(name), None) for name in FLEET_KEYS}
    numbers = fleet["numbers"]
    if not isinstance(numbers, Mapping):
        raise SplitError(f"{path}: {project.key('numbers')} maps entry names to numbers")
    result = Plan(
        source,
        settings=config,
        secrets={k: document[k] for k in SECRETS_KEYS if k in document},
        shared={name: fleet[name] for name in FLEET_KEYS[:-1] if fleet[name]},
    )
    held = _held(project, source)
    for shard, names in held.items():
        kept = {name: numbers[name] for name in names if name in numbers}
        result.shards[shard] = kept
    placed = {name for names in result.shards.values() for name in names}
    waiting = [name for name in numbers if name not in placed]
    for shard in _shard_names(source):
        if not waiting:
            break
        entries = result.shards.setdefault(shard, {})
        room = per_stack - len(entries)
        for name in waiting[:room]:
            entries[name] = numbers[name]
        waiting = waiting[max(room, 0) :]
    return result


def _shard_names(source: str) -> Iterable[str]:
    index = 1
    while True:
        yield f"{source}-{index:03d}"
        index += 1


def _held(project: Project, source: str) -> dict[str, list[str]]:
    """The entries each shard written by an earlier run holds, by shard."""
    held: dict[str, list[str]] = {}
    for path in sorted(project.config_dir.glob(f"Pulumi.{source}-[0-9][0-9][0-9].yaml")):
        stack = path.name[len("Pulumi.") : -len(".yaml")]
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        held[stack] = list(config.get(project.key("numbers")) or {})
    return held


def shard_numbers(entries: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any]:
    """``entries`` with each shared route and address named by the id the shared stack gave it.

    Raises :class:`SplitError` when an entry names a route or address the shared stack lacks.
    """
    routes, addresses = outputs.get("routes") or {}, outputs.get("e911") or {}
    caller_names = outputs.get("cnam") or {}

    def by_id(entry: str, key: str, value: Any, ids: Mapping[str, Any], id_key: str) -> Any:
        if not isinstance(value, str):
            return value
        if value not in ids:
            raise SplitError(
                f"numbers.{entry}.{key} = {value!r}: the shared stack has no such {key} "
                "(run `split up`, which deploys the shared stack first)"
            )
        return {id_key: str(ids[value])}

    result = {}
    for name, spec in entries.items():
        spec = dict(spec)
        for key in ("primary", "failover"):
            if key in spec:
                spec[key] = by_id(name, key, spec[key], routes, "route_id")
        if "e911" in spec:
            spec["e911"] = by_id(name, "e911", spec["e911"], addresses, "e911_id")
        if "cnam" in spec:
            spec["cnam"] = by_id(name, "cnam", spec["cnam"], caller_names, "cnam_id")
        result[name] = spec
    return result


def stack_file_text(project: Project, plan_: Plan, fleet: dict[str, Any]) -> str:
    """A generated stack file: the source's settings and secrets, and ``fleet``."""
    config = {**plan_.settings, **{project.key(k): v for k, v in fleet.items()}}
    document = {**plan_.secrets, "config": config}
    text = HEADER.format(source=project.stack_file(plan_.source).name)
    return text + yaml.safe_dump(document, sort_keys=False)


def write_stack_file(project: Project, stack: str, plan_: Plan, fleet: dict[str, Any]) -> None:
    """Replace ``stack``'s file atomically: the source's settings and secrets, and ``fleet``."""
    write_atomically(project.stack_file(stack), stack_file_text(project, plan_, fleet))


@dataclass
class Outcome:
    """How one stack's operation ended (``new``: a stack ``preview`` found not yet created)."""

    stack: str
    numbers: int
    ok: bool
    seconds: float
    changes: dict[str, int] = field(default_factory=dict)
    error: str = ""
    note: str = ""
    new: bool = False

    @property
    def result(self) -> str:
        return "FAILED" if not self.ok else "new" if self.new else "ok"


class Progress:
    """One line on stderr whenever the fleet's numbers done pass another tenth of the total."""

    def __init__(self, total: int, out: Callable[[str], None]) -> None:
        self.total = total
        self.out = out
        self.done: dict[str, int] = {}
        self.said = 0
        self.lock = threading.Lock()

    def update(self, stack: str, done: int) -> None:
        with self.lock:
            self.done[stack] = max(done, self.done.get(stack, 0))
            count = sum(self.done.values())
            every = max(1, self.total // 10)
            finished = count == self.total != self.said
            if count // every > self.said // every or finished:
                self.said = count
                self.out(f"{count} of {self.total} numbers done")


class Split:
    """Runs a plan's stacks with the project's program through the Automation API."""

    def __init__(
        self,
        project: Project,
        plan_: Plan,
        parallel: int,
        logs: Path,
        say: Callable[[str], None],
        *,
        children: Children | None = None,
        confirm: Callable[[list[str]], bool] = lambda stacks: True,
    ) -> None:
        self.project = project
        self.plan = plan_
        self.parallel = max(1, parallel)
        self.logs = logs
        self.say = say
        self.progress = Progress(plan_.numbers, say)
        self.children = children or Children()
        self.confirm = confirm
        self._workspace: Workspace | None = None
        self.scratch: Path | None = None

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = workspace(self.project.directory, self.children)
        return self._workspace

    def stack(self, name: str) -> auto.Stack:
        """``name``, created (never selected) if the backend does not have it yet."""
        return self.workspace.open_stack(name)

    def refuse_a_whole_deployed_source(self, stacks: Mapping[str, int]) -> None:
        """A source stack that holds the fleet itself would keep it while the shards acquire it
        again: searches would buy a second set of numbers."""
        resources = stacks.get(self.plan.source, 0)
        if resources > 1:
            raise SplitError(
                f"stack {self.plan.source} holds {resources} resources: a fleet deployed "
                "whole cannot be split (the split stacks would acquire its numbers again). "
                "Keep running it whole, or destroy it first (numbers stay on the account "
                "unless release_on_delete is set) and adopt them in the split stacks."
            )

    def run(self, verb: str) -> list[Outcome]:
        """``verb`` on every stack: the shared stack first (last for destroy)."""
        stacks = ask(self.workspace.refresh_existing, "pulumi stack ls", self.plan.source)
        self.refuse_a_whole_deployed_source(stacks)
        self.logs.mkdir(parents=True, exist_ok=True)
        if verb == "destroy":
            return self._destroy()
        if verb == "preview":
            with tempfile.TemporaryDirectory(prefix="flowroute-split-") as scratch:
                self.scratch = Path(scratch)
                try:
                    return self._deploy(verb)
                finally:
                    self.scratch = None
        return self._deploy(verb)

    def _destroy(self) -> list[Outcome]:
        shared = self.plan.shared_stack
        shards = [
            s
            for s in self.plan.shards
            if self.project.stack_file(s).exists() and self.workspace.has(s)
        ]
        everything = [*shards, *([shared] if self.workspace.has(shared) else [])]
        if not everything:
            self.say(f"nothing to destroy: no stack of {self.plan.source}'s split exists")
            return []
        if not self.confirm(everything):
            raise SplitError("confirmation declined: nothing was destroyed")
        outcomes = self._shards("destroy", shards)
        if all(o.ok for o in outcomes) and shared in everything:
            outcomes.append(self._one(shared, "destroy", 0))
        return outcomes

    def _deploy(self, verb: str) -> list[Outcome]:
        shared = self.plan.shared_stack
        if verb == "preview" and not self.workspace.has(shared):
            self.say(
                f"{shared} does not exist yet: `split up` creates it, then the numbers' stacks"
            )
            return [self._new(shared, 0), *(self._new(s, len(e)) for s, e in self._shard_plan())]
        self._place(shared, {**self.plan.shared, "numbers": {}})
        first = self._one(shared, verb, 0)
        if not first.ok:
            return [first]
        outputs = self._outputs(shared)
        if outputs is None:
            self.say(f"{shared} is not deployed yet: the numbers' stacks preview after `split up`")
            return [first]
        for stack, entries in self._shard_plan():
            self._place(stack, {"numbers": shard_numbers(entries, outputs)})
        stacks = [s for s, _ in self._shard_plan()]
        if verb == "preview":
            new = [s for s in stacks if not self.workspace.has(s)]
            self._say_new(new)
            run = [s for s in stacks if self.workspace.has(s)]
            outcomes = {o.stack: o for o in self._shards(verb, run)}
            outcomes.update({s: self._new(s, len(self.plan.shards[s])) for s in new})
            return [first, *(outcomes[s] for s in stacks)]
        return [first, *self._shards(verb, stacks)]

    def _shard_plan(self) -> list[tuple[str, dict[str, Any]]]:
        return list(self.plan.shards.items())

    def _say_new(self, new: list[str]) -> None:
        for stack in new:
            count = len(self.plan.shards[stack])
            self.say(f"{stack} does not exist yet: `split up` creates it and its {count} numbers")

    def _new(self, stack: str, numbers: int) -> Outcome:
        return Outcome(stack, numbers, True, 0.0, new=True, note="`split up` creates it")

    def _place(self, stack: str, fleet: dict[str, Any]) -> None:
        """The stack's file as this run needs it: written, or for preview in the scratch dir."""
        text = stack_file_text(self.project, self.plan, fleet)
        if self.scratch is not None:
            (self.scratch / self.project.stack_file(stack).name).write_text(text)
        else:
            write_atomically(self.project.stack_file(stack), text)

    def _config_file(self, stack: str) -> str | None:
        if self.scratch is None:
            return None
        return str(self.scratch / self.project.stack_file(stack).name)

    def _outputs(self, stack: str) -> dict[str, Any] | None:
        outputs = ask(self.stack(stack).outputs, f"pulumi stack output --stack {stack}", stack)
        if "routes" not in outputs:
            return None
        return {name: value.value for name, value in outputs.items()}

    def _shards(self, verb: str, stacks: list[str]) -> list[Outcome]:
        with ThreadPoolExecutor(self.parallel) as pool:
            sizes = {s: len(self.plan.shards.get(s, {})) for s in stacks}
            return list(pool.map(lambda s: self._one(s, verb, sizes[s]), stacks))

    def _one(self, name: str, verb: str, numbers: int) -> Outcome:
        start = time.perf_counter()
        log_path = self.logs / f"{name}.log"
        said: list[str] = []
        # Line-buffered: a driver killed midway leaves the log as far as it got.
        with log_path.open("w", buffering=1) as log:

            def output(line: str) -> None:
                log.write(line + "\n")
                said.append(line)
                found = PROGRESS.search(line)
                if found:
                    self.progress.update(name, int(found.group(1)))

            try:
                changes = _operate(self.stack(name), verb, output, self._config_file(name))
            except Interrupted:
                return Outcome(name, numbers, False, 0.0, error=self._interrupted("not started"))
            except auto.CommandError as error:
                log.write(str(error))
                failed = self._failed(name, verb, numbers, str(error))
                failed.seconds = time.perf_counter() - start
                self.say(f"{name}: {verb} failed ({failed.error}); its log: {log_path}")
                self._say_note(failed)
                return failed
        if verb in ("up", "destroy") and numbers:
            self.progress.update(name, numbers)
        note = pending_note(name, verb, pending_operations("\n".join(said)))
        outcome = Outcome(name, numbers, True, time.perf_counter() - start, changes, note=note)
        self.say(f"{name}: {verb} done in {outcome.seconds:.1f} s ({_changes(changes)})")
        self._say_note(outcome)
        return outcome

    def _failed(self, name: str, verb: str, numbers: int, text: str) -> Outcome:
        """A failed stack's row: its first error, and the step left to take."""
        problem = setup_problem(text, name)
        if problem:
            raise SplitError(problem)
        reason = stack_problem(text, name, f"split {verb}")
        if self.children.stopping:
            reason = self._interrupted(f"cancelled ({reason})")
        note = pending_note(name, verb, pending_operations(text))
        return Outcome(name, numbers, False, 0.0, error=reason, note=note)

    def _say_note(self, outcome: Outcome) -> None:
        if outcome.note:
            self.say(f"{outcome.stack}: {outcome.note}")

    def _interrupted(self, what: str) -> str:
        names = " then ".join(signal_name(s) for s in self.children.signals)
        return f"{what}: split was interrupted ({names})"


def _operate(
    stack: auto.Stack, verb: str, output: Callable[[str], None], config_file: str | None
) -> dict[str, int]:
    """Run ``verb``; the resource changes it reports."""
    if verb == "preview":
        changes = stack.preview(on_output=output, config_file=config_file).change_summary
    elif verb == "up":
        changes = stack.up(on_output=output).summary.resource_changes or {}
    elif verb == "refresh":
        changes = stack.refresh(on_output=output).summary.resource_changes or {}
    else:
        changes = stack.destroy(on_output=output).summary.resource_changes or {}
    # Preview counts by OpType (a str enum), the others by plain strings.
    return {str(getattr(kind, "value", kind)): count for kind, count in changes.items()}


def _changes(changes: Mapping[str, int]) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in sorted(changes.items())) or "nothing"


def _cut(text: str, limit: int = NOTE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def summary(outcomes: list[Outcome], seconds: float) -> str:
    """One table: each stack's numbers, result, changes and time, and for a failed stack its
    first error (for any stack, the step left to take); then the totals."""
    rows = [
        (
            o.stack,
            str(o.numbers or "-"),
            o.result,
            _changes(o.changes),
            f"{o.seconds:.1f}",
            _cut("; ".join(part for part in (o.error, o.note) if part)),
        )
        for o in outcomes
    ]
    failed = sum(not o.ok for o in outcomes)
    rows.append(
        (
            "total",
            str(sum(o.numbers for o in outcomes)),
            f"{failed} failed" if failed else "ok",
            f"{len(outcomes)} stacks",
            f"{seconds:.1f}",
            "",
        )
    )
    header: tuple[str, ...] = ("stack", "numbers", "result", "changes", "seconds", "note")
    table: list[tuple[str, ...]] = [header, *rows]
    if not any(row[-1] for row in rows):
        table = [row[:-1] for row in table]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in table
    )


def interactive() -> bool:
    """A person can answer a prompt: as pulumi decides it (stdin and stdout terminals, TERM not
    dumb, not CI)."""
    return (
        sys.stdin.isatty()
        and sys.stdout.isatty()
        and os.environ.get("TERM", "").lower() != "dumb"
        and not os.environ.get("CI")
    )


def confirmation(yes: bool, ask: Callable[[str], str] = input) -> Callable[[list[str]], bool]:
    """How ``split destroy`` is confirmed: ``--yes`` (or PULUMI_SKIP_CONFIRMATIONS, as pulumi
    takes it), a yes typed on a terminal, or nothing at all elsewhere."""
    skip = os.environ.get("PULUMI_SKIP_CONFIRMATIONS", "").lower() in ("1", "true")

    def confirm(stacks: list[str]) -> bool:
        if yes or skip:
            return True
        if not interactive():
            raise SplitError(
                f"split destroy deletes every resource of {len(stacks)} stacks "
                f"({', '.join(stacks)}): pass --yes to confirm (no terminal to ask on)"
            )
        print(
            f"This destroys every resource of {len(stacks)} stacks: {', '.join(stacks)}. "
            "Numbers set to release_on_delete are released from the account.",
            file=sys.stderr,
        )
        try:
            with _ctrl_c_stops_the_prompt():
                answer = ask("Do you want to perform this destroy? Type yes to go on: ")
        except (EOFError, KeyboardInterrupt):
            return False
        return answer.strip().lower() in ("yes", "y")

    return confirm


@contextlib.contextmanager
def _ctrl_c_stops_the_prompt() -> Iterator[None]:
    """Ctrl-C at the prompt declines (no pulumi runs yet to pass it to)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def main(
    verb: str, stack: str, per_stack: int, parallel: int, directory: Path, *, yes: bool = False
) -> int:
    """``split VERB``: print progress on stderr and the summary on stdout; 0 when all succeed,
    1 when a stack failed, 2 when the split could not start, 128+N after signal N."""

    def say(line: str) -> None:
        with contextlib.suppress(OSError):  # a terminal that hung up
            print(line, file=sys.stderr, flush=True)

    start = time.perf_counter()
    children = Children()
    try:
        with forwarding_signals(children), contextlib.closing(children):
            try:
                project = Project.load(directory)
            except FileNotFoundError as error:
                raise SplitError(f"{error}: run from the project directory") from None
            split = Split(
                project,
                plan(project, stack, per_stack),
                parallel,
                directory / ".flowroute" / "split",
                say,
                children=children,
                confirm=confirmation(yes),
            )
            outcomes = split.run(verb)
    except (SplitError, RunError) as error:
        say(f"error: {error}")
        return 2
    except Interrupted as stopped:
        say(f"error: split was interrupted ({stopped}) between two stacks; rerun it to go on")
        return 128 + stopped.signum
    with contextlib.suppress(OSError):
        print(summary(outcomes, time.perf_counter() - start), flush=True)
    if children.signals:
        return 128 + children.signals[0]
    return 0 if all(o.ok for o in outcomes) else 1
