"""The test credentials, and the audit that keeps them out of everything a user can read.

Every test's captured output and failure text, every emulator request log a fixture hands
out, every state file the runner writes and every CLI run's output are searched for the
secret key, for the Basic-auth token, and for the access key standing alone.
"""

from __future__ import annotations

import base64
import re

ACCESS_KEY = "81234567"
SECRET_KEY = "s3cr3t-Flowroute-key-for-tests"

_BASIC = base64.b64encode(f"{ACCESS_KEY}:{SECRET_KEY}".encode()).decode()
# The access key is eight digits, so only a standalone run counts: phone numbers contain
# eight-digit runs of their own.
_PATTERN = re.compile(
    "|".join([re.escape(SECRET_KEY), re.escape(_BASIC), rf"(?<!\d){ACCESS_KEY}(?!\d)"])
)


def leaks(text: str) -> list[str]:
    """Which credentials (named, never quoted) appear in ``text``."""
    names = {SECRET_KEY: "the secret key", _BASIC: "the Basic-auth token"}
    return sorted({names.get(m.group(0), "the access key") for m in _PATTERN.finditer(text)})


def assert_no_secrets(text: str, where: str) -> None:
    found = leaks(text)
    assert not found, f"{' and '.join(found)} appeared in {where}"
