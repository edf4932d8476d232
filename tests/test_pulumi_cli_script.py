"""``scripts/pulumi-cli``: which CLI and language hosts `make cli` provides, and what it says when
it cannot provide them. Builds are not run here (the end-to-end suite uses the real one)."""

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


PARTS = {
    "cli": ("pulumi", "pulumi-resource-pulumi-python"),
    "python": ("pulumi-language-python", "pulumi-language-python-exec"),
    "nodejs": ("pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"),
    "yaml": ("pulumi-language-yaml",),
}


def provide(path: Path, tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": str(path),
        "HOME": str(tmp_path),
        "PULUMI_FLOWROUTE_CLI_CACHE": str(tmp_path / "cache"),
        **env,
    }
    return subprocess.run(
        [str(SCRIPT), *args], env=environ, capture_output=True, text=True, timeout=60, check=False
    )


def installed_cli(tmp_path: Path, *hosts: str) -> Path:
    """An official install's directory: ``pulumi`` and the language hosts named."""
    installed = tmp_path / "pulumi" / "bin"
    executable(installed / "pulumi")
    for host in hosts:
        executable(installed / f"pulumi-language-{host}")
    return installed


def cached_build(tmp_path: Path, *parts: str) -> Path:
    """The cache's bin directory holding the programs of ``parts``."""
    cached = tmp_path / "cache" / VERSION / "bin"
    for part in parts:
        for program in PARTS[part]:
            executable(cached / program)
    return cached


def test_an_installed_cli_with_its_language_hosts_is_used_as_it_is(tmp_path: Path) -> None:
    installed = installed_cli(tmp_path, "python", "nodejs", "yaml")
    tools = tools_without(tmp_path)
    done = provide(Path(f"{installed}{os.pathsep}{tools}"), tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, str(installed)), done.stderr


def test_an_installed_cli_needs_only_the_hosts_asked_for(tmp_path: Path) -> None:
    installed = installed_cli(tmp_path, "python")
    tools = tools_without(tmp_path)
    done = provide(Path(f"{installed}{os.pathsep}{tools}"), tmp_path, "--hosts", "python")
    assert (done.returncode, done.stdout.strip()) == (0, str(installed)), done.stderr


@pytest.mark.parametrize("beside", [(), ("python",), ("python", "nodejs"), ("python", "yaml")])
def test_a_cached_build_is_used_when_the_installed_cli_lacks_a_host(
    tmp_path: Path, beside: tuple[str, ...]
) -> None:
    installed = installed_cli(tmp_path, *beside)
    cached = cached_build(tmp_path, *PARTS)
    tools = tools_without(tmp_path)
    done = provide(Path(f"{installed}{os.pathsep}{tools}"), tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, str(cached)), done.stderr


def test_without_a_cli_or_go_one_message_says_what_to_install(tmp_path: Path) -> None:
    done = provide(tools_without(tmp_path, "go"), tmp_path)
    assert done.returncode == NO_CLI
    assert done.stdout == ""
    assert "Go is not there to build them" in done.stderr
    assert "pulumi-language-nodejs" in done.stderr
    assert "pulumi-language-yaml" in done.stderr
    assert "curl -fsSL https://get.pulumi.com | sh" in done.stderr


def test_without_go_the_message_names_only_the_parts_missing(tmp_path: Path) -> None:
    cached_build(tmp_path, "cli", "python", "nodejs")
    done = provide(tools_without(tmp_path, "go"), tmp_path)
    assert done.returncode == NO_CLI
    assert done.stdout == ""
    assert "Not installed: the YAML language host (pulumi-language-yaml v1.32.0);" in done.stderr


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


@pytest.mark.skipif(shutil.which("go") is None, reason="needs Go on PATH")
def test_without_the_nodejs_hosts_source_nothing_is_built_and_the_message_names_it(
    tmp_path: Path,
) -> None:
    cached = cached_build(tmp_path, "cli", "python", "yaml")
    nowhere = tmp_path / "nowhere"
    done = provide(tools_without(tmp_path), tmp_path, PULUMI_LANGUAGE_NODEJS_SOURCE=str(nowhere))
    assert done.returncode == NO_CLI
    assert done.stdout == ""
    assert (
        f"The Node.js language host (pulumi-language-nodejs) is not installed, "
        f"and its source is not at {nowhere}." in done.stderr
    )
    assert sorted(p.name for p in cached.parent.iterdir()) == ["bin"]  # no lock, no staging


def test_the_nodejs_source_is_not_needed_when_only_python_is_asked_for(tmp_path: Path) -> None:
    cached = cached_build(tmp_path, "cli", "python")
    done = provide(
        tools_without(tmp_path),
        tmp_path,
        "--hosts",
        "python",
        PULUMI_LANGUAGE_NODEJS_SOURCE=str(tmp_path / "nowhere"),
    )
    assert (done.returncode, done.stdout.strip()) == (0, str(cached)), done.stderr


@pytest.mark.parametrize("args", [("--hosts", "python,go"), ("--host", "python"), ("python",)])
def test_a_wrong_argument_is_a_usage_error(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = provide(tools_without(tmp_path), tmp_path, *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "usage:" in done.stderr
