"""Shared fixtures: the emulator in mock mode and as a real server process on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from pulumi_flowroute import FlowrouteClient, RetryPolicy, inbound_route, phone_number
from pulumi_flowroute.emulator import MockFlowroute, RemoteEmulator, mock_flowroute
from tests.audit import ACCESS_KEY, SECRET_KEY, assert_no_secrets, leaks
from tests.cli import provide_cli

__all__ = ["ACCESS_KEY", "SECRET_KEY"]
# Retries in tests wait on a recorder instead of the clock.
FAST_RETRY = RetryPolicy(attempts=4, backoff_factor=0.5, jitter=0.1, total_seconds=60.0)


@dataclass
class Emulated:
    """A client wired to one emulator front door, with that door's control handle."""

    mode: str
    client: FlowrouteClient
    control: MockFlowroute | RemoteEmulator
    sleeps: list[float] = field(default_factory=list)

    def api_requests(self) -> list[tuple[str, str, int]]:
        return [(r.method, r.path, r.status) for r in self.control.requests()]


def emulator_keys(access_key: str, secret_key: str) -> dict[str, str]:
    """The environment that gives an emulator server its keys (``ps`` never shows them)."""
    return {
        "FLOWROUTE_EMULATOR_ACCESS_KEY": access_key,
        "FLOWROUTE_EMULATOR_SECRET_KEY": secret_key,
    }


class ServerProcess:
    """``python -m pulumi_flowroute.emulator serve`` on a free port, as a newcomer runs it."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi_flowroute.emulator", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # Buffered stdout, as under a real pipe: the server must flush its URL itself.
            env={**os.environ, "PYTHONUNBUFFERED": "", **(env or {})},
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"emulator did not start: {self.url!r}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        code = self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return code


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that starts the emulator server, so ``-m "not server"`` skips them."""
    for item in items:
        if "server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.server)


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


def audit_request_log(control: MockFlowroute | RemoteEmulator) -> None:
    """The emulator's log records paths, queries and bodies: none may carry a credential."""
    logged = "\n".join(f"{r.path}?{r.query} {r.body}" for r in control.requests())
    assert_no_secrets(logged, "the emulator's request log")


@pytest.fixture(autouse=True)
def _one_deployment_per_test() -> None:
    """A provider process serves one deployment; this test process runs many."""
    phone_number.forget_deployment()
    inbound_route.forget_deployment()


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


def _client(base_url: str, sleeps: list[float]) -> FlowrouteClient:
    return FlowrouteClient(ACCESS_KEY, SECRET_KEY, base_url, retry=FAST_RETRY, sleep=sleeps.append)


@pytest.fixture(params=["mock", "server"])
def emulated(request: pytest.FixtureRequest) -> Iterator[Emulated]:
    """Runs a test once against ``mock_flowroute()`` and once against a real server."""
    sleeps: list[float] = []
    if request.param == "mock":
        handle: MockFlowroute = request.getfixturevalue("mock")
        client = _client("https://api.flowroute.com", sleeps)
        yield Emulated("mock", client, handle, sleeps)
    else:
        proc: ServerProcess = request.getfixturevalue("server")
        control = RemoteEmulator(proc.url, access_key=ACCESS_KEY, secret_key=SECRET_KEY)
        control.reset()
        client = _client(proc.url, sleeps)
        yield Emulated("server", client, control, sleeps)
        audit_request_log(control)
        control.clear_faults()
        control.close()
    client.close()


@pytest.fixture
def first_available() -> Callable[..., Any]:
    def pick(client: FlowrouteClient, **filters: Any) -> str:
        return next(client.search_available(limit=1, **filters)).value

    return pick


@pytest.fixture(scope="session")
def cli_root() -> str:
    """The real Pulumi CLI for the end-to-end tests (see tests/cli.py)."""
    return provide_cli()
