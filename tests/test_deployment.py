"""One object holds what a process remembers of its deployment, and finds a run by its engine."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from pulumi_flowroute.deployment import DEPLOYMENT, Deployment, forget_deployment, run_key
from pulumi_flowroute.inbound_route import DeploymentRoutes
from pulumi_flowroute.purchases import ProcessMemory, memory


@pytest.fixture
def engine_settings() -> Iterator[None]:
    saved = pulumi.runtime.settings.SETTINGS
    yield
    pulumi.runtime.settings.configure(saved)


def _construct(monitor: str, preview: bool = False, engine: str = "127.0.0.1:50001") -> None:
    """What a component provider does for each Construct: new SDK settings, a new monitor client."""
    pulumi.runtime.settings.reset_options(
        project="p", stack="s", monitor_address=monitor, engine_address=engine, preview=preview
    )


def test_every_memory_is_one_object_made_on_first_use_and_dropped_by_forget() -> None:
    deployment = Deployment()
    numbers = deployment.of(ProcessMemory)
    assert deployment.of(ProcessMemory) is numbers
    assert isinstance(deployment.of(DeploymentRoutes), DeploymentRoutes)
    deployment.forget()
    assert deployment.of(ProcessMemory) is not numbers


def test_forget_deployment_forgets_the_process_deployment() -> None:
    held = memory()
    held.hold("12065551234")
    forget_deployment()
    assert memory() is not held
    assert memory() is DEPLOYMENT.of(ProcessMemory)


@pytest.mark.usefixtures("engine_settings")
def test_one_run_is_found_by_its_engine_across_constructs_not_by_the_monitor_client() -> None:
    # Two Construct calls of one deployment: the flowroute provider and the claim once.
    deployment = Deployment()
    made: list[int] = []

    def make() -> int:
        made.append(len(made))
        return len(made)

    _construct("127.0.0.1:40001")
    first_client = pulumi.runtime.settings.get_monitor()
    assert deployment.once_per_run(make) == 1
    _construct("127.0.0.1:40001")
    assert pulumi.runtime.settings.get_monitor() is not first_client
    assert deployment.once_per_run(make) == 1
    assert run_key() == ("127.0.0.1:40001", "127.0.0.1:50001", False)
    # Its preview, another run, or the same monitor port handed to another engine's run.
    _construct("127.0.0.1:40001", preview=True)
    assert deployment.once_per_run(make) == 2
    _construct("127.0.0.1:40002")
    assert deployment.once_per_run(make) == 3
    _construct("127.0.0.1:40001", engine="127.0.0.1:50002")
    assert deployment.once_per_run(make) == 4
    deployment.forget()
    _construct("127.0.0.1:40001")
    assert deployment.once_per_run(make) == 5


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return args.name, dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def test_mocks_have_no_address_each_set_of_mocks_is_a_run() -> None:
    deployment = Deployment()
    pulumi.runtime.set_mocks(_Mocks(), project="p", stack="s", preview=False)
    assert run_key() is None
    first = deployment.once_per_run(object)
    assert deployment.once_per_run(object) is first
    pulumi.runtime.set_mocks(_Mocks(), project="p", stack="s", preview=False)
    assert deployment.once_per_run(object) is not first
