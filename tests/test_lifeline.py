"""The provider process exits once its engine is gone, after the calls in flight finish."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent import futures

import grpc
import pytest

from pulumi_flowroute import lifeline


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifeline, "PROBE_SECONDS", 0.05)
    monkeypatch.setattr(lifeline, "RECONNECT_SECONDS", 0.5)
    monkeypatch.setattr(lifeline.LIFELINE, "connection", None)


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
