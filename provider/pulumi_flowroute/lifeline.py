"""The provider process's tie to the engine that started it.

The engine starts the provider (``python -m pulumi.dynamic ENGINE_ADDRESS``) and normally stops
it at the end of a run. When ``pulumi`` itself is killed, nothing stops it: it would go on
running, and a purchase it was making would never get its alias. So the provider holds one
idle gRPC connection to the engine's address; once that is gone and cannot be made again, the
calls in flight may finish what they write (bounded), and the process exits.

The engine stops a plugin with SIGINT to its process group, and SIGKILL 5 s later if it is
still there: at the end of every run (nothing in flight), and at once on a second Ctrl-C, when
it drops the answers of the calls in flight. A SIGINT therefore means that what a call returns
from then on is never recorded: the calls in flight finish (a purchase leaves its claim on the
number, not your alias) within that grace, no purchase starts, and the process exits once they
are done (:func:`finish_calls_on_interrupt`).

The provider plugin is not stopped that way: Pulumi's Python language host runs it, and SIGKILLs
it, with no SIGINT first, as soon as the engine lets go of it. So it serves from a process of its
own session, which that SIGKILL does not reach (:func:`outlive_the_host`).
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
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
#: How long the calls in flight may take once the engine has stopped this process (SIGINT):
#: it sends SIGKILL 5 s after its SIGINT, so a call settles within this much and exits.
INTERRUPT_GRACE_SECONDS = 4.0


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
        self._interrupts_handled = False
        # The connection to the engine as last seen: None until one was made (or not watched).
        self.connection: grpc.ChannelConnectivity | None = None
        # When the engine stopped this process (SIGINT), on the monotonic clock; None until then.
        self.interrupted_at: float | None = None
        # How long the calls in flight may take from then.
        self.grace = INTERRUPT_GRACE_SECONDS

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

    def interrupt(self, grace: float = INTERRUPT_GRACE_SECONDS) -> None:
        """The engine stopped this process: no answer from now on is recorded, and the calls in
        flight have ``grace`` seconds left."""
        with self._lock:
            if self.interrupted_at is None:
                self.interrupted_at = time.monotonic()
                self.grace = grace

    def recorded(self) -> bool:
        """Whether what a call returns now can still be recorded by the engine."""
        with self._lock:
            interrupted = self.interrupted_at is not None
        return not interrupted and self.engine_reachable()

    def time_left(self, seconds: float) -> float:
        """``seconds``, or what is left of the grace once this process was interrupted."""
        with self._lock:
            since = self.interrupted_at
        if since is None:
            return seconds
        return max(0.0, min(seconds, since + self.grace - time.monotonic()))

    def busy(self) -> bool:
        with self._lock:
            return self._in_flight > 0

    def handle_interrupts(self) -> bool:
        """True the first time only: the process handles SIGINT once."""
        with self._lock:
            first, self._interrupts_handled = not self._interrupts_handled, True
            return first

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


def answer_recorded() -> bool:
    """False once the engine is gone or has stopped this process (SIGINT): what a call returns
    from now on is never recorded, so a bought number must keep its claim."""
    return LIFELINE.recorded()


def time_left(seconds: float) -> float:
    """``seconds`` for a wait (settling a lost answer), cut to what is left of the grace once
    the engine has stopped this process: a call settles before the engine's SIGKILL."""
    return LIFELINE.time_left(seconds)


def finish_calls_on_interrupt() -> None:
    """Once per process: on SIGINT the calls in flight are told their answers go unrecorded,
    and the process exits once they are done (within :data:`INTERRUPT_GRACE_SECONDS`).

    From the main thread (the plugin's server) it becomes the SIGINT handler. The SDK's
    provider server configures its providers on a worker thread, which cannot set one: its
    own handling of SIGINT stops its gRPC server and lets the interpreter exit, and the exit
    marks the interruption and waits for the calls in flight (the SDK's worker threads would
    otherwise be joined for as long as they take).
    """
    if not LIFELINE.handle_interrupts():
        return
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupted)
    # Run at exit before the thread pools are joined, whatever ends the process.
    threading._register_atexit(_finish_calls)  # type: ignore[attr-defined]


_calls_done = threading.Event()


def _interrupted(signum: int, frame: Any) -> None:
    first = LIFELINE.interrupted_at is None
    LIFELINE.interrupt()
    if _calls_done.is_set() or not LIFELINE.busy():
        raise KeyboardInterrupt
    if first:
        # Stopped mid-call: the process stays while the calls finish, then stops as asked.
        threading.Thread(target=_stop_when_done, name="interrupted", daemon=True).start()


def _stop_when_done() -> None:
    LIFELINE.wait_for_calls(LIFELINE.time_left(INTERRUPT_GRACE_SECONDS))
    _calls_done.set()
    # To the main thread itself, so that a wait it is blocked in is interrupted.
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


def _finish_calls() -> None:
    LIFELINE.interrupt()
    LIFELINE.wait_for_calls(LIFELINE.time_left(INTERRUPT_GRACE_SECONDS))


#: In the environment of the process that serves the plugin: the descriptor of its tie to the
#: process the language host started.
_PARENT_FD = "FLOWROUTE_PLUGIN_PARENT_FD"


def outlive_the_host() -> None:
    """Serve the plugin from a process that the language host's SIGKILL does not reach.

    Pulumi's Python language host runs a plugin under the engine's request: when the engine lets
    go of it (at the end of every run, on a second Ctrl-C, when ``pulumi`` dies) the host SIGKILLs
    the process it started, with no SIGINT first, and a call in flight would die between two
    writes (a purchase without its claim). So that process starts the same command again as its
    child, in a session of its own, passes it SIGINT and SIGTERM and exits with it; the child
    returns from here and serves (its output goes where its parent's did). It learns from a pipe
    when its parent is gone: idle, it exits at once; in a call, it marks the answers unrecorded
    (a purchase keeps its claim), lets the calls finish (at most :data:`GRACE_SECONDS`), then
    exits.
    """
    if os.name != "posix":
        return  # no sessions or inherited pipes to build on: served as started
    inherited = os.environ.pop(_PARENT_FD, None)
    if inherited is not None:
        threading.Thread(
            target=_watch_parent, args=(int(inherited),), name="plugin-parent", daemon=True
        ).start()
        return
    read, _held = os.pipe()  # the write end stays open in this process alone, until it dies
    child = subprocess.Popen(
        [sys.executable, *sys.orig_argv[1:]],
        env={**os.environ, _PARENT_FD: str(read)},
        pass_fds=(read,),
        start_new_session=True,
    )
    os.close(read)
    for passed in (signal.SIGINT, signal.SIGTERM):
        signal.signal(passed, lambda signum, _frame: child.send_signal(signum))
    code = child.wait()
    os._exit(code if code >= 0 else 128 - code)


def _watch_parent(descriptor: int) -> None:
    while os.read(descriptor, 1):
        pass
    os.close(descriptor)
    if LIFELINE.busy():
        LIFELINE.interrupt(GRACE_SECONDS)
        LIFELINE.wait_for_calls(GRACE_SECONDS)
    os._exit(0)


def _seen(state: grpc.ChannelConnectivity) -> None:
    LIFELINE.seen(state)


def watch_engine(argv: Sequence[str] = sys.argv, exit: Callable[[int], None] = os._exit) -> None:
    """Watch the engine from now on, once per process, in the SDK's provider server only; and
    finish the calls in flight when it stops the process."""
    address = _engine_address(argv)
    if address is not None:
        finish_calls_on_interrupt()
    watch_engine_at(address, exit)


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
