"""``scripts/pulumi-cli``: which CLI and language host `make cli` provides, and what it says when
it can provide none. Builds are not run here (the end-to-end suite uses the real one)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import NO_CLI, ROOT

SCRIPT = ROOT / "scripts" / "pulumi-cli"
VERSION = "v3.274.1"


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def tools_without(tmp_path: Path, *missing: str) -> Path:
    """A PATH directory with what the script runs, less ``missing``."""
    bin_dir = tmp_path / "tools"
    bin_dir.mkdir()
    for tool in ("bash", "sed", "dirname", "cat", "mkdir", "go", "flock"):
        found = shutil.which(tool)
        if found and tool not in missing:
            (bin_dir / tool).symlink_to(found)
    return bin_dir


def provide(path: Path, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": str(path),
        "HOME": str(tmp_path),
        "PULUMI_FLOWROUTE_CLI_CACHE": str(tmp_path / "cache"),
        **env,
    }
    return subprocess.run(
        [str(SCRIPT)], env=environ, capture_output=True, text=True, timeout=60, check=False
    )


def test_an_installed_cli_with_its_language_host_is_used_as_it_is(tmp_path: Path) -> None:
    installed = tmp_path / "pulumi" / "bin"
    executable(installed / "pulumi")
    executable(installed / "pulumi-language-python")
    tools = tools_without(tmp_path)
    done = provide(Path(f"{installed}{os.pathsep}{tools}"), tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, str(installed)), done.stderr


def test_a_cached_build_is_used_when_the_installed_cli_has_no_host(tmp_path: Path) -> None:
    executable(tmp_path / "pulumi" / "bin" / "pulumi")
    cached = tmp_path / "cache" / VERSION / "bin"
    for program in (
        "pulumi",
        "pulumi-resource-pulumi-python",
        "pulumi-language-python",
        "pulumi-language-python-exec",
    ):
        executable(cached / program)
    tools = tools_without(tmp_path)
    done = provide(Path(f"{tmp_path / 'pulumi' / 'bin'}{os.pathsep}{tools}"), tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, str(cached)), done.stderr


def test_without_a_cli_or_go_one_message_says_what_to_install(tmp_path: Path) -> None:
    done = provide(tools_without(tmp_path, "go"), tmp_path)
    assert done.returncode == NO_CLI and done.stdout == ""
    assert "Go is not there to build them" in done.stderr
    assert "curl -fsSL https://get.pulumi.com | sh" in done.stderr


@pytest.mark.skipif(shutil.which("go") is None, reason="needs Go on PATH")
def test_without_the_hosts_source_nothing_is_built_and_the_message_names_it(
    tmp_path: Path,
) -> None:
    done = provide(
        tools_without(tmp_path), tmp_path, PULUMI_LANGUAGE_PYTHON_SOURCE=str(tmp_path / "nowhere")
    )
    assert done.returncode == NO_CLI
    assert f"its source is not at {tmp_path / 'nowhere'}" in done.stderr
    assert not (tmp_path / "cache" / VERSION).exists()
