"""The kill points of a purchase, shared by the kill-point matrices of the dynamic provider
(tests/test_e2e_project.py) and of the provider plugin (tests/test_e2e_plugin_kills.py).

A purchase makes up to three writes to its number: the purchase POST, the PATCH that puts the
stack's claim on it, and, when the resource has an alias of its own, the PATCH that puts that
alias in the claim's place (with the other settings). A fault on one of them holds the provider
there while the test kills it, before or after the write commits.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable

from pulumi_flowroute import NotFound
from pulumi_flowroute.emulator import Fault, FlowrouteBackend
from tests.support.emulators import embedded_client

# Where a purchase is cut: the fault the provider is killed in, the write it cuts (0: the
# purchase POST; 1: the first PATCH, which puts the claim on; 2: the last, which puts your alias
# in its place), and whether that write committed.
KILL_POINTS = {
    "before the purchase POST commits": ("delay", 0, False),
    "after the purchase POST commits": ("slow", 0, True),
    "before the claim PATCH commits": ("delay", 1, False),
    "after the claim PATCH commits": ("slow", 1, True),
    "before the alias PATCH commits": ("delay", 2, False),
    "after the alias PATCH commits": ("slow", 2, True),
}
# (kill point, exact number rather than search, the resource's alias given): without an alias,
# the claim PATCH is the last write.
KILL_MATRIX = [
    (point, exact, alias)
    for point, (_, write, _) in KILL_POINTS.items()
    for exact in (False, True)
    for alias in (True, False)
    if alias or write < 2
]
# The cells that need a person: the account holds a number that the resource cannot prove its
# own (no alias at all, or your alias and nothing else). The rerun names it, and the one step.
NEEDS_A_PERSON = {
    "after the purchase POST commits",
    "before the claim PATCH commits",
    "after the alias PATCH commits",
}


def cell_id(point: str, exact: bool, alias: bool) -> str:
    return f"{point}, {'exact' if exact else 'search'}, {'alias' if alias else 'no alias'}"


def arm(emulator: FlowrouteBackend, number: str, kind: str, write: int, seconds: float) -> None:
    """The fault on ``number``'s ``write`` (0: POST, 1 and 2: its PATCHes), the others passed."""
    path = f"/v2/numbers/{number}"
    if write == 2:
        emulator.add_fault(Fault("slow", method="PATCH", path=path, seconds=0))
    method = "POST" if write == 0 else "PATCH"
    emulator.add_fault(Fault(kind, method=method, path=path, seconds=seconds))


def committed(db: str, value: str, write: int, claim: str, alias: str) -> bool:
    """The killed call's ``write`` shows on the emulated account: bought, claimed or named."""
    client = embedded_client(db)
    try:
        number = client.get_number(value)
    except NotFound:
        return False
    finally:
        client.close()
    if write == 0:
        return True
    if write == 1:
        return re.fullmatch(claim, number.alias or "") is not None
    return number.alias == alias


def wait_until(done: Callable[[], bool], what: str = "the write never committed") -> None:
    deadline = time.monotonic() + 30
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def wait_for_the_fault(emulator: FlowrouteBackend, run: subprocess.Popen[str]) -> None:
    """Until every armed fault was met (the provider now hangs in the last)."""
    deadline = time.monotonic() + 120
    while emulator.armed_faults() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert run.poll() is None, "the run ended before it met the fault"
    assert not emulator.armed_faults(), "the run never met the fault"


def bought(emulator: FlowrouteBackend) -> list[str]:
    """Every purchase the account was charged for (201 to a purchase POST)."""
    return [
        r.path
        for r in emulator.request_log()
        if r.method == "POST" and "/numbers/" in r.path and r.status == 201
    ]
