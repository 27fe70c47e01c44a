"""Saved searches: an analyst's named queries, private or shared, and optionally watched by alerts.

The query is stored as *text* and parsed again on every run, so «date:-7d» keeps meaning the
last seven days; it is parsed once on saving too, so a typo is refused with the position of
the error instead of a watchlist that silently watches nothing. A saved search with
``watch`` on is also a watchlist: ``saved_watchlists`` returns it as the same ``Watchlist``
the municipality file declares, and the alerts merge both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from index.query import parse_query
from infopole.config.municipality import Severity, Watchlist
from infopole.storage.db import Database
from infopole.storage.tables import SavedSearchRow

MAX_NAME = 200
MAX_OWNER = 80


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: int
    owner: str
    name: str
    query: str
    shared: bool
    watch: bool
    severity: Severity
    created_at: datetime
    updated_at: datetime

    @property
    def watchlist_name(self) -> str:
        """Unique across owners, so two analysts' «Пожар» never share an alert key."""
        return f"{self.name} ({self.owner})"


class SavedSearchError(ValueError):
    """A saved search that cannot be stored (an empty name, a query that does not parse…)."""


def check_query(text: str, tz: ZoneInfo | str = "Europe/Moscow") -> str:
    """The query stripped, or ``QuerySyntaxError`` (a ``ValueError``) pointing at the position."""
    text = text.strip()
    if not text:
        raise SavedSearchError("пустой запрос: сохранять нечего / the query is empty")
    parse_query(text, now=datetime.now(UTC), tz=tz)
    return text


def _clean(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise SavedSearchError(f"не указано {what}")
    if len(value) > limit:
        raise SavedSearchError(f"{what} длиннее {limit} символов")
    return value


def _record(row: SavedSearchRow) -> SavedSearch:
    return SavedSearch(
        id=row.id,
        owner=row.owner,
        name=row.name,
        query=row.query,
        shared=row.shared,
        watch=row.watch,
        severity=Severity(row.severity),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SavedSearchStore:
    def __init__(self, db: Database, *, tz: ZoneInfo | str = "Europe/Moscow") -> None:
        self.db = db
        self.tz = tz

    def save(
        self,
        owner: str,
        name: str,
        query: str,
        now: datetime,
        *,
        shared: bool = False,
        watch: bool = False,
        severity: Severity = Severity.MEDIUM,
    ) -> SavedSearch:
        """Create the owner's search ``name`` or replace its query and flags (``created_at`` stays)."""
        owner = _clean(owner, "владелец (логин)", MAX_OWNER)
        name = _clean(name, "название", MAX_NAME)
        query = check_query(query, self.tz)
        with self.db.session() as session:
            row = session.scalars(
                select(SavedSearchRow).where(SavedSearchRow.owner == owner, SavedSearchRow.name == name)
            ).one_or_none()
            if row is None:
                row = SavedSearchRow(owner=owner, name=name, created_at=now)
                session.add(row)
            row.query, row.shared, row.watch, row.severity = query, shared, watch, severity.value
            row.updated_at = now
            session.flush()
            return _record(row)

    def get(self, owner: str, name: str) -> SavedSearch | None:
        with self.db.session() as session:
            row = session.scalars(
                select(SavedSearchRow).where(SavedSearchRow.owner == owner, SavedSearchRow.name == name)
            ).one_or_none()
            return _record(row) if row else None

    def find(self, login: str, name: str) -> SavedSearch | None:
        """What ``login`` means by ``name``: their own search first, then a search shared by another."""
        own = self.get(login, name)
        if own is not None:
            return own
        shared = [s for s in self.visible_to(login) if s.name == name]
        return shared[0] if len(shared) == 1 else None

    def visible_to(self, login: str) -> list[SavedSearch]:
        """The user's own searches and everyone's shared ones, own first, by name."""
        with self.db.session() as session:
            rows = session.scalars(
                select(SavedSearchRow).where(
                    or_(SavedSearchRow.owner == login, SavedSearchRow.shared.is_(True))
                )
            ).all()
            records = [_record(row) for row in rows]
        return sorted(records, key=lambda s: (s.owner != login, s.owner, s.name))

    def remove(self, owner: str, name: str) -> bool:
        """Only the owner removes a search; returns whether there was one."""
        with self.db.session() as session:
            row = session.scalars(
                select(SavedSearchRow).where(SavedSearchRow.owner == owner, SavedSearchRow.name == name)
            ).one_or_none()
            if row is None:
                return False
            session.delete(row)
            return True

    def watched(self) -> list[SavedSearch]:
        with self.db.session() as session:
            rows = session.scalars(
                select(SavedSearchRow)
                .where(SavedSearchRow.watch.is_(True))
                .order_by(SavedSearchRow.owner, SavedSearchRow.name)
            ).all()
            return [_record(row) for row in rows]


def saved_watchlists(store: SavedSearchStore) -> list[Watchlist]:
    """Watched saved searches as the alerts' ``Watchlist``s (merged with the municipality file's)."""
    return [
        Watchlist(name=search.watchlist_name, query=search.query, severity=search.severity)
        for search in store.watched()
    ]
