"""Reading official pages' posts and comments, and keeping their subscriber counts.

The only module of the package that touches the database: it returns plain ``Post``,
``Analysis`` and ``(moment, count)`` records, and ``compute`` hands them to the pure functions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from infopole.config.municipality import Municipality, OfficialPage
from infopole.domain.analysis import Analysis
from infopole.domain.post import Platform, PostKind, pseudonymise
from infopole.domain.source import Source
from infopole.gospabliki.comments import Analysed
from infopole.gospabliki.metrics import PageInput
from infopole.incidents.replies import OfficialAuthors, official_authors
from infopole.storage.db import Database
from infopole.storage.posts import _to_post
from infopole.storage.tables import AnalysisRow, PostRow, RawPayloadRow, SubscriberCountRow

LOOKBACK = timedelta(days=62)  # comments of the period may sit under posts this much older


def page_officials(municipality: Municipality, salt: str) -> OfficialAuthors:
    """``official_authors`` of the municipality, plus every page of the register, even one whose
    source is not marked ``official: true``: on its own page the page answers as itself."""
    base = official_authors(municipality, salt)
    sources = [municipality.source(page.source) for page in municipality.official_pages]
    owners = {(source.platform, _owner(source)) for source in sources if source.target}
    ids = {pseudonymise(platform, owner, salt) for platform, owner in owners}
    return OfficialAuthors(base.author_ids | ids, base.walls | owners)


def _owner(source: Source) -> str:
    """The owner id the collectors store for the page: a Telegram target may be written ``@Name`` or
    ``https://t.me/name``, the collectors key the channel by its lower-case username."""
    if source.platform is not Platform.TELEGRAM:
        return source.target
    from crawlers.telegram.preview import channel_name

    try:
        return channel_name(source.target)
    except ValueError:
        return source.target


class GospablikiStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def page_identities(self, source: Source, officials: OfficialAuthors, salt: str) -> OfficialAuthors:
        """``officials`` plus the ids a Telegram page answers under in its discussion group.

        Comments live in the channel's linked group (owner ``c<group id>``), where an administrator
        writes either as the channel (``from_id`` the channel's numeric id) or anonymously as the
        group (``from_id`` the group's id); the collector pseudonymises those numeric ids, not the
        username the register names. The group's id is in the comments' owner, the channel's in the
        raw ``Message`` of its posts (``peer_id.channel_id``), so both are read back from the store.
        A message a stranger sends as some other channel stays a resident's comment.
        """
        if source.platform is not Platform.TELEGRAM:
            return officials
        with self.db.session() as session:
            groups = session.scalars(
                select(PostRow.owner_id)
                .where(
                    PostRow.source_id == source.id,
                    PostRow.kind == PostKind.COMMENT.value,
                    PostRow.owner_id.like("c%"),
                )
                .distinct()
            ).all()
            payloads = session.scalars(
                select(RawPayloadRow.payload)
                .join(PostRow, PostRow.key == RawPayloadRow.item_key)
                .where(PostRow.source_id == source.id, PostRow.kind == PostKind.POST.value)
                .order_by(RawPayloadRow.fetched_at.desc())
                .limit(20)
            ).all()
        numeric = {owner[1:] for owner in groups if owner[1:].isdigit()}
        for payload in payloads:
            peer = payload.get("peer_id") if isinstance(payload, dict) else None
            if isinstance(peer, dict) and peer.get("_") == "PeerChannel" and peer.get("channel_id"):
                numeric.add(str(peer["channel_id"]))
        ids = {pseudonymise(Platform.TELEGRAM, value, salt) for value in numeric}
        return OfficialAuthors(officials.author_ids | ids, officials.walls)

    def page_input(
        self, source: Source, officials: OfficialAuthors, start: datetime, until: datetime
    ) -> PageInput:
        """The page's posts and comments from ``start - LOOKBACK`` to ``until``, its pinned posts of any
        age, its last publication before ``start``, and its subscriber counts up to ``until``."""
        with self.db.session() as session:
            wall = _wall(source)
            query = (
                select(PostRow, AnalysisRow)
                .outerjoin(AnalysisRow, AnalysisRow.post_key == PostRow.key)
                .where(
                    wall,
                    PostRow.published_at < until,
                    or_(PostRow.published_at >= start - LOOKBACK, PostRow.is_pinned.is_(True)),
                )
                .order_by(PostRow.published_at, PostRow.key)
            )
            items: list[Analysed] = [
                (_to_post(row), Analysis.from_json(analysis.result) if analysis else None)
                for row, analysis in session.execute(query)
            ]
            previous = session.scalar(
                select(PostRow.published_at)
                .where(
                    wall,
                    PostRow.kind == PostKind.POST.value,
                    PostRow.is_deleted.is_(False),
                    PostRow.published_at < start,
                    or_(PostRow.author_is_community.is_(True), PostRow.author_id.in_(officials.author_ids)),
                )
                .order_by(PostRow.published_at.desc())
                .limit(1)
            )
            counts = self._counts(session, source.id, until)
        posts = [(post, analysis) for post, analysis in items if post.kind is PostKind.POST]
        comments = [(post, analysis) for post, analysis in items if post.kind is PostKind.COMMENT]
        return PageInput(posts, comments, previous, counts)

    def _counts(self, session: Session, source_id: str, until: datetime) -> list[tuple[datetime, int]]:
        query = (
            select(SubscriberCountRow)
            .where(SubscriberCountRow.source_id == source_id, SubscriberCountRow.measured_at <= until)
            .order_by(SubscriberCountRow.day)
        )
        return [(row.measured_at, row.count) for row in session.scalars(query)]

    # --- subscribers -------------------------------------------------------------------------

    def record_subscribers(
        self, source_id: str, count: int, now: datetime, municipality: Municipality
    ) -> None:
        """One count per page and local day: a second measurement the same day replaces the first."""
        day = now.astimezone(municipality.tz).date()
        with self.db.session() as session:
            row = session.get(SubscriberCountRow, (source_id, day))
            if row is None:
                session.add(SubscriberCountRow(source_id=source_id, day=day, count=count, measured_at=now))
            else:
                row.count, row.measured_at = count, now

    def counted_on(self, day: date) -> set[str]:
        """The sources with a count on this local day."""
        with self.db.session() as session:
            query = select(SubscriberCountRow.source_id).where(SubscriberCountRow.day == day)
            return set(session.scalars(query))

    def subscribers(self, source_id: str) -> list[tuple[datetime, int]]:
        with self.db.session() as session:
            return self._counts(session, source_id, datetime.max.replace(tzinfo=UTC))


def pages(municipality: Municipality) -> list[tuple[OfficialPage, Source]]:
    return [(page, municipality.source(page.source)) for page in municipality.official_pages]


def _wall(source: Source) -> ColumnElement[bool]:
    """Items on the page itself, whichever source found them (a search finds official posts too)."""
    return or_(
        and_(PostRow.platform == source.platform.value, PostRow.owner_id == source.target),
        PostRow.source_id == source.id,
    )
