"""``python -m pulumi_flowroute onboard`` against an account in use, over real HTTP."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from pulumi_flowroute import errors
from pulumi_flowroute.emulator import RemoteEmulator
from pulumi_flowroute.onboard import Account, OnboardError, fleet_config, main
from pulumi_flowroute.records import EmergencyAddress, Number, Route
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.emulators import ServerProcess

FILLED = 25


@pytest.fixture(scope="module")
def account() -> Iterator[ServerProcess]:
    """An emulator server whose account is in use: 25 numbers, routes, E911, a caller name."""
    keys = {
        "FLOWROUTE_EMULATOR_ACCESS_KEY": ACCESS_KEY,
        "FLOWROUTE_EMULATOR_SECRET_KEY": SECRET_KEY,
    }
    process = ServerProcess("--fill-account", str(FILLED), env=keys)
    yield process
    process.stop()


def onboard(url: str, write: Path | None = None, secret: str = SECRET_KEY) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        access_key=ACCESS_KEY,
        secret_key=secret,
        base_url=url,
        write=write,
        project="fleet",
        out=out,
        err=err,
        env_vars={},
    )
    return code, out.getvalue(), err.getvalue()


def test_the_account_is_described_whole_every_object_adopted_with_reads_only(
    account: ServerProcess,
) -> None:
    remote = RemoteEmulator(account.url, access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    remote.clear_requests()
    code, out, err = onboard(account.url)
    assert code == 0, err
    assert {r.method for r in remote.requests()} == {"GET"}
    config = yaml.safe_load(out)["config"]
    assert set(config) == {
        "fleet:routes",
        "fleet:e911",
        "fleet:cnam",
        "fleet:messaging",
        "fleet:numbers",
    }
    routes = config["fleet:routes"]
    assert set(routes) == {"office-pbx", "on-call-cell", "support-desk"}
    assert routes["office-pbx"] == {
        "route_type": "host",
        "value": "sip.example.com:5060",
        "alias": "office-pbx",
        "adopt": True,
    }
    assert config["fleet:e911"]["seattle-office"]["adopt"] is True
    assert config["fleet:cnam"] == {"acme-support": {"value": "ACME SUPPORT", "adopt": True}}
    assert config["fleet:messaging"] == {"sms_url": "https://hooks.example.com/flowroute/sms"}
    numbers = config["fleet:numbers"]
    assert len(numbers) == FILLED
    assert all(entry["adopt"] for entry in numbers.values())
    first = numbers["line-00001"]
    assert first["alias"] == "Line 00001"
    assert first["primary"] == "office-pbx"
    assert (first["e911"], first["cnam"], first["cnam_lookups_enabled"]) == (
        "seattle-office",
        "acme-support",
        True,
    )
    assert numbers["line-00002"]["failover"] == "on-call-cell"
    assert err.splitlines()[-1] == (
        f"described {FILLED} numbers, 3 routes, 2 E911 addresses, 1 caller names"
    )
    assert SECRET_KEY not in out + err


def test_write_merges_into_the_stack_file_and_keeps_what_is_there(
    account: ServerProcess, tmp_path: Path
) -> None:
    stack = tmp_path / "Pulumi.acct.yaml"
    kept = {
        "encryptionsalt": "v1:salt",
        "config": {
            "flowroute:baseUrl": account.url,
            "fleet:numbers": {"extra": {"search": {"starts_with": "206"}, "primary": "office-pbx"}},
        },
    }
    stack.write_text(yaml.safe_dump(kept))
    code, out, _ = onboard(account.url, write=stack)
    assert code == 0
    assert out == ""
    written = yaml.safe_load(stack.read_text())
    assert written["encryptionsalt"] == "v1:salt"
    assert written["config"]["flowroute:baseUrl"] == account.url
    assert len(written["config"]["fleet:numbers"]) == FILLED + 1
    assert "extra" in written["config"]["fleet:numbers"]


@pytest.mark.parametrize(
    ("where", "secret", "said"),
    [
        ("account", "wrong-secret", "error: GET /v2/routes: HTTP 401: Unauthorized"),
        ("nowhere", SECRET_KEY, "error: "),
    ],
)
def test_a_wrong_key_or_an_unreachable_url_is_one_line_and_the_file_stays(
    account: ServerProcess, tmp_path: Path, dead_url: str, where: str, secret: str, said: str
) -> None:
    stack = tmp_path / "Pulumi.acct.yaml"
    stack.write_text("config: {}\n")
    url = account.url if where == "account" else dead_url
    code, out, err = onboard(url, write=stack, secret=secret)
    assert code == 1
    assert out == ""
    lines = [line for line in err.splitlines() if not line.startswith("read ")]
    assert len(lines) == 1, err
    assert lines[0].startswith(said), err
    assert "Traceback" not in err
    assert secret not in err.replace("wrong-secret", "")
    assert stack.read_text() == "config: {}\n"


def test_a_number_routed_to_a_route_the_account_does_not_list_is_named() -> None:
    number = Number("12065551234", None, False, "standard", None, None, primary_route_id="98999")
    with pytest.raises(OnboardError, match=r"12065551234's primary route 98999 is not among"):
        fleet_config(Account([number], {}, {}, {}, {}))


def test_a_route_behind_another_of_the_same_alias_is_named_by_id_and_noted() -> None:
    first = Route("98396", "host", "10.0.0.1", "pbx", None)
    second = Route("98397", "host", "10.0.0.2", "pbx", None)
    numbers = [
        Number("12065551234", None, False, "standard", None, None, primary_route_id="98396"),
        Number("12065551235", None, False, "standard", None, None, primary_route_id="98397"),
    ]
    config, notes = fleet_config(Account(numbers, {"98396": first, "98397": second}, {}, {}, {}))
    assert list(config["routes"]) == ["pbx"]
    assert config["numbers"]["n12065551234"]["primary"] == "pbx"
    assert config["numbers"]["n12065551235"]["primary"] == {"route_id": "98397"}
    assert notes == [
        "route 98397 shares the alias 'pbx' with route 98396: its numbers name it by id, and it"
        " is not managed (give it its own alias in the portal and onboard again to manage it)"
    ]


def test_the_command_line_prints_the_same_config(account: ServerProcess) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pulumi_flowroute", "onboard", "--project", "fleet"],
        env={
            "PATH": "/usr/bin:/bin",
            "FLOWROUTE_ACCESS_KEY": ACCESS_KEY,
            "FLOWROUTE_SECRET_KEY": SECRET_KEY,
            "FLOWROUTE_BASE_URL": account.url,
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout) == yaml.safe_load(onboard(account.url)[1])


def test_onboard_errors_are_in_the_errors_tree_and_still_importable_here() -> None:
    assert OnboardError is errors.OnboardError
    assert issubclass(OnboardError, errors.FlowrouteError)


def test_an_address_with_missing_fields_reads_as_none_and_onboards_without_them() -> None:
    address = EmergencyAddress.from_resource(
        {"id": "7", "attributes": {"label": "HQ", "city": "", "zip": None}}
    )
    assert address.label == "HQ"
    assert address.city is None
    assert address.zip is None
    account = Account([], {}, {"7": address}, {}, {})
    assert fleet_config(account)[0]["e911"] == {"hq": {"label": "HQ", "adopt": True}}
