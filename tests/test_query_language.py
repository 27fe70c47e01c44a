"""The analysts' query language: what a query means (AST), where errors point, the ES body it becomes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from index.base import Sort
from index.queries import aggregations_body, mappings, search_body, to_es
from index.query import (
    And,
    Compare,
    DateRange,
    Flag,
    MatchAll,
    Not,
    Or,
    Phrase,
    Query,
    QuerySyntaxError,
    Term,
    Word,
    parse_query,
)

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=MSK)


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def parse(text: str) -> Query:
    return parse_query(text, now=NOW, tz=MSK)


W_VODA = Word("воды", "вода")

CASES: list[tuple[str, Query]] = [
    ("", MatchAll()),
    ("   ", MatchAll()),
    ("воды", W_VODA),
    ("Воды отключили", And((W_VODA, Word("отключили", "отключить")))),
    ("воды AND свет", And((W_VODA, Word("свет", "свет")))),
    ("воды И свет", And((W_VODA, Word("свет", "свет")))),
    ("воды OR свет", Or((W_VODA, Word("свет", "свет")))),
    ("воды ИЛИ свет газ", Or((W_VODA, And((Word("свет", "свет"), Word("газ", "газ")))))),
    ("(воды OR свет) газ", And((Or((W_VODA, Word("свет", "свет"))), Word("газ", "газ")))),
    ("воды NOT свет", And((W_VODA, Not(Word("свет", "свет"))))),
    ("воды -свет", And((W_VODA, Not(Word("свет", "свет"))))),
    ("НЕ НЕ воды", Not(Not(W_VODA))),
    ("вода — свет", And((Word("вода", "вода"), Word("свет", "свет")))),  # a dash alone is not a term
    ("and", Word("and", "and")),  # lower-case operators are words
    ("кто-то", Word("кто-то", "кто-то")),
    ("ул.Ленина", And((Word("ул", "ул"), Word("ленина", "ленин")))),
    ('"Горячей  Воды"', Phrase("Горячей  Воды", ("горячей", "воды"))),
    ("«ёлка во дворе»", Phrase("ёлка во дворе", ("елка", "во", "дворе"))),
    ("block:ЖКХ", Term("blocks", "жкх")),
    ("БЛОК:жкх", Term("blocks", "жкх")),
    ("block:ТКО", Term("blocks", "мусор/свалки/тко")),
    ('block:"Мусор/Свалки/ТКО"', Term("blocks", "мусор/свалки/тко")),
    ("block:Своё", Term("blocks", "свое")),  # a municipality's own block passes through
    ("sentiment:negative", Term("sentiment", "negative")),
    ("sentiment:Негатив", Term("sentiment", "negative")),
    ("platform:ВК", Term("platform", "vk")),
    ("platform:tg", Term("platform", "telegram")),
    ("source:vk-kingisepp-online", Term("source_id", "vk-kingisepp-online")),
    ('settlement:"Усть-Луга"', Term("settlement", "усть-луга")),
    ("incident:true", Flag("is_incident", True)),
    ("incident:нет", Flag("is_incident", False)),
    ("risk>0.7", Compare("risk_score", ">", 0.7)),
    ("risk>=0,7", Compare("risk_score", ">=", 0.7)),
    ("risk<0.2", Compare("risk_score", "<", 0.2)),
    ("reach<=100", Compare("reach", "<=", 100.0)),
    ("reach:100", Compare("reach", "=", 100.0)),
    ("risk:0.5..0.9", And((Compare("risk_score", ">=", 0.5), Compare("risk_score", "<=", 0.9)))),
    ("date:2026-11-01..2026-11-24", DateRange(utc(2026, 10, 31, 21), utc(2026, 11, 24, 21))),
    ("date:2026-11-01", DateRange(utc(2026, 10, 31, 21), utc(2026, 11, 1, 21))),
    ("date:2026-11-01..", DateRange(utc(2026, 10, 31, 21), None)),
    ("date:..2026-11-01", DateRange(None, utc(2026, 11, 1, 21))),
    ("date>2026-11-01", DateRange(utc(2026, 11, 1, 21), None)),
    ("date<2026-11-01", DateRange(None, utc(2026, 10, 31, 21))),
    ("date:today", DateRange(utc(2026, 11, 23, 21), utc(2026, 11, 24, 21))),
    ("дата:вчера", DateRange(utc(2026, 11, 22, 21), utc(2026, 11, 23, 21))),
    ("date:-7d", DateRange(utc(2026, 11, 17, 9), None)),
    ("date:-24h", DateRange(utc(2026, 11, 23, 9), None)),
    ("date:-2w", DateRange(utc(2026, 11, 10, 9), None)),
    (
        '(вода OR "горячей воды") block:ЖКХ -sentiment:positive risk>0.5 date:-7d',
        And(
            (
                Or((Word("вода", "вода"), Phrase("горячей воды", ("горячей", "воды")))),
                Term("blocks", "жкх"),
                Not(Term("sentiment", "positive")),
                Compare("risk_score", ">", 0.5),
                DateRange(utc(2026, 11, 17, 9), None),
            )
        ),
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[case[0] or "empty" for case in CASES])
def test_parse(text: str, expected: Query) -> None:
    assert parse(text) == expected


def test_other_time_zone_moves_the_day() -> None:
    assert parse_query("date:2026-11-01", now=NOW, tz="Asia/Novosibirsk") == DateRange(
        utc(2026, 10, 31, 17), utc(2026, 11, 1, 17)
    )


ERRORS: list[tuple[str, int, str]] = [
    ("(вода OR свет", 0, "не закрыта скобка"),
    ("вода (свет", 5, "не закрыта скобка, открытая в позиции 6"),
    ("вода)", 4, "лишняя закрывающая скобка"),
    ("вода ()", 5, "пустые скобки"),
    ("OR вода", 0, "не хватает условия слева"),
    ("вода OR OR свет", 8, "не хватает условия слева"),
    ("вода AND", 8, "после И (AND) ожидалось условие"),
    ("вода NOT", 8, "после НЕ (NOT) ожидалось условие"),
    ('вода "горячей', 5, "не закрыта кавычка"),
    ('""', 0, "пустая фраза"),
    ("colour:red", 0, "неизвестное поле «colour»"),
    ("вода block:", 11, "после «block:» ожидалось значение"),
    ("block>ЖКХ", 0, "только через «:»"),
    ("risk>высокий", 5, "ожидалось число, а не «высокий»"),
    ("risk:0.5..x", 10, "ожидалось число, а не «x»"),
    ("incident:может", 9, "true или false"),
    ("date:2026-11-31", 5, "ожидалась дата"),
    ("date:2026-11-01..завтра", 17, "ожидалась дата"),
    ("date:2026-11-24..2026-11-01", 5, "конец диапазона дат раньше начала"),
]


@pytest.mark.parametrize(("text", "position", "message"), ERRORS, ids=[case[0] for case in ERRORS])
def test_errors_point_at_the_culprit(text: str, position: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(text)
    error = caught.value
    assert error.position == position
    assert message in error.message
    assert str(error).splitlines() == [
        f"{error.message} (позиция {position + 1})",
        text,
        " " * position + "^",
    ]


def test_naive_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_query("date:today", now=datetime(2026, 11, 24, 12))


# ---------------------------------------------------------------- pinned Elasticsearch bodies


def test_es_body_of_a_typical_analyst_query() -> None:
    query = parse(
        '("горячей воды" OR отключили) block:ЖКХ -sentiment:positive risk>=0.5 date:2026-11-01..2026-11-24'
    )
    assert to_es(query) == {
        "bool": {
            "must": [
                {
                    "bool": {
                        "should": [
                            {"match_phrase": {"words": "горячей воды"}},
                            {"term": {"lemmas": "отключить"}},
                        ],
                        "minimum_should_match": 1,
                    }
                },
                {"term": {"norm.blocks": "жкх"}},
                {"bool": {"must_not": [{"term": {"norm.sentiment": "positive"}}]}},
                {"range": {"risk_score": {"gte": 0.5}}},
                {
                    "range": {
                        "published_at": {
                            "gte": "2026-10-31T21:00:00+00:00",
                            "lt": "2026-11-24T21:00:00+00:00",
                        }
                    }
                },
            ]
        }
    }


def test_es_search_body_with_sort_and_cursor() -> None:
    body = search_body(
        parse("incident:true"), sort=Sort.RISK, size=20, search_after=(0.7, 1763900000000, "vk:-1:2")
    )
    assert body == {
        "query": {
            "bool": {"must": [{"term": {"is_incident": True}}], "filter": [{"term": {"is_deleted": False}}]}
        },
        "sort": [{"risk_score": "desc"}, {"published_at": "desc"}, {"id": "desc"}],
        "size": 20,
        "track_total_hits": True,
        "search_after": [0.7, 1763900000000, "vk:-1:2"],
    }


def test_es_aggregations_body_uses_the_municipality_zone() -> None:
    body = aggregations_body(MatchAll(), size=5, tz=MSK)
    assert body["size"] == 0
    assert body["aggs"]["days"] == {
        "date_histogram": {
            "field": "published_at",
            "calendar_interval": "day",
            "time_zone": "Europe/Moscow",
            "format": "yyyy-MM-dd",
        }
    }
    assert body["aggs"]["blocks"] == {
        "terms": {"field": "blocks", "size": 5, "order": [{"_count": "desc"}, {"_key": "asc"}]}
    }
    heat = body["aggs"]["heat_settlement"]
    assert heat["aggs"]["columns"]["terms"]["field"] == "settlement"
    # the display field has no inverted index: filters go to the normalised copy
    negative = {"negative": {"filter": {"term": {"norm.sentiment": "negative"}}}}
    assert heat["aggs"]["columns"]["aggs"] == negative


def test_es_mapping_indexes_each_keyword_once_for_its_job() -> None:
    properties = mappings()["properties"]
    for field in ("blocks", "settlement", "sentiment", "department", "entities"):
        assert properties[field] == {"type": "keyword", "index": False, "eager_global_ordinals": True}
        assert properties["norm"]["properties"][field] == {"type": "keyword", "doc_values": False}
    assert properties["id"] == {"type": "keyword"}  # sorted on and filtered by
    assert properties["lemmas"]["index_options"] == "freqs"  # phrases run on ``words``, with positions
    assert "index_options" not in properties["words"]
