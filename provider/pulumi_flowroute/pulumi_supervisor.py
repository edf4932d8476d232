"""Runs one ``pulumi`` for a driver (:mod:`pulumi_flowroute.pulumi_runs`) and ends it with the
driver: ``python -I -S pulumi_supervisor.py LIFELINE_FD PULUMI_ARGV...``.

- A signal the driver sends (SIGINT, SIGTERM, SIGHUP) is passed on to pulumi as it is.
- ``LIFELINE_FD`` is the read end of a pipe whose write end only the driver holds: when the
  driver ends, however it ends (SIGKILL included), the read sees end-of-file and pulumi gets one
  SIGTERM, on which it cancels as on a first Ctrl-C (the calls in flight finish and are
  recorded, its lock is released, its plugins are shut down). One, not one per dying thread of
  the driver, which is what PR_SET_PDEATHSIG would send, and a second signal makes pulumi stop
  at once, leaving what was in flight pending.
- On Linux it adopts what a pulumi killed under it leaves behind: the language host, which
  holds nothing of the account but would wait minutes for an engine that is gone, is ended; a
  resource provider is left to finish its call and exit by itself, awaited for a while.

It exits as pulumi did (killed by the same signal, or with its code). Run with ``-I -S`` as a
script: it imports nothing but the standard library, and nothing of the package.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType

_PR_SET_CHILD_SUBREAPER = 36
# How long a provider a killed pulumi left behind gets to finish its call and exit.
LEFTOVER_SECONDS = 30.0
LANGUAGE_HOST = "pulumi-languag"  # /proc/PID/comm keeps 15 characters


def _adopt_orphans() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        return int(ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1)) == 0
    except (OSError, AttributeError):
        return False


def _children() -> list[int]:
    mine, found = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == mine:
                    found.append(int(entry.name))
    return found


def end_leftovers(deadline: float) -> None:
    """End the adopted language hosts; await the other adopted processes until ``deadline``."""
    for pid in _children():
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().startswith(LANGUAGE_HOST):
                if os.getpgid(pid) == pid:  # its group holds the program it runs
                    os.killpg(pid, signal.SIGKILL)
                else:
                    os.kill(pid, signal.SIGKILL)
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.1)


def main(argv: list[str]) -> int:
    lifeline = int(argv[1])
    adopting = _adopt_orphans()
    child = subprocess.Popen(argv[2:])

    def forward(signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)

    for kind in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(kind, forward)

    def watch() -> None:
        while os.read(lifeline, 1):
            pass
        forward(signal.SIGTERM, None)

    threading.Thread(target=watch, daemon=True).start()
    code = child.wait()
    if adopting:
        end_leftovers(time.monotonic() + LEFTOVER_SECONDS)
    if code < 0:  # killed: die of the same signal, so the driver sees how pulumi ended
        if -code not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
