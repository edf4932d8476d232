"""The project's own dev stack under plain ``pulumi``, on a temporary copy of the project: its
life from preview to destroy (changes in place, drift, replacement, removal, release,
protection, the E911 address, the webhooks, stack-config mistakes)."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from pulumi_flowroute.fleet import PROGRESS_FROM
from tests.support.cli import PulumiProject
from tests.support.dev_stack import (
    DB,
    built,
    edit_config,
    edit_numbers,
    edit_office,
    owned,
)
from tests.support.emulators import writes

pytestmark = pytest.mark.e2e


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
