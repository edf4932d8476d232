"""Infra repos as a user makes them: a Python project whose ``requirements.txt`` names the wheel
built from this checkout, its virtualenv made by ``pulumi install`` once per test run and shared
by every pytest-xdist worker (under a file lock), and a stack with a passphrase."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from tests.support.cli import ROOT, PulumiProject, Run

PASSPHRASE = "correct horse battery staple"


def shared_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Path, FileLock]:
    """A directory every pytest-xdist worker of this run shares, and the lock that guards it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    return root / name, FileLock(str(root / f"{name}.lock"))


def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout, built once per run."""
    out, lock = shared_dir(tmp_path_factory, "dist")
    with lock:
        if not list(out.glob("pulumi_flowroute-*.whl")):
            pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
            subprocess.run([*pip, "-w", str(out), str(ROOT)], check=True)
    return next(out.glob("pulumi_flowroute-*.whl"))


def new_infra_repo(path: Path, requirements: str, program: str) -> None:
    """An infra repo as a user writes one: a Python project with its own virtualenv."""
    path.mkdir(parents=True)
    (path / "Pulumi.yaml").write_text(
        "name: infra\n"
        "runtime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: venv\n"
    )
    (path / "requirements.txt").write_text(requirements)
    (path / "__main__.py").write_text(program)


@dataclass(frozen=True)
class Installed:
    """An infra repo's virtualenv, made by ``pulumi install``, and what the command printed."""

    venv: Path
    install: Run


def installed_template(
    wheel: Path, tmp_path_factory: pytest.TempPathFactory, cli_bin: str
) -> Installed:
    """``pulumi install`` in an infra repo whose requirements.txt names the wheel: made once."""
    repo, lock = shared_dir(tmp_path_factory, "infra-template")
    with lock:
        if not (repo / "install.log").exists():
            new_infra_repo(repo, f"pulumi-flowroute[emulator] @ {wheel.as_uri()}\n", "")
            run = PulumiProject(repo, cli_bin, "prod").pulumi("install", timeout=600)
            (repo / "install.log").write_text(f"{run.returncode}\n{run.output}")
    code, _, output = (repo / "install.log").read_text().partition("\n")
    return Installed(repo / "venv", Run(int(code), output))


def infra_repo(path: Path, installed: Installed, cli_bin: str, program: str) -> PulumiProject:
    """A new infra repo at ``path`` running ``program`` on the installed virtualenv, with its
    ``prod`` stack initialised (secrets under :data:`PASSPHRASE`)."""
    new_infra_repo(path, (installed.venv.parent / "requirements.txt").read_text(), program)
    (path / "venv").symlink_to(installed.venv)
    project = PulumiProject(path, cli_bin, "prod", passphrase=PASSPHRASE)
    assert project.pulumi("stack", "init", "prod").ok
    return project


def configure(
    project: PulumiProject, *settings: str, secret: bool = False, stack: str = "prod"
) -> None:
    """``pulumi config set KEY VALUE`` for each ``KEY=VALUE``."""
    for setting in settings:
        key, _, value = setting.partition("=")
        args = ["config", "set", "--stack", stack, *(["--secret"] if secret else []), key, value]
        run = project.pulumi(*args)
        assert run.ok, run.output
