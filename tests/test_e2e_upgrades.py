"""The project's own dev stack under plain ``pulumi``, on a temporary copy of the project: stacks
written by earlier versions (the fleet's old shape, resources served by the default provider)
move to this one without buying, releasing or rewriting anything."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.support.cli import PulumiProject
from tests.support.dev_stack import (
    DB,
    built,
    deployment,
)
from tests.support.emulators import writes

pytestmark = pytest.mark.e2e


# The fleet as it was registered before each number became one resource: per entry a
# RoutedNumber component holding the number, its inline routes, a NumberRouting and the E911
# assignment.
OLD_SHAPE_PROGRAM = """
import pulumi

from pulumi_flowroute import (
    E911Address, E911Assignment, InboundRoute, MessagingCallbacks, NumberRouting, PhoneNumber,
)
from pulumi_flowroute.fleet import parse_fleet

config = pulumi.Config()
fleet = parse_fleet(
    config.get_object("routes"), config.get_object("numbers"),
    config.get_object("e911"), config.get_object("messaging"),
)
shared = {n: InboundRoute(f"route-{n}", **spec) for n, spec in fleet.routes.items()}
addresses = {n: E911Address(f"e911-{n}", **spec) for n, spec in fleet.e911.items()}
if fleet.messaging:
    MessagingCallbacks("messaging", **fleet.messaging)
for entry in fleet.numbers:
    line = pulumi.ComponentResource("flowroute:index:RoutedNumber", entry.name, None, None)
    child = pulumi.ResourceOptions(parent=line)
    number = PhoneNumber(entry.name, opts=child, **entry.number)

    def route(ref, name):
        if ref.shared:
            return shared[ref.shared].route_id
        if ref.inline:
            return InboundRoute(name, opts=child, **ref.inline).route_id
        return ref.route_id

    failover = entry.failover and route(entry.failover, f"{entry.name}-failover")
    NumberRouting(
        f"{entry.name}-routing",
        number=number.number,
        primary_route_id=route(entry.primary, f"{entry.name}-primary"),
        failover_route_id=failover or None,
        opts=child,
    )
    if entry.e911:
        E911Assignment(
            f"{entry.name}-e911-assignment", number=number.number,
            e911_id=addresses[entry.e911].e911_id, opts=child,
        )
"""


def test_a_stack_built_with_the_old_fleet_shape_keeps_every_number_and_its_routing(
    project: PulumiProject,
) -> None:
    program = project.path / "__main__.py"
    current = program.read_text()
    program.write_text(OLD_SHAPE_PROGRAM)
    assert "+ 20 created" in project.ok("up")
    emulator = project.emulator(DB)
    before = {
        n.value: emulator.get_number(n.value) for n in emulator.list_numbers({}, 200, 0).items
    }
    assert len(before) == 3

    program.write_text(current)
    emulator.clear_request_log()
    moved = project.ok("up")
    # The numbers are the same resources under their new parent: nothing bought or released;
    # the old NumberRoutings go without undoing the routing their numbers took over.
    assert "buying" not in moved
    assert "released" not in moved
    assert "routing is now its PhoneNumber's" in moved
    assert not [
        r
        for r in emulator.request_log()
        if r.method in ("POST", "DELETE")
        and "/numbers/" in r.path
        and "relationships" not in r.path
    ]
    after = {n.value: emulator.get_number(n.value) for n in emulator.list_numbers({}, 200, 0).items}
    assert after == before
    emulator.clear_request_log()
    assert "14 unchanged" in project.ok("up")
    assert writes(emulator.request_log()) == []


def _as_the_default_provider_left_it(project: PulumiProject) -> None:
    """Rewrite the stack's state as a version serving resources by the default provider wrote it.

    Such a version left every resource on ``pulumi:providers:pulumi-python::default``, to which
    the engine hands the whole stack config (the fleet's entries too), kept as its inputs.
    """
    exported = project.pulumi("stack", "export", "--stack", "dev")
    assert exported.ok, exported.output
    state = json.loads(exported.output)
    resources = state["deployment"]["resources"]
    (provider,) = (r for r in resources if r["type"] == "pulumi:providers:pulumi-python")
    ours = f"{provider['urn']}::{provider['id']}"
    provider["urn"] = provider["urn"].replace("::flowroute", "::default")
    whole = yaml.safe_load((project.path / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
    provider["inputs"] = provider["outputs"] = {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in whole.items()
    }
    for resource in resources:
        if resource.get("provider") == ours:
            resource["provider"] = f"{provider['urn']}::{provider['id']}"
    written = project.path / "old-state.json"
    written.write_text(json.dumps(state))
    imported = project.pulumi("stack", "import", "--file", str(written), "--stack", "dev")
    assert imported.ok, imported.output


def test_a_stack_served_by_the_default_provider_moves_to_the_flowroute_one_unchanged(
    project: PulumiProject,
) -> None:
    numbers = built(project)
    _as_the_default_provider_left_it(project)
    emulator = project.emulator(DB)
    emulator.clear_request_log()

    preview = project.ok("preview", "--diff")
    assert "replace" not in preview
    moved = project.ok("up")
    # The resources keep their ids and inputs: only the provider instance serving them changes
    # (the engine drops the default one, now unused, without a step of its own).
    assert "+ 1 created" in moved
    assert "13 unchanged" in moved
    assert writes(emulator.request_log()) == []
    assert built(project) == numbers
    left = deployment(project)["resources"]
    assert not [r["urn"] for r in left if r["urn"].endswith("::default")]
    assert "flowroute-fleet:numbers" not in json.dumps(left)
