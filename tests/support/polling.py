"""Waiting for something another process or thread does, by asking until a deadline: a fixed
sleep is too short on a loaded machine and too long on an idle one."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(done: Callable[[], object], what: str, *, timeout: float = 10.0) -> None:
    """Return as soon as ``done()`` is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(0.02)
