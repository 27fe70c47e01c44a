"""Department and official ratings on a fixture month (November 2026, Moscow), derived from stored
history and the citizens' reactions to the answers."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from infopole.config.municipality import CasePolicy
from infopole.domain.incident import Incident
from infopole.incidents.cases import new_case
from infopole.incidents.export import RATING_COLUMNS, rating_rows, to_csv, to_xlsx
from infopole.incidents.ratings import TRIAGE, OfficialRole, percentile, rate_departments, rate_officials
from infopole.incidents.reaction import Reaction
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from tests.case_fixtures import MUNICIPALITY

MSK = ZoneInfo("Europe/Moscow")
M = MUNICIPALITY.model_copy(update={"cases": CasePolicy(min_cases_for_rating=3)})
START, END = datetime(2026, 11, 1, tzinfo=MSK), datetime(2026, 12, 1, tzinfo=MSK)


def msk(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=MSK)


Step = tuple[datetime, Callable[[Incident, datetime], object]]


def interim(at: datetime, who: str = "dept") -> Step:
    return at, lambda c, t: c.give_interim("Бригада выедет", t, who)


def answer(at: datetime, who: str = "dept") -> Step:
    return at, lambda c, t: c.answer("Сделано", t, who)


def resolve(at: datetime) -> Step:
    return at, lambda c, t: c.resolve(t, "head")


def reopen(at: datetime) -> Step:
    return at, lambda c, t: c.reopen(t, "citizen")


def formal(at: datetime, who: str = "dept") -> Step:
    return at, lambda c, t: c.note_formal_reply("Ваше обращение направлено", t, who)


IVANOVA, PETROV, SIDOROVA = "ivanova", "official:vk-known-official", "sidorova"

MONTH: list[tuple[str | None, datetime, list[Step]]] = [
    ("ЖКХ", msk(10, 30, 10), [answer(msk(10, 30, 11))]),  # October: not in the period
    (
        "ЖКХ",
        msk(11, 2, 10),
        [interim(msk(11, 2, 12), IVANOVA), answer(msk(11, 5, 10), PETROV), resolve(msk(11, 6, 10))],
    ),  # 2 h
    ("ЖКХ", msk(11, 10, 10), [answer(msk(11, 10, 14), IVANOVA)]),  # 4 h
    (
        "ЖКХ",
        msk(11, 11, 10),
        [answer(msk(11, 12, 12), IVANOVA), reopen(msk(11, 13, 10))],
    ),  # 8 + 3 = 11 h: late
    ("ЖКХ", msk(11, 16, 10), []),  # never answered: overdue
    ("Культура", msk(11, 2, 10), [answer(msk(11, 2, 11), SIDOROVA), resolve(msk(11, 3, 10))]),  # 1 h
    ("Культура", msk(11, 3, 16), [answer(msk(11, 5, 10), SIDOROVA)]),  # 1 h (short 3 Nov) + holiday + 1 h
    ("Культура", msk(11, 20, 17), [formal(msk(11, 20, 17), PETROV), interim(msk(11, 23, 10), SIDOROVA)]),
    (None, msk(11, 5, 10), []),  # triage
]


def test_ratings_of_a_fixture_month(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'ratings.db'}")
    store = IncidentStore(db)
    for block, opened, steps in MONTH:
        case = store.add(
            new_case(title="…", block=block, settlement=None, municipality=M, now=opened), opened
        )
        for at, step in steps:
            store.change(case.id or 0, _bound(step, at), municipality=M, now=at, actor="t")
    ratings = {r.department_id: r for r in rate_departments(store.opened_between(START, END), M, END)}
    db.close()
    zhkh, culture, triage = ratings["zhkh"], ratings["culture"], ratings[TRIAGE]
    assert (zhkh.cases, zhkh.answered, culture.cases, triage.cases) == (4, 3, 3, 1)
    assert (zhkh.median_first_answer_hours, zhkh.p90_first_answer_hours) == (4.0, 11.0)
    assert (culture.median_first_answer_hours, culture.p90_first_answer_hours) == (2.0, 2.0)
    assert (zhkh.answered_in_time_share, culture.answered_in_time_share) == (0.5, 1.0)
    assert (zhkh.overdue, culture.overdue) == (2, 0)  # the unanswered one and the reopened one
    assert (zhkh.resolved_share, zhkh.interim_only_share, zhkh.reopen_rate) == (0.25, 0.0, 0.25)
    assert (culture.resolved_share, culture.interim_only_share, culture.formal_replies) == (0.333, 0.333, 1)
    assert (culture.rank, zhkh.rank, triage.rank) == (1, 2, None)
    stricter = M.model_copy(update={"cases": CasePolicy(min_cases_for_rating=4)})
    again = {r.department_id: r for r in rate_departments(store_cases(tmp_path), stricter, END)}
    assert (again["zhkh"].rank, again["culture"].rank) == (1, None)


def _bound(step: Callable[[Incident, datetime], object], at: datetime) -> Callable[[Incident], object]:
    return lambda case: step(case, at)


def store_cases(tmp_path: Path) -> list[Incident]:
    db = Database(f"sqlite:///{tmp_path / 'ratings.db'}")
    try:
        return IncidentStore(db).opened_between(START, END)
    finally:
        db.close()


def test_percentile_is_nearest_rank() -> None:
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == 9.0
    assert percentile([1.0], 0.9) == 1.0


def _month(tmp_path: Path) -> list[Incident]:
    db = Database(f"sqlite:///{tmp_path / 'officials.db'}")
    store = IncidentStore(db)
    for block, opened, steps in MONTH:
        case = store.add(
            new_case(title="…", block=block, settlement=None, municipality=M, now=opened), opened
        )
        for at, step in steps:
            store.change(case.id or 0, _bound(step, at), municipality=M, now=at, actor="t")
    cases = store.opened_between(START, END)
    db.close()
    return cases


def test_reactions_to_answers_in_department_ratings(tmp_path: Path) -> None:
    cases = _month(tmp_path)
    zhkh = [c.id or 0 for c in cases if c.department_id == "zhkh"]
    reactions = {
        zhkh[0]: [Reaction.NONE, Reaction.POSITIVE],
        zhkh[1]: [Reaction.POSITIVE],
        zhkh[2]: [Reaction.NEGATIVE],
    }
    rated = {r.department_id: r for r in rate_departments(cases, M, END, reactions)}
    assert (rated["zhkh"].positive_reaction_share, rated["zhkh"].negative_reaction_share) == (0.5, 0.25)
    assert rated["culture"].positive_reaction_share is None  # no answer checked: no share, not zero


def test_ratings_of_officials_on_the_fixture_month(tmp_path: Path) -> None:
    cases = _month(tmp_path)
    zhkh = [c.id or 0 for c in cases if c.department_id == "zhkh"]
    rated = {(r.role, r.official): r for r in rate_officials(cases, M, END, {zhkh[2]: [Reaction.NEGATIVE]})}
    head_zhkh = rated[(OfficialRole.RESPONSIBLE, "председатель комитета, Комитет ЖКХ")]
    head_culture = rated[(OfficialRole.RESPONSIBLE, "председатель, Комитет культуры")]
    assert (head_zhkh.cases, head_zhkh.overdue, head_zhkh.department_id) == (4, 2, "zhkh")
    assert (head_culture.cases, head_culture.rank, head_zhkh.rank) == (3, 1, 2)  # as their departments
    ivanova = rated[(OfficialRole.ANSWERED, IVANOVA)]
    petrov = rated[(OfficialRole.ANSWERED, PETROV)]
    sidorova = rated[(OfficialRole.ANSWERED, SIDOROVA)]
    assert (ivanova.cases, ivanova.median_first_answer_hours, ivanova.p90_first_answer_hours) == (
        3,
        4.0,
        11.0,
    )
    assert (ivanova.reopen_rate, ivanova.negative_reaction_share, ivanova.department_id) == (
        0.333,
        1.0,
        "zhkh",
    )
    assert (sidorova.cases, sidorova.answered_in_time_share, sidorova.formal_replies) == (3, 1.0, 1)
    assert (petrov.cases, petrov.formal_replies) == (2, 1)  # an answer on one case, an отписка on another
    assert (sidorova.rank, ivanova.rank, petrov.rank) == (1, 2, None)  # 2 cases < min_cases_for_rating
    assert not any(r.official == TRIAGE for r in rated.values())


def test_ratings_export_to_xlsx_and_csv(tmp_path: Path) -> None:
    cases = _month(tmp_path)
    names = {d.id: d.name for d in M.departments}
    rows = rating_rows(rate_departments(cases, M, END), rate_officials(cases, M, END), names)
    book = load_workbook(io.BytesIO(to_xlsx(rows, "Рейтинг", RATING_COLUMNS)))
    table = [[cell.value for cell in row] for row in book.active.iter_rows()]  # type: ignore[union-attr]
    assert tuple(table[0]) == RATING_COLUMNS
    by_who = {(row[1], row[2]): row for row in table[1:]}
    assert by_who[("Комитет культуры", "отдел")][:5] == [
        1,
        "Комитет культуры",
        "отдел",
        "Комитет культуры",
        3,
    ]
    assert by_who[(SIDOROVA, "ответил")][8] == 100
    assert by_who[(PETROV, "ответил")][0] is None  # not ranked: too few cases
    text = to_csv(rows, RATING_COLUMNS).decode("utf-8-sig").splitlines()
    assert text[0].split(";") == list(RATING_COLUMNS) and len(text) == len(table)
