from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from infopole.domain.analysis import Analysis
from infopole.domain.post import Metrics, Platform, Post, PostKind
from nlp.analyzer import Analyzer, Document
from nlp.jsonl import analyze_stream
from tests.nlp_fixtures import small_municipality

REQUIRED = {
    "id", "block", "blocks", "block_scores", "is_incident", "incident_score", "sentiment", "sentiment_scores",
    "toxicity", "risk_score", "risk_factors", "entities", "addresses", "settlement",
}  # fmt: skip


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.load(small_municipality(), batch_size=2)


def run(analyzer: Analyzer, lines: list[str]) -> tuple[int, list[dict[str, Any]]]:
    out = io.StringIO()
    failed = analyze_stream(lines, out, analyzer)
    return failed, [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_output_line_per_input_in_order_with_errors_in_place(analyzer: Analyzer) -> None:
    lines = [
        json.dumps(
            {"id": 1, "text": "В Красной Пахре на ул. Лесная д. 5 третий день нет горячей воды, УК молчит!"}
        ),
        '{"id": 2, "text": "broken',
        json.dumps(
            {"id": "x3", "title": "Концерт", "text": "Приглашаем всех на концерт в субботу 🎉", "views": 50}
        ),
        json.dumps({"text": "без id"}),
        json.dumps({"id": 5}),
        json.dumps({"id": 6, "text": "The weather is lovely today, isn't it?"}),
        "[1, 2]",
        json.dumps({"id": 8, "text": ""}),
    ]
    failed, records = run(analyzer, lines)
    assert failed == 4
    assert [record.get("id") for record in records] == [1, 2, "x3", None, 5, 6, None, 8]
    errors = {index: record["error"] for index, record in enumerate(records) if "error" in record}
    assert set(errors) == {1, 3, 4, 6}
    assert errors[1].startswith("invalid JSON")
    assert errors[3] == "missing id"
    assert errors[4] == "missing text"
    assert errors[6] == "expected a JSON object"
    for index in (0, 2, 5, 7):
        assert set(records[index]) >= REQUIRED
    first = records[0]
    assert first["is_incident"] is True
    assert first["block"] == "ЖКХ"
    assert first["blocks"][0] == "ЖКХ"
    scores = first["sentiment_scores"]
    assert set(scores) == {"negative", "neutral", "positive"}
    assert first["sentiment"] == max(scores, key=scores.get)
    assert first["settlement"] == "Красная Пахра"
    assert first["addresses"][0]["street"] == "улица Лесная"
    assert first["addresses"][0]["house"] == "5"
    assert {
        "type": "LOC",
        "text": "Красной Пахре",
        "normal": "Красная Пахра",
        "start": 2,
        "stop": 15,
    } in first["entities"]
    assert "нет горячей воды" in first["lemmas"] or "горячий вода" in first["lemmas"]
    assert records[2]["is_incident"] is False
    assert records[5]["language"] == "other" and records[5]["block"] is None
    assert records[7]["entities"] == [] and records[7]["is_incident"] is False


def test_blank_lines_are_not_inputs(analyzer: Analyzer) -> None:
    failed, records = run(analyzer, ["", json.dumps({"id": 1, "text": "Спасибо!"}), "\n"])
    assert failed == 0
    assert [record["id"] for record in records] == [1]


def test_map_posts_in_batches_keeps_order_and_keys(analyzer: Analyzer) -> None:
    moment = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    posts = [
        Post(Platform.VK, "-1", str(i), text, moment, metrics=Metrics(views=views))
        for i, (text, views) in enumerate(
            [
                (
                    "Взятки в администрации берут открыто, глава покрывает! Дети чуть не погибли при пожаре",
                    90000,
                ),
                ("Котик спит на солнышке 😊", 90000),
                ("Куда смотрит Дудочкин? Третий день не вывозят мусор", 10),
            ]
        )
    ]
    analyses = analyzer.map(posts)
    assert [analysis.post_key for analysis in analyses] == ["vk:-1:0", "vk:-1:1", "vk:-1:2"]
    risky, calm, official = analyses
    assert risky.risk_score > 0.8 > calm.risk_score
    assert {"corruption", "death", "emergency", "reach"} <= set(risky.risk_factors)
    assert calm.risk_factors == ()
    assert "official:Дудочкин" in official.risk_factors
    assert analyses[0].model_id == analyzer.model_id and "sentiment-" in analyzer.model_id


def test_a_page_answering_in_the_comments_is_not_an_incident(analyzer: Analyzer) -> None:
    """The same complaint-like words are a resident's incident, but not when the community itself writes
    them in a comment (the page answering a resident); a community's own post is still analysed."""
    moment = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    text = "Третий день нет горячей воды на Лесной 5, дети не могут помыться. Примите меры!"

    def post(i: int, kind: PostKind, by_community: bool) -> Post:
        return Post(Platform.VK, "-1", str(i), text, moment, kind=kind, author_is_community=by_community)

    resident, page_post, page_reply = analyzer.map(
        [post(1, PostKind.COMMENT, False), post(2, PostKind.POST, True), post(3, PostKind.COMMENT, True)]
    )
    assert resident.is_incident and page_post.is_incident
    assert not page_reply.is_incident and page_reply.incident_reason == ""
    assert page_reply.incident_score == resident.incident_score  # the model's score is kept for review


class ExplodingAnalyzer:
    """The real analyzer, except that one text makes it fail: the other lines must still come out."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.batch_size = 3

    def map_documents(self, documents: list[Document]) -> list[Analysis]:
        if any(document.text == "💥" for document in documents):
            raise RuntimeError("boom")
        return self.analyzer.map_documents(documents)


def test_a_document_that_breaks_the_analysis_fails_alone(analyzer: Analyzer) -> None:
    lines = [
        json.dumps({"id": i, "text": text}) for i, text in enumerate(["нет воды", "💥", "Спасибо!", "яма"])
    ]
    out = io.StringIO()
    failed = analyze_stream(lines, out, ExplodingAnalyzer(analyzer))
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert failed == 1
    assert [record["id"] for record in records] == [0, 1, 2, 3]
    assert records[1] == {"id": 1, "error": "analysis failed: RuntimeError: boom"}
    assert all("error" not in records[i] for i in (0, 2, 3))


def test_date_observed_at_and_audience_feed_growth_and_audience(analyzer: Analyzer) -> None:
    text = "Третий день нет горячей воды на Лесной 5, управляющая компания не берёт трубку!"
    base = {"text": text, "views": 6_000, "date": "2026-11-24T10:00:00+03:00"}
    lines = [
        json.dumps({"id": "fresh", **base, "observed_at": "2026-11-24T08:30:00Z", "audience": 80_000}),
        json.dumps({"id": "old", **base, "observed_at": "2026-12-24T08:30:00Z"}),
        json.dumps({"id": "plain", "text": text, "views": 6_000}),
        json.dumps({"id": "unix", **base, "observed_at": 1_795_509_000}),  # 2026-11-24 08:30 UTC
        json.dumps({"id": "naive", **base, "observed_at": "2026-11-24T08:30:00"}),
        json.dumps({"id": "neg", "text": text, "audience": -5}),
        json.dumps({"id": "bad", **base, "observed_at": "вчера"}),
    ]
    failed, records = run(analyzer, lines)
    fresh, old, plain, unix = records[:4]
    assert failed == 3
    assert {"growth", "audience"} <= set(fresh["risk_factors"])
    assert "growth" not in old["risk_factors"] and "audience" not in old["risk_factors"]
    assert fresh["risk_score"] > old["risk_score"] == plain["risk_score"]
    assert "growth" in unix["risk_factors"]
    assert "time zone" in records[4]["error"]
    assert records[5]["error"] == "audience must be a non-negative integer"
    assert records[6]["error"].startswith("bad observed_at")
