"""The project's own dev stack under plain ``pulumi``, on a temporary copy of the project,
interrupted: the provider or ``pulumi`` killed mid-purchase, mid-update and mid-delete, Ctrl-C,
``cancel``, and two stacks buying from one search at once."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from pulumi_flowroute.emulator import Fault
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.cli import PulumiProject, dynamic_provider_of
from tests.support.dev_stack import (
    DB,
    built,
    deployment,
    edit_config,
    edit_numbers,
    owned,
)
from tests.support.emulators import ServerProcess, embedded_client, emulator_keys, writes
from tests.support.hostile import HostileServer, raw
from tests.support.kill_points import (
    KILL_MATRIX,
    KILL_POINTS,
    NEEDS_A_PERSON,
    arm,
    bought,
    cell_id,
    committed,
    wait_for_the_fault,
    wait_until,
)

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


# What `make test` runs of it; `make kill-matrix` runs every cell.
KILL_SAMPLE = {
    ("after the purchase POST commits", True, False),
    ("after the claim PATCH commits", False, True),
}


def _helpdesk_entry(helpdesk: str, exact: bool, alias: bool) -> dict[str, object | None]:
    return {
        "number": helpdesk if exact else None,
        "search": None if exact else {"starts_with": "503"},
        "alias": "Helpdesk" if alias else None,
    }


@pytest.mark.parametrize(
    ("point", "exact", "alias"),
    [
        pytest.param(*cell, marks=() if cell in KILL_SAMPLE else pytest.mark.kill_matrix)
        for cell in KILL_MATRIX
    ],
    ids=[cell_id(*cell) for cell in KILL_MATRIX],
)
def test_a_provider_killed_mid_purchase_never_leads_to_a_second_purchase(
    project: PulumiProject, point: str, exact: bool, alias: bool
) -> None:
    helpdesk = _everything_but_helpdesk_first(project)
    edit_numbers(project, {"helpdesk": _helpdesk_entry(helpdesk, exact, alias)})
    kind, write, went_through = KILL_POINTS[point]
    # The provider hangs in this call until it is killed.
    arm(project.emulator(DB), helpdesk, kind, write, 25)
    emulator = project.emulator(DB)
    run = project.start("up")
    _wait_for_the_fault(project, run)
    if went_through:
        db = str(project.path / DB)
        wait_until(lambda: committed(db, helpdesk, write, CLAIM, "Helpdesk"))
    killed = _kill_provider(run)
    assert f"buying {helpdesk}" in killed
    # The engine saw the create fail: no lock and no pending operation (Pulumi v3.274.1).
    assert _pending_operations(project) == []

    rerun = project.op("up")
    if point not in NEEDS_A_PERSON:
        # Nothing was bought, or the number carries this resource's claim: no hand edit.
        assert rerun.ok, rerun.output
        if write > 0:
            assert f"adopted {helpdesk} (it carries this PhoneNumber's own alias" in rerun.output
    else:
        # Not provably this resource's: one line names the number and the one step.
        assert not rerun.ok
        assert rerun.tracebacks == 0
        stopped = (
            f"{helpdesk} is already on your Flowroute account, so it was not bought again"
            if exact
            else f"{helpdesk} is on your Flowroute account, matches this search"
        )
        named = [line for line in rerun.output.splitlines() if stopped in line]
        assert named, rerun.output
        assert "adopt=True" in named[0], named[0]
        edit_numbers(project, {"helpdesk": {"number": helpdesk, "adopt": True, "search": None}})
        project.ok("up")
    assert helpdesk in built(project).values()
    _assert_bought_once(project)
    # Your alias when you gave one, else the claim; a number adopted on advice keeps what it
    # had (adopting writes nothing that was not asked for).
    own = "Helpdesk" if alias else None if point in NEEDS_A_PERSON else CLAIM
    found = emulator.get_number(helpdesk).alias
    assert found == own if own is None else re.fullmatch(own, found or ""), found
    emulator.clear_request_log()
    assert "unchanged" in project.ok("up")
    assert writes(emulator.request_log()) == []


def _assert_bought_once(project: PulumiProject) -> None:
    """One number each (the killed provider's emulator never logged the purchase it was in)."""
    purchases = bought(project.emulator(DB))
    assert len(purchases) == len(set(purchases))
    assert len(owned(project)) == 3


def _wait_for_the_fault(project: PulumiProject, run: subprocess.Popen[str]) -> None:
    wait_for_the_fault(project.emulator(DB), run)


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


# A write of helpdesk's purchase that committed, answered so that the provider cannot use the
# answer: after the client's timeout, dropped, garbled (an HTML page), or a body past the
# bounds (from a relay in front of an emulator server on the stack's account).
COMMITTED_FAULTS: dict[str, str | bytes] = {
    "answered after the timeout": "slow",
    "dropped": "drop",
    "garbled": "garbage",
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "a 5,000-digit integer": b"1" + b"0" * 4_999,
    "1e999999": b"1e999999",
}
WRITES = {0: "purchase POST", 1: "claim PATCH", 2: "alias PATCH"}
# The relay answers the first request of a path its own way: the purchase POST or the claim.
FAULT_MATRIX = [
    (fault, write)
    for write in WRITES
    for fault, answer in COMMITTED_FAULTS.items()
    if isinstance(answer, str) or write < 2
]
FAULT_SAMPLE = {("garbled", 1)}


@contextlib.contextmanager
def _through_a_relay(project: PulumiProject) -> Iterator[HostileServer]:
    """The dev stack's account served by an emulator server, through a relay."""
    server = ServerProcess(
        "--db", str(project.path / DB), env=emulator_keys(ACCESS_KEY, SECRET_KEY)
    )
    relay = HostileServer({}, upstream=server.url)
    try:
        edit_config(project, **{"flowroute:baseUrl": relay.url, "flowroute:accessKey": ACCESS_KEY})
        secret = ("config", "set", "--secret", "--stack", "dev", "flowroute:secretKey", SECRET_KEY)
        assert project.pulumi(*secret).ok
        yield relay
    finally:
        relay.close()
        server.stop()


@pytest.mark.parametrize(
    ("fault", "write"),
    [
        pytest.param(*cell, marks=() if cell in FAULT_SAMPLE else pytest.mark.kill_matrix)
        for cell in FAULT_MATRIX
    ],
    ids=[f"{WRITES[write]} {fault}" for fault, write in FAULT_MATRIX],
)
def test_a_write_that_committed_unanswered_converges_as_if_killed_mid_purchase(
    project: PulumiProject, fault: str, write: int
) -> None:
    # Short enough for a slow answer to be lost; long enough to settle by reading.
    edit_config(project, **{"flowroute:timeoutSeconds": "3", "flowroute:settleSeconds": "8"})
    answer = COMMITTED_FAULTS[fault]
    with contextlib.ExitStack() as stack:
        relay = (
            stack.enter_context(_through_a_relay(project)) if isinstance(answer, bytes) else None
        )
        helpdesk = _everything_but_helpdesk_first(project)
        if isinstance(answer, str):
            arm(project.emulator(DB), helpdesk, answer, write, 6)
        else:
            assert relay is not None
            method, status = ("POST", 201) if write == 0 else ("PATCH", 200)
            body = b'{"data": {"type": "number", "id": %s, "attributes": {}}}' % answer
            relay.after_relay[(method, f"/v2/numbers/{helpdesk}")] = raw(body, status)
        # Settled by reading, in the same run: no hand edit, nothing bought twice.
        run = project.op("up")
        assert run.ok, run.output
        assert run.tracebacks == 0
        if relay is not None:
            assert not relay.after_relay, "the write was not answered with the body"
        else:
            assert project.emulator(DB).armed_faults() == 0
        assert helpdesk in built(project).values()
        _assert_bought_once(project)
        emulator = project.emulator(DB)
        assert emulator.get_number(helpdesk).alias == "Helpdesk"
        emulator.clear_request_log()
        assert "unchanged" in project.ok("up")
        assert writes(emulator.request_log()) == []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# How `pulumi` is stopped while a purchase is in flight (its provider left to finish the call):
# Ctrl-C twice in a terminal (SIGINT to its process group twice: the engine stops waiting and
# SIGINTs its plugins, SIGKILL 5 s later), or pulumi alone SIGKILLed (a CI runner's timeout).
PULUMI_STOPS = ("Ctrl-C twice", "pulumi SIGKILLed")
# The write in flight when it is stopped: 0, the purchase POST; 1, the claim PATCH.
IN_FLIGHT = {0: "the purchase POST in flight", 1: "the claim PATCH in flight"}
# helpdesk as a RoutedNumber of the fleet: routed to the stack's shared route, or to an
# inline route of its own.
ROUTES = {"shared route": "office-pbx", "inline route": {"route_type": "uri", "value": "sip:h@pbx"}}
PULUMI_MATRIX = [
    (stop, write, route) for stop in PULUMI_STOPS for write in IN_FLIGHT for route in ROUTES
]
PULUMI_SAMPLE = {("Ctrl-C twice", 0, "shared route")}


def _stop_pulumi(run: subprocess.Popen[str], stop: str) -> None:
    if stop == "Ctrl-C twice":
        for _ in range(2):
            # A terminal sends SIGINT to its foreground process group: pulumi and the host.
            os.killpg(run.pid, signal.SIGINT)
            time.sleep(0.5)
    else:
        os.kill(run.pid, signal.SIGKILL)
    output, _ = run.communicate(timeout=120)
    assert run.returncode != 0, output


@pytest.mark.parametrize(
    ("stop", "write", "route"),
    [
        pytest.param(*cell, marks=() if cell in PULUMI_SAMPLE else pytest.mark.kill_matrix)
        for cell in PULUMI_MATRIX
    ],
    ids=[f"{stop}, {IN_FLIGHT[write]}, {route}" for stop, write, route in PULUMI_MATRIX],
)
def test_pulumi_stopped_or_killed_mid_purchase_converges_on_the_rerun(
    project: PulumiProject, stop: str, write: int, route: str
) -> None:
    helpdesk = _everything_but_helpdesk_first(project)
    edit_numbers(project, {"helpdesk": {"primary": ROUTES[route]}})
    # The call takes 4 s: it commits after pulumi is gone, within the engine's grace.
    arm(project.emulator(DB), helpdesk, "delay", write, 4)
    run = project.start("up")
    _wait_for_the_fault(project, run)
    provider = dynamic_provider_of(run.pid)
    assert provider is not None
    _stop_pulumi(run, stop)
    deadline = time.monotonic() + 60
    while _alive(provider) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _alive(provider), "the provider outlived its engine"
    # It finished the call it was in, and left the number with its claim, not your alias:
    # the number will not be recorded, and the claim lets the next run adopt it.
    emulator = project.emulator(DB)
    assert re.fullmatch(CLAIM, emulator.get_number(helpdesk).alias or "")

    if stop == "pulumi SIGKILLed":
        # Its lock stays: the one step a killed pulumi needs, whatever it was doing.
        locked = project.op("up")
        assert "the stack is currently locked" in locked.output
        assert project.pulumi("cancel", "--yes", "--stack", "dev").ok
    # The interrupted create stays pending in the state (Pulumi keeps a pending create until
    # `refresh --clear-pending-creates`); the rerun adopts the number by its claim.
    assert _pending_operations(project) == ["creating"]
    rerun = project.op("up")
    assert rerun.ok, rerun.output
    assert f"adopted {helpdesk} (it carries this PhoneNumber's own alias" in rerun.output
    numbers = built(project)
    assert numbers["helpdesk"] == helpdesk
    _assert_bought_once(project)
    # Routed to the route the state records, named with your alias, and only one route of it.
    state = {r["urn"].rsplit("::", 1)[1]: r for r in deployment(project)["resources"]}
    details = emulator.get_number(helpdesk)
    assert details.alias == "Helpdesk"
    assert details.primary_route_id == state["helpdesk"]["outputs"]["primary_route_id"]
    routes = emulator.list_routes(None, 200, 0).items
    assert details.primary_route_id in {r.id for r in routes}
    assert len(routes) == len({(r.route_type, r.value) for r in routes})
    project.ok("refresh", "--clear-pending-creates")
    assert _pending_operations(project) == []
    emulator.clear_request_log()
    assert "unchanged" in project.ok("up")
    assert writes(emulator.request_log()) == []


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
