"""The case lifecycle: legal and illegal moves, history lines, re-routing with the holder's time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from infopole.domain.incident import IncidentStatus, InvalidTransition, RejectReason, UpdateAction
from infopole.domain.lifecycle import TRANSITIONS, can_move
from tests.case_fixtures import NOW, case

S = IncidentStatus


def test_every_status_has_a_row_and_closed_ones_only_reopen() -> None:
    assert set(TRANSITIONS) == set(IncidentStatus)
    for status in IncidentStatus:
        if not status.is_open:
            assert TRANSITIONS[status] == {S.REOPENED}


@pytest.mark.parametrize(
    ("current", "wanted", "allowed"),
    [
        (S.NEW, S.ASSIGNED, True),
        (S.NEW, S.ANSWERED, False),
        (S.TRIAGE, S.ASSIGNED, True),
        (S.TRIAGE, S.INTERIM, False),
        (S.ASSIGNED, S.INTERIM, True),
        (S.INTERIM, S.ANSWERED, True),
        (S.ANSWERED, S.RESOLVED, True),
        (S.ANSWERED, S.INTERIM, False),
        (S.RESOLVED, S.ANSWERED, False),
        (S.RESOLVED, S.REOPENED, True),
        (S.REJECTED, S.REOPENED, True),
        (S.REOPENED, S.ANSWERED, True),
        (S.NEW, S.REOPENED, False),
    ],
)
def test_transition_table(current: IncidentStatus, wanted: IncidentStatus, allowed: bool) -> None:
    assert can_move(current, wanted) is allowed


def test_a_full_round_leaves_one_update_per_change() -> None:
    incident = case()
    incident.give_interim("Направили бригаду", NOW + timedelta(hours=2), "zhkh-operator")
    incident.answer("Яму заделали 25.11", NOW + timedelta(days=2), "zhkh-operator", link="https://vk.com/x")
    incident.resolve(NOW + timedelta(days=3), "mcu-head")
    incident.reopen(NOW + timedelta(days=4), "system", note="житель: яма снова")
    actions = [u.action for u in incident.updates]
    assert actions == [
        UpdateAction.ROUTED,
        UpdateAction.INTERIM,
        UpdateAction.ANSWERED,
        UpdateAction.RESOLVED,
        UpdateAction.REOPENED,
    ]
    assert [u.status for u in incident.updates][-2:] == [S.RESOLVED, S.REOPENED]
    assert incident.updates[2].link == "https://vk.com/x" and incident.updates[2].actor == "zhkh-operator"
    assert incident.updates[3].previous_status is S.ANSWERED
    assert incident.status is S.REOPENED and incident.is_open


def test_illegal_move_changes_nothing() -> None:
    incident = case()
    incident.reject(RejectReason.NOT_A_PROBLEM, NOW, "mcu-head")
    history = list(incident.updates)
    with pytest.raises(InvalidTransition):
        incident.answer("поздно", NOW + timedelta(hours=1), "zhkh")
    assert incident.status is S.REJECTED and incident.updates == history
    assert incident.reject_reason is RejectReason.NOT_A_PROBLEM


def test_rerouting_records_who_held_the_case_and_how_long() -> None:
    incident = case()  # assigned to zhkh at NOW
    update = incident.assign("ivangorod", NOW + timedelta(hours=5, minutes=30), "mcu-head")
    assert update.previous_department_id == "zhkh" and update.department_id == "ivangorod"
    assert update.held_hours == 5.5
    back = incident.send_to_triage(NOW + timedelta(hours=7), "не наша компетенция", "ivangorod-operator")
    assert back.previous_department_id == "ivangorod" and back.held_hours == 1.5
    assert incident.department_id is None and incident.status is S.TRIAGE


def test_assigning_to_the_same_department_again_is_refused() -> None:
    incident = case()
    with pytest.raises(InvalidTransition):
        incident.assign("zhkh", NOW + timedelta(hours=1))


def test_a_formal_reply_is_history_but_not_a_status() -> None:
    incident = case()
    update = incident.note_formal_reply("Ваше обращение направлено в профильный отдел", NOW, "vk-adm")
    assert update.formal and update.action is UpdateAction.FORMAL_REPLY
    assert incident.status is S.ASSIGNED


def test_snapshot_is_what_the_audit_compares() -> None:
    incident = case()
    before = incident.snapshot()
    incident.reject(RejectReason.DUPLICATE, NOW, "mcu-head")
    after = incident.snapshot()
    assert (before["status"], after["status"]) == ("assigned", "rejected")
    assert after["reject_reason"] == "duplicate"
