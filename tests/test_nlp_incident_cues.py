"""Round-5 cue groups of the incident pack (``nlp.incident.CUES``) and their interaction columns.

Each group on short made-up sentences (none from an evaluation set): what it must match and what it
must not, so a pattern widened by accident shows up here rather than as a silent shift of the pack."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.incident import CUES, INTERACTIONS, NAMED, cue_matches, named_features


def groups(text: str) -> set[str]:
    return {name for name, hits in cue_matches(text).items() if hits}


@pytest.mark.parametrize(
    ("group", "matching", "not_matching"),
    [
        (
            "past",
            [
                "Раньше на Речной прорывало трубу каждую зиму",
                "В прошлом году тут была огромная лужа",
                "лет десять назад был пожар",
            ],
            ["Вчера прорвало трубу, вода хлещет", "Лужа во дворе по колено"],
        ),
        (
            "done",
            ["На Речной заменили все фонари", "уже починили, можно пользоваться", "теперь в подъезде светло"],
            ["фонари так и не заменили", "лифт не заработал"],
        ),
        (
            "now",
            ["сейчас опять нет света", "с утра стоим без воды", "пятый день в подъезде темно"],
            ["в подъезде темно", "воды не было весной"],
        ),
        (
            "elsewhere",
            ["В Москве опять пробки", "в соседнем поселке дорогу сделали", "по телевизору показали ураган"],
            ["у нас на Речной пробки", "во дворе сделали дорогу"],
        ),
        (
            "irony",
            [
                "Браво коммунальщикам, снова без воды",
                "отличная дорога, колесо осталось в яме 👏",
                'ремонт "по плану" уже год',
            ],
            ["Во дворе яма, колесо пробил", "Ремонт идет по плану"],
        ),
        (
            "rhetorical",
            ["Сколько можно терпеть эту свалку", "кому жаловаться на эту управляйку?", "за что мы платим?"],
            ["Где можно оплатить квитанцию?", "Заплатили за вывоз мусора"],
        ),
        (
            "opinion",
            [
                "По-моему, ремонт можно было отложить",
                "мне кажется, так везде",
                "Согласен с предыдущим оратором",
            ],
            ["На Речной яма", "Прошу убрать мусор"],
        ),
        (
            "info_question",
            [
                "Когда откроют бассейн после ремонта?",
                "До скольки работает почта?",
                "Будет ли автобус в праздник?",
            ],
            ["Когда уберут мусор?", "Автобус не ходит второй день"],
        ),
    ],
)
def test_round5_cue_groups(group: str, matching: list[str], not_matching: list[str]) -> None:
    assert group in CUES
    for text in matching:
        assert group in groups(text), text
    for text in not_matching:
        assert group not in groups(text), text


@pytest.mark.parametrize(
    ("text", "on", "off"),
    [
        ("Когда откроют бассейн?", {"question_only"}, {"question_trouble"}),
        ("Когда уберут мусор?", {"question_trouble"}, {"question_only"}),
        ("Прошу убрать свалку у гаражей", {"request_trouble"}, set()),
        ("Просим водителей убрать машины со двора", set(), {"request_trouble"}),
        ("В прошлом году во дворе была яма", {"past_trouble"}, {"elsewhere_trouble"}),
        ("В соседнем районе нет воды", {"elsewhere_trouble"}, {"past_trouble"}),
        ("Браво, опять нет света", {"irony_trouble"}, set()),
        ("Браво, концерт удался", set(), {"irony_trouble"}),
        ("Яму на Речной заасфальтировали", {"done_trouble"}, set()),
        ("На площади открыли каток", set(), {"done_trouble"}),
        ("По-моему, ямы у нас везде", {"opinion_trouble"}, set()),
    ],
)
def test_interaction_columns_pair_a_cue_with_a_named_problem(text: str, on: set[str], off: set[str]) -> None:
    (row,) = named_features([text])
    lit = {name for name, value in zip(NAMED, row, strict=True) if name in INTERACTIONS and value}
    assert on <= lit and not off & lit, lit


def test_named_features_are_bounded_and_one_row_per_text() -> None:
    rows = named_features(["", "Сколько можно!!! Опять опять опять нет воды, уже 5 день", "Спасибо"])
    assert rows.shape == (3, len(NAMED)) and rows.dtype == np.float32
    assert rows.min() >= 0 and rows.max() <= 1
