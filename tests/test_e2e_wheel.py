"""A user's infra repo under the real Pulumi CLI: the library installed from a built wheel.

Also what a user reads when something is wrong: each mistake a user can make shows in the CLI
as one message that says what to do, never as a Python traceback.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from tests.support.cli import ROOT, PulumiProject, Run
from tests.support.emulators import ServerProcess, emulator_keys, writes

pytestmark = pytest.mark.e2e
PASSPHRASE = "correct horse battery staple"
DB = "account.db"
PROGRAM = textwrap.dedent(
    """
    import pulumi
    import pulumi_flowroute as flowroute

    config = pulumi.Config("infra")
    pbx = flowroute.InboundRoute("pbx", route_type="host", value="sip.example.com:5060")
    main = flowroute.PhoneNumber(
        "main", number=config.get("number") or "12065551234", alias=config.get("alias") or "Main"
    )
    flowroute.NumberRouting("main-routing", number=main.number, primary_route_id=pbx.route_id)
    pulumi.export("number", main.number)
    """
)


def _shared(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Path, FileLock]:
    """A directory every pytest-xdist worker of this run shares, and the lock that guards it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    return root / name, FileLock(str(root / f"{name}.lock"))


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out, lock = _shared(tmp_path_factory, "dist")
    with lock:
        if not list(out.glob("pulumi_flowroute-*.whl")):
            pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
            subprocess.run([*pip, "-w", str(out), str(ROOT)], check=True)
    return next(out.glob("pulumi_flowroute-*.whl"))


def new_infra_repo(path: Path, requirements: str, program: str = PROGRAM) -> None:
    """An infra repo as a user writes one: a Python project with its own virtualenv."""
    path.mkdir(parents=True)
    (path / "Pulumi.yaml").write_text(
        "name: infra\n"
        "runtime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: venv\n"
    )
    (path / "requirements.txt").write_text(requirements)
    (path / "__main__.py").write_text(program)


@dataclass(frozen=True)
class Installed:
    """An infra repo's virtualenv, made by ``pulumi install``, and what the command printed."""

    venv: Path
    install: Run


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory, cli_bin: str) -> Installed:
    """``pulumi install`` in an infra repo whose requirements.txt names the wheel: made once."""
    repo, lock = _shared(tmp_path_factory, "infra-template")
    with lock:
        if not (repo / "install.log").exists():
            new_infra_repo(repo, f"pulumi-flowroute[emulator] @ {wheel.as_uri()}\n")
            run = PulumiProject(repo, cli_bin, "prod").pulumi("install", timeout=600)
            (repo / "install.log").write_text(f"{run.returncode}\n{run.output}")
    code, _, output = (repo / "install.log").read_text().partition("\n")
    return Installed(repo / "venv", Run(int(code), output))


@pytest.fixture
def infra(tmp_path: Path, installed: Installed, cli_bin: str) -> PulumiProject:
    repo = tmp_path / "infra"
    new_infra_repo(repo, (installed.venv.parent / "requirements.txt").read_text())
    (repo / "venv").symlink_to(installed.venv)
    project = PulumiProject(repo, cli_bin, "prod", passphrase=PASSPHRASE)
    assert project.pulumi("stack", "init", "prod").ok
    return project


def configure(
    project: PulumiProject, *settings: str, secret: bool = False, stack: str = "prod"
) -> None:
    for setting in settings:
        key, _, value = setting.partition("=")
        args = ["config", "set", "--stack", stack, *(["--secret"] if secret else []), key, value]
        run = project.pulumi(*args)
        assert run.ok, run.output


def test_the_wheel_ships_pulumi_plugin_json(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        marker = json.loads(archive.read("pulumi_flowroute/pulumi-plugin.json"))
    assert marker == {"resource": False}


def test_a_production_install_pulls_neither_werkzeug_nor_responses(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    always = [line for line in requires if "extra ==" not in line]
    assert any("pulumi" in line for line in always)
    assert not [line for line in always if "werkzeug" in line or "responses" in line]
    emulator = [line for line in requires if 'extra == "emulator"' in line]
    assert {line.split()[1].split(">")[0] for line in emulator} == {"werkzeug", "responses"}


# Fast, emulator-backed modules: enough to show the sdist's suite runs against the package
# built from it, not against this checkout.
SDIST_TESTS = ("tests/test_config.py", "tests/test_bad_inputs.py", "tests/test_route_providers.py")


def test_the_sdist_carries_a_test_suite_that_passes(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    sdist = next(dist.glob("pulumi_flowroute-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    source = tmp_path / sdist.name.removesuffix(".tar.gz")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", f"{sdist}[dev]"], check=True, timeout=600
    )
    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SDIST_TESTS],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
    assert "failed" not in run.stdout
    # The package under test is the one built from the sdist, installed in the venv.
    where = subprocess.run(
        [python, "-c", "import pulumi_flowroute; print(pulumi_flowroute.__file__)"],
        cwd=source,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(venv) in where.stdout


@pytest.mark.parametrize("where", ["wheel", "project"])
def test_the_language_host_takes_no_package_for_a_resource_plugin(
    where: str, request: pytest.FixtureRequest
) -> None:
    # The language host's rule: a distribution named pulumi-* is a resource plugin unless
    # <location>/<module>/pulumi-plugin.json says "resource": false (pulumi/pulumi#8011).
    python = (
        str(request.getfixturevalue("installed").venv / "bin" / "python")
        if where == "wheel"
        else str(ROOT / ".venv" / "bin" / "python")
    )
    listed = subprocess.run(
        [python, "-m", "pip", "list", "-v", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    plugins = []
    for package in json.loads(listed.stdout):
        if not package["name"].startswith("pulumi-"):
            continue
        module = package["name"].replace("-", "_")
        marker = Path(package["location"]) / module / "pulumi-plugin.json"
        if not marker.is_file() or json.loads(marker.read_text()).get("resource", True):
            plugins.append(package["name"])
    assert plugins == []


def test_lifecycle_from_the_wheel(infra: PulumiProject) -> None:
    configure(infra, f"flowroute:baseUrl=emulator:{DB}")
    preview = infra.ok("preview")
    assert "+ 6 to create" in preview
    assert not (infra.path / DB).exists()

    assert "+ 6 created" in infra.ok("up")
    emulator = infra.emulator(DB)
    emulator.clear_request_log()
    assert "6 unchanged" in infra.ok("up")
    assert writes(emulator.request_log()) == []

    configure(infra, "infra:alias=Main line")
    assert "~ 1 to update" in infra.ok("preview")
    up = infra.ok("up")
    assert "~ 1 updated" in up
    assert "replace" not in up
    assert emulator.get_number("12065551234").alias == "Main line"

    destroy = infra.ok("destroy")
    assert "6 deleted" in destroy
    assert "12065551234 (bought earlier) was removed from Pulumi but stays" in destroy


COMPONENT_PROGRAM = textwrap.dedent(
    """
    import pulumi
    from pulumi_flowroute import (
        InboundRoute, InboundRouteArgs, NumberSearch, RoutedNumber, get_number_output,
    )

    cell = InboundRoute("cell", route_type="number", value="12065550100")
    line = RoutedNumber(
        "helpdesk",
        search=NumberSearch(starts_with="425"),
        primary=InboundRouteArgs(route_type="uri", value="sip:help@pbx.example.com"),
        failover=cell.route_id,
        release_on_delete=True,
    )
    details = get_number_output(line.number)
    pulumi.export("number", line.number)
    pulumi.export("routing", {
        "declared": [line.primary_route_id, line.failover_route_id],
        "read": details.apply(lambda n: [n.primary_route_id, n.failover_route_id]),
    })
    """
)


def test_an_infra_repo_from_zero_installs_with_pulumi_install_and_runs_a_component(
    infra: PulumiProject, installed: Installed
) -> None:
    # `pulumi install` made the virtualenv from requirements.txt, which names only the wheel.
    assert installed.install.ok, installed.install.output
    python = str(installed.venv / "bin" / "python")
    where = subprocess.run(
        [python, "-c", "import pulumi_flowroute as f; print(f.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(installed.venv) in where.stdout

    (infra.path / "__main__.py").write_text(COMPONENT_PROGRAM)
    configure(infra, f"flowroute:baseUrl=emulator:{DB}")
    preview = infra.ok("preview", "--diff")
    assert "+ 7 to create" in preview
    up = infra.ok("up")
    assert "+ 7 created" in up
    # The lookup runs on every `up`: the second one reads the routing the first one set.
    assert "7 unchanged" in infra.ok("up")
    routing = json.loads(infra.pulumi("stack", "output", "routing", "--json").output)
    assert routing["declared"] == routing["read"]
    assert None not in routing["read"]
    number = json.loads(infra.pulumi("stack", "output", "number", "--json").output)
    assert number.startswith("1425")

    again = infra.ok("preview", "--diff")
    assert "7 unchanged" in again
    assert "~" not in again.split("Resources:")[0]
    destroy = infra.ok("destroy")
    assert f"released {number}" in destroy
    assert infra.emulator(DB).list_numbers({}, 10, 0).items == []


def test_an_editable_install_runs_under_plain_pulumi(tmp_path: Path, cli_bin: str) -> None:
    # Hosts since v3.226 find pulumi-plugin.json through importlib, so `pip install -e` works too;
    # from a copy of the source, so the checkout gets no build files.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT, source, ignore=shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__")
    )
    repo = tmp_path / "infra"
    new_infra_repo(repo, f"-e {source}[emulator]\n")
    project = PulumiProject(repo, cli_bin, "dev", passphrase=PASSPHRASE)
    install = project.pulumi("install", timeout=600)
    assert install.ok, install.output
    assert project.pulumi("stack", "init", "dev").ok
    configure(project, f"flowroute:baseUrl=emulator:{DB}", stack="dev")
    assert "+ 6 created" in project.ok("up")
    assert project.emulator(DB).get_number("12065551234").alias == "Main"


CALLER_NAME_PROGRAM = textwrap.dedent(
    """
    import pulumi
    import pulumi_flowroute as flowroute

    config = pulumi.Config("infra")
    main = flowroute.PhoneNumber("main", number="12065551234")
    name = flowroute.CnamRecord(
        "caller-name",
        value=config.get("cnam") or "Acme Support",
        adopt=config.get_bool("adopt") or False,
        allow_caller_id_gap=config.get_bool("gap") or False,
    )
    if config.get_bool("assign"):
        flowroute.CnamAssignment("main-caller-name", number=main.number, cnam_id=name.cnam_id)
    pulumi.export("cnam", {"id": name.cnam_id, "status": name.status})
    """
)


def _cnam(infra: PulumiProject) -> dict[str, str]:
    outputs = infra.pulumi("stack", "output", "cnam", "--json", "--stack", "prod")
    assert outputs.ok, outputs.output
    return dict(json.loads(outputs.output))


def _recorded_status(infra: PulumiProject) -> str:
    """The CnamRecord's status as the state holds it (refresh updates it there)."""
    exported = infra.pulumi("stack", "export", "--stack", "prod")
    assert exported.ok, exported.output
    resources = json.loads(exported.output)["deployment"]["resources"]
    record = next(r for r in resources if r["urn"].endswith("::caller-name"))
    return str(record["outputs"]["status"])


def test_a_caller_name_through_review_assignment_and_a_guarded_change(
    infra: PulumiProject,
) -> None:
    (infra.path / "__main__.py").write_text(CALLER_NAME_PROGRAM)
    configure(infra, f"flowroute:baseUrl=emulator:{DB}")
    # A record with this name is already on the account: named, and taken only when adopted.
    configure(infra, "infra:cnam=Acme Old")
    infra.ok("preview")
    emulator = infra.emulator(DB)
    existing = emulator.create_cnam("Acme Old")
    refused = infra.op("up")
    assert not refused.ok
    assert f"cnam_id {existing.id}" in refused.output
    configure(infra, "infra:adopt=true")
    infra.ok("up")
    assert _cnam(infra) == {"id": existing.id, "status": "pending"}
    assert "5 unchanged" in infra.ok("up")

    # While pending, a new name changes the record in place.
    configure(infra, "infra:cnam=Acme Support")
    preview = infra.ok("preview")
    assert "~ 1 to update" in preview
    assert "replace" not in preview
    infra.ok("up")
    record = _cnam(infra)
    assert record == {"id": existing.id, "status": "pending"}
    assert emulator.get_cnam(existing.id).value == "ACME SUPPORT"

    # Assigning waits for Flowroute's review: the run says so and changes nothing.
    configure(infra, "infra:assign=true")
    refused = infra.op("up")
    assert not refused.ok
    assert "pending Flowroute's review" in refused.output
    assert refused.tracebacks == 0
    emulator.decide_cnam(record["id"])
    infra.ok("refresh")
    assert _recorded_status(infra) == "approved"
    infra.ok("up")
    assert emulator.cnam_of("12065551234") == record["id"]

    # Renaming an approved record would leave the number without a caller name: refused
    # until allowed, then replaced new-before-old.
    configure(infra, "infra:cnam=Acme Help")
    guarded = infra.op("preview")
    assert not guarded.ok
    assert "allow_caller_id_gap=True" in guarded.output
    configure(infra, "infra:gap=true")
    preview = infra.ok("preview")
    assert "+-" in preview or "replace" in preview
    replaced = infra.op("up")
    # The new record is pending review, so the assignment cannot follow it yet: the number
    # keeps the old name, and the old record stays until it can.
    assert not replaced.ok
    assert "pending Flowroute's review" in replaced.output
    records = {r.value: r for r in emulator.list_cnams(None, None, 10, 0).items}
    assert set(records) == {"ACME SUPPORT", "ACME HELP"}
    assert emulator.cnam_of("12065551234") == record["id"]
    emulator.decide_cnam(records["ACME HELP"].id)
    infra.ok("up")
    assert emulator.cnam_of("12065551234") == records["ACME HELP"].id
    assert [r.value for r in emulator.list_cnams(None, None, 10, 0).items] == ["ACME HELP"]
    assert "6 deleted" in infra.ok("destroy")


def test_secret_key_is_encrypted_in_the_stack_file_and_absent_from_state(
    infra: PulumiProject,
) -> None:
    access, secret = "81234567", "s3cr3t-Flowroute-key-for-e2e"
    server = ServerProcess("--db", str(infra.path / DB), env=emulator_keys(access, secret))
    try:
        configure(infra, f"flowroute:baseUrl={server.url}", f"flowroute:accessKey={access}")
        configure(infra, f"flowroute:secretKey={secret}", secret=True)
        assert "+ 6 created" in infra.ok("up")
        exported = infra.pulumi("stack", "export", "--stack", "prod")
    finally:
        server.stop()
    assert exported.ok, exported.output
    stack_file = (infra.path / "Pulumi.prod.yaml").read_text()
    assert "secure:" in stack_file
    basic = base64.b64encode(f"{access}:{secret}".encode()).decode()
    for text in (stack_file, exported.output):
        assert secret not in text
        assert basic not in text


def _failure(infra: PulumiProject, operation: str) -> str:
    run = infra.op(operation)
    assert not run.ok, run.output
    assert run.tracebacks == 0
    return run.output


def _stopped_before_registering(output: str, message: str) -> None:
    """The program failed at its first resource: one stack-level error, none per resource."""
    diagnostics = output.partition("Diagnostics:")[2]
    assert diagnostics.count(message) == 1, output
    assert "pulumi-python:dynamic" not in output


def test_missing_credentials_stop_the_preview_once(infra: PulumiProject) -> None:
    output = _failure(infra, "preview")
    _stopped_before_registering(output, "Flowroute credentials are missing: set flowroute:")


def test_plain_http_to_a_remote_host_stops_the_preview(infra: PulumiProject) -> None:
    configure(infra, "flowroute:baseUrl=http://api.example.com", "flowroute:accessKey=1")
    configure(infra, "flowroute:secretKey=s3cret", secret=True)
    output = _failure(infra, "preview")
    _stopped_before_registering(output, "would send credentials unencrypted to api.example.com")


def test_wrong_credentials_name_the_settings_to_check(infra: PulumiProject) -> None:
    server = ServerProcess(env=emulator_keys("81234567", "right"))
    try:
        configure(infra, f"flowroute:baseUrl={server.url}", "flowroute:accessKey=81234567")
        configure(infra, "flowroute:secretKey=wrong", secret=True)
        output = _failure(infra, "up")
    finally:
        server.stop()
    assert "HTTP 401" in output
    assert "Check flowroute:accessKey and flowroute:secretKey" in output


def test_unreachable_api_names_the_url(infra: PulumiProject) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    configure(infra, "flowroute:baseUrl=http://127.0.0.1:9", "flowroute:accessKey=81234567")
    configure(infra, "flowroute:secretKey=s3cret", secret=True)
    output = _failure(infra, "up")
    assert "no answer from Flowroute at http://127.0.0.1:9" in output
    assert "Connection refused" in output


def test_number_not_for_sale_says_what_to_do(infra: PulumiProject) -> None:
    configure(infra, f"flowroute:baseUrl=emulator:{DB}", "infra:number=12065550199")
    output = _failure(infra, "up")
    assert "12065550199 is neither on your Flowroute account nor in Flowroute's inventory" in output
