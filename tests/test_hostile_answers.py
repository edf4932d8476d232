"""Answers Flowroute never sends, over real HTTP: each gives one line naming the endpoint, within
bounds of size, time and pages, and a write whose answer is unusable counts as unanswered (the
caller settles it by reading, never by writing again). Text from the wire reaches the terminal
escaped and capped. Last, the page cap and the body deadline each on its own, with a fault that
ends after all, so a broken guard fails its test instead of hanging it."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pulumi
import pytest
import requests
import responses as responses_lib

from pulumi_flowroute import (
    BadRequest,
    FlowrouteClient,
    IncompleteAnswer,
    MalformedResponse,
    RetryPolicy,
    transport,
)
from pulumi_flowroute.client import MAX_BODY_BYTES
from pulumi_flowroute.emulator import RemoteEmulator
from pulumi_flowroute.errors import WIRE_TEXT_LIMIT, FlowrouteError, error_from_response
from pulumi_flowroute.inbound_route import InboundRouteProvider
from pulumi_flowroute.phone_number import PhoneNumberProvider
from pulumi_flowroute.provider_base import FlowrouteProvider, forget_deployment, outcome_unknown
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.emulators import ServerProcess
from tests.support.hostile import Answer, HostileServer, cut_off, document, drip, endless, raw
from tests.support.providers import STACK_CONFIG, checked, configured

NUMBER = "12065551234"
PBX = {"route_type": "host", "value": "sip.example.com:5060", "alias": "pbx"}
P = TypeVar("P", bound=FlowrouteProvider)
ONCE = RetryPolicy(attempts=1)
API = "https://api.flowroute.com"


def details(value: str) -> dict[str, object]:
    return {"data": {"type": "number", "id": value, "attributes": {"value": value}}}


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    server = HostileServer({})
    yield server
    server.close()


def client_of(server: HostileServer, read_timeout: float = 5.0) -> FlowrouteClient:
    return FlowrouteClient(
        ACCESS_KEY, SECRET_KEY, server.url, timeout=(2.0, read_timeout), retry=ONCE
    )


def answer(server: HostileServer, method: str, path: str, how: Answer) -> FlowrouteClient:
    server.routes[(method, f"/v2{path}")] = how
    return client_of(server)


def one_line(error: Exception) -> str:
    text = str(error)
    assert "\n" not in text
    assert "Traceback" not in text
    return text


def test_a_purchase_answer_cut_off_mid_body_is_a_lost_answer(hostile: HostileServer) -> None:
    client = answer(hostile, "POST", f"/numbers/{NUMBER}", cut_off())
    with pytest.raises(IncompleteAnswer) as raised:
        client.purchase_number(NUMBER)
    assert outcome_unknown(raised.value)
    assert f"POST /v2/numbers/{NUMBER}: Flowroute's answer (201) was cut off" in one_line(
        raised.value
    )


def test_a_purchase_answer_about_another_number_is_not_taken_for_a_purchase(
    hostile: HostileServer,
) -> None:
    client = answer(hostile, "POST", f"/numbers/{NUMBER}", document(details("19005550000"), 201))
    with pytest.raises(MalformedResponse) as raised:
        client.purchase_number(NUMBER)
    assert outcome_unknown(raised.value)
    assert f"the details of '19005550000' instead of {NUMBER}" in one_line(raised.value)


@pytest.mark.parametrize(
    ("body", "missing"),
    [({"data": "a string"}, "wrong shape"), ({"meta": {}}, "missing 'data'"), ([1], "wrong shape")],
)
def test_a_2xx_of_the_wrong_shape_names_the_endpoint(
    hostile: HostileServer, body: object, missing: str
) -> None:
    client = answer(hostile, "GET", f"/numbers/{NUMBER}", document(body))
    with pytest.raises(MalformedResponse) as raised:
        client.get_number(NUMBER)
    assert f"GET /numbers/{NUMBER}: Flowroute answered 200 with a document" in one_line(
        raised.value
    )
    assert missing in str(raised.value)


def test_a_body_that_never_ends_is_dropped_at_the_size_cap(hostile: HostileServer) -> None:
    client = answer(hostile, "GET", f"/numbers/{NUMBER}", endless)
    with pytest.raises(IncompleteAnswer) as raised:
        client.get_number(NUMBER)
    cap = f"larger than {MAX_BODY_BYTES // 2**20} MiB"
    assert cap in one_line(raised.value)


def test_a_body_dripped_a_byte_at_a_time_is_dropped_at_the_deadline(
    hostile: HostileServer,
) -> None:
    hostile.routes[("GET", f"/v2/numbers/{NUMBER}")] = drip
    # Each byte comes well within the read timeout, even on a loaded machine; the whole body
    # does not.
    client = client_of(hostile, read_timeout=1.5)
    with pytest.raises(IncompleteAnswer) as raised:
        client.get_number(NUMBER)
    assert "was still arriving after 1.5 s" in one_line(raised.value)


def test_a_links_next_that_points_back_is_caught(hostile: HostileServer) -> None:
    page = {
        "data": [details("12065550001")["data"]],
        "links": {"next": f"{hostile.url}/v2/numbers?limit=200&offset=200"},
    }
    client = answer(hostile, "GET", "/numbers", document(page))
    with pytest.raises(MalformedResponse) as raised:
        list(client.list_numbers())
    assert "a links.next back to a page already read" in one_line(raised.value)
    assert len(hostile.requests) == 2


@pytest.mark.parametrize(
    "link",
    [
        "/v2/numbers?offset=200\x1b[2J\n    info: a line Pulumi never printed",
        "/v2/numbers?offset=200&pad=" + "x" * 5_000,
        {"href": "/v2/numbers?offset=200"},
    ],
    ids=["control characters", "5,000 characters", "an object"],
)
def test_a_links_next_that_is_no_url_is_refused_on_one_line(
    hostile: HostileServer, link: object
) -> None:
    # The next page's path would name the request in its errors and logs.
    page = {"data": [details("12065550001")["data"]], "links": {"next": link}}
    client = answer(hostile, "GET", "/numbers", document(page))
    with pytest.raises(MalformedResponse) as raised:
        list(client.list_numbers())
    text = one_line(raised.value)
    assert "GET /numbers: Flowroute answered 200 with a links.next that is not a URL" in text
    assert "\x1b" not in text
    assert len(text) < 300
    assert len(hostile.requests) == 1


def test_a_page_without_a_data_list_is_refused(hostile: HostileServer) -> None:
    client = answer(hostile, "GET", "/numbers", document({"data": {"not": "a list"}}))
    with pytest.raises(MalformedResponse, match="a page without a data list"):
        list(client.list_numbers())


def test_the_client_reads_answers_while_other_threads_read_theirs(hostile: HostileServer) -> None:
    # Bounded reading must not serialise the client: it is shared by the provider's workers.
    hostile.routes[("GET", f"/v2/numbers/{NUMBER}")] = document(details(NUMBER))
    client = client_of(hostile)
    found: list[str] = []
    workers = [
        threading.Thread(target=lambda: found.append(client.get_number(NUMBER).value))
        for _ in range(8)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert found == [NUMBER] * 8


def test_error_text_from_the_wire_is_quoted_on_one_line_and_capped(
    hostile: HostileServer,
) -> None:
    fake = "bad value\x1b[2J\n    info: a line that Pulumi never printed\u202e"
    errors = {"errors": [{"title": "Bad\nRequest", "detail": fake + "x" * 5000, "id": "r\x07"}]}
    client = answer(hostile, "PATCH", f"/numbers/{NUMBER}", document(errors, 400))
    with pytest.raises(BadRequest) as raised:
        client.update_number(NUMBER, alias="Main")
    text = one_line(raised.value)
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "\x07" not in text
    assert "Bad\\nRequest: bad value\\x1b[2J\\n    info: a line" in text
    assert "(Flowroute request id r\\x07)" in text
    assert f"... ({len(fake) + 5000 - WIRE_TEXT_LIMIT} more characters)" in text
    assert len(text) < 2 * WIRE_TEXT_LIMIT


def test_a_refusal_of_20000_characters_reaches_the_user_cut_on_one_line(
    hostile: HostileServer,
) -> None:
    detail = "Insufficient funds.\x1b[2J\n    info: bought 12065551234\u202e" + "x" * 20_000
    hostile.routes[("GET", "/v2/numbers")] = document({"data": [], "links": {}})
    available = {"data": [details(NUMBER)["data"]], "links": {}}
    hostile.routes[("GET", "/v2/numbers/available")] = document(available)
    hostile.routes[("POST", f"/v2/numbers/{NUMBER}")] = document(
        {"errors": [{"title": "Forbidden", "detail": detail}]}, 403
    )
    provider = configured(PhoneNumberProvider, {**STACK_CONFIG, "flowroute:baseUrl": hostile.url})
    with pytest.raises(FlowrouteError) as raised:
        provider.create(checked(provider, {"number": NUMBER, "default_alias": "p.s.line"}))
    text = one_line(raised.value)
    assert f"Flowroute refused to sell {NUMBER}: Insufficient funds.\\x1b[2J\\n    info" in text
    assert "\u202e" not in text
    assert f"... ({len(detail) - WIRE_TEXT_LIMIT} more characters)" in text
    assert len(text) < 3 * WIRE_TEXT_LIMIT


def test_an_error_quotes_what_the_wire_said_bounded_and_escaped() -> None:
    error = BadRequest("GET", "/numbers", 400, "Bad\nRequest\u202e", "d" * 5000, "r1")
    assert error.title == "Bad\\nRequest\\u202e"
    assert error.detail_text is not None
    assert error.detail_text.endswith(f"... ({5000 - WIRE_TEXT_LIMIT} more characters)")
    # A validation detail (field -> messages) too long to quote is kept as its text, cut.
    body = {"errors": [{"detail": {f"field{i}": ["is wrong"] * 20 for i in range(50)}}]}
    answered = requests.Response()
    answered.status_code, answered._content = 422, json.dumps(body).encode()
    kept = error_from_response("POST", "/e911s", answered)
    assert isinstance(kept.detail, str)
    assert kept.detail_text is not None
    assert len(kept.detail_text) < WIRE_TEXT_LIMIT + 40


#: An alias as someone may have set it in the portal: a terminal escape, a line of its own
#: that looks like Pulumi's, a bidi override.
HOSTILE_ALIAS = "Main\x1b]0;owned\x07\n    info: created route 1\u202eenilno"


def test_an_alias_from_an_answer_is_kept_as_is_and_shows_as_a_difference(
    hostile: HostileServer,
) -> None:
    # Kept exactly: the state compares it with the alias the user wrote, which never holds such
    # a character (inputs refuse them), so it differs, and `up` writes the user's. An escaped
    # copy ('Main\\x1b...') could equal an alias a user wrote while the account holds another.
    number = details(NUMBER)
    number["data"]["attributes"]["alias"] = HOSTILE_ALIAS  # type: ignore[index]
    hostile.routes[("GET", f"/v2/numbers/{NUMBER}")] = document(number)
    provider = configured(PhoneNumberProvider, {**STACK_CONFIG, "flowroute:baseUrl": hostile.url})
    olds = {"number": NUMBER, "alias": "Main", "default_alias": "p.s.line"}
    read = provider.read(NUMBER, olds)
    assert read.outs is not None
    assert read.outs["alias"] == HOSTILE_ALIAS
    news = checked(provider, {"number": NUMBER, "alias": "Main", "default_alias": "p.s.line"})
    assert provider.diff(NUMBER, read.outs, news).changes


@pytest.fixture
def stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[[], str]:
    """What a provider prints, as in its own process: with no engine of the SDK's (a test that
    set the SDK's mocks leaves one behind), pulumi.log writes to stderr."""
    monkeypatch.setattr(pulumi.log, "get_engine", lambda: None)
    return lambda: capsys.readouterr().err


def test_an_alias_from_an_answer_is_printed_escaped(
    hostile: HostileServer, stderr: Callable[[], str]
) -> None:
    route = {"type": "route", "id": "7", "attributes": {"route_type": "host", "alias": "x"}}
    route["attributes"] = {**route["attributes"], "alias": HOSTILE_ALIAS}  # type: ignore[dict-item]
    client = answer(hostile, "GET", "/routes", document({"data": [route], "links": {}}))
    (found,) = client.list_routes()
    assert found.alias == HOSTILE_ALIAS
    PhoneNumberProvider.info(f"kept alias {found.alias} on route {found.id}")
    printed = stderr()
    assert "\x1b" not in printed
    assert "\u202e" not in printed
    assert "\n    info: created" not in printed
    escaped = "Main\\x1b]0;owned\\x07\\n    info: created route 1\\u202eenilno on route 7"
    assert f"kept alias {escaped}" in printed


def test_what_a_provider_prints_is_escaped(stderr: Callable[[], str]) -> None:
    PhoneNumberProvider.info("kept alias 'Main\x1b]0;owned\x07' on 12065551234\ninfo: fake")
    printed = stderr()
    assert "\x1b" not in printed
    assert "\x07" not in printed
    assert "Main\\x1b]0;owned\\x07' on 12065551234\\ninfo: fake" in printed


def test_search_results_that_ignore_the_criteria_are_never_bought(hostile: HostileServer) -> None:
    stray = {
        "type": "number",
        "id": "19005550000",
        "attributes": {"value": "19005550000", "state": "WA", "rate_center": "SEATTLE"},
    }
    hostile.routes[("GET", "/v2/numbers")] = document({"data": [], "links": {}})
    hostile.routes[("GET", "/v2/numbers/available")] = document({"data": [stray], "links": {}})
    provider = configured(PhoneNumberProvider, {**STACK_CONFIG, "flowroute:baseUrl": hostile.url})
    with pytest.raises(MalformedResponse) as raised:
        provider.create(checked(provider, {"search": {"starts_with": "206"}}))
    assert "19005550000 (WA, SEATTLE) for a search it does not match" in one_line(raised.value)
    assert "starts_with='206'" in str(raised.value)
    assert [method for method, _ in hostile.requests] == ["GET", "GET"]


# -- the guards themselves, each stopped by its bound when the fault goes on past it -----------


@responses_lib.activate
def test_paging_stops_at_the_page_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    assert transport.MAX_PAGES == 10_000
    monkeypatch.setattr(transport, "MAX_PAGES", 5)  # 10,000 pages would take a while to serve
    served: list[str] = []

    def page(request: Any) -> tuple[int, dict[str, str], str]:
        served.append(request.url)
        offset = 200 * len(served)
        # Every page links to a new one; a client without the cap stops only here.
        more = len(served) < 50
        body = {
            "data": [details(f"1206555{len(served):04d}")["data"]],
            "links": {"next": f"{API}/v2/numbers?limit=200&offset={offset}"} if more else {},
        }
        return 200, {"Content-Type": "application/vnd.api+json"}, json.dumps(body)

    responses_lib.add_callback("GET", re.compile(rf"{re.escape(API)}/v2/numbers(\?.*)?$"), page)
    client = FlowrouteClient(ACCESS_KEY, SECRET_KEY, retry=ONCE)
    with pytest.raises(MalformedResponse, match="more than 5 pages"):
        list(client.list_numbers())
    assert len(served) == 5


class Trickle:
    """A body arriving a byte per read, each read a tenth of a second later on ``clock``;
    it ends after all at ``end`` bytes, so a reader without a deadline takes it whole."""

    def __init__(self, clock: FakeClock, end: int = 10_000) -> None:
        self.clock, self.end, self.reads = clock, end, 0

    def read1(self, size: int, decode_content: bool = True) -> bytes:
        self.reads += 1
        self.clock.now += 0.1
        return b" " if self.reads <= self.end else b""

    def close(self) -> None:
        pass


class FakeClock:
    """The ``time`` module as the transport's body reading sees it, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_the_body_deadline_stops_a_body_that_keeps_coming(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(transport, "time", clock)
    client = FlowrouteClient(ACCESS_KEY, SECRET_KEY, timeout=(1.0, 2.0), retry=ONCE)
    answer = requests.Response()
    answer.raw = Trickle(clock)
    assert client._read_body(answer) == "was still arriving after 2 s when reading stopped"
    # Stopped at the deadline (2 s of 0.1 s reads), not at the body's end.
    assert answer.raw.reads <= 22


# -- a write that went through, answered with a body past the bounds: settled by reading --------

#: What no answer should hold, each put where a number's id, or a route's edge_strategy_id (an
#: integer field), would be, and what the one line of MalformedResponse says of it.
UNUSABLE = {
    "nested 100,000 deep": (
        b"[" * 100_000 + b"]" * 100_000,
        "a document nested deeper than 32 levels",
    ),
    "a 5,000-digit integer": (b"1" + b"0" * 4_999, "an integer of 5000 digits"),
    "1e999999": (b"1e999999", "a number out of range ('1e999999')"),
    "NaN": (b"NaN", "NaN, which is not a JSON number"),
    "-Infinity": (b"-Infinity", "-Infinity, which is not a JSON number"),
    "a path": (b'"1/../../numbers"', "a number of '1/../../numbers', which is not an id"),
    "a list": (b'["12065551234"]', "a number of ['12065551234'], which is not an id"),
}
BODIES = [token for token, _ in UNUSABLE.values()]


def _number_answer(token: bytes) -> bytes:
    return b'{"data": {"type": "number", "id": %s, "attributes": {}}}' % token


def _route_answer(token: bytes) -> bytes:
    attributes = b'"route_type": "host", "value": "sip.example.com:5060", "alias": "pbx"'
    return b'{"data": {"type": "route", "id": "7", "attributes": {%s, "edge_strategy_id": %s}}}' % (
        attributes,
        token,
    )


@pytest.mark.parametrize(("body", "problem"), UNUSABLE.values(), ids=list(UNUSABLE))
def test_each_unusable_body_is_one_line(hostile: HostileServer, body: bytes, problem: str) -> None:
    client = answer(hostile, "GET", f"/numbers/{NUMBER}", raw(_number_answer(body)))
    with pytest.raises(MalformedResponse) as raised:
        client.get_number(NUMBER)
    expected = f"GET /numbers/{NUMBER}: Flowroute answered 200 with {problem}"
    assert expected in one_line(raised.value)
    assert len(str(raised.value)) < 300


def test_a_listing_with_an_id_that_is_not_one_is_refused(hostile: HostileServer) -> None:
    # An id names a record in the state and in the next request's path: only digits are one.
    route = {"type": "route", "id": "1/../../numbers/12065551234", "attributes": {}}
    client = answer(hostile, "GET", "/routes", document({"data": [route], "links": {}}))
    with pytest.raises(MalformedResponse) as raised:
        list(client.list_routes())
    assert "a route id of '1/../../numbers/12065551234', which is not an id" in one_line(
        raised.value
    )


@pytest.fixture
def relay(server: ServerProcess, control: RemoteEmulator) -> Iterator[HostileServer]:
    """A relay to the test's fresh emulated account (see HostileServer)."""
    proxy = HostileServer({}, upstream=server.url)
    yield proxy
    proxy.close()


def _settling(cls: type[P], url: str) -> P:
    provider = configured(
        cls, {**STACK_CONFIG, "flowroute:baseUrl": url, "flowroute:settleSeconds": "2"}
    )
    provider.client.retry = ONCE
    return provider


def _bought(control: RemoteEmulator) -> list[str]:
    return [r.path for r in control.requests() if r.method == "POST" and r.status == 201]


@pytest.mark.parametrize("body", BODIES, ids=list(UNUSABLE))
def test_a_purchase_answered_unusably_is_settled_and_bought_once(
    relay: HostileServer, control: RemoteEmulator, server: ServerProcess, body: bytes
) -> None:
    relay.after_relay[("POST", f"/v2/numbers/{NUMBER}")] = raw(_number_answer(body), 201)
    provider = _settling(PhoneNumberProvider, relay.url)
    inputs = checked(provider, {"number": NUMBER, "default_alias": "p.s.line"})
    # Settled by reading the number's details: the purchase stands, with its alias.
    created = provider.create(inputs)
    assert created.id == NUMBER
    assert created.outs is not None
    assert not relay.after_relay, "the purchase POST was not answered with the body"
    forget_deployment()
    again = _settling(PhoneNumberProvider, server.url)
    assert again.read(NUMBER, dict(created.outs)).id == NUMBER
    account = FlowrouteClient(ACCESS_KEY, SECRET_KEY, server.url)
    assert [n.value for n in account.list_numbers()] == [NUMBER]
    assert account.get_number(NUMBER).alias == created.outs["alias"]
    assert _bought(control) == [f"/v2/numbers/{NUMBER}"]


@pytest.mark.parametrize("body", BODIES, ids=list(UNUSABLE))
def test_a_route_create_answered_unusably_is_settled_and_made_once(
    relay: HostileServer, control: RemoteEmulator, server: ServerProcess, body: bytes
) -> None:
    relay.after_relay[("POST", "/v2/routes")] = raw(_route_answer(body), 201)
    provider = _settling(InboundRouteProvider, relay.url)
    created = provider.create(checked(provider, PBX))
    assert not relay.after_relay, "the route POST was not answered with the body"
    account = FlowrouteClient(ACCESS_KEY, SECRET_KEY, server.url)
    made = [r for r in account.list_routes() if r.alias == "pbx"]
    assert [r.id for r in made] == [created.id]
    # A rerun (the state lost, say) finds that route instead of making a second.
    forget_deployment()
    rerun = _settling(InboundRouteProvider, server.url)
    assert rerun.create(checked(rerun, {**PBX, "adopt": True})).id == created.id
    assert [r.path for r in control.requests() if r.method == "POST"] == ["/v2/routes"]
