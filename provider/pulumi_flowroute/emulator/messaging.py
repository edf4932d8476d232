"""The account's messaging webhooks."""

from __future__ import annotations

from .exceptions import HttpUnprocessable
from .rules import (
    callback_url_ok,
)
from .store import Store


class Callbacks(Store):
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
