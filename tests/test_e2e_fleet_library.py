"""The fleet as a library entry point, under plain ``pulumi``: an infra repo whose whole
``__main__.py`` is ``deploy_fleet_from_config()``, its fleet written by ``onboard`` into its own
stack file and deployed by ``pulumi up``, and ``split`` running another of its stacks as
two, all with the repo's own layout (``Pulumi.<stack>.yaml`` beside ``Pulumi.yaml``)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.cli import PulumiProject
from tests.support.emulators import writes
from tests.support.infra import Installed, configure, infra_repo

pytestmark = pytest.mark.e2e
PROGRAM = "from pulumi_flowroute import deploy_fleet_from_config\n\ndeploy_fleet_from_config()\n"


def run(
    infra: PulumiProject, python: Path, *args: str, db: str
) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in the repo, as its user runs the library's commands."""
    return subprocess.run(
        [str(python), *args],
        cwd=infra.path,
        env={**infra.env, "FLOWROUTE_BASE_URL": f"emulator:{db}"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def onboarded(infra: PulumiProject, python: Path, stack: str, db: str, numbers: int) -> None:
    """``stack`` of the repo describing a filled emulated account at ``db``, by ``onboard``."""
    if stack != infra.stack:
        assert infra.pulumi("stack", "init", stack).ok
    configure(infra, f"flowroute:baseUrl=emulator:{db}", stack=stack)
    filled = run(infra, python, "-m", "pulumi_flowroute.emulator", "fill", "--db", db,
                 "--numbers", str(numbers), db=db)  # fmt: skip
    assert filled.returncode == 0, filled.stderr
    written = run(infra, python, "-m", "pulumi_flowroute", "onboard", "--write",
                  f"Pulumi.{stack}.yaml", db=db)  # fmt: skip
    assert written.returncode == 0, written.stderr
    infra.emulator(db).clear_request_log()


def test_a_two_line_program_deploys_the_fleet_that_onboard_and_split_handle(
    tmp_path: Path, installed: Installed, cli_bin: str
) -> None:
    infra = infra_repo(tmp_path / "infra", installed, cli_bin, PROGRAM)
    python = installed.venv / "bin" / "python"

    onboarded(infra, python, "prod", "prod.db", 3)
    config = yaml.safe_load((infra.path / "Pulumi.prod.yaml").read_text())["config"]
    assert len(config["infra:numbers"]) == 3  # in the repo's own namespace
    assert "encryptionsalt" in (infra.path / "Pulumi.prod.yaml").read_text()  # kept
    up = infra.ok("up")
    assert len(set(re.findall(r"adopted (1\d{10}) \(already on the account\)", up))) == 3
    assert writes(infra.emulator("prod.db").request_log()) == []
    outputs = yaml.safe_load(infra.pulumi("stack", "output", "--json").output)
    assert set(outputs) == {"numbers", "routes", "e911", "cnam"}
    assert set(outputs["numbers"]) == set(config["infra:numbers"])
    again = infra.ok("up")
    assert "created" not in again
    assert "updated" not in again

    # Another stack, run as a shared stack and one of numbers (what split does for thousands).
    onboarded(infra, python, "big", "big.db", 2)
    split = run(infra, python, "-m", "pulumi_flowroute", "split", "up", "--stack", "big",
                "--per-stack", "2", db="big.db")  # fmt: skip
    assert split.returncode == 0, split.stdout + split.stderr
    results = {line.split()[0]: line.split()[2] for line in split.stdout.splitlines()[1:]}
    assert results == {"big-shared": "ok", "big-001": "ok", "total": "ok"}
    generated = {p.name for p in infra.path.glob("Pulumi.big-*.yaml")}
    assert generated == {"Pulumi.big-shared.yaml", "Pulumi.big-001.yaml"}
    assert writes(infra.emulator("big.db").request_log()) == []
