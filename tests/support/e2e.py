"""What a test run makes of the end-to-end tests' environment: without the Pulumi CLI and its
language hosts they are skipped on a developer's machine (one line says why) and fail in CI,
where a run that skipped them all would report green having proved nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from tests.support.cli import CliUnavailable


def cli_or_skip(provide: Callable[[], str], environ: Mapping[str, str]) -> str:
    """``provide()``'s CLI directory; a skip when it is simply not installed, unless ``CI`` is
    set in ``environ``; a failure whenever it could not be provided for another reason."""
    try:
        return provide()
    except CliUnavailable as missing:
        if missing.not_installed and not environ.get("CI"):
            pytest.skip("the Pulumi CLI is not installed and there is no Go to build it")
        pytest.fail(f"the Pulumi CLI could not be provided:\n{missing}")
