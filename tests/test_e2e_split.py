"""``python -m pulumi_flowroute split``: the dev stack's fleet run as several stacks, through
Pulumi's Automation API and the real CLI."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from tests.support.cli import PulumiProject
from tests.support.dev_stack import DB
from tests.support.emulators import writes

pytestmark = pytest.mark.e2e


def split(
    project: PulumiProject, verb: str, per_stack: int = 2
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-m", "pulumi_flowroute", "split", verb, "--stack", "dev"),
            *("--per-stack", str(per_stack), "--parallel", "2"),
        ],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def rows(summary: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in summary.splitlines()[1:]}


def test_the_fleet_split_in_stacks_buys_each_number_once_and_converges(
    project: PulumiProject,
) -> None:
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

    emulator.clear_request_log()
    again = split(project, "up")
    assert again.returncode == 0, again.stdout + again.stderr
    assert writes(emulator.request_log()) == []
    changes = {name: cells[2:-1] for name, cells in rows(again.stdout).items()}
    assert changes == {
        # the stack, the flowroute provider, two routes, the address, the webhooks
        "dev-shared": ["6", "same"],
        "dev-001": ["8", "same"],
        "dev-002": ["5", "same"],
        "total": ["3", "stacks"],
    }

    destroy = split(project, "destroy")
    assert destroy.returncode == 0, destroy.stdout + destroy.stderr
    assert list(rows(destroy.stdout)) == ["dev-001", "dev-002", "dev-shared", "total"]


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
    assert "dev-002: up failed (" in up.stderr
    assert ".flowroute/split/dev-002.log" in up.stderr
    assert (
        "12065550199 is neither on your Flowroute account"
        in (project.path / ".flowroute" / "split" / "dev-002.log").read_text()
    )
    assert "Traceback" not in up.stderr
