"""The README's recipe for testing your own Pulumi program runs as written: its program and its
test, copied out of "Using the emulator in your own tests", pass under pytest in a directory of
their own, with the library this test run imports."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pulumi_flowroute

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Using the emulator in your own tests"


def recipe() -> dict[str, str]:
    """The section's Python blocks that open with ``# <file name>:``, by file name."""
    text = README.read_text()
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", len(SECTION))]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    files = {}
    for block in blocks:
        named = re.match(r"# (\w+\.py):", block)
        if named:
            files[named.group(1)] = block
    return files


def test_the_program_testing_recipe_runs_as_written(tmp_path: Path) -> None:
    files = recipe()
    assert set(files) == {"infra.py", "test_infra.py"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    library = str(Path(pulumi_flowroute.__file__).resolve().parent.parent)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_infra.py"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([library, str(tmp_path)])},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
