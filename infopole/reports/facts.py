"""The one place where reports read the database: plain records in, nothing computed here.

Every figure in the weekly note and the quarterly report is a pure function of a ``Facts``
value, so tests can build one by hand and the documents never disagree with each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session

from infopole.domain.analysis import Analysis
from infopole.domain.incident import Incident
from infopole.runtime import Runtime
from infopole.storage.tables import AlertRow, AnalysisRow, PostRow

CHUNK = 500  # keys per IN (...) clause: well below SQLite's variable limit


@dataclass(frozen=True, slots=True)
class PostFact:
    """What a report needs to know about one analysed post or comment."""

    key: str
    published_at: datetime
    kind: str
    text: str
    url: str
    author_id: str
    parent_key: str | None
    block: str | None
    settlement: str | None
    street: str | None
    sentiment: str
    is_incident: bool
    risk_score: float
    risk_factors: tuple[str, ...] = ()

    @property
    def is_problem(self) -> bool:
        """A resident's complaint: an incident, or a negative post about a known topic block."""
        return self.is_incident or (self.sentiment == "negative" and self.block is not None)


@dataclass(frozen=True, slots=True)
class AlertFact:
    id: int
    kind: str
    severity: str
    title: str
    created_at: datetime
    url: str = ""
    acknowledged: bool = False


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything a report reads, for ``[since, until)`` and as of ``as_of``."""

    since: datetime
    until: datetime
    as_of: datetime
    posts: tuple[PostFact, ...]
    cases: tuple[Incident, ...]  # registered in [since, until), with their history
    open_cases: tuple[Incident, ...]  # open at ``as_of``, whenever registered
    alerts: tuple[AlertFact, ...]
    reactions: tuple[PostFact, ...] = field(default=())  # comments under the cases' posts
    authors: Mapping[str, str] = field(default_factory=dict)  # case post key → its author's pseudonym


def read_facts(runtime: Runtime, since: datetime, until: datetime, as_of: datetime) -> Facts:
    cases = runtime.incidents.opened_between(since, until)
    open_cases = runtime.incidents.list(open_only=True, limit=1_000_000, with_updates=True)
    case_posts = {key for case in cases for key in case.post_keys}
    with runtime.db.session() as session:
        posts = _posts(session, since, until)
        reactions = _comments_under(session, case_posts)
        authors = _authors(session, case_posts)
        alerts = _alerts(session, since, until)
    return Facts(
        since=since,
        until=until,
        as_of=as_of,
        posts=tuple(posts),
        cases=tuple(cases),
        open_cases=tuple(open_cases),
        alerts=tuple(alerts),
        reactions=tuple(reactions),
        authors=authors,
    )


def _fact(post: PostRow, analysis: AnalysisRow) -> PostFact:
    parsed = Analysis.from_json(analysis.result)
    street = next((a.street for a in parsed.addresses if a.street), None)
    return PostFact(
        key=post.key,
        published_at=post.published_at,
        kind=post.kind,
        text=" ".join(f"{post.title} {post.text}".split()),
        url=post.url,
        author_id=post.author_id,
        parent_key=post.parent_key,
        block=analysis.block,
        settlement=analysis.settlement,
        street=street,
        sentiment=analysis.sentiment,
        is_incident=analysis.is_incident,
        risk_score=analysis.risk_score,
        risk_factors=parsed.risk_factors,
    )


def _posts(session: Session, since: datetime, until: datetime) -> list[PostFact]:
    query = (
        select(PostRow, AnalysisRow)
        .join(AnalysisRow, AnalysisRow.post_key == PostRow.key)
        .where(PostRow.published_at >= since, PostRow.published_at < until, PostRow.is_deleted.is_(False))
        .order_by(PostRow.published_at, PostRow.key)
    )
    return [_fact(post, analysis) for post, analysis in session.execute(query)]


def _comments_under(session: Session, parents: Iterable[str]) -> list[PostFact]:
    out: list[PostFact] = []
    for keys in _chunks(sorted(parents), CHUNK):
        query = (
            select(PostRow, AnalysisRow)
            .join(AnalysisRow, AnalysisRow.post_key == PostRow.key)
            .where(PostRow.parent_key.in_(keys), PostRow.is_deleted.is_(False))
        )
        out.extend(_fact(post, analysis) for post, analysis in session.execute(query))
    return sorted(out, key=lambda p: (p.published_at, p.key))


def _authors(session: Session, keys: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for batch in _chunks(sorted(keys), CHUNK):
        query = select(PostRow.key, PostRow.author_id).where(PostRow.key.in_(batch))
        out.update({key: author for key, author in session.execute(query) if author})
    return out


def _alerts(session: Session, since: datetime, until: datetime) -> list[AlertFact]:
    query = (
        select(AlertRow)
        .where(AlertRow.created_at >= since, AlertRow.created_at < until)
        .order_by(AlertRow.created_at, AlertRow.id)
    )
    return [
        AlertFact(
            id=row.id,
            kind=row.kind,
            severity=row.severity,
            title=row.title,
            created_at=row.created_at,
            url=str((row.details or {}).get("url", "")),
            acknowledged=row.acknowledged_at is not None,
        )
        for row in session.scalars(query)
    ]


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
