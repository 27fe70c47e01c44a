"""Overdue cases: the case records its escalation to the куратор once per missed deadline, and the
куратор gets exactly one alert for it — the SLA rule's — never a second one from the queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from infopole.alerts.detect import Snapshot, detect
from infopole.alerts.store import AlertStore
from infopole.config.municipality import Role
from infopole.domain.alert import AlertKind
from infopole.domain.incident import UpdateAction
from infopole.incidents.escalation import curator_of
from infopole.storage.db import Database
from infopole.storage.escalations import escalate_overdue
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore
from tests.case_fixtures import MUNICIPALITY, NOW, analysis, municipality, post

CURATOR = "Первый заместитель главы администрации"


def test_curator_is_the_role_the_sla_alert_goes_to() -> None:
    assert curator_of(MUNICIPALITY) == CURATOR
    to_head = MUNICIPALITY.alerts.model_copy(update={"escalate_to": Role.HEAD})
    assert curator_of(MUNICIPALITY.model_copy(update={"alerts": to_head})) == "Руководитель МЦУ"
    bare = municipality().model_copy(update={"members": []})
    assert curator_of(bare) == "куратор МЦУ"


def _escalations(store: IncidentStore, case_id: int) -> list[tuple[datetime, str | None]]:
    return [(u.at, u.reason) for u in store.get(case_id).updates if u.action is UpdateAction.ESCALATED]


def test_each_missed_deadline_is_escalated_once(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'sla.db'}")
    first = post("1")
    PostStore(db).save_batch([first], [], NOW)
    store = IncidentStore(db)
    store.take_incidents([(first, analysis(first))], MUNICIPALITY, NOW)  # Monday 12:00, due Tuesday 11:00
    (case,) = store.list()
    case_id = case.id or 0
    assert escalate_overdue(store, MUNICIPALITY, NOW + timedelta(hours=22)) == []  # Tuesday 10:00 MSK
    tuesday_noon = NOW + timedelta(hours=24)
    assert escalate_overdue(store, MUNICIPALITY, tuesday_noon) == [case_id]
    assert escalate_overdue(store, MUNICIPALITY, tuesday_noon + timedelta(hours=1)) == []
    escalated = store.get(case_id)
    assert escalated.escalated_at == tuesday_noon
    assert _escalations(store, case_id) == [(tuesday_noon, CURATOR)]
    assert "first_answer" in escalated.updates[-1].note
    assert store.audit(case_id)[-1].action == "incident.escalated"
    # an interim answer starts the final-answer deadline (7 working days): missed too, escalated again
    store.change(
        case_id,
        lambda c: c.give_interim("Работы запланированы", tuesday_noon, "zhkh"),
        municipality=MUNICIPALITY,
        now=tuesday_noon,
        actor="zhkh",
    )
    assert escalate_overdue(store, MUNICIPALITY, tuesday_noon + timedelta(days=6)) == []
    late = tuesday_noon + timedelta(days=10)
    assert escalate_overdue(store, MUNICIPALITY, late) == [case_id]
    assert "final_answer" in store.get(case_id).updates[-1].note
    # answered, then reopened: a new round with its own deadline
    store.change(
        case_id,
        lambda c: c.answer("Сделано 25.11", late, "zhkh"),
        municipality=MUNICIPALITY,
        now=late,
        actor="z",
    )
    store.change(case_id, lambda c: c.reopen(late, "citizen"), municipality=MUNICIPALITY, now=late, actor="c")
    assert escalate_overdue(store, MUNICIPALITY, late + timedelta(days=3)) == [case_id]
    assert len(_escalations(store, case_id)) == 3
    db.close()


def test_the_curator_gets_one_alert_per_escalation_and_they_agree(tmp_path: Path) -> None:
    """Cases step and alerts step run over the same hours: every escalation recorded on a case has
    exactly one overdue SLA alert for the куратор, and no overdue alert lacks its escalation."""
    db = Database(f"sqlite:///{tmp_path / 'agree.db'}")
    problems = [
        "Нет света в доме",
        "Яма во дворе",
        "Не вывозят мусор",
        "Течёт крыша",
        "Нет воды",
        "Сломан лифт",
    ]
    streets = ["Ленина", "Гагарина", "Мира", "Садовая", "Школьная", "Парковая"]
    posts = [
        post(str(n), f"{problem} на улице {street}, помогите", at=NOW + timedelta(hours=3 * n))
        for n, (problem, street) in enumerate(zip(problems, streets, strict=True))
    ]
    PostStore(db).save_batch(posts, [], NOW)
    store, alerts = IncidentStore(db), AlertStore(db)
    for item in posts:
        street = streets[int(item.post_id)]
        store.take_incidents([(item, analysis(item, street=street))], MUNICIPALITY, item.published_at)
    assert len(store.list()) == len(posts)
    answered = store.list()[-1]  # the first case: answered in time, never escalated
    store.change(
        answered.id or 0,
        lambda c: c.answer("Свет дали 23.11", NOW + timedelta(hours=1), "zhkh"),
        municipality=MUNICIPALITY,
        now=NOW + timedelta(hours=1),
        actor="zhkh",
    )
    for hour in range(0, 24 * 5, 2):
        now = NOW + timedelta(hours=hour)
        escalate_overdue(store, MUNICIPALITY, now)
        found = detect(Snapshot(incidents=store.list(open_only=True, with_updates=True)), MUNICIPALITY, now)
        alerts.record(found, MUNICIPALITY, now)
        overdue = {
            a.details["incident_id"] for a in found if a.kind is AlertKind.SLA and a.severity == "high"
        }
        escalated = {case.id for case in store.list() if case.escalated_at is not None}
        assert overdue == escalated, now
    recorded = [a for a in alerts.latest(limit=500) if a.kind == AlertKind.SLA.value and a.severity == "high"]
    per_case = {case.id: len(_escalations(store, case.id or 0)) for case in store.list()}
    assert sum(per_case.values()) == len(recorded) == 5
    assert per_case[answered.id] == 0
    db.close()
