"""Fixtures and hooks: the emulator in mock mode and as a real server process on loopback, the
secrets audit of every test, one deployment's provider memory per test, and for the end-to-end
tests the Pulumi CLI and a copy of this project."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from hypothesis import settings

from pulumi_flowroute import FlowrouteClient
from pulumi_flowroute.emulator import MockFlowroute, RemoteEmulator, mock_flowroute
from pulumi_flowroute.provider_base import forget_deployment
from tests.support.audit import ACCESS_KEY, SECRET_KEY, leaks
from tests.support.cli import PulumiProject, copy_of_the_project, provide_cli
from tests.support.e2e import cli_or_skip
from tests.support.emulators import Emulated, ServerProcess, audit_request_log, fast_client
from tests.support.infra import Installed, built_wheel, installed_template

# CI runs the same examples every time (main stays green on what it proved); a developer's run
# draws new ones, which is how property tests find what nobody wrote down.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


#: An end-to-end test's own time, its fixtures aside (they may build the CLI or a wheel once).
E2E_TIMEOUT = 1200


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that starts the emulator server, so ``-m "not server"`` skips them; give
    each end-to-end test its own timeout."""
    for item in items:
        if "server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.server)
        if item.get_closest_marker("e2e") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(E2E_TIMEOUT, func_only=True))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Fail any test whose captured output or failure text shows a credential."""
    report = yield
    text = "\n".join(content for _, content in report.sections)
    if report.failed:
        text += "\n" + report.longreprtext
    found = leaks(text)
    # The call report carries the setup's output too; later reports repeat it.
    if found and report.when == "call" and not report.failed:
        report.outcome = "failed"
        report.longrepr = f"{' and '.join(found)} appeared in the captured output"
    return report


@pytest.fixture(autouse=True)
def _one_deployment_per_test() -> None:
    """A provider process serves one deployment; this test process runs many."""
    forget_deployment()
    # Stack config is the SDK's process-wide state, which tests set for a program of theirs: each
    # test starts with none, whatever ran before it on this worker.
    pulumi.runtime.set_all_config({}, [])


@pytest.fixture(scope="session")
def server() -> Iterator[ServerProcess]:
    keys = {
        "FLOWROUTE_EMULATOR_ACCESS_KEY": ACCESS_KEY,
        "FLOWROUTE_EMULATOR_SECRET_KEY": SECRET_KEY,
    }
    proc = ServerProcess(env=keys)
    yield proc
    proc.stop()


@pytest.fixture
def control(server: ServerProcess) -> Iterator[RemoteEmulator]:
    """The session server's controls, on a freshly reset account."""
    remote = RemoteEmulator(server.url, access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    remote.reset()
    yield remote
    audit_request_log(remote)
    remote.clear_faults()
    remote.close()


@pytest.fixture
def mock() -> Iterator[MockFlowroute]:
    with mock_flowroute(access_key=ACCESS_KEY, secret_key=SECRET_KEY) as handle:
        yield handle
        audit_request_log(handle)


@pytest.fixture
def client(mock: MockFlowroute) -> FlowrouteClient:
    """A client on the test's mocked account (tests on a server process build their own)."""
    return FlowrouteClient(ACCESS_KEY, SECRET_KEY)


@pytest.fixture
def owned_number(client: FlowrouteClient) -> str:
    """A number on the test's mocked account (12065551234), bought through ``client``."""
    return client.purchase_number("12065551234").value


@pytest.fixture(params=["mock", "server"])
def emulated(request: pytest.FixtureRequest) -> Iterator[Emulated]:
    """Runs a test once against ``mock_flowroute()`` and once against a real server."""
    sleeps: list[float] = []
    if request.param == "mock":
        handle: MockFlowroute = request.getfixturevalue("mock")
        client = fast_client("https://api.flowroute.com", sleeps)
        yield Emulated("mock", client, handle, sleeps)
    else:
        proc: ServerProcess = request.getfixturevalue("server")
        control = RemoteEmulator(proc.url, access_key=ACCESS_KEY, secret_key=SECRET_KEY)
        control.reset()
        client = fast_client(proc.url, sleeps)
        yield Emulated("server", client, control, sleeps)
        audit_request_log(control)
        control.clear_faults()
        control.close()
    client.close()


@pytest.fixture
def dead_url() -> Iterator[str]:
    """A loopback URL that refuses connections: its port stays bound, never listening, for the
    whole test, so no other process can take the number and answer."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


@pytest.fixture
def first_available() -> Callable[..., Any]:
    def pick(client: FlowrouteClient, **filters: Any) -> str:
        return next(client.search_available(limit=1, **filters)).value

    return pick


@pytest.fixture(scope="session")
def cli_bin() -> str:
    """The real Pulumi CLI and language hosts for the end-to-end tests (tests/support/cli.py)."""
    return cli_or_skip(provide_cli, os.environ)


@pytest.fixture
def project(tmp_path: Path, cli_bin: str) -> PulumiProject:
    """A temporary copy of this project with its dev stack initialised (end-to-end tests)."""
    return copy_of_the_project(tmp_path, cli_bin)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, once per run (tests/support/infra.py)."""
    return built_wheel(tmp_path_factory)


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory, cli_bin: str) -> Installed:
    """An infra repo's virtualenv with the wheel, made by ``pulumi install`` once per run."""
    return installed_template(wheel, tmp_path_factory, cli_bin)
