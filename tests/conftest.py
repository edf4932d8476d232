"""Shared fixtures: the emulator in mock mode and as a real server process on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from pulumi_flowroute import FlowrouteClient, RetryPolicy, inbound_route, phone_number
from pulumi_flowroute.emulator import MockFlowroute, RemoteEmulator, mock_flowroute
from tests.cli import provide_cli

ACCESS_KEY = "81234567"
SECRET_KEY = "s3cr3t-Flowroute-key-for-tests"
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
    remote.clear_faults()
    remote.close()


@pytest.fixture
def mock() -> Iterator[MockFlowroute]:
    with mock_flowroute(access_key=ACCESS_KEY, secret_key=SECRET_KEY) as handle:
        yield handle


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
