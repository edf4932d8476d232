"""How ``split`` divides a stack-config fleet into stacks, without running them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_flowroute import split
from pulumi_flowroute.split import (
    Outcome,
    SplitError,
    confirmation,
    plan,
    shard_numbers,
    summary,
    write_stack_file,
)
from pulumi_flowroute.stackfiles import Project


def project_with(tmp_path: Path, numbers: dict[str, Any], **extra: Any) -> Project:
    (tmp_path / "Pulumi.yaml").write_text("name: fleet\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir(exist_ok=True)
    config = {
        "flowroute:baseUrl": "http://127.0.0.1:1",
        "fleet:routes": {"pbx": {"route_type": "host", "value": "sip.example.com"}},
        "fleet:numbers": numbers,
    }
    document = {"encryptionsalt": "v1:salt", "config": config, **extra}
    (tmp_path / "stacks" / "Pulumi.big.yaml").write_text(yaml.safe_dump(document))
    return Project.load(tmp_path)


def entries(count: int, start: int = 0) -> dict[str, Any]:
    return {
        f"n{i:02d}": {"search": {"starts_with": "206"}, "primary": "pbx"}
        for i in range(start, start + count)
    }


def test_entries_fill_stacks_of_at_most_per_stack_in_order(tmp_path: Path) -> None:
    result = plan(project_with(tmp_path, entries(7)), "big", 3)
    assert {stack: list(e) for stack, e in result.shards.items()} == {
        "big-001": ["n00", "n01", "n02"],
        "big-002": ["n03", "n04", "n05"],
        "big-003": ["n06"],
    }
    assert result.shared == {"routes": {"pbx": {"route_type": "host", "value": "sip.example.com"}}}
    assert result.settings == {"flowroute:baseUrl": "http://127.0.0.1:1"}
    assert result.secrets == {"encryptionsalt": "v1:salt"}


def test_an_entry_stays_in_its_stack_when_others_come_and_go(tmp_path: Path) -> None:
    project = project_with(tmp_path, entries(5))
    first = plan(project, "big", 3)
    for stack, held in first.shards.items():
        write_stack_file(project, stack, first, {"numbers": held})
    # n01 removed, three new entries: n01's place is filled first, n04 never moves.
    numbers = {k: v for k, v in entries(8).items() if k != "n01"}
    project = project_with(tmp_path, numbers)
    second = plan(project, "big", 3)
    assert {stack: list(e) for stack, e in second.shards.items()} == {
        "big-001": ["n00", "n02", "n05"],
        "big-002": ["n03", "n04", "n06"],
        "big-003": ["n07"],
    }


def test_a_generated_stack_file_says_where_to_edit_and_keeps_the_secrets_salt(
    tmp_path: Path,
) -> None:
    project = project_with(tmp_path, entries(1))
    result = plan(project, "big", 10)
    write_stack_file(project, "big-001", result, {"numbers": {"n00": {"number": "12065551234"}}})
    text = (tmp_path / "stacks" / "Pulumi.big-001.yaml").read_text()
    assert text.startswith("# Written by `python -m pulumi_flowroute split` from Pulumi.big.yaml")
    assert yaml.safe_load(text) == {
        "encryptionsalt": "v1:salt",
        "config": {
            "flowroute:baseUrl": "http://127.0.0.1:1",
            "fleet:numbers": {"n00": {"number": "12065551234"}},
        },
    }


def test_shared_routes_and_addresses_are_named_by_the_shared_stacks_ids() -> None:
    outputs = {"routes": {"pbx": "98396"}, "e911": {"office": "20155"}}
    given = {
        "a": {
            "number": "12065551234",
            "primary": "pbx",
            "failover": {"route_id": "7"},
            "e911": "office",
        },
        "b": {"number": "12065551235", "primary": {"route_type": "number", "value": "12065550100"}},
    }
    assert shard_numbers(given, outputs) == {
        "a": {
            "number": "12065551234",
            "primary": {"route_id": "98396"},
            "failover": {"route_id": "7"},
            "e911": {"e911_id": "20155"},
        },
        "b": given["b"],
    }


def test_a_name_the_shared_stack_lacks_is_named_with_its_entry() -> None:
    with pytest.raises(SplitError, match=r"numbers\.a\.primary = 'pbx': the shared stack has no"):
        shard_numbers({"a": {"primary": "pbx"}}, {"routes": {}})


@pytest.mark.parametrize(
    ("per_stack", "source", "message"),
    [
        (0, "big", "--per-stack 0: give a positive number"),
        (5, "small", "no stack file .*Pulumi.small.yaml"),
    ],
)
def test_a_split_that_cannot_start_says_why(
    tmp_path: Path, per_stack: int, source: str, message: str
) -> None:
    with pytest.raises(SplitError, match=message):
        plan(project_with(tmp_path, entries(1)), source, per_stack)


def test_the_summary_has_a_row_per_stack_and_the_totals() -> None:
    text = summary(
        [
            Outcome("big-shared", 0, True, 2.0, {"create": 3}),
            Outcome("big-001", 500, True, 40.5, {"create": 502}),
            Outcome("big-002", 20, False, 3.25, error="boom"),
        ],
        44.0,
    )
    lines = text.splitlines()
    assert lines[0].split() == ["stack", "numbers", "result", "changes", "seconds", "note"]
    assert lines[2].split() == ["big-001", "500", "ok", "502", "create", "40.5"]
    assert lines[1].split() == ["big-shared", "-", "ok", "3", "create", "2.0"]
    assert lines[3].split() == ["big-002", "20", "FAILED", "nothing", "3.2", "boom"]
    assert lines[4].split() == ["total", "520", "1", "failed", "3", "stacks", "44.0"]


def test_a_summary_without_a_note_has_no_note_column_and_a_long_note_is_cut() -> None:
    quiet = summary([Outcome("big-shared", 0, True, 2.0, {"same": 6})], 2.0)
    assert quiet.splitlines()[0].split() == ["stack", "numbers", "result", "changes", "seconds"]
    noisy = summary([Outcome("big-001", 3, False, 1.0, error="x" * 500)], 1.0)
    note = noisy.splitlines()[1].split()[-1]
    assert len(note) == split.NOTE_LIMIT
    assert note.endswith("…")
    fresh = summary([Outcome("big-002", 3, True, 0.0, new=True, note="`split up` creates it")], 0)
    assert fresh.splitlines()[1].split()[:3] == ["big-002", "3", "new"]


def test_destroy_goes_ahead_with_yes_or_pulumis_own_skip_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(split, "interactive", lambda: False)
    monkeypatch.delenv("PULUMI_SKIP_CONFIRMATIONS", raising=False)
    assert confirmation(True)(["big-001", "big-shared"])
    monkeypatch.setenv("PULUMI_SKIP_CONFIRMATIONS", "true")
    assert confirmation(False)(["big-001", "big-shared"])


def test_destroy_off_a_terminal_without_yes_stops_before_anything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(split, "interactive", lambda: False)
    monkeypatch.delenv("PULUMI_SKIP_CONFIRMATIONS", raising=False)
    with pytest.raises(SplitError) as refused:
        confirmation(False)(["big-001", "big-shared"])
    assert str(refused.value) == (
        "split destroy deletes every resource of 2 stacks (big-001, big-shared): pass --yes to "
        "confirm (no terminal to ask on)"
    )


@pytest.mark.parametrize(
    ("answer", "goes_ahead"), [("yes", True), ("y\n", True), ("no", False), ("", False)]
)
def test_destroy_on_a_terminal_asks_and_only_yes_goes_ahead(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
    goes_ahead: bool,
) -> None:
    monkeypatch.setattr(split, "interactive", lambda: True)
    monkeypatch.delenv("PULUMI_SKIP_CONFIRMATIONS", raising=False)
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return answer

    assert confirmation(False, ask)(["big-001", "big-shared"]) is goes_ahead
    assert asked == ["Do you want to perform this destroy? Type yes to go on: "]
    assert (
        "This destroys every resource of 2 stacks: big-001, big-shared." in capsys.readouterr().err
    )


@pytest.mark.parametrize("stop", [EOFError, KeyboardInterrupt])
def test_a_destroy_prompt_closed_or_interrupted_is_a_no(
    monkeypatch: pytest.MonkeyPatch, stop: type[BaseException]
) -> None:
    monkeypatch.setattr(split, "interactive", lambda: True)
    monkeypatch.delenv("PULUMI_SKIP_CONFIRMATIONS", raising=False)

    def closed(_prompt: str) -> str:
        raise stop

    assert confirmation(False, closed)(["big-001"]) is False


def test_a_project_without_pulumi_yaml_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert split.main("up", "big", 5, 1, tmp_path) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: {tmp_path} has no Pulumi.yaml: run from the project directory\n"


def test_without_the_cli_on_path_split_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project_with(tmp_path, entries(2))
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    assert split.main("up", "big", 5, 1, tmp_path) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the Pulumi CLI (`pulumi`) is not on PATH: install it (https://")
    assert len(err.splitlines()) == 1
    # Nothing was written: the shared stack's file comes with the first stack that runs.
    assert sorted(p.name for p in (tmp_path / "stacks").iterdir()) == ["Pulumi.big.yaml"]
