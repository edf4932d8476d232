"""The emulator's state: one Flowroute account in SQLite.

Every mutation is one ``BEGIN IMMEDIATE`` transaction, so concurrent requests (threads of the
server, or several processes sharing a state file) cannot sell the same number twice. The HTTP
layer (:mod:`.responses`) parses requests and renders documents; this module knows nothing of
HTTP beyond the typed errors it raises.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import inventory
from .exceptions import HttpBadRequest, HttpForbidden, HttpNotFound, HttpUnprocessable
from .rules import (
    E911_FIELDS,
    callback_url_ok,
    cnam_problem,
    e911_problems,
    geocodes,
    normalized_e911,
    route_value_problem,
)

BUILTIN_ROUTE_ID = "0"
FIRST_ROUTE_ID = 98396
FIRST_E911_ID = 20155
FIRST_CNAM_ID = 22671
DEFAULT_BALANCE = 1000.0
SQLITE_TIMEOUT = 30.0
REQUEST_LOG_LIMIT = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inventory (
    value TEXT PRIMARY KEY, number_type TEXT NOT NULL, rate_center TEXT, state TEXT,
    setup_cost REAL NOT NULL, monthly_cost REAL NOT NULL);
CREATE TABLE IF NOT EXISTS numbers (
    value TEXT PRIMARY KEY, number_type TEXT NOT NULL, rate_center TEXT, state TEXT,
    setup_cost REAL NOT NULL, monthly_cost REAL NOT NULL,
    alias TEXT, cnam_lookups_enabled INTEGER NOT NULL DEFAULT 0,
    primary_route_id TEXT NOT NULL DEFAULT '0', failover_route_id TEXT);
CREATE TABLE IF NOT EXISTS routes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, route_type TEXT NOT NULL, value TEXT,
    alias TEXT NOT NULL, edge_strategy_id INTEGER);
CREATE TABLE IF NOT EXISTS e911s (
    id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL, first_name TEXT NOT NULL,
    last_name TEXT NOT NULL, street_number TEXT NOT NULL, street_name TEXT NOT NULL,
    city TEXT NOT NULL, state TEXT NOT NULL, country TEXT NOT NULL, zip TEXT NOT NULL,
    address_type TEXT, address_type_number TEXT);
CREATE TABLE IF NOT EXISTS e911_numbers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT NOT NULL UNIQUE, e911_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cnams (
    id INTEGER PRIMARY KEY AUTOINCREMENT, value TEXT NOT NULL UNIQUE,
    is_approved INTEGER NOT NULL DEFAULT 0, rejection_reason TEXT,
    creation_datetime TEXT NOT NULL, approval_datetime TEXT);
CREATE TABLE IF NOT EXISTS cnam_numbers (
    number TEXT PRIMARY KEY, cnam_id INTEGER NOT NULL, date_created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS account_callbacks (kind TEXT PRIMARY KEY, url TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, method TEXT NOT NULL, path TEXT NOT NULL,
    query TEXT NOT NULL, content_type TEXT, body TEXT, status INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, method TEXT, path TEXT,
    remaining INTEGER NOT NULL, retry_after INTEGER, seconds REAL);
"""
_STATE_TABLES = (
    "inventory",
    "numbers",
    "routes",
    "e911s",
    "e911_numbers",
    "account_callbacks",
    "cnams",
    "cnam_numbers",
    "requests",
    "faults",
    "meta",
)


@dataclass(frozen=True)
class NumberRecord(inventory.InventoryItem):
    """A number on the account: what it was in inventory, plus what the account sets."""

    alias: str | None = None
    cnam_lookups_enabled: bool = False
    primary_route_id: str | None = BUILTIN_ROUTE_ID
    failover_route_id: str | None = None


@dataclass(frozen=True)
class RouteRecord:
    id: str
    route_type: str
    value: str | None
    alias: str
    edge_strategy_id: int | None


@dataclass(frozen=True)
class LoggedRequest:
    """One API request the emulator answered (control-surface calls are not logged)."""

    seq: int
    method: str
    path: str
    query: str
    content_type: str | None
    body: str | None
    status: int

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class Fault:
    """An injected failure for the next ``count`` requests matching ``method`` / ``path`` prefix.

    Kinds: ``404`` (a stale read that does not see what is there), ``429`` (with
    ``Retry-After: retry_after``), ``500``, ``503``, ``delay`` (wait ``seconds``, then act: a
    commit after the client gave up), ``slow`` (act, then wait ``seconds`` to answer), ``drop``
    (act, then drop the connection without an answer) and ``garbage`` (act, then answer 2xx with
    an HTML page).
    """

    KINDS = ("404", "429", "500", "503", "delay", "slow", "drop", "garbage")

    kind: str
    count: int = 1
    method: str | None = None
    path: str | None = None
    retry_after: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in self.KINDS:
            raise ValueError(f"fault kind must be one of {self.KINDS}, not {self.kind!r}")
        if self.count < 1:
            raise ValueError(f"fault count must be at least 1, not {self.count}")


@dataclass(frozen=True)
class E911Record:
    id: str
    label: str
    first_name: str
    last_name: str
    street_number: str
    street_name: str
    city: str
    state: str
    country: str
    zip: str
    address_type: str | None = None
    address_type_number: str | None = None

    def fields(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in E911_FIELDS}


def _e911(row: sqlite3.Row) -> E911Record:
    return E911Record(**{**dict(row), "id": str(row["id"])})


@dataclass(frozen=True)
class CnamRecord:
    id: str
    value: str
    is_approved: bool
    rejection_reason: str | None
    creation_datetime: str
    approval_datetime: str | None


def _cnam(row: sqlite3.Row) -> CnamRecord:
    return CnamRecord(
        **{**dict(row), "id": str(row["id"]), "is_approved": bool(row["is_approved"])}
    )


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


@dataclass(frozen=True)
class Page:
    items: list[Any]
    has_more: bool


def _number(row: sqlite3.Row | Mapping[str, Any]) -> NumberRecord:
    data = dict(row)
    data["cnam_lookups_enabled"] = bool(data["cnam_lookups_enabled"])
    return NumberRecord(**data)


def _route_key(route_id: str | None) -> int | None:
    """The table key for a route id, or None for one that can name no route (SQLite: 64 bits)."""
    if route_id is None or not re.fullmatch(r"[0-9]{1,18}", route_id):
        return None
    return int(route_id)


def _route(row: sqlite3.Row) -> RouteRecord:
    data = dict(row)
    data["id"] = str(data["id"])
    return RouteRecord(**data)


def _like_filters(filters: dict[str, str | None]) -> tuple[str, list[Any]]:
    """SQL for the digit filters shared by account numbers and inventory."""
    clauses: list[str] = []
    args: list[Any] = []
    patterns = {"starts_with": "{}%", "ends_with": "%{}", "contains": "%{}%"}
    for name, pattern in patterns.items():
        if filters.get(name):
            clauses.append("value LIKE ?")
            args.append(pattern.format(filters[name]))
    return " AND ".join(clauses) or "1", args


def _check_route_value(route_type: str, value: str | None) -> None:
    problem = route_value_problem(route_type, value or "")
    if problem:
        raise HttpUnprocessable({"value": [problem]})


class FlowrouteBackend:
    """One emulated Flowroute account, stored in SQLite (``:memory:`` or a file)."""

    def __init__(self, path: str = ":memory:", *, seed: int = inventory.DEFAULT_SEED) -> None:
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=SQLITE_TIMEOUT
        )
        self._db.row_factory = sqlite3.Row
        if path != ":memory:":
            self._enable_wal()
        self._db.executescript(_SCHEMA)
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM meta WHERE key = 'seed'").fetchone() is None:
                self._seed(db, seed, DEFAULT_BALANCE)

    def close(self) -> None:
        self._db.close()

    def _enable_wal(self) -> None:
        # WAL lets readers in other processes go on while one writes. Switching needs a moment
        # alone with the file, and SQLite answers "locked" at once instead of waiting, so a
        # second process opening a brand-new file at the same time retries.
        deadline = time.monotonic() + SQLITE_TIMEOUT
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- control -----------------------------------------------------------------------------

    @staticmethod
    def _seed(db: sqlite3.Connection, seed: int, balance: float, scale: int = 1) -> None:
        for table in _STATE_TABLES:
            db.execute(f"DELETE FROM {table}")
        db.execute("DELETE FROM sqlite_sequence")
        db.executemany(
            "INSERT INTO inventory VALUES (?, ?, ?, ?, ?, ?)",
            [
                (i.value, i.number_type, i.rate_center, i.state, i.setup_cost, i.monthly_cost)
                for i in inventory.generate(seed, scale)
            ],
        )
        db.execute("INSERT INTO routes VALUES (0, 'sip-reg', NULL, 'sip-reg', NULL)")
        db.execute(
            "UPDATE sqlite_sequence SET seq = ? WHERE name = 'routes'", (FIRST_ROUTE_ID - 1,)
        )
        db.execute("INSERT INTO sqlite_sequence VALUES ('e911s', ?)", (FIRST_E911_ID - 1,))
        db.execute("INSERT INTO sqlite_sequence VALUES ('cnams', ?)", (FIRST_CNAM_ID - 1,))
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("seed", str(seed)), ("balance", repr(float(balance)))],
        )

    def reset(
        self,
        seed: int = inventory.DEFAULT_SEED,
        balance: float = DEFAULT_BALANCE,
        *,
        inventory_scale: int = 1,
    ) -> None:
        """Forget everything: fresh inventory for ``seed``, no numbers, only route ``"0"``.

        ``inventory_scale`` multiplies the inventory (2,282 numbers) for fleets larger than it.
        """
        with self._transaction() as db:
            self._seed(db, seed, balance, inventory_scale)

    def seed_number(self, value: str, *, alias: str | None = None) -> NumberRecord:
        """Put an inventory number on the account without a purchase (a pre-owned number)."""
        try:
            return self.purchase(value, charge=False, alias=alias)
        except HttpNotFound:
            raise HttpBadRequest(
                f"{value} is not in the emulator's inventory, so it cannot be seeded; pick one "
                "from GET /v2/numbers/available"
            ) from None

    def set_balance(self, balance: float) -> None:
        with self._transaction() as db:
            db.execute("UPDATE meta SET value = ? WHERE key = 'balance'", (repr(float(balance)),))

    def balance(self) -> float:
        return float(self._read("SELECT value FROM meta WHERE key = 'balance'")[0][0])

    def log_request(
        self,
        method: str,
        path: str,
        query: str,
        content_type: str | None,
        body: str | None,
        status: int,
    ) -> None:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO requests (method, path, query, content_type, body, status) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (method, path, query, content_type, body, status),
            )
            # A long-lived dev state file would otherwise grow with every request.
            db.execute(
                "DELETE FROM requests WHERE seq <= ?",
                ((cursor.lastrowid or 0) - REQUEST_LOG_LIMIT,),
            )

    def request_log(self) -> list[LoggedRequest]:
        return [
            LoggedRequest(**dict(row)) for row in self._read("SELECT * FROM requests ORDER BY seq")
        ]

    def clear_request_log(self) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM requests")

    def add_fault(self, fault: Fault) -> None:
        """Arm ``fault``; requests meet armed faults in the order they were added."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO faults (kind, method, path, remaining, retry_after, seconds) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    fault.kind,
                    fault.method.upper() if fault.method else None,
                    fault.path,
                    fault.count,
                    fault.retry_after,
                    fault.seconds,
                ),
            )

    def clear_faults(self) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM faults")

    def armed_faults(self) -> int:
        """How many injected faults are still waiting for a request to meet them."""
        return int(self._read("SELECT coalesce(sum(remaining), 0) FROM faults")[0][0])

    def take_fault(self, method: str, path: str) -> Fault | None:
        """Consume and return the first armed fault matching this request, if any."""
        # Most requests meet no fault: a plain read spares them a write transaction.
        if not self._read("SELECT 1 FROM faults WHERE remaining > 0 LIMIT 1"):
            return None
        with self._transaction() as db:
            row = db.execute(
                "SELECT id, kind, method, path, retry_after, seconds FROM faults "
                "WHERE remaining > 0 "
                "AND (method IS NULL OR method = ?) AND (path IS NULL OR ? LIKE path || '%') "
                "ORDER BY id LIMIT 1",
                (method, path),
            ).fetchone()
            if row is None:
                return None
            db.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = ?", (row["id"],))
            return Fault(
                row["kind"],
                1,
                row["method"],
                row["path"],
                row["retry_after"],
                row["seconds"],
            )

    # -- numbers -----------------------------------------------------------------------------

    def list_numbers(self, filters: dict[str, str | None], limit: int, offset: int) -> Page:
        where, args = _like_filters(filters)
        if filters.get("alias") is not None:
            where += " AND alias = ?"
            args.append(filters["alias"])
        rows = self._read(
            f"SELECT * FROM numbers WHERE {where} ORDER BY value LIMIT ? OFFSET ?",
            [*args, limit + 1, offset],
        )
        return Page([_number(r) for r in rows[:limit]], len(rows) > limit)

    def list_available(self, filters: dict[str, str | None], limit: int, offset: int) -> Page:
        where, args = _like_filters(filters)
        for column in ("rate_center", "state"):
            if filters.get(column):
                where += f" AND lower({column}) = lower(?)"
                args.append(filters[column])
        rows = self._read(
            f"SELECT * FROM inventory WHERE {where} ORDER BY value LIMIT ? OFFSET ?",
            [*args, limit + 1, offset],
        )
        items = [inventory.InventoryItem(**dict(r)) for r in rows[:limit]]
        return Page(items, len(rows) > limit)

    def purchase(
        self,
        value: str,
        *,
        charge: bool = True,
        alias: str | None = None,
        cnam_lookups_enabled: bool = False,
    ) -> NumberRecord:
        with self._transaction() as db:
            row = db.execute("SELECT * FROM inventory WHERE value = ?", (value,)).fetchone()
            if row is None:
                raise HttpNotFound("Number not available for purchase.")
            balance = float(
                db.execute("SELECT value FROM meta WHERE key = 'balance'").fetchone()[0]
            )
            if charge and balance < row["setup_cost"]:
                raise HttpForbidden(
                    f"Insufficient funds: the setup cost is {row['setup_cost']:.2f} "
                    f"and the balance is {balance:.2f}."
                )
            if charge:
                db.execute(
                    "UPDATE meta SET value = ? WHERE key = 'balance'",
                    (repr(balance - row["setup_cost"]),),
                )
            db.execute("DELETE FROM inventory WHERE value = ?", (value,))
            db.execute(
                "INSERT INTO numbers (value, number_type, rate_center, state, setup_cost, "
                "monthly_cost, alias, cnam_lookups_enabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*tuple(row), alias, int(cnam_lookups_enabled)),
            )
        return self.get_number(value)

    def get_number(self, value: str) -> NumberRecord:
        rows = self._read("SELECT * FROM numbers WHERE value = ?", (value,))
        if not rows:
            raise HttpNotFound("Could not find that resource on your account.")
        return _number(rows[0])

    def update_number(self, value: str, changes: dict[str, Any]) -> NumberRecord:
        with self._transaction() as db:
            self._require_number(db, value)
            if "alias" in changes:
                db.execute(
                    "UPDATE numbers SET alias = ? WHERE value = ?", (changes["alias"], value)
                )
            if "cnam_lookups_enabled" in changes:
                db.execute(
                    "UPDATE numbers SET cnam_lookups_enabled = ? WHERE value = ?",
                    (int(changes["cnam_lookups_enabled"]), value),
                )
        return self.get_number(value)

    def release(self, value: str) -> None:
        with self._transaction() as db:
            row = self._require_number(db, value)
            db.execute("DELETE FROM numbers WHERE value = ?", (value,))
            # The emulator's choice: a release is not blocked by an E911 address or a caller name;
            # it detaches them.
            db.execute("DELETE FROM e911_numbers WHERE number = ?", (value,))
            db.execute("DELETE FROM cnam_numbers WHERE number = ?", (value,))
            db.execute(
                "INSERT INTO inventory VALUES (?, ?, ?, ?, ?, ?)",
                (
                    row["value"],
                    row["number_type"],
                    row["rate_center"],
                    row["state"],
                    row["setup_cost"],
                    row["monthly_cost"],
                ),
            )

    def set_route(self, value: str, slot: str, route_id: str) -> None:
        with self._transaction() as db:
            self._require_number(db, value)
            key = _route_key(route_id)
            if (
                key is None
                or db.execute("SELECT 1 FROM routes WHERE id = ?", (key,)).fetchone() is None
            ):
                raise HttpNotFound("Route not found.")
            db.execute(f"UPDATE numbers SET {slot}_route_id = ? WHERE value = ?", (route_id, value))

    def remove_route(self, value: str, slot: str) -> None:
        with self._transaction() as db:
            self._require_number(db, value)
            replacement = BUILTIN_ROUTE_ID if slot == "primary" else None
            db.execute(
                f"UPDATE numbers SET {slot}_route_id = ? WHERE value = ?", (replacement, value)
            )

    @staticmethod
    def _require_number(db: sqlite3.Connection, value: str) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM numbers WHERE value = ?", (value,)
        ).fetchone()
        if row is None:
            raise HttpNotFound("Could not find that resource on your account.")
        return row

    # -- routes ------------------------------------------------------------------------------

    def list_routes(self, route_type: str | None, limit: int, offset: int) -> Page:
        where, args = ("route_type = ?", [route_type]) if route_type else ("1", [])
        rows = self._read(
            f"SELECT * FROM routes WHERE {where} ORDER BY id LIMIT ? OFFSET ?",
            [*args, limit + 1, offset],
        )
        return Page([_route(r) for r in rows[:limit]], len(rows) > limit)

    def routes_by_id(self, ids: Sequence[str]) -> list[RouteRecord]:
        wanted = sorted({k for k in map(_route_key, ids) if k is not None})
        marks = ",".join("?" * len(wanted))
        return [
            _route(r)
            for r in self._read(f"SELECT * FROM routes WHERE id IN ({marks}) ORDER BY id", wanted)
        ]

    def create_route(
        self, route_type: str, value: str, alias: str, edge_strategy_id: int | None
    ) -> RouteRecord:
        _check_route_value(route_type, value)
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO routes (route_type, value, alias, edge_strategy_id) "
                "VALUES (?, ?, ?, ?)",
                (route_type, value, alias, edge_strategy_id),
            )
            route_id = str(cursor.lastrowid)
        return self.routes_by_id([route_id])[0]

    def update_route(self, route_id: str, changes: dict[str, Any]) -> RouteRecord:
        with self._transaction() as db:
            current = self._require_route(db, route_id)
            merged = {**dict(current), **changes}
            _check_route_value(merged["route_type"], merged["value"])
            db.execute(
                "UPDATE routes SET route_type = ?, value = ?, alias = ?, edge_strategy_id = ? "
                "WHERE id = ?",
                (
                    merged["route_type"],
                    merged["value"],
                    merged["alias"],
                    merged["edge_strategy_id"],
                    int(route_id),
                ),
            )
        return self.routes_by_id([route_id])[0]

    def delete_route(self, route_id: str) -> None:
        with self._transaction() as db:
            self._require_route(db, route_id)
            users = db.execute(
                "SELECT count(*) FROM numbers WHERE primary_route_id = ? OR failover_route_id = ?",
                (route_id, route_id),
            ).fetchone()[0]
            if users:
                raise HttpForbidden(
                    "Please disassociate all numbers before deleting.",
                    title="This Route has numbers still associated to it.",
                )
            db.execute("DELETE FROM routes WHERE id = ?", (int(route_id),))

    @staticmethod
    def _require_route(db: sqlite3.Connection, route_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = None
        key = _route_key(route_id)
        if key is not None:
            row = db.execute("SELECT * FROM routes WHERE id = ?", (key,)).fetchone()
        if row is None:
            raise HttpNotFound("Invalid Route Id")
        if str(row["id"]) == BUILTIN_ROUTE_ID:
            raise HttpForbidden("The built-in route 0 cannot be changed or deleted.")
        return row

    # -- E911 addresses ----------------------------------------------------------------------

    def list_e911s(self, filters: dict[str, str], limit: int, offset: int) -> Page:
        clauses: list[str] = ["1"]
        args: list[Any] = []
        for column, value in filters.items():
            if column == "state":
                clauses.append("lower(state) = lower(?)")
                args.append(value)
            else:
                clauses.append(f"instr(lower({column}), lower(?)) > 0")
                args.append(value)
        rows = self._read(
            f"SELECT * FROM e911s WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ? OFFSET ?",
            [*args, limit + 1, offset],
        )
        return Page([_e911(r) for r in rows[:limit]], len(rows) > limit)

    def get_e911(self, e911_id: str) -> E911Record:
        rows = self._read("SELECT * FROM e911s WHERE id = ?", (_key(e911_id),))
        if not rows:
            raise HttpNotFound("E911 record not found.")
        return _e911(rows[0])

    @staticmethod
    def validate_e911(fields: dict[str, Any]) -> dict[str, str | None]:
        """The address as it would be stored; raises what Flowroute answers a bad one with."""
        problems = e911_problems(fields)
        if problems:
            raise HttpUnprocessable({"data": {"attributes": problems}})
        stored = normalized_e911(fields)
        if not geocodes(stored):
            raise HttpBadRequest(
                "Could not geocode this address. Please check the address and try again.",
                title="Client Error",
            )
        return stored

    def create_e911(self, fields: dict[str, Any]) -> E911Record:
        stored = self.validate_e911(fields)
        with self._transaction() as db:
            for row in db.execute("SELECT * FROM e911s").fetchall():
                if _same_address(_e911(row).fields(), stored):
                    raise HttpForbidden("Duplicate address.")
            cursor = db.execute(
                f"INSERT INTO e911s ({', '.join(E911_FIELDS)}) "
                f"VALUES ({', '.join('?' for _ in E911_FIELDS)})",
                [stored[name] for name in E911_FIELDS],
            )
            new_id = str(cursor.lastrowid)
        return self.get_e911(new_id)

    def update_e911(self, e911_id: str, changes: dict[str, Any]) -> E911Record:
        current = self.get_e911(e911_id)
        stored = self.validate_e911({**current.fields(), **changes})
        with self._transaction() as db:
            db.execute(
                f"UPDATE e911s SET {', '.join(f'{name} = ?' for name in E911_FIELDS)} WHERE id = ?",
                [*(stored[name] for name in E911_FIELDS), _key(e911_id)],
            )
        return self.get_e911(e911_id)

    def delete_e911(self, e911_id: str) -> None:
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM e911s WHERE id = ?", (_key(e911_id),)).fetchone() is None:
                raise HttpNotFound("E911 record not found.")
            used = db.execute(
                "SELECT 1 FROM e911_numbers WHERE e911_id = ?", (_key(e911_id),)
            ).fetchone()
            if used is not None:
                raise HttpForbidden(
                    "Please disassociate all numbers before deleting.",
                    title="This E911 address has numbers still associated to it.",
                )
            db.execute("DELETE FROM e911s WHERE id = ?", (_key(e911_id),))

    def e911_numbers(self, e911_id: str) -> list[tuple[str, NumberRecord]]:
        """The numbers using an address, each with its relationship id."""
        self.get_e911(e911_id)
        rows = self._read(
            "SELECT a.id AS relationship, n.* FROM e911_numbers a "
            "JOIN numbers n ON n.value = a.number WHERE a.e911_id = ? ORDER BY a.id",
            (_key(e911_id),),
        )
        found = []
        for row in rows:
            fields = dict(row)
            relationship = str(fields.pop("relationship"))
            found.append((relationship, _number(fields)))
        return found

    def e911_of(self, number: str) -> str | None:
        rows = self._read("SELECT e911_id FROM e911_numbers WHERE number = ?", (number,))
        return str(rows[0]["e911_id"]) if rows else None

    def assign_e911(self, number: str, e911_id: str) -> None:
        with self._transaction() as db:
            row = self._require_number(db, number)
            if db.execute("SELECT 1 FROM e911s WHERE id = ?", (_key(e911_id),)).fetchone() is None:
                raise HttpNotFound("E911 record not found.")
            if row["number_type"] == "tollfree":
                raise HttpUnprocessable(
                    "Cannot assign an E911 record to a number that does not support emergency "
                    "services."
                )
            db.execute(
                "INSERT INTO e911_numbers (number, e911_id) VALUES (?, ?) "
                "ON CONFLICT (number) DO UPDATE SET e911_id = excluded.e911_id",
                (number, _key(e911_id)),
            )

    def unassign_e911(self, number: str) -> None:
        with self._transaction() as db:
            self._require_number(db, number)
            db.execute("DELETE FROM e911_numbers WHERE number = ?", (number,))

    # -- messaging callbacks -----------------------------------------------------------------

    def callback(self, kind: str) -> str | None:
        rows = self._read("SELECT url FROM account_callbacks WHERE kind = ?", (kind,))
        return str(rows[0]["url"]) if rows else None

    def set_callback(self, kind: str, url: str) -> None:
        if not callback_url_ok(url):
            raise HttpUnprocessable({"callback_url": ["must be an absolute http or https URL"]})
        with self._transaction() as db:
            db.execute(
                "INSERT INTO account_callbacks VALUES (?, ?) "
                "ON CONFLICT (kind) DO UPDATE SET url = excluded.url",
                (kind, url),
            )

    def remove_callback(self, kind: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM account_callbacks WHERE kind = ?", (kind,))

    # -- CNAM records --------------------------------------------------------------------------

    def list_cnams(
        self, value: str | None, is_approved: bool | None, limit: int, offset: int
    ) -> Page:
        clauses: list[str] = ["1"]
        args: list[Any] = []
        if value:
            clauses.append("instr(lower(value), lower(?)) > 0")
            args.append(value)
        if is_approved is not None:
            clauses.append("is_approved = ?")
            args.append(int(is_approved))
        rows = self._read(
            f"SELECT * FROM cnams WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ? OFFSET ?",
            [*args, limit + 1, offset],
        )
        return Page([_cnam(r) for r in rows[:limit]], len(rows) > limit)

    def get_cnam(self, cnam_id: str) -> CnamRecord:
        rows = self._read("SELECT * FROM cnams WHERE id = ?", (_key(cnam_id),))
        if not rows:
            raise HttpNotFound("CNAM record not found.", title="Resource not found")
        return _cnam(rows[0])

    def create_cnam(self, value: object) -> CnamRecord:
        problem = cnam_problem(value)
        if problem:
            raise HttpUnprocessable({"value": [problem]})
        stored = str(value).upper()
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM cnams WHERE value = ?", (stored,)).fetchone():
                raise HttpUnprocessable("A record with that value already exists.")
            cursor = db.execute(
                "INSERT INTO cnams (value, creation_datetime) VALUES (?, ?)", (stored, _now())
            )
            new_id = str(cursor.lastrowid)
        return self.get_cnam(new_id)

    def update_cnam(self, cnam_id: str, value: object) -> CnamRecord:
        record = self.get_cnam(cnam_id)
        if record.is_approved or record.rejection_reason:
            raise HttpUnprocessable("Only a pending CNAM record can be changed.")
        problem = cnam_problem(value)
        if problem:
            raise HttpUnprocessable({"value": [problem]})
        with self._transaction() as db:
            db.execute(
                "UPDATE cnams SET value = ? WHERE id = ?", (str(value).upper(), _key(cnam_id))
            )
        return self.get_cnam(cnam_id)

    def delete_cnam(self, cnam_id: str) -> None:
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM cnams WHERE id = ?", (_key(cnam_id),)).fetchone() is None:
                raise HttpNotFound(
                    "CNAM record not found. Nothing to delete.", title="Resource not found"
                )
            # Deleting a record takes it off every number using it.
            db.execute("DELETE FROM cnam_numbers WHERE cnam_id = ?", (_key(cnam_id),))
            db.execute("DELETE FROM cnams WHERE id = ?", (_key(cnam_id),))

    def decide_cnam(self, cnam_id: str, rejection_reason: str | None = None) -> CnamRecord:
        """Flowroute's review, which takes up to 48 hours: approve, or reject with a reason."""
        self.get_cnam(cnam_id)
        with self._transaction() as db:
            db.execute(
                "UPDATE cnams SET is_approved = ?, rejection_reason = ?, approval_datetime = ? "
                "WHERE id = ?",
                (
                    int(rejection_reason is None),
                    rejection_reason,
                    _now() if rejection_reason is None else None,
                    _key(cnam_id),
                ),
            )
        return self.get_cnam(cnam_id)

    def cnam_numbers(self, cnam_id: str) -> list[str]:
        rows = self._read(
            "SELECT number FROM cnam_numbers WHERE cnam_id = ? ORDER BY number", (_key(cnam_id),)
        )
        return [str(row["number"]) for row in rows]

    def cnam_of(self, number: str) -> str | None:
        rows = self._read("SELECT cnam_id FROM cnam_numbers WHERE number = ?", (number,))
        return str(rows[0]["cnam_id"]) if rows else None

    def assign_cnam(self, number: str, cnam_id: str) -> str:
        """Request the caller name for ``number``; returns when the request was made."""
        with self._transaction() as db:
            row = self._require_number(db, number)
            record = db.execute(
                "SELECT is_approved FROM cnams WHERE id = ?", (_key(cnam_id),)
            ).fetchone()
            if record is None:
                raise HttpNotFound("CNAM record not found.", title="Resource not found")
            if not record["is_approved"]:
                raise HttpUnprocessable("CNAM record is not approved yet.")
            if row["number_type"] == "tollfree":
                raise HttpUnprocessable("CNAM can only be assigned to long-code numbers.")
            created = _now()
            db.execute(
                "INSERT INTO cnam_numbers VALUES (?, ?, ?) ON CONFLICT (number) DO UPDATE "
                "SET cnam_id = excluded.cnam_id, date_created = excluded.date_created",
                (number, _key(cnam_id), created),
            )
        return created

    def unassign_cnam(self, number: str) -> str:
        with self._transaction() as db:
            self._require_number(db, number)
            db.execute("DELETE FROM cnam_numbers WHERE number = ?", (number,))
        return _now()


def _key(record_id: str) -> int:
    """The table key for an id in a path; one that can name no record finds nothing."""
    return int(record_id) if re.fullmatch(r"[0-9]{1,18}", record_id) else -1


def _same_address(one: dict[str, str | None], other: dict[str, str | None]) -> bool:
    def plain(value: str | None) -> str:
        return " ".join((value or "").split()).lower()

    return all(plain(one[name]) == plain(other[name]) for name in E911_FIELDS)
