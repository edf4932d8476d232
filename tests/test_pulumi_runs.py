"""The pulumi processes ``split`` drives (pulumi_runs, pulumi_supervisor), without the CLI: what
a failed run said, in one line, and how a child ends with its driver."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from pulumi_flowroute.pulumi_runs import (
    Children,
    Interrupted,
    first_error,
    forwarding_signals,
    pending_note,
    pending_operations,
    run_following,
    setup_problem,
    stack_problem,
)

# What the Automation API's CommandError says, as its str() gives it.
FAILED_UP = """
 code: 255
 stdout: Updating (big-002):
 +  pulumi-python:dynamic/flowroute:PhoneNumber x creating (0s) error: 12065550199 is neither \
on your Flowroute account nor in Flowroute's inventory, so it cannot be bought.
    pulumi:pulumi:Stack flowroute-fleet-big-002 running error: update failed
Diagnostics:
  pulumi-python:dynamic/flowroute:PhoneNumber (x):
    error: 12065550199 is neither on your Flowroute account nor in Flowroute's inventory, so \
it cannot be bought.

  pulumi:pulumi:Stack (flowroute-fleet-big-002):
    error: update failed
 stderr: error: update failed
"""
PENDING = """
    warning: Attempting to deploy or update resources with 2 pending operations from previous \
deployment.
      * urn:pulumi:big-001::flowroute-fleet::pulumi-python:dynamic/flowroute:PhoneNumber::sales, \
interrupted while creating
      * urn:pulumi:big-001::flowroute-fleet::pulumi-python:dynamic/flowroute:PhoneNumber::desk, \
interrupted while updating
    These resources are in an unknown state because the Pulumi CLI was interrupted while ...
"""


def test_a_failed_stack_is_named_by_its_first_specific_error() -> None:
    assert stack_problem(FAILED_UP, "big-002", "split up") == (
        "12065550199 is neither on your Flowroute account nor in Flowroute's inventory, so it "
        "cannot be bought."
    )


def test_a_program_that_raised_is_named_by_the_exception_it_raised() -> None:
    text = (
        " stdout: error: Program failed with an unhandled exception:\n"
        "    Traceback (most recent call last):\n"
        '      File "__main__.py", line 3, in <module>\n'
        "    KeyError: 'routes'\n"
    )
    assert first_error(text) == "Program failed with an unhandled exception: KeyError: 'routes'"


def test_a_killed_pulumi_is_named_with_its_signal_and_the_cancel_to_run_if_locked() -> None:
    text = "\n code: -9\n stdout: Updating (big-001):\n @ updating....\n stderr: "
    assert stack_problem(text, "big-001", "split up") == (
        "pulumi was killed (SIGKILL) before it finished; if the next run finds the stack "
        "locked, run `pulumi cancel --stack big-001`"
    )


def test_a_pulumi_that_exited_without_an_error_line_is_named_by_its_code_and_last_line() -> None:
    assert stack_problem("\n code: 3\n stdout: \n stderr: panic: oops", "s", "split up") == (
        "pulumi exited with code 3: stderr: panic: oops"
    )


@pytest.mark.parametrize(
    "said",
    [
        "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es)"
        " to end or delete the lock file with `pulumi cancel`.",
        "error: [409] Conflict: Another update is currently in progress.",
    ],
)
def test_a_locked_stack_is_named_with_the_exact_cancel_to_run(said: str) -> None:
    assert stack_problem(f" code: 255\n stderr: {said}", "big-003", "split refresh") == (
        "locked by a run that did not finish: if no pulumi is running on it, run "
        "`pulumi cancel --stack big-003`, then split refresh again"
    )


@pytest.mark.parametrize(
    ("said", "starts"),
    [
        (
            "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions",
            "no Pulumi backend: run `pulumi login`",
        ),
        (
            "error: could not deserialize deployment: constructing secrets manager of type "
            '"passphrase": passphrase must be set with PULUMI_CONFIG_PASSPHRASE or '
            "PULUMI_CONFIG_PASSPHRASE_FILE environment variables",
            "stack big-shared needs its passphrase: set PULUMI_CONFIG_PASSPHRASE",
        ),
        (
            "error: failed to decrypt: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE",
            "stack big-shared: PULUMI_CONFIG_PASSPHRASE is not the passphrase",
        ),
    ],
)
def test_what_no_stack_gets_past_is_one_line_saying_what_to_set(said: str, starts: str) -> None:
    problem = setup_problem(f" code: 255\n stderr: {said}", "big-shared")
    assert problem is not None
    assert problem.startswith(starts)
    assert "\n" not in problem


def test_an_error_of_one_stack_is_not_taken_for_a_setup_problem() -> None:
    assert setup_problem(FAILED_UP, "big-002") is None


def test_pending_creates_are_named_with_the_refresh_that_clears_them() -> None:
    pending = pending_operations(PENDING)
    assert pending == {"sales": "creating", "desk": "updating"}
    assert pending_note("big-001", "up", pending) == (
        "1 create left pending by an interrupted run (sales): check it on the account, then "
        "run `pulumi refresh --stack big-001 --clear-pending-creates`"
    )


def test_pending_updates_are_named_with_a_refresh_except_by_a_refresh() -> None:
    pending = {"desk": "updating", "pbx": "deleting"}
    assert pending_note("big-001", "up", pending) == (
        "2 operations left pending by an interrupted run (desk, pbx): run "
        "`pulumi refresh --stack big-001`"
    )
    assert pending_note("big-001", "refresh", pending) == ""
    assert pending_note("big-001", "up", {}) == ""


# --- the processes ----------------------------------------------------------------------------

PYTHON = sys.executable


def _child(code: str) -> list[str]:
    return [PYTHON, "-c", code]


def test_each_line_is_passed_on_as_it_comes_and_a_last_partial_one_too(tmp_path: Path) -> None:
    children = Children()
    seen: list[str] = []
    code, out, err = run_following(
        children,
        _child(
            "import sys, time; print('one', flush=True); time.sleep(0.3); print('two');"
            "sys.stderr.write('warn\\n'); sys.stdout.write('tail'); sys.exit(3)"
        ),
        str(tmp_path),
        os.environ,
        seen.append,
    )
    children.close()
    assert (code, out, err) == (3, "one\ntwo\ntail", "warn")
    assert seen == ["one", "two", "tail"]


def test_a_signal_to_the_driver_reaches_each_child_and_no_new_one_starts(tmp_path: Path) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers are the main thread's")
    children = Children()
    ready = tmp_path / "ready"
    script = (
        "import pathlib, signal, sys, time\n"
        "signal.signal(signal.SIGINT, lambda *_: sys.exit(42))\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        "time.sleep(60)\n"
    )
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(
            run_following(children, _child(script), str(tmp_path), os.environ)[0]
        )
    )
    worker.start()
    _wait_until(ready.exists)
    with forwarding_signals(children):
        os.kill(os.getpid(), signal.SIGINT)  # as a Ctrl-C does
        worker.join(20)
    assert result == [42]
    with pytest.raises(Interrupted, match="SIGINT"):
        run_following(children, _child("pass"), str(tmp_path), os.environ)
    children.close()
    # The handlers were put back.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_child_killed_is_reported_killed_by_the_same_signal(tmp_path: Path) -> None:
    children = Children()
    pid_file = tmp_path / "pid"
    script = (
        "import os, pathlib, time\n"
        f"pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))\n"
        "time.sleep(60)\n"
    )
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(
            run_following(children, _child(script), str(tmp_path), os.environ)[0]
        )
    )
    worker.start()
    _wait_until(lambda: pid_file.exists() and pid_file.read_text() != "")
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    worker.join(20)
    children.close()
    assert result == [-signal.SIGKILL]


def test_a_child_gets_one_sigterm_when_its_driver_is_gone(tmp_path: Path) -> None:
    """The driver's end closes the lifeline: here the driver's end of it is closed by hand."""
    children = Children()
    ready, got = tmp_path / "ready", tmp_path / "got"
    script = (
        "import pathlib, signal, sys, time\n"
        f"got = pathlib.Path({str(got)!r})\n"
        "def on(signum, _):\n"
        "    with got.open('a') as said:\n"
        "        said.write(f'{signum} ')\n"
        "signal.signal(signal.SIGTERM, on)\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        "time.sleep(3)\n"
    )
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(
            run_following(children, _child(script), str(tmp_path), os.environ)[0]
        )
    )
    worker.start()
    _wait_until(ready.exists)
    os.close(children._held)  # what the kernel does when the driver dies
    worker.join(20)
    assert result == [0]
    assert got.read_text().split() == [str(int(signal.SIGTERM))]
    os.close(children.lifeline)


def _wait_until(done: object, seconds: float = 20) -> None:
    assert callable(done)
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
