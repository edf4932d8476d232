"""``flowroute:baseUrl: emulator:PATH`` naming a file the emulator cannot keep an account in
stops with the settings, at preview, in one line (#30 item 7); a new, empty or emulator-made
file is taken."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pulumi_flowroute import connect
from pulumi_flowroute.config import EmbeddedEmulator, parse_base_url, resolve_settings
from pulumi_flowroute.emulator import FlowrouteBackend
from pulumi_flowroute.errors import ConfigError
from tests.support.cli import PulumiProject
from tests.support.dev_stack import edit_config


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        resolve_settings({"flowroute:baseUrl": f"emulator:{path}"}, {})
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_file_that_is_not_sqlite_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("meeting notes\n" * 100)
    assert refusal(notes) == (
        f"flowroute:baseUrl 'emulator:{notes}' names {notes}, which cannot be the emulator's "
        "state file: it is not a SQLite database. Name a new file (the emulator creates it, "
        "e.g. 'emulator:.pulumi/flowroute-dev.db') or the one an emulator made"
    )
    assert notes.read_text() == "meeting notes\n" * 100


def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE users (id INTEGER)")
    before = other.read_bytes()
    assert "it is a SQLite database of something else" in refusal(other)
    assert other.read_bytes() == before


def test_a_directory_is_refused(tmp_path: Path) -> None:
    assert "it is a directory" in refusal(tmp_path)


def test_a_new_an_empty_and_an_emulator_made_file_are_taken(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    made = tmp_path / "made.db"
    FlowrouteBackend(str(made)).close()
    for path in (tmp_path / "new" / "account.db", empty, made):
        assert parse_base_url(f"emulator:{path}") == EmbeddedEmulator(str(path))
    assert not (tmp_path / "new").exists()  # checking it made nothing


def test_a_corrupt_database_is_still_named_when_the_emulator_opens_it(tmp_path: Path) -> None:
    """A SQLite header over garbage passes the cheap check; the emulator's open names it."""
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    settings = resolve_settings({"flowroute:baseUrl": f"emulator:{corrupt}"}, {})
    with pytest.raises(ConfigError, match="cannot be the emulator's state file"):
        connect(settings)


@pytest.mark.e2e
def test_preview_stops_with_one_line_and_nothing_registered(project: PulumiProject) -> None:
    (project.path / "notes.txt").write_text("meeting notes\n")
    edit_config(project, **{"flowroute:baseUrl": "emulator:notes.txt"})
    preview = project.op("preview")
    assert not preview.ok
    assert (
        "error: flowroute:baseUrl 'emulator:notes.txt' names notes.txt, which cannot be the "
        "emulator's state file: it is not a SQLite database." in preview.output
    )
    assert preview.tracebacks == 0
    assert "dynamic/flowroute:" not in preview.output  # no Flowroute resource registered
