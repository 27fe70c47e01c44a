"""The example municipality files that ship with the package, checked against their decrees."""

from __future__ import annotations

import math
from importlib import resources

import pytest

from infopole.config.blocks import blocks
from infopole.config.municipality import Department, Municipality, Point, Role, parse_municipality
from infopole.domain.source import GeoArea, Source, SourceKind

SLUGS = ["kingisepp", "sorsk", "petropavlovskaya", "kotelnikovo", "novodugino"]


def load(slug: str) -> Municipality:
    text = resources.files("infopole.municipalities").joinpath(f"{slug}.yaml").read_text("utf-8")
    return parse_municipality(text, f"{slug}.yaml")


@pytest.fixture(scope="module", params=SLUGS)
def municipality(request: pytest.FixtureRequest) -> Municipality:
    return load(request.param)


def owners(municipality: Municipality, block: str, settlement: str) -> list[str]:
    """Departments answering for ``block`` in ``settlement``: those named for the settlement, else the
    municipality-wide ones."""
    with_block = [d for d in municipality.departments if block in d.blocks]
    local = [d.id for d in with_block if settlement.casefold() in (s.casefold() for s in d.settlements)]
    return local or [d.id for d in with_block if not d.settlements]


def test_the_package_ships_exactly_the_five_founding_municipalities() -> None:
    shipped = {
        entry.name.removesuffix(".yaml")
        for entry in resources.files("infopole.municipalities").iterdir()
        if entry.name.endswith(".yaml")
    }
    assert shipped == set(SLUGS)


@pytest.mark.parametrize(
    ("slug", "oktmo", "timezone", "region"),
    [
        ("kingisepp", "41621000", "Europe/Moscow", "Ленинградская область"),
        ("sorsk", "95709000", "Asia/Krasnoyarsk", "Республика Хакасия"),
        ("petropavlovskaya", "03627419", "Europe/Moscow", "Краснодарский край"),
        ("kotelnikovo", "18624000", "Europe/Volgograd", "Волгоградская область"),
        ("novodugino", "66630000", "Europe/Moscow", "Смоленская область"),
    ],
)
def test_identity_of_each_municipality(slug: str, oktmo: str, timezone: str, region: str) -> None:
    municipality = load(slug)
    assert municipality.slug == slug
    assert (municipality.oktmo, municipality.timezone, municipality.region) == (oktmo, timezone, region)
    assert municipality.decree.casefold().startswith("постановление администрации")


@pytest.mark.parametrize(
    ("slug", "number"),
    [("sorsk", "17.05.2022 № 219-п"), ("petropavlovskaya", "17.05.2021 № 114"),
     ("kotelnikovo", "01.08.2025 № 530"), ("novodugino", "22.10.2025 № 629")],
)  # fmt: skip
def test_decree_date_and_number(slug: str, number: str) -> None:
    assert number in load(slug).decree


def test_every_canonical_block_has_an_owner_everywhere(municipality: Municipality) -> None:
    centre = municipality.settlements[0].name
    for settlement in municipality.settlements:
        for block in blocks():
            found = owners(municipality, block, settlement.name)
            assert len(found) == 1, (municipality.slug, block, settlement.name, found)
    assert municipality.settlement(centre) is municipality.settlements[0]


# What each decree's composition says, in the canonical blocks: (block, settlement) → department id.
DECREE_ROUTES: dict[str, list[tuple[str, str, str]]] = {
    "kingisepp": [
        ("Государственная собственность", "Кингисепп", "kumi"),  # «Имущество», «Земельные отношения»
        ("Торговля", "Кингисепп", "economy"),  # «Торговля», «Потребительский рынок»
        ("Экономика и бизнес", "Кингисепп", "economy"),  # «Малый бизнес», «Сельское хозяйство»
        ("Строительство и архитектура", "Кингисепп", "architecture"),
        ("Культура", "Кингисепп", "culture-sport"),
        ("Физическая культура и спорт", "Кингисепп", "culture-sport"),
        ("ЖКХ", "Кингисепп", "zhkh"),
        ("Мусор/Свалки/ТКО", "Кингисепп", "zhkh"),
        ("Дороги", "Кингисепп", "zhkh"),
        ("Общественный транспорт", "Кингисепп", "zhkh"),
        ("Экология", "Кингисепп", "zhkh"),
        ("Электроснабжение", "Кингисепп", "zhkh"),
        ("Газ и топливо", "Кингисепп", "zhkh"),
        ("Благоустройство", "Кингисепп", "zhkh"),
        ("Благоустройство", "Ивангород", "ivangorod"),
        ("Образование", "Усть-Луга", "education"),
        ("Безопасность", "Ивангород", "security"),
    ],
    "kotelnikovo": [
        ("Образование", "Котельниково", "education"),
        ("Социальное обслуживание и защита", "Котельниково", "social"),
        ("ЖКХ", "Котельниково", "zhkh"),
        ("Мусор/Свалки/ТКО", "Нагавская", "tko"),
        ("Электроснабжение", "Котельниково", "energy"),
        ("Газ и топливо", "Генераловский", "energy"),
        ("Дороги", "Котельниково", "kotelnikovo-gp"),  # п. 10: работники городского поселения
        ("Общественный транспорт", "Котельниково", "kotelnikovo-gp"),
        ("Дороги", "Нагавская", "orgotdel"),
    ],
}


@pytest.mark.parametrize(
    ("slug", "block", "settlement", "department"),
    [(slug, *route) for slug, routes in DECREE_ROUTES.items() for route in routes],
)
def test_blocks_go_to_the_department_the_decree_names(
    slug: str, block: str, settlement: str, department: str
) -> None:
    assert owners(load(slug), block, settlement) == [department]


def test_members_are_listed_as_in_the_decrees() -> None:
    def roles(slug: str) -> list[Role]:
        return [member.role for member in load(slug).members]

    assert roles("kingisepp").count(Role.CURATOR) == 4
    assert roles("kingisepp").count(Role.BLOCK_OWNER) == 9
    assert roles("sorsk").count(Role.CURATOR) == roles("sorsk").count(Role.HEAD) == 1
    assert Role.ADMINISTRATOR in roles("petropavlovskaya")
    assert roles("kotelnikovo").count(Role.BLOCK_OWNER) == 5
    assert {Role.POS, Role.ANALYST, Role.GOSPABLIKI} <= set(roles("novodugino"))
    head = next(m for m in load("novodugino").members if m.role is Role.HEAD)
    assert head.position.startswith("Глава муниципального образования")


def test_members_are_positions_and_block_owners_head_their_department(municipality: Municipality) -> None:
    roles = {member.role for member in municipality.members}
    assert {Role.CURATOR, Role.HEAD} <= roles
    for member in municipality.members:
        assert member.position[0].isupper()
        if member.role is Role.BLOCK_OWNER:
            assert member.department is not None
            department: Department = municipality.department(member.department)
            assert department.head == member.position
            assert department.blocks or department.id == "kmsu"  # Kingisepp's open-sources block


def test_official_pages_point_at_official_sources(municipality: Municipality) -> None:
    assert municipality.official_pages
    for page in municipality.official_pages:
        assert municipality.source(page.source).official, page.source
    assert {municipality.source(p.source).platform for p in municipality.official_pages} == {
        SourceKind.VK_WALL.platform,
        SourceKind.OK_GROUP.platform,
        SourceKind.TG_CHANNEL.platform,
    }


def test_each_information_field_has_a_keyword_and_a_geo_search_at_the_centre(
    municipality: Municipality,
) -> None:
    searches = [s for s in municipality.sources if s.kind is SourceKind.VK_SEARCH and s.enabled]
    assert any(s.query for s in searches)
    geo = [s.geo for s in searches if s.geo is not None]
    assert len(geo) == 1
    assert (geo[0].lat, geo[0].lon) == (municipality.center.lat, municipality.center.lon)
    assert {s.kind for s in municipality.sources} >= {SourceKind.VK_WALL, SourceKind.OK_GROUP}


def test_recipients_include_the_curator_and_the_head(municipality: Municipality) -> None:
    positions = {recipient.position for recipient in municipality.recipients}
    for role in (Role.CURATOR, Role.HEAD):
        assert any(m.position in positions for m in municipality.members if m.role is role), role


def test_addresses_use_the_example_domain_only(municipality: Municipality) -> None:
    emails = [r.email for r in municipality.recipients] + [d.email for d in municipality.departments]
    assert all(email.endswith("@example.org") for email in emails if email)
    assert any(emails)


def test_settlements_lie_near_the_centre(municipality: Municipality) -> None:
    for settlement in municipality.settlements:
        assert settlement.point is not None, settlement.name
        km = _distance_km(municipality.center, settlement.point)
        assert km < 60, (settlement.name, round(km))


def test_inflected_forms_find_their_settlement() -> None:
    kingisepp = load("kingisepp")
    assert kingisepp.settlement("Кингисеппе") is kingisepp.settlement("Кингисепп")
    assert kingisepp.settlement("ИВАНГОРОДЕ") is kingisepp.settlement("Ивангород")
    assert kingisepp.settlement("Куземкино") is kingisepp.settlement("Кузёмкино")
    assert kingisepp.settlement("Нарва") is None
    assert "проспект Карла Маркса" in kingisepp.settlements[0].streets


KINGISEPP_DEMO = [
    Source(id="vk-adm-kingisepp", kind=SourceKind.VK_WALL, target="-100001",
           title="Администрация Кингисеппского района", official=True),
    Source(id="vk-kingisepp-online", kind=SourceKind.VK_WALL, target="-100002", title="Кингисепп Онлайн"),
    Source(id="vk-podslushano-kingisepp", kind=SourceKind.VK_WALL, target="-100003",
           title="Подслушано Кингисепп"),
    Source(id="vk-ivangorod", kind=SourceKind.VK_WALL, target="-100004", title="Ивангород — наш город",
           settlement="Ивангород"),
    Source(id="vk-search-kingisepp", kind=SourceKind.VK_SEARCH, query="Кингисепп",
           title="Поиск ВКонтакте: Кингисепп"),
]  # fmt: skip


@pytest.mark.parametrize("expected", KINGISEPP_DEMO, ids=lambda source: source.id)
def test_kingisepp_has_the_demo_sources(expected: Source) -> None:
    assert load("kingisepp").source(expected.id) == expected


def test_kingisepp_geo_search_and_fictional_sources_are_marked() -> None:
    kingisepp = load("kingisepp")
    assert kingisepp.source("vk-geo-kingisepp").geo == GeoArea(lat=59.3740435, lon=28.6112444, radius_m=15000)
    text = resources.files("infopole.municipalities").joinpath("kingisepp.yaml").read_text("utf-8")
    assert "# пример: замените на id реальных сообществ" in text
    demo_ids = {source.id for source in KINGISEPP_DEMO}
    assert all(not s.enabled for s in kingisepp.sources if s.target and s.id not in demo_ids)


def _distance_km(a: Point, b: Point) -> float:
    """Great-circle distance (haversine)."""
    dlat, dlon = math.radians(b.lat - a.lat), math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(math.radians(a.lat)) * math.cos(math.radians(b.lat)) * (
        math.sin(dlon / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))
