"""The README's onboarding walk-through under plain ``pulumi``: fill an account, onboard it,
and the first ``up`` adopts everything without a single write."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.cli import PulumiProject, copy_of_the_project
from tests.support.emulators import writes

pytestmark = pytest.mark.e2e
DB = ".pulumi/acct.db"
FILLED = 12


@pytest.fixture
def project(tmp_path: Path, cli_bin: str) -> PulumiProject:
    project = copy_of_the_project(tmp_path, cli_bin)
    project.stack = "acct"
    assert project.pulumi("stack", "init", "acct").ok
    stack_file(project).write_text(f"config:\n  flowroute:baseUrl: emulator:{DB}\n")
    return project


def stack_file(project: PulumiProject) -> Path:
    return project.path / "stacks" / "Pulumi.acct.yaml"


def python(project: PulumiProject, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=project.path,
        env={**project.env, "FLOWROUTE_BASE_URL": f"emulator:{DB}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_onboarded_account_comes_under_pulumi_without_a_write(project: PulumiProject) -> None:
    filled = python(
        project, "-m", "pulumi_flowroute.emulator", "fill", "--db", DB, "--numbers", str(FILLED)
    )
    assert filled.returncode == 0, filled.stderr
    emulator = project.emulator(DB)
    emulator.clear_request_log()
    onboarded = python(
        project, "-m", "pulumi_flowroute", "onboard", "--write", str(stack_file(project))
    )
    assert onboarded.returncode == 0, onboarded.stderr
    assert {r.method for r in emulator.request_log()} == {"GET"}
    config = yaml.safe_load(stack_file(project).read_text())["config"]
    assert config["flowroute:baseUrl"] == f"emulator:{DB}"  # kept
    assert len(config["flowroute-fleet:numbers"]) == FILLED

    emulator.clear_request_log()
    up = project.ok("up")
    assert writes(emulator.request_log()) == []
    # Each object is reported created, the log saying what was adopted rather than made.
    assert re.search(r"\+ \d+ created", up)
    assert "adopted" in up
    assert len(set(re.findall(r"adopted (1[0-9]{10}) \(already on the account\)", up))) == FILLED
    again = project.ok("up")
    assert " unchanged" in again
    assert "created" not in again
    assert writes(emulator.request_log()) == []

    # One alias edited in the written config: exactly one PATCH.
    document = yaml.safe_load(stack_file(project).read_text())
    entry = document["config"]["flowroute-fleet:numbers"]["line-00003"]
    entry["alias"] = "Front desk"
    stack_file(project).write_text(yaml.safe_dump(document, sort_keys=False))
    emulator.clear_request_log()
    project.ok("up")
    assert writes(emulator.request_log()) == [("PATCH", f"/v2/numbers/{entry['number']}")]

    # A change made in the portal shows in refresh.
    emulator.update_number(entry["number"], {"alias": "Changed in the portal"})
    refreshed = project.ok("refresh", "--diff")
    assert "Changed in the portal" in refreshed
    assert "1 updated" in refreshed
