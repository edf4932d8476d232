"""The project's own dev stack under plain ``pulumi``, on a temporary copy of the project."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_flowroute import NotFound
from pulumi_flowroute.emulator import Fault
from pulumi_flowroute.fleet import PROGRESS_FROM
from tests.support.cli import (
    PulumiProject,
    copy_of_the_project,
    dynamic_provider_of,
)
from tests.support.emulators import embedded_client, writes

pytestmark = pytest.mark.e2e
DB = ".pulumi/flowroute-dev.db"
# The alias helpdesk's number carries when bought without one: its claim (project.stack.name~token).
CLAIM = r"flowroute-fleet\.dev\.helpdesk~[0-9a-f]{6}"


@pytest.fixture
def project(tmp_path: Path, cli_bin: str) -> PulumiProject:
    return copy_of_the_project(tmp_path, cli_bin)


def edit_numbers(project: PulumiProject, edit: Mapping[str, Mapping[str, object] | None]) -> None:
    """Change entries of ``flowroute-fleet:numbers`` in the dev stack file.

    None removes an entry, or a key within an entry's change; a new name adds an entry.
    """
    path = project.path / "stacks" / "Pulumi.dev.yaml"
    document = yaml.safe_load(path.read_text())
    numbers = document["config"]["flowroute-fleet:numbers"]
    for name, change in edit.items():
        if change is None:
            del numbers[name]
            continue
        entry = numbers.setdefault(name, {})
        for key, value in change.items():
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def edit_config(project: PulumiProject, *where: str, **change: object | None) -> None:
    """Change the dev stack's config object at ``where``; None removes a key."""
    path = project.path / "stacks" / "Pulumi.dev.yaml"
    document = yaml.safe_load(path.read_text())
    target = document["config"]
    for key in where:
        target = target[key]
    for key, value in change.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def edit_office(project: PulumiProject, change: Mapping[str, object | None]) -> None:
    """Change the dev stack's shared E911 address ``office``."""
    edit_config(project, "flowroute-fleet:e911", "office", **change)


def owned(project: PulumiProject) -> set[str]:
    """The numbers on the emulated account."""
    return {n.value for n in project.emulator(DB).list_numbers({}, 200, 0).items}


def built(project: PulumiProject) -> dict[str, str]:
    """Deploy the dev stack; return each entry's number."""
    project.ok("up")
    outputs = project.pulumi("stack", "output", "numbers", "--json", "--stack", "dev")
    assert outputs.ok, outputs.output
    return {name: entry["number"] for name, entry in yaml.safe_load(outputs.output).items()}


def test_preview_calls_no_api_then_up_builds_and_a_second_up_changes_nothing(
    project: PulumiProject,
) -> None:
    preview = project.ok("preview")
    assert "+ 14 to create" in preview
    assert "Traceback" not in preview
    assert not (project.path / DB).exists() or project.emulator(DB).request_log() == []

    up = project.ok("up")
    assert "+ 14 created" in up
    emulator = project.emulator(DB)
    purchases = [r for r in emulator.request_log() if r.method == "POST" and "/numbers/" in r.path]
    assert len(purchases) == 3
    emulator.clear_request_log()

    again = project.ok("up")
    assert "14 unchanged" in again
    assert writes(emulator.request_log()) == []
    # Nothing to show either: no property the program did not change appears as one.
    diff = project.ok("preview", "--diff")
    assert "14 unchanged" in diff
    assert "to update" not in diff
    assert not [line for line in diff.splitlines() if line.lstrip().startswith(("~", "+", "-"))]


def test_a_large_fleet_says_every_tenth_how_many_numbers_are_done(
    project: PulumiProject,
) -> None:
    edit_numbers(
        project,
        {
            f"line{i:02d}": {"search": {"starts_with": "303"}, "primary": "office-pbx"}
            for i in range(PROGRESS_FROM)
        },
    )
    total = PROGRESS_FROM + 3  # the dev stack's own three numbers
    preview = project.ok("preview")
    assert "numbers done" not in preview
    up = project.ok("up")
    said = re.findall(rf"flowroute: (\d+) of {total} numbers done", up.split("Diagnostics:")[0])
    tenth = -(-total // 10)
    assert [int(n) for n in said] == [*range(tenth, total, tenth), total]


def test_make_up_runs_plain_pulumi_and_leaves_the_stack_file_as_committed(
    project: PulumiProject,
) -> None:
    before = (project.path / "stacks" / "Pulumi.dev.yaml").read_text()
    make_up = project.path / "scripts" / "up"
    for expected in ("+ 14 created", "14 unchanged"):
        done = subprocess.run(
            [str(make_up)], env=project.env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert expected in done.stdout
        assert "Updating (dev)" in done.stdout
    assert (project.path / "stacks" / "Pulumi.dev.yaml").read_text() == before


def test_alias_change_is_an_update_in_preview_and_up(project: PulumiProject) -> None:
    built(project)
    edit_numbers(project, {"sales": {"alias": "Sales team"}, "support": {"alias": "Support"}})
    preview = project.ok("preview")
    assert "~ 2 to update" in preview
    assert "replace" not in preview
    assert "[unknown]" not in preview  # the stack's outputs stay as they are
    emulator = project.emulator(DB)
    emulator.clear_request_log()
    up = project.ok("up")
    assert "~ 2 updated" in up
    assert "replaced" not in up
    assert sorted(m for m, _ in writes(emulator.request_log())) == ["PATCH", "PATCH"]


def test_drift_shows_after_refresh_and_up_puts_it_back(project: PulumiProject) -> None:
    numbers = built(project)
    emulator = project.emulator(DB)
    with emulator._transaction() as db:
        db.execute(
            "UPDATE numbers SET alias = 'changed in the portal' WHERE value = ?",
            (numbers["support"],),
        )
    refresh = project.ok("refresh")
    assert "~ 1 updated" in refresh
    preview = project.ok("preview", "--diff")
    assert "changed in the portal" in preview
    assert "Support line" in preview
    project.ok("up")
    assert project.emulator(DB).get_number(numbers["support"]).alias == "Support line"


def test_changed_search_replaces_the_number_and_keeps_the_old_one(
    project: PulumiProject,
) -> None:
    edit_numbers(project, {"sales": {"release_on_delete": None}})
    numbers = built(project)
    edit_numbers(project, {"sales": {"search": {"starts_with": "206", "state": "wa"}}})
    preview = project.ok("preview")
    assert f"buys a number while {numbers['sales']} stays on your Flowroute account" in preview
    up = project.ok("up")
    assert "replaced" in up
    assert f"{numbers['sales']} (bought earlier) was removed from Pulumi but stays" in up
    after = built(project)
    assert after["sales"].startswith("1206")
    assert after["sales"] != numbers["sales"]
    assert numbers["sales"] in owned(project)


def test_removed_number_warns_that_it_keeps_billing(project: PulumiProject) -> None:
    edit_numbers(project, {"helpdesk": {"release_on_delete": None}})
    numbers = built(project)
    edit_numbers(project, {"helpdesk": None})
    up = project.ok("up")
    assert "keeps billing" in up
    assert numbers["helpdesk"] in up
    assert numbers["helpdesk"] in owned(project)


def test_release_on_delete_releases_the_number(project: PulumiProject) -> None:
    numbers = built(project)
    edit_numbers(project, {"helpdesk": None})
    up = project.ok("up")
    assert f"released {numbers['helpdesk']}" in up
    assert numbers["helpdesk"] not in owned(project)


def test_protected_number_is_not_deleted(project: PulumiProject) -> None:
    built(project)
    edit_numbers(project, {"support": {"protect": True}})
    project.ok("up")
    edit_numbers(project, {"support": None})
    run = project.op("up")
    assert not run.ok
    assert "protected" in run.output
    assert run.tracebacks == 0


def test_the_dev_stack_round_trips_through_destroy_without_hand_edits(
    project: PulumiProject,
) -> None:
    numbers = built(project)
    destroy = project.ok("destroy")
    assert "14 deleted" in destroy
    # The dev stack releases its numbers: the emulated account is handed back as it was found.
    assert owned(project) == set()
    emulator = project.emulator(DB)
    assert [r.id for r in emulator.list_routes(None, 200, 0).items] == ["0"]
    # Assignments go first, so the address could be deleted.
    assert emulator.list_e911s({}, 200, 0).items == []
    assert all(emulator.e911_of(number) is None for number in numbers.values())

    again = project.ok("up")
    assert "+ 14 created" in again
    assert "adopt" not in again
    assert len(owned(project)) == 3


def test_destroy_keeps_numbers_not_set_to_be_released(project: PulumiProject) -> None:
    edit_numbers(project, {name: {"release_on_delete": None} for name in ("support", "sales")})
    numbers = built(project)
    destroy = project.ok("destroy")
    assert f"{numbers['support']} (bought earlier) was removed from Pulumi but stays" in destroy
    assert owned(project) == {numbers["support"], numbers["sales"]}


def test_the_e911_address_lives_in_place_and_never_leaves_a_number_without_it(
    project: PulumiProject,
) -> None:
    # An identical address is already on the account: it is named, and taken only when adopted.
    emulator = project.emulator(DB)
    office = yaml.safe_load((project.path / "stacks" / "Pulumi.dev.yaml").read_text())["config"][
        "flowroute-fleet:e911"
    ]["office"]
    existing = emulator.create_e911({**office, "country": "US"})
    refused = project.op("up")
    assert not refused.ok
    assert f"e911_id {existing.id}" in refused.output
    assert "adopt=True" in refused.output
    assert refused.tracebacks == 0
    edit_office(project, {"adopt": True})
    numbers = built(project)
    assert {emulator.e911_of(n) for n in numbers.values()} == {existing.id}
    assert "14 unchanged" in project.ok("up")

    # A new street and no unit: one in-place update, the same record, every number still on it.
    edit_office(
        project, {"street_number": "1300", "address_type": None, "address_type_number": None}
    )
    preview = project.ok("preview")
    assert "~ 1 to update" in preview
    assert "replace" not in preview
    emulator.clear_request_log()
    assert "~ 1 updated" in project.ok("up")
    assert writes(emulator.request_log()) == [("PATCH", f"/v2/e911s/{existing.id}")]
    moved = emulator.get_e911(existing.id)
    assert (moved.street_number, moved.address_type) == ("1300", None)
    assert {emulator.e911_of(n) for n in numbers.values()} == {existing.id}

    # Changed in the portal: refresh shows it, up puts it back. Flowroute's own capitals are
    # not a change.
    project.ok("refresh")
    emulator.update_e911(existing.id, {"street_number": "1", "street_name": "3RD AVE"})
    refresh = project.ok("refresh", "--diff")
    assert "~ 1 updated" in refresh
    project.ok("up")
    assert emulator.get_e911(existing.id).street_number == "1300"
    assert "unchanged" in project.ok("up")
    assert "updated" not in project.ok("preview")

    # A number moved to another address goes straight there, never without one.
    annex = {**office, "label": "Annex", "street_number": "1300", "zip": "98104"}
    edit_config(project, "flowroute-fleet:e911", annex=annex)
    edit_numbers(project, {"sales": {"e911": "annex"}})
    emulator.clear_request_log()
    up = project.ok("up")
    assert "+ 1 created" in up
    assert "~ 1 updated" in up
    annex_id = emulator.e911_of(numbers["sales"])
    assert annex_id not in (None, existing.id)
    assert [m for m, p in writes(emulator.request_log()) if "relationships/e911s" in p] == ["PATCH"]
    # Taken off in the portal: refresh shows it, up puts it back.
    emulator.unassign_e911(numbers["sales"])
    assert "~ 1 updated" in project.ok("refresh")
    project.ok("up")
    assert emulator.e911_of(numbers["sales"]) == annex_id

    # A number taken off the address: its assignment goes, with a warning, and nothing else.
    edit_numbers(project, {"helpdesk": {"e911": None}})
    up = project.ok("up")
    assert "- 1 deleted" in up
    assert f"{numbers['helpdesk']} no longer has an E911 address" in up
    assert emulator.e911_of(numbers["helpdesk"]) is None


def test_the_account_webhooks_are_set_refreshed_and_cleared_on_request(
    project: PulumiProject,
) -> None:
    built(project)
    emulator = project.emulator(DB)
    sms = "https://hooks.example.com/flowroute/sms"
    assert emulator.callback("sms_callback") == sms
    project.ok("refresh")  # records each number's e911_id
    emulator.set_callback("sms_callback", "https://portal.example.com/sms")
    assert "~ 1 updated" in project.ok("refresh")
    project.ok("up")
    assert emulator.callback("sms_callback") == sms
    # Kept on destroy unless told otherwise; here told to clear.
    edit_config(project, "flowroute-fleet:messaging", on_delete="clear")
    assert "~ 1 updated" in project.ok("up")
    destroy = project.ok("destroy")
    assert "sms webhook cleared" in destroy
    assert [emulator.callback(f"{kind}_callback") for kind in ("sms", "mms", "dlr")] == [None] * 3


def test_stack_config_mistakes_are_one_report_without_traceback(project: PulumiProject) -> None:
    edit_numbers(project, {"support": {"primary": "ofice-pbx", "max_setup_cost": -1}})
    run = project.op("preview")
    assert not run.ok
    assert "the stack config has 2 problems" in run.output
    assert "numbers.support.primary = 'ofice-pbx': no shared route has this name" in run.output
    assert run.tracebacks == 0
    assert "unhandled exception" not in run.output


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


def _deployment(project: PulumiProject) -> dict[str, Any]:
    exported = project.pulumi("stack", "export", "--stack", "dev")
    assert exported.ok, exported.output
    deployment: dict[str, Any] = json.loads(exported.output)["deployment"]
    return deployment


def _pending_operations(project: PulumiProject) -> list[str]:
    return [op["type"] for op in _deployment(project).get("pending_operations") or ()]


def _recorded_ids(project: PulumiProject) -> set[str]:
    return {r["id"] for r in _deployment(project).get("resources") or () if r.get("id")}


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


# The fleet as it was registered before each number became one resource: per entry a
# RoutedNumber component holding the number, its inline routes, a NumberRouting and the E911
# assignment.
OLD_SHAPE_PROGRAM = """
import pulumi

from pulumi_flowroute import (
    E911Address, E911Assignment, InboundRoute, MessagingCallbacks, NumberRouting, PhoneNumber,
)
from pulumi_flowroute.fleet import parse_fleet

config = pulumi.Config()
fleet = parse_fleet(
    config.get_object("routes"), config.get_object("numbers"),
    config.get_object("e911"), config.get_object("messaging"),
)
shared = {n: InboundRoute(f"route-{n}", **spec) for n, spec in fleet.routes.items()}
addresses = {n: E911Address(f"e911-{n}", **spec) for n, spec in fleet.e911.items()}
if fleet.messaging:
    MessagingCallbacks("messaging", **fleet.messaging)
for entry in fleet.numbers:
    line = pulumi.ComponentResource("flowroute:index:RoutedNumber", entry.name, None, None)
    child = pulumi.ResourceOptions(parent=line)
    number = PhoneNumber(entry.name, opts=child, **entry.number)

    def route(ref, name):
        if ref.shared:
            return shared[ref.shared].route_id
        if ref.inline:
            return InboundRoute(name, opts=child, **ref.inline).route_id
        return ref.route_id

    failover = entry.failover and route(entry.failover, f"{entry.name}-failover")
    NumberRouting(
        f"{entry.name}-routing",
        number=number.number,
        primary_route_id=route(entry.primary, f"{entry.name}-primary"),
        failover_route_id=failover or None,
        opts=child,
    )
    if entry.e911:
        E911Assignment(
            f"{entry.name}-e911-assignment", number=number.number,
            e911_id=addresses[entry.e911].e911_id, opts=child,
        )
"""


def test_a_stack_built_with_the_old_fleet_shape_keeps_every_number_and_its_routing(
    project: PulumiProject,
) -> None:
    program = project.path / "__main__.py"
    current = program.read_text()
    program.write_text(OLD_SHAPE_PROGRAM)
    assert "+ 20 created" in project.ok("up")
    emulator = project.emulator(DB)
    before = {
        n.value: emulator.get_number(n.value) for n in emulator.list_numbers({}, 200, 0).items
    }
    assert len(before) == 3

    program.write_text(current)
    emulator.clear_request_log()
    moved = project.ok("up")
    # The numbers are the same resources under their new parent: nothing bought or released;
    # the old NumberRoutings go without undoing the routing their numbers took over.
    assert "buying" not in moved
    assert "released" not in moved
    assert "routing is now its PhoneNumber's" in moved
    assert not [
        r
        for r in emulator.request_log()
        if r.method in ("POST", "DELETE")
        and "/numbers/" in r.path
        and "relationships" not in r.path
    ]
    after = {n.value: emulator.get_number(n.value) for n in emulator.list_numbers({}, 200, 0).items}
    assert after == before
    emulator.clear_request_log()
    assert "14 unchanged" in project.ok("up")
    assert writes(emulator.request_log()) == []


def _as_the_default_provider_left_it(project: PulumiProject) -> None:
    """Rewrite the stack's state as a version serving resources by the default provider wrote it.

    Such a version left every resource on ``pulumi:providers:pulumi-python::default``, to which
    the engine hands the whole stack config (the fleet's entries too), kept as its inputs.
    """
    exported = project.pulumi("stack", "export", "--stack", "dev")
    assert exported.ok, exported.output
    state = json.loads(exported.output)
    resources = state["deployment"]["resources"]
    (provider,) = (r for r in resources if r["type"] == "pulumi:providers:pulumi-python")
    ours = f"{provider['urn']}::{provider['id']}"
    provider["urn"] = provider["urn"].replace("::flowroute", "::default")
    whole = yaml.safe_load((project.path / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
    provider["inputs"] = provider["outputs"] = {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in whole.items()
    }
    for resource in resources:
        if resource.get("provider") == ours:
            resource["provider"] = f"{provider['urn']}::{provider['id']}"
    written = project.path / "old-state.json"
    written.write_text(json.dumps(state))
    imported = project.pulumi("stack", "import", "--file", str(written), "--stack", "dev")
    assert imported.ok, imported.output


def test_a_stack_served_by_the_default_provider_moves_to_the_flowroute_one_unchanged(
    project: PulumiProject,
) -> None:
    numbers = built(project)
    _as_the_default_provider_left_it(project)
    emulator = project.emulator(DB)
    emulator.clear_request_log()

    preview = project.ok("preview", "--diff")
    assert "replace" not in preview
    moved = project.ok("up")
    # The resources keep their ids and inputs: only the provider instance serving them changes
    # (the engine drops the default one, now unused, without a step of its own).
    assert "+ 1 created" in moved
    assert "13 unchanged" in moved
    assert writes(emulator.request_log()) == []
    assert built(project) == numbers
    left = _deployment(project)["resources"]
    assert not [r["urn"] for r in left if r["urn"].endswith("::default")]
    assert "flowroute-fleet:numbers" not in json.dumps(left)
