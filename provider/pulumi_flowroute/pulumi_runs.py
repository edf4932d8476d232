"""The ``pulumi`` processes a command of this library drives through the Automation API
(``split``), and what they said, in one line.

Each ``pulumi`` runs as the Automation API runs it, but under a small supervisor
(:mod:`.pulumi_supervisor`), so that it ends with its driver instead of outliving it:

- it runs in a session of its own, so a Ctrl-C or a closed terminal reaches the driver alone,
  which passes the signal on (:func:`forwarding_signals`): each pulumi cancels as on a first
  Ctrl-C (the calls in flight finish and are recorded, the lock is released, its plugins are
  shut down), and stops on a second;
- when the driver dies, even of SIGKILL, its supervisors see their lifeline close and give
  each pulumi one SIGTERM, on which it cancels the same way;
- it writes to files, not to pipes the driver reads: a pulumi whose driver is gone would die of
  SIGPIPE at its next line, leaving its lock and its language host behind;
- on Linux, the language host a pulumi killed under it leaves behind (waiting minutes for an
  engine that is gone) is ended by its supervisor.

POSIX only (sessions, inherited descriptors, ``os.pread``), as the Pulumi CLI's own process
groups are.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import IO, TypeVar

from pulumi import automation as auto
from pulumi.automation.errors import create_command_error

T = TypeVar("T")
INSTALL = "https://www.pulumi.com/docs/iac/download-install/"


class RunError(Exception):
    """pulumi cannot be run, or a call outside any stack failed: one line saying what to do."""


class Interrupted(Exception):
    """The driver got a signal: no further pulumi is started."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# --- what the CLI said, in one line -----------------------------------------------------------

_GENERIC = re.compile(r"^(update|preview|refresh|destroy) (failed|canceled|cancelled)\.?$")
_CODE = re.compile(r"^\s*code: (-?\d+)\s*$", re.MULTILINE)
_PENDING = re.compile(r"^\s*\* (urn:pulumi:\S+), interrupted while (\w+)", re.MULTILINE)
_UNHANDLED = "Program failed with an unhandled exception"
_RAISED = re.compile(r"^\s*((?:[A-Za-z_][\w.]*)?(?:Error|Exception)\b.*)$", re.MULTILINE)
LOCKED = ("the stack is currently locked by", "Another update is currently in progress")


def cli_errors(text: str) -> list[str]:
    """The messages of the CLI's ``error:`` lines, in the order printed."""
    found = []
    for line in text.splitlines():
        _, colon, message = line.partition("error: ")
        if colon and message.strip():
            found.append(message.strip())
    return found


def first_error(text: str) -> str:
    """The first error the CLI printed that says more than "update failed" (else that one); a
    program's unhandled exception is named by its last line."""
    errors = cli_errors(text)
    specific = [e for e in errors if not _GENERIC.match(e)]
    error = (specific or errors or [""])[0]
    if error.startswith(_UNHANDLED):
        raised = _RAISED.findall(text.split(_UNHANDLED, 1)[1])
        if raised:
            error = f"{_UNHANDLED}: {raised[0].strip()}"
    return error


def exit_code(text: str) -> int | None:
    """The exit code a CommandError's text records (negative: the signal that killed it)."""
    found = _CODE.search(text)
    return int(found.group(1)) if found else None


def setup_problem(text: str, stack: str) -> str | None:
    """The one line for a CLI error that no stack gets past (each would say the same)."""
    if "PULUMI_ACCESS_TOKEN must be set" in text:
        return (
            "no Pulumi backend: run `pulumi login` (Pulumi Cloud), or `pulumi login --local`, "
            "or set PULUMI_BACKEND_URL (e.g. `mkdir -p .state && export "
            "PULUMI_BACKEND_URL=file://$PWD/.state`), then run it again"
        )
    if "passphrase must be set with PULUMI_CONFIG_PASSPHRASE" in text:
        return (
            f"stack {stack} needs its passphrase: set PULUMI_CONFIG_PASSPHRASE (or "
            "PULUMI_CONFIG_PASSPHRASE_FILE) to the one its secrets are encrypted with, then run "
            "it again"
        )
    if "incorrect passphrase" in text:
        return (
            f"stack {stack}: PULUMI_CONFIG_PASSPHRASE is not the passphrase its secrets are "
            "encrypted with (its stack file's encryptionsalt): set that one"
        )
    return None


def stack_problem(text: str, stack: str, again: str) -> str:
    """A failed stack's first error in one line, with the command to run when there is one
    (``again``: what to run after it, e.g. ``split up``)."""
    if any(marker in text for marker in LOCKED):
        return (
            f"locked by a run that did not finish: if no pulumi is running on it, run "
            f"`pulumi cancel --stack {stack}`, then {again} again"
        )
    error = first_error(text)
    code = exit_code(text)
    if code is not None and code < 0:
        return (
            f"pulumi was killed ({signal_name(-code)}) before it finished"
            + (f" (its last error: {error})" if error else "")
            + f"; if the next run finds the stack locked, run `pulumi cancel --stack {stack}`"
        )
    if error:
        return error
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return f"pulumi exited with code {code}" + (f": {lines[-1]}" if lines else "")


def pending_operations(text: str) -> dict[str, str]:
    """The operations an earlier, interrupted run left pending: resource name -> what it did."""
    return {urn.rsplit("::", 1)[-1]: op for urn, op in _PENDING.findall(text)}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def pending_note(stack: str, verb: str, pending: Mapping[str, str]) -> str:
    """The command to run for the pending operations a stack's output named ('' for none)."""
    creates = sorted(name for name, op in pending.items() if op == "creating")
    if creates:
        return (
            f"{_count(len(creates), 'create')} left pending by an interrupted run "
            f"({', '.join(creates)}): check {'it' if len(creates) == 1 else 'them'} on the "
            "account, then run "
            f"`pulumi refresh --stack {stack} --clear-pending-creates`"
        )
    if pending and verb != "refresh":  # a refresh settles updates and deletes itself
        return (
            f"{_count(len(pending), 'operation')} left pending by an interrupted run "
            f"({', '.join(sorted(pending))}): run `pulumi refresh --stack {stack}`"
        )
    return ""


# --- the pulumi processes ---------------------------------------------------------------------

SUPERVISOR = Path(__file__).with_name("pulumi_supervisor.py")


class Children:
    """The ``pulumi`` processes running now (each under :mod:`.pulumi_supervisor`), and the
    signals the driver has passed them."""

    def __init__(self) -> None:
        # Reentrant: the signal handler takes it in the main thread, which may hold it.
        self.lock = threading.RLock()
        self.running: set[subprocess.Popen[bytes]] = set()
        self.signals: list[int] = []
        # The supervisors read the one end; only this process holds the other, so its end,
        # however it comes, is their end-of-file.
        self.lifeline, self._held = os.pipe()

    @property
    def stopping(self) -> bool:
        return bool(self.signals)

    def start(
        self, argv: list[str], cwd: str, env: Mapping[str, str], out: IO[bytes], err: IO[bytes]
    ) -> subprocess.Popen[bytes]:
        with self.lock:
            if self.signals:
                raise Interrupted(self.signals[0])
            process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(SUPERVISOR), str(self.lifeline), *argv],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=cwd,
                env=dict(env),
                pass_fds=(self.lifeline,),
                # Out of the terminal's process group: a Ctrl-C or a hang-up reaches the driver,
                # which passes it on, rather than each pulumi at once.
                start_new_session=True,
            )
            self.running.add(process)
            return process

    def finished(self, process: subprocess.Popen[bytes]) -> None:
        with self.lock:
            self.running.discard(process)

    def forward(self, signum: int) -> None:
        """Pass a signal the driver got to every pulumi: SIGINT as SIGINT, others as SIGTERM.

        pulumi cancels on the first (waits for the calls in flight, records them, releases its
        lock) and stops on the second, as for Ctrl-C pressed twice.
        """
        with self.lock:
            self.signals.append(signum)
            passed = signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM
            for process in self.running:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(passed)

    def close(self) -> None:
        """Once nothing runs: the lifeline is no longer needed."""
        for descriptor in (self.lifeline, self._held):
            with contextlib.suppress(OSError):
                os.close(descriptor)


@contextlib.contextmanager
def forwarding_signals(children: Children) -> Iterator[None]:
    """While inside: SIGINT, SIGTERM and SIGHUP to this driver go on to its pulumi processes
    (which cancel) and no new one starts. Outside the main thread, signals are left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        children.forward(signum)

    kinds = [signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    previous = {kind: signal.signal(kind, handler) for kind in kinds}
    try:
        yield
    finally:
        for kind, old in previous.items():
            signal.signal(kind, old)


def _follow(
    file: IO[bytes], done: threading.Event, callback: auto.OnOutput | None, lines: list[str]
) -> None:
    """Read what a pulumi writes to ``file`` as it comes, line by line, until it has exited
    (``done``) and all is read. Reads at an offset of our own: the file's is the writer's."""
    offset, partial = 0, b""

    def emit(raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip()
        if callback:
            callback(line)
        lines.append(line)

    while True:
        finished = done.is_set()
        chunk = os.pread(file.fileno(), 1 << 16, offset)
        if chunk:
            offset += len(chunk)
            *complete, partial = (partial + chunk).split(b"\n")
            for raw in complete:
                emit(raw)
        elif finished:
            break
        else:
            time.sleep(0.05)
    if partial:
        emit(partial)


def run_following(
    children: Children,
    argv: list[str],
    cwd: str,
    env: Mapping[str, str],
    on_output: auto.OnOutput | None = None,
    on_error: auto.OnOutput | None = None,
) -> tuple[int, str, str]:
    """Run ``argv`` through ``children``, each line of its stdout and stderr passed to the
    callbacks as it comes; its exit code (negative: the signal that killed it) and output."""
    lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
    done = threading.Event()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = children.start(argv, cwd, env, out, err)
        readers = [
            threading.Thread(target=_follow, args=(out, done, on_output, lines["stdout"])),
            threading.Thread(target=_follow, args=(err, done, on_error, lines["stderr"])),
        ]
        for reader in readers:
            reader.start()
        try:
            code = process.wait()
        finally:
            children.finished(process)
            done.set()
            for reader in readers:
                reader.join()
    return code, "\n".join(lines["stdout"]), "\n".join(lines["stderr"])


class Command(auto.PulumiCommand):
    """The Automation API's runner of the CLI, each ``pulumi`` started through ``children``."""

    def __init__(self, children: Children) -> None:
        super().__init__()
        self.children = children

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: auto.OnOutput | None = None,
        on_error: auto.OnOutput | None = None,
    ) -> auto.CommandResult:
        # As the SDK's own runner: never a prompt, and the CLI knows the Automation API drives it.
        end = args.index("--") if "--" in args else len(args)
        if "--non-interactive" not in args[:end]:
            args.insert(0, "--non-interactive")
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
        code, stdout, stderr = run_following(
            self.children, [self.command, *args], cwd, env, on_output, on_error
        )
        result = auto.CommandResult(stdout=stdout, stderr=stderr, code=code)
        if code != 0:
            raise create_command_error(result)
        return result


class Workspace(auto.LocalWorkspace):
    """A project's workspace that never selects a stack: every operation names its own
    (``--stack``), so the stack the user selected stays selected."""

    def __init__(self, directory: Path, command: Command) -> None:
        super().__init__(work_dir=str(directory), pulumi_command=command)
        self.existing: set[str] = set()

    def refresh_existing(self) -> dict[str, int]:
        """The project's stacks in the backend, with their resource counts (by name, and by
        the last part of a qualified ``org/project/stack`` name)."""
        stacks: dict[str, int] = {}
        for found in self.list_stacks():
            for name in (found.name, found.name.rsplit("/", 1)[-1]):
                stacks.setdefault(name, found.resource_count or 0)
        self.existing = set(stacks)
        return stacks

    def has(self, stack: str) -> bool:
        return stack in self.existing

    def select_stack(self, stack_name: str) -> None:
        if stack_name not in self.existing:
            raise RunError(f"stack {stack_name} does not exist")

    def create_stack(self, stack_name: str) -> None:
        self._run_pulumi_cmd_sync(["stack", "init", stack_name, "--no-select"])
        self.existing.add(stack_name)

    def open_stack(self, name: str) -> auto.Stack:
        """``name``, created (not selected) if the backend does not have it yet."""
        if self.has(name):
            return auto.Stack.select(name, self)
        return auto.Stack.create(name, self)


def workspace(directory: Path, children: Children) -> Workspace:
    """The project's workspace; :class:`RunError` when the CLI cannot be run."""
    if shutil.which("pulumi") is None:
        raise RunError(
            f"the Pulumi CLI (`pulumi`) is not on PATH: install it ({INSTALL}) or put the "
            "directory holding it first on PATH, then run it again"
        )
    try:
        return Workspace(directory, Command(children))
    except auto.InvalidVersionError as error:
        raise RunError(f"this Pulumi CLI cannot be driven: {error}") from None
    except (OSError, subprocess.CalledProcessError) as error:
        raise RunError(f"`pulumi version` did not run ({error}): check the CLI on PATH") from None


def ask(call: Callable[[], T], what: str, stack: str) -> T:
    """A CLI call outside any stack's row: its failure is one :class:`RunError` line."""
    try:
        return call()
    except auto.CommandError as error:
        text = str(error)
        problem = setup_problem(text, stack)
        raise RunError(problem or f"{what}: {stack_problem(text, stack, what)}") from None
