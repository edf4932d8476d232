"""The emulator's SQLite store: schema, transactions, seeding, the account balance.

Every mutation is one ``BEGIN IMMEDIATE`` transaction, so concurrent requests (threads of the
server, or several processes sharing a state file) cannot sell the same number twice. Each area
of the account (numbers, routes, E911, CNAM, messaging, the request log, faults) is a
:class:`Store` subclass in a module of its own; :mod:`.models` assembles them.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import inventory
from .exceptions import HttpNotFound

BUILTIN_ROUTE_ID = "0"
FIRST_ROUTE_ID = 98396
FIRST_E911_ID = 20155
FIRST_CNAM_ID = 22671
DEFAULT_BALANCE = 1000.0
SQLITE_TIMEOUT = 30.0

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
class Page:
    items: list[Any]
    has_more: bool


def timestamp() -> str:
    """Now, as Flowroute writes dates."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def record_key(record_id: str | None) -> int:
    """The table key for an id from a request; -1 (no row) for one that can name no record
    (SQLite keys are 64 bits)."""
    if record_id is None or not re.fullmatch(r"[0-9]{1,18}", record_id):
        return -1
    return int(record_id)


class Store:
    """The account's SQLite database, shared by every area of the account (see models)."""

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

    def set_balance(self, balance: float) -> None:
        with self._transaction() as db:
            db.execute("UPDATE meta SET value = ? WHERE key = 'balance'", (repr(float(balance)),))

    def balance(self) -> float:
        return float(self._read("SELECT value FROM meta WHERE key = 'balance'")[0][0])

    @staticmethod
    def _require_number(db: sqlite3.Connection, value: str) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM numbers WHERE value = ?", (value,)
        ).fetchone()
        if row is None:
            raise HttpNotFound("Could not find that resource on your account.")
        return row
