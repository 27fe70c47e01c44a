"""Госпаблики in OK and Telegram end to end: official pages scripted on the OK fake (``/fb.do``), the
fake Telethon gateway (channel posts and discussion-group comments) and the t.me/s preview fake,
crawled by the real collectors, analysed by the real NLP; then gaps, stale pins, the page's answers
(OK: the group answering as itself; Telegram: the channel, or an anonymous administrator of its
discussion group) with answer times in calendar and working hours of the production calendar,
unanswered complaints past the queue's SLA opened as cases once, alerts once, subscribers snapshotted
per crawl, and the monthly report read back against the database.

The t.me/s preview shows no comments (and no pinned mark), so a page crawled only through it has
posts, reach and subscribers but no answers to check; comments come through Telethon."""

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

from crawlers.base import Collector
from crawlers.fakes import ok_server, telegram_preview
from crawlers.fakes.telegram_gateway import FakeTelegramGateway
from crawlers.ok import OkClient, OkCrawlConfig, OkGroupCollector
from crawlers.telegram.api_collector import ApiCrawlConfig, TelegramApiCollector
from crawlers.telegram.fetch import PreviewFetcher
from crawlers.telegram.preview_collector import PreviewCrawlConfig, TelegramPreviewCollector
from dashboards.gospabliki import router
from flows import steps
from infopole.alerts.dispatch import Dispatcher
from infopole.alerts.fakes.telegram import FakeTelegram
from infopole.alerts.notifiers.telegram import TelegramBot, TelegramNotifier
from infopole.alerts.store import AlertStore
from infopole.config.municipality import Municipality, parse_municipality
from infopole.config.settings import Settings
from infopole.domain.alert import AlertKind
from infopole.domain.analysis import Analysis
from infopole.domain.post import Platform, Post, PostKind, pseudonymise
from infopole.domain.source import SourceKind
from infopole.gospabliki.checks import Check, Light
from infopole.gospabliki.comments import CommentKind
from infopole.gospabliki.compute import PageView, SlaTerm, compute, current
from infopole.gospabliki.metrics import Period
from infopole.gospabliki.report import build_report, to_docx, to_xlsx
from infopole.gospabliki.run import run
from infopole.gospabliki.store import GospablikiStore, page_officials
from infopole.gospabliki.subscribers import Readers, measure, record_subscribers
from infopole.runtime import Runtime
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore
from infopole.storage.tables import AlertRow, IncidentPostRow, IncidentRow, PostRow

SALT = "gospabliki-ok-tg-salt"
BOT_TOKEN = "123456:gospabliki-bot"
APP_KEY, APP_SECRET, OK_TOKEN = "CBAGOSPABLIKI", "gospabliki-app-secret", "gospabliki-ok-token"
GID = "577000000001"
TG_ADM, TG_SCHOOL = "adm_test_rayon", "school_test_one"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday, 12:00 in Moscow
MONTH_START = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)

YAML = f"""
slug: oktg
name: Тестовый округ
short_name: Тест
region: Смоленская область
oktmo: "66632000"
timezone: Europe/Moscow
center: {{lat: 55.5, lon: 34.3}}
settlements: [{{name: Новодугино}}]
departments:
  - {{id: zhkh, name: Отдел ЖКХ, head: начальник отдела, blocks: [ЖКХ, Дороги, Мусор/Свалки/ТКО]}}
  - {{id: culture, name: Отдел культуры, head: начальник, blocks: [Культура, Образование]}}
sources:
  - {{id: ok-adm, kind: ok_group, target: '{GID}', title: Администрация округа (ОК), official: true}}
  - {{id: tg-adm, kind: tg_channel, target: {TG_ADM}, title: Администрация округа (Telegram), official: true}}
  - {{id: tg-school, kind: tg_channel, target: {TG_SCHOOL}, title: Школа № 1 (Telegram), official: true}}
official_pages:
  - {{source: ok-adm, institution: Администрация округа, responsible: пресс-секретарь, max_silence_days: 5}}
  - {{source: tg-adm, institution: Администрация округа, responsible: пресс-секретарь}}
  - {{source: tg-school, institution: МБОУ СОШ № 1, responsible: заместитель директора, category: школа}}
recipients:
  - {{position: пресс-секретарь, role: gospabliki, telegram_chat_id: '2001', min_severity: high,
     quiet_hours: false}}
  - {{position: заместитель главы, role: curator, telegram_chat_id: '2002', min_severity: high,
     quiet_hours: false}}
gospabliki:
  content_rules:
    - name: Национальные проекты
      component: federal
      hashtags: ['#нацпроекты']
"""


def moment(day: int, hour: int = 9, month: int = 11) -> datetime:
    """``hour`` in UTC (Moscow is three hours ahead)."""
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def unix(day: int, hour: int = 9, month: int = 11) -> int:
    return int(moment(day, hour, month).timestamp())


OK_DAYS = [2, 4, 6, 14, 16, 18, 20, 22, 24, 26, 28]  # an eight-day gap 6 → 14 (norm 5 days)
TG_DAYS = list(range(1, 26, 2))  # every other day, silent since the 25th (norm 3 days)
SCHOOL_DAYS = list(range(1, 30, 2))
# posts re-read for a month, so comments under them (and the page's late answers) keep coming; with
# the default two-day window a comment under an older post is never fetched again
TG_CONFIG = ApiCrawlConfig(rescan_window=timedelta(days=30), backfill=timedelta(days=120))


def script_ok(data: ok_server.OkDataset) -> dict[str, str]:
    data.add_group(GID, "Администрация Тестового округа", members=5000)
    ids = {
        "pin": data.add_topic(GID, "Правила группы: пишите вежливо", created=unix(1, month=9), pinned=True)
    }
    data.add_topic(GID, "Итоги октября", created=unix(30, month=10))
    for day in OK_DAYS:
        text = "Ремонт дорог по нацпроекту #нацпроекты" if day == 14 else f"Новости округа за {day} ноября"
        ids[f"t{day}"] = data.add_topic(GID, text, created=unix(day), likes=20, reshares=3)
    # a question on a public holiday (4 November), answered by the group the next morning
    ids["q"] = data.add_comment(
        GID, ids["t4"], "Подскажите, работает ли МФЦ в праздники?", author_id="91001", date=unix(4, 7)
    )
    ids["qa"] = data.add_comment(
        GID,
        ids["t4"],
        "Да, МФЦ работает с 10:00 до 16:00.",
        as_group=True,
        reply_to=ids["q"],
        date=unix(5, 7),
    )
    # a complaint answered late, and a neighbour's «+1» that is not an answer
    ids["late"] = data.add_comment(
        GID,
        ids["t16"],
        "Мусор у дома на Садовой 4 до сих пор не вывозят, безобразие",
        author_id="91002",
        date=unix(16, 7),
    )
    data.add_comment(GID, ids["t16"], "+1", author_id="91003", reply_to=ids["late"], date=unix(16, 8))
    ids["lateA"] = data.add_comment(
        GID,
        ids["t16"],
        "Контейнеры на Садовой вывезли сегодня утром, проверьте.",
        as_group=True,
        reply_to=ids["late"],
        date=unix(17, 12),
    )
    # a complaint nobody from the page answered
    ids["open"] = data.add_comment(
        GID,
        ids["t24"],
        "Третью неделю не работает фонарь у школы на Лесной, сколько можно?",
        author_id="91004",
        date=unix(24, 8),
    )
    data.add_comment(
        GID, ids["t24"], "Согласна с вами", author_id="91005", reply_to=ids["open"], date=unix(24, 9)
    )
    data.add_comment(GID, ids["t26"], "Спасибо за новости", author_id="91006", date=unix(26, 10))
    # asked three hours ago: not late yet
    ids["fresh"] = data.add_comment(
        GID, ids["t28"], "Во сколько открывается каток?", author_id="91007", date=unix(30, 6)
    )
    return ids


def script_telegram(gateway: FakeTelegramGateway) -> dict[str, int]:
    channel = gateway.add_channel(TG_ADM, "Администрация Тестового округа", first_id=501)
    channel.participants = 1200
    school = gateway.add_channel(TG_SCHOOL, "Школа № 1")  # public: Telethon sees it too
    school.participants = 1234
    ids = {
        "pin": gateway.post(TG_ADM, "Как обратиться в администрацию", date=moment(1, month=10), pinned=True)
    }
    for day in TG_DAYS:
        ids[f"p{day}"] = gateway.post(
            TG_ADM, f"Новости {day} ноября", date=moment(day), views=300, forwards=4
        )
    ids["q"] = gateway.comment(
        TG_ADM, ids["p11"], "Подскажите, где получить пропуск на парковку?", user_id=7001, date=moment(11, 10)
    )
    ids["qa"] = gateway.comment(
        TG_ADM, ids["p11"], "В МФЦ, окно 3.", as_channel=True, reply_to=ids["q"], date=moment(11, 13)
    )
    # Friday 17:00 in Moscow, answered on Monday at 10:00 by an anonymous administrator of the group
    ids["friday"] = gateway.comment(
        TG_ADM, ids["p13"], "Во дворе на Мира 8 огромные ямы, безобразие", user_id=7002, date=moment(13, 14)
    )
    gateway.comment(
        TG_ADM, ids["p13"], "+1 у нас так же", user_id=7003, reply_to=ids["friday"], date=moment(13, 15)
    )
    ids["fridayA"] = gateway.comment(
        TG_ADM,
        ids["p13"],
        "Ямы во дворе на Мира 8 засыплют щебнем до среды.",
        as_group=True,
        reply_to=ids["friday"],
        date=moment(16, 7),
    )
    ids["open"] = gateway.comment(
        TG_ADM,
        ids["p23"],
        "Нет воды в доме на Ленина 12 уже сутки, никто не отвечает",
        user_id=7004,
        date=moment(23, 9),
    )
    gateway.comment(TG_ADM, ids["p23"], "У нас тоже", user_id=7005, reply_to=ids["open"], date=moment(23, 10))
    return ids


def script_preview(data: telegram_preview.PreviewDataset) -> None:
    data.add_channel(TG_SCHOOL, "Школа № 1", subscribers=1234)
    for day in SCHOOL_DAYS:
        text = "Наши ученики в нацпроекте «Образование» #нацпроекты" if day == 5 else f"В школе {day} ноября"
        data.add_message(TG_SCHOOL, text, date=unix(day), views=150)


@dataclass
class World:
    municipality: Municipality
    db: Database
    posts: PostStore
    gospabliki: GospablikiStore
    incidents: IncidentStore
    alerts: AlertStore
    ok: dict[str, str]
    tg: dict[str, int]
    tg_group: str  # the discussion group's owner id, ``c<id>``
    data_dir: Path
    url: str
    gateway: FakeTelegramGateway


def ok_key(item: str) -> str:
    return f"ok:{GID}:{item}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from nlp.analyzer import Analyzer

    municipality = parse_municipality(YAML)
    data_dir = tmp_path_factory.mktemp("gospabliki-ok-tg")
    url = f"sqlite:///{data_dir / 'infopole.db'}"
    db = Database(url)
    store = PostStore(db)
    gospabliki = GospablikiStore(db)
    ok_data, preview_data, gateway = (
        ok_server.OkDataset(),
        telegram_preview.PreviewDataset(),
        FakeTelegramGateway(),
    )
    ok_ids, tg_ids = script_ok(ok_data), script_telegram(gateway)
    script_preview(preview_data)
    clock = lambda: NOW  # noqa: E731
    with (
        ok_server.serve_in_thread(ok_data, applications={APP_KEY: APP_SECRET}, tokens=[OK_TOKEN]) as ok_fake,
        telegram_preview.serve_in_thread(preview_data) as preview_fake,
    ):
        ok_client = OkClient(APP_KEY, OK_TOKEN, application_secret_key=APP_SECRET, api_url=ok_fake.url)
        ok = OkGroupCollector(
            ok_client, salt=SALT, config=OkCrawlConfig(backfill=timedelta(days=120)), clock=clock
        )
        api = TelegramApiCollector(gateway, salt=SALT, config=TG_CONFIG, clock=clock)
        fetcher = PreviewFetcher(preview_fake.url, min_interval=0)
        preview = TelegramPreviewCollector(
            fetcher, salt=SALT, config=PreviewCrawlConfig(backfill=timedelta(days=120)), clock=clock
        )
        crawled = steps.crawl(
            municipality,
            store,
            {SourceKind.OK_GROUP: ok, SourceKind.TG_CHANNEL: api},
            only={"ok-adm", "tg-adm"},
        )
        assert crawled.sources_failed == {} and crawled.sources_ok == ["ok-adm", "tg-adm"]
        crawled = steps.crawl(municipality, store, {SourceKind.TG_CHANNEL: preview}, only={"tg-school"})
        assert crawled.sources_failed == {} and crawled.sources_ok == ["tg-school"]
        # the subscribers snapshot after a crawl, through the collectors' own clients, twice a month
        collectors: dict[SourceKind, Collector] = {SourceKind.OK_GROUP: ok, SourceKind.TG_CHANNEL: api}
        first = steps.gospabliki_subscribers(db, municipality, collectors, clock=lambda: MONTH_START)
        assert first.recorded == {"ok-adm": 5000, "tg-adm": 1200, "tg-school": 1234} and first.failed == {}
        ok_data.groups[GID].members_count = 5100
        gateway.channels[TG_ADM].participants = 1250
        gateway.channels[TG_SCHOOL].participants = 1301
        assert steps.gospabliki_subscribers(db, municipality, collectors, clock=clock).recorded == {
            "ok-adm": 5100,
            "tg-adm": 1250,
            "tg-school": 1301,
        }
        assert ok_fake.count("group.getInfo") == 2 and ok_fake.count(error=104) == 0
    steps.analyse(store, Analyzer.load(municipality), clock=clock)
    group = f"c{gateway.channels[TG_ADM].discussion.id}"
    yield World(
        municipality,
        db,
        store,
        gospabliki,
        IncidentStore(db),
        AlertStore(db),
        ok_ids,
        tg_ids,
        group,
        data_dir,
        url,
        gateway,
    )
    db.close()


def tg_key(world: World, name: str) -> str:
    """Channel posts are keyed by the username, comments by the discussion group."""
    return f"telegram:{world.tg_group}:{world.tg[name]}"


def month_views(world: World) -> dict[str, PageView]:
    period = Period.month("2026-11", world.municipality.tz)
    return {
        view.stats.page.source: view
        for view in compute(world.gospabliki, world.municipality, period, NOW, salt=SALT)
    }


# --- the answer term ------------------------------------------------------------------------------


def test_the_term_is_the_queues_sla_for_a_social_message_on_the_working_calendar() -> None:
    municipality = parse_municipality(YAML)
    term = SlaTerm.of(municipality)
    comment = Post(Platform.OK, GID, "1", "Нет света", moment(3, 13), kind=PostKind.COMMENT)  # Tue 16:00
    calm, urgent = Analysis(comment.key, "t", risk_score=0.2), Analysis(comment.key, "t", risk_score=0.9)
    # 3 November is a pre-holiday day (ends at 17:00), 4 November a holiday: 1 h + 7 h on the 5th
    assert term.due(comment, calm) == moment(5, 13)
    assert term.due(comment, urgent) == moment(5, 9)  # 1 h + 3 h: the urgent first answer
    assert term.due(comment, None) == moment(5, 13)
    assert term.working_hours(moment(3, 13), moment(5, 7)) == 2.0  # 16:00 → 17:00, then 09:00 → 10:00
    calendar_hours = parse_municipality(YAML + "  answer_in_working_hours: false\n  answer_hours: 24\n")
    assert SlaTerm.of(calendar_hours).due(comment, urgent) == moment(4, 13)


# --- OK ------------------------------------------------------------------------------------------------


def test_ok_posts_gaps_stale_pin_reach_and_subscribers(world: World) -> None:
    stats = month_views(world)["ok-adm"].stats
    assert stats.platform == "ok" and stats.posts == len(OK_DAYS)
    assert [(g.start.day, g.end.day, round(g.days, 2)) for g in stats.gaps] == [(6, 14, 8.0)]
    assert [post.post_id for post in stats.pinned] == [world.ok["pin"]]
    assert (stats.likes, stats.reposts) == (20 * len(OK_DAYS), 3 * len(OK_DAYS))
    assert (stats.subscribers_start, stats.subscribers_end, stats.subscribers_change) == (5000, 5100, 100)
    assert [count for _, count in stats.subscribers_trend] == [5000, 5100]
    assert stats.per_1000("likes") == pytest.approx(20 * 1000 / 5100)


def test_ok_answers_by_the_group_and_answer_times(world: World) -> None:
    stats = month_views(world)["ok-adm"].stats
    checks = {check.comment.post_id: check for check in stats.checks}
    ids = world.ok
    assert set(checks) == {ids["q"], ids["late"], ids["open"], ids["fresh"]}  # not «+1», «Спасибо», «Да»
    question, late, open_, fresh = (checks[ids[name]] for name in ("q", "late", "open", "fresh"))
    assert question.kind is CommentKind.QUESTION and question.answer_key == ok_key(ids["qa"])
    # asked on the 4 November holiday at 10:00, answered on the 5th at 10:00: 24 h, one working hour
    assert (question.answer_hours, question.answer_working_hours, question.late) == (24.0, 1.0, False)
    assert late.kind is CommentKind.COMPLAINT and late.answer_key == ok_key(ids["lateA"])
    # Monday 10:00 → Tuesday 15:00: 29 h, 8 + 6 working hours, after the term (Monday 18:00)
    assert (late.answer_hours, late.answer_working_hours, late.late, late.formal) == (29.0, 14.0, True, False)
    assert late.due_at in (moment(16, 15), moment(16, 11))  # 8 working hours, or 4 when urgent
    assert open_.kind is CommentKind.COMPLAINT and not open_.answered and open_.overdue(NOW)
    urgent = open_.analysis is not None and open_.analysis.risk_score >= 0.7
    # Tuesday 11:00 + 8 working hours = Wednesday 10:00 (+ 4 = Tuesday 15:00 when urgent)
    assert open_.due_at == (moment(24, 12) if urgent else moment(25, 7))
    assert fresh.kind is CommentKind.QUESTION and not fresh.overdue(NOW)
    assert [check.comment.post_id for check in stats.overdue] == [ids["open"]]
    assert (stats.median_answer_hours, stats.median_answer_working_hours) == (26.5, 7.5)


# --- Telegram -------------------------------------------------------------------------------------------


def test_telegram_answers_as_the_channel_and_as_the_group_admin(world: World) -> None:
    stats = month_views(world)["tg-adm"].stats
    checks = {check.comment.key: check for check in stats.checks}
    assert set(checks) == {tg_key(world, "q"), tg_key(world, "friday"), tg_key(world, "open")}
    question, friday, open_ = (checks[tg_key(world, name)] for name in ("q", "friday", "open"))
    assert question.answer_key == tg_key(world, "qa")  # the channel itself
    assert (question.answer_hours, question.answer_working_hours, question.late) == (3.0, 3.0, False)
    assert friday.answer_key == tg_key(world, "fridayA")  # an anonymous administrator of the group
    # Friday 17:00 → Monday 10:00: 65 h, but one working hour on Friday and one on Monday
    assert (friday.answer_hours, friday.answer_working_hours, friday.late) == (65.0, 2.0, False)
    assert friday.kind is CommentKind.COMPLAINT and open_.kind is CommentKind.COMPLAINT
    assert not open_.answered and open_.overdue(NOW)
    assert [check.comment.key for check in stats.overdue] == [tg_key(world, "open")]
    assert (stats.median_answer_hours, stats.median_answer_working_hours) == (34.0, 2.5)
    assert stats.posts == len(TG_DAYS) and stats.views == 300 * len(TG_DAYS)
    assert (stats.subscribers_start, stats.subscribers_end) == (1200, 1250)


def test_a_stranger_is_not_the_page_in_its_discussion_group(world: World) -> None:
    base = page_officials(world.municipality, SALT)
    officials = world.gospabliki.page_identities(world.municipality.source("tg-adm"), base, SALT)
    with world.db.session() as session:
        rows = session.scalars(select(PostRow).where(PostRow.owner_id == world.tg_group)).all()
    by_id = {row.post_id: row for row in rows}
    page_authors = {by_id[str(world.tg[name])].author_id for name in ("qa", "fridayA")}
    residents = {by_id[str(world.tg[name])].author_id for name in ("q", "friday", "open")}
    assert page_authors <= officials.author_ids and not residents & officials.author_ids


def test_telegram_preview_page_has_posts_and_subscribers_but_no_comments(world: World) -> None:
    stats = month_views(world)["tg-school"].stats
    assert stats.posts == len(SCHOOL_DAYS) and stats.views == 150 * len(SCHOOL_DAYS)
    assert stats.checks == () and stats.pinned == ()  # t.me/s shows neither comments nor pins
    assert [(r.rule.name, r.matched) for r in stats.content] == [("Национальные проекты", 1)]


def test_preview_counter_with_suffixes_and_a_failing_channel() -> None:
    data = telegram_preview.PreviewDataset()
    data.add_channel(TG_SCHOOL, "Школа № 1", subscribers=1234)
    data.add_channel(TG_ADM, "Администрация", subscribers=2_345_678)
    municipality = parse_municipality(YAML)
    sources = [municipality.source(name) for name in ("tg-adm", "tg-school", "ok-adm")]
    with telegram_preview.serve_in_thread(data) as fake:
        fetcher = PreviewFetcher(fake.url, min_interval=0, max_attempts=1)
        done = measure(Readers(telegram_preview=fetcher), sources)
        assert done.recorded == {"tg-school": 1200, "tg-adm": 2300000} and done.failed == {}  # «1.2K», «2.3M»
        fake.throttle(5, retry_after=3600)
        done = measure(Readers(telegram_preview=fetcher), sources)
        assert done.recorded == {} and set(done.failed) == {"tg-adm", "tg-school"}


def test_telegram_api_failure_is_reported_and_others_recorded(tmp_path: Path) -> None:
    municipality = parse_municipality(YAML)
    gateway = FakeTelegramGateway()
    gateway.add_channel(TG_ADM, "Администрация").participants = 777
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    done = record_subscribers(GospablikiStore(db), municipality, Readers(telegram=gateway), NOW)
    assert done.recorded == {"tg-adm": 777} and "tg-school" in done.failed
    gateway.flood("full_channel", 30)
    done = record_subscribers(GospablikiStore(db), municipality, Readers(telegram=gateway), NOW)
    assert "wait 30 s" in done.failed["tg-adm"]
    assert GospablikiStore(db).subscribers("tg-adm")[-1][1] == 777
    db.close()


# --- status, cases, alerts --------------------------------------------------------------------------------


def test_traffic_lights(world: World) -> None:
    views = {v.stats.page.source: v for v in current(world.gospabliki, world.municipality, NOW, salt=SALT)}
    ok = {finding.check: finding for finding in views["ok-adm"].status.findings}
    assert views["ok-adm"].status.light is Light.YELLOW
    assert set(ok) == {Check.REGULARITY, Check.ACTUALITY, Check.FEEDBACK}
    assert "01.09.2026" in ok[Check.ACTUALITY].text and "самый долгий 8 дн." in ok[Check.REGULARITY].text
    tg = {finding.check: finding for finding in views["tg-adm"].status.findings}
    assert views["tg-adm"].status.light is Light.RED
    # a month of silence before 1 November ran into the window: a gap, and silent again since the 25th
    assert set(tg) == {Check.TIMELINESS, Check.REGULARITY, Check.ACTUALITY, Check.CONTENT, Check.FEEDBACK}
    assert "5 дн." in tg[Check.TIMELINESS].text and "01.10.2026" in tg[Check.ACTUALITY].text
    assert views["tg-school"].status.light is Light.GREEN


def test_unanswered_complaints_become_cases_once_and_alerts_once(world: World) -> None:
    first = run(world.gospabliki, world.incidents, world.alerts, world.municipality, NOW, salt=SALT)
    later = NOW + timedelta(hours=2)
    second = run(world.gospabliki, world.incidents, world.alerts, world.municipality, later, salt=SALT)
    assert first.cases.opened + first.cases.joined == 2
    assert (second.cases.opened, second.cases.joined) == (0, 0)
    with world.db.session() as session:
        linked = set(session.scalars(select(IncidentPostRow.post_key)))
        cases = session.scalar(select(func.count()).select_from(IncidentRow))
        alerts = sorted(session.scalars(select(AlertRow.kind)))
    assert {ok_key(world.ok["open"]), tg_key(world, "open")} <= linked
    assert not {ok_key(world.ok["fresh"]), ok_key(world.ok["late"]), tg_key(world, "friday")} & linked
    assert cases == first.cases.opened
    assert alerts == sorted(
        [AlertKind.GOSPABLIKI_SILENCE.value] + [AlertKind.GOSPABLIKI_UNANSWERED.value] * 2
    )  # Telegram silent 5 days; the two complaints; the OK page (2 days) is not silent
    assert first.alerts.new == 3 and second.alerts.new == 0
    # delivered through the alerts layer: to the ответственный за госпаблики (by role), once
    clock = lambda: later  # noqa: E731
    with FakeTelegram(BOT_TOKEN) as telegram:
        notifiers = {"telegram": TelegramNotifier(TelegramBot(telegram.url, BOT_TOKEN), b"ack-secret")}
        tz = world.municipality.tz
        dispatcher = Dispatcher(world.alerts, notifiers, dashboard_url="http://mcu", tz=tz, clock=clock)
        assert dispatcher.run_once().sent >= 1
        assert dispatcher.run_once().sent == 0
        run(world.gospabliki, world.incidents, world.alerts, world.municipality, later, salt=SALT)
        assert dispatcher.run_once().sent == 0
    assert {message.chat_id for message in telegram.sent} == {"2001"}  # not the curator (high only)
    texts = "\n".join(message.text for message in telegram.sent)
    assert "молчит" in texts and "Третью неделю не работает фонарь" in texts and "Нет воды в доме" in texts


# --- the report and the dashboard -------------------------------------------------------------------------


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
    titles = {"ok-adm": "Администрация округа (ОК)", "tg-adm": "Администрация округа (Telegram)"}
    titles["tg-school"] = "Школа № 1 (Telegram)"
    with world.db.session() as session:
        for source_id, title in titles.items():
            posts, views_sum, likes = session.execute(
                select(
                    func.count(), func.coalesce(func.sum(PostRow.views), 0), func.sum(PostRow.likes)
                ).where(
                    PostRow.source_id == source_id,
                    PostRow.kind == "post",
                    PostRow.author_is_community.is_(True),
                    PostRow.published_at >= period.start,
                    PostRow.published_at < period.end,
                )
            ).one()
            assert (rows[title]["Публикаций"], rows[title]["Просмотры"], rows[title]["Лайки"]) == (
                posts,
                views_sum,
                likes,
            )
        comments: dict[str, int] = dict(
            session.execute(  # type: ignore[arg-type]
                select(PostRow.source_id, func.count())
                .where(PostRow.kind == "comment", PostRow.published_at >= period.start)
                .group_by(PostRow.source_id)
            ).all()
        )
    assert comments == {"ok-adm": 9, "tg-adm": 7}  # every comment stored, residents' and the pages'
    ok_row, tg_row = rows[titles["ok-adm"]], rows[titles["tg-adm"]]
    assert (ok_row["Площадка"], tg_row["Площадка"]) == ("Одноклассники", "Telegram")
    assert (ok_row["Вопросов"], ok_row["Жалоб"], ok_row["С ответом"], ok_row["Без ответа сверх срока"]) == (
        2,
        2,
        2,
        1,
    )
    assert (tg_row["Вопросов"], tg_row["Жалоб"], tg_row["С ответом"], tg_row["Без ответа сверх срока"]) == (
        1,
        2,
        2,
        1,
    )
    assert (ok_row["Медиана времени ответа, ч"], ok_row["Медиана времени ответа, раб. ч"]) == (26.5, 7.5)
    assert (tg_row["Медиана времени ответа, ч"], tg_row["Медиана времени ответа, раб. ч"]) == (34.0, 2.5)
    assert (
        ok_row["Подписчиков на начало"],
        ok_row["Подписчиков на конец"],
        ok_row["Прирост подписчиков"],
    ) == (
        5000,
        5100,
        100,
    )
    assert (tg_row["Статус"], ok_row["Статус"], rows[titles["tg-school"]]["Статус"]) == (
        "нарушение",
        "есть замечания",
        "норма",
    )
    trend = list(book["Подписчики"].iter_rows(min_row=2, values_only=True))
    assert ("Администрация округа (Telegram)", "30.11.2026", 1250, 50) in trend and len(trend) == 6
    answers = {(row[0], row[6], row[7]) for row in book["Комментарии"].iter_rows(min_row=2, values_only=True)}
    assert {
        (titles["ok-adm"], 24.0, 1.0),
        (titles["ok-adm"], 29.0, 14.0),
        (titles["tg-adm"], 65.0, 2.0),
    } <= answers
    document = Document(io.BytesIO(to_docx(built)))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert f"Публикаций за период: {len(OK_DAYS) + len(TG_DAYS) + len(SCHOOL_DAYS)}." in text
    assert "Вопросов и жалоб в комментариях: 7, из них с ответом страницы — 4" in text
    assert "без ответа сверх срока — 2" in text
    assert "Третью неделю не работает фонарь" in text and "Нет воды в доме на Ленина 12" in text
    assert "Подписчики: 5000 → 5100 (+100)" in text
    table = document.tables[0]
    labels = [cell.text for cell in table.rows[0].cells]
    docx_rows = {row.cells[0].text: [cell.text for cell in row.cells] for row in table.rows[1:]}
    tg_cells = dict(zip(labels, docx_rows[titles["tg-adm"]], strict=True))
    assert (tg_cells["Медиана ответа, ч"], tg_cells["Медиана ответа, раб. ч"]) == ("34.0", "2.5")
    assert (tg_cells["Подписчиков"], tg_cells["Без ответа сверх срока"]) == ("1250", "1")


def test_the_dashboard_drill_down(world: World) -> None:
    runtime = Runtime(
        Settings(data_dir=world.data_dir, database_url=world.url, author_salt=SALT), world.municipality
    )
    app = FastAPI()
    app.include_router(router(runtime, clock=lambda: NOW))
    with TestClient(app) as client:
        page = client.get("/gospabliki")
        assert 'data-source="tg-adm" data-light="red"' in page.text
        assert 'data-source="ok-adm" data-light="yellow"' in page.text
        assert page.text.count('data-overdue="1"') == 2
        detail = client.get("/gospabliki/page/ok-adm").text
        assert 'data-count="5000"' in detail and 'data-count="5100"' in detail
        assert '<td class="num" id="median-working-hours">7.5</td>' in detail
        assert "Одноклассники" in detail and "закреплённая запись от 01.09.2026" in detail
        detail = client.get("/gospabliki/page/tg-school").text
        assert 'data-count="1301"' in detail and 'id="telegram-comments-note"' in detail
        assert 'id="telegram-comments-note"' not in client.get("/gospabliki/page/tg-adm").text
    runtime.close()


def test_the_cli_records_subscribers_through_the_installations_collectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OK credentials and no Telegram session: OK through ``group.getInfo``, Telegram through t.me/s."""
    from typer.testing import CliRunner

    from infopole.cli import app

    ok_data, preview_data = ok_server.OkDataset(), telegram_preview.PreviewDataset()
    ok_data.add_group(GID, "Администрация", members=4321)
    preview_data.add_channel(TG_ADM, "Администрация", subscribers=2_345_678)
    preview_data.add_channel(TG_SCHOOL, "Школа № 1", subscribers=987)
    path = tmp_path / "oktg.yaml"
    path.write_text(YAML, encoding="utf-8")
    with (
        ok_server.serve_in_thread(ok_data, applications={APP_KEY: APP_SECRET}, tokens=[OK_TOKEN]) as ok_fake,
        telegram_preview.serve_in_thread(preview_data) as preview_fake,
    ):
        for name, value in {
            "AUTHOR_SALT": SALT,
            "OK_API_URL": ok_fake.url,
            "OK_APPLICATION_KEY": APP_KEY,
            "OK_ACCESS_TOKEN": OK_TOKEN,
            "OK_APPLICATION_SECRET_KEY": APP_SECRET,
            "TELEGRAM_PREVIEW_URL": preview_fake.url,
        }.items():
            monkeypatch.setenv(f"INFOPOLE_{name}", value)
        for name in ("VK_TOKEN", "TELEGRAM_SESSION", "OK_SESSION_SECRET"):
            monkeypatch.delenv(f"INFOPOLE_{name}", raising=False)
        options = ["-m", str(path), "--data-dir", str(tmp_path / "data")]
        result = CliRunner().invoke(app, ["gospabliki", "subscribers", *options])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["ok-adm: 4321", "tg-adm: 2300000", "tg-school: 987"]


def test_a_late_answer_of_the_page_reaches_the_case_once(world: World) -> None:
    """Runs last: the Telegram page answers the complaint that became a case (as the group's anonymous
    administrator, an id the general replies step does not know); the next crawl and check put the
    answer on the case, and a re-run adds nothing."""
    later = NOW + timedelta(hours=4)
    run(world.gospabliki, world.incidents, world.alerts, world.municipality, NOW, salt=SALT)  # the case
    with world.db.session() as session:
        case_id = session.scalar(
            select(IncidentPostRow.incident_id).where(IncidentPostRow.post_key == tg_key(world, "open"))
        )
    assert case_id is not None
    answer = world.gateway.comment(
        TG_ADM,
        world.tg["p23"],
        "Воду на Ленина 12 дали в 14:00, приносим извинения.",
        as_group=True,
        reply_to=world.tg["open"],
        date=NOW + timedelta(hours=3),
    )
    collector = TelegramApiCollector(world.gateway, salt=SALT, config=TG_CONFIG, clock=lambda: later)
    crawled = steps.crawl(
        world.municipality,
        world.posts,
        {SourceKind.TG_CHANNEL: collector},
        only={"tg-adm"},
        clock=lambda: later,
    )
    assert crawled.saved.new == 1
    first = run(world.gospabliki, world.incidents, world.alerts, world.municipality, later, salt=SALT)
    second = run(world.gospabliki, world.incidents, world.alerts, world.municipality, later, salt=SALT)
    assert first.replies.answers + first.replies.interim == 1
    assert (second.replies.answers, second.replies.interim, second.replies.formal) == (0, 0, 0)
    case = world.incidents.get(case_id)
    assert f"telegram:{world.tg_group}:{answer}" in case.post_keys
    assert sum("Воду на Ленина 12 дали" in (update.note or "") for update in case.updates) == 1
    check = next(
        c
        for c in current(world.gospabliki, world.municipality, later, salt=SALT)[1].stats.checks
        if c.comment.key == tg_key(world, "open")
    )
    assert check.answered and check.late and check.answer_hours == 7 * 24 + 3


def test_an_ok_group_getinfo_answers_without_members_is_counted_by_getcounters() -> None:
    data = ok_server.OkDataset()
    data.add_group(GID, "Новая страница учреждения", members=0)  # getInfo leaves the empty field out
    municipality = parse_municipality(YAML)
    with ok_server.serve_in_thread(data, applications={APP_KEY: APP_SECRET}, tokens=[OK_TOKEN]) as fake:
        client = OkClient(APP_KEY, OK_TOKEN, application_secret_key=APP_SECRET, api_url=fake.url)
        done = measure(Readers(ok=client), [municipality.source("ok-adm")])
        assert done.recorded == {"ok-adm": 0} and fake.count("group.getCounters") == 1
        data.groups[GID].members_count = 12
        assert measure(Readers(ok=client), [municipality.source("ok-adm")]).recorded == {"ok-adm": 12}
        assert fake.count("group.getCounters") == 1  # the field is back: one request again


@pytest.mark.parametrize("target", [TG_ADM, "@Adm_Test_Rayon", "https://t.me/adm_test_rayon"])
def test_a_telegram_page_is_recognised_however_its_target_is_written(target: str) -> None:
    municipality = parse_municipality(YAML.replace(f"target: {TG_ADM}", f"target: '{target}'"))
    officials = page_officials(municipality, SALT)
    post = Post(Platform.TELEGRAM, TG_ADM, "7", "Новости", NOW, author_is_community=True)
    by_name = post.with_(author_is_community=False, author_id=pseudonymise(Platform.TELEGRAM, TG_ADM, SALT))
    assert officials.wrote(post) and officials.wrote(by_name)  # as ``post_to_record`` keys a channel post
