"""Cases in a real database (SQLite and PostgreSQL): opening and joining, history and audit,
merge and split, and concurrent changes of one case without a lost update."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from infopole.domain.incident import Incident, IncidentStatus, InvalidTransition, RejectReason, UpdateAction
from infopole.domain.post import Post
from infopole.storage.case_events import CaseEventStore
from infopole.storage.db import Database
from infopole.storage.incidents import CaseConflict, IncidentStore
from infopole.storage.posts import PostStore
from infopole.storage.tables import IncidentPostRow, IncidentUpdateRow
from tests.case_fixtures import MUNICIPALITY, NOW, analysis, post

M = MUNICIPALITY


def _save(db: Database, *posts: Post) -> None:
    PostStore(db).save_batch(list(posts), [], NOW)


def _one_case(db: Database) -> tuple[IncidentStore, int]:
    first = post("1")
    _save(db, first)
    store = IncidentStore(db)
    store.take_incidents([(first, analysis(first))], M, NOW)
    (case,) = store.list()
    assert case.id is not None
    return store, case.id


def test_posts_about_one_problem_make_one_case(db: Database) -> None:
    first = post("1", "Нет горячей воды в доме на улице Ленина 5 уже третий день, управляющая молчит")
    comment = post("2", "И у нас нет", parent=first.key, at=NOW + timedelta(minutes=5))
    repost = post("3", "Репост", owner="-100009", copy_of=first.key, at=NOW + timedelta(minutes=9))
    again = post(
        "4",
        "Нет горячей воды в доме на улице Ленина 5 уже четвёртый день, управляющая молчит",
        owner="-100009",
    )
    other = post("5", "В Ивангороде на Кингисеппском шоссе провал асфальта, машины объезжают по встречке")
    items = [first, comment, repost, again, other]
    _save(db, *items)
    store = IncidentStore(db)
    pairs = [(item, analysis(item, block="ЖКХ")) for item in items[:4]]
    pairs.append((other, analysis(other, block="Дороги", settlement="Ивангород")))
    report = store.take_incidents(pairs, M, NOW)
    assert (report.opened, report.joined) == (2, 3)
    assert store.take_incidents(pairs, M, NOW).opened == 0  # idempotent
    roads, water = store.list()  # newest first; same time: higher id first
    assert water.post_keys == [first.key, comment.key, repost.key, again.key]
    assert roads.post_keys == [other.key] and roads.department_id == "ivangorod"
    reasons = [u.reason for u in store.get(water.id or 0).updates if u.action is UpdateAction.JOINED]
    assert reasons == ["comment", "repost", "near_duplicate"]
    with db.session() as session:
        joined_by = dict(session.execute(select(IncidentPostRow.post_key, IncidentPostRow.joined_by)).all())
    assert joined_by[repost.key] == "repost" and joined_by[first.key] == "opened"


def test_a_change_writes_history_and_an_audit_event(db: Database) -> None:
    store, case_id = _one_case(db)
    later = NOW + timedelta(hours=3)
    changed = store.change(
        case_id,
        lambda c: c.give_interim("Бригада выехала", later, "zhkh-operator"),
        municipality=M,
        now=later,
        actor="zhkh-operator",
        client="dashboard",
    )
    assert changed.status is IncidentStatus.INTERIM
    assert changed.due_at is not None and changed.due_at > later + timedelta(days=7)  # final-answer term
    saved = store.get(case_id)
    assert [u.action for u in saved.updates] == [UpdateAction.ROUTED, UpdateAction.INTERIM]
    assert saved.updates[-1].actor == "zhkh-operator" and saved.updates[-1].note == "Бригада выехала"
    opened, interim = store.audit(case_id)
    assert opened.action == "incident.opened" and opened.before is None
    assert interim.action == "incident.interim" and interim.client == "dashboard"
    assert interim.before is not None and interim.after is not None
    assert (interim.before["status"], interim.after["status"]) == ("assigned", "interim")


def test_an_illegal_change_writes_nothing(db: Database) -> None:
    store, case_id = _one_case(db)
    store.change(
        case_id,
        lambda c: c.reject(RejectReason.NOT_A_PROBLEM, NOW, "head"),
        municipality=M,
        now=NOW,
        actor="head",
    )
    with pytest.raises(InvalidTransition):
        store.change(case_id, lambda c: c.answer("…", NOW, "zhkh"), municipality=M, now=NOW, actor="zhkh")
    assert len(store.get(case_id).updates) == 2 and len(store.audit(case_id)) == 2


def test_two_writers_at_once_lose_nothing(db: Database) -> None:
    """Both read version 1, both write: the second write is stale, is retried on a fresh read,
    and both changes end up in the case and its history."""
    store, case_id = _one_case(db)
    both_read = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def once_then_wait(change: Callable[[Incident], object]) -> Callable[[Incident], None]:
        waited = threading.local()

        def mutate(incident: Incident) -> None:
            change(incident)
            if not getattr(waited, "done", False):
                waited.done = True
                both_read.wait()

        return mutate

    reroute = once_then_wait(lambda c: c.assign("culture", NOW, "head"))
    escalate = once_then_wait(lambda c: c.escalate(NOW, "куратор", "просрочен"))

    def run(mutate: Callable[[Incident], None], actor: str) -> None:
        try:
            store.change(case_id, mutate, municipality=M, now=NOW, actor=actor)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(m, a)) for m, a in ((reroute, "head"), (escalate, "sla"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    case = store.get(case_id)
    assert case.department_id == "culture" and case.escalated_at is not None
    assert sorted(u.action.value for u in case.updates[1:]) == ["escalated", "routed"]
    assert case.version == 3  # opened, then exactly two writes
    assert len(store.audit(case_id)) == 3


def test_a_stale_screen_gets_a_conflict(db: Database) -> None:
    store, case_id = _one_case(db)
    seen = store.get(case_id).version
    store.change(case_id, lambda c: c.assign("culture", NOW, "head"), municipality=M, now=NOW, actor="head")
    with pytest.raises(CaseConflict):
        store.change(
            case_id,
            lambda c: c.give_interim("…", NOW, "zhkh"),
            municipality=M,
            now=NOW,
            actor="zhkh",
            expected_version=seen,
        )
    assert store.get(case_id).status is IncidentStatus.ASSIGNED


def test_merge_and_split_keep_history(db: Database) -> None:
    a = post("1", "Нет света на улице Ленина, фонари не горят уже неделю, темно и страшно")
    b = post("2", "Во дворе дома 7 по Кирова прорвало трубу, вода течёт в подвал второй день")
    c = post("3", "И у нас тоже фонари не горят", parent=b.key)
    _save(db, a, b, c)
    store = IncidentStore(db)
    store.take_incidents([(x, analysis(x, block="ЖКХ", settlement=None)) for x in (a, b, c)], M, NOW)
    (second, first) = store.list()
    assert first.post_keys == [a.key] and second.post_keys == [b.key, c.key]
    later = NOW + timedelta(hours=1)
    merged = store.merge(first.id or 0, second.id or 0, municipality=M, now=later, actor="analyst")
    assert merged.post_keys == [a.key, b.key, c.key]
    gone = store.get(second.id or 0)
    assert gone.status is IncidentStatus.REJECTED and gone.reject_reason is RejectReason.DUPLICATE
    assert gone.merged_into == first.id and gone.post_keys == []
    split = store.split(first.id or 0, [b.key], municipality=M, now=later, actor="analyst", title="Труба")
    assert split.post_keys == [b.key] and split.title == "Труба"
    assert split.opened_at == first.opened_at and split.department_id == first.department_id
    assert store.get(first.id or 0).post_keys == [a.key, c.key]
    with db.session() as session:
        notes = list(
            session.scalars(select(IncidentUpdateRow.note).where(IncidentUpdateRow.action == "split"))
        )
    assert sorted(notes) == [
        f"выделено в обращение №{split.id}: {b.key}",
        f"выделено из обращения №{first.id}",
    ]
    with pytest.raises(ValueError, match="not all"):
        store.split(split.id or 0, [b.key], municipality=M, now=later, actor="analyst")


def test_many_writers_lose_no_update_and_each_version_is_announced_once(db: Database) -> None:
    """Writers hammering one case: every change lands (stale writes are retried on a fresh read),
    versions advance one by one, and the webhook outbox holds exactly one event per version —
    a write that lost the race took its event down with it."""
    store, case_id = _one_case(db)
    writers, each = 4, 5
    start = threading.Barrier(writers, timeout=30)
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            start.wait()
            for n in range(each):
                note = f"{name}-{n}"
                store.change(
                    case_id,
                    lambda c, note=note: c.record(UpdateAction.JOINED, NOW, name, note=note),
                    municipality=M,
                    now=NOW,
                    actor=name,
                )
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(f"w{i}",)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    case = store.get(case_id)
    notes = sorted(u.note for u in case.updates if u.action is UpdateAction.JOINED)
    assert notes == sorted(f"w{i}-{n}" for i in range(writers) for n in range(each))
    assert case.version == 1 + writers * each
    events = CaseEventStore(db).events(incident_id=case_id)
    assert [e.version for e in events] == list(range(1, case.version + 1))
    assert [e.event for e in events] == ["case.created"] + ["case.changed"] * writers * each
