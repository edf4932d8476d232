"""One object holds what a process remembers of its deployment, and finds a run by its engine."""

from __future__ import annotations

from collections.abc import Iterator

import pulumi
import pytest
from pulumi._utils import ContextProperty

from pulumi_flowroute.deployment import DEPLOYMENT, Deployment, forget_deployment, run_key
from pulumi_flowroute.inbound_route import DeploymentRoutes
from pulumi_flowroute.purchases import ProcessMemory, memory


@pytest.fixture
def engine_settings() -> Iterator[None]:
    yield from _kept_settings()


def _kept_settings() -> Iterator[None]:
    """Put the SDK's ambient settings (context variables, not fields of ``SETTINGS``) and its
    stack resource back as they were, so no test after sees this one's."""
    settings = pulumi.runtime.settings
    names = [n for n, v in vars(settings.Settings).items() if isinstance(v, ContextProperty)]
    kept = {name: getattr(settings.SETTINGS, name) for name in names}
    root = settings.ROOT.get()
    yield
    for name, value in kept.items():
        setattr(settings.SETTINGS, name, value)
    settings.ROOT.set(root)


def _construct(monitor: str, preview: bool = False) -> None:
    """What a component provider does for each Construct: new SDK settings, a new monitor client."""
    pulumi.runtime.settings.reset_options(
        project="p", stack="s", monitor_address=monitor, engine_address=monitor, preview=preview
    )


class _Stack:
    """Stands for a program's stack resource."""


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
    assert run_key() == ("127.0.0.1:40001", False)
    # Its preview, or another engine's run.
    _construct("127.0.0.1:40001", preview=True)
    assert deployment.once_per_run(make) == 2
    _construct("127.0.0.1:40002")
    assert deployment.once_per_run(make) == 3
    deployment.forget()
    _construct("127.0.0.1:40001")
    assert deployment.once_per_run(make) == 4


@pytest.mark.usefixtures("engine_settings")
def test_a_program_run_is_its_stack_even_on_a_port_handed_out_again() -> None:
    # A test harness or the Automation API runs one program after another in one process;
    # the second run's monitor may listen on the first one's old port.
    deployment = Deployment()
    first, second = _Stack(), _Stack()
    _construct("127.0.0.1:40001")
    pulumi.runtime.settings.ROOT.set(first)  # type: ignore[arg-type]
    made = deployment.once_per_run(_Stack)
    assert deployment.once_per_run(_Stack) is made
    _construct("127.0.0.1:40001")
    pulumi.runtime.settings.ROOT.set(second)  # type: ignore[arg-type]
    assert deployment.once_per_run(_Stack) is not made


class _MockMonitor:
    """A monitor client with no address, as the SDK's mocks have."""


@pytest.mark.usefixtures("engine_settings")
def test_mocks_have_no_address_each_set_of_mocks_is_a_run() -> None:
    deployment = Deployment()
    settings = pulumi.runtime.settings
    settings.configure(settings.Settings(project="p", stack="s", monitor=_MockMonitor()))
    assert run_key() is None
    first = deployment.once_per_run(_Stack)
    assert deployment.once_per_run(_Stack) is first
    settings.configure(settings.Settings(project="p", stack="s", monitor=_MockMonitor()))
    assert deployment.once_per_run(_Stack) is not first
