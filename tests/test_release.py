"""Releases: one version (pyproject.toml) that the package, the changelog's latest release and
the README's install lines agree on, and a release workflow that parses and does what it says
(its version check and its notes run here as the workflow runs them)."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import pulumi_flowroute

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
CHANGELOG = ROOT / "CHANGELOG.md"
RELEASE = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", re.M)
KINDS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the lowest Python reads the one line it needs
    tomllib = None


def pyproject_version() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    if tomllib is not None:
        return str(tomllib.loads(text)["project"]["version"])
    found = re.search(r'^version = "([^"]+)"$', text, re.M)
    assert found
    return found.group(1)


def workflow() -> dict[Any, Any]:
    document = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(document, dict)
    return document


def steps() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = workflow()["jobs"]["release"]["steps"]
    return found


def run_step(name: str) -> dict[str, Any]:
    [step] = [s for s in steps() if s.get("name", "").startswith(name)]
    return step


def test_the_package_says_the_version_pyproject_gives_and_nothing_else_writes_it() -> None:
    version = pyproject_version()
    assert importlib.metadata.version("pulumi-flowroute") == version
    assert pulumi_flowroute.__version__ == version
    # Written once: no module spells it out.
    for module in (ROOT / "provider" / "pulumi_flowroute").rglob("*.py"):
        assert f'"{version}"' not in module.read_text(), module


def test_the_changelog_keeps_a_changelog_and_its_latest_release_is_the_version() -> None:
    text = CHANGELOG.read_text()
    assert text.startswith("# Changelog\n")
    assert "keepachangelog.com" in text
    headings = re.findall(r"^## (.*)$", text, re.M)
    assert headings[0] == "[Unreleased]"
    releases = RELEASE.findall(text)
    assert [f"[{v}] - {d}" for v, d in releases] == headings[1:]
    assert releases[0][0] == pyproject_version()
    versions = [tuple(int(part) for part in v.split(".")) for v, _ in releases]
    assert versions == sorted(versions, reverse=True)
    dates = [d for _, d in releases]
    assert dates == sorted(dates, reverse=True)
    assert set(re.findall(r"^### (.*)$", text, re.M)) <= set(KINDS)


def test_the_readme_installs_the_released_version() -> None:
    readme = (ROOT / "README.md").read_text()
    version = pyproject_version()
    wheels = re.findall(r"pulumi_flowroute-(\d+\.\d+\.\d+)-py3-none-any\.whl", readme)
    tags = re.findall(r"pulumi-flowroute(?:/plugin)?@v(\d+\.\d+\.\d+)", readme)
    assert wheels
    assert tags
    assert set(wheels) | set(tags) == {version}
    # No install line left with a placeholder for what to install.
    assert not re.search(r'pip install "[^"]* @ \.\.\."', readme)


def test_the_release_workflow_builds_both_and_attaches_them_to_the_tag() -> None:
    document = workflow()
    # YAML 1.1 reads the key `on` as True.
    assert document[True] == {"push": {"tags": ["v*"]}}
    assert document["permissions"] == {"contents": "write"}
    uses = [s["uses"] for s in steps() if "uses" in s]
    assert uses == ["actions/checkout@v4", "actions/setup-python@v5"]
    build = run_step("Build")["run"]
    assert "python -m build --outdir dist ." in build
    attach = run_step("Attach")
    assert attach["run"].startswith('gh release create "$GITHUB_REF_NAME" dist/*')
    assert "--verify-tag" in attach["run"]
    assert attach["env"] == {"GH_TOKEN": "${{ github.token }}"}


@pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="the workflow's step reads pyproject.toml with tomllib (3.11+), on the Python the "
    "workflow sets up; the compat run's 3.10 has none",
)
@pytest.mark.parametrize("tag", ["current", "v9.9.9", "0.3.0"])
def test_the_workflow_releases_only_a_tag_equal_to_the_version(tmp_path: Path, tag: str) -> None:
    version = pyproject_version()
    ref = f"v{version}" if tag == "current" else tag
    script = run_step("The tag is the package's version")["run"]
    output = tmp_path / "github_output"
    # In a copy of what the step reads, as a checkout of the tag has it.
    for name in ("pyproject.toml", "CHANGELOG.md"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env={
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "GITHUB_REF_NAME": ref,
            "GITHUB_OUTPUT": str(output),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    if tag == "current":
        assert done.returncode == 0, done.stderr
        assert output.read_text() == f"version={version}\n"
        latest = CHANGELOG.read_text().split(f"## [{version}]", 1)[1].split("\n## [", 1)[0]
        notes = (tmp_path / "release-notes.md").read_text()
        assert notes.strip() == latest.split("\n", 1)[1].strip()
    else:
        assert done.returncode == 1
        assert f"::error::tag {ref} is not v{version}" in done.stdout
