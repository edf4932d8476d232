"""A Pulumi project's files as the library's commands (``split``, ``onboard``) read and write
them: the project's name and stack-file directory, and stack files replaced atomically."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Project:
    """A Pulumi project directory: its name (the config namespace) and where its stack files
    live (``stackConfigDir``)."""

    directory: Path
    name: str
    config_dir: Path

    @classmethod
    def load(cls, directory: Path) -> Project:
        """The project in ``directory``; FileNotFoundError when it has no ``Pulumi.yaml``."""
        path = directory / "Pulumi.yaml"
        if not path.is_file():
            raise FileNotFoundError(f"{directory} has no Pulumi.yaml")
        settings = yaml.safe_load(path.read_text()) or {}
        config_dir = directory / settings.get("stackConfigDir", ".")
        return cls(directory, str(settings["name"]), config_dir)

    def stack_file(self, stack: str) -> Path:
        return self.config_dir / f"Pulumi.{stack}.yaml"

    def key(self, name: str) -> str:
        """A config key in the project's namespace."""
        return f"{self.name}:{name}"


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step: a reader sees the old file or the new one,
    and a failure leaves the old one."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
