"""Latency of one details GET through each emulator front door, and of a 200-item page.

Run with ``make bench``. Prints a table of medians; the machine is shared, so compare the rows
of one run rather than numbers across runs.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pulumi_flowroute import FlowrouteClient
from pulumi_flowroute.emulator import mock_flowroute

ROUNDS = 300


def _median_ms(call: Callable[[], object], rounds: int = ROUNDS) -> float:
    for _ in range(10):
        call()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _measure(client: FlowrouteClient) -> tuple[float, float]:
    number = next(client.search_available(limit=1)).value
    client.purchase_number(number)
    details = _median_ms(lambda: client.get_number(number))
    page = _median_ms(lambda: list(client.search_available(limit=200)), rounds=50)
    return details, page


def main() -> None:
    rows: list[tuple[str, float, float]] = []
    server = subprocess.Popen(
        [sys.executable, "-m", "pulumi_flowroute.emulator", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        rows.append(("server (loopback HTTP)", *_measure(FlowrouteClient("k", "s", url))))
    finally:
        server.terminate()
        server.wait()
    with mock_flowroute():
        rows.append(("mock_flowroute()", *_measure(FlowrouteClient("k", "s"))))
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "bench.db"
        rows.append(("emulator:PATH", *_measure(FlowrouteClient("k", "s", f"emulator:{state}"))))
    print(f"{'front door':<24} {'details GET (ms)':>18} {'200-item page (ms)':>20}")
    for name, details, page in rows:
        print(f"{name:<24} {details:>18.2f} {page:>20.2f}")


if __name__ == "__main__":
    main()
