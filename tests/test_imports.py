"""``pulumi import`` of a dynamic resource: the SDK's ``KeyError: '__provider'`` becomes one line
for the library's types (tests/test_e2e_import.py runs it under plain ``pulumi``), and the
``.pth`` the wheel installs sets that up in the SDK's provider server process only."""

from __future__ import annotations

import ast
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace, TracebackType

import pytest

from pulumi_flowroute.imports import refused_import
from pulumi_flowroute.provider_base import report_errors_plainly

ROOT = Path(__file__).resolve().parent.parent
URN = "urn:pulumi:prod::infra::pulumi-python:dynamic/flowroute:{kind}::front"


def Read(request: object) -> None:
    """What the SDK's server does on an import: the provider code from empty properties."""
    props: dict[str, str] = {}
    props["__provider"]  # the KeyError


def failed_read(urn: str, id_: str = "12065551234") -> tuple[BaseException, TracebackType | None]:
    try:
        Read(SimpleNamespace(urn=urn, id=id_))
    except KeyError as error:
        return error, error.__traceback__
    raise AssertionError("Read did not fail")


def test_an_import_of_a_phone_number_is_answered_in_one_line() -> None:
    error, trace = failed_read(URN.format(kind="PhoneNumber"))
    line = refused_import(error, trace)
    assert line is not None
    assert "\n" not in line
    assert "PhoneNumber 'front'" in line
    assert 'PhoneNumber("front", number="12065551234", adopt=True)' in line
    assert "python -m pulumi_flowroute onboard" in line
    assert "pulumi import flowroute:index:PhoneNumber front 12065551234" in line


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("InboundRoute", "InboundRoute(..., alias=<its alias>, adopt=True)"),
        ("E911Address", "adopt=True"),
        ("NumberRouting", "takes over what it finds"),
        ("StackClaim", "the library declares its StackClaim itself"),
    ],
)
def test_each_kind_is_told_how_to_take_it_over(kind: str, says: str) -> None:
    error, trace = failed_read(URN.format(kind=kind), "98396")
    line = refused_import(error, trace)
    assert line is not None
    assert says in line
    assert ("flowroute:index:" in line) is (kind != "StackClaim")


def test_a_nested_resource_and_a_hostile_id_stay_one_printable_line() -> None:
    urn = (
        "urn:pulumi:prod::infra::flowroute:index:RoutedNumber"
        "$pulumi-python:dynamic/flowroute:PhoneNumber::x"
    )
    error, trace = failed_read(urn, "1206\x1b[2J\n5551234")
    line = refused_import(error, trace)
    assert line is not None
    assert "\n" not in line
    assert "\x1b" not in line


@pytest.mark.parametrize(
    "urn",
    [
        "urn:pulumi:prod::infra::pulumi-python:dynamic:Resource::theirs",  # another package's
        "urn:pulumi:prod::infra::pulumi-python:dynamic/other:Thing::theirs",
        "not a urn",
    ],
)
def test_another_dynamic_resource_keeps_the_sdk_traceback(urn: str) -> None:
    error, trace = failed_read(urn)
    assert refused_import(error, trace) is None


def test_any_other_error_keeps_its_traceback() -> None:
    empty: dict[str, str] = {}
    with pytest.raises(KeyError) as failed:
        empty["other"]  # the KeyError
    assert refused_import(failed.value, failed.tb) is None


@pytest.fixture
def plain_format_exc() -> Iterator[None]:
    original = traceback.format_exc
    report_errors_plainly()
    yield
    traceback.format_exc = original


@pytest.mark.usefixtures("plain_format_exc")
def test_the_server_s_format_exc_gives_the_line() -> None:
    try:
        Read(SimpleNamespace(urn=URN.format(kind="PhoneNumber"), id="12065551234"))
    except KeyError:
        shown = traceback.format_exc()
    assert shown.count("\n") == 1
    assert shown.startswith("pulumi import cannot import the dynamic resource PhoneNumber")


def pth_line() -> str:
    """The line setup.py writes into the wheel's pulumi_flowroute-dynamic.pth."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "LINE":
            return str(ast.literal_eval(node.value))
    raise AssertionError("setup.py has no LINE")


@pytest.mark.parametrize(("argv", "plain"), [(["pulumi.dynamic"], True), (["other"], False)])
def test_the_pth_line_sets_it_up_in_the_provider_server_only(argv: list[str], plain: bool) -> None:
    line = pth_line()
    assert line.startswith("import ")  # Python runs only such lines of a .pth
    assert line.count("\n") == 1
    probe = "import traceback; print(getattr(traceback.format_exc, 'flowroute_plain', False))"
    done = subprocess.run(
        [sys.executable, "-c", f"{line.strip()}\n{probe}", *argv],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == str(plain)
    assert done.stderr == ""
