"""Build the client a stack's settings describe, as ``requests`` mounts adapters.

An HTTP(S) base URL gets a plain :class:`FlowrouteClient`. ``emulator:PATH`` gets one whose
session has the embedded emulator's adapter mounted: the client itself only speaks HTTP and
knows nothing of the emulator, an optional extra.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import requests

from .client import CONNECT_TIMEOUT, FlowrouteClient
from .config import EmbeddedEmulator, Endpoint, Settings
from .errors import ConfigError


def connect(settings: Settings, **options: Any) -> FlowrouteClient:
    """The client for ``settings``; ``options`` go to :class:`FlowrouteClient` (e.g. ``retry``)."""
    options.setdefault("timeout", (CONNECT_TIMEOUT, settings.timeout_seconds))
    creds = settings.credentials
    endpoint = settings.endpoint
    if isinstance(endpoint, EmbeddedEmulator):
        session = options.get("session") or requests.Session()
        options["session"] = session
        url = _mount_emulator(session, endpoint.path)
        return FlowrouteClient(creds.access_key, creds.secret_key, Endpoint(url), **options)
    return FlowrouteClient(creds.access_key, creds.secret_key, endpoint, **options)


def _mount_emulator(session: requests.Session, path: str) -> str:
    # Imported here: the emulator and its dependencies are the optional `emulator` extra.
    try:
        from .emulator.transport import EMULATOR_URL, EmulatorAdapter
    except ImportError as error:
        raise ConfigError(
            f"flowroute:baseUrl 'emulator:{path}' needs the embedded emulator, which is not "
            f"installed ({error}). Install it with: pip install 'pulumi-flowroute[emulator]'"
        ) from None
    try:
        adapter = EmulatorAdapter(path)
    except sqlite3.DatabaseError as error:
        raise ConfigError(
            f"flowroute:baseUrl 'emulator:{path}': {path} cannot be the emulator's state file "
            f"({error}); name a new file, or delete this one to start a fresh emulated account"
        ) from None
    session.mount(EMULATOR_URL, adapter)
    return EMULATOR_URL
