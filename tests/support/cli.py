"""Drive the real Pulumi CLI on a project directory, as a user's shell would.

``scripts/pulumi-cli`` provides the CLI (on PATH, cached, or built once from the Go module proxy);
``scripts/run_stack.py`` runs preview / up / refresh / destroy through it. Every run is offline:
a ``file://`` backend and a ``PULUMI_HOME`` inside the project directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pulumi_flowroute.emulator import FlowrouteBackend, LoggedRequest
from tests.support.audit import assert_no_secrets

ROOT = Path(__file__).resolve().parents[2]
NO_CLI = 3  # scripts/pulumi-cli: neither a pulumi on PATH nor Go to build one


def provide_cli() -> str:
    """The directory holding ``bin/pulumi``; skip (fail in CI) when it cannot be had."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "pulumi-cli")], capture_output=True, text=True, check=False
    )
    if done.returncode == 0:
        return done.stdout.strip()
    if done.returncode == NO_CLI and not os.environ.get("CI"):
        pytest.skip("the Pulumi CLI is not installed and there is no Go to build it")
    pytest.fail(f"the Pulumi CLI could not be provided:\n{done.stderr}")


@dataclass(frozen=True)
class Run:
    """What a command printed (stdout and stderr together, as a terminal shows them)."""

    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class PulumiProject:
    """A Pulumi project directory, one of its stacks, and the emulator file it deploys to."""

    def __init__(
        self,
        path: Path,
        cli_root: str,
        stack: str,
        *,
        python: str = sys.executable,
        passphrase: str = "",
    ) -> None:
        self.path = path
        self.cli_root = cli_root
        self.stack = stack
        self.python = python
        backend = path / ".pulumi"
        (backend / "home").mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "PULUMI_BACKEND_URL": f"file://{backend}",
            "PULUMI_HOME": str(backend / "home"),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_CONFIG_PASSPHRASE": passphrase,
        }
        for name in ("FLOWROUTE_ACCESS_KEY", "FLOWROUTE_SECRET_KEY", "FLOWROUTE_BASE_URL"):
            self.env.pop(name, None)

    def _run(self, argv: list[str]) -> Run:
        done = subprocess.run(
            argv,
            cwd=self.path,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
        # `pulumi stack export` shows plain stack config, the access key included, by design.
        where = f"the output of {' '.join(argv[:2])}"
        assert_no_secrets(done.stdout, where, access_key=argv[1:3] != ["stack", "export"])
        return Run(done.returncode, done.stdout)

    def op(self, operation: str, *args: str) -> Run:
        """``pulumi preview|up|refresh|destroy`` of the stack."""
        script = str(ROOT / "scripts" / "run_stack.py")
        where = ["--dir", str(self.path), "--stack", self.stack, "--cli", self.cli_root]
        return self._run([self.python, script, operation, *where, *args])

    def start(self, operation: str) -> subprocess.Popen[str]:
        """Start ``op(operation)`` in the background, e.g. to kill its provider midway."""
        script = str(ROOT / "scripts" / "run_stack.py")
        where = ["--dir", str(self.path), "--stack", self.stack, "--cli", self.cli_root]
        return subprocess.Popen(
            [self.python, script, operation, *where],
            cwd=self.path,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def ok(self, operation: str, *args: str) -> str:
        run = self.op(operation, *args)
        assert run.ok, f"pulumi {operation} failed:\n{run.output}"
        return run.output

    def pulumi(self, *args: str) -> Run:
        """Any other CLI command, e.g. ``config set`` or ``stack export``."""
        return self._run([str(Path(self.cli_root) / "bin" / "pulumi"), *args])

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


def writes(log: list[LoggedRequest]) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in log if r.method != "GET"]
