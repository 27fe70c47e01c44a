"""Dead letters: items a pipeline step keeps failing on, set aside so the rest of the work goes on.

A step records each failed attempt on an item (``failed``) and clears the record when the item
finally goes through (``succeeded``). After ``max_attempts`` failures the item is *dead*: the step
skips it, the dashboard and ``infopole deadletters list`` show it with its last error, and
``replay`` gives it a fresh set of attempts on the next run. Nothing is deleted from the data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from infopole.storage.db import Database
from infopole.storage.tables import DeadLetterRow

ERROR_CHARS = 2000


@dataclass(frozen=True)
class DeadLetter:
    step: str
    item_key: str
    attempts: int
    dead: bool
    first_failed_at: datetime
    last_failed_at: datetime
    error: str
    replays: int


class DeadLetterStore:
    def __init__(self, db: Database, *, max_attempts: int = 3) -> None:
        self.db = db
        self.max_attempts = max_attempts

    def failed(self, step: str, item_key: str, error: str, now: datetime) -> bool:
        """Count one failed attempt; True if the item is now dead."""
        with self.db.session() as session:
            row = session.get(DeadLetterRow, (step, item_key))
            if row is None:
                row = DeadLetterRow(step=step, item_key=item_key, attempts=0, first_failed_at=now, replays=0)
                session.add(row)
            row.attempts = (row.attempts or 0) + 1
            row.last_failed_at = now
            row.error = error[:ERROR_CHARS]
            row.dead = row.attempts >= self.max_attempts
            return row.dead

    def succeeded(self, step: str, item_keys: Iterable[str]) -> None:
        keys = list(item_keys)
        if not keys:
            return
        with self.db.session() as session:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                session.execute(
                    delete(DeadLetterRow).where(DeadLetterRow.step == step, DeadLetterRow.item_key.in_(chunk))
                )

    def dead_keys(self, step: str) -> set[str]:
        with self.db.session() as session:
            query = select(DeadLetterRow.item_key).where(DeadLetterRow.step == step, DeadLetterRow.dead)
            return set(session.scalars(query))

    def list(self, step: str | None = None, *, dead_only: bool = False) -> list[DeadLetter]:
        with self.db.session() as session:
            query = select(DeadLetterRow)
            if step is not None:
                query = query.where(DeadLetterRow.step == step)
            if dead_only:
                query = query.where(DeadLetterRow.dead)
            query = query.order_by(DeadLetterRow.last_failed_at.desc(), DeadLetterRow.item_key)
            return [_letter(row) for row in session.scalars(query)]

    def counts(self) -> dict[tuple[str, bool], int]:
        """(step, dead) → how many items, for the metrics."""
        with self.db.session() as session:
            query = select(DeadLetterRow.step, DeadLetterRow.dead, func.count()).group_by(
                DeadLetterRow.step, DeadLetterRow.dead
            )
            return {(step, bool(dead)): int(n) for step, dead, n in session.execute(query)}

    def replay(self, step: str | None = None, item_keys: Iterable[str] | None = None) -> int:
        """Give dead items a fresh set of attempts: the next run of their step takes them again."""
        keys = list(item_keys) if item_keys is not None else None
        with self.db.session() as session:
            query = select(DeadLetterRow).where(DeadLetterRow.dead)
            if step is not None:
                query = query.where(DeadLetterRow.step == step)
            if keys is not None:
                query = query.where(DeadLetterRow.item_key.in_(keys))
            replayed = 0
            for row in session.scalars(query):
                row.dead = False
                row.attempts = 0
                row.replays = (row.replays or 0) + 1
                replayed += 1
            return replayed


def _letter(row: DeadLetterRow) -> DeadLetter:
    return DeadLetter(
        row.step,
        row.item_key,
        row.attempts,
        row.dead,
        row.first_failed_at,
        row.last_failed_at,
        row.error,
        row.replays,
    )
