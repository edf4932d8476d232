"""A routed number is declared in one place: the RoutedNumber component and a fleet's entry
register the same resources, the caller name included."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi._utils import ContextProperty

import pulumi_flowroute as flowroute
from pulumi_flowroute.fleet import SharedResources, deploy_numbers, parse_fleet


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        self.resources.append(args)
        outputs = dict(args.inputs)
        kind = args.typ.rsplit(":", 1)[-1]
        id_name = {"InboundRoute": "route_id", "CnamRecord": "cnam_id", "E911Address": "e911_id"}
        if kind in id_name:
            outputs[id_name[kind]] = f"{kind}-{args.name}"
        resource_id = outputs.get(id_name.get(kind, "number")) or args.name
        return (resource_id if args.custom else None), outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None

    def declared(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(type, name, inputs) of each custom resource but the provider and the claim."""
        return sorted(
            (r.typ.rsplit(":", 1)[-1], r.name, {k: v for k, v in r.inputs.items() if v})
            for r in self.resources
            if r.custom and not r.typ.startswith("pulumi:providers:") and "StackClaim" not in r.typ
        )


@pytest.fixture
def mocks() -> Iterator[_Mocks]:
    """Mocks in an event loop and with a stack resource of this test's own, all put back after:
    the SDK's mocks keep the first stack resource they made (in the loop of that moment), and a
    test before may have run a loop to its end, leaving none."""
    policy = asyncio.get_event_loop_policy()
    try:
        before: asyncio.AbstractEventLoop | None = policy.get_event_loop()
    except RuntimeError:
        before = None
    kept = _kept_settings()
    next(kept)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.settings.ROOT.set(None)
    recorder = _Mocks()
    pulumi.runtime.set_mocks(recorder, project="p", stack="dev", preview=False)
    pulumi.runtime.set_all_config({"flowroute:baseUrl": "emulator:.pulumi/test.db"})
    yield recorder
    next(kept, None)
    asyncio.set_event_loop(before)
    loop.close()


def _kept_settings() -> Iterator[None]:
    """Put the SDK's ambient settings (context variables, not fields of ``SETTINGS``), its stack
    resource and the config back as they were, so no test after sees this one's."""
    settings = pulumi.runtime.settings
    names = [n for n, v in vars(settings.Settings).items() if isinstance(v, ContextProperty)]
    kept = {name: getattr(settings.SETTINGS, name) for name in names}
    root, config = settings.ROOT.get(), pulumi.runtime.config.CONFIG.get()
    yield
    for name, value in kept.items():
        setattr(settings.SETTINGS, name, value)
    settings.ROOT.set(root)
    pulumi.runtime.config.CONFIG.set(config)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_a_routed_number_gets_a_caller_name_inline_or_by_id(mocks: _Mocks) -> Any:
    inline = flowroute.RoutedNumber(
        "support", number="12065550142", primary="0", cnam=flowroute.CnamRecordArgs(value="ACME")
    )
    by_id = flowroute.RoutedNumber("sales", number="12065550143", primary="0", cnam="22671")
    plain = flowroute.RoutedNumber("desk", number="12065550144", primary="0")

    def check(ids: list[str | None]) -> None:
        assert ids == ["CnamRecord-support-cnam", "22671", None]
        declared = mocks.declared()
        records = [
            (name, inputs["value"]) for kind, name, inputs in declared if kind == "CnamRecord"
        ]
        assert records == [("support-cnam", "ACME")]
        assignments = [
            (name, inputs["number"], inputs["cnam_id"])
            for kind, name, inputs in declared
            if kind == "CnamAssignment"
        ]
        assert assignments == [
            ("sales-cnam-assignment", "12065550143", "22671"),
            ("support-cnam-assignment", "12065550142", "CnamRecord-support-cnam"),
        ]

    return pulumi.Output.all(inline.cnam_id, by_id.cnam_id, plain.cnam_id).apply(check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_a_bad_caller_name_stops_the_component_before_anything_registers(mocks: _Mocks) -> None:
    with pytest.raises(flowroute.ResourceError, match="RoutedNumber 'support' cnam"):
        flowroute.RoutedNumber(
            "support", number="12065550142", primary="0", cnam=flowroute.CnamRecordArgs(value="")
        )
    with pytest.raises(flowroute.ResourceError, match="RoutedNumber 'sales' cnam: cnam_id"):
        flowroute.RoutedNumber("sales", number="12065550143", primary="0", cnam="abc")
    assert mocks.resources == [r for r in mocks.resources if not r.custom]


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_a_fleet_entry_and_a_routed_number_declare_the_same_resources(mocks: _Mocks) -> Any:
    entry = {
        "number": "12065550142",
        "alias": "Support",
        "primary": {"route_type": "host", "value": "10.0.0.1", "alias": "pbx"},
        "failover": {"route_id": "98396"},
        "e911": {"e911_id": "20155"},
        "cnam": {"cnam_id": "22671"},
    }
    fleet = parse_fleet({}, {"entry": entry})
    exports = deploy_numbers(fleet, SharedResources({}, {}), opts=pulumi.ResourceOptions())
    line = flowroute.RoutedNumber(
        "component",
        number="12065550142",
        alias="Support",
        primary=flowroute.InboundRouteArgs(route_type="host", value="10.0.0.1", alias="pbx"),
        failover="98396",
        e911="20155",
        cnam="22671",
    )

    def shape(name: str) -> list[Any]:
        def same(value: Any) -> Any:
            return value.replace(name, "X") if isinstance(value, str) else value

        # Bookkeeping (``__`` inputs: an unnamed route's name, the URN) differs by parent.
        return sorted(
            (
                r.typ,
                same(r.name),
                sorted((k, same(v)) for k, v in r.inputs.items() if not k.startswith("__")),
            )
            for r in mocks.resources
            if r.custom and r.name.startswith(name)
        )

    def check(outputs: list[Any]) -> None:
        fleet_export, number, e911_id, cnam_id = outputs
        assert fleet_export == {
            "number": number,
            "primary_route_id": "InboundRoute-entry-primary",
            "failover_route_id": "98396",
            "e911_id": e911_id,
            "cnam_id": cnam_id,
        }
        assert len(shape("entry")) == 4  # a route, the number, two assignments
        assert shape("entry") == shape("component")

    return pulumi.Output.all(exports["entry"], line.number, line.e911_id, line.cnam_id).apply(check)
