"""Infra repos in other languages, made from zero, using the ``flowroute`` provider plugin
under plain ``pulumi`` with the real Node.js and YAML language hosts (issue #31).

Each repo adds the plugin with ``pulumi package add`` (from a copy of this checkout: see
tests/support/plugin.py), then runs up, a no-op preview, import of what the account already
holds, refresh, a bad input and destroy against emulator servers, checking what the accounts
hold and every write they saw: nothing is bought twice or at import, nothing is released at
destroy, a mistake is one line naming the property as the program spells it, and the state
holds the plugin's own types and no credential.
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_flowroute import FlowrouteClient
from pulumi_flowroute.emulator import RemoteEmulator
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.cli import PulumiProject, Run
from tests.support.emulators import ServerProcess, audit_request_log, emulator_keys, writes
from tests.support.plugin import (
    copy_plugin,
    exported_resources,
    foreign_types,
    generated_code,
    prepare_plugin,
    shared,
)

pytestmark = pytest.mark.e2e
PASSPHRASE = "correct horse battery staple"
STAYS = "was removed from Pulumi but stays on your Flowroute account"
#: A number released (given back to Flowroute), as the emulator logs it.
RELEASE = re.compile(r"DELETE /v2/numbers/\d+")


@dataclass
class Account:
    """An emulator server standing for one Flowroute account: its keys, controls and a client."""

    name: str
    access_key: str
    secret_key: str
    server: ServerProcess
    control: RemoteEmulator
    client: FlowrouteClient

    @property
    def url(self) -> str:
        return self.server.url

    def numbers(self) -> set[str]:
        return {n.value for n in self.client.list_numbers()}

    def seed(self, starts_with: str, alias: str) -> str:
        """A number bought earlier, outside Pulumi; the request log starts after it."""
        number = next(self.client.search_available(starts_with=starts_with, limit=1)).value
        self.control.seed_number(number, alias=alias)
        self.control.clear_requests()
        return number

    def clear(self) -> None:
        self.control.clear_requests()


def _account(name: str, access_key: str, secret_key: str) -> Account:
    server = ServerProcess(env=emulator_keys(access_key, secret_key))
    control = RemoteEmulator(server.url, access_key=access_key, secret_key=secret_key)
    client = FlowrouteClient(access_key, secret_key, server.url)
    return Account(name, access_key, secret_key, server, control, client)


def _close(account: Account) -> None:
    audit_request_log(account.control)
    account.client.close()
    account.control.close()
    account.server.stop()


@pytest.fixture
def accounts() -> Iterator[tuple[Account, Account]]:
    """Two accounts, each an emulator server with keys of its own."""
    east = _account("east", ACCESS_KEY, SECRET_KEY)
    west = _account("west", "87654321", "w3st-Flowroute-key-for-tests")
    yield east, west
    for account in (east, west):
        _close(account)


@pytest.fixture
def account(server: ServerProcess, control: RemoteEmulator) -> Iterator[Account]:
    """The session's emulator server, a fresh account on it (``control`` audits its log)."""
    client = FlowrouteClient(ACCESS_KEY, SECRET_KEY, server.url)
    yield Account("default", ACCESS_KEY, SECRET_KEY, server, control, client)
    client.close()


@pytest.fixture(scope="session")
def prepared_plugin(tmp_path_factory: pytest.TempPathFactory, cli_bin: str) -> Path:
    """A copy of the plugin and library sources with the plugin's virtualenv: made once per run."""
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


@pytest.fixture
def plugin_dir(prepared_plugin: Path, tmp_path: Path) -> Path:
    """This test's own copy of the plugin: ``pulumi package add`` reinstalls into its venv."""
    return copy_plugin(prepared_plugin, tmp_path / "pulumi-flowroute")


def _new_project(path: Path, cli_bin: str, pulumi_yaml: dict[str, Any]) -> PulumiProject:
    path.mkdir(parents=True)
    (path / "Pulumi.yaml").write_text(yaml.safe_dump(pulumi_yaml, sort_keys=False))
    project = PulumiProject(path, cli_bin, "dev", passphrase=PASSPHRASE)
    assert project.pulumi("stack", "init", "dev").ok
    return project


def _package_add(project: PulumiProject, plugin: Path) -> Run:
    added = project.pulumi("package", "add", str(plugin), timeout=600)
    assert added.ok, added.output[-4000:]
    packages = yaml.safe_load((project.path / "Pulumi.yaml").read_text())["packages"]
    assert packages == {"flowroute": str(plugin)}
    return added


def _set(project: PulumiProject, key: str, value: str, *, secret: bool = False) -> None:
    args = ["config", "set", "--stack", project.stack, *(["--secret"] if secret else [])]
    run = project.pulumi(*args, key, value)
    assert run.ok, run.output


def _failed(project: PulumiProject, operation: str) -> str:
    run = project.op(operation)
    assert not run.ok, run.output
    assert "Traceback" not in run.output, run.output
    assert 'File "' not in run.output, run.output
    return run.output


def _outputs(project: PulumiProject) -> dict[str, Any]:
    run = project.pulumi("stack", "output", "--json", "--stack", project.stack)
    assert run.ok, run.output
    return dict(json.loads(run.output))


def _assert_plugin_state(project: PulumiProject, *accounts: Account) -> None:
    """The stack holds the plugin's types only, and none of the accounts' keys in clear."""
    text, resources = exported_resources(project)
    assert foreign_types(resources) == set()
    assert "pulumi-python:dynamic" not in text
    for account in accounts:
        assert account.secret_key not in text
        # Standing alone: a phone number may hold the same eight digits.
        assert not re.search(rf"(?<!\d){account.access_key}(?!\d)", text)
    providers = [r for r in resources if r["type"] == "pulumi:providers:flowroute"]
    assert providers
    for provider in providers:
        inputs = provider["inputs"]
        assert isinstance(inputs, dict)
        for key in ("accessKey", "secretKey"):
            assert isinstance(inputs[key], dict), f"{key} is not a secret in the state"
            assert "ciphertext" in inputs[key]


def _unchanged(output: str, count: int) -> None:
    summary = output.rpartition("Resources:")[2]
    assert f"{count} unchanged" in summary, output
    for change in ("to create", "to update", "to delete", "to replace", "created", "updated"):
        assert change not in summary, output


def _unprotect(project: PulumiProject, *resources: str) -> None:
    """``pulumi import`` marks what it adopts protected, and says to run this before a destroy
    (``resources``: ``Kind::name``)."""
    prefix = f"urn:pulumi:{project.stack}::{project.path.name}::flowroute:index:"
    urns = [prefix + resource for resource in resources]
    run = project.pulumi("state", "unprotect", "--stack", project.stack, "--yes", *urns)
    assert run.ok, run.output


# -- TypeScript -------------------------------------------------------------------------------

PACKAGE_JSON = {
    "name": "tsinfra",
    "main": "index.ts",
    "devDependencies": {"@types/node": "^20.0.0", "typescript": "^5.0.0"},
    "dependencies": {"@pulumi/pulumi": "^3.200.0"},
}
TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "outDir": "bin",
        "target": "es2020",
        "module": "commonjs",
        "moduleResolution": "node",
        "sourceMap": True,
        "experimentalDecorators": True,
        "forceConsistentCasingInFileNames": True,
    },
    "files": ["index.ts"],
}
INDEX_TS = textwrap.dedent(
    """\
    import * as pulumi from "@pulumi/pulumi";
    import * as flowroute from "@pulumi/flowroute";

    const config = new pulumi.Config();
    // One provider per account, its keys from the stack config.
    function account(name: string): flowroute.Provider {
        return new flowroute.Provider(name, {
            baseUrl: config.require(`${name}Url`),
            accessKey: config.require(`${name}AccessKey`),
            secretKey: config.requireSecret(`${name}SecretKey`),
            settleSeconds: 1,
        });
    }
    const east = account("east");
    const west = account("west");

    const pbx = new flowroute.InboundRoute("pbx", {
        routeType: "host", value: "sip.example.com:5060",
    }, { provider: east });
    const support = new flowroute.PhoneNumber("support", {
        search: { startsWith: "206" }, alias: "Support", primaryRouteId: pbx.routeId,
    }, { provider: east });
    const helpdesk = new flowroute.RoutedNumber("helpdesk", {
        search: { startsWith: "425" },
        primary: { routeType: "uri", value: "sip:help@pbx.example.com" },
        failover: { routeType: "number", value: "12065550100" },
    }, { provider: west });

    export const pbxRoute = pbx.routeId;
    export const supportNumber = support.number;
    export const helpdeskNumber = helpdesk.number;
    export const helpdeskRoutes = [helpdesk.primaryRouteId, helpdesk.failoverRouteId];
    """
)


def _npm_install(project: PulumiProject) -> None:
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefer-offline"],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_a_typescript_infra_repo_from_zero_with_two_accounts(
    tmp_path: Path, cli_bin: str, plugin_dir: Path, accounts: tuple[Account, Account]
) -> None:
    east, west = accounts
    repo = tmp_path / "tsinfra"
    project = _new_project(repo, cli_bin, {"name": "tsinfra", "runtime": "nodejs"})
    (repo / "package.json").write_text(json.dumps(PACKAGE_JSON, indent=2))
    (repo / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=2))
    _npm_install(project)
    added = _package_add(project, plugin_dir)
    assert 'import * as flowroute from "@pulumi/flowroute"' in added.output
    assert (repo / "sdks" / "flowroute" / "package.json").is_file()
    dependencies = json.loads((repo / "package.json").read_text())["dependencies"]
    assert dependencies["@pulumi/flowroute"] == "file:sdks/flowroute"
    for account in accounts:
        _set(project, f"{account.name}Url", account.url)
        _set(project, f"{account.name}AccessKey", account.access_key)
        _set(project, f"{account.name}SecretKey", account.secret_key, secret=True)
    (repo / "index.ts").write_text(INDEX_TS)

    # up: each account gets what its provider declares, and nothing of the other's.
    assert "+ 9 created" in project.ok("up")
    out = _outputs(project)
    support, helpdesk = out["supportNumber"], out["helpdeskNumber"]
    assert support.startswith("1206")
    assert helpdesk.startswith("1425")
    assert east.numbers() == {support}
    assert west.numbers() == {helpdesk}
    bought = east.client.get_number(support)
    assert (bought.alias, bought.primary_route_id) == ("Support", out["pbxRoute"])
    routed = west.client.get_number(helpdesk)
    assert [routed.primary_route_id, routed.failover_route_id] == out["helpdeskRoutes"]
    assert east.client.find_route(out["pbxRoute"]) is not None

    # A no-op preview: no change shown, no write sent to either account.
    east.clear()
    west.clear()
    _unchanged(project.ok("preview", "--diff"), 9)
    assert writes(east.control) == []
    assert writes(west.control) == []
    _assert_plugin_state(project, east, west)

    # import adopts a number bought outside Pulumi (reads it, buys nothing), and the code it
    # prints, added to index.ts, runs with no change.
    front_desk = east.seed("312", "Front desk")
    provider = "east=urn:pulumi:dev::tsinfra::pulumi:providers:flowroute::east"
    imported = project.pulumi(
        "import",
        "flowroute:index:PhoneNumber",
        "frontdesk",
        front_desk,
        "--provider",
        provider,
        "--yes",
        "--non-interactive",
        "--stack",
        "dev",
    )
    assert imported.ok, imported.output
    assert "= 1 imported" in imported.output
    code = generated_code(imported.output)
    assert 'new flowroute.PhoneNumber("frontdesk"' in code
    assert f'number: "{front_desk}"' in code
    assert "provider: east" in code
    index_ts = repo / "index.ts"
    index_ts.write_text(f"{index_ts.read_text()}\n{code}")
    _unchanged(project.ok("up"), 10)
    assert writes(east.control) == []
    assert writes(west.control) == []
    assert east.client.get_number(front_desk).alias == "Front desk"

    # refresh finds the accounts as the state has them.
    _unchanged(project.ok("refresh"), 10)
    assert writes(east.control) == []
    _assert_plugin_state(project, east, west)

    # A bad input stops the preview with one line, the property named as TypeScript spells it.
    program = index_ts.read_text()
    index_ts.write_text(program.replace('startsWith: "206"', 'startsWith: "2o6"'))
    output = _failed(project, "preview")
    mentions = [line for line in output.splitlines() if "2o6" in line]
    assert mentions, output
    for line in mentions:
        assert "search.startsWith = '2o6' is not valid: use up to 11 digits 0-9" in line
    assert "starts_with" not in output
    index_ts.write_text(program)

    # destroy forgets the numbers but keeps them on the accounts (releaseOnDelete is false),
    # and says so; the routes Pulumi made go.
    _unprotect(project, "PhoneNumber::frontdesk")
    destroy = project.ok("destroy")
    assert "- 10 deleted" in destroy
    for number in (support, helpdesk):
        assert f"{number} (bought earlier) {STAYS}" in destroy
    assert f"{front_desk} (adopted earlier) {STAYS}" in destroy
    assert "releaseOnDelete" in destroy
    assert "release_on_delete" not in destroy
    assert east.numbers() == {support, front_desk}
    assert west.numbers() == {helpdesk}
    assert not [w for w in writes(east.control) if RELEASE.fullmatch(" ".join(w))]
    assert not [w for w in writes(west.control) if RELEASE.fullmatch(" ".join(w))]
    assert east.client.find_route(out["pbxRoute"]) is None


# -- Pulumi YAML ------------------------------------------------------------------------------

YAML_RESOURCES: dict[str, Any] = {
    "pbx": {
        "type": "flowroute:index:InboundRoute",
        "properties": {"routeType": "host", "value": "sip.example.com:5060"},
    },
    "support": {
        "type": "flowroute:index:PhoneNumber",
        "properties": {
            "search": {"startsWith": "206"},
            "alias": "Support",
            "primaryRouteId": "${pbx.routeId}",
        },
    },
    "helpdesk": {
        "type": "flowroute:index:RoutedNumber",
        "properties": {
            "search": {"startsWith": "425"},
            "primary": {"routeType": "uri", "value": "sip:help@pbx.example.com"},
        },
    },
    # The fleet format, snake_case keys and all, as a stack's config or `onboard` writes it.
    "fleet": {
        "type": "flowroute:index:Fleet",
        "properties": {
            "routes": {"office": {"route_type": "host", "value": "office.example.com:5060"}},
            "numbers": {
                "sales": {"search": {"starts_with": "312"}, "alias": "Sales", "primary": "office"},
                "desk": {
                    "search": {"starts_with": "646"},
                    "primary": "office",
                    "failover": {"route_type": "number", "value": "12065550100"},
                },
            },
        },
    },
}
YAML_OUTPUTS = {
    "pbxRoute": "${pbx.routeId}",
    "support": "${support.number}",
    "helpdesk": "${helpdesk.number}",
    "fleet": "${fleet.numbers}",
}


def _program(project: PulumiProject, resources: dict[str, Any]) -> None:
    """Pulumi.yaml with ``resources`` (the ``packages:`` entry kept as package add wrote it)."""
    path = project.path / "Pulumi.yaml"
    document = yaml.safe_load(path.read_text())
    document.update(resources=resources, outputs=YAML_OUTPUTS)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def test_a_yaml_infra_repo_from_zero_with_the_default_provider(
    tmp_path: Path, cli_bin: str, plugin_dir: Path, account: Account
) -> None:
    control = account.control
    project = _new_project(
        tmp_path / "yamlinfra", cli_bin, {"name": "yamlinfra", "runtime": "yaml"}
    )
    _package_add(project, plugin_dir)
    _set(project, "flowroute:baseUrl", account.url)
    _set(project, "flowroute:accessKey", ACCESS_KEY)
    _set(project, "flowroute:secretKey", SECRET_KEY, secret=True)
    _set(project, "flowroute:settleSeconds", "1")
    _program(project, YAML_RESOURCES)

    assert "+ 11 created" in project.ok("up")
    out = _outputs(project)
    fleet = out["fleet"]
    numbers = {out["support"], out["helpdesk"], fleet["sales"]["number"], fleet["desk"]["number"]}
    assert account.numbers() == numbers
    assert account.client.get_number(out["support"]).primary_route_id == out["pbxRoute"]
    desk = account.client.get_number(fleet["desk"]["number"])
    assert [desk.primary_route_id, desk.failover_route_id] == [
        fleet["desk"]["primaryRouteId"],
        fleet["desk"]["failoverRouteId"],
    ]
    assert fleet["sales"]["primaryRouteId"] == fleet["desk"]["primaryRouteId"]
    assert account.client.get_number(fleet["sales"]["number"]).alias == "Sales"

    control.clear_requests()
    _unchanged(project.ok("preview", "--diff"), 11)
    assert writes(control) == []
    _assert_plugin_state(project, account)

    # import: a number bought and a route made outside Pulumi, read by number and by id.
    front_desk = account.seed("718", "Front desk")
    legacy = account.client.create_route("host", "legacy.example.com:5060", "Legacy PBX")
    control.clear_requests()
    wanted = [
        {"type": "flowroute:index:PhoneNumber", "name": "frontdesk", "id": front_desk},
        {"type": "flowroute:index:InboundRoute", "name": "legacy", "id": legacy.id},
    ]
    (project.path / "import.json").write_text(json.dumps({"resources": wanted}))
    imported = project.pulumi(
        "import", "--file", "import.json", "--yes", "--non-interactive", "--stack", "dev"
    )
    assert imported.ok, imported.output
    assert "= 2 imported" in imported.output
    resources = {**YAML_RESOURCES, **yaml.safe_load(generated_code(imported.output))["resources"]}
    assert resources["frontdesk"]["properties"]["number"] == front_desk
    assert resources["legacy"]["properties"]["value"] == "legacy.example.com:5060"
    _program(project, resources)
    _unchanged(project.ok("up"), 13)
    assert writes(control) == []

    _unchanged(project.ok("refresh"), 13)
    assert writes(control) == []
    _assert_plugin_state(project, account)

    # A bad input stops the preview with one line naming the properties as YAML spells them.
    bad = {
        **resources,
        "stray": {
            "type": "flowroute:index:PhoneNumber",
            "properties": {"search": {"startsWith": "206"}, "failoverRouteId": "${pbx.routeId}"},
        },
    }
    _program(project, bad)
    output = _failed(project, "preview")
    mentions = [line for line in output.splitlines() if "set primaryRouteId too" in line]
    assert mentions, output
    assert all("failoverRouteId" in line for line in mentions), output
    assert "primary_route_id" not in output
    _program(project, resources)

    _unprotect(project, "PhoneNumber::frontdesk", "InboundRoute::legacy")
    destroy = project.ok("destroy")
    assert "- 13 deleted" in destroy
    for number in numbers:
        assert f"{number} (bought earlier) {STAYS}" in destroy
    assert f"{front_desk} (adopted earlier) {STAYS}" in destroy
    assert account.numbers() == {*numbers, front_desk}
    assert not [w for w in writes(control) if RELEASE.fullmatch(" ".join(w))]


# -- Python, through the generated SDK --------------------------------------------------------

PYTHON_PROGRAM = textwrap.dedent(
    """\
    import pulumi
    import pulumi_flowroute as flowroute  # the SDK `pulumi package add` generated

    config = pulumi.Config()
    account = flowroute.Provider(
        "account",
        base_url=config.require("url"),
        access_key=config.require("accessKey"),
        secret_key=config.require_secret("secretKey"),
        settle_seconds=1,
    )
    opts = pulumi.ResourceOptions(provider=account)
    pbx = flowroute.InboundRoute(
        "pbx", route_type="host", value="sip.example.com:5060", opts=opts
    )
    support = flowroute.PhoneNumber(
        "support",
        search={"starts_with": "206"},
        alias="Support",
        primary_route_id=pbx.route_id,
        opts=opts,
    )
    helpdesk = flowroute.RoutedNumber(
        "helpdesk",
        search={"starts_with": "425"},
        primary={"route_type": "uri", "value": "sip:help@pbx.example.com"},
        opts=opts,
    )
    read = flowroute.get_number_output(
        number=support.number, opts=pulumi.InvokeOutputOptions(provider=account)
    )
    pulumi.export("pbxRoute", pbx.route_id)
    pulumi.export("support", support.number)
    pulumi.export("helpdesk", helpdesk.number)
    pulumi.export("supportRead", read.number.apply(lambda n: [n.value, n.primary_route_id]))
    """
)


def test_a_python_program_through_the_generated_sdk(
    tmp_path: Path, cli_bin: str, plugin_dir: Path, account: Account
) -> None:
    control = account.control
    runtime = {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    repo = tmp_path / "pyinfra"
    project = _new_project(repo, cli_bin, {"name": "pyinfra", "runtime": runtime})
    (repo / "requirements.txt").write_text("pulumi>=3.237,<4\n")
    added = _package_add(project, plugin_dir)
    assert "import pulumi_flowroute as flowroute" in added.output
    assert "sdks/flowroute" in (repo / "requirements.txt").read_text().splitlines()
    # The project's virtualenv holds the generated SDK under this library's import name.
    python = str(repo / "venv" / "bin" / "python")
    where = "import pulumi_flowroute as f; print(f.__file__)"
    found = subprocess.run([python, "-c", where], capture_output=True, text=True, check=True)
    module = Path(found.stdout.strip()).parent
    assert (module / "routed_number.py").is_file()
    assert not (module / "provider_base.py").exists()
    _set(project, "url", account.url)
    _set(project, "accessKey", ACCESS_KEY)
    _set(project, "secretKey", SECRET_KEY, secret=True)
    (repo / "__main__.py").write_text(PYTHON_PROGRAM)

    assert "+ 7 created" in project.ok("up")
    out = _outputs(project)
    assert account.numbers() == {out["support"], out["helpdesk"]}
    assert out["supportRead"] == [out["support"], out["pbxRoute"]]

    control.clear_requests()
    _unchanged(project.ok("preview"), 7)
    assert writes(control) == []
    _assert_plugin_state(project, account)

    destroy = project.ok("destroy")
    assert "- 7 deleted" in destroy
    for number in (out["support"], out["helpdesk"]):
        assert f"{number} (bought earlier) {STAYS}" in destroy
    assert account.numbers() == {out["support"], out["helpdesk"]}
    assert not [w for w in writes(control) if RELEASE.fullmatch(" ".join(w))]
