"""What this process remembers of the deployment it serves: one object, one ``forget()``.

Two kinds of memory, both dropped together by :meth:`Deployment.forget`:

- In a provider process (the engine starts one per deployment), what the resources' calls
  share: numbers held by a purchase, the account's routes as listed once, the numbers whose
  routing a PhoneNumber took over, the messaging webhooks created. Each is an object of its own
  type, made on first use (``DEPLOYMENT.of(ProcessMemory)``), so the modules that define them
  import this one and not each other.
- In a program, what is registered once per run (the ``flowroute`` provider instance, the
  stack's claim), found by the run: the engine's resource monitor address and the dry-run
  flag, not the SDK's monitor client. A process that serves several registrations of one
  deployment (a component provider answering one ``Construct`` after another, each with new
  SDK settings and a new monitor client) finds the same run each time, so registers each once.

A harness that runs several deployments in one process (the tests, the benchmark) calls
:func:`forget_deployment` between them; nothing else is kept between deployments.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

import pulumi

M = TypeVar("M")
T = TypeVar("T")


class Deployment:
    """This process's memory of its deployment and of the program runs it served."""

    def __init__(self) -> None:
        # Re-entrant: making a run's resource may ask for another (a claim needs the provider).
        self._lock = threading.RLock()
        self._memories: dict[type[Any], Any] = {}
        self._runs: dict[Hashable, dict[Callable[[], Any], Any]] = {}
        self._owned: weakref.WeakKeyDictionary[object, dict[Callable[[], Any], Any]] = (
            weakref.WeakKeyDictionary()
        )

    def of(self, kind: type[M]) -> M:
        """The deployment's memory of type ``kind``, made (``kind()``) on first use."""
        with self._lock:
            found = self._memories.get(kind)
            if found is None:
                found = self._memories[kind] = kind()
            return cast(M, found)

    def once_per_run(self, make: Callable[[], T]) -> T:
        """``make()``'s result, made on the first call in this program run and kept for it."""
        with self._lock:
            made = self._made_in_this_run()
            if make not in made:
                made[make] = make()
            return cast(T, made[make])

    def _made_in_this_run(self) -> dict[Callable[[], Any], Any]:
        settings = pulumi.runtime.settings
        run = run_key()
        # A run that has an object of its own is found by it, and forgotten with it: a program
        # by its stack resource (a process running one program after another, a test harness
        # or the Automation API, may be handed an old monitor port again); the SDK's mocks,
        # whose monitor has no address, by their monitor (they keep one stack resource). A
        # component provider's Construct has no stack resource: the address tells its run.
        owner = settings.get_monitor() if run is None else settings.get_root_resource()
        if owner is None:
            return self._runs.setdefault(run, {})
        return self._owned.setdefault(owner, {})

    def forget(self) -> None:
        """Start a new deployment: every memory and every run's registrations are dropped."""
        with self._lock:
            self._memories = {}
            self._runs = {}
            self._owned = weakref.WeakKeyDictionary()


def run_key() -> tuple[str, bool] | None:
    """The program run the SDK's settings are for: the engine's monitor address and the
    dry-run flag; None when the monitor has no address (mocks, or no program at all).

    The SDK keeps a client of the monitor, not the address it was given: the address is read
    back from the client's channel.
    """
    settings = pulumi.runtime.settings.SETTINGS
    monitor = _address(settings.monitor)
    return None if monitor is None else (monitor, bool(settings.dry_run))


def _address(stub: object) -> str | None:
    """The address a gRPC client (a generated ``...Stub``) was made for, if it has one."""
    for call in vars(stub).values() if hasattr(stub, "__dict__") else ():
        target = getattr(call, "_target", None)
        if isinstance(target, bytes):
            return target.decode()
        if isinstance(target, str):
            return target
    return None


class Holders:
    """Which resource of the deployment holds which thing that one resource alone may manage
    (a number): the first to ask holds it, and every other is told who does."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders: dict[str, str] = {}

    def hold(self, thing: str, holder: str) -> str | None:
        """None once ``holder`` holds ``thing`` (again, too); else the one that holds it."""
        with self._lock:
            held = self._holders.setdefault(thing, holder)
        return None if held == holder else held


#: The one deployment this process serves.
DEPLOYMENT = Deployment()


def forget_deployment() -> None:
    """Start a new deployment: everything the last one held and read is forgotten."""
    DEPLOYMENT.forget()
