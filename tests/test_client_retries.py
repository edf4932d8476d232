"""Retries: what is repeated, what never is, and how long the client waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import responses as responses_lib

from pulumi_flowroute import FlowrouteClient, RetryPolicy
from pulumi_flowroute.emulator import RemoteEmulator
from pulumi_flowroute.errors import RateLimited, ServerError, TransportError
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.emulators import Emulated, ServerProcess

Pick = Callable[..., Any]
NUMBER_DOCUMENT = {
    "data": {
        "type": "number",
        "id": "12065551234",
        "attributes": {"value": "12065551234", "alias": None, "cnam_lookups_enabled": False},
        "relationships": {"primary_route": {"data": {"type": "route", "id": "0"}}},
    }
}


def test_get_retried_after_two_429s_honours_retry_after(emulated: Emulated) -> None:
    emulated.control.inject_fault("429", count=2, method="GET", retry_after=3)
    assert [r.id for r in emulated.client.list_routes()] == ["0"]
    assert [s for _, _, s in emulated.api_requests()] == [429, 429, 200]
    assert emulated.sleeps == [3.0, 3.0]


def test_backoff_grows_without_retry_after(emulated: Emulated) -> None:
    emulated.control.inject_fault("503", count=3, method="GET")
    assert list(emulated.client.list_routes())
    assert [s for _, _, s in emulated.api_requests()] == [503, 503, 503, 200]
    first, second, third = emulated.sleeps
    assert 0.5 <= first <= 0.6 and 1.0 <= second <= 1.1 and 2.0 <= third <= 2.1


def test_retries_are_bounded(emulated: Emulated) -> None:
    emulated.control.inject_fault("503", count=10, method="GET")
    with pytest.raises(ServerError) as caught:
        list(emulated.client.list_routes())
    assert caught.value.status == 503
    assert len(emulated.api_requests()) == 4  # FAST_RETRY allows four attempts


def test_total_time_budget_stops_retrying(emulated: Emulated) -> None:
    emulated.control.inject_fault("429", count=5, retry_after=20)
    client = FlowrouteClient(
        ACCESS_KEY,
        SECRET_KEY,
        emulated.client.base_url,
        retry=RetryPolicy(attempts=5, total_seconds=30.0),
        sleep=emulated.sleeps.append,
    )
    with pytest.raises(RateLimited):
        list(client.list_routes())
    # 20 s fits the 30 s budget once; a second 20 s wait would not.
    assert emulated.sleeps == [20.0]


def test_post_refused_with_429_is_retried(emulated: Emulated, first_available: Pick) -> None:
    value = first_available(emulated.client)
    emulated.control.inject_fault("429", count=1, method="POST", retry_after=1)
    assert emulated.client.purchase_number(value).value == value
    assert [(m, s) for m, _, s in emulated.api_requests() if m == "POST"] == [
        ("POST", 429),
        ("POST", 201),
    ]


def test_post_hit_by_503_is_not_repeated(emulated: Emulated, first_available: Pick) -> None:
    value = first_available(emulated.client)
    emulated.control.inject_fault("503", count=1, method="POST")
    with pytest.raises(ServerError):
        emulated.client.purchase_number(value)
    assert [s for m, _, s in emulated.api_requests() if m == "POST"] == [503]


def test_post_hit_by_dropped_connection_is_not_repeated(
    emulated: Emulated, first_available: Pick
) -> None:
    value = first_available(emulated.client)
    emulated.control.inject_fault("drop", count=1, method="POST")
    with pytest.raises(TransportError) as caught:
        emulated.client.purchase_number(value)
    assert caught.value.method == "POST"
    posts = [r for r in emulated.api_requests() if r[0] == "POST"]
    assert len(posts) == 1
    # The purchase was committed before the connection dropped: reading settles it.
    assert emulated.client.get_number(value).value == value


def test_route_create_hit_by_drop_is_not_duplicated(emulated: Emulated) -> None:
    emulated.control.inject_fault("drop", count=1, method="POST", path="/v2/routes")
    with pytest.raises(TransportError):
        emulated.client.create_route("host", "pbx.example.com", "pbx")
    assert [r.alias for r in emulated.client.list_routes()] == ["sip-reg", "pbx"]


def test_get_hit_by_dropped_connection_is_retried(emulated: Emulated) -> None:
    emulated.control.inject_fault("drop", count=1, method="GET")
    assert [r.id for r in emulated.client.list_routes()] == ["0"]
    assert len(emulated.api_requests()) == 2


@pytest.mark.parametrize(("method", "ok"), [("GET", 200), ("PATCH", 200), ("DELETE", 204)])
def test_500_is_retried_for_safe_methods(
    emulated: Emulated, first_available: Pick, method: str, ok: int
) -> None:
    value = emulated.client.purchase_number(first_available(emulated.client)).value
    emulated.control.inject_fault("500", count=1, method=method)
    if method == "GET":
        emulated.client.get_number(value)
    elif method == "PATCH":
        emulated.client.update_number(value, alias="Retried")
    else:
        emulated.client.release_number(value)
    path = f"/v2/numbers/{value}"
    assert [s for m, p, s in emulated.api_requests() if (m, p) == (method, path)] == [500, ok]


def test_500_on_a_post_is_never_retried(emulated: Emulated, first_available: Pick) -> None:
    value = first_available(emulated.client)
    emulated.control.inject_fault("500", count=1, method="POST")
    with pytest.raises(ServerError) as caught:
        emulated.client.purchase_number(value)
    assert caught.value.status == 500 and caught.value.request_id
    assert [m for m, _, _ in emulated.api_requests() if m == "POST"] == ["POST"]


def test_connection_refused_is_a_transport_error() -> None:
    client = FlowrouteClient(
        ACCESS_KEY,
        SECRET_KEY,
        "http://127.0.0.1:9",
        retry=RetryPolicy(attempts=2),
        sleep=lambda _: None,
    )
    with pytest.raises(TransportError) as caught:
        client.get_number("12065551234")
    assert "ConnectionError" in str(caught.value)
    assert SECRET_KEY not in str(caught.value)


def test_read_timeout_retries_a_get_but_never_a_post(server: ServerProcess) -> None:
    control = RemoteEmulator(server.url, access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    control.reset()
    sleeps: list[float] = []
    client = FlowrouteClient(
        ACCESS_KEY,
        SECRET_KEY,
        server.url,
        timeout=(2.0, 0.3),
        retry=RetryPolicy(attempts=3),
        sleep=sleeps.append,
    )
    try:
        control.inject_fault("delay", method="GET", seconds=1.0)
        assert [r.id for r in client.list_routes()] == ["0"]
        assert len(sleeps) == 1
        control.inject_fault("delay", method="POST", seconds=1.0)
        with pytest.raises(TransportError, match="ReadTimeout"):
            client.create_route("host", "pbx.example.com", "pbx")
        # The slow POST still lands, once: the client did not send it again.
        deadline = time.monotonic() + 10
        while not any(r.method == "POST" for r in control.requests()):
            assert time.monotonic() < deadline, "the delayed POST never completed"
            time.sleep(0.05)
        assert [r.alias for r in client.list_routes()] == ["sip-reg", "pbx"]
        assert [r.method for r in control.requests()].count("POST") == 1
    finally:
        control.close()


@responses_lib.activate
def test_an_unreadable_retry_after_falls_back_to_backoff() -> None:
    url = "https://api.flowroute.com/v2/numbers/12065551234"
    responses_lib.get(url, status=429, headers={"Retry-After": "soon"}, json={"errors": []})
    responses_lib.get(url, json=NUMBER_DOCUMENT)
    sleeps: list[float] = []
    client = FlowrouteClient(ACCESS_KEY, SECRET_KEY, retry=RetryPolicy(), sleep=sleeps.append)
    assert client.get_number("12065551234").value == "12065551234"
    assert len(sleeps) == 1 and 0 < sleeps[0] < 5
