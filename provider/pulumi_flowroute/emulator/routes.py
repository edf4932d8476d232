"""Inbound routes, and the built-in route "0"."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .exceptions import HttpForbidden, HttpNotFound, HttpUnprocessable
from .rules import (
    route_value_problem,
)
from .store import BUILTIN_ROUTE_ID, Page, Store, record_key


@dataclass(frozen=True)
class RouteRecord:
    id: str
    route_type: str
    value: str | None
    alias: str
    edge_strategy_id: int | None


def _route(row: sqlite3.Row) -> RouteRecord:
    data = dict(row)
    data["id"] = str(data["id"])
    return RouteRecord(**data)


def _check_route_value(route_type: str, value: str | None) -> None:
    problem = route_value_problem(route_type, value or "")
    if problem:
        raise HttpUnprocessable({"value": [problem]})


class Routes(Store):
    def list_routes(self, route_type: str | None, limit: int, offset: int) -> Page:
        where, args = ("route_type = ?", [route_type]) if route_type else ("1", [])
        rows = self._read(
            f"SELECT * FROM routes WHERE {where} ORDER BY id LIMIT ? OFFSET ?",
            [*args, limit + 1, offset],
        )
        return Page([_route(r) for r in rows[:limit]], len(rows) > limit)

    def routes_by_id(self, ids: Sequence[str]) -> list[RouteRecord]:
        wanted = sorted({k for k in map(record_key, ids) if k >= 0})
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
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM routes WHERE id = ?", (record_key(route_id),)
        ).fetchone()
        if row is None:
            raise HttpNotFound("Invalid Route Id")
        if str(row["id"]) == BUILTIN_ROUTE_ID:
            raise HttpForbidden("The built-in route 0 cannot be changed or deleted.")
        return row
