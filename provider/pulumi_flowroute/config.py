"""Where the Flowroute API is and who we are: base URL forms and credentials.

Values come from the stack config (``flowroute:accessKey``, ``flowroute:secretKey``,
``flowroute:baseUrl``) with ``FLOWROUTE_*`` environment fallbacks. Nothing here is ever pickled
into Pulumi state: the provider builds a :class:`Settings` in ``configure()``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError

DEFAULT_BASE_URL = "https://api.flowroute.com"
EMULATOR_SCHEME = "emulator:"

CONFIG_KEYS = {
    "access_key": ("flowroute:accessKey", "FLOWROUTE_ACCESS_KEY"),
    "secret_key": ("flowroute:secretKey", "FLOWROUTE_SECRET_KEY"),
    "base_url": ("flowroute:baseUrl", "FLOWROUTE_BASE_URL"),
    "timeout": ("flowroute:timeoutSeconds", "FLOWROUTE_TIMEOUT_SECONDS"),
    "settle": ("flowroute:settleSeconds", "FLOWROUTE_SETTLE_SECONDS"),
}
DEFAULT_TIMEOUT_SECONDS = 30.0
# How long a write whose answer was lost may take to show in a read before we call it absent.
DEFAULT_SETTLE_SECONDS = 30.0


@dataclass(frozen=True)
class Endpoint:
    """An HTTP(S) root the client may send credentials to: https, or http on loopback."""

    url: str

    @property
    def plain_http(self) -> bool:
        """Unencrypted: allowed to loopback only (``parse_base_url`` checked that)."""
        return self.url.startswith("http://")


@dataclass(frozen=True)
class EmbeddedEmulator:
    """``emulator:PATH``: the emulator in this process, its state in the SQLite file at PATH."""

    path: str


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# The first bytes of every SQLite 3 database, and the table the emulator creates first (its
# seed and balance): a database without it, but with tables, is some other program's.
SQLITE_HEADER = b"SQLite format 3\x00"
EMULATOR_TABLE = "meta"


def _not_an_emulator_database(path: str) -> str | None:
    """Why the file at ``path`` cannot be the emulator's state, or None: it is one, or it is
    not there yet or empty (the emulator makes a new account in it). Reads only."""
    if not os.path.lexists(path):
        return None
    if os.path.isdir(path):
        return "it is a directory"
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        return f"it cannot be read: {error.strerror or error}"
    if not header:
        return None
    if header != SQLITE_HEADER:
        return "it is not a SQLite database"
    try:
        with contextlib.closing(
            sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        ) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    except sqlite3.Error:
        return None  # busy or locked: the emulator, which waits, will tell
    if tables and EMULATOR_TABLE not in tables:
        return "it is a SQLite database of something else (none of the emulator's tables)"
    return None


def check_emulator_file(value: str, path: str) -> None:
    """Refuse ``emulator:PATH`` naming a file the emulator cannot keep its account in, so that
    preview stops with one line (the emulator itself would only fail at the first request)."""
    why = _not_an_emulator_database(path)
    if why:
        raise ConfigError(
            f"flowroute:baseUrl {value!r} names {path}, which cannot be the emulator's state "
            f"file: {why}. Name a new file (the emulator creates it, e.g. "
            "'emulator:.pulumi/flowroute-dev.db') or the one an emulator made"
        )


def parse_base_url(value: str) -> Endpoint | EmbeddedEmulator:
    """Accept the three base URL forms of the design and reject everything else.

    ``https://host`` (the real API), ``http://127.0.0.1:PORT`` (an emulator server on loopback)
    and ``emulator:PATH`` (the embedded emulator with its state in a SQLite file).
    """
    text = value.strip()
    if text.startswith(EMULATOR_SCHEME):
        path = text[len(EMULATOR_SCHEME) :]
        if not path:
            raise ConfigError(
                f"flowroute:baseUrl {value!r} names no state file; "
                "use e.g. 'emulator:.pulumi/flowroute-dev.db'"
            )
        if not os.path.isabs(path) and os.path.normpath(path).split(os.sep)[0] == os.pardir:
            raise ConfigError(
                f"flowroute:baseUrl {value!r} puts the emulator's state file outside the "
                "project; use a path inside it (e.g. 'emulator:.pulumi/flowroute-dev.db') or "
                "an absolute path"
            )
        check_emulator_file(value, path)
        return EmbeddedEmulator(path)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"flowroute:baseUrl {value!r} is not a URL this provider understands; use "
            "'https://api.flowroute.com', 'http://127.0.0.1:PORT' or 'emulator:PATH'"
        )
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port is not None and not 1 <= port <= 65535:
        raise ConfigError(
            f"flowroute:baseUrl {value!r} has no usable port; use one from 1 to 65535, or none "
            "(https uses 443)"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"flowroute:baseUrl {value!r} would send credentials unencrypted to "
            f"{parts.hostname}; use https, or plain http only to 127.0.0.1 / localhost"
        )
    path = parts.path.rstrip("/")
    if path.endswith("/v2"):
        # The official SDKs and our client both append /v2: accept a base that already has it.
        path = path[: -len("/v2")]
    return Endpoint(url=f"{parts.scheme}://{parts.netloc}{path}")


@dataclass(frozen=True)
class Credentials:
    """An access key / secret key pair whose values never appear in ``repr`` or ``str``."""

    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)

    def __repr__(self) -> str:
        return "Credentials(access_key=***, secret_key=***)"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    """Everything a client needs, resolved from stack config and environment."""

    credentials: Credentials
    endpoint: Endpoint | EmbeddedEmulator
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    settle_seconds: float = DEFAULT_SETTLE_SECONDS


def read_config(get: Callable[[str], Any]) -> dict[str, str]:
    """The ``flowroute:*`` values a stack config holds, given its lookup by namespaced key."""
    found = {}
    for key, _env in CONFIG_KEYS.values():
        value = get(key)
        if value is not None:
            found[key] = str(value)
    return found


def _lookup(config: Mapping[str, str], env_vars: Mapping[str, str], name: str) -> str | None:
    key, env = CONFIG_KEYS[name]
    value = config.get(key) or env_vars.get(env)
    return value.strip() if value and value.strip() else None


def resolve_settings(
    config: Mapping[str, str], env_vars: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from stack config, falling back to ``FLOWROUTE_*`` environment variables.

    The embedded emulator needs no real credentials, so it gets placeholder ones when none are
    configured; every other endpoint requires both keys.
    """
    env = os.environ if env_vars is None else env_vars
    endpoint = parse_base_url(_lookup(config, env, "base_url") or DEFAULT_BASE_URL)
    access_key = _lookup(config, env, "access_key")
    secret_key = _lookup(config, env, "secret_key")
    if isinstance(endpoint, EmbeddedEmulator):
        access_key = access_key or "emulator"
        secret_key = secret_key or "emulator"
    missing = [
        f"{CONFIG_KEYS[name][0]} (or {CONFIG_KEYS[name][1]})"
        for name, val in (("access_key", access_key), ("secret_key", secret_key))
        if not val
    ]
    if missing or access_key is None or secret_key is None:
        raise ConfigError(
            "Flowroute credentials are missing: set "
            + " and ".join(missing)
            + ", e.g. `pulumi config set flowroute:accessKey 12345678` and "
            "`pulumi config set --secret flowroute:secretKey ...`"
        )
    return Settings(
        Credentials(access_key, secret_key),
        endpoint,
        timeout_seconds=_seconds(config, env, "timeout", DEFAULT_TIMEOUT_SECONDS),
        settle_seconds=_seconds(config, env, "settle", DEFAULT_SETTLE_SECONDS),
    )


def _seconds(
    config: Mapping[str, str], env_vars: Mapping[str, str], name: str, default: float
) -> float:
    raw = _lookup(config, env_vars, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        key, env = CONFIG_KEYS[name]
        raise ConfigError(
            f"{key} (or {env}) = {raw!r} is not a number of seconds; use one between 0 and 3600, "
            f"e.g. `pulumi config set {key} {default:g}`"
        )
    return value
