"""Госпаблики end to end: official pages scripted on the VK fake, crawled by the real collector,
analysed by the real NLP, then gaps, stale pins, answers and answer times, cases opened once,
alerts, the monthly report read back, the CLI and the dashboard page."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from crawlers.fakes.vk_server import VkDataset, serve_in_thread
from crawlers.vk import VkClient, VkWallCollector, WallCrawlConfig
from dashboards.gospabliki import router
from flows import steps
from infopole.alerts.store import AlertStore
from infopole.config.municipality import Municipality, parse_municipality
from infopole.config.settings import Settings
from infopole.domain.alert import AlertKind
from infopole.domain.post import Platform, Post, PostKind
from infopole.domain.source import SourceKind
from infopole.gospabliki.checks import Check, Light
from infopole.gospabliki.comments import CommentKind, check_comments
from infopole.gospabliki.compute import PageView, compute, current
from infopole.gospabliki.metrics import Period, gaps, matches
from infopole.gospabliki.report import build_report, to_docx, to_xlsx
from infopole.gospabliki.run import run
from infopole.gospabliki.store import GospablikiStore, page_officials
from infopole.gospabliki.subscribers import record_subscribers
from infopole.runtime import Runtime
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore
from infopole.storage.tables import AlertRow, IncidentPostRow, PostRow

TOKEN = "gospabliki-test-token"
SALT = "gospabliki-salt"
ADMIN, SCHOOL = -100001, -100005
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday, 12:00 in Moscow

YAML = """
slug: test
name: Тестовый район
short_name: Тест
region: Ленинградская область
oktmo: "41621000"
timezone: Europe/Moscow
center: {lat: 59.37, lon: 28.61}
settlements: [{name: Кингисепп}]
departments:
  - {id: zhkh, name: Комитет ЖКХ, head: председатель комитета, blocks: [ЖКХ, Дороги, Мусор/Свалки/ТКО]}
  - {id: culture, name: Комитет культуры, head: председатель, blocks: [Культура, Образование]}
sources:
  - {id: vk-adm, kind: vk_wall, target: '-100001', title: Администрация района, official: true}
  - {id: vk-school, kind: vk_wall, target: '-100005', title: Школа № 1, official: true}
  - {id: ok-adm, kind: ok_group, target: '70000000000001', title: Администрация (ОК), official: true,
     enabled: false}
official_pages:
  - {source: vk-adm, institution: Администрация района, responsible: пресс-секретарь}
  - {source: vk-school, institution: МБОУ СОШ № 1, responsible: заместитель директора, category: школа}
  - {source: ok-adm, institution: Администрация района, responsible: пресс-секретарь}
gospabliki:
  content_rules:
    - name: Национальные проекты
      component: federal
      hashtags: ['#нацпроекты']
    - name: Региональные новости
      component: regional
      keywords: [Ленинградская область]
      categories: [администрация]
"""


def at(day: int, hour: int = 9, month: int = 11) -> int:
    return int(datetime(2026, month, day, hour, 0, tzinfo=UTC).timestamp())


ADMIN_DAYS = [1, 2, 3, 10, 11, 13, 15, 17, 20, 23, 26]  # a week's gap 3 → 10, silent since the 26th
SCHOOL_DAYS = list(range(1, 30, 2))  # every other day, last on the 29th


def scripted_pages() -> tuple[VkDataset, dict[str, int]]:
    data = VkDataset()
    data.add_wall(ADMIN, "Администрация района")
    data.add_wall(SCHOOL, "Школа № 1")
    ids: dict[str, int] = {}
    ids["pinned"] = data.add_post(
        ADMIN, "Правила сообщества: пишите вежливо", date=at(1, month=9), is_pinned=True
    )
    data.add_post(ADMIN, "Итоги октября", date=at(30, month=10), views=400)
    for day in ADMIN_DAYS:
        text = {
            15: "Благоустройство дворов по нацпроекту «Жильё и городская среда» #нацпроекты",
            20: "Отключение горячей воды на улице Октябрьской: график работ",
        }.get(day, f"Новости района за {day} ноября")
        ids[f"a{day}"] = data.add_post(ADMIN, text, date=at(day), views=500, likes=10, reposts=2)
    for day in [28, 30]:
        data.add_post(SCHOOL, f"Школьные новости {day} октября", date=at(day, month=10), views=100)
    for day in SCHOOL_DAYS:
        text = (
            "Наши ученики — участники нацпроекта «Образование» #нацпроекты"
            if day == 5
            else f"В школе {day} ноября"
        )
        data.add_post(SCHOOL, text, date=at(day), views=100, likes=5, is_pinned=day == 21)
    # a question answered in two hours
    ids["q1"] = data.add_comment(
        ADMIN, ids["a11"], "Подскажите, во сколько начнётся концерт в субботу?", from_id=501, date=at(11, 10)
    )
    ids["q1a"] = data.add_comment(
        ADMIN,
        ids["a11"],
        "Концерт начнётся в 18:00, приходите!",
        from_id=ADMIN,
        reply_to=ids["q1"],
        date=at(11, 12),
    )
    # a complaint answered a day later with an отписка
    ids["c3"] = data.add_comment(
        ADMIN,
        ids["a17"],
        "Когда уже уберут мусор во дворе на Иванова 3? Безобразие",
        from_id=502,
        date=at(17, 8),
    )
    data.add_comment(
        ADMIN,
        ids["a17"],
        "Ваше обращение направлено в профильный отдел.",
        from_id=ADMIN,
        reply_to=ids["c3"],
        date=at(18, 8),
    )
    # a complaint nobody answered (an ordinary one: an outage would be urgent, 4 working hours);
    # a neighbour's «+1» is not a question
    ids["c2"] = data.add_comment(
        ADMIN,
        ids["a20"],
        "Третий день не вывозят мусор у подъезда на Октябрьской 5, безобразие!",
        from_id=503,
        date=at(20, 10),
    )
    data.add_comment(ADMIN, ids["a20"], "+1 у нас тоже", from_id=504, reply_to=ids["c2"], date=at(20, 11))
    data.add_comment(ADMIN, ids["a23"], "Спасибо!", from_id=505, date=at(23, 12))
    # a question asked two hours ago: unanswered, not yet late
    ids["q5"] = data.add_comment(
        ADMIN, ids["a26"], "А где можно получить талон на вывоз веток?", from_id=506, date=at(30, 7)
    )
    return data, ids


@dataclass
class World:
    municipality: Municipality
    db: Database
    posts: PostStore
    gospabliki: GospablikiStore
    incidents: IncidentStore
    alerts: AlertStore
    ids: dict[str, int]
    data_dir: Path
    url: str


def key(post_id: int, owner: int = ADMIN) -> str:
    return f"vk:{owner}:{post_id}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from nlp.analyzer import Analyzer

    municipality = parse_municipality(YAML)
    data_dir = tmp_path_factory.mktemp("gospabliki")
    url = f"sqlite:///{data_dir / 'infopole.db'}"
    db = Database(url)
    store = PostStore(db)
    dataset, ids = scripted_pages()
    with serve_in_thread(dataset, tokens=[TOKEN]) as server:
        client = VkClient(TOKEN, api_url=server.url, requests_per_second=1000.0)
        config = WallCrawlConfig(backfill=timedelta(days=120))
        collector = VkWallCollector(client, salt=SALT, config=config, clock=lambda: NOW)
        report = steps.crawl(
            municipality, store, {s.kind: collector for s in municipality.sources}, clock=lambda: NOW
        )
        assert report.sources_failed == {}
        gospabliki = GospablikiStore(db)
        dataset.walls[ADMIN].members_count, dataset.walls[SCHOOL].members_count = 1900, 340
        assert record_subscribers(
            gospabliki, municipality, client, datetime(2026, 11, 1, 7, tzinfo=UTC)
        ).recorded
        dataset.walls[ADMIN].members_count, dataset.walls[SCHOOL].members_count = 2000, 350
        done = record_subscribers(gospabliki, municipality, client, NOW)
        assert done.recorded == {"vk-adm": 2000, "vk-school": 350}
    steps.analyse(store, Analyzer.load(municipality), clock=lambda: NOW)
    yield World(municipality, db, store, gospabliki, IncidentStore(db), AlertStore(db), ids, data_dir, url)
    db.close()


def month_views(world: World) -> dict[str, PageView]:
    period = Period.month("2026-11", world.municipality.tz)
    return {
        view.stats.page.source: view
        for view in compute(world.gospabliki, world.municipality, period, NOW, salt=SALT)
    }


# --- pure pieces ------------------------------------------------------------------------------------


class EightHours:
    """A term of eight calendar hours, with working time counted as calendar time."""

    def due(self, comment: Post, analysis: object) -> datetime:
        return comment.published_at + timedelta(hours=8)

    def working_hours(self, start: datetime, end: datetime) -> float:
        return (end - start).total_seconds() / 3600


def test_gaps_are_stretches_longer_than_the_norm_clipped_to_the_period() -> None:
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
    times = [datetime(2026, 11, d, tzinfo=UTC) for d in (2, 3, 10, 12)]
    found = gaps(times, start, end, datetime(2026, 10, 20, tzinfo=UTC), 3)
    assert [(g.start.day, g.end.day, g.days) for g in found] == [(1, 2, 1.0), (3, 10, 7.0), (12, 30, 18.0)]
    assert gaps([], start, end, None, 40) == []


def test_content_rules_match_hashtags_and_word_beginnings() -> None:
    rule = parse_municipality(YAML).gospabliki.content_rules
    post = Post(Platform.VK, "-1", "1", "Итоги года в Ленинградской области #НацПроекты", NOW)
    assert matches(rule[0], post) and not matches(rule[1], post)  # «Ленинградской» ≠ «Ленинградская область»
    assert matches(rule[1], post.with_(text="Ленинградская область: новости"))


def test_an_answer_counts_only_from_the_page_and_after_the_comment() -> None:
    municipality = parse_municipality(YAML)
    officials = page_officials(municipality, SALT)
    post = Post(Platform.VK, "-100001", "1", "Новость", NOW, author_is_community=True)
    question = Post(
        Platform.VK,
        "-100001",
        "2",
        "Где взять справку?",
        NOW + timedelta(hours=1),
        kind=PostKind.COMMENT,
        parent_key=post.key,
        author_id="vk-resident",
    )
    stranger = question.with_(
        post_id="3", text="Не знаю", reply_to_key=question.key, published_at=NOW + timedelta(hours=2)
    )
    page = stranger.with_(
        post_id="4",
        text="В МФЦ на Октябрьской, 10",
        author_is_community=True,
        author_id="",
        published_at=NOW + timedelta(hours=5),
    )
    term = EightHours()
    later = NOW + timedelta(days=1)
    [check] = check_comments([post], [(question, None), (stranger, None)], officials, term, later)
    assert check.kind is CommentKind.QUESTION and not check.answered and check.overdue(later)
    [check] = check_comments(
        [post], [(question, None), (stranger, None), (page, None)], officials, term, later
    )
    assert check.answer_key == page.key and check.answer_hours == 4.0 and not check.late and not check.formal


# --- the scripted pages ------------------------------------------------------------------------------


def test_posts_gaps_reach_and_subscribers_of_the_month(world: World) -> None:
    views = month_views(world)
    admin, school = views["vk-adm"].stats, views["vk-school"].stats
    assert admin.posts == len(ADMIN_DAYS) and school.posts == len(SCHOOL_DAYS)
    assert [(g.start.day, g.end.day, round(g.days, 2)) for g in admin.gaps] == [(3, 10, 7.0), (26, 30, 4.0)]
    assert school.gaps == ()
    assert (admin.views, admin.likes, admin.reposts) == (500 * 11, 10 * 11, 2 * 11)
    assert admin.per_post("views") == 500 and admin.per_1000("views") == 250
    assert (admin.subscribers_start, admin.subscribers_end, admin.subscribers_change) == (1900, 2000, 100)
    assert sum(admin.blocks.values()) == admin.posts
    assert [(r.rule.name, r.matched, r.required) for r in admin.content] == [
        ("Национальные проекты", 1, 1),
        ("Региональные новости", 0, 1),
    ]
    assert [r.rule.name for r in school.content] == [
        "Национальные проекты"
    ]  # the regional rule is for администрация


def test_questions_complaints_answers_and_answer_times(world: World) -> None:
    admin = month_views(world)["vk-adm"].stats
    checks = {check.comment.key: check for check in admin.checks}
    ids = world.ids
    assert set(checks) == {
        key(ids["q1"]),
        key(ids["c3"]),
        key(ids["c2"]),
        key(ids["q5"]),
    }  # not «+1», not «Спасибо»
    q1, c3, c2, q5 = (checks[key(ids[name])] for name in ("q1", "c3", "c2", "q5"))
    assert (q1.kind, q1.answer_key, q1.answer_hours, q1.late) == (
        CommentKind.QUESTION,
        key(ids["q1a"]),
        2.0,
        False,
    )
    assert (c3.kind, c3.answer_hours, c3.formal, c3.late) == (CommentKind.COMPLAINT, 24.0, True, True)
    assert c2.kind is CommentKind.COMPLAINT and not c2.answered and c2.overdue(NOW)
    # Friday 13:00 in Moscow + 8 working hours = Monday 12:00
    assert c2.due_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert q5.kind is CommentKind.QUESTION and not q5.answered and not q5.overdue(NOW)
    assert (admin.questions, admin.complaints, admin.answered, admin.formal) == (2, 2, 2, 1)
    assert [check.comment.key for check in admin.overdue] == [key(ids["c2"])]
    assert admin.median_answer_hours == 13.0
    # Wednesday 13:00 → 15:00 Moscow is 2 working hours; Tuesday 11:00 → Wednesday 11:00 is 7 + 2
    assert (q1.answer_working_hours, c3.answer_working_hours) == (2.0, 9.0)
    assert admin.median_answer_working_hours == 5.5


def test_traffic_lights_with_reasons(world: World) -> None:
    views = {
        view.stats.page.source: view for view in current(world.gospabliki, world.municipality, NOW, salt=SALT)
    }
    admin = views["vk-adm"].status
    assert admin.light is Light.RED
    found = {finding.check: finding for finding in admin.findings}
    assert set(found) == {Check.TIMELINESS, Check.REGULARITY, Check.ACTUALITY, Check.CONTENT, Check.FEEDBACK}
    assert found[Check.TIMELINESS].light is Light.RED and "4 дн." in found[Check.TIMELINESS].text
    assert "самый долгий 7 дн." in found[Check.REGULARITY].text
    assert "01.09.2026" in found[Check.ACTUALITY].text  # the pinned rules are three months old
    assert "Региональные новости" in found[Check.CONTENT].text
    assert found[Check.FEEDBACK].light is Light.YELLOW and "жалоб 1" in found[Check.FEEDBACK].text
    assert views["vk-school"].status.light is Light.GREEN and views["vk-school"].status.findings == ()
    assert views["ok-adm"].status.light is Light.GREY


def test_unanswered_complaints_become_cases_once_and_alerts_once(world: World) -> None:
    first = run(world.gospabliki, world.incidents, world.alerts, world.municipality, NOW, salt=SALT)
    second = run(
        world.gospabliki,
        world.incidents,
        world.alerts,
        world.municipality,
        NOW + timedelta(hours=1),
        salt=SALT,
    )
    assert first.cases.opened + first.cases.joined == 1
    assert (second.cases.opened, second.cases.joined) == (0, 0)
    with world.db.session() as session:
        linked = set(session.scalars(select(IncidentPostRow.post_key)))
        kinds = sorted(session.scalars(select(AlertRow.kind)))
    assert (
        key(world.ids["c2"]) in linked
        and key(world.ids["q5"]) not in linked
        and key(world.ids["q1"]) not in linked
    )
    assert kinds == [AlertKind.GOSPABLIKI_SILENCE.value, AlertKind.GOSPABLIKI_UNANSWERED.value]
    assert first.alerts.new == 2 and second.alerts.new == 0 and second.alerts.duplicates == 2


def test_the_monthly_report_matches_the_database(world: World) -> None:
    period = Period.month("2026-11", world.municipality.tz)
    views = compute(world.gospabliki, world.municipality, period, NOW, salt=SALT)
    built = build_report(world.municipality.name, period, views, NOW, world.municipality.tz)
    book = load_workbook(io.BytesIO(to_xlsx(built)))
    sheet = book["Сводка"]
    header = [cell.value for cell in sheet[3]]
    rows = {
        row[1]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=4, values_only=True)
    }
    with world.db.session() as session:
        for owner, title in ((ADMIN, "Администрация района"), (SCHOOL, "Школа № 1")):
            in_month = (
                PostRow.owner_id == str(owner),
                PostRow.kind == "post",
                PostRow.author_is_community.is_(True),
                PostRow.published_at >= period.start,
                PostRow.published_at < period.end,
            )
            posts, views_sum = session.execute(
                select(func.count(), func.sum(PostRow.views)).where(*in_month)
            ).one()
            assert rows[title]["Публикаций"] == posts
            assert rows[title]["Просмотры"] == views_sum
    assert rows["Администрация района"]["Статус"] == "нарушение" and rows["Школа № 1"]["Статус"] == "норма"
    assert rows["Администрация района"]["Без ответа сверх срока"] == 1
    assert rows["Администрация района"]["Подписчиков на конец"] == 2000
    topics = list(book["Темы"].iter_rows(min_row=2, values_only=True))
    assert sum(row[2] for row in topics if row[0] == "Администрация района") == len(ADMIN_DAYS)
    comments = list(book["Комментарии"].iter_rows(min_row=2, values_only=True))
    assert len(comments) == 4 and sum(1 for row in comments if row[10] == "да") == 1
    reach = {row[0]: row for row in book["Охват"].iter_rows(min_row=2, values_only=True)}
    assert reach["Администрация района"][3] == 500 and reach["Администрация района"][7] == 250
    document = Document(io.BytesIO(to_docx(built)))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "ноябрь 2026" in text
    assert f"Публикаций за период: {len(ADMIN_DAYS) + len(SCHOOL_DAYS)}." in text
    assert "без ответа сверх срока — 1" in text and "Третий день не вывозят мусор" in text
    table = document.tables[0]
    assert [cell.text for cell in table.rows[1].cells][:3] == [
        "Администрация района",
        "нарушение",
        str(len(ADMIN_DAYS)),
    ]


def test_the_cli_status_and_report(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from infopole.cli import app

    path = tmp_path / "test.yaml"
    path.write_text(YAML, encoding="utf-8")
    monkeypatch.setenv("INFOPOLE_AUTHOR_SALT", SALT)
    runner = CliRunner()
    options = ["-m", str(path), "--data-dir", str(world.data_dir)]
    result = runner.invoke(app, ["gospabliki", "status", *options])
    assert result.exit_code == 0, result.output
    assert "Администрация района" in result.output and "своевременность" in result.output
    result = runner.invoke(app, ["gospabliki", "report", "--month", "2026-11", "-o", str(tmp_path), *options])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(tmp_path / "gospabliki-test-2026-11.xlsx")["Сводка"]
    published = sum(
        1 for day in ADMIN_DAYS if at(day) <= datetime.now(UTC).timestamp()
    )  # the CLI's clock is real
    assert sheet["G4"].value == published
    assert (tmp_path / "gospabliki-test-2026-11.docx").stat().st_size > 0
    assert runner.invoke(app, ["gospabliki", "report", "--month", "ноябрь", *options]).exit_code == 2


def test_the_dashboard_page(world: World) -> None:
    runtime = Runtime(
        Settings(data_dir=world.data_dir, database_url=world.url, author_salt=SALT), world.municipality
    )
    app = FastAPI()
    app.include_router(router(runtime, clock=lambda: NOW))
    with TestClient(app) as client:
        page = client.get("/gospabliki")
        assert page.status_code == 200
        assert 'data-source="vk-adm" data-light="red"' in page.text
        assert 'data-source="vk-school" data-light="green"' in page.text
        assert "Третий день не вывозят мусор" in page.text and page.text.count('data-overdue="1"') == 1
        detail = client.get("/gospabliki/page/vk-adm")
        assert detail.status_code == 200 and "закреплённая запись от 01.09.2026" in detail.text
        assert client.get("/gospabliki/page/nope").status_code == 404
        xlsx = client.get("/gospabliki/report.xlsx", params={"month": "2026-11"})
        assert xlsx.status_code == 200
        assert load_workbook(io.BytesIO(xlsx.content))["Сводка"]["G4"].value == len(ADMIN_DAYS)
    runtime.close()


def test_in_the_app_the_page_needs_a_signed_in_user(world: World) -> None:
    from dashboards.app import create_app

    runtime = Runtime(
        Settings(data_dir=world.data_dir, database_url=world.url, author_salt=SALT), world.municipality
    )
    with TestClient(create_app(runtime, clock=lambda: NOW)) as client:
        response = client.get("/gospabliki", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    runtime.close()


def test_vk_subscribers_of_communities_written_as_screen_names_and_links() -> None:
    """A community is whatever ``crawlers.vk.resolve`` makes of the target, not only ``-123``."""
    from infopole.domain.source import Source, SourceKind
    from infopole.gospabliki.subscribers import Readers, measure

    data = VkDataset()
    data.add_wall(ADMIN, "Администрация района", "kingisepp_adm").members_count = 2000
    data.add_wall(SCHOOL, "Школа № 1").members_count = 350
    data.add_wall(-100007, "Библиотека").members_count = 120
    data.add_wall(-100009, "Спортшкола").members_count = 80
    data.add_wall(77, "Глава района").members_count = 5  # a person: no members to count

    def vk(source_id: str, target: str) -> Source:
        return Source(id=source_id, kind=SourceKind.VK_WALL, target=target, title=source_id, official=True)

    sources = [
        vk("adm", "https://vk.com/kingisepp_adm"),
        vk("school", "club100005"),
        vk("library", "public100007"),
        vk("sport", "-100009"),
        vk("head", "id77"),
        vk("ghost", "vk.com/nobody_holds_this"),
    ]
    with serve_in_thread(data, tokens=[TOKEN]) as server:
        client = VkClient(TOKEN, api_url=server.url, requests_per_second=1000.0)
        done = measure(Readers(vk=client), sources)
        assert done.recorded == {"adm": 2000, "school": 350, "library": 120, "sport": 80}
        assert set(done.failed) == {"ghost"} and "nobody_holds_this" in done.failed["ghost"]
        assert server.count("groups.getById") == 1
        # the wall collector's resolver is shared: a name it already resolved costs no request
        collector = VkWallCollector(client, salt=SALT)
        collector.resolver.remember("kingisepp_adm", ADMIN)
        resolves = server.count("utils.resolveScreenName")
        again = measure(Readers(vk=client, vk_owners=collector.resolver), sources[:1])
        assert again.recorded == {"adm": 2000}
        assert server.count("utils.resolveScreenName") == resolves


def test_a_late_complaint_under_an_old_official_post_and_an_unpin_reach_the_checks(tmp_path: Path) -> None:
    """The collector watches comments of official posts for ``gospabliki.comments_window_days``
    (re-reading a post only when its comment count moved), and keeps the pinned state current."""
    from crawlers.vk.wall import WallCrawlConfig as Config
    from infopole.gospabliki.windows import comment_windows
    from nlp.analyzer import Analyzer

    municipality = parse_municipality(YAML)
    db = Database(f"sqlite:///{tmp_path / 'infopole.db'}")
    store, gospabliki = PostStore(db), GospablikiStore(db)
    data = VkDataset()
    data.add_wall(ADMIN, "Администрация района")
    data.add_wall(SCHOOL, "Школа № 1")
    rules = data.add_post(ADMIN, "Правила сообщества", date=at(1, month=9), is_pinned=True, from_id=ADMIN)
    old = data.add_post(ADMIN, "График отключения горячей воды", date=at(10), from_id=ADMIN)  # 20 days
    data.add_post(ADMIN, "Новости района", date=at(29), from_id=ADMIN)
    first_crawl = NOW - timedelta(hours=6)
    config = Config(backfill=timedelta(days=120), comment_windows=comment_windows(municipality))

    def crawl(when: datetime) -> None:
        collector = VkWallCollector(client, salt=SALT, config=config, clock=lambda: when)
        report = steps.crawl(municipality, store, {SourceKind.VK_WALL: collector}, clock=lambda: when)
        assert report.sources_failed == {}

    def status() -> dict[Check, str]:
        steps.analyse(store, analyzer, clock=lambda: NOW)
        (admin,) = [
            v for v in current(gospabliki, municipality, NOW, salt=SALT) if v.stats.page.source == "vk-adm"
        ]
        return {finding.check: finding.text for finding in admin.status.findings}

    analyzer = Analyzer.load(municipality)
    with serve_in_thread(data, tokens=[TOKEN]) as server:
        client = VkClient(TOKEN, api_url=server.url, requests_per_second=1000.0)
        crawl(first_crawl)
        assert "01.09.2026" in status()[Check.ACTUALITY]  # the rules are three months old
        complaint = data.add_comment(
            ADMIN,
            old,
            "Третий день нет горячей воды на Октябрьской 5, безобразие!",
            from_id=503,
            date=at(30, 4),
        )
        answer = data.add_comment(
            ADMIN,
            old,
            "Бригада уже работает, воду дадут к вечеру.",
            from_id=ADMIN,
            reply_to=complaint,
            date=at(30, 6),
        )
        data.walls[ADMIN].posts[rules].pop("is_pinned")
        crawl(NOW)
    found = status()
    assert Check.ACTUALITY not in found  # the un-pin reached the store
    (admin,) = [
        v.stats for v in current(gospabliki, municipality, NOW, salt=SALT) if v.stats.page.source == "vk-adm"
    ]
    checks = {check.comment.key: check for check in admin.checks}
    assert checks[key(complaint)].kind is CommentKind.COMPLAINT
    assert checks[key(complaint)].answer_key == key(answer) and checks[key(complaint)].answer_hours == 2.0
    with db.session() as session:
        pinned = session.scalar(select(PostRow.is_pinned).where(PostRow.key == key(rules)))
    assert pinned is False
    db.close()
