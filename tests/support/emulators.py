"""The emulator harness: a server process as a newcomer runs it, clients wired to the emulator's
front doors, and the audit of what the emulator logged."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pulumi_flowroute import FlowrouteClient, RetryPolicy, connect
from pulumi_flowroute.config import resolve_settings
from pulumi_flowroute.emulator import EmulatorControls, FlowrouteBackend, LoggedRequest
from tests.support.audit import ACCESS_KEY, SECRET_KEY, assert_no_secrets

# Retries in tests wait on a recorder instead of the clock.
FAST_RETRY = RetryPolicy(attempts=4, backoff_factor=0.5, jitter=0.1, total_seconds=60.0)


@dataclass
class Emulated:
    """A client wired to one emulator front door, with that door's control handle."""

    mode: str
    client: FlowrouteClient
    control: EmulatorControls
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


def writes(
    emulator: EmulatorControls | FlowrouteBackend | Path | str | Iterable[LoggedRequest],
) -> list[tuple[str, str]]:
    """The writes (every request but a GET) an emulator answered, oldest first, as (method,
    path): from a mock's or a server's controls, a backend or its SQLite file, or a request log.
    """
    if isinstance(emulator, EmulatorControls):
        log: Iterable[LoggedRequest] = emulator.requests()
    elif isinstance(emulator, FlowrouteBackend):
        log = emulator.request_log()
    elif isinstance(emulator, Path | str):
        log = FlowrouteBackend(str(emulator)).request_log()
    else:
        log = emulator
    return [(r.method, r.path) for r in log if r.method != "GET"]


def audit_request_log(control: EmulatorControls) -> None:
    """The emulator's log records paths, queries and bodies: none may carry a credential."""
    logged = "\n".join(f"{r.path}?{r.query} {r.body}" for r in control.requests())
    assert_no_secrets(logged, "the emulator's request log")


def fast_client(base_url: str, sleeps: list[float]) -> FlowrouteClient:
    """A client whose retries wait on ``sleeps`` instead of the clock."""
    return FlowrouteClient(ACCESS_KEY, SECRET_KEY, base_url, retry=FAST_RETRY, sleep=sleeps.append)


def embedded_client(db: Path | str) -> FlowrouteClient:
    """A client on the embedded emulator whose state is the SQLite file ``db``."""
    return connect(resolve_settings({"flowroute:baseUrl": f"emulator:{db}"}, {}))
