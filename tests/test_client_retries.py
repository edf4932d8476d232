"""Retries: what is repeated, what never is, and how long the client waits."""

from __future__ import annotations

import email.utils
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
from tests.support.polling import wait_until

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
    assert 0.5 <= first <= 0.6
    assert 1.0 <= second <= 1.1
    assert 2.0 <= third <= 2.1


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
    assert caught.value.status == 500
    assert caught.value.request_id
    assert [m for m, _, _ in emulated.api_requests() if m == "POST"] == ["POST"]


def test_connection_refused_is_a_transport_error(dead_url: str) -> None:
    client = FlowrouteClient(
        ACCESS_KEY,
        SECRET_KEY,
        dead_url,
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
    # A read timeout an answer of the loaded machine fits in, and a delay well past it.
    client = FlowrouteClient(
        ACCESS_KEY,
        SECRET_KEY,
        server.url,
        timeout=(2.0, 1.0),
        retry=RetryPolicy(attempts=3),
        sleep=sleeps.append,
    )
    try:
        control.inject_fault("delay", method="GET", seconds=2.5)
        assert [r.id for r in client.list_routes()] == ["0"]
        assert len(sleeps) == 1
        control.inject_fault("delay", method="POST", seconds=2.5)
        with pytest.raises(TransportError, match="ReadTimeout"):
            client.create_route("host", "pbx.example.com", "pbx")
        # The slow POST still lands, once: the client did not send it again.
        wait_until(
            lambda: any(r.method == "POST" for r in control.requests()),
            "the delayed POST in the emulator's log",
        )
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
    assert len(sleeps) == 1
    assert 0 < sleeps[0] < 5


# The policy alone: the whole decision, asked with plain values, no transport and no server.
STILL = RetryPolicy(jitter=0.0)


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("status", [None, 429, 500, 502, 503, 504])
def test_policy_resends_a_safe_method_after_a_passing_failure(
    method: str, status: int | None
) -> None:
    assert RetryPolicy().may_resend(method, status)


@pytest.mark.parametrize("status", [200, 201, 204, 301, 400, 401, 403, 404, 409, 422, 501])
def test_policy_never_resends_an_answer_that_will_not_change(status: int) -> None:
    assert not RetryPolicy().may_resend("GET", status)


@pytest.mark.parametrize(("status", "resent"), [(429, True), (None, False), (500, False)])
def test_policy_resends_a_post_only_after_a_429(status: int | None, resent: bool) -> None:
    assert RetryPolicy().may_resend("POST", status) is resent


def test_policy_backoff_doubles_from_the_second_retry_up_to_its_cap() -> None:
    assert [STILL.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    jittered = RetryPolicy(jitter=0.25)
    for retry, floor in [(1, 0.5), (2, 1.0), (3, 2.0)]:
        assert floor <= jittered.backoff(retry) <= floor + 0.25
    assert jittered.backoff(10) == 8.0


def test_policy_without_a_backoff_factor_still_pauses_for_the_jitter() -> None:
    assert RetryPolicy(backoff_factor=0.0, jitter=0.0).backoff(3) == 0.0
    assert 0.0 <= RetryPolicy(backoff_factor=0.0, jitter=0.1).backoff(3) <= 0.1


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("", None), ("3", 3.0), (" 7 ", 7.0), ("0", 0.0), ("90", 30.0)],
)
def test_policy_reads_retry_after_seconds_capped(header: str | None, seconds: float | None) -> None:
    assert RetryPolicy().retry_after(header) == seconds


def test_policy_reads_retry_after_as_a_date() -> None:
    soon = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8.0 <= (RetryPolicy().retry_after(soon) or 0.0) <= 10.0
    past = email.utils.formatdate(time.time() - 100, usegmt=True)
    assert RetryPolicy().retry_after(past) == 0.0


@pytest.mark.parametrize("header", ["soon", "1.5", "-3", "3 seconds"])
def test_policy_ignores_an_unreadable_retry_after(header: str) -> None:
    assert RetryPolicy().retry_after(header) is None


def test_policy_pause_prefers_the_servers_retry_after() -> None:
    assert STILL.pause("GET", 429, "3", sent=1, spent=0.0) == 3.0
    assert STILL.pause("GET", 503, None, sent=2, spent=0.0) == 1.0
    assert STILL.pause("GET", 503, "soon", sent=3, spent=0.0) == 2.0


def test_policy_pause_stops_after_the_last_attempt() -> None:
    policy = RetryPolicy(attempts=3, jitter=0.0)
    assert [policy.pause("GET", 503, sent=n, spent=0.0) for n in (1, 2, 3)] == [0.5, 1.0, None]
    assert RetryPolicy(attempts=1).pause("GET", 503, sent=1, spent=0.0) is None


def test_policy_pause_never_begins_a_wait_past_its_budget() -> None:
    policy = RetryPolicy(total_seconds=30.0)
    assert policy.pause("GET", 429, "20", sent=1, spent=10.0) == 20.0
    assert policy.pause("GET", 429, "20", sent=2, spent=20.0) is None


def test_policy_pause_stops_on_an_outcome_not_worth_resending() -> None:
    assert RetryPolicy().pause("POST", 503, sent=1, spent=0.0) is None
    assert RetryPolicy().pause("GET", 404, sent=1, spent=0.0) is None
    assert RetryPolicy().pause("GET", 200, sent=1, spent=0.0) is None
