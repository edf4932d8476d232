"""The emulator's own contract: documents, paging links, content types, concurrency, front doors."""

from __future__ import annotations

import inspect
import signal
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from pulumi_flowroute import FlowrouteClient
from pulumi_flowroute.emulator import (
    EmulatorControlError,
    FlowrouteBackend,
    RemoteEmulator,
    mock_flowroute,
)
from pulumi_flowroute.emulator.inventory import generate
from pulumi_flowroute.errors import NotFound, Unauthorized
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.emulators import ServerProcess, embedded_client

AUTH = (ACCESS_KEY, SECRET_KEY)


@pytest.fixture
def url(server: ServerProcess) -> str:
    RemoteEmulator(server.url, access_key=ACCESS_KEY, secret_key=SECRET_KEY).reset()
    return server.url


def test_inventory_is_large_varied_and_deterministic() -> None:
    items = generate(7)
    assert len(items) >= 2000
    assert len({i.value[1:4] for i in items if i.number_type == "standard"}) >= 20
    assert len({i.state for i in items if i.state}) >= 8
    assert {i.number_type for i in items} == {"standard", "tollfree"}
    assert all(i.rate_center for i in items if i.number_type == "standard")
    assert {i.setup_cost for i in items} >= {0.0, 1.0}
    assert max(i.monthly_cost for i in items) > 1.5
    assert [i.value for i in generate(7)] == [i.value for i in items]
    assert [i.value for i in generate(8)] != [i.value for i in items]


def test_paging_links_echo_the_normalised_query(url: str) -> None:
    first = requests.get(
        f"{url}/v2/numbers/available",
        params={"starts_with": "206", "limit": "3"},
        auth=AUTH,
        timeout=5,
    ).json()
    assert first["links"]["self"] == f"{url}/v2/numbers/available?starts_with=1206&limit=3&offset=0"
    assert first["links"]["next"] == f"{url}/v2/numbers/available?starts_with=1206&limit=3&offset=3"
    assert first["data"][0]["links"]["related"] == f"{url}/v2/numbers/{first['data'][0]['id']}"
    last = requests.get(f"{url}/v2/routes", auth=AUTH, timeout=5).json()
    assert last["links"] == {"self": f"{url}/v2/routes?limit=10&offset=0"}
    assert last["data"][0]["id"] == "0"


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=ten", "offset=-1"])
def test_bad_paging_is_400(url: str, query: str) -> None:
    answer = requests.get(f"{url}/v2/routes?{query}", auth=AUTH, timeout=5)
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["status"] == 400
    assert error["id"]
    assert query.split("=")[0] in error["detail"]


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json", 201),
        ("application/vnd.api+json", 201),
        (None, 201),
        ("text/plain", 415),
    ],
)
def test_content_types(url: str, content_type: str | None, status: int) -> None:
    body = (
        b'{"data": {"type": "route", "attributes": {"route_type": "host", '
        b'"value": "10.1.2.3", "alias": "lan"}}}'
    )
    headers = {"Content-Type": content_type} if content_type else {}
    answer = requests.post(f"{url}/v2/routes", data=body, headers=headers, auth=AUTH, timeout=5)
    assert answer.status_code == status
    routes = requests.get(f"{url}/v2/routes", auth=AUTH, timeout=5).json()["data"]
    assert len(routes) == (2 if status == 201 else 1)


def test_official_sdk_style_calls(url: str) -> None:
    """Base URL without /v2, SDK User-Agent, no body on purchase, no Content-Type on PATCH."""
    session = requests.Session()
    session.auth = AUTH
    session.headers["User-Agent"] = "Flowroute SDK v3.0"
    number = session.get(f"{url}/v2/numbers/available?limit=1", timeout=5).json()["data"][0]["id"]
    assert session.post(f"{url}/v2/numbers/{number}", timeout=5).status_code == 201
    route = session.post(
        f"{url}/v2/routes",
        json={
            "data": {
                "type": "route",
                "attributes": {"route_type": "number", "value": "12065550100", "alias": "cell"},
            }
        },
        timeout=5,
    ).json()
    patch = requests.Request(
        "PATCH",
        f"{url}/v2/numbers/{number}/relationships/failover_route",
        data=b'{"data": {"type": "route", "id": "%s"}}' % route["data"]["id"].encode(),
        auth=AUTH,
    ).prepare()
    assert "Content-Type" not in patch.headers
    assert session.send(patch, timeout=5).status_code == 204
    client = FlowrouteClient(ACCESS_KEY, SECRET_KEY, f"{url}/v2/")  # a base that has /v2
    assert client.get_number(number).failover_route_id == route["data"]["id"]


def test_purchase_options_as_body_or_query(url: str) -> None:
    values = [
        n["id"]
        for n in requests.get(f"{url}/v2/numbers/available?limit=2", auth=AUTH, timeout=5).json()[
            "data"
        ]
    ]
    by_body = requests.post(
        f"{url}/v2/numbers/{values[0]}",
        auth=AUTH,
        timeout=5,
        json={"cnam_lookups_enabled": True, "messaging_enabled": False},
    )
    by_query = requests.post(
        f"{url}/v2/numbers/{values[1]}?cnam_lookups_enabled=true", auth=AUTH, timeout=5
    )
    for answer in (by_body, by_query):
        assert answer.status_code == 201
        assert answer.json()["data"]["attributes"]["cnam_lookups_enabled"] is True


def test_unknown_path_and_method(url: str) -> None:
    missing = requests.get(f"{url}/v2/nothing", auth=AUTH, timeout=5)
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["status"] == 404
    wrong = requests.put(f"{url}/v2/routes", auth=AUTH, timeout=5)
    assert wrong.status_code == 405
    assert wrong.json()["errors"][0]["title"] == "Method Not Allowed"


def test_missing_credentials_are_401(url: str) -> None:
    answer = requests.get(f"{url}/v2/numbers", timeout=5)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert answer.json()["errors"][0]["detail"] == "Authentication failed."


def test_sixteen_threads_never_buy_one_number_twice(url: str) -> None:
    client = FlowrouteClient(ACCESS_KEY, SECRET_KEY, url)
    candidates = [n.value for n in client.search_available(starts_with="720", limit=40)]

    def buy_first_free(_: int) -> str:
        for value in candidates:
            try:
                return client.purchase_number(value).value
            except NotFound:
                continue
        raise AssertionError("ran out of candidates")

    with ThreadPoolExecutor(16) as pool:
        bought = list(pool.map(buy_first_free, range(16)))
    assert len(set(bought)) == 16
    assert sorted(bought) == candidates[:16]
    assert {n.value for n in client.list_numbers()} == set(bought)


def test_embedded_emulator_is_shared_between_processes(tmp_path: Path) -> None:
    state = tmp_path / "account.db"
    script = textwrap.dedent(f"""
        from pulumi_flowroute import connect
        from pulumi_flowroute.config import resolve_settings
        client = connect(resolve_settings({{"flowroute:baseUrl": "emulator:{state}"}}, {{}}))
        value = next(client.search_available(starts_with="512", limit=1)).value
        client.purchase_number(value)
        route = client.create_route("host", "pbx.example.com", "pbx")
        client.set_route(value, "primary", route.id)
        print(value)
    """)
    child = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    value = child.stdout.strip()
    client = embedded_client(state)
    details = client.get_number(value)
    assert details.primary_route_id == next(r.id for r in details.routes if r.alias == "pbx")
    assert next(client.search_available(starts_with="512", limit=1)).value != value


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_server_stops_cleanly_and_keeps_its_file(tmp_path: Path, sig: signal.Signals) -> None:
    state = tmp_path / "server.db"
    first = ServerProcess("--db", str(state))
    client = FlowrouteClient("k", "s", first.url)
    route = client.create_route("host", "pbx.example.com", "pbx")
    first.process.send_signal(sig)
    assert first.stop() == 0
    second = ServerProcess("--db", str(state))
    try:
        assert FlowrouteClient("k", "s", second.url).find_route(route.id) == route
    finally:
        second.stop()


def test_controls_need_the_servers_credentials(url: str) -> None:
    anonymous = RemoteEmulator(url)
    with pytest.raises(EmulatorControlError, match="401 Authentication failed"):
        anonymous.reset()
    answer = requests.get(f"{url}/_emulator/requests", timeout=5)
    assert answer.status_code == 401


def test_controls_refuse_a_cross_site_form_post(url: str) -> None:
    client = FlowrouteClient(ACCESS_KEY, SECRET_KEY, url)
    route = client.create_route("host", "pbx.example.com", "pbx")
    answer = requests.post(
        f"{url}/_emulator/reset",
        data="{}",
        headers={"Content-Type": "text/plain"},
        auth=AUTH,
        timeout=5,
    )
    assert answer.status_code == 415
    assert "application/json" in answer.json()["errors"][0]["detail"]
    assert client.find_route(route.id) == route


def test_a_cnam_review_is_decided_by_a_bare_post(url: str) -> None:
    # What the README shows: `curl -X POST -u KEY:SECRET URL/_emulator/cnams/ID/approve`.
    client = FlowrouteClient(ACCESS_KEY, SECRET_KEY, url)
    record = client.create_caller_name("Acme Support")
    answer = requests.post(f"{url}/_emulator/cnams/{record.id}/approve", auth=AUTH, timeout=5)
    assert answer.status_code == 204, answer.text
    assert client.get_caller_name(record.id).status == "approved"


def test_controls_answer_only_to_loopback_host_names(url: str) -> None:
    port = url.rsplit(":", 1)[1]
    for host, status in (("evil.example:" + port, 403), ("localhost:" + port, 200)):
        answer = requests.get(
            f"{url}/_emulator/requests", headers={"Host": host}, auth=AUTH, timeout=5
        )
        assert answer.status_code == status, host


def test_seeding_a_number_outside_the_inventory_says_why(url: str) -> None:
    control = RemoteEmulator(url, access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    with pytest.raises(EmulatorControlError, match="not in the emulator's inventory"):
        control.seed_number("12025550000")


@pytest.mark.parametrize("how", ["env", "file"])
def test_secret_key_never_on_the_command_line(tmp_path: Path, how: str) -> None:
    secret = "s3cret-from-" + how
    env = {"FLOWROUTE_EMULATOR_ACCESS_KEY": "k"}
    args: tuple[str, ...] = ()
    if how == "env":
        env["FLOWROUTE_EMULATOR_SECRET_KEY"] = secret
    else:
        key_file = tmp_path / "secret"
        key_file.write_text(secret + "\n")
        args = ("--secret-key-file", str(key_file))
    proc = ServerProcess(*args, env=env)
    try:
        cmdline = Path(f"/proc/{proc.process.pid}/cmdline").read_bytes()
        assert secret.encode() not in cmdline
        assert FlowrouteClient("k", secret, proc.url).find_route("0") is not None
        with pytest.raises(Unauthorized):
            FlowrouteClient("k", "wrong", proc.url).find_route("0")
    finally:
        proc.stop()


DECORATING = mock_flowroute(access_key=ACCESS_KEY, secret_key=SECRET_KEY)


@DECORATING
class TestADecoratedClass:
    def test_its_methods_run_inside_the_mock(self) -> None:
        client = FlowrouteClient(ACCESS_KEY, SECRET_KEY)
        assert next(client.search_available(starts_with="1206", limit=1)).value.startswith("1206")
        assert DECORATING.requests()[-1].path == "/v2/numbers/available"


def test_decorating_a_class_keeps_the_class_and_wraps_its_tests() -> None:
    assert inspect.isclass(TestADecoratedClass)
    TestADecoratedClass().test_its_methods_run_inside_the_mock()


def test_one_handle_serves_several_uses() -> None:
    handle = mock_flowroute(access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    client = FlowrouteClient(ACCESS_KEY, SECRET_KEY)
    with handle:
        client.purchase_number("12065551234")
    with handle:
        assert client.get_number("12065551234").value == "12065551234"
    assert [r.method for r in handle.requests()] == ["POST", "GET"]


def test_a_cnam_review_is_decided_from_the_command_line(tmp_path: Path) -> None:
    state = tmp_path / "account.db"
    backend = FlowrouteBackend(str(state))
    approved, rejected = backend.create_cnam("Acme Support"), backend.create_cnam("Acme Help")
    backend.close()

    def review(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pulumi_flowroute.emulator", "review-cnam", *args]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    done = review("--db", str(state), approved.id)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"caller-name record {approved.id} (ACME SUPPORT) approved\n"
    done = review("--db", str(state), rejected.id, "--reject", "Not a business name")
    assert "rejected (Not a business name)" in done.stdout
    after = FlowrouteBackend(str(state))
    assert after.get_cnam(approved.id).is_approved
    assert after.get_cnam(rejected.id).rejection_reason == "Not a business name"

    missing = review("--db", str(state), "999")
    assert (missing.returncode, missing.stderr) == (
        1,
        "caller-name record 999: CNAM record not found.\n",
    )
    nowhere = review("--db", str(tmp_path / "typo.db"), approved.id)
    assert nowhere.returncode == 2
    assert "no emulator state file at" in nowhere.stderr
    assert not (tmp_path / "typo.db").exists()
