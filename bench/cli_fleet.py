"""The stack-config fleet under plain ``pulumi``, beside the API floor.

What users run: the real CLI and Python language host (``scripts/pulumi-cli``), the project's
own ``Pulumi.yaml`` and ``__main__.py``, Pulumi's local file backend, and an emulator server
over loopback; or ``python -m pulumi_flowroute split``, which runs the same fleet as several
stacks through the same CLI. Each operation is timed as a user runs it (``up`` includes its
preview), and its requests, read from the emulator's log, are then replayed in order on one
session against a fresh emulator: the floor, the same API calls made directly by one thread.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from pulumi_flowroute.emulator import FlowrouteBackend, LoggedRequest, RemoteEmulator
from tests.support.cli import PulumiProject

KEYS = {"FLOWROUTE_EMULATOR_ACCESS_KEY": "81234567", "FLOWROUTE_EMULATOR_SECRET_KEY": "bench"}
AUTH = ("81234567", "bench")
OPERATIONS = ("up", "no-op up", "refresh", "destroy")
WRITES = ("POST", "PATCH", "PUT", "DELETE")
SHARED_ROUTES = {
    "pbx": {"route_type": "host", "value": "sip.example.com:5060"},
    "cell": {"route_type": "number", "value": "12065550100"},
}
# The default inventory holds 2,282 numbers: room for the fleet and a quarter more.
INVENTORY = 2282


@dataclass(frozen=True)
class Timed:
    seconds: float
    #: CPU time (user and system) of the command and every process it started and waited for:
    #: the engine, the language host, the program, the providers. Less noisy than wall time on
    #: a machine others share.
    cpu_seconds: float
    peak_rss_mb: float
    log: list[LoggedRequest]


def reset(db: Path, size: int) -> FlowrouteBackend:
    backend = FlowrouteBackend(str(db))
    backend.reset(balance=1e7, inventory_scale=math.ceil(size * 1.25 / INVENTORY))
    return backend


def fleet_numbers(size: int) -> dict[str, Any]:
    """``size`` fleet entries sharing one search, each routed to the two shared routes."""
    return {
        f"line{i:05d}": {
            "search": {"starts_with": "1"},
            "primary": "pbx",
            "failover": "cell",
            "release_on_delete": True,
        }
        for i in range(size)
    }


def settings(url: str) -> dict[str, str]:
    """The provider's settings in a bench stack's config (the credentials are in its env)."""
    return {"flowroute:baseUrl": url, "flowroute:settleSeconds": "1"}


def stack_config(url: str, size: int) -> dict[str, Any]:
    """``size`` numbers sharing one search, each routed to two shared routes."""
    return {
        "config": {
            **settings(url),
            "flowroute-fleet:routes": SHARED_ROUTES,
            "flowroute-fleet:numbers": fleet_numbers(size),
        }
    }


def project(directory: Path, root: Path, cli_bin: str, url: str, size: int) -> PulumiProject:
    """A copy of the project's program with a ``bench`` stack of ``size`` numbers."""
    directory.mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(root / name, directory / name)
    (directory / ".venv").symlink_to(root / ".venv")
    (directory / "stacks").mkdir()
    stack_file = directory / "stacks" / "Pulumi.bench.yaml"
    stack_file.write_text(yaml.safe_dump(stack_config(url, size), sort_keys=False))
    cli = PulumiProject(directory, cli_bin, "bench")
    cli.env.update(FLOWROUTE_ACCESS_KEY=AUTH[0], FLOWROUTE_SECRET_KEY=AUTH[1])
    init = cli.pulumi("stack", "init", "bench")
    assert init.ok, init.output
    return cli


def run(cli: PulumiProject, operation: str, control: RemoteEmulator) -> Timed:
    """One ``pulumi`` operation: its wall time, its peak RSS, the API requests it made."""
    verb = "up" if operation.endswith("up") else operation
    return timed(["pulumi", *cli.argv(verb)], cli, operation, control)


def run_split(cli: PulumiProject, operation: str, control: RemoteEmulator, per_stack: int) -> Timed:
    """One ``python -m pulumi_flowroute split`` operation over the whole fleet."""
    verb = "up" if operation.endswith("up") else operation
    argv = [sys.executable, "-m", "pulumi_flowroute", "split", verb, "--stack", cli.stack]
    # `split destroy` asks to be confirmed, as pulumi does; this is how pulumi's --yes is set.
    confirmed = {**cli.env, "PULUMI_SKIP_CONFIRMATIONS": "true"}
    return timed([*argv, "--per-stack", str(per_stack)], cli, operation, control, confirmed)


def timed(
    argv: list[str],
    cli: PulumiProject,
    operation: str,
    control: RemoteEmulator,
    env: dict[str, str] | None = None,
) -> Timed:
    control.clear_requests()
    start = time.perf_counter()
    process = subprocess.Popen(
        argv,
        cwd=cli.path,
        env=cli.env if env is None else env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    # wait4 gives the largest peak RSS in the process tree: the CLI, which holds the engine
    # and the state (with split, the largest of its stacks' CLIs).
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    process.stdout.close()
    assert process.returncode == 0, f"{operation} failed:\n{output[-4000:]}"
    cpu = usage.ru_utime + usage.ru_stime
    return Timed(seconds, cpu, usage.ru_maxrss / 1024, control.requests())


def replay(url: str, auth: tuple[str, str], log: list[LoggedRequest]) -> float:
    """Seconds to make ``log``'s requests again, in order, on one keep-alive session."""
    session = requests.Session()
    session.auth = auth
    start = time.perf_counter()
    for request in log:
        target = f"{url}{request.path}" + (f"?{request.query}" if request.query else "")
        headers = {"Content-Type": request.content_type} if request.content_type else {}
        session.request(request.method, target, data=request.body, headers=headers, timeout=60)
    seconds = time.perf_counter() - start
    session.close()
    return seconds


def state_of(cli: PulumiProject) -> Path:
    (path,) = (cli.path / ".pulumi").glob(".pulumi/stacks/*/bench.json")
    return path


def states_of(cli: PulumiProject) -> list[Path]:
    """The state files of the stacks ``split`` made from the bench stack."""
    return sorted((cli.path / ".pulumi").glob(".pulumi/stacks/*/bench-*.json"))


def engine_resources(state: Path) -> list[dict[str, Any]]:
    deployment = json.loads(state.read_text())["checkpoint"]["latest"]
    return list(deployment.get("resources") or ())


def stack_trace_bytes(resource: dict[str, Any]) -> int:
    """What the SDK's stack trace of the registration takes in the (compact JSON) state."""
    trace = {k: resource[k] for k in ("sourcePosition", "stackTrace") if k in resource}
    return len(json.dumps(trace, separators=(",", ":"))) if trace else 0


@contextlib.contextmanager
def emulator_server(db: str, *extra: str) -> Iterator[str]:
    """An emulator server process on ``db``; yields its URL."""
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "pulumi_flowroute.emulator", "serve", "--port", "0"),
            # The floor replays every request of a run: keep them all.
            *("--db", db, "--request-log-limit", "10000000", *extra),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **KEYS},
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


@contextlib.contextmanager
def emulators(directory: Path, name: str, size: int) -> Iterator[tuple[str, str]]:
    """Two emulator servers with room for ``size`` numbers: the run's, and the floor's."""
    db, floor_db = directory / f"fleet-{name}.db", directory / f"floor-{name}.db"
    reset(db, size)
    reset(floor_db, size)
    with emulator_server(str(db)) as url, emulator_server(str(floor_db)) as floor_url:
        yield url, floor_url


def fleet(
    directory: Path, root: Path, cli_bin: str, size: int, per_stack: int | None = None
) -> list[dict[str, Any]]:
    """One row per operation of a ``size``-number fleet: the CLI's time beside the floor's.

    With ``per_stack``, the fleet is run by ``split`` as stacks of that many numbers.
    """
    name = f"{size}" if per_stack is None else f"{size}-split"
    with emulators(directory, name, size) as (url, floor_url):
        cli = project(directory / f"fleet-{name}", root, cli_bin, url, size)
        return list(operations(cli, size, url, floor_url, per_stack))


def operations(
    cli: PulumiProject, size: int, url: str, floor_url: str, per_stack: int | None = None
) -> Iterator[dict[str, Any]]:
    """Up, a no-op up, refresh and destroy of ``cli``'s ``bench`` stack (with ``per_stack``,
    run by ``split``) on the emulator at ``url``, each beside its floor, replayed on
    ``floor_url``: one row per operation, each as soon as it is measured."""
    control = RemoteEmulator(url, access_key=AUTH[0], secret_key=AUTH[1])
    for operation in OPERATIONS:
        if per_stack is None:
            measured = run(cli, operation, control)
            stacks = [state_of(cli)]
        else:
            measured = run_split(cli, operation, control, per_stack)
            stacks = states_of(cli)
        if operation == "up":
            per_number = sum(state.stat().st_size for state in stacks) / size
            resources = [r for state in stacks for r in engine_resources(state)]
            numbers = sum("line" in r["urn"] for r in resources)
            traces = sum(stack_trace_bytes(r) for r in resources) / size
        # An operation that calls nothing has no floor to compare with.
        floor = replay(floor_url, AUTH, measured.log) if measured.log else None
        yield {
            "numbers": size,
            "stacks": len(stacks),
            "operation": operation,
            "pulumi s": measured.seconds,
            "floor s": floor,
            "x floor": measured.seconds / floor if floor else None,
            "CPU s": measured.cpu_seconds,
            "engine MB": measured.peak_rss_mb,
            "calls/number": len(measured.log) / size,
            "writes": sum(r.method in WRITES for r in measured.log),
            "state B/number": per_number if operation == "up" else None,
            "of which SDK trace": traces if operation == "up" else None,
            "resources/number": numbers / size if operation == "up" else None,
        }


def onboarding(directory: Path, size: int) -> dict[str, Any]:
    """``python -m pulumi_flowroute onboard`` of an account in use with ``size`` numbers."""
    with emulator_server(str(directory / f"onboard-{size}.db"), "--fill-account", str(size)) as url:
        control = RemoteEmulator(url, access_key=AUTH[0], secret_key=AUTH[1])
        control.clear_requests()
        env = {
            **os.environ,
            "FLOWROUTE_ACCESS_KEY": AUTH[0],
            "FLOWROUTE_SECRET_KEY": AUTH[1],
            "FLOWROUTE_BASE_URL": url,
        }
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pulumi_flowroute", "onboard"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
        assert done.returncode == 0, done.stderr[-2000:]
        log = control.requests()
    with emulator_server(
        str(directory / f"onboard-floor-{size}.db"), "--fill-account", str(size)
    ) as floor_url:
        floor = replay(floor_url, AUTH, log)
    return {
        "numbers": size,
        "onboard s": seconds,
        "floor s": floor,
        "x floor": seconds / floor,
        "requests": len(log),
        "writes": sum(r.method in WRITES for r in log),
        "config lines": done.stdout.count("\n"),
    }
