"""``python -m pulumi_flowroute split``: the dev stack's fleet run as several stacks, through
Pulumi's Automation API and the real CLI."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pulumi_flowroute.emulator import Fault
from tests.support.cli import PulumiProject, descendants
from tests.support.dev_stack import DB, edit_numbers
from tests.support.emulators import writes

pytestmark = pytest.mark.e2e


def argv(verb: str, per_stack: int, *flags: str) -> list[str]:
    return [
        *(sys.executable, "-m", "pulumi_flowroute", "split", verb, "--stack", "dev"),
        *("--per-stack", str(per_stack), "--parallel", "2", *flags),
    ]


def split(
    project: PulumiProject,
    verb: str,
    *flags: str,
    per_stack: int = 2,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv(verb, per_stack, *flags),
        cwd=project.path,
        env=project.env if env is None else env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def rows(summary: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in summary.splitlines()[1:]}


def stack_files(project: PulumiProject) -> dict[str, str]:
    return {path.name: path.read_text() for path in (project.path / "stacks").iterdir()}


def selected(project: PulumiProject) -> str:
    shown = project.pulumi("stack", "--show-name")
    assert shown.ok, shown.output
    return shown.output.strip()


def test_the_fleet_split_in_stacks_buys_each_number_once_and_converges(
    project: PulumiProject,
) -> None:
    # Before anything is deployed, preview says what up will create: no stack, no file.
    files = stack_files(project)
    preview = split(project, "preview")
    assert preview.returncode == 0, preview.stdout + preview.stderr
    assert {name: cells[1] for name, cells in rows(preview.stdout).items()} == {
        "dev-shared": "new",
        "dev-001": "new",
        "dev-002": "new",
        "total": "ok",
    }
    assert stack_files(project) == files
    listed = project.pulumi("stack", "ls")
    assert [line.split()[0] for line in listed.output.splitlines()[1:]] == ["dev*"], listed

    up = split(project, "up")
    assert up.returncode == 0, up.stdout + up.stderr
    table = rows(up.stdout)
    assert list(table) == ["dev-shared", "dev-001", "dev-002", "total"]
    assert table["dev-001"][:2] == ["2", "ok"]
    assert table["dev-002"][:2] == ["1", "ok"]
    assert table["total"][:2] == ["3", "ok"]
    emulator = project.emulator(DB)
    purchases = [r for r in emulator.request_log() if r.method == "POST" and "/numbers/" in r.path]
    assert len(purchases) == 3
    # Each number is routed to the shared stack's routes, named by id in its stack's file.
    shard = yaml.safe_load((project.path / "stacks" / "Pulumi.dev-001.yaml").read_text())
    support = shard["config"]["flowroute-fleet:numbers"]["support"]
    assert set(support["primary"]) == {"route_id"}
    assert set(support["e911"]) == {"e911_id"}
    assert emulator.get_number("12065551234").primary_route_id == support["primary"]["route_id"]

    # The stack selected before (dev) is still selected: split names each stack it runs.
    assert selected(project) == "dev"

    # A preview of an edit shows it and writes nothing.
    source = project.path / "stacks" / "Pulumi.dev.yaml"
    committed, files = source.read_text(), stack_files(project)
    edit_numbers(project, {"support": {"alias": "Support desk"}})
    files["Pulumi.dev.yaml"] = source.read_text()
    preview = split(project, "preview")
    assert preview.returncode == 0, preview.stdout + preview.stderr
    assert rows(preview.stdout)["dev-001"][1:-1] == ["ok", "7", "same,", "1", "update"]
    assert stack_files(project) == files
    source.write_text(committed)

    emulator.clear_request_log()
    again = split(project, "up")
    assert again.returncode == 0, again.stdout + again.stderr
    assert writes(emulator.request_log()) == []
    changes = {name: cells[2:-1] for name, cells in rows(again.stdout).items()}
    assert changes == {
        # the stack, the flowroute provider, the stack's claim (the unnamed routes are named
        # from it), two routes, the address, the webhooks
        "dev-shared": ["7", "same"],
        "dev-001": ["8", "same"],
        "dev-002": ["5", "same"],
        "total": ["3", "stacks"],
    }

    # Not on a terminal, destroy needs --yes, as pulumi destroy does.
    unconfirmed = split(project, "destroy")
    assert unconfirmed.returncode == 2
    assert unconfirmed.stderr == (
        "error: split destroy deletes every resource of 3 stacks (dev-001, dev-002, "
        "dev-shared): pass --yes to confirm (no terminal to ask on)\n"
    )
    destroy = split(project, "destroy", "--yes")
    assert destroy.returncode == 0, destroy.stdout + destroy.stderr
    assert list(rows(destroy.stdout)) == ["dev-001", "dev-002", "dev-shared", "total"]
    assert selected(project) == "dev"


def test_a_fleet_deployed_whole_is_not_split(project: PulumiProject) -> None:
    project.ok("up")
    refused = split(project, "up")
    assert refused.returncode == 2
    assert re.match(r"error: stack dev holds \d+ resources: a fleet deployed whole", refused.stderr)
    assert not (project.path / "stacks" / "Pulumi.dev-001.yaml").exists()


def test_a_stack_that_fails_is_named_in_the_summary_and_the_others_go_on(
    project: PulumiProject,
) -> None:
    path = project.path / "stacks" / "Pulumi.dev.yaml"
    document = yaml.safe_load(path.read_text())
    numbers = document["config"]["flowroute-fleet:numbers"]
    # The third entry (alone in dev-002) asks for a number nobody sells.
    numbers[list(numbers)[2]] = {"number": "12065550199", "primary": "office-pbx"}
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    up = split(project, "up")
    assert up.returncode == 1
    table = rows(up.stdout)
    assert table["dev-001"][:2] == ["2", "ok"]
    assert table["dev-002"][:2] == ["1", "FAILED"]
    assert table["total"][:3] == ["3", "1", "failed"]
    # The row and the line on stderr name the stack's first error; the log has all of it.
    assert table["dev-002"][4:7] == ["12065550199", "is", "neither"]
    assert "dev-002: up failed (12065550199 is neither on your Flowroute account" in up.stderr
    assert ".flowroute/split/dev-002.log" in up.stderr
    assert (
        "12065550199 is neither on your Flowroute account"
        in (project.path / ".flowroute" / "split" / "dev-002.log").read_text()
    )
    assert "Traceback" not in up.stderr


def test_a_split_that_cannot_run_says_why_in_one_line(project: PulumiProject) -> None:
    cases: dict[str, tuple[dict[str, str | None], str]] = {
        "no CLI": (
            {"PATH": os.path.dirname(sys.executable)},
            "error: the Pulumi CLI (`pulumi`) is not on PATH: install it",
        ),
        "no backend": (
            {"PULUMI_BACKEND_URL": "", "PULUMI_HOME": str(project.path / "empty-home")},
            "error: no Pulumi backend: run `pulumi login` (Pulumi Cloud), or `pulumi login "
            "--local`, or set PULUMI_BACKEND_URL",
        ),
        "no passphrase": (
            {"PULUMI_CONFIG_PASSPHRASE": None},
            "error: stack dev-shared needs its passphrase: set PULUMI_CONFIG_PASSPHRASE",
        ),
    }
    for case, (change, message) in cases.items():
        env = {**project.env, **{k: v for k, v in change.items() if v is not None}}
        for name in [k for k, v in change.items() if v is None]:
            env.pop(name)
        done = split(project, "up", env=env)
        assert (done.returncode, done.stdout) == (2, ""), case
        assert done.stderr.startswith(message), (case, done.stderr)
        assert len(done.stderr.splitlines()) == 1, (case, done.stderr)


def _start(project: PulumiProject, per_stack: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        argv("up", per_stack),
        cwd=project.path,
        env=project.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _wait_until(done: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _pulumi_of(driver: int, stack: str) -> int:
    """The ``pulumi up`` the driver runs for ``stack``."""
    for pid in descendants(driver):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if args[0].endswith(b"pulumi") and b"up" in args and stack.encode() in args:
            return pid
    raise AssertionError(f"no pulumi up for {stack} under {driver}")


def _purchase_held(project: PulumiProject, driver: subprocess.Popen[str]) -> None:
    """Hold the next purchase (dev-001's) for a while, and wait until it is held."""
    emulator = project.emulator(DB)
    emulator.add_fault(Fault("delay", method="POST", path="/v2/numbers/", seconds=8))
    _wait_until(lambda: emulator.armed_faults() == 0 or driver.poll() is not None)
    assert driver.poll() is None, driver.communicate()[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG")
def test_a_killed_run_names_the_step_to_take_and_a_killed_driver_takes_its_children_along(
    project: PulumiProject,
) -> None:
    # Two stacks: dev-shared, then dev-001 with one number to buy (one purchase in flight: a
    # second, unheld, could commit its alias before the kill and ask for adopt on the rerun).
    edit_numbers(project, {"support": None, "helpdesk": None})
    driver = _start(project, 3)
    _purchase_held(project, driver)
    tree = descendants(driver.pid)
    os.kill(_pulumi_of(driver.pid, "dev-001"), signal.SIGKILL)
    output, _ = driver.communicate(timeout=300)
    assert driver.returncode == 1, output
    # Nothing of the killed pulumi outlives the run: its language host was ended, its provider
    # finished the purchase in flight and exited.
    _wait_until(lambda: not any(_alive(pid) for pid in tree), seconds=10)
    assert "dev-001: up failed (pulumi was killed (SIGKILL) before it finished" in output
    assert "if the next run finds the stack locked, run `pulumi cancel --stack dev-001`" in output

    locked = split(project, "up", per_stack=3)
    assert locked.returncode == 1
    assert (
        "dev-001: up failed (locked by a run that did not finish: if no pulumi is running on "
        "it, run `pulumi cancel --stack dev-001`, then split up again)"
    ) in locked.stderr
    assert rows(locked.stdout)["dev-001"][4:9] == ["locked", "by", "a", "run", "that"]
    cancel = project.pulumi("cancel", "--yes", "--stack", "dev-001")
    assert cancel.ok, cancel.output

    # The rerun converges; the create the killed run left pending is named with its command.
    rerun = split(project, "up", per_stack=3)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert re.search(
        r"dev-001: 1 create left pending by an interrupted run \(sales\): check it "
        r"on the account, then run `pulumi refresh --stack dev-001 --clear-pending-creates`",
        rerun.stderr,
    ), rerun.stderr
    cleared = project.pulumi(
        "refresh", "--stack", "dev-001", "--clear-pending-creates", "--yes", "--non-interactive"
    )
    assert cleared.ok, cleared.output

    # The driver itself killed: each pulumi gets SIGTERM, cancels (the call in flight finishes
    # and is recorded, the lock released), shuts its plugins down and exits.
    edit_numbers(project, {"extra": {"search": {"starts_with": "206"}, "primary": "office-pbx"}})
    driver = _start(project, 3)
    _purchase_held(project, driver)
    tree = descendants(driver.pid)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.communicate(timeout=60)
    _wait_until(lambda: not any(_alive(pid) for pid in tree), seconds=60)
    again = split(project, "up", per_stack=3)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "pending" not in again.stderr
