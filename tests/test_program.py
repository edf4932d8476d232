"""Whole-program lifecycle of __main__.py with the dev stack config, through the real SDK."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_flowroute.emulator import FlowrouteBackend
from tests.support.emulators import embedded_client, writes
from tests.support.program_runner import ProgramRunner

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "flowroute-fleet"


def dev_config() -> dict[str, Any]:
    """The dev stack's config with the library's default for releasing: numbers are kept.

    (The dev stack releases its numbers on destroy, as its account is emulated.)
    """
    config = dict(yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"])
    for entry in config["flowroute-fleet:numbers"].values():
        entry.pop("release_on_delete", None)
    return config


@pytest.fixture
def stack(tmp_path: Path) -> tuple[ProgramRunner, str]:
    db = tmp_path / "account.db"
    config = {**dev_config(), "flowroute:baseUrl": f"emulator:{db}"}
    return ProgramRunner(ROOT, PROJECT, "dev", config, tmp_path / "state.json"), str(db)


def test_preview_then_up_builds_the_fleet(stack: tuple[ProgramRunner, str]) -> None:
    runner, db = stack
    preview = runner.preview()
    assert preview.error is None, preview.error
    # 2 shared routes, 1 shared E911 address, the webhooks, 3 numbers (each routing itself),
    # 1 inline route, 3 E911 assignments, the stack's claim, the flowroute provider
    assert len(preview.ops("create")) == 13
    assert FlowrouteBackend(db).request_log() == []

    up = runner.up()
    assert up.error is None, up.error
    numbers = up.exports["numbers"]
    assert numbers["support"]["number"] == "12065551234"
    assert numbers["sales"]["number"].startswith("1425")
    client = embedded_client(db)
    for name, line in numbers.items():
        details = client.get_number(line["number"])
        assert details.primary_route_id == line["primary_route_id"] != "0", name
        assert details.failover_route_id == line["failover_route_id"], name
        assert details.e911_id == line["e911_id"] is not None, name
    office = client.get_address(numbers["support"]["e911_id"])
    assert (office.street_name, office.address_type_number, office.state) == (
        "3rd Ave",
        "600",
        "WA",
    )
    assert numbers["support"]["failover_route_id"] == numbers["sales"]["failover_route_id"]
    assert client.get_number(numbers["sales"]["number"]).alias == "Sales"


def test_a_number_bought_without_an_alias_carries_the_stacks_claim_drawn_once(
    stack: tuple[ProgramRunner, str],
) -> None:
    runner, db = stack
    numbers = numbers_config(runner)
    set_numbers(
        runner, {**numbers, "sales": {k: v for k, v in numbers["sales"].items() if k != "alias"}}
    )
    numbers = runner.up().exports["numbers"]
    claim = [s for urn, s in runner.state.load().items() if urn.endswith("::flowroute-stack-claim")]
    (token,) = [s.outputs["token"] for s in claim]
    assert re.fullmatch("[0-9a-f]{6}", token)
    client = embedded_client(db)
    assert client.get_number(numbers["sales"]["number"]).alias == f"{PROJECT}.dev.sales~{token}"
    # Kept by every later run: the claim of a number an interrupted run bought still holds.
    assert runner.up().error is None
    assert [s.outputs["token"] for u, s in runner.state.load().items() if "stack-claim" in u] == [
        token
    ]


def numbers_config(runner: ProgramRunner) -> dict[str, Any]:
    return dict(json.loads(runner.config["flowroute-fleet:numbers"]))


def set_numbers(runner: ProgramRunner, numbers: dict[str, Any]) -> None:
    runner.config["flowroute-fleet:numbers"] = json.dumps(numbers)


def built(stack: tuple[ProgramRunner, str]) -> tuple[ProgramRunner, str, dict[str, Any]]:
    runner, db = stack
    up = runner.up()
    assert up.error is None, up.error
    return runner, db, up.exports["numbers"]


def test_second_up_makes_no_writes(stack: tuple[ProgramRunner, str]) -> None:
    runner, db, _ = built(stack)
    before = len(writes(db))
    again = runner.up()
    assert again.error is None
    assert again.ops("same")
    assert not [op for op, _ in again.operations if op != "same"]
    assert len(writes(db)) == before


def test_alias_change_updates_in_place(stack: tuple[ProgramRunner, str]) -> None:
    runner, db, numbers = built(stack)
    config = numbers_config(runner)
    config["support"]["alias"] = "Support (24/7)"
    set_numbers(runner, config)
    preview = runner.preview()
    assert preview.ops("update") == ["support"]
    count = len(writes(db))
    up = runner.up()
    assert up.ops("update") == ["support"]
    assert not up.ops("replace")
    assert writes(db)[count:] == [("PATCH", "/v2/numbers/12065551234")]
    assert up.exports["numbers"] == numbers


def test_changed_search_replaces_the_number(stack: tuple[ProgramRunner, str]) -> None:
    runner, db, numbers = built(stack)
    config = numbers_config(runner)
    config["sales"]["search"] = {"starts_with": "206", "state": "wa"}
    set_numbers(runner, config)
    up = runner.up()
    assert up.error is None, up.error
    # The new number gets the address too; the old one loses it.
    assert sorted(up.ops("replace")) == ["sales", "sales-e911-assignment"]
    assert sorted(up.ops("delete-replaced")) == ["sales", "sales-e911-assignment"]
    new, old = up.exports["numbers"]["sales"]["number"], numbers["sales"]["number"]
    assert new.startswith("1206")
    assert new != "12065551234"
    client = embedded_client(db)
    assert client.get_number(new).primary_route_id == numbers["sales"]["primary_route_id"]
    kept = client.get_number(old)  # not released: release_on_delete is False
    assert (kept.primary_route_id, kept.failover_route_id) == ("0", None)


def test_drift_found_by_refresh_and_put_back_by_up(stack: tuple[ProgramRunner, str]) -> None:
    runner, db, numbers = built(stack)
    # The first refresh records each number's e911_id, given after the number was created:
    # outputs only, so nothing counts as updated.
    assert runner.refresh().ops("update") == []
    client = embedded_client(db)
    pbx = numbers["support"]["primary_route_id"]
    client.update_route(pbx, value="10.6.6.6")
    client.set_route(numbers["helpdesk"]["number"], "primary", "0")
    client.unassign_address(numbers["sales"]["number"])
    drifted = ["helpdesk", "route-office-pbx", "sales-e911-assignment"]
    refresh = runner.refresh()
    assert sorted(refresh.ops("update")) == drifted
    preview = runner.preview()
    assert sorted(preview.ops("update")) == drifted
    up = runner.up()
    assert sorted(up.ops("update")) == drifted
    assert client.get_number(numbers["sales"]["number"]).e911_id == numbers["sales"]["e911_id"]
    assert client.find_route(pbx).value == "sip.example.com:5060"  # type: ignore[union-attr]
    assert client.get_number(numbers["helpdesk"]["number"]).primary_route_id == pbx


def test_removed_entry_deletes_its_routes_and_keeps_its_number(
    stack: tuple[ProgramRunner, str],
) -> None:
    runner, db, numbers = built(stack)
    config = numbers_config(runner)
    del config["sales"]
    set_numbers(runner, config)
    up = runner.up()
    assert up.error is None, up.error
    deleted = up.ops("delete")
    # The number lets go of its route before the route goes.
    assert deleted.index("sales") < deleted.index("sales-primary")
    assert set(deleted) == {"sales", "sales-primary", "sales-e911-assignment"}
    client = embedded_client(db)
    kept = client.get_number(numbers["sales"]["number"])
    assert (kept.primary_route_id, kept.failover_route_id) == ("0", None)
    assert client.find_route(numbers["sales"]["primary_route_id"]) is None
    assert any("stays on your Flowroute account" in line for line in up.logs)


def test_release_only_when_asked(stack: tuple[ProgramRunner, str]) -> None:
    runner, db, numbers = built(stack)
    config = numbers_config(runner)
    config["helpdesk"]["release_on_delete"] = True
    set_numbers(runner, config)
    count = len(writes(db))
    assert runner.up().ops("update") == ["helpdesk"]
    assert len(writes(db)) == count  # a flag: no API call
    del config["helpdesk"]
    set_numbers(runner, config)
    assert runner.up().error is None
    assert ("DELETE", f"/v2/numbers/{numbers['helpdesk']['number']}") in writes(db)


def test_protected_entry_is_not_deleted(stack: tuple[ProgramRunner, str]) -> None:
    runner, db = stack
    config = numbers_config(runner)
    config["support"]["protect"] = True
    set_numbers(runner, config)
    assert runner.up().error is None
    del config["support"]
    set_numbers(runner, config)
    with pytest.raises(Exception, match="protected"):
        runner.up()
    assert embedded_client(db).get_number("12065551234").primary_route_id != "0"


def test_destroy_removes_routes_and_keeps_numbers(stack: tuple[ProgramRunner, str]) -> None:
    runner, db, numbers = built(stack)
    destroy = runner.destroy()
    assert destroy.error is None
    assert runner.state.load() == {}
    client = embedded_client(db)
    assert [r.id for r in client.list_routes()] == ["0"]
    for line in numbers.values():
        assert client.get_number(line["number"]).primary_route_id == "0"


def test_bad_config_fails_before_any_resource(stack: tuple[ProgramRunner, str]) -> None:
    runner, db = stack
    config = numbers_config(runner)
    config["support"]["primary"] = "no-such-route"
    config["sales"]["search"]["state"] = "Washington"
    set_numbers(runner, config)
    up = runner.up()
    assert up.error is not None
    assert "numbers.support.primary = 'no-such-route'" in up.error
    assert "numbers.sales.search.state = 'Washington'" in up.error
    assert up.operations == []
    assert FlowrouteBackend(db).request_log() == []


def test_secrets_stay_out_of_state(tmp_path: Path) -> None:
    db = tmp_path / "account.db"
    secret = "prod-secret-0123456789"
    config = {
        **dev_config(),
        "flowroute:baseUrl": f"emulator:{db}",
        "flowroute:accessKey": "77777777",
        "flowroute:secretKey": secret,
    }
    runner = ProgramRunner(
        ROOT, PROJECT, "dev", config, tmp_path / "state.json", secret_keys=("flowroute:secretKey",)
    )
    up = runner.up()
    assert up.error is None, up.error
    text = (tmp_path / "state.json").read_text()
    assert secret not in text
    assert "77777777" not in text
    # Each resource's provider blob pickles its class alone: stored plain, holding no secret.
    assert not any("__provider" in s.secret_keys for s in runner.state.load().values())
    assert not any(secret in line for line in up.logs)
