from __future__ import annotations

import pytest

from infopole.domain.analysis import Address
from nlp.geo import GeoLinker
from tests.nlp_fixtures import small_municipality


@pytest.fixture(scope="module")
def geo() -> GeoLinker:
    return GeoLinker(small_municipality())


def test_settlement_in_inflected_form_with_street_and_house(geo: GeoLinker) -> None:
    addresses, settlement = geo("В Красной Пахре на ул. Лесная д. 5 третий день нет воды")
    assert settlement == "Красная Пахра"
    assert addresses == [
        Address("ул. Лесная д. 5", "Красная Пахра", "улица Лесная", "5", 55.43, 37.24),
    ]


def test_street_with_type_after_name_and_house_with_letter(geo: GeoLinker) -> None:
    addresses, settlement = geo("Троицк, Октябрьский пр-т, 12а — огромная яма")
    assert settlement == "Троицк"
    assert [(a.street, a.house, a.settlement) for a in addresses] == [
        ("Октябрьский проспект", "12а", "Троицк")
    ]


def test_street_without_type_word_but_with_house(geo: GeoLinker) -> None:
    addresses, _ = geo("Живу на Солнечной 4/6, мусор не вывозят")
    assert [(a.street, a.house, a.lat) for a in addresses] == [("Солнечная улица", "4/6", 55.48)]


def test_ambiguous_street_is_not_guessed(geo: GeoLinker) -> None:
    addresses, settlement = geo("на Лесной 7 прорвало трубу")
    assert settlement is None
    assert [(a.street, a.house, a.settlement) for a in addresses] == [("улица Лесная", "7", None)]


def test_adjective_is_not_a_street(geo: GeoLinker) -> None:
    assert geo("лесной пожар у трассы") == ([], None)


def test_street_outside_the_gazetteer_comes_from_the_address_extractor(geo: GeoLinker) -> None:
    addresses, settlement = geo("На улице Школьной, дом 3 в Троицке темно")
    assert settlement == "Троицк"
    assert [(a.house, a.settlement) for a in addresses] == [("3", "Троицк")]
    assert addresses[0].street is not None and "Школьн" in addresses[0].street


def test_without_municipality_only_extracted_addresses() -> None:
    addresses, settlement = GeoLinker(None)("Прорвало трубу на ул. Ленина, д. 10")
    assert settlement is None
    assert [(a.street, a.house) for a in addresses] == [("улица Ленина", "10")]


def test_inflected_street_with_abbreviated_type_after_it(geo: GeoLinker) -> None:
    addresses, _ = geo("обещали дорогу на Октябрьском пр-те 12а, а там яма на яме")
    assert [(a.text, a.street, a.house) for a in addresses] == [
        ("Октябрьском пр-те 12а", "Октябрьский проспект", "12а")
    ]


def test_an_adjective_of_a_district_is_not_the_settlement_of_the_same_name() -> None:
    """Kingisepp has a посёлок «Кингисеппский» and a street «Кингисеппское шоссе» in Ивангород."""
    from pathlib import Path

    from infopole.config.municipality import load_municipality

    kingisepp = Path(__file__).parents[1] / "infopole" / "municipalities" / "kingisepp.yaml"
    linker = GeoLinker(load_municipality(kingisepp))
    for text in (
        "Кингисеппский район признан лучшим в области",
        "В Кингисеппском районе отключат свет",
        "Администрация Кингисеппского муниципального района сообщает",
    ):
        assert linker(text) == ([], None), text
    assert linker("в посёлке Кингисеппский нет воды") == ([], "Кингисеппский")
    assert linker("в Кингисеппском жители жалуются на дорогу")[1] == "Кингисеппский"
    addresses, settlement = linker("На Кингисеппском шоссе в Ивангороде яма")
    assert settlement == "Ивангород" and [a.street for a in addresses] == ["Кингисеппское шоссе"]
