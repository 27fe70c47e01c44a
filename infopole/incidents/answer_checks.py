"""The cases step's look back at recorded answers: are they on the platform, how did citizens take them.

For each answer recorded in the last ``reply_check_days`` (detected, or entered by hand) the link is
resolved and looked up among the crawled posts (``verification.verify``); the comments after it in
the same thread give the citizens' reaction (``reaction.react``). A reaction that says the problem
persists, after the case's latest answer, reopens the case through ``Incident.reopen`` — the same
change the reply tracker makes when the citizen himself writes «до сих пор не сделали». Each run
re-checks, so a comment deleted since, or a thread that turned sour, shows on the next run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from infopole.config.municipality import Municipality
from infopole.domain.incident import Incident, IncidentStatus, UpdateAction
from infopole.domain.lifecycle import can_move
from infopole.domain.post import Post, PostKind
from infopole.incidents.reaction import Reaction, ThreadComment, Verdict, react
from infopole.incidents.replies import OfficialAuthors
from infopole.incidents.verification import Check, Verification, is_flagged, resolve_link, verify
from infopole.storage.incidents import IncidentStore
from infopole.storage.reply_checks import RecordedAnswer, ReplyCheckStore, ReplyState

_ANSWERS = frozenset({UpdateAction.INTERIM, UpdateAction.ANSWERED})


@dataclass
class AnswerCheckReport:
    checked: int = 0
    verified: int = 0
    not_found: int = 0
    removed: int = 0
    positive: int = 0
    negative: int = 0
    reopened: int = 0


def check_answers(
    checks: ReplyCheckStore,
    incidents: IncidentStore,
    municipality: Municipality,
    officials: OfficialAuthors,
    now: datetime,
) -> AnswerCheckReport:
    report = AnswerCheckReport()
    answers = checks.answers(since=now - timedelta(days=municipality.cases.reply_check_days))
    keys = {answer.update_id: resolve_link(answer.link) if answer.link else None for answer in answers}
    unlinked = [a.incident_id for a in answers if not a.link]
    case_posts = checks.case_posts(unlinked) if unlinked else {}
    looked_up = {key for key in keys.values() if key} | {k for ks in case_posts.values() for k in ks}
    posts = checks.posts(looked_up)
    parents = set(looked_up)
    parents |= {post.parent_key for post in posts.values() if post.parent_key}
    threads = checks.threads(parents)
    more = {c.post.key: c.post for thread in threads.values() for c in thread}
    posts = more | posts
    results: list[tuple[RecordedAnswer, Check, Verdict]] = []
    for answer in answers:
        key = keys[answer.update_id]
        if answer.link:
            under = [c.post for c in threads.get(key or "", [])]
            check = verify(key, posts.get(key) if key else None, under, officials)
        else:
            check = _look_under_case(case_posts.get(answer.incident_id, []), posts, threads, officials)
        verdict = _reaction(answer, check, posts, threads, officials)
        results.append((answer, check, verdict))
        report.checked += 1
        report.verified += check.state is Verification.VERIFIED
        report.not_found += check.state is Verification.NOT_FOUND
        report.removed += check.state is Verification.REMOVED
        report.positive += verdict.reaction is Reaction.POSITIVE
        report.negative += verdict.reaction is Reaction.NEGATIVE
    checks.save(results, now)
    for answer, _, verdict in results:
        if verdict.persists and answer.latest:
            report.reopened += _reopen(incidents, answer, verdict, posts, municipality, now)
    return report


def flagged_answers(
    checks: ReplyCheckStore,
    municipality: Municipality,
    now: datetime,
    incident_ids: Sequence[int] | None = None,
) -> dict[int, ReplyState]:
    """Per case (of ``incident_ids``, or all), its answer the queue must flag: removed, or not seen
    on the platform for ``unverified_reply_hours``."""
    hours = municipality.cases.unverified_reply_hours
    flagged: dict[int, ReplyState] = {}
    for state in checks.states(incident_ids):  # in answer order: the latest flagged answer is shown
        if is_flagged(state.state, state.replied_at, now, hours):
            flagged[state.incident_id] = state
    return flagged


def _look_under_case(
    case_keys: list[str],
    posts: dict[str, Post],
    threads: dict[str, list[ThreadComment]],
    officials: OfficialAuthors,
) -> Check:
    """An answer entered without a link: is there an official comment under one of the case's posts?"""
    best = Check(Verification.NOT_FOUND, None, "ссылка не указана; под публикациями обращения ответа нет")
    for key in case_keys:
        check = verify(key, posts.get(key), [c.post for c in threads.get(key, [])], officials)
        if check.state is Verification.VERIFIED:
            return check
        if check.state is Verification.REMOVED:
            best = check
    return best


def _reaction(
    answer: RecordedAnswer,
    check: Check,
    posts: dict[str, Post],
    threads: dict[str, list[ThreadComment]],
    officials: OfficialAuthors,
) -> Verdict:
    """The thread of the answer: the comments under the post it was given under."""
    carrier = posts.get(check.post_key or "")
    if carrier is None:
        return Verdict(Reaction.NONE)
    parent = carrier.parent_key if carrier.kind is PostKind.COMMENT else carrier.key
    replied_at = carrier.published_at if check.state is not Verification.NOT_FOUND else answer.at
    return react(replied_at, threads.get(parent or "", []), officials)


def _reopen(
    incidents: IncidentStore,
    answer: RecordedAnswer,
    verdict: Verdict,
    posts: dict[str, Post],
    municipality: Municipality,
    now: datetime,
) -> bool:
    comment = posts.get(verdict.decided_by or "")
    if comment is None or verdict.at is None:
        return False
    done: list[bool] = []

    def apply(incident: Incident) -> None:
        done.clear()  # decided again on a fresh read
        latest = max((u.at for u in incident.updates if u.action in _ANSWERS), default=None)
        if latest is not None and latest >= comment.published_at:
            return  # answered again since: a new round
        if not can_move(incident.status, IncidentStatus.REOPENED) or not incident.status.is_answered:
            return
        incident.reopen(comment.published_at, f"citizen:{comment.author_id}", note=f"житель: {comment.text}")
        if comment.key not in incident.post_keys:
            incident.post_keys.append(comment.key)
        done.append(True)

    incidents.change(answer.incident_id, apply, municipality=municipality, now=now, actor="crawler")
    return bool(done)
