"""The project's own dev stack under plain ``pulumi``, on a temporary copy of the project,
interrupted: the provider or ``pulumi`` killed mid-purchase, mid-update and mid-delete, Ctrl-C,
``cancel``, and two stacks buying from one search at once."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pulumi_flowroute import NotFound
from pulumi_flowroute.emulator import Fault
from tests.support.cli import PulumiProject, dynamic_provider_of
from tests.support.dev_stack import (
    DB,
    built,
    deployment,
    edit_config,
    edit_numbers,
    owned,
)
from tests.support.emulators import embedded_client, writes

pytestmark = pytest.mark.e2e
# The alias helpdesk's number carries when bought without one: its claim (project.stack.name~token).
CLAIM = r"flowroute-fleet\.dev\.helpdesk~[0-9a-f]{6}"


def _first_for_sale(project: PulumiProject, starts_with: str) -> str:
    client = embedded_client(project.path / DB)
    try:
        return next(client.search_available(starts_with=starts_with, limit=1)).value
    finally:
        client.close()


def _everything_but_helpdesk_first(project: PulumiProject) -> str:
    """Deploy the stack without helpdesk, then put it back; the number it will buy.

    The next `up` then makes helpdesk's purchase alone, so a kill lands there and not in
    whichever other create the engine happens to run beside it.
    """
    stack_file = project.path / "stacks" / "Pulumi.dev.yaml"
    entry = yaml.safe_load(stack_file.read_text())["config"]["flowroute-fleet:numbers"]["helpdesk"]
    edit_numbers(project, {"helpdesk": None})
    project.ok("up")
    edit_numbers(project, {"helpdesk": entry})
    return _first_for_sale(project, "503")


def _kill_provider_when_the_fault_is_met(project: PulumiProject, run: subprocess.Popen[str]) -> str:
    _wait_for_the_fault(project, run)
    return _kill_provider(run)


def _kill_provider(run: subprocess.Popen[str]) -> str:
    provider = dynamic_provider_of(run.pid)
    assert provider is not None, "the run has no dynamic provider process to kill"
    os.kill(provider, signal.SIGKILL)
    output, _ = run.communicate(timeout=300)
    assert run.returncode != 0, output
    return output


# Where a purchase is cut: (the fault the provider is killed in, whether its write committed).
KILL_POINTS = {
    "before the purchase POST commits": ("delay", "POST", False),
    "after the purchase POST commits": ("slow", "POST", True),
    "before the alias PATCH commits": ("delay", "PATCH", False),
    "after the alias PATCH commits": ("slow", "PATCH", True),
}
# (kill point, exact number rather than search, the user's alias kept)
KILL_MATRIX = [
    (point, exact, alias)
    for point in KILL_POINTS
    for exact in (False, True)
    for alias in (True, False)
]
# What `make test` runs of it; `make kill-matrix` runs every cell.
KILL_SAMPLE = {
    ("after the purchase POST commits", False, True),
    ("after the alias PATCH commits", False, False),
    ("after the alias PATCH commits", True, True),
}


@pytest.mark.parametrize(
    ("point", "exact", "alias"),
    [
        pytest.param(*cell, marks=() if cell in KILL_SAMPLE else pytest.mark.kill_matrix)
        for cell in KILL_MATRIX
    ],
    ids=[
        f"{point}, {'exact' if exact else 'search'}, {'alias' if alias else 'no alias'}"
        for point, exact, alias in KILL_MATRIX
    ],
)
def test_a_provider_killed_mid_purchase_never_leads_to_a_second_purchase(
    project: PulumiProject, point: str, exact: bool, alias: bool
) -> None:
    helpdesk = _everything_but_helpdesk_first(project)
    edit_numbers(
        project,
        {
            "helpdesk": {
                "number": helpdesk if exact else None,
                "search": None if exact else {"starts_with": "503"},
                "alias": "Helpdesk" if alias else None,
            }
        },
    )
    kind, method, committed = KILL_POINTS[point]
    emulator = project.emulator(DB)
    # The provider hangs in this call until it is killed.
    emulator.add_fault(Fault(kind, method=method, path=f"/v2/numbers/{helpdesk}", seconds=25))
    run = project.start("up")
    _wait_for_the_fault(project, run)
    if committed:
        _wait_until(lambda: _committed(project, helpdesk, method))
    killed = _kill_provider(run)
    assert f"buying {helpdesk}" in killed

    rerun = project.op("up")
    after_purchase = committed or method == "PATCH"
    provable = point == "after the alias PATCH commits" and not alias
    if not after_purchase or provable:
        # Nothing was bought, or the number carries this resource's own alias (its claim).
        assert rerun.ok, rerun.output
        if provable:
            assert f"adopted {helpdesk} (it carries this PhoneNumber's own alias" in rerun.output
    else:
        # Not provably this resource's: one line names it and says how to take it.
        assert not rerun.ok
        assert rerun.tracebacks == 0
        stopped = (
            f"{helpdesk} is already on your Flowroute account, so it was not bought again"
            if exact
            else f"{helpdesk} is on your Flowroute account, matches this search"
        )
        assert stopped in rerun.output, rerun.output
        assert "adopt=True" in rerun.output, rerun.output
        edit_numbers(project, {"helpdesk": {"number": helpdesk, "adopt": True, "search": None}})
        project.ok("up")
    assert helpdesk in built(project).values()
    # One number each (the killed provider's emulator never logged the purchase it was in).
    log = project.emulator(DB).request_log()
    bought = [
        r.path for r in log if r.method == "POST" and "/numbers/" in r.path and r.status == 201
    ]
    assert len(bought) == len(set(bought))
    assert len(owned(project)) == 3
    # A number is named when bought; one adopted on advice keeps what it had (adopting writes
    # nothing that was not asked for).
    named = not after_purchase or provable
    own = "Helpdesk" if alias else CLAIM if named else None
    found = emulator.get_number(helpdesk).alias
    assert found == own if own is None else re.fullmatch(own, found or ""), found
    emulator.clear_request_log()
    assert "unchanged" in project.ok("up")
    assert writes(emulator.request_log()) == []


def _committed(project: PulumiProject, value: str, method: str) -> bool:
    """The killed call's write shows on the emulated account: bought, or named."""
    client = embedded_client(project.path / DB)
    try:
        number = client.get_number(value)
    except NotFound:
        return False
    finally:
        client.close()
    return method == "POST" or number.alias is not None


def _wait_until(done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not done():
        assert time.monotonic() < deadline, "the write never committed"
        time.sleep(0.1)


def _wait_for_the_fault(project: PulumiProject, run: subprocess.Popen[str]) -> None:
    emulator = project.emulator(DB)
    deadline = time.monotonic() + 120
    while emulator.armed_faults() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert run.poll() is None, "the run ended before it met the fault"


def _pending_operations(project: PulumiProject) -> list[str]:
    return [op["type"] for op in deployment(project).get("pending_operations") or ()]


def _recorded_ids(project: PulumiProject) -> set[str]:
    return {r["id"] for r in deployment(project).get("resources") or () if r.get("id")}


def test_a_killed_pulumi_leaves_a_lock_that_cancel_clears_and_refresh_repairs(
    project: PulumiProject, tmp_path: Path
) -> None:
    built(project)
    edit_numbers(project, {"support": {"alias": "Support, renamed"}})
    project.emulator(DB).add_fault(
        Fault("delay", method="PATCH", path=f"/v2/numbers/{SUPPORT}", seconds=25)
    )
    run = project.start("up")
    _wait_for_the_fault(project, run)
    # The terminal goes away: the CLI dies at once (its provider, in a process group of its
    # own, ends when it finds the engine gone).
    os.killpg(run.pid, signal.SIGKILL)
    run.communicate(timeout=60)

    locked = project.op("up")
    assert not locked.ok
    assert "the stack is currently locked" in locked.output
    assert "pulumi cancel" in locked.output
    assert _pending_operations(project) == ["updating"]
    cancel = project.pulumi("cancel", "--yes", "--stack", "dev")
    assert cancel.ok, cancel.output
    assert "has been canceled" in cancel.output, cancel.output

    # What the README says to do next: refresh reads what really happened, and clears the
    # pending operation; up then finishes the change.
    project.ok("refresh")
    assert _pending_operations(project) == []
    assert "~ 1 updated" in project.ok("up")
    assert project.emulator(DB).get_number(SUPPORT).alias == "Support, renamed"

    # The state survives an export and an import, as in a move between backends.
    saved = tmp_path / "state.json"
    assert project.pulumi("stack", "export", "--stack", "dev", "--file", str(saved)).ok
    imported = project.pulumi("stack", "import", "--stack", "dev", "--file", str(saved))
    assert imported.ok, imported.output
    emulator = project.emulator(DB)
    emulator.clear_request_log()
    assert "14 unchanged" in project.ok("up")
    assert writes(emulator.request_log()) == []


def _interrupt(project: PulumiProject, presses: int, helpdesk: str) -> tuple[str, int | None]:
    """Ctrl-C ``presses`` times while helpdesk's purchase answer is on its way (4 s)."""
    project.emulator(DB).add_fault(
        Fault("delay", method="POST", path=f"/v2/numbers/{helpdesk}", seconds=4)
    )
    run = project.start("up")
    _wait_for_the_fault(project, run)
    provider = dynamic_provider_of(run.pid)
    for _ in range(presses):
        # A terminal sends SIGINT to its foreground process group: pulumi and the language host.
        os.killpg(run.pid, signal.SIGINT)
        time.sleep(0.5)
    output, _ = run.communicate(timeout=120)
    assert run.returncode != 0, output
    return output, provider


def test_one_ctrl_c_lets_the_purchase_in_flight_finish_and_be_recorded(
    project: PulumiProject,
) -> None:
    helpdesk = _everything_but_helpdesk_first(project)
    output, _ = _interrupt(project, 1, helpdesk)
    assert "cancel" in output.lower()
    # The engine waited for the call in flight: the number is recorded, nothing is pending.
    assert _pending_operations(project) == []
    assert helpdesk in _recorded_ids(project)
    assert "adopt" not in project.ok("up")
    assert helpdesk in built(project).values()
    assert len(owned(project)) == 3


def test_two_ctrl_cs_leave_a_pending_create_that_the_rerun_resolves_without_buying_again(
    project: PulumiProject,
) -> None:
    helpdesk = _everything_but_helpdesk_first(project)
    _, provider = _interrupt(project, 2, helpdesk)
    # pulumi stops at once; its provider finishes the purchase it was in, names it, and exits.
    assert provider is not None
    _wait_until(lambda: not _alive(provider))
    assert project.emulator(DB).get_number(helpdesk).alias == "Helpdesk"
    # Unlike a killed pulumi, one stopped by Ctrl-C releases its lock as it exits.
    assert "currently locked" not in project.op("preview").output
    # The README's steps: the pending create is dropped (the account is what matters), the
    # rerun names the number it finds instead of buying another, and adopting it converges.
    assert _pending_operations(project) == ["creating"]
    project.ok("refresh", "--clear-pending-creates")
    assert _pending_operations(project) == []
    rerun = project.op("up")
    assert not rerun.ok
    assert rerun.tracebacks == 0
    assert f"{helpdesk} is on your Flowroute account, matches this search" in rerun.output
    edit_numbers(project, {"helpdesk": {"number": helpdesk, "adopt": True, "search": None}})
    assert helpdesk in built(project).values()
    assert len(owned(project)) == 3
    emulator = project.emulator(DB)
    emulator.clear_request_log()
    assert "unchanged" in project.ok("up")
    assert writes(emulator.request_log()) == []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_provider_whose_pulumi_was_killed_finishes_its_purchase_and_exits(
    project: PulumiProject,
) -> None:
    helpdesk = _everything_but_helpdesk_first(project)
    project.emulator(DB).add_fault(
        Fault("delay", method="POST", path=f"/v2/numbers/{helpdesk}", seconds=4)
    )
    run = project.start("up")
    _wait_for_the_fault(project, run)
    provider = dynamic_provider_of(run.pid)
    assert provider is not None
    os.kill(run.pid, signal.SIGKILL)  # pulumi alone, as a CI runner's timeout might
    run.communicate(timeout=60)
    deadline = time.monotonic() + 60
    while _alive(provider) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _alive(provider), "the provider outlived its engine"
    # It finished the call it was in, and named the number with its claim, not your alias:
    # the number will not be recorded, and the claim lets the next run adopt it.
    assert re.fullmatch(CLAIM, project.emulator(DB).get_number(helpdesk).alias or "")


SUPPORT = "12065551234"
SUPPORT_SLOT = f"/v2/numbers/{SUPPORT}/relationships"
# (operation, the edit before it, the fault the provider is killed in, what has committed)
STOPS = {
    "update: the alias PATCH has not committed": (
        "up",
        {"support": {"alias": "Support, renamed"}},
        ("delay", "PATCH", f"/v2/numbers/{SUPPORT}"),
    ),
    "update: primary moved, failover not yet": (
        "up",
        {"support": {"primary": "on-call-cell", "failover": "office-pbx"}},
        ("delay", "PATCH", f"{SUPPORT_SLOT}/failover_route"),
    ),
    "delete: a route DELETE committed, its answer lost": (
        "destroy",
        {},
        ("slow", "DELETE", "/v2/routes/"),
    ),
    "delete: primary cleared, failover not yet": (
        "destroy",
        {},
        ("delay", "DELETE", f"{SUPPORT_SLOT}/failover_route"),
    ),
}


@pytest.mark.parametrize("stop", sorted(STOPS))
def test_a_provider_killed_mid_update_or_delete_converges_on_the_rerun(
    project: PulumiProject, stop: str
) -> None:
    operation, edit, (kind, method, path) = STOPS[stop]
    if operation == "destroy":
        # Kept on destroy, so what the destroy left on the number can be read.
        edit_numbers(project, {"support": {"release_on_delete": None}})
    numbers = built(project)
    edit_numbers(project, edit)
    project.emulator(DB).add_fault(Fault(kind, method=method, path=path, seconds=25))
    _kill_provider_when_the_fault_is_met(project, project.start(operation))

    project.ok(operation)
    emulator = project.emulator(DB)
    assert owned(project) == ({SUPPORT} if operation == "destroy" else set(numbers.values()))
    if operation == "destroy":
        assert [r.id for r in emulator.list_routes(None, 200, 0).items] == ["0"]
        details = emulator.get_number(SUPPORT)
        assert (details.primary_route_id, details.failover_route_id) == ("0", None)
        return
    routes = {r.id: r.value for r in emulator.list_routes(None, 200, 0).items}
    details = emulator.get_number(SUPPORT)
    if "alias" in edit["support"]:
        assert details.alias == "Support, renamed"
    else:
        assert routes[details.primary_route_id or ""] == "12065550100"
        assert routes[details.failover_route_id or ""] == "sip.example.com:5060"
    emulator.clear_request_log()
    assert "unchanged" in project.ok("up")
    assert writes(emulator.request_log()) == []


def test_two_stacks_buying_from_one_search_at_once_get_distinct_numbers(
    project: PulumiProject, tmp_path: Path
) -> None:
    # Two checkouts of one project (same project and stack name, two backends) on one account.
    edit_numbers(project, {"support": None})
    # Numbers only: an E911 address and the webhooks are one per account, not per stack.
    edit_numbers(project, {"sales": {"e911": None}, "helpdesk": {"e911": None}})
    edit_config(project, **{"flowroute-fleet:e911": None, "flowroute-fleet:messaging": None})
    shutil.copytree(project.path, tmp_path / "other", symlinks=True, ignore=lambda *_: [".pulumi"])
    other = PulumiProject(tmp_path / "other", project.cli_bin, "dev")
    assert other.pulumi("stack", "init", "dev").ok
    stack_file = other.path / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text(
        stack_file.read_text().replace(f"emulator:{DB}", f"emulator:{project.path / DB}")
    )

    runs = [project.start("up"), other.start("up")]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    emulator = project.emulator(DB)
    bought = [
        r.path.rsplit("/", 1)[1]
        for r in emulator.request_log()
        if r.method == "POST" and r.path.startswith("/v2/numbers/") and r.status == 201
    ]
    assert len(bought) == len(set(bought)) == len(owned(project)) == 4
    emulator.clear_request_log()
    for stack in (project, other):
        assert "unchanged" in stack.ok("up")
    assert writes(emulator.request_log()) == []
