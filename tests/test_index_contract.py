"""One contract for every search backend: the same corpus, queries, hits, counts and facets.

The corpus is ~30 realistic posts of a Leningrad-oblast district (Кингисепп, Ивангород,
Усть-Луга) with hand-written analyses, so expected results are read off the table below,
not computed by the code under test. The clock is fixed at 2026-11-24 12:00 Moscow time;
posts near midnight check that days are the municipality's, not UTC's.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from index.base import SearchIndex, SearchRequest, Sort
from index.document import IndexDocument, build_document
from infopole.domain.analysis import Address, Analysis, Entity
from infopole.domain.post import Metrics, Platform, Post, PostKind

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=MSK)

KNG, IVG, UL = "Кингисепп", "Ивангород", "Усть-Луга"
ZHKH, ROADS, TKO, POWER = "ЖКХ", "Дороги", "Мусор/Свалки/ТКО", "Электроснабжение"
MED, EDU = "Здравоохранение/Медицина", "Образование"
DEPARTMENT = {ZHKH: "zhkh", ROADS: "roads", TKO: "zhkh", POWER: "energy", MED: "health", EDU: "education"}
UK, VODOKANAL, HOSPITAL, HEAD = (
    "УК Жилсервис",
    "Водоканал",
    "Кингисеппская межрайонная больница",
    "Иван Иванов",
)
SOURCES = {
    Platform.VK: ("-100", "vk-kingisepp-online"),
    Platform.TELEGRAM: ("kingisepp_news", "tg-kingisepp-news"),
    Platform.OK: ("555", "ok-ust-luga"),
}


@dataclass(frozen=True)
class Row:
    n: int
    platform: Platform
    when: tuple[int, int, int, int, int]  # local (Moscow) y, m, d, h, min
    text: str
    blocks: tuple[str, ...]
    sentiment: str
    risk: float
    views: int
    settlement: str | None
    incident: bool = False
    entities: tuple[str, ...] = ()
    street: str | None = None
    parent: int | None = None
    deleted: bool = False


V, T, OK = Platform.VK, Platform.TELEGRAM, Platform.OK
NEG, POS, NEU = "negative", "positive", "neutral"
ROWS = [
    Row(
        1,
        V,
        (2026, 11, 24, 8, 0),
        "Третий день нет горячей воды на улице Ленина, дом 5. Управляющая компания не отвечает!",
        (ZHKH,),
        NEG,
        0.8,
        1500,
        KNG,
        True,
        (UK,),
        "улица Ленина",
    ),
    Row(
        2,
        V,
        (2026, 11, 23, 19, 0),
        "Когда дадут горячую воду? Вода из крана ржавая.",
        (ZHKH,),
        NEG,
        0.6,
        300,
        KNG,
        True,
    ),
    Row(
        3,
        T,
        (2026, 11, 22, 10, 0),
        "Отключение воды в Ивангороде 25 ноября с 9 до 17 часов, плановые работы водоканала.",
        (ZHKH,),
        NEU,
        0.1,
        2000,
        IVG,
        False,
        (VODOKANAL,),
    ),
    Row(
        4,
        OK,
        (2026, 11, 21, 15, 0),
        "Дорогу на Крикковское шоссе так и не отремонтировали, ямы огромные",
        (ROADS,),
        NEG,
        0.7,
        800,
        KNG,
        True,
    ),
    Row(
        5,
        V,
        (2026, 11, 20, 12, 0),
        "Спасибо дорожникам за новый асфальт во дворе!",
        (ROADS,),
        POS,
        0.05,
        120,
        IVG,
    ),
    Row(
        6,
        V,
        (2026, 11, 20, 12, 0),
        "Асфальт положили прямо в лужи, через месяц развалится",
        (ROADS,),
        NEG,
        0.3,
        40,
        IVG,
        parent=5,
    ),
    Row(
        7,
        T,
        (2026, 11, 19, 9, 0),
        "Мусор не вывозят уже неделю, контейнеры переполнены",
        (TKO,),
        NEG,
        0.75,
        900,
        UL,
        True,
    ),
    Row(
        8,
        V,
        (2026, 11, 18, 18, 0),
        "Свалка у реки Луга горит, дым по всему посёлку",
        (TKO, "Экология"),
        NEG,
        0.95,
        5000,
        UL,
        True,
    ),
    Row(9, OK, (2026, 11, 17, 10, 0), "В школе №3 прошёл концерт ко Дню матери", (EDU,), POS, 0.0, 150, KNG),
    Row(
        10,
        V,
        (2026, 11, 16, 11, 0),
        "В поликлинике очередь к терапевту на две недели вперёд",
        (MED,),
        NEG,
        0.65,
        700,
        KNG,
        True,
        (HOSPITAL,),
    ),
    Row(
        11,
        T,
        (2026, 11, 15, 9, 0),
        "Свет отключили во всём микрорайоне, электричества нет с утра",
        (POWER,),
        NEG,
        0.7,
        1200,
        IVG,
        True,
    ),
    Row(12, V, (2026, 11, 14, 20, 0), "Столб упал на провода, света нет", (POWER,), NEG, 0.5, 600, UL, True),
    Row(
        13,
        V,
        (2026, 11, 13, 8, 0),
        "Автобус номер 2 опять не пришёл, ждали сорок минут на морозе",
        ("Общественный транспорт",),
        NEG,
        0.55,
        500,
        KNG,
        True,
    ),
    Row(
        14,
        OK,
        (2026, 11, 12, 19, 0),
        "Горячая вода есть, но батареи холодные",
        (ZHKH,),
        NEG,
        0.5,
        90,
        IVG,
        True,
    ),
    Row(
        15,
        V,
        (2026, 11, 11, 16, 0),
        "Глава района провёл приём граждан",
        (),
        NEU,
        0.0,
        350,
        KNG,
        False,
        (HEAD,),
    ),
    Row(
        16,
        T,
        (2026, 11, 10, 12, 0),
        "Водоканал сообщает: качество воды соответствует нормам",
        (ZHKH,),
        NEU,
        0.1,
        400,
        KNG,
        False,
        (VODOKANAL,),
    ),
    Row(
        17,
        V,
        (2026, 11, 9, 13, 0),
        "Детский сад на улице Ленина закрыли на карантин",
        (EDU,),
        NEG,
        0.4,
        800,
        KNG,
    ),
    Row(
        18, V, (2026, 11, 5, 23, 0), "Мост через Лугу закрыт на ремонт до весны", (ROADS,), NEU, 0.3, 950, KNG
    ),
    Row(
        19,
        OK,
        (2026, 11, 1, 1, 30),
        "Ночью прорвало трубу отопления в подвале",
        (ZHKH,),
        NEG,
        0.6,
        60,
        UL,
        True,
    ),
    Row(20, OK, (2026, 10, 31, 23, 30), "Фонари на набережной не горят", (POWER,), NEG, 0.35, 70, IVG),
    Row(
        21,
        V,
        (2026, 10, 20, 14, 0),
        "Открыли новый спортивный зал",
        ("Физическая культура и спорт",),
        POS,
        0.0,
        300,
        KNG,
    ),
    Row(22, T, (2026, 10, 15, 14, 0), "Цены в магазинах растут", ("Торговля",), NEG, 0.2, 250, None),
    Row(
        23,
        V,
        (2026, 11, 24, 10, 30),
        "Вода в кране снова ржавая, дети не могут мыться",
        (ZHKH,),
        NEG,
        0.72,
        2500,
        KNG,
        True,
    ),
    Row(
        24,
        V,
        (2026, 11, 23, 23, 30),
        "Скорая ехала час, бабушке стало плохо",
        (MED,),
        NEG,
        0.9,
        4000,
        IVG,
        True,
        (HOSPITAL,),
    ),
    Row(
        25,
        T,
        (2026, 11, 24, 0, 30),
        "Ночью во дворе шумела компания, полиция не приехала",
        ("Безопасность",),
        NEG,
        0.4,
        300,
        KNG,
    ),
    Row(
        26,
        V,
        (2026, 11, 22, 21, 0),
        "Горячей воды нет и у нас на Октябрьской",
        (ZHKH,),
        NEG,
        0.55,
        30,
        KNG,
        True,
        (UK,),
        "Октябрьская улица",
        parent=1,
    ),
    Row(
        27,
        OK,
        (2026, 11, 8, 17, 0),
        "Хор ветеранов выступил в доме культуры",
        ("Культура",),
        POS,
        0.0,
        100,
        UL,
    ),
    Row(
        28,
        V,
        (2026, 11, 7, 12, 0),
        "Газ подключили к новым домам на улице Садовой",
        ("Газ и топливо",),
        POS,
        0.05,
        200,
        IVG,
    ),
    Row(
        29,
        T,
        (2026, 11, 6, 15, 0),
        "Кто-то сломал детскую площадку",
        ("Благоустройство",),
        NEG,
        0.3,
        180,
        KNG,
    ),
    Row(
        30,
        V,
        (2026, 11, 3, 9, 0),
        "Воду дадут только завтра, говорят в управляющей компании",
        (ZHKH,),
        NEG,
        0.45,
        650,
        KNG,
        True,
        (UK,),
    ),
    Row(
        31,
        V,
        (2026, 11, 21, 9, 0),
        "Администрация ворует, вода не течёт",
        (ZHKH,),
        NEG,
        0.85,
        3000,
        KNG,
        deleted=True,
    ),
]
BY_N = {row.n: row for row in ROWS}
LIVE = [row for row in ROWS if not row.deleted]


def key(n: int) -> str:
    row = BY_N[n]
    return f"{row.platform.value}:{SOURCES[row.platform][0]}:{n}"


def keys(*numbers: int) -> set[str]:
    return {key(n) for n in numbers}


def local(row: Row) -> datetime:
    return datetime(*row.when, tzinfo=MSK)


def make_pair(row: Row) -> tuple[Post, Analysis]:
    owner, source = SOURCES[row.platform]
    post = Post(
        platform=row.platform,
        owner_id=owner,
        post_id=str(row.n),
        text=row.text,
        published_at=local(row),
        kind=PostKind.COMMENT if row.parent else PostKind.POST,
        source_id=source,
        url=f"https://example.org/{row.platform.value}/{row.n}",
        author_id=f"{row.platform.value}-author{row.n % 4}",
        parent_key=key(row.parent) if row.parent else None,
        is_deleted=row.deleted,
        metrics=Metrics(views=row.views, likes=row.views // 100),
    )
    analysis = Analysis(
        post_key=post.key,
        model_id="test-model",
        block=row.blocks[0] if row.blocks else None,
        blocks=row.blocks,
        block_scores={block: 0.9 for block in row.blocks},
        sentiment=row.sentiment,
        is_incident=row.incident,
        incident_score=0.9 if row.incident else 0.1,
        risk_score=row.risk,
        toxicity=0.1,
        entities=tuple(Entity("ORG", name, name, 0, len(name)) for name in row.entities),
        addresses=(Address(text=row.street, settlement=row.settlement, street=row.street),)
        if row.street
        else (),
        settlement=row.settlement,
    )
    return post, analysis


@cache
def corpus() -> tuple[IndexDocument, ...]:
    documents = []
    for row in ROWS:
        post, analysis = make_pair(row)
        documents.append(
            build_document(post, analysis, department=DEPARTMENT.get(row.blocks[0]) if row.blocks else None)
        )
    return tuple(documents)


# ---------------------------------------------------------------- backends


def _embedded(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[SearchIndex]:
    from index.embedded import EmbeddedIndex

    index = EmbeddedIndex(tmp_path / "index.sqlite3", tz=MSK, clock=lambda: NOW)
    yield index
    index.close()


def _elasticsearch(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[SearchIndex]:
    """A fresh alias on the real node; the node missing is a failure, never a skip."""
    from elasticsearch import ConnectionError, Elasticsearch

    from index.es import ElasticsearchIndex

    url = request.getfixturevalue("elasticsearch_url")  # the node from scripts/elasticsearch.sh
    client = Elasticsearch(url, request_timeout=30)
    try:
        client.cluster.health(timeout="5s")
    except ConnectionError as error:
        pytest.fail(f"no Elasticsearch at {url} ({error}): start it with scripts/elasticsearch.sh start")
    index = ElasticsearchIndex(
        client,
        prefix=f"test-{uuid.uuid4().hex[:10]}",
        municipality_slug="kingisepp",
        tz=MSK,
        clock=lambda: NOW,
    )
    index.ensure()
    yield index
    index.drop()
    index.close()


BACKENDS: dict[str, Callable[..., Iterator[SearchIndex]]] = {
    "embedded": _embedded,
    "elasticsearch": _elasticsearch,
}


@pytest.fixture(params=sorted(BACKENDS))
def empty_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    yield from BACKENDS[request.param](tmp_path, request)


@pytest.fixture
def index(empty_index: SearchIndex) -> SearchIndex:
    report = empty_index.upsert(corpus())
    assert report.ok == len(ROWS) and not report.failed
    return empty_index


def ids(index: SearchIndex, query: str, size: int = 100) -> set[str]:
    page = index.search(SearchRequest(query, size=size))
    assert page.total == len(page.hits), "size is large enough to see every hit"
    return {hit.document.id for hit in page.hits}


def ordered(index: SearchIndex, query: str, sort: Sort, size: int = 100) -> list[str]:
    return [hit.document.id for hit in index.search(SearchRequest(query, sort=sort, size=size)).hits]


# ---------------------------------------------------------------- text search


def test_words_match_any_form_through_lemmas(index: SearchIndex) -> None:
    expected = keys(1, 2, 3, 14, 16, 23, 26, 30)  # воды, воду, вода; not «водоканал», not the deleted 31
    assert ids(index, "воды") == expected
    assert ids(index, "вода") == expected
    assert ids(index, "ВОДОЙ") == expected


def test_implicit_and_of_words(index: SearchIndex) -> None:
    assert ids(index, "горячая вода") == keys(1, 2, 14, 26)
    assert ids(index, "ржавая вода") == keys(2, 23)


def test_phrase_matches_exact_consecutive_words(index: SearchIndex) -> None:
    assert ids(index, '"горячей воды"') == keys(1, 26)
    assert ids(index, "«горячая вода»") == keys(14)
    assert ids(index, '"воды горячей"') == set()


def test_hyphenated_word_is_one_token(index: SearchIndex) -> None:
    assert ids(index, "кто-то") == keys(29)
    assert ids(index, '"кто-то сломал"') == keys(29)


def test_boolean_logic(index: SearchIndex) -> None:
    assert ids(index, "свет OR электричество") == keys(11, 12)
    assert ids(index, "(свет OR электричество) NOT столб") == keys(11)
    assert ids(index, "(свет ИЛИ электричество) -столб") == keys(11)
    assert ids(index, "вода AND ржавый") == keys(2, 23)
    assert ids(index, "асфальт NOT (лужа OR спасибо)") == set()
    assert ids(index, "асфальт NOT лужа") == keys(5)


def test_negation_alone_means_everything_else(index: SearchIndex) -> None:
    assert ids(index, "NOT вода") == {key(row.n) for row in LIVE} - keys(1, 2, 3, 14, 16, 23, 26, 30)


# ---------------------------------------------------------------- filters


def test_keyword_filters(index: SearchIndex) -> None:
    assert ids(index, "block:ЖКХ") == keys(1, 2, 3, 14, 16, 19, 23, 26, 30)
    assert ids(index, "block:жкх") == ids(index, "блок:ЖКХ")
    assert ids(index, "block:ТКО") == keys(7, 8)  # a part of «Мусор/Свалки/ТКО»
    assert ids(index, 'block:"Мусор/Свалки/ТКО"') == keys(7, 8)
    assert ids(index, "block:Экология") == keys(8)  # second block counts too
    assert ids(index, "topblock:Экология") == set()
    assert ids(index, "platform:ok") == keys(4, 9, 14, 19, 20, 27)
    assert ids(index, "platform:ок") == keys(4, 9, 14, 19, 20, 27)
    assert ids(index, "source:tg-kingisepp-news") == keys(3, 7, 11, 16, 22, 25, 29)
    assert ids(index, 'settlement:"Усть-Луга"') == keys(7, 8, 12, 19, 27)
    assert ids(index, "settlement:ивангород") == keys(3, 5, 6, 11, 14, 20, 24, 28)
    assert ids(index, 'street:"улица Ленина"') == keys(1)
    assert ids(index, "kind:comment") == keys(6, 26)
    assert ids(index, 'entity:"УК Жилсервис"') == keys(1, 26, 30)
    assert ids(index, "department:energy") == keys(11, 12, 20)


def test_sentiment_and_incident_filters(index: SearchIndex) -> None:
    positive = keys(5, 9, 21, 27, 28)
    neutral = keys(3, 15, 16, 18)
    assert ids(index, "sentiment:positive") == positive
    assert ids(index, "sentiment:позитив") == positive
    assert ids(index, "sentiment:neutral") == neutral
    assert ids(index, "sentiment:negative") == {key(row.n) for row in LIVE} - positive - neutral
    assert ids(index, "incident:true") == {key(row.n) for row in LIVE if row.incident}
    assert ids(index, "incident:false block:ЖКХ") == keys(3, 16)


def test_numeric_comparisons(index: SearchIndex) -> None:
    assert ids(index, "risk>0.7") == keys(1, 7, 8, 23, 24)
    assert ids(index, "risk>=0.7") == keys(1, 4, 7, 8, 11, 23, 24)
    assert ids(index, "risk<0.05") == keys(9, 15, 21, 27)
    assert ids(index, "risk<=0.05") == keys(5, 9, 15, 21, 27, 28)
    assert ids(index, "risk:0.7..0.75") == keys(4, 7, 11, 23)
    assert ids(index, "reach>1000") == keys(1, 3, 8, 11, 23, 24)
    assert ids(index, "reach>1000 risk<0.5") == keys(3)


def test_date_ranges_use_the_municipality_day(index: SearchIndex) -> None:
    # 19 is 01:30 on 1 November in Moscow (still 31 October in UTC); 20 is 23:30 on 31 October
    assert ids(index, "date:2026-11-01..2026-11-05") == keys(18, 19, 30)
    assert ids(index, "date:2026-11-01") == keys(19)
    assert ids(index, "date:..2026-10-31") == keys(20, 21, 22)
    assert ids(index, "date>=2026-11-23") == keys(1, 2, 23, 24, 25)
    assert ids(index, "date<2026-10-20") == keys(22)


def test_relative_dates_follow_the_injected_clock(index: SearchIndex) -> None:
    assert ids(index, "date:today") == keys(1, 23, 25)  # 25 is 00:30 Moscow = 21:30 UTC the day before
    assert ids(index, "date:yesterday") == keys(2, 24)
    # seven days back from 24 Nov 12:00 is 17 Nov 12:00: post 9 (17 Nov 10:00) falls just outside
    assert ids(index, "date:-7d") == keys(1, 2, 3, 4, 5, 6, 7, 8, 23, 24, 25, 26)
    assert ids(index, "date:-4h") == keys(1, 23)
    assert ids(index, "date:-7d block:ЖКХ sentiment:negative") == keys(1, 2, 23, 26)


# ---------------------------------------------------------------- sorting and paging


def newest_first(rows: list[Row]) -> list[str]:
    return [key(row.n) for row in sorted(rows, key=lambda row: (local(row), key(row.n)), reverse=True)]


def test_sort_by_time_newest_first(index: SearchIndex) -> None:
    assert ordered(index, "block:ЖКХ", Sort.TIME) == [key(n) for n in (23, 1, 2, 26, 3, 14, 16, 30, 19)]


def test_sort_by_risk_and_reach(index: SearchIndex) -> None:
    assert ordered(index, "block:ЖКХ", Sort.RISK) == [key(n) for n in (1, 23, 2, 19, 26, 14, 30, 3, 16)]
    assert ordered(index, "reach>=900", Sort.REACH) == [key(n) for n in (8, 24, 23, 3, 1, 11, 18, 7)]


def test_sort_by_relevance_prefers_more_matches(index: SearchIndex) -> None:
    hits = index.search(SearchRequest("вода", sort=Sort.RELEVANCE, size=3)).hits
    assert hits[0].document.id == key(2)  # «воду» and «Вода» in a short post
    assert hits[0].score is not None and hits[0].score > 0
    scores = [hit.score or 0.0 for hit in index.search(SearchRequest("вода", sort=Sort.RELEVANCE)).hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("sort", list(Sort))
@pytest.mark.parametrize("size", [1, 4, 7])
def test_search_after_pages_without_duplicates_or_gaps(index: SearchIndex, sort: Sort, size: int) -> None:
    query = "NOT kind:comment"  # risk and reach have ties (0.0, equal times) that only the id breaks
    everything = ordered(index, query, sort)
    assert len(everything) == len(LIVE) - 2
    seen: list[str] = []
    after = None
    for _ in range(100):
        page = index.search(SearchRequest(query, sort=sort, size=size, search_after=after))
        assert page.total == len(everything)
        if not page.hits:
            break
        assert len(page.hits) <= size
        seen.extend(hit.document.id for hit in page.hits)
        after = page.next_after
    assert seen == everything


def test_time_order_of_everything(index: SearchIndex) -> None:
    assert ordered(index, "", Sort.TIME) == newest_first(LIVE)


# ---------------------------------------------------------------- highlights


def test_highlights_mark_the_residents_words(index: SearchIndex) -> None:
    (hit,) = index.search(SearchRequest("ржавая вода date:yesterday")).hits
    (snippet,) = hit.snippets
    assert snippet.matched == ("воду", "Вода", "ржавая")
    assert (
        snippet.marked()
        == "Когда дадут горячую <mark>воду</mark>? <mark>Вода</mark> из крана <mark>ржавая</mark>."
    )


def test_highlights_phrases_not_negated_words(index: SearchIndex) -> None:
    page = index.search(SearchRequest('"горячей воды" NOT управляющая'))
    (hit,) = page.hits
    assert hit.document.id == key(26)
    assert hit.snippets[0].matched == ("Горячей", "воды")


# ---------------------------------------------------------------- writes


def test_upsert_is_idempotent(index: SearchIndex) -> None:
    before = index.aggregate("")
    report = index.upsert(corpus())
    assert report.ok == len(ROWS) and report.failed_ids == ()
    assert index.count("") == len(LIVE)
    assert index.aggregate("") == before
    assert ids(index, "вода") == keys(1, 2, 3, 14, 16, 23, 26, 30)


def test_edit_replaces_text_and_facets(index: SearchIndex) -> None:
    old = next(doc for doc in corpus() if doc.id == key(29))
    edited = replace(old, text="Кто-то сломал качели", lemmas="кто-то сломать качели", settlement=IVG)
    assert index.upsert([edited]).ok == 1
    assert ids(index, "площадка") == set()
    assert ids(index, "качели") == keys(29)
    assert key(29) in ids(index, "settlement:Ивангород")
    assert key(29) not in ids(index, "settlement:Кингисепп")
    assert index.count("") == len(LIVE)
    stored = index.get(key(29))
    assert stored is not None and stored.text == "Кто-то сломал качели"


def test_deleted_posts_are_marked_and_excluded(index: SearchIndex) -> None:
    assert key(31) not in ids(index, "вода")  # deleted on the platform before the crawl
    assert index.mark_deleted([key(13), "vk:-100:404"]) == 1
    assert index.mark_deleted([key(13)]) == 0
    assert ids(index, "автобус") == set()
    assert index.count("") == len(LIVE) - 1
    assert index.count('block:"Общественный транспорт"') == 0
    assert all(bucket.key != "Общественный транспорт" for bucket in index.aggregate("").blocks)
    stored = index.get(key(13))
    assert stored is not None and stored.is_deleted


def test_failed_documents_are_reported_not_dropped(empty_index: SearchIndex) -> None:
    good = corpus()[0]
    bad = replace(corpus()[1], published_at="not a date")  # type: ignore[arg-type]
    report = empty_index.upsert([good, bad])
    assert report.ok == 1
    assert report.failed_ids == (bad.id,)
    assert empty_index.count("") == 1


# ---------------------------------------------------------------- aggregations


def test_term_facets(index: SearchIndex) -> None:
    facets = index.aggregate("", size=3)
    assert facets.total == len(LIVE)
    assert [(b.key, b.count) for b in facets.blocks] == [(ZHKH, 9), (ROADS, 4), (POWER, 3)]
    assert [(b.key, b.count) for b in facets.settlements] == [(KNG, 16), (IVG, 8), (UL, 5)]
    assert [(b.key, b.count) for b in facets.platforms] == [("vk", 17), ("telegram", 7), ("ok", 6)]
    assert [(b.key, b.count) for b in facets.sentiments] == [(NEG, 21), (POS, 5), (NEU, 4)]
    assert [(b.key, b.count) for b in facets.entities] == [(UK, 3), (VODOKANAL, 2), (HOSPITAL, 2)]
    assert (facets.sources[0].key, facets.sources[0].count) == ("vk-kingisepp-online", 17)


def test_facets_follow_the_query(index: SearchIndex) -> None:
    facets = index.aggregate("вода")
    assert facets.total == 8
    assert [(b.key, b.count) for b in facets.blocks] == [(ZHKH, 8)]
    assert [(b.key, b.count) for b in facets.sentiments] == [(NEG, 6), (NEU, 2)]


def test_day_histogram_in_local_days_with_gaps(index: SearchIndex) -> None:
    facets = index.aggregate("date:2026-10-31..2026-11-05")
    assert [(b.key, b.count) for b in facets.days] == [
        ("2026-10-31", 1),
        ("2026-11-01", 1),
        ("2026-11-02", 0),
        ("2026-11-03", 1),
        ("2026-11-04", 0),
        ("2026-11-05", 1),
    ]


def test_heat_map_block_by_settlement(index: SearchIndex) -> None:
    facets = index.aggregate("")
    zhkh_kng = facets.cell(ZHKH, KNG)
    assert zhkh_kng is not None
    assert (zhkh_kng.count, zhkh_kng.negative) == (6, 5)  # 1, 2, 16, 23, 26, 30; 16 is neutral
    assert zhkh_kng.negative_share == pytest.approx(5 / 6)
    zhkh_ivg = facets.cell(ZHKH, IVG)
    assert zhkh_ivg is not None and (zhkh_ivg.count, zhkh_ivg.negative) == (2, 1)
    assert facets.cell(ROADS, UL) is None
    # the whole matrix, against the table
    expected: dict[tuple[str, str], list[int]] = {}
    for row in LIVE:
        for block in row.blocks:
            if row.settlement:
                cell = expected.setdefault((block, row.settlement), [0, 0])
                cell[0] += 1
                cell[1] += row.sentiment == NEG
    assert {(c.row, c.column): [c.count, c.negative] for c in facets.heat_settlement} == expected


def test_heat_map_block_by_department(index: SearchIndex) -> None:
    cells = {
        (c.row, c.column): (c.count, c.negative)
        for c in index.aggregate("sentiment:negative").heat_department
    }
    assert cells[(ZHKH, "zhkh")] == (7, 7)
    assert cells[(TKO, "zhkh")] == (2, 2)
    assert cells[("Экология", "zhkh")] == (1, 1)  # post 8: its department follows the top block
    assert (ROADS, "roads") in cells and cells[(ROADS, "roads")] == (2, 2)


def test_count_matches_search_total(index: SearchIndex) -> None:
    for query in ("", "вода", "block:ЖКХ OR block:Дороги", "date:-7d -sentiment:negative"):
        assert index.count(query) == index.search(SearchRequest(query, size=1)).total


def test_relative_query_uses_index_clock_at_search_time() -> None:
    # the AST carries absolute instants: parsing with another clock gives another range
    from index.query import DateRange, parse_query

    later = parse_query("date:-7d", now=NOW + timedelta(days=1), tz=MSK)
    assert isinstance(later, DateRange)
    assert later.start == (NOW - timedelta(days=6)).astimezone(UTC)


# ---------------------------------------------------------------- trend vs the previous period

WEEK_START, WEEK_END = datetime(2026, 11, 17, tzinfo=MSK), datetime(2026, 11, 24, tzinfo=MSK)


def expected_trend(field: str, start: datetime, end: datetime) -> dict[str, tuple[int, int, int, int]]:
    previous_start = start - (end - start)
    counts: dict[str, list[int]] = {}
    for row in LIVE:
        when = local(row)
        if not previous_start <= when < end:
            continue
        values = row.blocks if field == "blocks" else ((row.settlement,) if row.settlement else ())
        offset = 0 if when >= start else 2
        for value in values:
            cell = counts.setdefault(value, [0, 0, 0, 0])
            cell[offset] += 1
            cell[offset + 1] += row.sentiment == NEG
    return {value: (c[0], c[1], c[2], c[3]) for value, c in counts.items()}


def test_trend_against_the_previous_week(index: SearchIndex) -> None:
    trend = index.trend("", start=WEEK_START, end=WEEK_END, size=100)
    assert trend.previous_start == datetime(2026, 11, 10, tzinfo=MSK)
    # ЖКХ: 2, 3, 26 this week (3 neutral); 14, 16 the week before (16 neutral); 1 and 23 are on the 24th
    zhkh = trend.block(ZHKH)
    assert zhkh is not None
    assert (zhkh.count, zhkh.negative, zhkh.previous_count, zhkh.previous_negative) == (3, 2, 2, 1)
    assert zhkh.change == 1 and zhkh.growth == pytest.approx(0.5)
    assert zhkh.negative_share_change == pytest.approx(2 / 3 - 1 / 2)
    assert trend.total == 10  # posts 2-9, 24 and 26; 31 is deleted
    assert trend.previous_total == 7  # posts 10-16
    for field, rows in (("blocks", trend.blocks), ("settlement", trend.settlements)):
        got = {r.key: (r.count, r.negative, r.previous_count, r.previous_negative) for r in rows}
        assert got == expected_trend(field, WEEK_START, WEEK_END)


def test_trend_rows_are_ordered_cut_and_follow_the_query(index: SearchIndex) -> None:
    trend = index.trend("sentiment:negative", start=WEEK_START, end=WEEK_END, size=2)
    # Кингисепп 2, 4, 26 vs 10, 13; Ивангород 6, 24 vs 11, 14 wins the tie over Усть-Луга 7, 8 vs 12
    assert [(r.key, r.count, r.previous_count) for r in trend.settlements] == [(KNG, 3, 2), (IVG, 2, 2)]
    assert all(r.negative == r.count for r in trend.blocks)
    new_topic = index.trend("block:ТКО", start=WEEK_START, end=WEEK_END).block(TKO)
    assert new_topic is not None and (new_topic.count, new_topic.previous_count) == (2, 0)
    assert new_topic.growth is None
    with pytest.raises(ValueError, match="empty trend period"):
        index.trend("", start=WEEK_END, end=WEEK_START)


# ---------------------------------------------------------------- rebuild without downtime


def test_rebuild_switches_readers_without_downtime(index: SearchIndex) -> None:
    edited = replace(
        next(doc for doc in corpus() if doc.id == key(29)),
        text="Кто-то сломал качели",
        lemmas="кто-то сломать качели",
    )
    late = replace(corpus()[0], id="vk:-100:900", text="Лифт не работает", lemmas="лифт не работать")
    documents = [edited if doc.id == edited.id else doc for doc in corpus()]
    counts: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                counts.append(index.count(""))
            except BaseException as error:  # any failure of a reader is the test's failure
                errors.append(error)
                return

    reader = threading.Thread(target=read)
    reader.start()
    try:
        report = index.rebuild(documents, catch_up=lambda: [late])
    finally:
        done.set()
        reader.join()
    assert errors == []
    assert counts and set(counts) <= {len(LIVE), len(LIVE) + 1}, "never empty, never half-built"
    assert report.ok == len(ROWS) + 1 and not report.failed
    assert index.count("") == len(LIVE) + 1
    assert ids(index, "качели") == keys(29)
    assert ids(index, "площадка") == set()
    assert ids(index, "лифт") == {late.id}
    assert index.aggregate("sentiment:negative").total == index.count("sentiment:negative")
    second = index.rebuild(corpus())
    assert second.ok == len(ROWS)
    assert ids(index, "лифт") == set() and ids(index, "площадка") == keys(29)
