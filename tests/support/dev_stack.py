"""The project's dev stack in a temporary copy (``copy_of_the_project``): edits of its stack
file as a user makes them, and what the end-to-end tests read back from it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from tests.support.cli import PulumiProject

#: The embedded emulator's account of the dev stack, relative to the project.
DB = ".pulumi/flowroute-dev.db"


def edit_numbers(project: PulumiProject, edit: Mapping[str, Mapping[str, object] | None]) -> None:
    """Change entries of ``flowroute-fleet:numbers`` in the dev stack file.

    None removes an entry, or a key within an entry's change; a new name adds an entry.
    """
    path = project.path / "stacks" / "Pulumi.dev.yaml"
    document = yaml.safe_load(path.read_text())
    numbers = document["config"]["flowroute-fleet:numbers"]
    for name, change in edit.items():
        if change is None:
            del numbers[name]
            continue
        entry = numbers.setdefault(name, {})
        for key, value in change.items():
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def edit_config(project: PulumiProject, *where: str, **change: object | None) -> None:
    """Change the dev stack's config object at ``where``; None removes a key."""
    path = project.path / "stacks" / "Pulumi.dev.yaml"
    document = yaml.safe_load(path.read_text())
    target = document["config"]
    for key in where:
        target = target[key]
    for key, value in change.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def edit_office(project: PulumiProject, change: Mapping[str, object | None]) -> None:
    """Change the dev stack's shared E911 address ``office``."""
    edit_config(project, "flowroute-fleet:e911", "office", **change)


def owned(project: PulumiProject) -> set[str]:
    """The numbers on the emulated account."""
    return {n.value for n in project.emulator(DB).list_numbers({}, 200, 0).items}


def built(project: PulumiProject) -> dict[str, str]:
    """Deploy the dev stack; return each entry's number."""
    project.ok("up")
    outputs = project.pulumi("stack", "output", "numbers", "--json", "--stack", "dev")
    assert outputs.ok, outputs.output
    return {name: entry["number"] for name, entry in yaml.safe_load(outputs.output).items()}


def deployment(project: PulumiProject) -> dict[str, Any]:
    """The dev stack's state, as ``pulumi stack export`` shows it."""
    exported = project.pulumi("stack", "export", "--stack", "dev")
    assert exported.ok, exported.output
    state: dict[str, Any] = json.loads(exported.output)["deployment"]
    return state
