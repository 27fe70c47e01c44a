"""The spike history counted in SQL (SQLite and PostgreSQL) gives the counts and the alerts the
rule computes from posts in memory; the alerts step reads only recent posts."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

from infopole.alerts.detect import Snapshot, detect
from infopole.alerts.rules import Analysed
from infopole.alerts.rules.spike import spike_counts
from infopole.alerts.run import read_snapshot
from infopole.alerts.spike_counts import spike_counts_sql
from infopole.config.municipality import SpikeRule
from infopole.domain.alert import AlertKind
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore
from tests.alert_fixtures import NOW, municipality, pair

HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)
SINCE = NOW - 5 * WEEK
RULE = SpikeRule(window_hours=3)
BLOCKS = ["ЖКХ", "Дороги", "Мусор/Свалки/ТКО", None]
SETTLEMENTS = ["Кингисепп", "Ивангород", "Усть-Луга", None, ""]
SOURCES = ["vk-podslushano-kingisepp", "vk-adm-kingisepp", "ok-kingisepp"]


def stream() -> list[Analysed]:
    """Five weeks of ordinary traffic over blocks, settlements and sources (some deleted), a burst of
    negative ЖКХ posts in Кингисепп now, and posts exactly on window edges."""
    rng = random.Random(5)
    pairs: list[Analysed] = []
    for i in range(900):
        at = SINCE + timedelta(seconds=rng.randrange(int((NOW - SINCE).total_seconds())))
        post, analysis = pair(
            f"bg{i}",
            "Обычный пост",
            at,
            source_id=rng.choice(SOURCES),
            block=rng.choice(BLOCKS),
            settlement=rng.choice(SETTLEMENTS),
            sentiment=rng.choice(["negative", "neutral", "positive"]),
            is_incident=rng.random() < 0.3,
        )
        if rng.random() < 0.05:
            post = dataclasses.replace(post, is_deleted=True)
        pairs.append((post, analysis))
    for i in range(14):
        pairs.append(
            pair(
                f"burst{i}",
                "Опять нет воды",
                NOW - timedelta(minutes=3 + 11 * i),
                block="ЖКХ",
                settlement="Кингисепп",
                sentiment="negative",
                is_incident=True,
            )
        )
    window = timedelta(hours=RULE.window_hours)
    for back in range(RULE.history_weeks + 1):
        start = NOW - back * WEEK - window
        for edge, at in (("start", start), ("end", start + window)):  # [start, end): start in, end out
            pairs.append(pair(f"edge{back}{edge}", "Край окна", at, block="Дороги", sentiment="negative"))
    return pairs


def store_stream(db: Database, pairs: list[Analysed]) -> PostStore:
    posts = PostStore(db)
    for source in SOURCES:
        mine = [p for p in pairs if p[0].source_id == source]
        posts.save_batch([p for p, _ in mine], [], SINCE, source_id=source)
        posts.save_analyses(mine, SINCE)
    return posts


def test_sql_counts_equal_the_counts_from_posts(db: Database) -> None:
    pairs = stream()
    store_stream(db, pairs)
    in_memory = {key: counts for key, counts in spike_counts(pairs, RULE, NOW).items() if any(counts)}
    in_sql = {key: counts for key, counts in spike_counts_sql(db, RULE, NOW).items() if any(counts)}
    assert in_sql == in_memory
    assert in_sql[("negative", "block", "Дороги")][0] >= 1  # the edge post at the window's start
    assert in_sql[("negative", "settlement", "Кингисепп")][0] >= 14
    assert ("negative", "settlement", "") not in in_sql  # empty values are no series
    assert len(in_sql) >= 15


def test_alerts_from_the_database_equal_alerts_from_all_posts(db: Database) -> None:
    pairs = stream()
    posts = store_stream(db, pairs)
    where = municipality()
    where = where.model_copy(update={"alerts": where.alerts.model_copy(update={"spike": RULE})})
    snapshot = read_snapshot(posts, IncidentStore(db), where, NOW)
    assert snapshot.observed_since == SINCE
    assert snapshot.spike_counts is not None
    oldest = min(p.published_at for p, _ in snapshot.posts)
    assert oldest >= NOW - timedelta(hours=where.alerts.max_post_age_hours)  # only what may be news
    from_db = [a for a in detect(snapshot, where, NOW) if a.kind is AlertKind.SPIKE]
    from_posts = [
        a
        for a in detect(Snapshot(posts=pairs, observed_since=SINCE), where, NOW)
        if a.kind is AlertKind.SPIKE
    ]
    assert [(a.key, a.severity, a.body, a.details) for a in from_db] == [
        (a.key, a.severity, a.body, a.details) for a in from_posts
    ]
    keys = {a.key for a in from_db}
    assert f"spike:negative:block:ЖКХ:{NOW.isoformat()}" in keys
    assert f"spike:incidents:settlement:Кингисепп:{NOW.isoformat()}" in keys


def test_no_history_in_the_database_no_spike(db: Database) -> None:
    burst = [p for p in stream() if p[0].post_id.startswith("burst")]
    posts = PostStore(db)
    posts.save_batch([p for p, _ in burst], [], NOW - HOUR, source_id=SOURCES[0])
    posts.save_analyses(burst, NOW - HOUR)
    snapshot = read_snapshot(posts, IncidentStore(db), municipality(), NOW)
    assert snapshot.spike_counts and snapshot.spike_counts[("negative", "block", "ЖКХ")][0] == 14
    assert [a for a in detect(snapshot, municipality(), NOW) if a.kind is AlertKind.SPIKE] == []


def test_a_new_installation_on_an_ordinary_day_alerts_on_nothing(db: Database) -> None:
    """Cold start end to end: the first two hours ever collected, a busy but ordinary morning
    (many negative ЖКХ complaints, low risk, no watched words): no rule has a reason to speak."""
    ordinary = [
        pair(
            f"m{i}",
            "Опять нет воды на Садовой, когда дадут?",
            NOW - timedelta(minutes=4 * i + 1),
            block="ЖКХ",
            settlement="Кингисепп",
            sentiment="negative",
            is_incident=False,
            risk_score=0.3,
        )
        for i in range(30)
    ]
    posts = PostStore(db)
    posts.save_batch([p for p, _ in ordinary], [], NOW - 5 * timedelta(minutes=1), source_id=SOURCES[0])
    posts.save_analyses(ordinary, NOW - timedelta(minutes=4))
    snapshot = read_snapshot(posts, IncidentStore(db), municipality(), NOW)
    assert len(snapshot.posts) == 30 and snapshot.observed_since is not None
    assert detect(snapshot, municipality(), NOW) == []
