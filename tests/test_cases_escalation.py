"""Overdue cases go to the куратор once per round, as an SLA alert with the missed deadline."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from infopole.domain.alert import AlertKind
from infopole.domain.incident import UpdateAction
from infopole.incidents.escalation import curator_of
from infopole.storage.db import Database
from infopole.storage.escalations import escalate_overdue
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore
from tests.case_fixtures import MUNICIPALITY, NOW, analysis, municipality, post


def test_curator_is_taken_from_the_members() -> None:
    assert curator_of(MUNICIPALITY) == "Первый заместитель главы администрации"
    bare = municipality().model_copy(update={"members": []})
    assert curator_of(bare) == "куратор МЦУ"


def test_overdue_cases_are_escalated_once_per_round(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'sla.db'}")
    first = post("1")
    PostStore(db).save_batch([first], [], NOW)
    store = IncidentStore(db)
    store.take_incidents([(first, analysis(first))], MUNICIPALITY, NOW)  # Monday 12:00, due Tuesday 11:00
    (case,) = store.list()
    assert escalate_overdue(store, MUNICIPALITY, NOW + timedelta(hours=22)) == []  # Tuesday 10:00 MSK
    tuesday_noon = NOW + timedelta(hours=24)
    (alert,) = escalate_overdue(store, MUNICIPALITY, tuesday_noon)
    assert alert.kind is AlertKind.SLA and alert.severity == "high"
    assert alert.details["incident_id"] == case.id and alert.details["stage"] == "first_answer"
    assert alert.details["escalated_to"] == "Первый заместитель главы администрации"
    assert escalate_overdue(store, MUNICIPALITY, tuesday_noon + timedelta(hours=1)) == []
    escalated = store.get(case.id or 0)
    assert escalated.escalated_at == tuesday_noon
    assert escalated.updates[-1].action is UpdateAction.ESCALATED
    assert escalated.updates[-1].reason == "Первый заместитель главы администрации"
    # answered late, then reopened: a new round that can be escalated again
    store.change(
        case.id or 0,
        lambda c: c.answer("Сделано 25.11", tuesday_noon, "zhkh"),
        municipality=MUNICIPALITY,
        now=tuesday_noon,
        actor="zhkh",
    )
    store.change(
        case.id or 0,
        lambda c: c.reopen(tuesday_noon, "citizen"),
        municipality=MUNICIPALITY,
        now=tuesday_noon,
        actor="citizen",
    )
    (second,) = escalate_overdue(store, MUNICIPALITY, tuesday_noon + timedelta(days=3))
    assert second.key != alert.key
    db.close()
