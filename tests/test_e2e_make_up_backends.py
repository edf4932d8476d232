"""``make up`` (scripts/up) with another backend than the checkout's: its dev stack gets an
emulated account of its own instead of finding the first backend's numbers on the checkout's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pulumi_flowroute.emulator import FlowrouteBackend
from tests.support.cli import PulumiProject
from tests.support.dev_stack import DB

pytestmark = pytest.mark.e2e


def make_up(project: PulumiProject, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(project.path / "scripts" / "up")],
        env={**project.env, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def numbers(db: Path) -> set[str]:
    return {n.value for n in FlowrouteBackend(str(db)).list_numbers({}, 200, 0).items}


def test_make_up_on_another_backend_has_an_emulated_account_of_its_own(
    project: PulumiProject, tmp_path: Path
) -> None:
    committed = (project.path / "stacks" / "Pulumi.dev.yaml").read_text()
    here = make_up(project)
    assert here.returncode == 0, here.stdout + here.stderr
    assert "+ 14 created" in here.stdout
    assert "emulated account of its own" not in here.stderr

    elsewhere = tmp_path / "state"
    elsewhere.mkdir()
    there = make_up(project, PULUMI_BACKEND_URL=f"file://{elsewhere}")
    assert there.returncode == 0, there.stdout + there.stderr
    assert "+ 14 created" in there.stdout
    [said] = [line for line in there.stderr.splitlines() if "emulated account" in line]
    assert said.startswith(f"scripts/up: backend file://{elsewhere} has an emulated account of")
    [own] = list((project.path / ".pulumi").glob("flowroute-dev-*.db"))
    assert f"its own: .pulumi/{own.name} (its dev stack config: .pulumi/Pulumi.dev-" in said

    # Two accounts of three numbers each, the exact one in both; the stack file as committed.
    assert len(numbers(project.path / DB)) == len(numbers(own)) == 3
    assert "12065551234" in numbers(project.path / DB) & numbers(own)
    assert (project.path / "stacks" / "Pulumi.dev.yaml").read_text() == committed

    # The other backend's next run is on the same account of its own: nothing to change.
    again = make_up(project, PULUMI_BACKEND_URL=f"file://{elsewhere}")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "14 unchanged" in again.stdout
