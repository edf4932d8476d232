"""The log of API requests the emulator answered."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .store import Store

REQUEST_LOG_LIMIT = 10_000


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


class RequestLog(Store):
    #: The most requests kept (the oldest go first): a long-lived dev state file would
    #: otherwise grow with every request. A benchmark that replays a whole run raises it.
    request_log_limit = REQUEST_LOG_LIMIT

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
            db.execute(
                "DELETE FROM requests WHERE seq <= ?",
                ((cursor.lastrowid or 0) - self.request_log_limit,),
            )

    def request_log(self) -> list[LoggedRequest]:
        return [
            LoggedRequest(**dict(row)) for row in self._read("SELECT * FROM requests ORDER BY seq")
        ]

    def clear_request_log(self) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM requests")
