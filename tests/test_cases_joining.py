"""Which open case a new incident post joins: comment, repost, near-duplicate text, same place;
and when a case opened from an older post counts as registered."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from infopole.config.municipality import CasePolicy
from infopole.incidents.joining import JoinReason, OpenCase, find_case, shingles, similarity
from infopole.incidents.sla import SlaState, calendar_for, sla_state
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore
from tests.case_fixtures import MUNICIPALITY, NOW, analysis, post

POLICY = CasePolicy(join_window_hours=72, near_duplicate_similarity=0.6)
ORIGINAL = post("10", "Нет горячей воды в доме на улице Ленина 5 уже третий день, управляющая молчит")


def _open_case(case_id: int = 7, street: str | None = "улица Ленина") -> OpenCase:
    case = OpenCase(case_id, "ЖКХ", "Кингисепп", street, NOW)
    case.add(ORIGINAL)
    return case


def test_a_comment_under_a_case_post_joins_it() -> None:
    comment = post("11", "Ага, у нас тоже", parent=ORIGINAL.key)
    decision = find_case(comment, analysis(comment, block=None, settlement=None), [_open_case()], POLICY)
    assert decision is not None and (decision.case_id, decision.reason) == (7, JoinReason.COMMENT)


def test_a_repost_joins_in_either_direction() -> None:
    repost = post("20", "Репост", owner="-100005", copy_of=ORIGINAL.key)
    decision = find_case(repost, analysis(repost, block=None), [_open_case()], POLICY)
    assert decision is not None and decision.reason is JoinReason.REPOST
    # the case holds the repost; the original shows up later
    case = OpenCase(8, "ЖКХ", "Кингисепп", None, NOW)
    case.add(repost)
    decision = find_case(ORIGINAL, analysis(ORIGINAL, block=None), [case], POLICY)
    assert decision is not None and (decision.case_id, decision.reason) == (8, JoinReason.REPOST)


def test_a_near_duplicate_text_joins_a_different_text_does_not() -> None:
    again = post("30", "Нет горячей воды в доме на улице Ленина 5 уже четвёртый день, управляющая молчит!!!")
    other = post("31", "На улице Ленина 5 во дворе сломали детскую площадку, качели валяются уже неделю")
    cases = [_open_case()]
    decision = find_case(again, analysis(again, block=None), cases, POLICY)
    assert decision is not None and decision.reason is JoinReason.NEAR_DUPLICATE
    assert decision.similarity >= 0.6
    assert find_case(other, analysis(other, block="Благоустройство"), cases, POLICY) is None


def test_same_block_and_place_within_the_window() -> None:
    text = "Опять без отопления, батареи ледяные, дети мёрзнут, куда смотрит администрация"
    inside = post("40", text, at=NOW + timedelta(hours=70))
    outside = post("41", text, at=NOW + timedelta(hours=80))
    cases = [_open_case()]
    joined = find_case(inside, analysis(inside, block="ЖКХ", street="улица Ленина"), cases, POLICY)
    assert joined is not None and joined.reason is JoinReason.PLACE
    assert find_case(outside, analysis(outside, block="ЖКХ", street="улица Ленина"), cases, POLICY) is None


def test_a_known_different_street_or_settlement_keeps_cases_apart() -> None:
    text = "Опять без отопления, батареи ледяные, дети мёрзнут, куда смотрит администрация"
    item = post("50", text)
    cases = [_open_case()]
    assert find_case(item, analysis(item, block="ЖКХ", street="улица Мира"), cases, POLICY) is None
    assert find_case(item, analysis(item, block="ЖКХ", settlement="Ивангород"), cases, POLICY) is None
    assert find_case(item, analysis(item, block="ЖКХ", settlement=None), cases, POLICY) is None
    no_place = CasePolicy(join_by_place=False)
    assert find_case(item, analysis(item, block="ЖКХ", street="улица Ленина"), cases, no_place) is None


def test_the_newest_of_several_same_place_cases_wins() -> None:
    older, newer = _open_case(1, street=None), _open_case(2, street=None)
    newer.last_post_at = NOW + timedelta(hours=5)
    item = post(
        "60", "Снова авария, нет воды, сколько это будет продолжаться вообще", at=NOW + timedelta(hours=6)
    )
    decision = find_case(item, analysis(item, block="ЖКХ"), [older, newer], POLICY)
    assert decision is not None and decision.case_id == 2


def test_short_texts_are_not_compared() -> None:
    assert shingles("Яма!") == frozenset()
    assert similarity(shingles("Яма!"), shingles("Яма!")) == 0.0


def test_backfilled_posts_open_cases_on_their_own_dates(tmp_path: Path) -> None:
    """A backfill (or the demo) takes a month of posts at once: each case is registered when its
    post was published, so its clock, its period in ratings, and the joining window are real."""
    db = Database(f"sqlite:///{tmp_path / 'backfill.db'}")
    now = NOW + timedelta(days=30)
    old = post("1", "Нет горячей воды на улице Гагарина 3 уже третий день", at=NOW)
    week_later = post("2", "Во дворе дома 3 прорвало трубу, течёт по двору", at=NOW + timedelta(days=7))
    fresh = post("3", "Упало дерево на улице Мира, перегородило проезд", at=now - timedelta(hours=1))
    future = post("4", "Сломан светофор на улице Садовой", at=now + timedelta(hours=5))  # a wrong clock
    PostStore(db).save_batch([old, week_later, fresh, future], [], now)
    store = IncidentStore(db)
    pairs = [
        (old, analysis(old, block="ЖКХ", street="улица Гагарина")),
        (week_later, analysis(week_later, block="ЖКХ", street="улица Гагарина")),
        (fresh, analysis(fresh, block="Благоустройство", street="улица Мира")),
        (future, analysis(future, block="Дороги", street="улица Садовая")),
    ]
    report = store.take_incidents(pairs, MUNICIPALITY, now)
    assert (report.opened, report.joined) == (4, 0)  # same place a week apart: past the 72 h window
    opened = {case.post_keys[0]: case for case in store.list()}
    assert opened[old.key].opened_at == NOW and opened[week_later.key].opened_at == week_later.published_at
    assert opened[fresh.key].opened_at == fresh.published_at and opened[future.key].opened_at == now
    assert opened[old.key].first_answer_due == NOW + timedelta(hours=23)  # Monday 12:00 → Tuesday 11:00 MSK
    calendar = calendar_for(MUNICIPALITY.sla, MUNICIPALITY.timezone)
    states = {key: sla_state(case, MUNICIPALITY.sla, calendar, now) for key, case in opened.items()}
    assert states[old.key] is SlaState.OVERDUE and states[fresh.key] is SlaState.ON_TIME
    assert [c.id for c in store.opened_between(NOW, NOW + timedelta(days=1))] == [opened[old.key].id]
    db.close()
