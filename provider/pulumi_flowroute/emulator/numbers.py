"""The account's numbers and the inventory they are bought from."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import inventory
from .exceptions import HttpBadRequest, HttpForbidden, HttpNotFound
from .store import BUILTIN_ROUTE_ID, Page, Store, record_key


@dataclass(frozen=True)
class NumberRecord(inventory.InventoryItem):
    """A number on the account: what it was in inventory, plus what the account sets."""

    alias: str | None = None
    cnam_lookups_enabled: bool = False
    primary_route_id: str | None = BUILTIN_ROUTE_ID
    failover_route_id: str | None = None


def number_record(row: sqlite3.Row | Mapping[str, Any]) -> NumberRecord:
    data = dict(row)
    data["cnam_lookups_enabled"] = bool(data["cnam_lookups_enabled"])
    return NumberRecord(**data)


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


class Numbers(Store):
    def list_numbers(self, filters: dict[str, str | None], limit: int, offset: int) -> Page:
        where, args = _like_filters(filters)
        if filters.get("alias") is not None:
            where += " AND alias = ?"
            args.append(filters["alias"])
        rows = self._read(
            f"SELECT * FROM numbers WHERE {where} ORDER BY value LIMIT ? OFFSET ?",
            [*args, limit + 1, offset],
        )
        return Page([number_record(r) for r in rows[:limit]], len(rows) > limit)

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
        return number_record(rows[0])

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
            key = record_key(route_id)
            if db.execute("SELECT 1 FROM routes WHERE id = ?", (key,)).fetchone() is None:
                raise HttpNotFound("Route not found.")
            db.execute(f"UPDATE numbers SET {slot}_route_id = ? WHERE value = ?", (route_id, value))

    def remove_route(self, value: str, slot: str) -> None:
        with self._transaction() as db:
            self._require_number(db, value)
            replacement = BUILTIN_ROUTE_ID if slot == "primary" else None
            db.execute(
                f"UPDATE numbers SET {slot}_route_id = ? WHERE value = ?", (replacement, value)
            )

    def seed_number(self, value: str, *, alias: str | None = None) -> NumberRecord:
        """Put an inventory number on the account without a purchase (a pre-owned number)."""
        try:
            return self.purchase(value, charge=False, alias=alias)
        except HttpNotFound:
            raise HttpBadRequest(
                f"{value} is not in the emulator's inventory, so it cannot be seeded; pick one "
                "from GET /v2/numbers/available"
            ) from None
