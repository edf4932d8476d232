"""The provider process exits once its engine is gone, after the calls in flight finish."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent import futures
from pathlib import Path

import grpc
import pytest

from pulumi_flowroute import lifeline


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifeline, "PROBE_SECONDS", 0.05)
    monkeypatch.setattr(lifeline, "RECONNECT_SECONDS", 0.5)
    monkeypatch.setattr(lifeline.LIFELINE, "connection", None)
    monkeypatch.setattr(lifeline.LIFELINE, "interrupted_at", None)


def test_only_the_sdks_provider_server_watches_an_engine() -> None:
    server = "/venv/lib/python3.11/site-packages/pulumi/dynamic/__main__.py"
    assert lifeline._engine_address([server, "127.0.0.1:40000"]) == "127.0.0.1:40000"
    assert lifeline._engine_address(["/venv/bin/pytest", "-q"]) is None
    assert lifeline._engine_address([server]) is None


def test_the_process_exits_when_the_engine_goes_but_not_under_a_call() -> None:
    engine = grpc.server(futures.ThreadPoolExecutor(1))
    port = engine.add_insecure_port("127.0.0.1:0")
    engine.start()
    exited = threading.Event()
    call_done = threading.Event()
    order: list[str] = []

    def exit(code: int) -> None:
        order.append(f"exit {code}")
        exited.set()

    def purchase() -> None:
        with lifeline.in_flight():
            call_done.wait(10)
            order.append("call finished")

    watcher = threading.Thread(target=lifeline._watch, args=(f"127.0.0.1:{port}", exit))
    watcher.start()
    call = threading.Thread(target=purchase)
    call.start()
    assert not exited.wait(0.5)  # the engine is there
    assert lifeline.engine_reachable()
    engine.stop(grace=None)
    # Known at once, long before the process may exit: a purchase keeps its claim alias.
    assert _soon(lambda: not lifeline.engine_reachable(), 1.0)
    assert not exited.wait(1.5)  # gone, but a call is still writing
    call_done.set()
    assert exited.wait(5)
    assert order == ["call finished", "exit 1"]
    watcher.join(5)
    call.join(5)


def _soon(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_an_address_never_reached_is_not_watched() -> None:
    # The test harness starts the provider server with a placeholder engine address.
    exited: list[int] = []
    lifeline._watch("127.0.0.1:1", exited.append)
    assert exited == []
    assert lifeline.engine_reachable()


# A provider process as the engine stops it: SIGINT to it (its process group), SIGKILL 5 s
# later. MODE "main": the plugin's server, whose main thread handles SIGINT itself. MODE
# "worker": the SDK's provider server, configured on a worker thread while the main thread
# waits and stops its gRPC server on KeyboardInterrupt.
STOPPED_PROCESS = """
import sys, threading, time
from pulumi_flowroute import lifeline

mode, seconds = sys.argv[1], float(sys.argv[2])

def call():
    with lifeline.in_flight():
        print("call started", flush=True)
        time.sleep(seconds)
        print(f"call finished, recorded={lifeline.answer_recorded()}", flush=True)

if mode == "main":
    lifeline.finish_calls_on_interrupt()
else:
    configured = threading.Thread(target=lifeline.finish_calls_on_interrupt)
    configured.start()
    configured.join()
try:
    if seconds:
        threading.Thread(target=call, daemon=True).start()
    else:
        print("idle", flush=True)
    threading.Event().wait()
except KeyboardInterrupt:
    print("stopping", flush=True)
"""


def _stopped(mode: str, seconds: float) -> tuple[list[str], float]:
    """Run STOPPED_PROCESS, SIGINT it once it is ready; what it printed, and how long it took
    to exit after the SIGINT."""
    process = subprocess.Popen(
        [sys.executable, "-c", STOPPED_PROCESS, mode, str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.strip() in ("call started", "idle"), first
    start = time.monotonic()
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=30)
    return [first.strip(), *rest.splitlines()], time.monotonic() - start


@pytest.mark.parametrize("mode", ["main", "worker"])
def test_a_call_in_flight_when_the_engine_stops_the_process_finishes_unrecorded(
    mode: str,
) -> None:
    lines, took = _stopped(mode, 1.5)
    # The call finishes, knowing its answer will not be recorded; then the process exits,
    # within the engine's grace.
    assert lines[0] == "call started"
    assert "call finished, recorded=False" in lines, lines
    assert lines[-1] == ("stopping" if mode == "main" else "call finished, recorded=False")
    assert "Traceback" not in "\n".join(lines), lines
    assert 1.0 < took < 5.0


@pytest.mark.parametrize("mode", ["main", "worker"])
def test_an_idle_process_stops_at_once(mode: str) -> None:
    lines, took = _stopped(mode, 0)
    assert lines == ["idle", "stopping"]
    assert took < 2.0


@pytest.mark.parametrize("mode", ["main", "worker"])
def test_a_call_longer_than_the_grace_is_left_to_the_engines_sigkill(mode: str) -> None:
    # (Its thread a daemon here, so that the process can end.)
    lines, took = _stopped(mode, 60)
    assert lines == ["call started", "stopping"]
    assert lifeline.INTERRUPT_GRACE_SECONDS - 1 < took < lifeline.INTERRUPT_GRACE_SECONDS + 3


def test_time_left_shrinks_to_the_grace_once_interrupted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifeline.LIFELINE, "interrupted_at", None)
    assert lifeline.time_left(30) == 30
    assert lifeline.answer_recorded()
    lifeline.LIFELINE.interrupt()
    assert not lifeline.answer_recorded()
    assert 0 < lifeline.time_left(30) <= lifeline.INTERRUPT_GRACE_SECONDS
    assert lifeline.time_left(0.5) == 0.5


# The plugin's process as the Python language host starts it: `outlive_the_host` serves from a
# child of a session of its own; the host's SIGKILL reaches the parent alone.
OUTLIVING_PROCESS = """
import os, sys, threading, time
from pulumi_flowroute import lifeline

lifeline.outlive_the_host()
seconds = float(sys.argv[1])

def call():
    with lifeline.in_flight():
        print(f"serving {os.getpid()} {os.getsid(0) == os.getpid()}", flush=True)
        time.sleep(seconds)
        print(f"call finished, recorded={lifeline.answer_recorded()}", flush=True)

if seconds:
    threading.Thread(target=call).start()
else:
    print(f"serving {os.getpid()} {os.getsid(0) == os.getpid()}", flush=True)
threading.Event().wait()
"""


@pytest.mark.parametrize("seconds", [0, 1.5], ids=["idle", "in a call"])
def test_the_plugin_serves_from_a_process_the_hosts_sigkill_does_not_reach(
    seconds: float,
) -> None:
    started = subprocess.Popen(
        [sys.executable, "-c", OUTLIVING_PROCESS, str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert started.stdout is not None
    line = started.stdout.readline().split()
    assert line[0] == "serving", line
    serving, own_session = int(line[1]), line[2] == "True"
    assert serving != started.pid
    assert own_session
    kill_time = time.monotonic()
    started.kill()  # as the language host does when the engine lets go of the plugin
    rest, _ = started.communicate(timeout=30)
    took = time.monotonic() - kill_time
    _soon(lambda: not _running(serving), 5.0)
    assert not _running(serving)
    if seconds:
        # The call finished, knowing its answer goes unrecorded; then the process exited.
        assert rest.splitlines() == ["call finished, recorded=False"]
        assert 1.0 < took < 10
    else:
        assert rest == ""
        assert took < 3


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
