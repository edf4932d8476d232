"""``pulumi import`` of one of the library's dynamic resources, under plain ``pulumi`` in an
infra repo installed from the wheel: one line saying what to do instead (adopt, onboard, or the
flowroute provider plugin), not the SDK's ``KeyError: '__provider'`` traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.infra import Installed, configure, infra_repo

pytestmark = pytest.mark.e2e


def test_pulumi_import_of_a_dynamic_resource_answers_in_one_line(
    tmp_path: Path, installed: Installed, cli_bin: str
) -> None:
    program = (
        "import pulumi_flowroute as flowroute\n"
        "flowroute.InboundRoute('pbx', route_type='host', value='sip.example.com')\n"
    )
    infra = infra_repo(tmp_path / "infra", installed, cli_bin, program)
    configure(infra, "flowroute:baseUrl=emulator:account.db")
    run = infra.pulumi(
        "import",
        "pulumi-python:dynamic/flowroute:PhoneNumber",
        "front",
        "12065551234",
        "--stack",
        "prod",
        "--yes",
        "--non-interactive",
    )
    assert not run.ok
    assert "Traceback" not in run.output
    assert "KeyError" not in run.output
    answer = (
        "pulumi import cannot import the dynamic resource PhoneNumber 'front': declare it "
        'with adopt=True (PhoneNumber("front", number="12065551234", adopt=True)) and run '
        "`pulumi up`, or describe the whole account with `python -m pulumi_flowroute onboard`; "
        "the flowroute provider plugin imports it: pulumi import flowroute:index:PhoneNumber "
        "front 12065551234"
    )
    lines = [line for line in run.output.splitlines() if "pulumi import cannot import" in line]
    assert lines
    assert all(line.rstrip().endswith(answer) for line in lines), run.output
