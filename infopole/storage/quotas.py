"""Per-token request slots and method parks, shared by every crawler process through the database.

VK counts requests per token, not per worker: three processes (or machines) each keeping
3 req/s on one token would get error 6, and a method one process saw answer error 29 (its
daily quota is spent) must be refused by the others too. So the next free request slot and
the parked methods of a token live in two small tables that every worker of an installation
shares (SQLite by default, PostgreSQL in production).

Reserving a slot is one atomic upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``):
PostgreSQL locks the token's row for the statement, SQLite takes its write lock
(``busy_timeout`` queues the others), so no two processes get the same slot. Slots are unix
seconds of the wall clock, so hosts sharing a token need synchronised clocks (NTP).

Rows are keyed by ``token_hash`` (SHA-256 of the platform and the token): the token itself
never reaches the database.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from infopole.storage.db import Database
from infopole.storage.tables import TokenParkRow, TokenSlotRow


def token_hash(platform: str, token: str) -> str:
    """The key a token is known by in the database; the token cannot be recovered from it."""
    return hashlib.sha256(f"{platform}\x00{token}".encode()).hexdigest()


class TokenQuotaStore:
    """Slots and parks of API tokens; safe to use from many threads, processes and hosts at once."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._postgres = db.engine.dialect.name == "postgresql"

    def reserve_slot(self, key: str, interval: float, now: float) -> float:
        """The earliest free slot at or after ``now`` (unix seconds); the next one is ``interval`` later."""
        insert = postgresql.insert if self._postgres else sqlite.insert
        later = func.greatest if self._postgres else func.max  # SQLite's two-argument max() is scalar
        statement = (
            insert(TokenSlotRow)
            .values(token_hash=key, next_slot=now + interval)
            .on_conflict_do_update(
                index_elements=[TokenSlotRow.token_hash],
                set_={"next_slot": later(TokenSlotRow.next_slot, now) + interval},
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
