"""Applying crawled comments to cases: official answers, отписки, and «still not fixed».

Each comment under a case's post is looked at once (it is linked to the case afterwards, so a
re-crawl changes nothing). The decision is ``infopole.incidents.replies.classify``; the change
goes through ``IncidentStore.change`` like any other, with its history line and audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from infopole.config.municipality import Municipality
from infopole.domain.incident import Incident, IncidentStatus, UpdateAction
from infopole.domain.lifecycle import can_move
from infopole.domain.post import Post
from infopole.incidents.replies import OfficialAuthors, Reply, ReplyKind, classify
from infopole.storage.incidents import IncidentStore
from infopole.storage.tables import IncidentPostRow, PostRow


@dataclass
class ReplyReport:
    answers: int = 0
    interim: int = 0
    formal: int = 0
    reopened: int = 0
    persists: int = 0


def take_replies(
    store: IncidentStore,
    comments: Iterable[Post],
    municipality: Municipality,
    officials: OfficialAuthors,
    now: datetime,
) -> ReplyReport:
    report = ReplyReport()
    for comment in sorted(comments, key=lambda c: (c.published_at, c.key)):
        target = _case_of(store, comment)
        if target is None:
            continue
        reply = _take_one(store, target, comment, municipality, officials, now)
        if reply is not None:
            report.answers += reply.kind is ReplyKind.ANSWER
            report.interim += reply.kind is ReplyKind.INTERIM
            report.formal += reply.kind is ReplyKind.FORMAL
            report.persists += reply.kind is ReplyKind.PERSISTS
            report.reopened += reply.reopen
    return report


def _take_one(
    store: IncidentStore,
    target: tuple[int, set[str]],
    comment: Post,
    municipality: Municipality,
    officials: OfficialAuthors,
    now: datetime,
) -> Reply | None:
    case_id, citizens = target
    taken: list[Reply] = []

    def apply(incident: Incident) -> None:
        taken.clear()  # a retry after a stale read decides again on the fresh case
        reply = classify(comment, incident.status, citizens, officials)
        if _apply_reply(incident, reply, comment):
            incident.post_keys.append(comment.key)
            taken.append(reply)

    store.change(case_id, apply, municipality=municipality, now=now, actor="crawler")
    return taken[0] if taken else None


def _case_of(store: IncidentStore, comment: Post) -> tuple[int, set[str]] | None:
    """The case whose post ``comment`` is under, with the authors of that case's posts."""
    if not comment.parent_key:
        return None
    with store.db.session() as session:
        if session.scalar(select(IncidentPostRow.incident_id).where(IncidentPostRow.post_key == comment.key)):
            return None  # already seen
        parents = [key for key in (comment.reply_to_key, comment.parent_key) if key]
        case_id = session.scalar(
            select(IncidentPostRow.incident_id).where(IncidentPostRow.post_key.in_(parents))
        )
        if case_id is None:
            return None
        authors = session.scalars(
            select(PostRow.author_id)
            .join(IncidentPostRow, IncidentPostRow.post_key == PostRow.key)
            .where(IncidentPostRow.incident_id == case_id)
        )
        return case_id, {author for author in authors if author}


def _apply_reply(incident: Incident, reply: Reply, comment: Post) -> bool:
    """Change ``incident`` for ``reply``; False when the comment means nothing for the case."""
    at, text, link = comment.published_at, comment.text, comment.url or comment.key
    actor = f"official:{comment.author_id or comment.owner_id}"
    status = incident.status
    if reply.kind is ReplyKind.FORMAL:
        incident.note_formal_reply(text, at, actor, link)
    elif reply.kind is ReplyKind.INTERIM and can_move(status, IncidentStatus.INTERIM):
        incident.give_interim(text, at, actor, link)
    elif reply.kind in (ReplyKind.ANSWER, ReplyKind.INTERIM) and can_move(status, IncidentStatus.ANSWERED):
        incident.answer(text, at, actor, link)
    elif reply.kind in (ReplyKind.ANSWER, ReplyKind.INTERIM):
        # answered before anyone routed it (or after it closed): history, not a status
        incident.record(UpdateAction.JOINED, at, actor, note=f"ответ официальной страницы: {text}")
    elif reply.reopen:
        incident.reopen(at, f"citizen:{comment.author_id}", note=f"житель: {text}")
    elif reply.kind is ReplyKind.PERSISTS:
        incident.record(UpdateAction.JOINED, at, f"citizen:{comment.author_id}", note=f"житель: {text}")
    else:
        return False
    return True
