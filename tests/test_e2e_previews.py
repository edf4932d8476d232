"""What plain ``pulumi`` shows of the dev stack, on a temporary copy of the project: a preview
shows no value that ``up`` will not use (an unnamed route's alias is its final name, or unknown
before the stack's first ``up``; the stack's claim and the provider's bookkeeping never show), a
refresh right after an ``up`` finds nothing to change (for a state an earlier version wrote
too), and two resources of one stack managing one number are refused in preview."""

from __future__ import annotations

import json
import re

import pytest

from pulumi_flowroute.claims import route_alias
from tests.support.cli import PulumiProject
from tests.support.dev_stack import DB, deployment, edit_numbers
from tests.support.emulators import writes

pytestmark = pytest.mark.e2e

#: What the provider keeps for itself, under names an earlier version showed in every diff.
BOOKKEEPING = ("token", "default_alias", "alias_auto", "alias_prefix", "__")


def _route_aliases(project: PulumiProject) -> dict[str, str]:
    """Each InboundRoute of the state by name, with the alias it has on the emulated account."""
    routes = {r.id: r.alias for r in project.emulator(DB).list_routes(None, 200, 0).items}
    return {
        r["urn"].rsplit("::", 1)[1]: routes[r["id"]]
        for r in deployment(project)["resources"]
        if r["type"].endswith(":InboundRoute")
    }


def _token(project: PulumiProject) -> str:
    (claim,) = (r for r in deployment(project)["resources"] if r["type"].endswith(":StackClaim"))
    token: str = claim["outputs"]["token"]
    return token


#: A line reporting a change: a diff summary, a step shown in full, or a count of steps.
CHANGE = re.compile(
    r"\[diff:|\((create|update|delete|replace)\)|[-+~] \d+ (to )?(create|update|delete|replace)"
)


def _changes(output: str) -> list[str]:
    return [line for line in output.splitlines() if CHANGE.search(line)]


def test_a_preview_shows_an_unnamed_routes_final_alias_or_unknown_and_no_bookkeeping(
    project: PulumiProject,
) -> None:
    first = project.ok("preview", "--diff")
    # Before the first up the stack has no claim yet, so no name derived from it is known.
    assert re.findall(r"^\s+alias\s*: (.*)$", first, re.MULTILINE).count("[unknown]") == 3
    assert not [word for word in BOOKKEEPING if word in first], first
    project.ok("up")
    token = _token(project)
    aliases = _route_aliases(project)
    urns = {r["urn"].rsplit("::", 1)[1]: r["urn"] for r in deployment(project)["resources"]}
    assert aliases == {name: route_alias(urns[name], token) for name in aliases}

    # A route added later: the preview names it as up then creates it.
    edit_numbers(
        project,
        {
            "desk": {
                "search": {"starts_with": "303"},
                "primary": {"route_type": "host", "value": "10.1.1.1"},
            }
        },
    )
    preview = project.ok("preview", "--diff")
    (shown,) = re.findall(
        r'^\s+alias\s*: "(flowroute-fleet\.dev\.desk-primary-.*)"$', preview, re.MULTILINE
    )
    assert not [word for word in BOOKKEEPING if word in preview], preview
    project.ok("up")
    assert _route_aliases(project)["desk-primary"] == shown


def test_a_refresh_right_after_an_up_shows_no_change(project: PulumiProject) -> None:
    project.ok("up")
    emulator = project.emulator(DB)
    emulator.clear_request_log()
    again = project.ok("up", "--refresh")
    assert "14 unchanged" in again
    assert _changes(again) == [], again
    refresh = project.ok("refresh", "--diff")
    assert "14 unchanged" in refresh
    assert _changes(refresh) == [], refresh
    assert writes(emulator.request_log()) == []


def _as_an_earlier_version_left_it(project: PulumiProject) -> None:
    """Rewrite the stack's state with the bookkeeping of an earlier version: the claim's token
    among its inputs, a number's claim as ``default_alias``, a route's ``alias_auto`` and
    ``alias_prefix``, in inputs and outputs alike."""
    exported = project.pulumi("stack", "export", "--stack", "dev")
    assert exported.ok, exported.output
    state = json.loads(exported.output)
    for resource in state["deployment"]["resources"]:
        kind = resource["type"].rsplit(":", 1)[-1]
        for props in (resource.get("inputs", {}), resource.get("outputs", {})):
            if kind == "StackClaim":
                props["token"] = resource["id"]
            if kind == "PhoneNumber" and "__default_alias" in props:
                props["default_alias"] = props.pop("__default_alias")
            if kind == "InboundRoute":
                props["alias_auto"] = props.pop("__alias_auto")
                props["alias_prefix"] = props["alias"].rsplit("-", 1)[0]
    written = project.path / "old-state.json"
    written.write_text(json.dumps(state))
    imported = project.pulumi("stack", "import", "--file", str(written), "--stack", "dev")
    assert imported.ok, imported.output


def test_a_state_an_earlier_version_wrote_refreshes_and_updates_with_no_change(
    project: PulumiProject,
) -> None:
    project.ok("up")
    aliases = _route_aliases(project)
    _as_an_earlier_version_left_it(project)
    emulator = project.emulator(DB)
    emulator.clear_request_log()
    refresh = project.ok("refresh", "--diff")
    assert _changes(refresh) == [], refresh
    up = project.ok("up")
    assert "14 unchanged" in up
    again = project.ok("up", "--refresh")
    assert _changes(again) == [], again
    assert writes(emulator.request_log()) == []
    assert _route_aliases(project) == aliases  # no route renamed


def test_two_resources_managing_one_number_are_refused_in_preview_naming_both(
    project: PulumiProject,
) -> None:
    edit_numbers(
        project, {"desk": {"number": "12065551234", "adopt": True, "primary": "office-pbx"}}
    )
    preview = project.op("preview")
    assert not preview.ok
    # One line (shown as it happens and again among the diagnostics) naming both.
    lines = [line for line in preview.output.splitlines() if "manages it already" in line]
    assert lines
    for line in lines:
        assert "PhoneNumber 'support'" in line
        assert "PhoneNumber 'desk'" in line
        assert line.endswith("on every run)")
    assert preview.tracebacks == 0
    assert not (project.path / DB).exists() or writes(project.emulator(DB).request_log()) == []
