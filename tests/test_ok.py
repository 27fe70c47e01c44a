"""The OK client and group collector end to end: real ``requests`` over HTTP against the signing fake.

The fake recomputes every signature on its own and answers 104 when it is wrong, so a
passing crawl is proof the client signs the way OK does; the pinned example below was
checked with coreutils ``md5sum`` by hand.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawlers.base import AuthError, BadRequest, Batch, RateLimited, SourceUnavailable, TransientError
from crawlers.fakes.ok_server import FakeOkServer, OkDataset, serve_in_thread
from crawlers.ok import OkClient, OkCrawlConfig, OkGroupCollector, signature
from crawlers.ok.client import session_secret_key
from crawlers.ok.convert import comment_time
from infopole.config.settings import Settings
from infopole.domain.post import Platform, Post, PostKind, pseudonymise
from infopole.domain.source import Source, SourceKind
from infopole.storage.db import Database
from infopole.storage.posts import PostStore

APP_KEY = "CBAFJIICABABABABA"
APP_SECRET = "0A1B2C3D4E5F6A7B8C9D0E1F-app-secret"
TOKEN = "tkn1-SECRET-ok-token-5d4c3b2a"
GID = "53038939046008"
SOURCE = Source(id="ok-kingisepp", kind=SourceKind.OK_GROUP, title="Кингисепп ОК", target=GID)
SALT = "test-salt"
HOUR = 3600
DAY = 24 * HOUR


# ---------------------------------------------------------------------------------- the signature


def test_signature_matches_a_hand_computed_example() -> None:
    # md5("tkn1Qw2Er3Ty" + "0A1B2C3D4E5F6A7B8C9D0E1F")                        (printf | md5sum)
    secret = session_secret_key("tkn1Qw2Er3Ty", "0A1B2C3D4E5F6A7B8C9D0E1F")
    assert secret == "56112374a6f0777f7c3762df2de364bf"
    params = {
        "application_key": "CBAFJIICABABABABA",
        "method": "group.getInfo",
        "format": "json",
        "uids": "53038939046008",
        "fields": "name,description",
        "access_token": "tkn1Qw2Er3Ty",  # never signed
        "session_key": "ignored",  # never signed
    }
    # md5("application_key=CBAFJIICABABABABAfields=name,descriptionformat=jsonmethod=group.getInfo"
    #     "uids=53038939046008" + secret)                                       (printf | md5sum)
    assert signature(params, secret) == "ed176bd30a253b24a785b3a07935eba1"


def test_signed_form_carries_the_fixed_parameters() -> None:
    client = OkClient(APP_KEY, TOKEN, application_secret_key=APP_SECRET, api_url="http://127.0.0.1:9")
    form = client.signed_params("group.getInfo", {"uids": [GID, "42"], "move": True})
    assert form["uids"] == f"{GID},42" and form["move"] == "true"
    assert form["format"] == "json" and form["method"] == "group.getInfo"
    assert form["access_token"] == TOKEN
    assert form["sig"] == signature(form, session_secret_key(TOKEN, APP_SECRET))


def test_a_session_secret_signs_like_the_application_secret() -> None:
    by_app = OkClient(APP_KEY, TOKEN, application_secret_key=APP_SECRET)
    by_session = OkClient(APP_KEY, TOKEN, session_secret=session_secret_key(TOKEN, APP_SECRET))
    assert by_app.signed_params("x.y", {"a": 1})["sig"] == by_session.signed_params("x.y", {"a": 1})["sig"]


def test_comment_dates_are_moscow_time() -> None:
    assert comment_time({"date": "2026-11-23 21:30:00"}) == datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
    assert comment_time({"date_ms": 1_795_000_000_000, "date": "x"}) == datetime.fromtimestamp(
        1_795_000_000, UTC
    )


# ---------------------------------------------------------------------------------- end to end


def build_group(now: int) -> tuple[OkDataset, dict[str, str]]:
    """70 topics over ten days (two getTopics pages of 50), an old pinned one, comments on two of them."""
    dataset = OkDataset()
    dataset.add_group(GID, "Кингисепп — наш город", "Новости и жалобы жителей")
    ids: dict[str, str] = {}
    ids["pinned"] = dataset.add_topic(GID, "Правила группы 📌", created=now - 60 * DAY, pinned=True)
    for n in range(70):
        ids[f"t{n}"] = dataset.add_topic(
            GID,
            f"Тема №{n}: во дворе на Октябрьской не убран снег ❄️",
            created=now - 10 * DAY + n * 3 * HOUR,
            author=f"user:58000{n:05d}",
            likes=n,
            reshares=n // 10,
        )
    ids["recent"] = ids["t69"]
    ids["old"] = ids["t5"]
    for key in ("recent", "old"):
        head = dataset.add_comment(
            GID, ids[key], "Когда уберут?! 😠", author_id="5800000001", date=now - 2 * HOUR
        )
        ids[f"{key}_head"] = head
        for m in range(3):
            dataset.add_comment(
                GID, ids[key], f"ответ {m} 👍", author_id=f"58000002{m}", date=now - HOUR, reply_to=head
            )
    return dataset, ids


def settings_for(server: FakeOkServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "ok_api_url": server.url,
        "ok_application_key": APP_KEY,
        "ok_access_token": TOKEN,
        "ok_application_secret_key": APP_SECRET,
        "author_salt": SALT,
    }
    values.update(overrides)
    return Settings(**values)


def collector_for(
    server: FakeOkServer, config: OkCrawlConfig | None = None, **settings: Any
) -> OkGroupCollector:
    client = OkClient.from_settings(
        settings_for(server, **settings), requests_per_second=1000, backoff_initial=0.01, backoff_max=0.02
    )
    return OkGroupCollector(
        client, salt=SALT, config=config or OkCrawlConfig(rescan_window=timedelta(days=2))
    )


def crawl(collector: OkGroupCollector, cursor: dict[str, Any] | None) -> tuple[list[Batch], dict[str, Any]]:
    batches = list(collector.collect(SOURCE, cursor))
    return batches, json.loads(json.dumps(batches[-1].cursor))


def posts_of(batches: list[Batch]) -> list[Post]:
    return [post for batch in batches for post in batch.posts]


@pytest.fixture
def now() -> int:
    return int(time.time())


@pytest.fixture
def group(now: int) -> tuple[OkDataset, dict[str, str]]:
    return build_group(now)


@pytest.fixture
def server(group: tuple[OkDataset, dict[str, str]]) -> Iterator[FakeOkServer]:
    with serve_in_thread(group[0], applications={APP_KEY: APP_SECRET}, tokens=[TOKEN]) as running:
        yield running


def test_first_crawl_collects_topics_and_comments_field_by_field(
    server: FakeOkServer, group: tuple[OkDataset, dict[str, str]], now: int
) -> None:
    _, ids = group
    batches, cursor = crawl(collector_for(server), None)
    posts = {post.post_id: post for post in posts_of(batches)}
    topics = [post for post in posts.values() if post.kind is PostKind.POST]
    comments = [post for post in posts.values() if post.kind is PostKind.COMMENT]
    assert len(topics) == 71  # 70 within the 14-day backfill, plus the pinned one
    assert len(comments) == 8
    assert server.count(error=104) == 0

    topic = posts[ids["t69"]]
    assert topic.platform is Platform.OK
    assert topic.key == f"ok:{GID}:{ids['t69']}"
    assert topic.url == f"https://ok.ru/group/{GID}/topic/{ids['t69']}"
    assert topic.text == "Тема №69: во дворе на Октябрьской не убран снег ❄️"
    assert topic.published_at == datetime.fromtimestamp(now - 10 * DAY + 69 * 3 * HOUR, UTC)
    assert topic.author_id == pseudonymise(Platform.OK, "5800000069", SALT)
    assert not topic.author_is_community
    assert (topic.metrics.likes, topic.metrics.reposts, topic.metrics.comments) == (69, 6, 4)
    assert posts[ids["pinned"]].is_pinned and posts[ids["pinned"]].author_is_community

    head = posts[ids["recent_head"]]
    assert head.text == "Когда уберут?! 😠"
    assert head.parent_key == topic.key and head.reply_to_key is None
    assert head.published_at == datetime.fromtimestamp(now - 2 * HOUR, UTC)
    replies = [post for post in comments if post.reply_to_key == head.key]
    assert sorted(post.text for post in replies) == ["ответ 0 👍", "ответ 1 👍", "ответ 2 👍"]
    assert cursor["scan"] is None and cursor["queue"] == []
    assert set(cursor["comment_anchors"]) == {ids["recent"], ids["old"]}  # where the next crawl resumes


def test_incremental_crawl_fetches_only_new_topics_and_new_comments(
    server: FakeOkServer, group: tuple[OkDataset, dict[str, str]], now: int
) -> None:
    dataset, ids = group
    collector = collector_for(server)
    _, cursor = crawl(collector, None)
    fresh = dataset.add_topic(GID, "Новая тема: прорыв трубы на Воровского 💧", created=now - 60)
    late = dataset.add_comment(GID, ids["recent"], "Уже починили", author_id="5800000099", date=now - 30)
    before = server.count()
    batches, cursor = crawl(collector, cursor)
    posts = {post.post_id: post for post in posts_of(batches)}
    window = {
        ids[f"t{n}"] for n in range(70) if now - 10 * DAY + n * 3 * HOUR > now - 2 * DAY + 5
    }  # the crawl clock runs a little after now
    assert set(posts) == window | {fresh, late, ids["pinned"]}  # the pinned one on every pass
    assert posts[ids["pinned"]].is_pinned
    assert posts[late].kind is PostKind.COMMENT and posts[late].parent_key == f"ok:{GID}:{ids['recent']}"
    assert server.count() - before == 2  # one getTopics page, one getComments after the stored anchor
    assert cursor["max_created_ms"] == dataset.groups[GID].topics[fresh]["created_ms"]


def test_edits_and_deletions_in_the_window(
    server: FakeOkServer, group: tuple[OkDataset, dict[str, str]]
) -> None:
    dataset, ids = group
    collector = collector_for(server)
    _, cursor = crawl(collector, None)
    dataset.edit_topic(GID, ids["t68"], "Тема №68 (исправлено): снег убрали ✅")
    dataset.delete_topic(GID, ids["t67"])
    batches, _ = crawl(collector, cursor)
    posts = {post.post_id: post for post in posts_of(batches)}
    assert posts[ids["t68"]].text == "Тема №68 (исправлено): снег убрали ✅"
    assert posts[ids["t67"]].is_deleted and posts[ids["t67"]].text == ""
    assert server.count("mediatopic.getByIds") == 1


def test_a_crash_mid_crawl_resumes_without_loss_or_duplicates(
    server: FakeOkServer, group: tuple[OkDataset, dict[str, str]]
) -> None:
    collector = collector_for(server)
    stored: dict[str, Any] | None = None
    keys: list[str] = []
    for batch in collector.collect(SOURCE, None):
        keys += [post.key for post in batch.posts]
        stored = json.loads(json.dumps(batch.cursor))
        break  # the worker died after the first batch
    batches, _ = crawl(collector, stored)
    keys += [post.key for post in posts_of(batches)]
    assert len(keys) == len(set(keys)) == 71 + 8


@pytest.mark.parametrize(
    ("code", "error", "attempts"),
    [
        (8, RateLimited, 1),
        (11, RateLimited, 1),
        (102, AuthError, 1),
        (104, AuthError, 1),
        (10, AuthError, 1),
        (100, BadRequest, 1),
        (300, SourceUnavailable, 1),
        (455, SourceUnavailable, 1),
        (2, TransientError, 4),
    ],
)
def test_error_codes(server: FakeOkServer, code: int, error: type[Exception], attempts: int) -> None:
    server.fail("mediatopic.getTopics", code, times=10)
    with pytest.raises(error) as caught:
        list(collector_for(server).collect(SOURCE, None))
    assert getattr(caught.value, "code", None) == code
    assert server.count("mediatopic.getTopics") == attempts  # only transient errors are retried
    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after > 0 and caught.value.method == "mediatopic.getTopics"
    if isinstance(caught.value, SourceUnavailable):
        assert caught.value.source_id == SOURCE.id


def test_transient_errors_are_retried_then_succeed(server: FakeOkServer) -> None:
    server.fail("mediatopic.getTopics", 1, times=2)
    batches, _ = crawl(collector_for(server), None)
    assert len(posts_of(batches)) == 71 + 8
    assert server.count("mediatopic.getTopics", error=1) == 2


def test_a_wrong_secret_is_a_bad_signature_and_never_retried(server: FakeOkServer) -> None:
    with pytest.raises(AuthError) as caught:
        list(collector_for(server, ok_application_secret_key="not-the-secret").collect(SOURCE, None))
    assert caught.value.code == 104
    assert server.count(error=104) == 1


def test_an_expired_token_is_an_auth_error(server: FakeOkServer) -> None:
    with pytest.raises(AuthError) as caught:
        list(collector_for(server, ok_access_token="expired-token").collect(SOURCE, None))
    assert caught.value.code == 102


def test_a_deleted_topic_skips_only_its_comments(
    server: FakeOkServer, group: tuple[OkDataset, dict[str, str]]
) -> None:
    server.fail("discussions.getComments", 300, times=1)
    batches, cursor = crawl(collector_for(server), None)
    comments = [post for post in posts_of(batches) if post.kind is PostKind.COMMENT]
    assert len(comments) == 4  # the first topic's comments were skipped, the second's collected
    assert cursor["queue"] == []


def test_missing_credentials_are_an_auth_error() -> None:
    with pytest.raises(AuthError, match="INFOPOLE_OK_ACCESS_TOKEN"):
        OkClient.from_settings(Settings(ok_application_key=APP_KEY, ok_application_secret_key=APP_SECRET))


def test_secrets_never_leak(server: FakeOkServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = (TOKEN, APP_SECRET, session_secret_key(TOKEN, APP_SECRET))
    collector = collector_for(server)
    batches, _ = crawl(collector, None)
    server.fail("mediatopic.getTopics", 2, times=10)
    failures: list[Exception] = []
    try:
        list(collector.collect(SOURCE, None))
    except TransientError as exc:
        failures.append(exc)
    try:
        list(collector_for(server, ok_application_secret_key="wrong").collect(SOURCE, None))
    except AuthError as exc:
        failures.append(exc)
    assert len(failures) == 2
    texts = [caplog.text, repr(collector.client), *(str(exc) + repr(exc) for exc in failures)]
    texts += [raw.payload_json() for batch in batches for raw in batch.raw]
    texts += [json.dumps(batch.cursor) for batch in batches]
    for secret in secrets:
        assert not any(secret in text for text in texts)
    assert "retry" in caplog.text  # the retries were logged, just without secrets
    # the token does reach the wire (as it must), only there
    assert any(TOKEN in request for request in server.raw_requests)


# ------------------------------------------------------------------------- comment edits and deletions


def replies_of(dataset: OkDataset, topic_id: str) -> list[str]:
    return [c["id"] for c in dataset.groups[GID].comments[topic_id] if c.get("reply_to_comment_id")]


def test_comment_edits_and_deletions_of_young_topics(
    server: FakeOkServer, group: tuple[OkDataset, dict[str, str]], tmp_path: Path
) -> None:
    """A young topic's discussion is read again in full: an edit is a new revision, a gap a deletion."""
    dataset, ids = group
    store = PostStore(Database(f"sqlite:///{tmp_path / 'posts.db'}"))
    config = OkCrawlConfig(rescan_window=timedelta(days=2), comments_recheck=timedelta(days=2))
    collector = collector_for(server, config)
    for batch in collector.collect(SOURCE, None):
        store.save_batch(batch.posts, batch.raw, datetime.now(UTC), SOURCE.id, batch.cursor)
    cursor = store.cursor(SOURCE.id)
    reply = replies_of(dataset, ids["recent"])[1]
    written = comment_time(next(c for c in dataset.groups[GID].comments[ids["recent"]] if c["id"] == reply))
    dataset.edit_comment(GID, ids["recent"], ids["recent_head"], "Когда уберут?! Уже неделю ждём 😠")
    dataset.delete_comment(GID, ids["recent"], reply)
    batches, _ = crawl(collector, cursor)
    for batch in batches:
        store.save_batch(batch.posts, batch.raw, datetime.now(UTC), SOURCE.id, batch.cursor)

    posts = {post.post_id: post for post in posts_of(batches)}
    assert {post_id for post_id, post in posts.items() if post.is_deleted} == {reply}
    gone = posts[reply]
    assert gone.kind is PostKind.COMMENT and gone.parent_key == f"ok:{GID}:{ids['recent']}"
    assert gone.published_at == written
    head_key = f"ok:{GID}:{ids['recent_head']}"
    stored_head = store.get(head_key)
    assert stored_head is not None and stored_head.text == "Когда уберут?! Уже неделю ждём 😠"
    assert [r.text for r in store.revisions(head_key)] == [
        "Когда уберут?! 😠",
        "Когда уберут?! Уже неделю ждём 😠",
    ]
    stored_reply = store.get(f"ok:{GID}:{reply}")
    assert stored_reply is not None and stored_reply.is_deleted and stored_reply.text == "ответ 1 👍"
    assert ids["old_head"] not in posts, "topics past comments_recheck are not read again"
    # reported once: the next crawl does not tombstone it again
    later, _ = crawl(collector, store.cursor(SOURCE.id))
    assert not [post for post in posts_of(later) if post.is_deleted]


def test_a_deletion_under_an_older_window_topic_is_found_by_its_count(
    server: FakeOkServer, group: tuple[OkDataset, dict[str, str]]
) -> None:
    dataset, ids = group
    config = OkCrawlConfig(rescan_window=timedelta(days=2), comments_recheck=timedelta(hours=1))
    collector = collector_for(server, config)
    _, cursor = crawl(collector, None)
    reply = replies_of(dataset, ids["recent"])[0]
    dataset.delete_comment(GID, ids["recent"], reply)  # 4 → 3 comments: the whole discussion again
    before = server.count("discussions.getComments")
    batches, cursor = crawl(collector, cursor)
    assert [post.post_id for post in posts_of(batches) if post.is_deleted] == [reply]
    assert server.count("discussions.getComments") - before == 1
    assert reply not in cursor["comment_ids"][ids["recent"]] and cursor["rescan"] == []


def test_an_ok_comment_pass_cut_short_marks_nothing(
    server: FakeOkServer, group: tuple[OkDataset, dict[str, str]]
) -> None:
    dataset, ids = group
    config = OkCrawlConfig(
        rescan_window=timedelta(days=2), comments_recheck=timedelta(days=2), comments_page_size=2
    )
    collector = collector_for(server, config)
    _, cursor = crawl(collector, None)
    reply = replies_of(dataset, ids["recent"])[2]
    dataset.delete_comment(GID, ids["recent"], reply)
    stored: list[Batch] = []
    for batch in collector.collect(SOURCE, cursor):
        stored.append(batch)
        if batch.cursor["pass_anchor"] is not None:
            break  # the worker dies in the middle of the topic's full pass
    assert stored[-1].cursor["rescan"] == [ids["recent"]]
    assert not [post for post in posts_of(stored) if post.is_deleted], "a partial pass marks nothing"
    resumed, cursor = crawl(collector, json.loads(json.dumps(stored[-1].cursor)))
    assert [post.post_id for post in posts_of(resumed) if post.is_deleted] == [reply]
    keys = [post.key for post in posts_of(stored) + posts_of(resumed) if post.kind is PostKind.COMMENT]
    assert len(keys) == len(set(keys)), "the resumed pass went on from its anchor"


def test_secrets_never_reach_the_database(server: FakeOkServer, tmp_path: Path) -> None:
    path = tmp_path / "infopole.db"
    db = Database(f"sqlite:///{path}")
    store = PostStore(db)
    collector = collector_for(server)
    for batch in collector.collect(SOURCE, None):
        store.save_batch(batch.posts, batch.raw, datetime.now(UTC), SOURCE.id, batch.cursor)
    for failing in (collector, collector_for(server, ok_application_secret_key="wrong")):
        server.fail("mediatopic.getTopics", 2, times=10)
        try:
            list(failing.collect(SOURCE, None))
        except Exception as exc:  # what the flow records as the source's last error
            store.record_failure(SOURCE.id, datetime.now(UTC), f"{type(exc).__name__}: {exc}")
    db.close()
    dump = "\n".join(sqlite3.connect(path).iterdump())
    assert "mediatopic.getTopics" in dump and store.count() == 71 + 8
    for secret in (TOKEN, APP_SECRET, session_secret_key(TOKEN, APP_SECRET)):
        assert secret not in dump


def old_official_group(now: int) -> tuple[OkDataset, dict[str, str]]:
    """Topics of 25, 20, 12 and 1 days ago, and rules pinned 60 days ago."""
    dataset = OkDataset()
    dataset.add_group(GID, "Администрация", "Официальная группа")
    ids = {"pinned": dataset.add_topic(GID, "Правила", created=now - 60 * DAY, pinned=True)}
    for age in (25, 20, 12, 1):
        ids[f"d{age}"] = dataset.add_topic(GID, f"Новость {age}", created=now - age * DAY)
    ids["c12"] = dataset.add_comment(GID, ids["d12"], "Спасибо", author_id="5800000001", date=now - 11 * DAY)
    return dataset, ids


def test_comments_under_older_official_topics_are_read_when_their_count_changes(now: int) -> None:
    dataset, ids = old_official_group(now)
    official = SOURCE.model_copy(update={"official": True})
    config = OkCrawlConfig(rescan_window=timedelta(days=2), backfill=timedelta(days=90))
    with serve_in_thread(dataset, applications={APP_KEY: APP_SECRET}, tokens=[TOKEN]) as server:
        collector = collector_for(server, config)
        plain = list(collector.collect(SOURCE, None))[-1].cursor
        cursor = list(collector.collect(official, None))[-1].cursor
        assert set(cursor["window"]) == {ids[k] for k in ("d25", "d20", "d12", "d1", "pinned")}
        complaint = dataset.add_comment(GID, ids["d20"], "Яму не засыпали!", author_id="5800000002")
        answer = dataset.add_comment(GID, ids["d20"], "Передали в ЖКХ", as_group=True, reply_to=complaint)

        missed = posts_of(list(collector.collect(SOURCE, plain)))  # an ordinary group: not looked at
        assert complaint not in {post.post_id for post in missed}

        before = server.count()
        batches = list(collector.collect(official, cursor))
        found = {post.post_id: post for post in posts_of(batches)}
        assert found[complaint].parent_key == f"ok:{GID}:{ids['d20']}"
        assert found[answer].author_is_community
        assert found[ids["d20"]].metrics.comments == 2
        assert ids["d25"] not in found and ids["d12"] not in found and ids["c12"] not in found
        assert server.count() - before == 2  # one getTopics page, one getComments of the changed topic

        dataset.delete_comment(GID, ids["d12"], ids["c12"])  # fewer: the whole discussion is read again
        batches = list(collector.collect(official, batches[-1].cursor))
        gone = {post.post_id: post for post in posts_of(batches)}
        assert gone[ids["c12"]].is_deleted


def test_an_unpinned_topic_is_stored_unpinned(now: int) -> None:
    dataset, ids = old_official_group(now)
    with serve_in_thread(dataset, applications={APP_KEY: APP_SECRET}, tokens=[TOKEN]) as server:
        collector = collector_for(server, OkCrawlConfig(backfill=timedelta(days=90)))
        batches, cursor = crawl(collector, None)
        assert {p.post_id: p for p in posts_of(batches)}[ids["pinned"]].is_pinned
        batches, cursor = crawl(collector, cursor)
        assert {p.post_id: p for p in posts_of(batches)}[ids["pinned"]].is_pinned  # on every pass
        question = dataset.add_comment(GID, ids["pinned"], "Куда писать про яму?", author_id="5800000003")
        batches, cursor = crawl(collector, cursor)
        assert question in {p.post_id for p in posts_of(batches)}  # its comments are watched

        dataset.groups[GID].topics[ids["pinned"]].pop("is_pinned")
        batches, cursor = crawl(collector, cursor)
        topic = {p.post_id: p for p in posts_of(batches)}[ids["pinned"]]
        assert not topic.is_pinned and not topic.is_deleted and topic.text == "Правила"
        batches, cursor = crawl(collector, cursor)
        assert ids["pinned"] not in {p.post_id for p in posts_of(batches)}
