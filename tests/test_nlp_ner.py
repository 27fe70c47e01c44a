from __future__ import annotations

import pytest

from infopole.domain.analysis import Entity
from nlp.ner import NerTagger, officials_mentioned

TEXT = (
    "Глава Троицка Владимир Дудочкин пообещал жителям улицы Лесной отремонтировать дорогу. "
    "В «Мосводоканале» сообщили, что воду дадут к вечеру."
)


@pytest.fixture(scope="module")
def tagger() -> NerTagger:
    return NerTagger()


def test_golden_markup(tagger: NerTagger) -> None:
    assert tagger(TEXT) == [
        Entity("LOC", "Троицка", "Троицк", 6, 13),
        Entity("PER", "Владимир Дудочкин", "Владимир Дудочкин", 14, 31),
        Entity("LOC", "Лесной", "Лесная", 55, 61),
        Entity("ORG", "Мосводоканале", "Мосводоканал", 89, 102),
    ]
    for entity in tagger(TEXT):
        assert TEXT[entity.start : entity.stop] == entity.text


def test_inflected_person_is_normalised(tagger: NerTagger) -> None:
    entities = tagger("Жители пожаловались Владимиру Дудочкину на ямы.")
    assert [(e.type, e.normal) for e in entities] == [("PER", "Владимир Дудочкин")]


def test_empty_text(tagger: NerTagger) -> None:
    assert tagger("") == []
    assert tagger("   ") == []


def test_officials_by_surname_in_any_case(tagger: NerTagger) -> None:
    text = "Куда смотрит Дудочкин? Написали Дудочкину уже трижды"
    assert officials_mentioned(tagger(text), text, ["Дудочкин"]) == ["Дудочкин"]
    assert officials_mentioned(tagger(TEXT), TEXT, ["Иванов"]) == []
