"""The harness's own guards: what the tests make of a missing CLI, and the benchmarks' driver
importable without pytest."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.cli import ROOT, CliUnavailable
from tests.support.e2e import cli_or_skip


def _missing() -> str:
    raise CliUnavailable("Not installed: the Pulumi CLI; and Go is not there", not_installed=True)


def _broken() -> str:
    raise CliUnavailable("go build failed", not_installed=False)


def test_a_cli_that_is_there_is_used() -> None:
    assert cli_or_skip(lambda: "/opt/pulumi/bin", {}) == "/opt/pulumi/bin"


def test_without_the_cli_a_developers_run_skips_the_end_to_end_tests() -> None:
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        cli_or_skip(_missing, {})


@pytest.mark.parametrize("ci", ["true", "1"])
def test_without_the_cli_ci_fails_instead_of_skipping(ci: str) -> None:
    with pytest.raises(pytest.fail.Exception, match="Go is not there"):
        cli_or_skip(_missing, {"CI": ci})


def test_a_cli_that_could_not_be_built_fails_anywhere() -> None:
    with pytest.raises(pytest.fail.Exception, match="go build failed"):
        cli_or_skip(_broken, {})


def test_the_benchmarks_start_without_pytest() -> None:
    # As in a virtualenv without the test suite's dependencies: importing any of them fails.
    blocked = ["pytest", "_pytest", "hypothesis", "xdist", "filelock"]
    code = (
        "import runpy, sys\n"
        f"for name in {blocked!r}:\n"
        "    sys.modules[name] = None\n"
        "sys.argv = ['bench', '--help']\n"
        "runpy.run_module('bench', run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
