"""The ``flowroute`` provider plugin as an infra repo adds it: a copy of the files
``plugin/requirements.txt`` installs from, the virtualenv Pulumi's Python language host makes
in it, and what ``pulumi import`` and ``pulumi stack export`` print about its resources.

``pulumi package add <dir>`` makes ``<dir>/venv`` and pip-installs the library from ``..`` into
it, every time. Tests never point it at the working tree's ``plugin/``: a session makes one
copy with its virtualenv (:func:`prepare_plugin`, under a lock shared by the pytest-xdist
workers), and each test takes a copy of that copy (:func:`copy_plugin`), so no two runs of pip
ever write into one virtualenv, and no run reinstalls the library under a plugin in use.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock

from tests.support.cli import ROOT, PulumiProject, Run

if TYPE_CHECKING:  # pytest is not needed to use the rest (bench/ has no pytest)
    import pytest

#: What ``pip install ..`` from ``plugin/`` reads: the library's build files and its sources.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "provider", "plugin")
_LEFT_OUT = shutil.ignore_patterns("venv", "__pycache__", "*.egg-info", "*.py[co]", "build")
#: The resource types a stack of the plugin's resources may hold.
PLUGIN_TYPES = re.compile(r"pulumi:pulumi:Stack|pulumi:providers:flowroute|flowroute:index:\w+")


def shared(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Path, FileLock]:
    """A directory every pytest-xdist worker of this run shares, and the lock that guards it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    return root / name, FileLock(str(root / f"{name}.lock"))


def copy_sources(destination: Path, root: Path = ROOT) -> Path:
    """The plugin directory of a copy of ``root``'s plugin and library sources."""
    destination.mkdir(parents=True)
    for name in SOURCES:
        if (root / name).is_dir():
            shutil.copytree(root / name, destination / name, ignore=_LEFT_OUT)
        else:
            shutil.copy(root / name, destination / name)
    return destination / "plugin"


def prepare_plugin(directory: Path, cli_bin: str) -> Run:
    """A copy of the sources in ``directory``, its plugin's virtualenv made as ``pulumi package
    add`` makes it (the language host, from requirements.txt): ``pulumi package get-schema``."""
    plugin = copy_sources(directory / "checkout")
    scratch = directory / "scratch"
    scratch.mkdir()
    return PulumiProject(scratch, cli_bin, "scratch").pulumi(
        "package", "get-schema", str(plugin), timeout=900
    )


def copy_plugin(prepared: Path, destination: Path) -> Path:
    """The plugin directory of a copy of a prepared checkout, virtualenv included (a virtualenv
    moves: the language host runs ``venv/bin/python``, a link to the base interpreter)."""
    shutil.copytree(prepared / "checkout", destination, symlinks=True)
    return destination / "plugin"


def generated_code(output: str) -> str:
    """The code ``pulumi import`` prints for the program, less the imports it repeats."""
    _, found, code = output.partition("the destroy will take effect.")
    assert found, output
    kept = [line for line in code.strip().splitlines() if not line.startswith("import ")]
    return "\n".join(kept).strip() + "\n"


def exported_resources(project: PulumiProject) -> tuple[str, list[dict[str, object]]]:
    """``pulumi stack export``: its text, and the resources it holds."""
    exported = project.pulumi("stack", "export", "--stack", project.stack)
    assert exported.ok, exported.output
    return exported.output, json.loads(exported.output)["deployment"]["resources"]


def foreign_types(resources: list[dict[str, object]]) -> set[str]:
    """Resource types in a stack that the plugin does not serve (dynamic ones, say)."""
    return {str(r["type"]) for r in resources if not PLUGIN_TYPES.fullmatch(str(r["type"]))}
