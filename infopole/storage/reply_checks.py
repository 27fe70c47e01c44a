"""Reading and writing ``reply_checks``: the official answers recorded on cases, the crawled posts
that prove them, the thread under them, and what the last check found."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from infopole.domain.incident import ANSWER_ACTIONS, IncidentStatus
from infopole.domain.post import Post
from infopole.incidents.reaction import Reaction, ThreadComment, Verdict
from infopole.incidents.verification import Check, Verification
from infopole.storage.db import Database
from infopole.storage.posts import _to_post, posts_by_key
from infopole.storage.tables import (
    AnalysisRow,
    IncidentPostRow,
    IncidentRow,
    IncidentUpdateRow,
    PostRow,
    ReplyCheckRow,
)

SOCIAL = "social"


@dataclass(frozen=True, slots=True)
class RecordedAnswer:
    """An official answer on a case (an update row), with what was last found about it."""

    update_id: int
    incident_id: int
    at: datetime
    link: str
    status: IncidentStatus
    latest: bool  # the case's latest answer: only its reaction may reopen the case
    state: Verification | None
    post_key: str | None
    reaction: Reaction


@dataclass(frozen=True, slots=True)
class ReplyState:
    """What the queue shows about a case's answers."""

    update_id: int
    incident_id: int
    replied_at: datetime
    state: Verification
    checked_at: datetime
    note: str
    reaction: Reaction


class ReplyCheckStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def answers(self, since: datetime) -> list[RecordedAnswer]:
        """Answers recorded since ``since`` that can be looked for on a platform: detected ones, ones
        entered with a link, and any on a case that came from social networks."""
        actions = [action.value for action in ANSWER_ACTIONS]
        with self.db.session() as session:
            query = (
                select(IncidentUpdateRow, IncidentRow.status, IncidentRow.channel, ReplyCheckRow)
                .join(IncidentRow, IncidentRow.id == IncidentUpdateRow.incident_id)
                .outerjoin(ReplyCheckRow, ReplyCheckRow.update_id == IncidentUpdateRow.id)
                .where(IncidentUpdateRow.action.in_(actions), IncidentUpdateRow.at >= since)
                .where(or_(IncidentUpdateRow.link != "", IncidentRow.channel == SOCIAL))
                .order_by(IncidentUpdateRow.incident_id, IncidentUpdateRow.at, IncidentUpdateRow.id)
            )
            rows = list(session.execute(query))
        last: dict[int, int] = {}
        for update, *_ in rows:
            last[update.incident_id] = update.id
        return [
            RecordedAnswer(
                update_id=update.id,
                incident_id=update.incident_id,
                at=update.at,
                link=update.link or "",
                status=IncidentStatus(status),
                latest=last[update.incident_id] == update.id,
                state=Verification(check.state) if check else None,
                post_key=check.post_key if check else None,
                reaction=Reaction(check.reaction) if check else Reaction.NONE,
            )
            for update, status, _channel, check in rows
        ]

    def posts(self, keys: Iterable[str]) -> dict[str, Post]:
        with self.db.session() as session:
            return posts_by_key(session, keys)

    def threads(self, parent_keys: Iterable[str]) -> dict[str, list[ThreadComment]]:
        """The comments under each post, with the sentiment the analysis gave them."""
        wanted = sorted(set(parent_keys))
        threads: dict[str, list[ThreadComment]] = defaultdict(list)
        with self.db.session() as session:
            for start in range(0, len(wanted), 1000):
                query = (
                    select(PostRow, AnalysisRow.sentiment)
                    .outerjoin(AnalysisRow, AnalysisRow.post_key == PostRow.key)
                    .where(PostRow.parent_key.in_(wanted[start : start + 1000]))
                )
                for row, sentiment in session.execute(query):
                    assert row.parent_key is not None
                    threads[row.parent_key].append(ThreadComment(_to_post(row), sentiment or "neutral"))
        return dict(threads)

    def case_posts(self, incident_ids: Iterable[int]) -> dict[int, list[str]]:
        """The posts of each case (not comments linked as replies): where a hand-entered answer
        without a usable link is looked for."""
        ids = sorted(set(incident_ids))
        found: dict[int, list[str]] = defaultdict(list)
        with self.db.session() as session:
            for start in range(0, len(ids), 1000):
                query = select(IncidentPostRow.incident_id, IncidentPostRow.post_key).where(
                    IncidentPostRow.incident_id.in_(ids[start : start + 1000]),
                    IncidentPostRow.joined_by != "reply",
                )
                for incident_id, key in session.execute(query):
                    found[incident_id].append(key)
        return dict(found)

    def save(self, results: Iterable[tuple[RecordedAnswer, Check, Verdict]], now: datetime) -> None:
        """What one run found, in one transaction."""
        with self.db.session() as session:
            for answer, check, verdict in results:
                _save_one(session, answer, check, verdict, now)

    def states(self, incident_ids: Sequence[int] | None = None) -> list[ReplyState]:
        order = (ReplyCheckRow.incident_id, ReplyCheckRow.replied_at)
        with self.db.session() as session:
            if incident_ids is None:
                rows = list(session.scalars(select(ReplyCheckRow).order_by(*order)))
            else:
                ids, rows = sorted(set(incident_ids)), []
                for start in range(0, len(ids), 1000):
                    chunk = ids[start : start + 1000]
                    query = select(ReplyCheckRow).where(ReplyCheckRow.incident_id.in_(chunk))
                    rows.extend(session.scalars(query.order_by(*order)))
            return [
                ReplyState(
                    row.update_id,
                    row.incident_id,
                    row.replied_at,
                    Verification(row.state),
                    row.checked_at,
                    row.note,
                    Reaction(row.reaction),
                )
                for row in rows
            ]

    def reactions(self, incident_ids: Sequence[int]) -> dict[int, list[Reaction]]:
        """Per case, the citizens' reaction to each of its checked answers: the input of ratings."""
        found: dict[int, list[Reaction]] = defaultdict(list)
        for state in self.states(incident_ids):
            found[state.incident_id].append(state.reaction)
        return dict(found)


def _save_one(
    session: Session, answer: RecordedAnswer, check: Check, verdict: Verdict, now: datetime
) -> None:
    row = session.get(ReplyCheckRow, answer.update_id)
    if row is None:
        row = ReplyCheckRow(update_id=answer.update_id, incident_id=answer.incident_id)
        session.add(row)
    if check.state is Verification.VERIFIED and row.state != Verification.VERIFIED.value:
        row.verified_at = now
    row.post_key = check.post_key
    row.state = check.state.value
    row.replied_at = answer.at
    row.checked_at = now
    row.note = check.note
    row.reaction = verdict.reaction.value
    row.reaction_key = verdict.decided_by
