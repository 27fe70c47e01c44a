"""Persisting cases: opening and joining, every change with its history and audit, no lost update.

Each incident post joins or opens exactly one case, however often it is re-run. Every change
goes through ``change()``: load the case, let a domain method change it, write the row, the new
``IncidentUpdate`` rows, one audit event (before/after) and one webhook event (the outbox,
``case_events``) in one transaction. The row's version column makes a write based on a stale read
fail; ``change()`` then re-reads and re-applies the change, so two people editing one case never
silently overwrite each other, and each version of a case is announced exactly once.
"""

from __future__ import annotations

import builtins
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from infopole.config.municipality import Municipality
from infopole.domain.analysis import Analysis
from infopole.domain.incident import Incident, IncidentStatus, IncidentUpdate, RejectReason, UpdateAction
from infopole.domain.post import Post
from infopole.incidents import sla
from infopole.incidents.cases import new_case, open_incident
from infopole.incidents.joining import JoinDecision, OpenCase, find_case, shingles
from infopole.incidents.webhook import payload
from infopole.storage.db import Database
from infopole.storage.incident_rows import fill_row, load_incidents, to_incident, update_row
from infopole.storage.tables import AuditEventRow, CaseEventRow, IncidentPostRow, IncidentRow, PostRow

Mutation = Callable[[Incident], object]
ATTEMPTS = 8
RETRY_PAUSE_S = 0.01  # before retry n: a random pause of up to RETRY_PAUSE_S · 2ⁿ, so racers spread out


class CaseNotFound(KeyError):
    pass


class CaseConflict(RuntimeError):
    """The case changed since the caller read it (``expected_version``), or kept changing under us."""


@dataclass
class CaseReport:
    opened: int = 0
    joined: int = 0


class IncidentStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- opening and joining ---------------------------------------------------------------

    def take_incidents(
        self, pairs: Iterable[tuple[Post, Analysis]], municipality: Municipality, now: datetime
    ) -> CaseReport:
        """Open a case per new incident post, or join it to the open case about the same problem."""
        report = CaseReport()
        wanted = [(post, analysis) for post, analysis in pairs if analysis.is_incident]
        with self.db.session() as session:
            linked = _linked(session, [post.key for post, _ in wanted])
            cases: list[OpenCase] | None = None
            for post, analysis in wanted:
                if post.key in linked:
                    continue
                linked.add(post.key)
                if cases is None:
                    cases = _open_cases(session)
                decision = find_case(post, analysis, cases, municipality.cases)
                if decision is not None:
                    _join(session, decision, post, now, municipality)
                    next(case for case in cases if case.id == decision.case_id).add(post)
                    report.joined += 1
                    continue
                incident = open_incident(post, analysis, municipality, now)
                case_id = _insert(session, incident, now, actor="system", municipality=municipality)
                joined = OpenCase(
                    case_id, incident.block, incident.settlement, incident.street, incident.opened_at
                )
                joined.add(post)
                cases.append(joined)
                report.opened += 1
        return report

    def add(
        self,
        incident: Incident,
        now: datetime,
        actor: str = "system",
        municipality: Municipality | None = None,
    ) -> Incident:
        """Save a case built elsewhere (an import, Open311), idempotent on ``external_id``.
        Without ``municipality`` its webhook event is built when it is delivered."""
        with self.db.session() as session:
            if incident.external_id is not None:
                existing = session.scalar(
                    select(IncidentRow).where(IncidentRow.external_id == incident.external_id)
                )
                if existing is not None:
                    return load_incidents(session, [existing])[0]
            case_id = _insert(session, incident, now, actor, municipality=municipality)
            return load_incidents(session, [session.get_one(IncidentRow, case_id)])[0]

    # --- reading ---------------------------------------------------------------------------

    def get(self, case_id: int) -> Incident:
        with self.db.session() as session:
            row = session.get(IncidentRow, case_id)
            if row is None:
                raise CaseNotFound(case_id)
            return load_incidents(session, [row])[0]

    def list(self, open_only: bool = False, limit: int = 500, with_updates: bool = False) -> list[Incident]:
        with self.db.session() as session:
            query = select(IncidentRow).order_by(IncidentRow.opened_at.desc(), IncidentRow.id.desc())
            if open_only:
                closed = [s.value for s in IncidentStatus if not s.is_open]
                query = query.where(IncidentRow.status.not_in(closed))
            rows = list(session.scalars(query.limit(limit)))
            return load_incidents(session, rows, with_updates=with_updates)

    def opened_between(self, start: datetime, end: datetime) -> builtins.list[Incident]:
        """Cases registered in [start, end), with their history: the input of ratings."""
        with self.db.session() as session:
            query = select(IncidentRow).where(IncidentRow.opened_at >= start, IncidentRow.opened_at < end)
            return load_incidents(session, builtins.list(session.scalars(query.order_by(IncidentRow.id))))

    def overdue_candidates(self, now: datetime) -> builtins.list[int]:
        """Open cases whose stored deadline has passed and was not escalated: never, or before this
        deadline was due (see ``incidents.escalation.overdue_deadline``)."""
        with self.db.session() as session:
            closed = [s.value for s in IncidentStatus if not s.is_open]
            query = select(IncidentRow.id).where(
                IncidentRow.status.not_in(closed),
                IncidentRow.due_at <= now,
                or_(IncidentRow.escalated_at.is_(None), IncidentRow.escalated_at < IncidentRow.due_at),
            )
            return builtins.list(session.scalars(query.order_by(IncidentRow.due_at)))

    def audit(self, case_id: int) -> builtins.list[AuditEventRow]:
        with self.db.session() as session:
            query = select(AuditEventRow).where(
                AuditEventRow.object_type == "incident", AuditEventRow.object_id == str(case_id)
            )
            return builtins.list(session.scalars(query.order_by(AuditEventRow.id)))

    # --- changing --------------------------------------------------------------------------

    def change(
        self,
        case_id: int,
        mutate: Mutation,
        *,
        municipality: Municipality,
        now: datetime,
        actor: str,
        expected_version: int | None = None,
        client: str = "",
    ) -> Incident:
        """Apply ``mutate`` (a domain method call) and save it with its history and audit event.

        With ``expected_version`` (what a person saw on screen) a concurrent change is a
        ``CaseConflict``: the person must look again. Without it, a stale write is retried on a
        fresh read, and ``mutate`` runs again — so it must be a decision, not a side effect; an
        ``InvalidTransition`` on the fresh state is raised to the caller.
        """

        def work(session: Session) -> Incident:
            return _apply(session, case_id, mutate, municipality, now, actor, client, expected_version)

        return self._retrying(work, strict=expected_version is not None, what=f"case {case_id}")

    def merge(
        self, into_id: int, from_id: int, *, municipality: Municipality, now: datetime, actor: str
    ) -> Incident:
        """Fold case ``from_id`` into ``into_id`` in one transaction: its posts move to the target,
        it is closed as a duplicate pointing at the target, and both histories say so."""
        if into_id == from_id:
            raise ValueError("a case cannot be merged into itself")

        def close_source(source: Incident) -> None:
            source.reject(RejectReason.DUPLICATE, now, actor, note=f"объединено с обращением №{into_id}")
            source.merged_into = into_id

        def work(session: Session) -> Incident:
            source = _apply(session, from_id, close_source, municipality, now, actor, "", None)
            session.execute(
                update(IncidentPostRow)
                .where(IncidentPostRow.incident_id == from_id)
                .values(incident_id=into_id, joined_by="merge")
            )

            def record(target: Incident) -> None:
                target.record(UpdateAction.MERGED, now, actor, note=f"присоединено обращение №{from_id}")
                target.post_keys.extend(key for key in source.post_keys if key not in target.post_keys)

            return _apply(session, into_id, record, municipality, now, actor, "", None)

        return self._retrying(work, strict=False, what=f"merge {from_id} → {into_id}")

    def split(
        self,
        case_id: int,
        post_keys: Sequence[str],
        *,
        municipality: Municipality,
        now: datetime,
        actor: str,
        title: str | None = None,
    ) -> Incident:
        """Move ``post_keys`` out of a case into a new one (same place, department and clock)."""
        wanted = list(dict.fromkeys(post_keys))

        def work(session: Session) -> Incident:
            source = _apply(session, case_id, lambda case: None, municipality, now, actor, "", None)
            if not wanted or not set(wanted) < set(source.post_keys):
                raise ValueError("split needs some, but not all, of the case's posts")
            split_off = new_case(
                title=title or source.title,
                block=source.block,
                settlement=source.settlement,
                municipality=municipality,
                now=now,
                priority=source.priority,
                kind=source.kind,
                channel=source.channel,
                street=source.street,
                opened_at=source.opened_at,  # splitting buys no time
                actor=actor,
            )
            if source.department_id and split_off.department_id != source.department_id:
                split_off.assign(source.department_id, now, actor, note="как у исходного обращения")
            split_off.record(UpdateAction.SPLIT, now, actor, note=f"выделено из обращения №{case_id}")
            new_id = _insert(session, split_off, now, actor, link_posts=False, municipality=municipality)
            session.execute(
                update(IncidentPostRow)
                .where(IncidentPostRow.incident_id == case_id, IncidentPostRow.post_key.in_(wanted))
                .values(incident_id=new_id, joined_by="split")
            )

            def record(case: Incident) -> None:
                case.post_keys[:] = [key for key in case.post_keys if key not in wanted]
                note = f"выделено в обращение №{new_id}: {', '.join(wanted)}"
                case.record(UpdateAction.SPLIT, now, actor, note=note)

            _apply(session, case_id, record, municipality, now, actor, "", None)
            session.flush()
            return load_incidents(session, [session.get_one(IncidentRow, new_id)])[0]

        return self._retrying(work, strict=False, what=f"split of {case_id}")

    def _retrying(self, work: Callable[[Session], Incident], strict: bool, what: str) -> Incident:
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, RETRY_PAUSE_S * 2**attempt))
            try:
                with self.db.session() as session:
                    result = work(session)
                    session.flush()
                return result
            except StaleDataError as error:
                if strict:
                    raise CaseConflict(f"{what}: changed by someone else while saving") from error
        raise CaseConflict(f"{what}: kept changing; gave up after {ATTEMPTS} attempts")


# --- helpers -----------------------------------------------------------------------------------


def _apply(
    session: Session,
    case_id: int,
    mutate: Mutation,
    municipality: Municipality,
    now: datetime,
    actor: str,
    client: str,
    expected_version: int | None,
) -> Incident:
    row = session.get(IncidentRow, case_id)
    if row is None:
        raise CaseNotFound(case_id)
    if expected_version is not None and row.version != expected_version:
        raise CaseConflict(f"case {case_id} is at version {row.version}, not {expected_version}")
    incident = load_incidents(session, [row])[0]
    before = incident.snapshot()
    seen = len(incident.updates)
    mutate(incident)
    changes = incident.updates[seen:]
    if changes or incident.snapshot() != before:
        _link_new_posts(session, incident, before["post_keys"], now)
        _save_change(session, row, incident, changes, municipality, now)
        _audit(session, incident, before, changes, now, actor, client)
        session.flush()  # the versioned UPDATE runs here: a stale read fails now
        incident.updated_at = now
        _announce(session, row, incident, "case.changed", municipality, now)
    incident.version = row.version
    return incident


def _insert(
    session: Session,
    incident: Incident,
    now: datetime,
    actor: str,
    link_posts: bool = True,
    municipality: Municipality | None = None,
) -> int:
    row = IncidentRow(updated_at=now)
    fill_row(row, incident)
    session.add(row)
    session.flush()
    incident.id, incident.updated_at = row.id, now
    _announce(session, row, incident, "case.created", municipality, now)
    for key in incident.post_keys if link_posts else []:
        session.add(IncidentPostRow(incident_id=row.id, post_key=key, added_at=now, joined_by="opened"))
    for change in incident.updates:
        session.add(update_row(row.id, change))
    incident.id = row.id
    session.add(
        AuditEventRow(
            at=now,
            actor=actor,
            action="incident.opened",
            object_type="incident",
            object_id=str(row.id),
            before=None,
            after=incident.snapshot(),
        )
    )
    return row.id


def _linked(session: Session, keys: list[str]) -> set[str]:
    """Which of ``keys`` already belong to a case (one query per thousand keys)."""
    found: set[str] = set()
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        found.update(
            session.scalars(select(IncidentPostRow.post_key).where(IncidentPostRow.post_key.in_(chunk)))
        )
    return found


def _link_new_posts(session: Session, incident: Incident, before: list[str], now: datetime) -> None:
    """Posts a domain method added to the case (a reply, a citizen's comment) get their link row;
    posts already linked (moved by a merge) are left as they are."""
    added = [key for key in incident.post_keys if key not in before]
    if not added:
        return
    linked = set(session.scalars(select(IncidentPostRow.post_key).where(IncidentPostRow.post_key.in_(added))))
    for key in added:
        if key not in linked:
            session.add(
                IncidentPostRow(incident_id=incident.id, post_key=key, added_at=now, joined_by="reply")
            )


def _join(
    session: Session, decision: JoinDecision, post: Post, now: datetime, municipality: Municipality
) -> None:
    row = session.get_one(IncidentRow, decision.case_id)
    session.add(
        IncidentPostRow(incident_id=row.id, post_key=post.key, added_at=now, joined_by=decision.reason.value)
    )
    note = f"{post.key}: {decision.reason.label}"
    joined = IncidentUpdate(
        at=now,
        actor="system",
        status=IncidentStatus(row.status),
        department_id=row.department_id,
        note=note,
        action=UpdateAction.JOINED,
        previous_status=IncidentStatus(row.status),
        previous_department_id=row.department_id,
        reason=decision.reason.value,
    )
    session.add(update_row(row.id, joined))
    row.updated_at = now  # bumps the version: an edit based on the case without this post is stale
    flag_modified(row, "updated_at")  # even when ``now`` equals the last change's time
    session.flush()
    _announce(session, row, to_incident(row, []), "case.changed", municipality, now)  # no post list in it


def _announce(
    session: Session,
    row: IncidentRow,
    incident: Incident,
    event: str,
    municipality: Municipality | None,
    now: datetime,
) -> None:
    """The outbox: the webhook event for the version just written, in the same transaction, so a
    change is never saved without its event nor an event sent for a change that rolled back."""
    incident.version = row.version
    data = payload(incident, event, municipality) if municipality is not None else None
    session.add(
        CaseEventRow(
            incident_id=row.id,
            version=row.version,
            event=event,
            payload=data,
            created_at=now,
            state="pending",
            attempts=0,
            next_attempt_at=now,
        )
    )


def _open_cases(session: Session) -> list[OpenCase]:
    closed = [s.value for s in IncidentStatus if not s.is_open]
    query = (
        select(IncidentRow, PostRow)
        .join(IncidentPostRow, IncidentPostRow.incident_id == IncidentRow.id)
        .join(PostRow, PostRow.key == IncidentPostRow.post_key)
        .where(IncidentRow.status.not_in(closed))
    )
    cases: dict[int, OpenCase] = {}
    for row, post_row in session.execute(query):
        case = cases.get(row.id)
        if case is None:
            case = cases[row.id] = OpenCase(row.id, row.block, row.settlement, row.street, row.opened_at)
        case.post_keys.add(post_row.key)
        if post_row.copy_of_key:
            case.copy_of_keys.add(post_row.copy_of_key)
        words = shingles(post_row.text)
        if words:
            case.shingles.append(words)
        case.last_post_at = max(case.last_post_at, post_row.published_at)
    return list(cases.values())


def _save_change(
    session: Session,
    row: IncidentRow,
    incident: Incident,
    updates: list[IncidentUpdate],
    municipality: Municipality,
    now: datetime,
) -> None:
    policy = municipality.sla
    pending = sla.deadline(incident, policy, sla.calendar_for(policy, municipality.timezone))
    incident.due_at = pending.due_at if pending else None
    fill_row(row, incident)
    row.updated_at = now
    flag_modified(row, "updated_at")  # always a versioned UPDATE: one version, one event
    for change in updates:
        session.add(update_row(row.id, change))


def _audit(
    session: Session,
    incident: Incident,
    before: dict[str, Any],
    updates: list[IncidentUpdate],
    now: datetime,
    actor: str,
    client: str,
) -> None:
    actions = [change.action.value for change in updates]
    after = incident.snapshot() | {"updates": [_describe(change) for change in updates]}
    session.add(
        AuditEventRow(
            at=now,
            actor=actor[:80],
            action=("incident." + "+".join(dict.fromkeys(actions)))[:40] if actions else "incident.edit",
            object_type="incident",
            object_id=str(incident.id),
            before=before,
            after=after,
            client=client[:80],
        )
    )


def _describe(change: IncidentUpdate) -> dict[str, Any]:
    return {
        "action": change.action.value,
        "at": change.at.isoformat(),
        "actor": change.actor,
        "status": change.status.value,
        "department_id": change.department_id,
        "held_hours": change.held_hours,
        "note": change.note[:500],
    }
