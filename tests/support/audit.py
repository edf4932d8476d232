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
_SECRETS = [re.escape(SECRET_KEY), re.escape(_BASIC)]
_PATTERN = re.compile("|".join([*_SECRETS, rf"(?<!\d){ACCESS_KEY}(?!\d)"]))
_SECRETS_ONLY = re.compile("|".join(_SECRETS))


def leaks(text: str, *, access_key: bool = True) -> list[str]:
    """Which credentials (named, never quoted) appear in ``text``.

    ``access_key=False`` looks for the secret ones only: Pulumi itself records plain stack
    config (an access key set without ``--secret``) in the state it exports.
    """
    names = {SECRET_KEY: "the secret key", _BASIC: "the Basic-auth token"}
    pattern = _PATTERN if access_key else _SECRETS_ONLY
    return sorted({names.get(m.group(0), "the access key") for m in pattern.finditer(text)})


def assert_no_secrets(text: str, where: str, *, access_key: bool = True) -> None:
    found = leaks(text, access_key=access_key)
    assert not found, f"{' and '.join(found)} appeared in {where}"
