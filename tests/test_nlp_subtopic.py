"""Subtopics (``nlp.subtopic``): the taxonomy subtopic of a post within its blocks, only when confident.

The posts below were written for these tests (not taken from any evaluation set); the first group
runs through the whole ``Analyzer`` (the real topic pack decides the blocks), the rest call
``choose`` with given blocks and scores so that the rules about blocks are checked exactly.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dashboards.app import create_app
from index.base import SearchIndex, SearchRequest
from index.document import IndexDocument, build_document
from index.queries import document_body, mappings
from infopole.config.blocks import subtopic_to_block
from infopole.config.municipality import Role
from infopole.config.settings import Settings
from infopole.domain.analysis import Analysis
from infopole.domain.post import Platform, Post
from infopole.domain.user import User
from infopole.incidents.cases import new_case
from infopole.runtime import Runtime
from infopole.storage.users import UserStore
from nlp import subtopic
from nlp.analyzer import Analyzer, Document
from nlp.jsonl import analyze_stream
from nlp.lemmas import lemmatize
from nlp.subtopics import CATCH_ALL, RULES
from tests.test_index_contract import empty_index  # noqa: F401 — the contract's two real backends

CLEAR = [
    (
        "Во дворе дома 14 по улице Гагарина третий вечер не горит фонарь, дети идут из школы в темноте",
        "★ Неисправные фонари освещения",
    ),
    (
        "У нас во дворе на Октябрьской 7 огромная яма прямо у подъезда, после дождя не обойти",
        "★ Ямы во дворах",
    ),
    (
        "На Кингисеппском шоссе ямы такие, что колёса лопаются, когда отремонтируют дорогу",
        "Ямы и выбоины на дороге",
    ),
    (
        "Мусор с контейнерной площадки на Садовой не вывозят десять дней, баки переполнены, всё разлетается",
        "★ Уборка/Вывоз мусора",
    ),
    (
        "За гаражами в лесу устроили стихийную свалку, вывозят строительный мусор машинами",
        "★ Стихийные свалки в городе/в парках/в лесу",
    ),
    (
        "С крыши дома 3 по Лесной свисают огромные сосульки прямо над входом в подъезд",
        "★ Наледь и сосульки на кровле",
    ),
    (
        "В нашем подъезде засор канализации, из унитазов на первом этаже всё выливается",
        "★ Засор в общедомовой системе водоотведения (канализации)",
    ),
    (
        "Крыша течёт, в квартире на пятом этаже вода капает с потолка при каждом дожде",
        "★ Протечки с кровли (системы водостока)",
    ),
    (
        "В подвале нашего дома по колено воды, всё затоплено, пахнет канализацией",
        "★ Затопление подъездов, подвальных помещений",
    ),
    ("Третий день нет горячей воды в домах на Строителей, никаких объявлений", "Отсутствие горячей воды"),
    (
        "Лифт в доме 8 на Театральной стоит уже вторую неделю, пожилые не могут выйти",
        "Лифт неисправен или отключен",
    ),
    (
        "Бродячие собаки стаей бросаются на прохожих у магазина на Заводской",
        "Отлов безнадзорных собак и кошек",
    ),
    ("Скорую помощь к отцу ждали два часа, диспетчер говорила что нет свободных бригад", "★ Скорая помощь"),
    ("Машины паркуются прямо на газоне у детской площадки, весь газон в колеях", "★ Парковка на газонах"),
    (
        "Качели на детской площадке во дворе сломаны, сиденье висит на одной цепи",
        "★ Ненадлежащее состояние игровых элементов на детской или спортивной площадке",
    ),
    (
        "Во дворе не убирают снег, от подъезда до дороги не пройти",
        "★ Нарушение правил уборки от снега и наледи внутридворового проезда, тротуара, площади",
    ),
    ("Упала опора ЛЭП на улице Дачной, провода лежат на земле и искрят", "★ Повреждение опор ЛЭП"),
]

VAGUE = [
    "Что-то тут не так, разберитесь пожалуйста",
    "Ну и как это понимать? Сколько можно ждать",
    "Кто-нибудь знает, что там случилось вчера вечером?",
    "Спасибо всем, кто помог!",
    "В ЖКХ у нас вечно всё не слава богу",
]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.load(None)


@pytest.fixture(scope="module")
def analyses(analyzer: Analyzer) -> list[Analysis]:
    texts = [text for text, _ in CLEAR] + VAGUE
    return analyzer.map_documents([Document(f"k{i}", text) for i, text in enumerate(texts)])


def test_realistic_complaints_get_their_subtopic(analyses: list[Analysis]) -> None:
    got = {text: analysis.subtopic for (text, _), analysis in zip(CLEAR, analyses, strict=False)}
    wrong = {text[:50]: (got[text], want) for text, want in CLEAR if got[text] != want}
    assert not wrong
    assert all(analysis.subtopic_score >= subtopic.MIN_SCORE for analysis in analyses[: len(CLEAR)])


def test_vague_posts_get_no_subtopic(analyses: list[Analysis]) -> None:
    for analysis in analyses[len(CLEAR) :]:
        assert analysis.subtopic is None
        assert analysis.subtopic_score == 0.0
    assert analyses[-1].block == "ЖКХ"  # a block can be sure while the subtopic is not


def test_the_subtopic_belongs_to_a_returned_block(analyses: list[Analysis]) -> None:
    for analysis in analyses:
        if analysis.subtopic is not None:
            assert subtopic_to_block()[analysis.subtopic] in analysis.blocks


def choose(text: str, scores: dict[str, float]) -> subtopic.Subtopic | None:
    blocks = tuple(sorted(scores, key=lambda block: -scores[block]))
    return subtopic.choose(text, set(lemmatize(text)), blocks, scores)


def test_only_the_given_blocks_compete() -> None:
    lamp = "Фонарь во дворе не горит уже неделю"
    assert choose(lamp, {"Благоустройство": 0.8}).name == "★ Неисправные фонари освещения"  # type: ignore[union-attr]
    found = choose(lamp, {"ЖКХ": 0.8})
    assert found is None or subtopic_to_block()[found.name] == "ЖКХ"
    assert choose(lamp, {}) is None


def test_a_close_second_block_can_hold_the_subtopic_a_distant_one_cannot() -> None:
    pothole = "Во дворе дома огромная яма, машины бьют подвески"
    close = choose(pothole, {"Дороги": 0.6, "Благоустройство": 0.45})
    assert close is not None and (close.name, close.block) == ("★ Ямы во дворах", "Благоустройство")
    assert close.score < subtopic.evidence(close.name, pothole, set(lemmatize(pothole)))  # discounted
    distant = choose(pothole, {"Дороги": 0.8, "Благоустройство": 0.2})
    assert distant is None or distant.block == "Дороги"


def test_a_tie_gives_no_subtopic() -> None:
    text = "Нет горячей воды и лифт сломан"  # two complaints, one rule each
    ranked = subtopic.ranked(text, set(lemmatize(text)), ("ЖКХ",), {"ЖКХ": 0.8})
    assert {ranked[0].name, ranked[1].name} == {"Отсутствие горячей воды", "Лифт неисправен или отключен"}
    assert choose(text, {"ЖКХ": 0.8}) is None


def test_a_sole_subtopic_needs_its_own_rule_and_a_catch_all_a_sure_block() -> None:
    sole = "★ Нестационарная торговля (киоски, павильоны, сезонная торговля)"
    kiosk = "У остановки поставили ещё один ларёк с шаурмой"
    assert choose(kiosk, {"Торговля": 0.7}).name == sole  # type: ignore[union-attr]
    shop = "Книжный магазин на углу закрылся, что там будет?"  # a shop: the block, not this subtopic
    assert choose(shop, {"Торговля": 0.9}) is None
    medicine = "Хочу сказать пару слов про нашу медицину в целом"
    assert choose(medicine, {"Здравоохранение/Медицина": 0.7}).name == "Здравоохранение прочее"  # type: ignore[union-attr]
    assert choose(medicine, {"Здравоохранение/Медицина": 0.3}) is None
    ambulance = "Скорая ехала к маме полтора часа"
    assert choose(ambulance, {"Здравоохранение/Медицина": 0.7}).name == "★ Скорая помощь"  # type: ignore[union-attr]


def test_rules_name_taxonomy_subtopics_and_cover_every_frequent_one() -> None:
    taxonomy = subtopic_to_block()
    assert set(RULES) <= set(taxonomy)
    assert set(taxonomy) >= CATCH_ALL
    frequent = [name for name in taxonomy if name.startswith("★")]
    assert len(frequent) == 33
    assert [name for name in frequent if not RULES.get(name)] == []
    assert [name for name in taxonomy if not RULES.get(name)] == sorted(CATCH_ALL, key=list(taxonomy).index)
    for name in RULES:  # every rule compiles and is searched (a broken regex fails here, not on a post)
        subtopic.rule_hits(name, "проверка")


def test_old_analysis_json_without_subtopic_reads_back() -> None:
    old = {
        "post_key": "vk:1:2",
        "model_id": "m",
        "block": "ЖКХ",
        "blocks": ["ЖКХ"],
        "block_scores": {"ЖКХ": 0.7},
    }
    analysis = Analysis.from_json(old)
    assert (analysis.subtopic, analysis.subtopic_score) == (None, 0.0)
    new = Analysis(
        "vk:1:2", "m", block="ЖКХ", blocks=("ЖКХ",), subtopic="Отсутствие горячей воды", subtopic_score=0.9
    )
    assert Analysis.from_json(json.loads(json.dumps(new.to_json()))) == new


def test_the_index_document_carries_the_subtopic_without_a_mapping_change() -> None:
    post = Post(Platform.VK, "-1", "2", "Нет горячей воды", datetime(2026, 11, 1, tzinfo=UTC))
    analysis = Analysis(post.key, "m", block="ЖКХ", blocks=("ЖКХ",), subtopic="Отсутствие горячей воды")
    document = build_document(post, analysis)
    assert document.subtopic == "Отсутствие горячей воды"
    assert document_body(document)["subtopic"] == "Отсутствие горячей воды"  # kept in _source
    assert "subtopic" not in mappings()["properties"]  # dynamic: false, so not indexed: no reindex
    old = document.to_json()
    del old["subtopic"]  # a record indexed before the field existed
    assert IndexDocument.from_json(old).subtopic is None


def test_infopole_analyze_outputs_the_subtopic(analyzer: Analyzer) -> None:
    out = io.StringIO()
    lines = [json.dumps({"id": 1, "text": CLEAR[0][0]}), json.dumps({"id": 2, "text": VAGUE[0]})]
    assert analyze_stream(lines, out, analyzer) == 0
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert (first["subtopic"], second["subtopic"]) == (CLEAR[0][1], None)
    assert first["subtopic_score"] > 0 and second["subtopic_score"] == 0.0


def test_the_case_page_shows_the_subtopic_of_its_posts(tmp_path: Path) -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    municipality = Path(str(resources.files("infopole.municipalities") / "kingisepp.yaml"))
    runtime = Runtime(Settings(municipality_file=municipality, data_dir=tmp_path))
    try:
        lamp = Post(Platform.VK, "-1", "1", "Во дворе не горит фонарь", now)
        old = Post(Platform.VK, "-1", "2", "И у нас во дворе темно", now)  # analysed before subtopics existed
        runtime.posts.save_batch([lamp, old], [], now)
        name = "★ Неисправные фонари освещения"
        block = subtopic_to_block()[name]
        runtime.posts.save_analyses(
            [
                (
                    lamp,
                    Analysis(lamp.key, "m", block=block, blocks=(block,), subtopic=name, subtopic_score=0.9),
                )
            ],
            now,
        )
        legacy = Analysis(old.key, "m", block=block, blocks=(block,)).to_json()
        del legacy["subtopic"], legacy["subtopic_score"]
        runtime.posts.save_analyses([(old, Analysis.from_json(legacy))], now)
        m = runtime.municipality
        case = new_case(
            title="Фонарь",
            block=block,
            settlement=None,
            municipality=m,
            now=now,
            post_keys=[old.key, lamp.key],
        )
        case_id = runtime.incidents.add(case, now, municipality=m).id
        UserStore(runtime.db).add(User("head1", "Руководитель", Role.HEAD), "head-pass-123", now)
        client = TestClient(create_app(runtime, clock=lambda: now))
        csrf = client.get("/login").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"login": "head1", "password": "head-pass-123", "csrf": csrf})
        page = client.get(f"/cases/{case_id}")
        assert page.status_code == 200
        assert "<dt>Подтема</dt>" in page.text
        assert page.text.split('id="case-subtopic">', 1)[1].startswith(name)
        assert page.text.count(f"подтема: {name}") == 1  # the lamp post; the older analysis has none
    finally:
        runtime.close()


def test_the_word_start_prefilter_never_changes_a_match() -> None:
    """Every rule part is searched only if some word starts with one of its leads: on these posts the
    prefiltered answer equals a plain regex search for every part."""
    table = subtopic._table()
    assert sum(lead is None for lead in table.leads) < len(table.leads) / 10  # the prefilter applies
    texts = [text for text, _ in CLEAR] + VAGUE + ["по-хамски нахамил врач, в 03 не дозвониться", "qr-код"]
    for text in texts:
        lowered = text.lower().replace("ё", "е")
        matches = subtopic._Matches(lowered)
        for part, pattern in enumerate(table.patterns):
            assert matches(part) == (pattern.search(lowered) is not None), (pattern.pattern, text)


def test_both_index_backends_store_and_return_the_subtopic(empty_index: SearchIndex) -> None:  # noqa: F811
    """Real SQLite and Elasticsearch with today's mappings: the field rides in the stored record."""
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    name = "★ Неисправные фонари освещения"
    block = subtopic_to_block()[name]
    lamp = Post(Platform.VK, "-1", "1", "Во дворе не горит фонарь", now)
    plain = Post(Platform.VK, "-1", "2", "Во дворе темно", now)
    report = empty_index.upsert(
        [
            build_document(lamp, Analysis(lamp.key, "m", block=block, blocks=(block,), subtopic=name)),
            build_document(plain, Analysis(plain.key, "m", block=block, blocks=(block,))),
        ]
    )
    assert report.ok == 2 and not report.failed
    assert empty_index.get(lamp.key).subtopic == name  # type: ignore[union-attr]
    assert empty_index.get(plain.key).subtopic is None  # type: ignore[union-attr]
    hits = empty_index.search(SearchRequest("двор")).hits
    assert {hit.document.id: hit.document.subtopic for hit in hits} == {lamp.key: name, plain.key: None}
