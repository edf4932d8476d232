"""Caller-name (CNAM) records, Flowroute's review of them, and the numbers that use them."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from .exceptions import HttpNotFound, HttpUnprocessable
from .rules import (
    cnam_problem,
)
from .store import Page, Store, record_key, timestamp


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


class Cnams(Store):
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
        rows = self._read("SELECT * FROM cnams WHERE id = ?", (record_key(cnam_id),))
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
                "INSERT INTO cnams (value, creation_datetime) VALUES (?, ?)", (stored, timestamp())
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
                "UPDATE cnams SET value = ? WHERE id = ?", (str(value).upper(), record_key(cnam_id))
            )
        return self.get_cnam(cnam_id)

    def delete_cnam(self, cnam_id: str) -> None:
        with self._transaction() as db:
            if (
                db.execute("SELECT 1 FROM cnams WHERE id = ?", (record_key(cnam_id),)).fetchone()
                is None
            ):
                raise HttpNotFound(
                    "CNAM record not found. Nothing to delete.", title="Resource not found"
                )
            # Deleting a record takes it off every number using it.
            db.execute("DELETE FROM cnam_numbers WHERE cnam_id = ?", (record_key(cnam_id),))
            db.execute("DELETE FROM cnams WHERE id = ?", (record_key(cnam_id),))

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
                    timestamp() if rejection_reason is None else None,
                    record_key(cnam_id),
                ),
            )
        return self.get_cnam(cnam_id)

    def cnam_numbers(self, cnam_id: str) -> list[str]:
        rows = self._read(
            "SELECT number FROM cnam_numbers WHERE cnam_id = ? ORDER BY number",
            (record_key(cnam_id),),
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
                "SELECT is_approved FROM cnams WHERE id = ?", (record_key(cnam_id),)
            ).fetchone()
            if record is None:
                raise HttpNotFound("CNAM record not found.", title="Resource not found")
            if not record["is_approved"]:
                raise HttpUnprocessable("CNAM record is not approved yet.")
            if row["number_type"] == "tollfree":
                raise HttpUnprocessable("CNAM can only be assigned to long-code numbers.")
            created = timestamp()
            db.execute(
                "INSERT INTO cnam_numbers VALUES (?, ?, ?) ON CONFLICT (number) DO UPDATE "
                "SET cnam_id = excluded.cnam_id, date_created = excluded.date_created",
                (number, record_key(cnam_id), created),
            )
        return created

    def unassign_cnam(self, number: str) -> str:
        with self._transaction() as db:
            self._require_number(db, number)
            db.execute("DELETE FROM cnam_numbers WHERE number = ?", (number,))
        return timestamp()
