"""Which open case a new incident post joins: comment, repost, near-duplicate text, same place."""

from __future__ import annotations

from datetime import timedelta

from infopole.config.municipality import CasePolicy
from infopole.incidents.joining import JoinReason, OpenCase, find_case, shingles, similarity
from tests.case_fixtures import NOW, analysis, post

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
