"""The provider process's tie to the engine that started it.

The engine starts the provider (``python -m pulumi.dynamic ENGINE_ADDRESS``) and normally stops
it at the end of a run. When ``pulumi`` itself is killed, nothing stops it: it would go on
running, and a purchase it was making would never get its alias. So the provider holds one
idle gRPC connection to the engine's address; once that is gone and cannot be made again, the
calls in flight may finish what they write (bounded), and the process exits.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import grpc

F = TypeVar("F", bound=Callable[..., Any])

#: How often the connection to the engine is looked at.
PROBE_SECONDS = 2.0
#: How long a lost connection may take to come back before the engine counts as gone.
RECONNECT_SECONDS = 5.0
#: How long the calls in flight may take to finish once the engine is gone.
GRACE_SECONDS = 120.0


class Lifeline:
    """This process's tie to its engine: the calls in flight, and the connection as last seen.

    One per process, apart from :class:`~.deployment.Deployment` and never forgotten with it:
    the engine that started the process, the watcher thread and the calls still writing belong
    to the process, not to the deployment it serves; a harness that forgets one deployment and
    starts the next must neither lose count of a call in flight nor start a second watcher.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._watching = False
        # The connection to the engine as last seen: None until one was made (or not watched).
        self.connection: grpc.ChannelConnectivity | None = None

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._idle.notify_all()

    def engine_reachable(self) -> bool:
        with self._lock:
            state = self.connection
        return state is None or state is grpc.ChannelConnectivity.READY

    def seen(self, state: grpc.ChannelConnectivity) -> None:
        with self._lock:
            if state is grpc.ChannelConnectivity.READY or self.connection is not None:
                self.connection = state

    def start_watching(self) -> bool:
        """True the first time only: the process watches its engine once."""
        with self._lock:
            first, self._watching = not self._watching, True
            return first

    def wait_for_calls(self, seconds: float) -> None:
        """Until no call is in flight, or ``seconds`` pass."""
        deadline = time.monotonic() + seconds
        with self._lock:
            while self._in_flight and (left := deadline - time.monotonic()) > 0:
                self._idle.wait(left)


#: The one tie of this process.
LIFELINE = Lifeline()


@contextmanager
def in_flight() -> Iterator[None]:
    """Mark a provider call as running: the process does not exit under it."""
    with LIFELINE.in_flight():
        yield


def counted(method: F) -> F:
    """``method`` run :func:`in_flight`."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with in_flight():
            return method(*args, **kwargs)

    return call  # type: ignore[return-value]


def engine_reachable() -> bool:
    """False once the connection to the engine was made and is now down: the engine is gone
    or going, so what this call returns may never be recorded."""
    return LIFELINE.engine_reachable()


def _seen(state: grpc.ChannelConnectivity) -> None:
    LIFELINE.seen(state)


def watch_engine(argv: Sequence[str] = sys.argv, exit: Callable[[int], None] = os._exit) -> None:
    """Watch the engine from now on, once per process, in the SDK's provider server only."""
    watch_engine_at(_engine_address(argv), exit)


def watch_engine_at(address: str | None, exit: Callable[[int], None] = os._exit) -> None:
    """Watch the engine at ``address`` from now on, once per process (None: nothing to watch)."""
    if address is None or not LIFELINE.start_watching():
        return
    threading.Thread(
        target=_watch, args=(address, exit), name="engine-lifeline", daemon=True
    ).start()


def _engine_address(argv: Sequence[str]) -> str | None:
    # `python -m pulumi.dynamic ADDRESS` runs with argv[0] set to that module's __main__.py.
    if len(argv) < 2 or not argv[0].replace("\\", "/").endswith("pulumi/dynamic/__main__.py"):
        return None
    return argv[1]


def _watch(address: str, exit: Callable[[int], None]) -> None:
    # Never idled out: an idle channel would read as a lost engine.
    channel = grpc.insecure_channel(address, options=[("grpc.client_idle_timeout_ms", 2**31 - 1)])
    # Told at once when the connection drops, long before the next probe.
    channel.subscribe(_seen, try_to_connect=True)
    seen = False
    while True:
        try:
            grpc.channel_ready_future(channel).result(timeout=RECONNECT_SECONDS)
        except grpc.FutureTimeoutError:
            # Never reached (a harness's placeholder address): nothing to watch.
            if not seen:
                channel.unsubscribe(_seen)
                channel.close()
                return
            break
        seen = True
        time.sleep(PROBE_SECONDS)
    channel.close()
    LIFELINE.wait_for_calls(GRACE_SECONDS)
    exit(1)
