"""What this process remembers of the deployment it serves: one object, one ``forget()``.

Two kinds of memory, both dropped together by :meth:`Deployment.forget`:

- In a provider process (the engine starts one per deployment), what the resources' calls
  share: numbers held by a purchase, the account's routes as listed once, the numbers whose
  routing a PhoneNumber took over, the messaging webhooks created. Each is an object of its own
  type, made on first use (``DEPLOYMENT.of(ProcessMemory)``), so the modules that define them
  import this one and not each other.
- In a program, what is registered once per run (the ``flowroute`` provider instance, the
  stack's claim), found by the run: the engine's resource monitor address and the dry-run
  flag. A process that serves several registrations of one deployment (a component provider
  answering one ``Construct`` after another, each with new SDK settings and a new monitor
  client) finds the same run each time, so registers each once.

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
        # A monitor with no address (the SDK's mocks) is its own run, forgotten with it.
        self._unaddressed: weakref.WeakKeyDictionary[object, dict[Callable[[], Any], Any]] = (
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
        monitor = pulumi.runtime.settings.get_monitor()
        run = run_key()
        if run is None and monitor is not None:
            return self._unaddressed.setdefault(monitor, {})
        return self._runs.setdefault(run, {})

    def forget(self) -> None:
        """Start a new deployment: every memory and every run's registrations are dropped."""
        with self._lock:
            self._memories = {}
            self._runs = {}
            self._unaddressed = weakref.WeakKeyDictionary()


def run_key() -> tuple[str, str | None, bool] | None:
    """The program run the SDK's settings are for: the engine's monitor address, the engine's
    own address and the dry-run flag; None when the monitor has no address (mocks).

    The SDK keeps a client of the monitor, not the address it was given: the address is read
    back from the client's channel. The engine's address is part of the key only so that a
    process running one deployment after another (the Automation API) does not take a new run
    for an old one when the operating system hands the monitor an old port again.
    """
    settings = pulumi.runtime.settings.SETTINGS
    monitor = _address(settings.monitor)
    if monitor is None:
        return None
    return monitor, _address(settings.engine), bool(settings.dry_run)


def _address(stub: object) -> str | None:
    """The address a gRPC client (a generated ``...Stub``) was made for, if it has one."""
    for call in vars(stub).values() if hasattr(stub, "__dict__") else ():
        target = getattr(call, "_target", None)
        if isinstance(target, bytes):
            return target.decode()
        if isinstance(target, str):
            return target
    return None


#: The one deployment this process serves.
DEPLOYMENT = Deployment()


def forget_deployment() -> None:
    """Start a new deployment: everything the last one held and read is forgotten."""
    DEPLOYMENT.forget()
