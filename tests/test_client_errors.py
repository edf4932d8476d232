"""Error documents of every documented shape, and status codes the emulator never sends.

These use ``responses`` directly to serve bodies the emulator would not produce.
"""

from __future__ import annotations

import importlib.metadata
import logging
import subprocess
import sys
from http import HTTPStatus

import pytest
import responses

import pulumi_flowroute
from pulumi_flowroute import FlowrouteClient, RetryPolicy, connect
from pulumi_flowroute.config import resolve_settings
from pulumi_flowroute.errors import (
    ApiError,
    ConfigError,
    Forbidden,
    NotFound,
    ServerError,
    Unprocessable,
)
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.emulators import ServerProcess

BASE = "https://api.flowroute.com"
DETAILS = f"{BASE}/v2/numbers/12065551234"


@pytest.fixture
def client() -> FlowrouteClient:
    return FlowrouteClient(
        ACCESS_KEY, SECRET_KEY, retry=RetryPolicy(attempts=3), sleep=lambda _: None
    )


@pytest.mark.parametrize(
    ("status", "body", "cls", "title", "detail", "request_id"),
    [
        (
            404,
            {
                "errors": [
                    {
                        "id": "abc",
                        "status": 404,
                        "title": "Not Found",
                        "detail": "Could not find that resource on your account.",
                    }
                ]
            },
            NotFound,
            "Not Found",
            "Could not find that resource on your account.",
            "abc",
        ),
        (
            422,
            {"errors": [{"id": "r1", "status": 422, "detail": {"alias": ["too long"]}}]},
            Unprocessable,
            # No title: the HTTP reason phrase stands in, whatever this Python calls 422.
            HTTPStatus(422).phrase,
            {"alias": ["too long"]},
            "r1",
        ),
        (403, {"errors": [{"status": 403}]}, Forbidden, "Forbidden", None, None),
        (403, {"errors": []}, Forbidden, "Forbidden", None, None),
        (404, {"message": "nope"}, NotFound, "Not Found", None, None),
        (500, "<html>oops</html>", ServerError, "Internal Server Error", "<html>oops</html>", None),
        (
            418,
            {"errors": [{"id": 7, "status": "418", "title": "Teapot"}]},
            ApiError,
            "Teapot",
            None,
            "7",
        ),
    ],
)
@responses.activate
def test_every_error_shape_is_parsed(
    client: FlowrouteClient,
    status: int,
    body: object,
    cls: type[ApiError],
    title: str,
    detail: object,
    request_id: str | None,
) -> None:
    if isinstance(body, str):
        responses.get(DETAILS, body=body, status=status)
    else:
        responses.get(DETAILS, json=body, status=status)
    with pytest.raises(cls) as caught:
        client.get_number("12065551234")
    error = caught.value
    assert (error.status, error.title, error.detail, error.request_id) == (
        status,
        title,
        detail,
        request_id,
    )
    assert error.response is not None
    assert error.response.status_code == status
    assert str(error).startswith(f"GET /v2/numbers/12065551234: HTTP {status}")


@responses.activate
@pytest.mark.parametrize("status", [502, 504])
def test_gateway_errors_are_retried_for_get(client: FlowrouteClient, status: int) -> None:
    responses.get(DETAILS, status=status)
    responses.get(DETAILS, status=status)
    responses.get(
        DETAILS,
        json={
            "data": {"type": "number", "id": "12065551234", "attributes": {"value": "12065551234"}}
        },
    )
    assert client.get_number("12065551234").value == "12065551234"
    assert len(responses.calls) == 3


@responses.activate
def test_unknown_attributes_and_new_number_types_are_tolerated(client: FlowrouteClient) -> None:
    responses.get(
        f"{BASE}/v2/numbers/available",
        json={
            "data": [
                {
                    "type": "number",
                    "id": "18005550100",
                    "attributes": {
                        "value": "18005550100",
                        "number_type": "toll-free",
                        "setup_cost": 1,
                        "monthly_cost": 2,
                        "tier": 1,
                        "iso_country": "US",
                        "inbound_rate": 0.01,
                    },
                },
                {
                    "type": "number",
                    "id": "12065550100",
                    "attributes": {
                        "value": "12065550100",
                        "number_type": "longcode",
                        "rate_center": "seattle",
                        "state": "wa",
                        "setup_cost": 1,
                        "monthly_cost": 1.25,
                    },
                },
            ],
            "links": {"self": f"{BASE}/v2/numbers/available"},
        },
    )
    found = list(client.search_available())
    assert [(n.number_type, n.setup_cost) for n in found] == [("tollfree", 1.0), ("standard", 1.0)]


@responses.activate
def test_credentials_never_logged_or_shown(
    client: FlowrouteClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    responses.get(DETAILS, status=503)
    responses.get(DETAILS, status=404, json={"errors": [{"status": 404}]})
    with pytest.raises(NotFound) as caught:
        client.get_number("12065551234")
    shown = caplog.text + str(caught.value) + repr(caught.value) + repr(client)
    assert "GET /v2/numbers/12065551234" in caplog.text
    assert SECRET_KEY not in shown
    assert ACCESS_KEY not in shown
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")


@responses.activate
@pytest.mark.parametrize("method", ["GET", "PATCH", "POST"])
def test_redirects_are_never_followed(client: FlowrouteClient, method: str) -> None:
    elsewhere = "https://elsewhere.example.com/v2/numbers/12065551234"
    responses.add(method, DETAILS, status=301, headers={"Location": elsewhere})
    responses.add(method, elsewhere, json={"data": {}})
    send = {
        "GET": lambda: client.get_number("12065551234"),
        "PATCH": lambda: client.update_number("12065551234", alias="Moved"),
        "POST": lambda: client.purchase_number("12065551234"),
    }[method]
    with pytest.raises(ApiError) as caught:
        send()
    assert caught.value.status == 301
    assert f"redirected to {elsewhere!r}, not followed" in str(caught.value)
    assert [call.request.url for call in responses.calls] == [DETAILS]


def test_plain_http_to_loopback_ignores_proxy_settings(
    server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy would see the Basic auth header of a plain-http request in clear. Nothing listens
    # on the proxy's port, so a request sent through it would fail.
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "")
    client = FlowrouteClient(ACCESS_KEY, SECRET_KEY, server.url, retry=RetryPolicy(attempts=1))
    assert next(r.id for r in client.list_routes()) == "0"
    assert FlowrouteClient(ACCESS_KEY, SECRET_KEY).session.trust_env  # https may use a proxy


def test_the_embedded_emulator_without_its_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As in a production install: the emulator's dependencies are not there.
    monkeypatch.setitem(sys.modules, "pulumi_flowroute.emulator.transport", None)
    with pytest.raises(ConfigError) as caught:
        connect(resolve_settings({"flowroute:baseUrl": "emulator:/tmp/account.db"}, {}))
    assert "pip install 'pulumi-flowroute[emulator]'" in str(caught.value)
    assert "emulator:/tmp/account.db" in str(caught.value)


def test_the_http_client_points_to_connect_for_the_embedded_emulator() -> None:
    with pytest.raises(ConfigError, match=r"pulumi_flowroute\.connect\(settings\)"):
        FlowrouteClient("k", "s", "emulator:/tmp/account.db")


def test_the_http_client_never_imports_the_emulator() -> None:
    # A production install has no werkzeug or responses: the client must not need them.
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pulumi_flowroute; pulumi_flowroute.FlowrouteClient('k', 's'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('werkzeug', 'responses') or 'emulator' in m))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert child.stdout.strip() == "[]"


def test_the_package_states_its_version() -> None:
    assert pulumi_flowroute.__version__ == importlib.metadata.version("pulumi-flowroute")
