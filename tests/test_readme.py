"""The README's library example runs as written, through the whole-program runner."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.emulators import embedded_client
from tests.support.program_runner import ProgramRunner

README = Path(__file__).resolve().parent.parent / "README.md"


def test_library_example_runs(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    example = next(b for b in blocks if "flowroute.RoutedNumber(" in b)
    (tmp_path / "__main__.py").write_text(example)
    db = tmp_path / "account.db"
    runner = ProgramRunner(
        tmp_path, "readme", "dev", {"flowroute:baseUrl": f"emulator:{db}"}, tmp_path / "state.json"
    )
    up = runner.up()
    assert up.error is None, up.error
    helpdesk = up.exports["helpdesk"]
    assert helpdesk.startswith("1425")
    client = embedded_client(db)
    assert client.get_number("12065551234").alias == "Support line"
    routes = {r.id: r for r in client.list_routes()}
    failover = client.get_number(helpdesk).failover_route_id
    assert failover is not None
    assert routes[failover].value == "12065550100"
    assert runner.up().ops("same")
