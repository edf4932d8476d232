"""Drive plain ``pulumi`` on a project directory, as a user's shell would.

``scripts/pulumi-cli`` provides one directory holding the CLI and its Python language host (on
PATH, cached, or built once); every command runs with that directory first on ``PATH``, so the
CLI starts the program through the real language host, from the project's virtualenv. Every run
is offline: a ``file://`` backend and a ``PULUMI_HOME`` inside the project directory.

The benchmarks (``bench/``) drive the CLI with this module too, so it never imports pytest: what
a test run makes of a missing CLI (a skip, or a failure in CI) is conftest.py's ``cli_bin``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pulumi_flowroute.emulator import FlowrouteBackend
from tests.support.audit import assert_no_secrets

ROOT = Path(__file__).resolve().parents[2]
NO_CLI = 3  # scripts/pulumi-cli: neither an installed CLI and host, nor Go to build them
OPERATIONS = ("preview", "up", "refresh", "destroy")
LEFT_OUT = {".git", ".venv", ".pulumi", ".flowroute", "tests", "bench", "build", "tools"}

# When one resource fails, the engine cancels registrations still in flight, and Pulumi's Python
# SDK (3.272, host 3.274) reports that as an unhandled exception of the *program*, whose last line
# is "Exception: context canceled". It is Pulumi's race, not this provider's text: tests set it
# aside only when no frame of pulumi_flowroute is in it.
_ENGINE_CANCELLED = re.compile(
    r"Program failed with an unhandled exception:\n.*?\bException: context canceled\n", re.DOTALL
)


class CliUnavailable(Exception):
    """``scripts/pulumi-cli`` gave no CLI; the message is what it printed.

    ``not_installed``: nothing failed, the CLI or a language host is simply not there and
    there is no Go to build it (a machine that never ran ``make cli``).
    """

    def __init__(self, message: str, *, not_installed: bool) -> None:
        super().__init__(message)
        self.not_installed = not_installed


def provide_cli() -> str:
    """The directory holding ``pulumi`` and its language hosts; :class:`CliUnavailable`
    without them."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "pulumi-cli")], capture_output=True, text=True, check=False
    )
    if done.returncode == 0:
        return done.stdout.strip()
    raise CliUnavailable(done.stderr, not_installed=done.returncode == NO_CLI)


@dataclass(frozen=True)
class Run:
    """What a command printed (stdout and stderr together, as a terminal shows them)."""

    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def tracebacks(self) -> int:
        """Tracebacks printed, other than Pulumi's own for a registration the engine cancelled."""
        ours = [
            m.group(0)
            for m in _ENGINE_CANCELLED.finditer(self.output)
            if "pulumi_flowroute" in m.group(0)
        ]
        rest = _ENGINE_CANCELLED.sub("", self.output)
        return rest.count("Traceback") + sum(block.count("Traceback") for block in ours)


class PulumiProject:
    """A Pulumi project directory, one of its stacks, and the CLI that runs it."""

    def __init__(self, path: Path, cli_bin: str, stack: str, *, passphrase: str = "") -> None:
        self.path = path
        self.cli_bin = cli_bin
        self.stack = stack
        backend = path / ".pulumi"
        (backend / "home").mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "PATH": f"{cli_bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_BACKEND_URL": f"file://{backend}",
            "PULUMI_HOME": str(backend / "home"),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_CONFIG_PASSPHRASE": passphrase,
        }
        for name in ("FLOWROUTE_ACCESS_KEY", "FLOWROUTE_SECRET_KEY", "FLOWROUTE_BASE_URL"):
            self.env.pop(name, None)
        # The language host would take the test runner's virtualenv for the project's.
        self.env.pop("VIRTUAL_ENV", None)

    def pulumi(self, *args: str, timeout: float = 300) -> Run:
        """``pulumi ARGS`` in the project directory, e.g. ``config set`` or ``stack export``."""
        done = subprocess.run(
            ["pulumi", *args],
            cwd=self.path,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        # `pulumi stack export` shows plain stack config, the access key included, by design.
        where = f"the output of pulumi {' '.join(args[:2])}"
        assert_no_secrets(done.stdout, where, access_key=list(args[:2]) != ["stack", "export"])
        return Run(done.returncode, done.stdout)

    def argv(self, operation: str, *args: str) -> list[str]:
        """``pulumi preview|up|refresh|destroy`` of the stack, as a script runs it."""
        assert operation in OPERATIONS, operation
        confirm = [] if operation == "preview" else ["--yes"]
        return [operation, "--stack", self.stack, "--non-interactive", *confirm, *args]

    def op(self, operation: str, *args: str) -> Run:
        return self.pulumi(*self.argv(operation, *args))

    def ok(self, operation: str, *args: str) -> str:
        run = self.op(operation, *args)
        assert run.ok, f"pulumi {operation} failed:\n{run.output}"
        return run.output

    def start(self, operation: str, *args: str) -> subprocess.Popen[str]:
        """Start ``op(operation)`` in the background, e.g. to kill its provider midway.

        The run leads a process group of its own: ``os.killpg(run.pid, ...)`` reaches what a
        closed terminal's signal reaches. (The CLI starts its plugins in groups of their own.)
        """
        return subprocess.Popen(
            ["pulumi", *self.argv(operation, *args)],
            cwd=self.path,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def emulator(self, relative: str) -> FlowrouteBackend:
        return FlowrouteBackend(str(self.path / relative))


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, found through /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def dynamic_provider_of(pid: int) -> int | None:
    """The dynamic-provider process (``python -m pulumi.dynamic``) a run started, if any."""
    for child in descendants(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"pulumi.dynamic" in cmdline:
            return child
    return None


def copy_of_the_project(tmp_path: Path, cli_bin: str) -> PulumiProject:
    """A copy of this project (program, stacks, scripts) with its dev stack initialised."""
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=lambda _dir, names: [
            n for n in names if n in LEFT_OUT or n.endswith((".egg-info", "__pycache__"))
        ],
    )
    (copy / ".venv").symlink_to(ROOT / ".venv")
    project = PulumiProject(copy, cli_bin, "dev")
    assert project.pulumi("stack", "init", "dev").ok
    return project
