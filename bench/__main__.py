"""``python -m bench [--quick | --large] [--out PATH]``: API calls, provider overhead, fleets,
the emulator.

Prints one table per section and writes every number to a JSON file it names. The machine is
shared and noisy: compare rows of one run (medians, ratios), never numbers across runs.
``--quick`` (under a minute) is CI's smoke check of this script: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

from bench import cli_fleet, plugin_fleet
from bench.cli_fleet import AUTH, emulator_server
from pulumi_flowroute import FlowrouteClient
from pulumi_flowroute.emulator import FlowrouteBackend
from pulumi_flowroute.inbound_route import InboundRouteProvider
from pulumi_flowroute.number_routing import NumberRoutingProvider
from pulumi_flowroute.phone_number import PhoneNumberProvider
from pulumi_flowroute.provider_base import FlowrouteProvider, forget_deployment
from tests.support.cli import provide_cli
from tests.support.emulators import embedded_client
from tests.support.engine import ProviderServer, provider_blob
from tests.support.providers import checked, configured

ROOT = Path(__file__).resolve().parent.parent
Row = dict[str, Any]


def table(title: str, rows: list[Row]) -> None:
    """Print ``rows`` as an aligned text table under ``title``."""
    print(f"\n{title}")
    if not rows:
        return
    columns = list(rows[0])
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row_cells in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row_cells, widths, strict=True)))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else str(value)


# -- API calls per operation ------------------------------------------------------------------


class Account:
    """An emulated account in a file, and providers configured against it."""

    def __init__(self, directory: Path) -> None:
        self.db = str(directory / "calls.db")
        self.backend = FlowrouteBackend(self.db)
        self.config = {"flowroute:baseUrl": f"emulator:{self.db}", "flowroute:settleSeconds": "1"}

    def provider(self, cls: type[FlowrouteProvider]) -> Any:
        return configured(cls, dict(self.config))

    def calls(self, operation: Callable[[], Any]) -> tuple[int, Any]:
        """Run ``operation`` as a deployment of its own; count the API requests it made."""
        forget_deployment()
        self.backend.clear_request_log()
        result = operation()
        return len(self.backend.request_log()), result


def api_calls(directory: Path) -> list[Row]:
    account = Account(directory)
    numbers = account.provider(PhoneNumberProvider)
    routes = account.provider(InboundRouteProvider)
    routing = account.provider(NumberRoutingProvider)
    rows: list[Row] = []

    def measure(name: str, minimum: int, operation: Callable[[], Any], why: str = "") -> Any:
        calls, result = account.calls(operation)
        rows.append(
            {
                "operation": name,
                "calls": calls,
                "minimum": minimum,
                "ratio": calls / minimum if minimum else (1.0 if calls == 0 else float(calls)),
                "why above the minimum": why if calls > minimum else "",
            }
        )
        return result

    default = {"default_alias": "bench.dev.line"}
    client = embedded_client(account.db)
    exact = next(client.search_available(starts_with="1206", limit=2)).value
    measure(
        "check (preview)",
        0,
        lambda: checked(numbers, {**default, "search": {"starts_with": "206"}}),
    )
    measure(
        "exact purchase",
        1,
        lambda: numbers.create(checked(numbers, {**default, "number": exact})),
        "+1 inventory read (cost outputs and limits); +1 alias PATCH: every number bought gets "
        "an alias, so an interrupted purchase can be told apart (the POST takes no alias)",
    )
    exact2 = next(client.search_available(starts_with="1303", limit=1)).value
    measure(
        "exact purchase with alias",
        2,
        lambda: numbers.create(checked(numbers, {**default, "number": exact2, "alias": "Desk"})),
        "+1 inventory read: the cost outputs and limits; +1 claim PATCH before your alias: until "
        "Pulumi records the number, only its claim proves it this resource's",
    )
    by_search = {**default, "search": {"starts_with": "425"}}
    bought = measure(
        "purchase by search",
        3,
        lambda: numbers.create(checked(numbers, by_search)),
        "+1 account list per search per deployment: finds interrupted purchases before buying",
    )
    outs = dict(bought.outs)
    measure("read (refresh)", 1, lambda: numbers.read(bought.id, outs))
    measure(
        "alias update",
        1,
        lambda: numbers.update(bought.id, outs, checked(numbers, {**by_search, "alias": "New"})),
    )
    pbx = measure(
        "route create",
        1,
        lambda: routes.create(
            checked(routes, {"route_type": "host", "value": "pbx.example.com", "alias": None})
        ),
    )
    cell = measure(
        "route create, explicit alias",
        2,
        lambda: routes.create(
            checked(routes, {"route_type": "number", "value": "12065550100", "alias": "cell"})
        ),
    )
    measure("route refresh", 1, lambda: routes.read(pbx.id, dict(pbx.outs)))
    wanted = {"number": bought.id, "primary_route_id": pbx.id, "failover_route_id": cell.id}
    routed = measure(
        "routing create (primary + failover)",
        2,
        lambda: routing.create(checked(routing, dict(wanted))),
    )
    swapped = {**wanted, "primary_route_id": cell.id}
    measure(
        "one relationship change",
        1,
        lambda: routing.update(bought.id, dict(routed.outs), checked(routing, swapped)),
    )
    measure("routing delete", 2, lambda: routing.delete(bought.id, swapped))
    measure("release", 1, lambda: numbers.delete(bought.id, {**outs, "release_on_delete": True}))
    client.close()
    return rows


# -- provider overhead ------------------------------------------------------------------------


def _median_ms(call: Callable[[], object], rounds: int) -> float:
    for _ in range(5):
        call()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def overhead(directory: Path, rounds: int) -> list[Row]:
    """A number read and an alias update: the provider server and the provider's own methods
    against raw ``requests`` doing the same HTTP work (one GET, one PATCH) on one session."""
    db = str(directory / "overhead.db")
    FlowrouteBackend(db)
    with emulator_server(db) as url:
        client = FlowrouteClient(*AUTH, url)
        number = client.purchase_number(next(client.search_available(limit=1)).value).value
        client.close()
        config = {
            "flowroute:accessKey": AUTH[0],
            "flowroute:secretKey": AUTH[1],
            "flowroute:baseUrl": url,
        }
        server = ProviderServer()
        server.configure(config)
        in_process = configured(PhoneNumberProvider, config)
        urn = ProviderServer.urn("flowroute:PhoneNumber", "n")
        blob = provider_blob(PhoneNumberProvider())
        props = {"number": number, "alias": "a", "__provider": blob}
        renamed = {**props, "alias": "b"}
        session = requests.Session()
        session.auth = AUTH
        patch = {"type": "number", "alias": "b"}
        cases: list[tuple[str, Callable[[], object], Callable[[], object], Callable[[], object]]]
        cases = [
            (
                "number read",
                lambda: server.read(urn, number, props, props),
                lambda: in_process.read(number, props),
                lambda: session.get(f"{url}/v2/numbers/{number}", timeout=10).json(),
            ),
            (
                "alias update",
                lambda: server.update(urn, number, props, renamed),
                lambda: in_process.update(number, props, renamed),
                lambda: session.patch(f"{url}/v2/numbers/{number}", json=patch, timeout=10).json(),
            ),
        ]
        rows = []
        for name, through_server, own, raw in cases:
            server_ms = _median_ms(through_server, rounds)
            own_ms = _median_ms(own, rounds)
            raw_ms = _median_ms(raw, rounds)
            rows.append(
                {
                    "operation": name,
                    "raw requests ms": raw_ms,
                    "provider methods ms": own_ms,
                    "ratio": own_ms / raw_ms,
                    "via provider server ms": server_ms,
                    "server ratio": server_ms / raw_ms,
                }
            )
        server.close()
        session.close()
    return rows


# -- fleets -----------------------------------------------------------------------------------

# -- emulator throughput ----------------------------------------------------------------------


def throughput(directory: Path, seconds: float) -> list[Row]:
    db = str(directory / "throughput.db")
    # Enough inventory that the purchase runs never run dry (about 9,000 numbers).
    FlowrouteBackend(db).reset(balance=1e7, inventory_scale=4)
    rows = []
    with emulator_server(db) as url:
        client = FlowrouteClient(*AUTH, url)
        for_sale = [n.value for n in client.search_available()]
        owned = client.purchase_number(for_sale.pop()).value
        client.close()
        lock = threading.Lock()

        def details(session: requests.Session) -> None:
            session.get(f"{url}/v2/numbers/{owned}", timeout=10).raise_for_status()

        def purchase(session: requests.Session) -> None:
            with lock:
                value = for_sale.pop()  # an IndexError ends the run: see _hammer
            session.post(f"{url}/v2/numbers/{value}", timeout=10).raise_for_status()

        for name, call in (("details GET", details), ("purchase POST", purchase)):
            for clients in (1, 8):
                done, elapsed = _hammer(call, clients, seconds)
                rows.append({"request": name, "clients": clients, "per second": done / elapsed})
    return rows


def _hammer(
    call: Callable[[requests.Session], None], clients: int, seconds: float
) -> tuple[int, float]:
    """Requests done by ``clients`` threads for ``seconds`` (or until the numbers run out)."""
    counts = [0] * clients
    start = time.monotonic()
    deadline = start + seconds

    def worker(index: int) -> None:
        session = requests.Session()
        session.auth = AUTH
        try:
            while time.monotonic() < deadline:
                call(session)
                counts[index] += 1
        except IndexError:
            pass
        finally:
            session.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts), time.monotonic() - start


def _add_growth(rows: list[Row]) -> None:
    """t(N)/t(N/10) for each operation whose tenth-size fleet was measured in this run: run the
    same way (one stack, or split) if it was, else in one stack."""
    seconds = {(r["numbers"], r["operation"], r["stacks"] > 1): r["pulumi s"] for r in rows}
    for row in rows:
        tenth = row["numbers"] // 10, row["operation"]
        before = seconds.get((*tenth, row["stacks"] > 1)) or seconds.get((*tenth, False))
        row["t(N)/t(N/10)"] = row["pulumi s"] / before if before else None


# -- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a 10-number fleet: a smoke check")
    parser.add_argument(
        "--large",
        action="store_true",
        help="10,000 numbers split in stacks, and 1,000 through the plugin, too",
    )
    parser.add_argument("--out", default=str(ROOT / "build" / "bench.json"), help="JSON path")
    args = parser.parse_args(argv)
    sizes = (10,) if args.quick else (100, 300, 1000)
    # The same fleet through the provider plugin, in one stack. Its 1,000 numbers (about ten
    # minutes on a busy 2-core machine) would nearly double the normal run: --large only.
    plugin_sizes = (10,) if args.quick else (100, 300, 1000) if args.large else (100, 300)
    # (numbers, per stack). One stack's time grows with the square of its numbers: 10,000 in one
    # stack would take hours, and that is what split is for.
    splits = (
        ((10, 5),) if args.quick else ((1000, 250), (10000, 250)) if args.large else ((1000, 250),)
    )
    results: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}",
        "quick": args.quick,
    }
    with tempfile.TemporaryDirectory(prefix="flowroute-bench-") as tmp:
        directory = Path(tmp)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            results["api_calls"] = api_calls(directory)
        table("API calls per operation (minimum: what the API allows)", results["api_calls"])
        results["overhead"] = overhead(directory, 30 if args.quick else 300)
        table(
            "Provider overhead per operation against raw requests, medians",
            results["overhead"],
        )
        cli_bin = provide_cli()
        packages = plugin_fleet.install(directory, ROOT, cli_bin)
        fleets: list[Row] = []
        plugin_fleets: list[Row] = []
        for size in sizes:
            if size in plugin_sizes:
                dynamic, plugin = plugin_fleet.fleets(directory, ROOT, cli_bin, packages, size)
                fleets += dynamic
                plugin_fleets += plugin
            else:
                fleets += cli_fleet.fleet(directory, ROOT, cli_bin, size)
        for size, per_stack in splits:
            fleets += cli_fleet.fleet(directory, ROOT, cli_bin, size, per_stack)
        _add_growth(fleets)
        _add_growth(plugin_fleets)
        results["fleets"] = fleets
        table(
            "The stack-config fleet under plain pulumi (one search, two shared routes), beside "
            "the floor: the same API calls made directly by one thread",
            results["fleets"],
        )
        results["plugin_fleets"] = plugin_fleet.beside(fleets, plugin_fleets)
        table(
            "The same fleet through the provider plugin (a Pulumi YAML program, one "
            "flowroute:index:Fleet) and the dynamic one, operations in turn, beside the floor",
            results["plugin_fleets"],
        )
        onboard_sizes = (25,) if args.quick else (1000, 10000) if args.large else (1000,)
        results["onboarding"] = [cli_fleet.onboarding(directory, n) for n in onboard_sizes]
        table(
            "Onboarding an account in use (python -m pulumi_flowroute onboard), beside the "
            "floor: the same reads made one after another by one thread",
            results["onboarding"],
        )
        results["throughput"] = throughput(directory, 1.0 if args.quick else 5.0)
        table("Emulator server throughput", results["throughput"])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
