"""Base URL forms, credentials resolution, and keeping secrets out of text."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_flowroute.config import (
    Credentials,
    EmbeddedEmulator,
    Endpoint,
    parse_base_url,
    resolve_settings,
)
from pulumi_flowroute.errors import ConfigError


@pytest.mark.parametrize(
    ("given", "parsed"),
    [
        ("https://api.flowroute.com", Endpoint("https://api.flowroute.com")),
        ("https://api.flowroute.com/v2/", Endpoint("https://api.flowroute.com")),
        ("http://127.0.0.1:8080", Endpoint("http://127.0.0.1:8080")),
        ("http://localhost:9000/", Endpoint("http://localhost:9000")),
        ("http://[::1]:9000", Endpoint("http://[::1]:9000")),
        ("emulator:.state/flowroute.db", EmbeddedEmulator(".state/flowroute.db")),
        ("emulator:state/../flowroute.db", EmbeddedEmulator("state/../flowroute.db")),
        ("emulator:/var/tmp/flowroute.db", EmbeddedEmulator("/var/tmp/flowroute.db")),
    ],
)
def test_accepted_base_urls(given: str, parsed: Endpoint | EmbeddedEmulator) -> None:
    assert parse_base_url(given) == parsed


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("http://api.flowroute.com", "unencrypted"),
        ("http://10.0.0.8:8080", "unencrypted"),
        ("ftp://api.flowroute.com", "not a URL"),
        ("api.flowroute.com", "not a URL"),
        ("emulator:", "names no state file"),
        ("emulator:../../anywhere.db", "outside the project"),
        ("emulator:state/../../up.db", "outside the project"),
        ("http://127.0.0.1:99999", "no usable port"),
        ("https://api.flowroute.com:0", "no usable port"),
        ("http://127.0.0.1:port", "no usable port"),
    ],
)
def test_refused_base_urls(given: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_base_url(given)
    assert given in str(caught.value)


def test_stack_config_wins_over_environment() -> None:
    settings = resolve_settings(
        {"flowroute:accessKey": "111", "flowroute:secretKey": "cfg-secret"},
        {
            "FLOWROUTE_ACCESS_KEY": "222",
            "FLOWROUTE_SECRET_KEY": "env-secret",
            "FLOWROUTE_BASE_URL": "http://127.0.0.1:1234",
        },
    )
    assert settings.credentials.access_key == "111"
    assert settings.credentials.secret_key == "cfg-secret"
    assert settings.endpoint == Endpoint("http://127.0.0.1:1234")


def test_missing_credentials_name_both_keys() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_settings({"flowroute:accessKey": "111"}, {})
    assert "flowroute:secretKey" in str(caught.value)
    assert "FLOWROUTE_SECRET_KEY" in str(caught.value)


def test_embedded_emulator_needs_no_credentials() -> None:
    settings = resolve_settings({"flowroute:baseUrl": "emulator:dev.db"}, {})
    assert settings.endpoint == EmbeddedEmulator("dev.db")


def test_credentials_hidden_from_repr() -> None:
    settings = resolve_settings(
        {"flowroute:accessKey": "98765432", "flowroute:secretKey": "very-secret"}, {}
    )
    shown = repr(settings) + str(settings.credentials)
    assert "98765432" not in shown
    assert "very-secret" not in shown
    assert repr(Credentials("a", "b")) == "Credentials(access_key=***, secret_key=***)"


def test_timeout_and_settle_windows_come_from_config_or_environment() -> None:
    keys = {"flowroute:accessKey": "1", "flowroute:secretKey": "s"}
    settings = resolve_settings(
        {**keys, "flowroute:timeoutSeconds": "2.5"}, {"FLOWROUTE_SETTLE_SECONDS": "90"}
    )
    assert (settings.timeout_seconds, settings.settle_seconds) == (2.5, 90.0)
    assert resolve_settings(keys, {}).settle_seconds == 30.0


@pytest.mark.parametrize("raw", ["soon", "0", "-1", "86400", "nan"])
def test_an_unusable_window_names_the_setting_and_the_fix(raw: str) -> None:
    keys = {"flowroute:accessKey": "1", "flowroute:secretKey": "s"}
    with pytest.raises(ConfigError) as caught:
        resolve_settings({**keys, "flowroute:settleSeconds": raw}, {})
    message = str(caught.value)
    assert f"flowroute:settleSeconds (or FLOWROUTE_SETTLE_SECONDS) = {raw!r}" in message
    assert "pulumi config set flowroute:settleSeconds 30" in message


def test_an_emulator_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not SQLite " * 200)
    # Refused with the settings (at preview), not at the first request (#30 item 7).
    with pytest.raises(ConfigError) as caught:
        resolve_settings({"flowroute:baseUrl": f"emulator:{notes}"}, {})
    assert f"{notes}, which cannot be the emulator's state file: it is not a SQLite" in str(
        caught.value
    )
    assert notes.read_text().startswith("not SQLite")
