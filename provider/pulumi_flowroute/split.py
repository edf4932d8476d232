"""One stack-config fleet run as several stacks, in parallel, through Pulumi's Automation API.

Pulumi saves a stack's whole state after every resource step, so one stack's time grows with
the square of its numbers. ``python -m pulumi_flowroute split up --stack big`` keeps the fleet
described once, in ``Pulumi.big.yaml``, and runs it as stacks of at most ``--per-stack``
numbers:

- ``big-shared`` holds the shared routes, E911 addresses, caller names and webhooks;
- ``big-001``, ``big-002``... hold the numbers, naming the shared ones by the ids
  ``big-shared`` exports (``{route_id: ...}``, ``{e911_id: ...}``, ``{cnam_id: ...}``).

The generated stack files are rewritten on every run from the source file; an entry stays in
the stack that holds it (moving it would delete it in one stack and acquire it in another), new
entries fill stacks with room, removed entries leave theirs. The stacks run in the project's
own program, through the ``pulumi`` CLI, in parallel; one summary is printed at the end.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

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


class SplitError(Exception):
    """A split that cannot start: the message says what to fix."""


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


def write_stack_file(project: Project, stack: str, plan_: Plan, fleet: dict[str, Any]) -> None:
    """Replace ``stack``'s file atomically: the source's settings and secrets, and ``fleet``."""
    config = {**plan_.settings, **{project.key(k): v for k, v in fleet.items()}}
    document = {**plan_.secrets, "config": config}
    path = project.stack_file(stack)
    text = HEADER.format(source=project.stack_file(plan_.source).name)
    text += yaml.safe_dump(document, sort_keys=False)
    write_atomically(path, text)


@dataclass
class Outcome:
    """How one stack's operation ended."""

    stack: str
    numbers: int
    ok: bool
    seconds: float
    changes: dict[str, int] = field(default_factory=dict)
    error: str = ""


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
    ) -> None:
        self.project = project
        self.plan = plan_
        self.parallel = max(1, parallel)
        self.logs = logs
        self.say = say
        self.progress = Progress(plan_.numbers, say)

    def stack(self, name: str) -> auto.Stack:
        return auto.create_or_select_stack(name, work_dir=str(self.project.directory))

    def refuse_a_whole_deployed_source(self) -> None:
        """A source stack that holds the fleet itself would keep it while the shards acquire it
        again: searches would buy a second set of numbers."""
        try:
            source = auto.select_stack(self.plan.source, work_dir=str(self.project.directory))
        except auto.StackNotFoundError:
            return
        resources = (source.export_stack().deployment or {}).get("resources") or []
        if len(resources) > 1:
            raise SplitError(
                f"stack {self.plan.source} holds {len(resources)} resources: a fleet deployed "
                "whole cannot be split (the split stacks would acquire its numbers again). "
                "Keep running it whole, or destroy it first (numbers stay on the account "
                "unless release_on_delete is set) and adopt them in the split stacks."
            )

    def run(self, verb: str) -> list[Outcome]:
        """``verb`` on every stack: the shared stack first (last for destroy)."""
        self.refuse_a_whole_deployed_source()
        self.logs.mkdir(parents=True, exist_ok=True)
        shared = self.plan.shared_stack
        if verb == "destroy":
            outcomes = self._shards(verb, self._existing_shards())
            if all(o.ok for o in outcomes):
                outcomes.append(self._one(shared, verb, 0))
            return outcomes
        write_stack_file(self.project, shared, self.plan, {**self.plan.shared, "numbers": {}})
        first = self._one(shared, verb, 0)
        if not first.ok:
            return [first]
        outputs = self._outputs(shared)
        if outputs is None:
            self.say(f"{shared} is not deployed yet: the numbers' stacks preview after `split up`")
            return [first]
        for stack, entries in self.plan.shards.items():
            write_stack_file(
                self.project, stack, self.plan, {"numbers": shard_numbers(entries, outputs)}
            )
        return [first, *self._shards(verb, list(self.plan.shards))]

    def _existing_shards(self) -> list[str]:
        return [s for s in self.plan.shards if self.project.stack_file(s).exists()]

    def _outputs(self, stack: str) -> dict[str, Any] | None:
        outputs = self.stack(stack).outputs()
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
        with log_path.open("w") as log:

            def output(line: str) -> None:
                log.write(line + "\n")
                said = PROGRESS.search(line)
                if said:
                    self.progress.update(name, int(said.group(1)))

            try:
                stack = self.stack(name)
                changes = _operate(stack, verb, output)
            except auto.CommandError as error:
                log.write(str(error))
                outcome = Outcome(
                    name, numbers, False, time.perf_counter() - start, error=_last_error(error)
                )
                self.say(f"{name}: {verb} failed ({outcome.error}); its log: {log_path}")
                return outcome
        if verb in ("up", "destroy") and numbers:
            self.progress.update(name, numbers)
        outcome = Outcome(name, numbers, True, time.perf_counter() - start, changes)
        self.say(f"{name}: {verb} done in {outcome.seconds:.1f} s ({_changes(changes)})")
        return outcome


def _operate(stack: auto.Stack, verb: str, output: Callable[[str], None]) -> dict[str, int]:
    """Run ``verb``; the resource changes it reports."""
    if verb == "preview":
        changes = stack.preview(on_output=output).change_summary
    elif verb == "up":
        changes = stack.up(on_output=output).summary.resource_changes or {}
    elif verb == "refresh":
        changes = stack.refresh(on_output=output).summary.resource_changes or {}
    else:
        changes = stack.destroy(on_output=output).summary.resource_changes or {}
    # Preview counts by OpType (a str enum), the others by plain strings.
    return {str(getattr(kind, "value", kind)): count for kind, count in changes.items()}


def _last_error(error: auto.CommandError) -> str:
    """The CLI's own last ``error:`` line, or the command's."""
    lines = [line.strip() for line in str(error).splitlines() if "error:" in line]
    return lines[-1].split("error:", 1)[1].strip() if lines else str(error).splitlines()[0]


def _changes(changes: Mapping[str, int]) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in sorted(changes.items())) or "nothing"


def summary(outcomes: list[Outcome], seconds: float) -> str:
    """One table: each stack's numbers, result, changes and time; then the totals."""
    rows = [
        (
            o.stack,
            str(o.numbers or "-"),
            "ok" if o.ok else "FAILED",
            _changes(o.changes),
            f"{o.seconds:.1f}",
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
        )
    )
    header = ("stack", "numbers", "result", "changes", "seconds")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    )


def main(verb: str, stack: str, per_stack: int, parallel: int, directory: Path) -> int:
    """``split VERB``: print progress on stderr and the summary on stdout; 0 when all succeed."""

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    start = time.perf_counter()
    try:
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
        )
        outcomes = split.run(verb)
    except SplitError as error:
        say(f"error: {error}")
        return 2
    print(summary(outcomes, time.perf_counter() - start))
    return 0 if all(o.ok for o in outcomes) else 1
