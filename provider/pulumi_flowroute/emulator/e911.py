"""E911 addresses and the numbers that use them."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from .exceptions import HttpBadRequest, HttpForbidden, HttpNotFound, HttpUnprocessable
from .numbers import NumberRecord, number_record
from .rules import (
    E911_FIELDS,
    e911_problems,
    geocodes,
    normalized_e911,
)
from .store import Page, Store, record_key


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


def _same_address(one: dict[str, str | None], other: dict[str, str | None]) -> bool:
    def plain(value: str | None) -> str:
        return " ".join((value or "").split()).lower()

    return all(plain(one[name]) == plain(other[name]) for name in E911_FIELDS)


class E911s(Store):
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
        rows = self._read("SELECT * FROM e911s WHERE id = ?", (record_key(e911_id),))
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
                [*(stored[name] for name in E911_FIELDS), record_key(e911_id)],
            )
        return self.get_e911(e911_id)

    def delete_e911(self, e911_id: str) -> None:
        with self._transaction() as db:
            if (
                db.execute("SELECT 1 FROM e911s WHERE id = ?", (record_key(e911_id),)).fetchone()
                is None
            ):
                raise HttpNotFound("E911 record not found.")
            used = db.execute(
                "SELECT 1 FROM e911_numbers WHERE e911_id = ?", (record_key(e911_id),)
            ).fetchone()
            if used is not None:
                raise HttpForbidden(
                    "Please disassociate all numbers before deleting.",
                    title="This E911 address has numbers still associated to it.",
                )
            db.execute("DELETE FROM e911s WHERE id = ?", (record_key(e911_id),))

    def e911_numbers(self, e911_id: str) -> list[tuple[str, NumberRecord]]:
        """The numbers using an address, each with its relationship id."""
        self.get_e911(e911_id)
        rows = self._read(
            "SELECT a.id AS relationship, n.* FROM e911_numbers a "
            "JOIN numbers n ON n.value = a.number WHERE a.e911_id = ? ORDER BY a.id",
            (record_key(e911_id),),
        )
        found = []
        for row in rows:
            fields = dict(row)
            relationship = str(fields.pop("relationship"))
            found.append((relationship, number_record(fields)))
        return found

    def e911_of(self, number: str) -> str | None:
        rows = self._read("SELECT e911_id FROM e911_numbers WHERE number = ?", (number,))
        return str(rows[0]["e911_id"]) if rows else None

    def assign_e911(self, number: str, e911_id: str) -> None:
        with self._transaction() as db:
            row = self._require_number(db, number)
            if (
                db.execute("SELECT 1 FROM e911s WHERE id = ?", (record_key(e911_id),)).fetchone()
                is None
            ):
                raise HttpNotFound("E911 record not found.")
            if row["number_type"] == "tollfree":
                raise HttpUnprocessable(
                    "Cannot assign an E911 record to a number that does not support emergency "
                    "services."
                )
            db.execute(
                "INSERT INTO e911_numbers (number, e911_id) VALUES (?, ?) "
                "ON CONFLICT (number) DO UPDATE SET e911_id = excluded.e911_id",
                (number, record_key(e911_id)),
            )

    def unassign_e911(self, number: str) -> None:
        with self._transaction() as db:
            self._require_number(db, number)
            db.execute("DELETE FROM e911_numbers WHERE number = ?", (number,))
