"""The kill-point matrix through the ``flowroute`` provider plugin (issue #31 item 5): a Pulumi
YAML program using ``flowroute:index:PhoneNumber``, its plugin's Python process SIGKILLed before
and after each write of a purchase, and ``pulumi`` stopped (Ctrl-C twice, or SIGKILLed) with a
purchase in flight. As through the dynamic provider (tests/test_e2e_project.py), every rerun
converges with no hand edit and buys nothing twice, except where the account holds a number
the resource cannot prove its own: the rerun names it and the one step, in one line.

The plugin is installed as an infra repo adds it (``pulumi package add``, from a session copy
of this checkout: tests/support/plugin.py); the account is an emulator server's, whose faults
hold the plugin in the write the test kills it in.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from pulumi_flowroute.emulator import FlowrouteBackend
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.cli import PulumiProject, descendants
from tests.support.emulators import ServerProcess, embedded_client, emulator_keys, writes
from tests.support.kill_points import (
    KILL_MATRIX,
    KILL_POINTS,
    NEEDS_A_PERSON,
    arm,
    bought,
    cell_id,
    committed,
    wait_for_the_fault,
    wait_until,
)
from tests.support.plugin import copy_plugin, prepare_plugin, shared

pytestmark = pytest.mark.e2e
PROJECT = "killed"
PASSPHRASE = "correct horse battery staple"
# What a number bought without an alias of the resource's carries: its claim.
CLAIM = rf"{PROJECT}\.dev\.helpdesk~[0-9a-f]{{6}}"
ALIAS = "Helpdesk"
# What `make test` runs of the matrices; `make kill-matrix` runs every cell.
KILL_SAMPLE = {("after the claim PATCH commits", False, True)}
PULUMI_STOPS = ("Ctrl-C twice", "pulumi SIGKILLed")
PULUMI_SAMPLE = {"Ctrl-C twice"}


@pytest.fixture(scope="session")
def prepared_plugin(tmp_path_factory: pytest.TempPathFactory, cli_bin: str) -> Path:
    """The session's copy of the plugin and library sources with the plugin's virtualenv."""
    directory, lock = shared(tmp_path_factory, "flowroute-plugin")
    with lock:
        log = directory / "prepare.log"
        if not log.exists():
            directory.mkdir(parents=True, exist_ok=True)
            run = prepare_plugin(directory, cli_bin)
            log.write_text(f"{run.returncode}\n{run.output}")
    code, _, output = log.read_text().partition("\n")
    assert code == "0", f"the plugin's virtualenv could not be made:\n{output[-4000:]}"
    return directory


class Repo:
    """A Pulumi YAML infra repo using the plugin, on an emulator server's account in a file."""

    def __init__(self, project: PulumiProject, db: Path) -> None:
        self.project = project
        self.db = db
        self.server = self._serve("0")
        self.url = self.server.url

    def _serve(self, port: str) -> ServerProcess:
        keys = emulator_keys(ACCESS_KEY, SECRET_KEY)
        return ServerProcess("--db", str(self.db), "--port", port, env=keys)

    def restart(self) -> None:
        """The server stopped and started again on its port: a write it was holding (a
        ``delay`` fault) dies with it, uncommitted, as a request cut off in flight would."""
        self.server.stop()
        self.server = self._serve(self.url.rsplit(":", 1)[1])
        assert self.server.url == self.url

    def close(self) -> None:
        self.server.stop()

    @property
    def emulator(self) -> FlowrouteBackend:
        return FlowrouteBackend(str(self.db))

    def first_for_sale(self, starts_with: str) -> str:
        client = embedded_client(self.db)
        try:
            return next(client.search_available(starts_with=starts_with, limit=1)).value
        finally:
            client.close()

    def program(self, helpdesk: dict[str, object] | None) -> None:
        """Pulumi.yaml with a PhoneNumber ``support`` and, if given, ``helpdesk``."""
        path = self.project.path / "Pulumi.yaml"
        document = yaml.safe_load(path.read_text())
        resources: dict[str, object] = {
            "support": {
                "type": "flowroute:index:PhoneNumber",
                "properties": {"search": {"startsWith": "206"}, "alias": "Support"},
            }
        }
        outputs = {"support": "${support.number}"}
        if helpdesk is not None:
            resources["helpdesk"] = {"type": "flowroute:index:PhoneNumber", "properties": helpdesk}
            outputs["helpdesk"] = "${helpdesk.number}"
        document.update(resources=resources, outputs=outputs)
        path.write_text(yaml.safe_dump(document, sort_keys=False))

    def owned(self) -> set[str]:
        return {n.value for n in self.emulator.list_numbers({}, 200, 0).items}


@pytest.fixture
def repo(tmp_path: Path, cli_bin: str, prepared_plugin: Path) -> Iterator[Repo]:
    """A YAML repo that added the plugin, with ``support`` deployed and nothing else."""
    plugin = copy_plugin(prepared_plugin, tmp_path / "pulumi-flowroute")
    path = tmp_path / PROJECT
    path.mkdir()
    (path / "Pulumi.yaml").write_text(yaml.safe_dump({"name": PROJECT, "runtime": "yaml"}))
    project = PulumiProject(path, cli_bin, "dev", passphrase=PASSPHRASE)
    assert project.pulumi("stack", "init", "dev").ok
    added = project.pulumi("package", "add", str(plugin), timeout=600)
    assert added.ok, added.output[-4000:]
    repo = Repo(project, tmp_path / "account.db")
    try:
        settings = {
            "flowroute:baseUrl": repo.url,
            "flowroute:accessKey": ACCESS_KEY,
            "flowroute:settleSeconds": "1",
        }
        for key, value in settings.items():
            assert project.pulumi("config", "set", "--stack", "dev", key, value).ok
        secret = ("config", "set", "--secret", "--stack", "dev", "flowroute:secretKey", SECRET_KEY)
        assert project.pulumi(*secret).ok
        repo.program(None)
        project.ok("up")
        yield repo
    finally:
        repo.close()


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _plugin_process(pid: int) -> int | None:
    """The process serving the plugin: the Python language host runs the plugin as a child
    (``python <plugin dir> ENGINE``), which serves from a child of its own (lifeline.py,
    ``outlive_the_host``); that one is killed here, as a crash or the OOM killer would."""
    for child in descendants(pid):
        try:
            started = _parent(child)
            if b"python" not in _cmdline(child) or b"pulumi-language-python" not in _cmdline(
                _parent(started)
            ):
                continue
        except (OSError, ValueError, IndexError):
            continue
        return child
    return None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _helpdesk(number: str, exact: bool, alias: bool) -> dict[str, object]:
    properties: dict[str, object] = (
        {"number": number} if exact else {"search": {"startsWith": "503"}}
    )
    if alias:
        properties["alias"] = ALIAS
    return properties


def _converged(repo: Repo, helpdesk: str, alias: str | None) -> None:
    """helpdesk recorded with the number, nothing bought twice, and a further up writes
    nothing."""
    outputs = repo.project.pulumi("stack", "output", "--json", "--stack", "dev")
    assert outputs.ok, outputs.output
    assert yaml.safe_load(outputs.output)["helpdesk"] == helpdesk
    purchases = bought(repo.emulator)
    assert len(purchases) == len(set(purchases))
    assert len(repo.owned()) == 2
    found = repo.emulator.get_number(helpdesk).alias
    assert found == alias if alias is None else re.fullmatch(alias, found or ""), found
    repo.emulator.clear_request_log()
    assert "unchanged" in repo.project.ok("up")
    assert writes(repo.emulator.request_log()) == []


@pytest.mark.parametrize(
    ("point", "exact", "alias"),
    [
        pytest.param(*cell, marks=() if cell in KILL_SAMPLE else pytest.mark.kill_matrix)
        for cell in KILL_MATRIX
    ],
    ids=[cell_id(*cell) for cell in KILL_MATRIX],
)
def test_the_plugin_killed_mid_purchase_never_leads_to_a_second_purchase(
    repo: Repo, point: str, exact: bool, alias: bool
) -> None:
    helpdesk = repo.first_for_sale("503")
    repo.program(_helpdesk(helpdesk, exact, alias))
    kind, write, went_through = KILL_POINTS[point]
    arm(repo.emulator, helpdesk, kind, write, 25)
    run = repo.project.start("up")
    wait_for_the_fault(repo.emulator, run)
    if went_through:
        wait_until(lambda: committed(str(repo.db), helpdesk, write, CLAIM, ALIAS))
    plugin = _plugin_process(run.pid)
    assert plugin is not None, "the run has no plugin process to kill"
    os.kill(plugin, signal.SIGKILL)
    output, _ = run.communicate(timeout=300)
    assert run.returncode != 0, output
    assert f"buying {helpdesk}" in output
    if not went_through:
        repo.restart()

    rerun = repo.project.op("up")
    if point not in NEEDS_A_PERSON:
        assert rerun.ok, rerun.output
        if write > 0:
            assert f"adopted {helpdesk} (it carries this PhoneNumber's own alias" in rerun.output
    else:
        # One line names the number and the one step, as the plugin spells it.
        assert not rerun.ok
        assert "Traceback" not in rerun.output, rerun.output
        stopped = (
            f"{helpdesk} is already on your Flowroute account, so it was not bought again"
            if exact
            else f"{helpdesk} is on your Flowroute account, matches this search"
        )
        named = [line for line in rerun.output.splitlines() if stopped in line]
        assert named, rerun.output
        assert "adopt=True" in named[0], named[0]
        repo.program({**_helpdesk(helpdesk, True, alias), "adopt": True})
        repo.project.ok("up")
    own = ALIAS if alias else None if point in NEEDS_A_PERSON else CLAIM
    _converged(repo, helpdesk, own)


@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(stop, marks=() if stop in PULUMI_SAMPLE else pytest.mark.kill_matrix)
        for stop in PULUMI_STOPS
    ],
)
def test_pulumi_stopped_or_killed_mid_purchase_through_the_plugin_converges(
    repo: Repo, stop: str
) -> None:
    helpdesk = repo.first_for_sale("503")
    repo.program(_helpdesk(helpdesk, False, True))
    # The purchase takes 4 s: it commits after pulumi is gone, within the engine's grace.
    arm(repo.emulator, helpdesk, "delay", 0, 4)
    run = repo.project.start("up")
    wait_for_the_fault(repo.emulator, run)
    plugin = _plugin_process(run.pid)
    assert plugin is not None
    if stop == "Ctrl-C twice":
        for _ in range(2):
            os.killpg(run.pid, signal.SIGINT)
            time.sleep(0.5)
    else:
        os.kill(run.pid, signal.SIGKILL)
    output, _ = run.communicate(timeout=120)
    assert run.returncode != 0, output
    deadline = time.monotonic() + 60
    while _alive(plugin) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _alive(plugin), "the plugin outlived its engine"
    # It finished the purchase and left the claim on, not the alias.
    assert re.fullmatch(CLAIM, repo.emulator.get_number(helpdesk).alias or "")
    if stop == "pulumi SIGKILLed":
        assert repo.project.pulumi("cancel", "--yes", "--stack", "dev").ok
    rerun = repo.project.op("up")
    assert rerun.ok, rerun.output
    assert f"adopted {helpdesk} (it carries this PhoneNumber's own alias" in rerun.output
    repo.project.ok("refresh", "--clear-pending-creates")
    _converged(repo, helpdesk, ALIAS)
