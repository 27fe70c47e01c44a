"""Per-token request slots and method parks, shared by every crawler process through the database.

VK counts requests per token, not per worker: three processes (or machines) each keeping
3 req/s on one token would get error 6, and a method one process saw answer error 29 (its
daily quota is spent) must be refused by the others too. So the next free request slot and
the parked methods of a token live in two small tables that every worker of an installation
shares (SQLite by default, PostgreSQL in production).

Reserving a slot is one atomic upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``):
PostgreSQL locks the token's row for the statement, SQLite takes its write lock
(``busy_timeout`` queues the others), so no two processes get the same slot. "Now" is read
from the database's clock inside the statement, after the lock; slots are unix seconds, and a
worker sleeps until its slot by its own clock, so hosts need synchronised clocks (NTP).

Rows are keyed by ``token_hash`` (SHA-256 of the platform and the token): the token itself
never reaches the database.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite

from infopole.storage.db import Database
from infopole.storage.tables import TokenParkRow, TokenSlotRow

# unix seconds by the database's clock, read when evaluated (after the row lock is taken);
# SQLite reads the host's clock, with milliseconds
_CLOCK_SQLITE = "((julianday('now') - 2440587.5) * 86400.0)"
_CLOCK_POSTGRES = "(extract(epoch from clock_timestamp())::float8)"


def token_hash(platform: str, token: str) -> str:
    """The key a token is known by in the database; the token cannot be recovered from it."""
    return hashlib.sha256(f"{platform}\x00{token}".encode()).hexdigest()


class TokenQuotaStore:
    """Slots and parks of API tokens; safe to use from many threads, processes and hosts at once."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._postgres = db.engine.dialect.name == "postgresql"

    def reserve_slot(self, key: str, interval: float, now: float | None = None) -> float:
        """The earliest free slot (unix seconds) at or after now; the next one is ``interval`` later.

        Without ``now``, "now" is the database's clock read once the row is locked: a time taken
        before the statement would be stale by however long it waited for the lock, and the slot
        it granted could fall before the previous holder's send.
        """
        insert = postgresql.insert if self._postgres else sqlite.insert
        later = func.greatest if self._postgres else func.max  # SQLite's two-argument max() is scalar
        moment: Any = (
            literal(now)
            if now is not None
            else literal_column(_CLOCK_POSTGRES if self._postgres else _CLOCK_SQLITE)
        )
        statement = (
            insert(TokenSlotRow)
            .values(token_hash=key, next_slot=moment + interval)
            .on_conflict_do_update(
                index_elements=[TokenSlotRow.token_hash],
                set_={"next_slot": later(TokenSlotRow.next_slot, moment) + interval},
            )
            .returning(TokenSlotRow.next_slot)
        )
        with self.db.session() as session:
            following = float(session.execute(statement).scalar_one())
        return following - interval

    def park(self, key: str, method: str, until: datetime, code: int) -> None:
        """Refuse ``method`` for this token until ``until`` (every process that asks sees it)."""
        insert = postgresql.insert if self._postgres else sqlite.insert
        statement = (
            insert(TokenParkRow)
            .values(token_hash=key, method=method, parked_until=until, code=code)
            .on_conflict_do_update(
                index_elements=[TokenParkRow.token_hash, TokenParkRow.method],
                set_={"parked_until": until, "code": code},
            )
        )
        with self.db.session() as session:
            session.execute(statement)

    def parked_until(self, key: str, method: str, now: datetime) -> datetime | None:
        """Until when ``method`` is parked for this token, or ``None`` if it may be called."""
        query = select(TokenParkRow.parked_until).where(
            TokenParkRow.token_hash == key, TokenParkRow.method == method, TokenParkRow.parked_until > now
        )
        with self.db.session() as session:
            return session.scalar(query)
