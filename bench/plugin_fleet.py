"""The fleet through the ``flowroute`` provider plugin, beside the dynamic fleet and the floor.

What an infra repo in another language runs: a Pulumi YAML program (``runtime: yaml``, the
real YAML language host) with the plugin added by ``pulumi package add``, and one
``flowroute:index:Fleet`` holding the very fleet of the dynamic benchmark
(:func:`bench.cli_fleet.fleet_numbers` and ``SHARED_ROUTES``): N numbers sharing one search,
each routed to the same two shared routes. The component declares what the project's own
program declares (one ``PhoneNumber`` per number, routing itself, and two ``InboundRoute``),
so calls per number compare one to one. The stack config holds the same provider settings
(``flowroute:baseUrl``, ``flowroute:settleSeconds``), the credentials come from the
environment. Both fleets of a size are measured by :func:`bench.cli_fleet.operations`, on
emulators of their own, their operations taken in turn so that both meet the same load.

The plugin is added once per bench run, from a copy of the files it installs from (its
``requirements.txt`` installs the library from ``..``): the Python language host builds the
plugin's virtualenv in that copy, never in the working tree's ``plugin/``.

``python -m bench.plugin_fleet [N ...]`` measures the two fleets of each size N (100 if none
is given) and nothing else, and prints their table.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bench import cli_fleet
from bench.cli_fleet import AUTH, SHARED_ROUTES, emulators, fleet_numbers, operations, settings
from tests.support.cli import PulumiProject, provide_cli

#: What ``pip install ..`` from ``plugin/`` reads: the library's build files and its sources.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "provider", "plugin")
FRONT_DOOR = "front door"
Row = dict[str, Any]


def install(directory: Path, root: Path, cli_bin: str) -> dict[str, str]:
    """``pulumi package add`` of a copy of ``root``'s plugin, from a scratch YAML project.

    Returns the ``packages:`` entry the command recorded there (the plugin directory's path),
    which every bench project then holds: the plugin and its virtualenv are made once.
    """
    source = directory / "plugin-source"
    source.mkdir()
    left_out = shutil.ignore_patterns("venv", "__pycache__", "*.egg-info", "*.py[co]")
    for name in SOURCES:
        if (root / name).is_dir():
            shutil.copytree(root / name, source / name, ignore=left_out)
        else:
            shutil.copy(root / name, source / name)
    scratch = directory / "plugin-install"
    scratch.mkdir()
    (scratch / "Pulumi.yaml").write_text(
        yaml.safe_dump({"name": "flowroute-plugin-install", "runtime": "yaml"})
    )
    # The language host makes the plugin's virtualenv and pip-installs the library into it.
    added = PulumiProject(scratch, cli_bin, "install").pulumi(
        "package", "add", str(source / "plugin"), timeout=900
    )
    assert added.ok, f"pulumi package add failed:\n{added.output[-4000:]}"
    packages: dict[str, str] = yaml.safe_load((scratch / "Pulumi.yaml").read_text())["packages"]
    assert "flowroute" in packages, packages
    return packages


def program(packages: dict[str, str], size: int) -> dict[str, Any]:
    """The YAML project of a ``size``-number fleet: one ``flowroute:index:Fleet``."""
    fleet = {"routes": SHARED_ROUTES, "numbers": fleet_numbers(size)}
    return {
        "name": "flowroute-plugin-fleet",
        "runtime": "yaml",
        "packages": packages,
        "resources": {"fleet": {"type": "flowroute:index:Fleet", "properties": fleet}},
        "outputs": {"numbers": "${fleet.numbers}"},
    }


def project(
    directory: Path, cli_bin: str, packages: dict[str, str], url: str, size: int
) -> PulumiProject:
    """A YAML project with a ``bench`` stack of ``size`` numbers on the emulator at ``url``."""
    directory.mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump(program(packages, size), sort_keys=False))
    (directory / "Pulumi.bench.yaml").write_text(yaml.safe_dump({"config": settings(url)}))
    cli = PulumiProject(directory, cli_bin, "bench")
    cli.env.update(FLOWROUTE_ACCESS_KEY=AUTH[0], FLOWROUTE_SECRET_KEY=AUTH[1])
    init = cli.pulumi("stack", "init", "bench")
    assert init.ok, init.output
    return cli


def fleets(
    directory: Path, root: Path, cli_bin: str, packages: dict[str, str], size: int
) -> tuple[list[Row], list[Row]]:
    """The dynamic and the plugin fleet of ``size`` numbers, each in one stack on emulators of
    its own, their operations taken in turn (the dynamic ``up``, the plugin's, the dynamic
    no-op ``up``...): a row per operation of each, measured under the same load."""
    dynamic: list[Row] = []
    plugin: list[Row] = []
    with (
        emulators(directory, f"{size}", size) as (url, floor_url),
        emulators(directory, f"{size}-plugin", size) as (plugin_url, plugin_floor_url),
    ):
        dynamic_cli = cli_fleet.project(directory / f"fleet-{size}", root, cli_bin, url, size)
        plugin_cli = project(
            directory / f"fleet-{size}-plugin", cli_bin, packages, plugin_url, size
        )
        for dynamic_row, plugin_row in zip(
            operations(dynamic_cli, size, url, floor_url),
            operations(plugin_cli, size, plugin_url, plugin_floor_url),
            strict=True,
        ):
            dynamic.append(dynamic_row)
            plugin.append(plugin_row)
    return dynamic, plugin


def beside(dynamic: list[Row], plugin: list[Row]) -> list[Row]:
    """Each plugin row after the dynamic row of the same size and operation (one stack, same
    run), labelled by front door; ``x dynamic`` and ``CPU x dynamic`` are the plugin's wall
    and CPU times over the dynamic fleet's."""
    by_case = {(r["numbers"], r["operation"]): r for r in dynamic if r["stacks"] == 1}
    rows: list[Row] = []
    for row in plugin:
        twin = by_case.get((row["numbers"], row["operation"]))
        if twin is None:
            rows.append({FRONT_DOOR: "plugin", **row, "x dynamic": None, "CPU x dynamic": None})
            continue
        rows.append({FRONT_DOOR: "dynamic", **twin, "x dynamic": None, "CPU x dynamic": None})
        rows.append(
            {
                FRONT_DOOR: "plugin",
                **row,
                "x dynamic": row["pulumi s"] / twin["pulumi s"],
                "CPU x dynamic": row["CPU s"] / twin["CPU s"],
            }
        )
    return rows


def main(argv: list[str]) -> int:
    from bench.__main__ import ROOT, _add_growth, table

    sizes = [int(n) for n in argv] or [100]
    with tempfile.TemporaryDirectory(prefix="flowroute-bench-") as tmp:
        directory = Path(tmp)
        cli_bin = provide_cli()
        packages = install(directory, ROOT, cli_bin)
        dynamic: list[Row] = []
        plugin: list[Row] = []
        for size in sizes:
            dynamic_rows, plugin_rows = fleets(directory, ROOT, cli_bin, packages, size)
            dynamic += dynamic_rows
            plugin += plugin_rows
        _add_growth(dynamic)
        _add_growth(plugin)
        table("The fleet by front door, beside the floor", beside(dynamic, plugin))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
