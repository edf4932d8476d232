"""Faults injected into the emulator's answers: one armed fault per matching request."""

from __future__ import annotations

from dataclasses import dataclass

from .store import Store


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


class Faults(Store):
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
