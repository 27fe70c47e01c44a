"""VK wire items in, canonical ``Post``s out, field by field.

The items are VK API 5.199 answers as recorded from ``wall.get`` / ``wall.getComments``
(ids and photo URLs shortened), including Cyrillic with emoji, an edited post, a deleted
post placeholder, a deleted comment, a thread reply and a repost chain.
"""

from __future__ import annotations

from datetime import UTC, datetime

from crawlers.vk.convert import (
    comment_to_post,
    raw_payload,
    tombstone,
    wall_item_to_posts,
    wall_item_to_records,
)
from infopole.domain.post import Attachment, Geo, Metrics, Platform, PostKind, pseudonymise

SALT = "test-salt"

POST = {
    "inner_type": "wall_wallpost",
    "id": 48211,
    "owner_id": -100003,
    "from_id": 382910455,
    "date": 1732430520,
    "edited": 1732431000,
    "post_type": "post",
    "text": "Третий день нет горячей воды на Карла Маркса 8 😡 Водоканал трубку не берёт!!! #Кингисепп",
    "attachments": [
        {
            "type": "photo",
            "photo": {
                "id": 457239017,
                "owner_id": -100003,
                "text": "",
                "sizes": [
                    {"type": "m", "width": 130, "height": 97, "url": "https://sun9-1.userapi.com/m.jpg"},
                    {"type": "x", "width": 604, "height": 453, "url": "https://sun9-1.userapi.com/x.jpg"},
                ],
            },
        },
        {"type": "link", "link": {"url": "https://vodokanal-kingisepp.ru/", "title": "Водоканал"}},
    ],
    "comments": {"can_post": 1, "count": 17, "groups_can_post": True},
    "likes": {"can_like": 1, "count": 54, "user_likes": 0, "can_publish": 1},
    "reposts": {"count": 6, "wall_count": 5, "mail_count": 1, "user_reposted": 0},
    "views": {"count": 3120},
    "geo": {"type": "point", "coordinates": "59.373100 28.612300", "showmap": 1},
    "post_source": {"type": "api"},
    "hash": "Ab3",
}


def test_wall_post_fields() -> None:
    [post] = wall_item_to_posts(POST, source_id="vk-podslushano", salt=SALT)
    assert post.platform is Platform.VK
    assert post.kind is PostKind.POST
    assert post.owner_id == "-100003"
    assert post.post_id == "48211"
    assert post.key == "vk:-100003:48211"
    assert post.source_id == "vk-podslushano"
    assert post.url == "https://vk.com/wall-100003_48211"
    assert post.text.startswith("Третий день нет горячей воды на Карла Маркса 8 😡")
    assert post.published_at == datetime(2024, 11, 24, 6, 42, tzinfo=UTC)
    assert post.edited_at == datetime(2024, 11, 24, 6, 50, tzinfo=UTC)
    assert post.is_deleted is False
    assert post.is_pinned is False
    assert post.metrics == Metrics(likes=54, reposts=6, views=3120, comments=17)
    assert post.geo == Geo(lat=59.3731, lon=28.6123)
    assert post.attachments == (
        Attachment(kind="photo", url="https://sun9-1.userapi.com/x.jpg"),
        Attachment(kind="link", url="https://vodokanal-kingisepp.ru/", title="Водоканал"),
    )
    assert post.author_id == pseudonymise(Platform.VK, 382910455, SALT)
    assert post.author_id != "382910455" and "382910455" not in post.author_id
    assert post.author_is_community is False
    assert post.parent_key is None and post.copy_of_key is None


def test_community_post_pinned_and_unedited() -> None:
    item = {
        "id": 9001,
        "owner_id": -100001,
        "from_id": -100001,
        "date": 1732000000,
        "is_pinned": 1,
        "text": "Уважаемые жители! Телефон ЕДДС: 8 (81375) 4-88-88",
        "likes": {"count": 3},
        "reposts": {"count": 0},
        "comments": {"count": 0},
    }
    [post] = wall_item_to_posts(item, source_id="vk-adm", salt=SALT)
    assert post.is_pinned is True
    assert post.author_is_community is True
    assert post.author_id == pseudonymise(Platform.VK, -100001, SALT)
    assert post.edited_at is None
    assert post.geo is None
    assert post.metrics == Metrics(likes=3)


def test_deleted_post_placeholder() -> None:
    item = {
        "id": 48190,
        "owner_id": -100003,
        "date": 1732400000,
        "is_deleted": True,
        "deleted_reason": "Запись удалена",
        "text": "",
    }
    [post] = wall_item_to_posts(item, source_id="vk-podslushano", salt=SALT)
    assert post.is_deleted is True
    assert post.text == ""
    assert post.author_id == ""
    assert post.key == "vk:-100003:48190"


def test_repost_chain_becomes_linked_posts() -> None:
    item = {
        "id": 7702,
        "owner_id": -100004,
        "from_id": -100004,
        "date": 1732440000,
        "text": "Ивангородцы, обратите внимание 👇",
        "copy_history": [
            {
                "id": 3307,
                "owner_id": -100002,
                "from_id": -100002,
                "date": 1732430000,
                "text": "В Ивангороде 26 ноября отключат электричество на Гагарина",
                "post_type": "post",
            },
            {
                "id": 15120,
                "owner_id": -100001,
                "from_id": -100001,
                "date": 1732420000,
                "text": "Плановое отключение электроэнергии 26.11 с 10:00 до 16:00",
                "post_type": "post",
            },
        ],
    }
    outer, first, second = wall_item_to_posts(item, source_id="vk-ivangorod", salt=SALT)
    assert outer.kind is PostKind.POST
    assert outer.copy_of_key == "vk:-100002:3307"
    assert first.kind is PostKind.REPOST
    assert first.key == "vk:-100002:3307"
    assert first.url == "https://vk.com/wall-100002_3307"
    assert first.text == "В Ивангороде 26 ноября отключат электричество на Гагарина"
    assert first.copy_of_key == "vk:-100001:15120"
    assert first.author_is_community is True
    assert second.key == "vk:-100001:15120"
    assert second.copy_of_key is None
    assert second.published_at == datetime.fromtimestamp(1732420000, tz=UTC)
    # one raw payload per post, each its own item
    posts, raws = wall_item_to_records(
        item, source_id="vk-ivangorod", salt=SALT, fetched_at=datetime(2024, 11, 24, tzinfo=UTC)
    )
    assert [raw.item_key for raw in raws] == [post.key for post in posts]
    assert raws[1].payload["id"] == 3307 and raws[0].payload["id"] == 7702


COMMENT = {
    "id": 48230,
    "from_id": -100003,
    "post_id": 48211,
    "owner_id": -100003,
    "parents_stack": [],
    "date": 1732432000,
    "text": "Передали в администрацию, ждём ответа 🙏",
    "likes": {"can_like": 1, "count": 12, "user_likes": 0},
    "thread": {
        "count": 2,
        "items": [
            {
                "id": 48233,
                "from_id": 510022781,
                "post_id": 48211,
                "owner_id": -100003,
                "parents_stack": [48230],
                "date": 1732433000,
                "text": "спасибо!! а то уже кипятим в кастрюлях",
                "reply_to_user": -100003,
                "likes": {"count": 1},
            },
            {
                "id": 48240,
                "from_id": 382910455,
                "post_id": 48211,
                "owner_id": -100003,
                "parents_stack": [48230],
                "date": 1732434000,
                "text": "@id510022781 у нас на Вокзальной тоже",
                "reply_to_user": 510022781,
                "reply_to_comment": 48233,
            },
        ],
        "can_post": True,
        "show_reply_button": True,
        "groups_can_post": True,
    },
}


def test_comment_and_thread_replies() -> None:
    comment = comment_to_post(COMMENT, owner_id=-100003, post_id=48211, source_id="vk-podslushano", salt=SALT)
    assert comment.kind is PostKind.COMMENT
    assert comment.key == "vk:-100003:48230"
    assert comment.url == "https://vk.com/wall-100003_48211?reply=48230"
    assert comment.parent_key == "vk:-100003:48211"
    assert comment.reply_to_key is None
    assert comment.author_is_community is True
    assert comment.metrics == Metrics(likes=12, comments=2)
    assert comment.text == "Передали в администрацию, ждём ответа 🙏"

    to_head, to_reply = (
        comment_to_post(reply, owner_id=-100003, post_id=48211, source_id="vk-podslushano", salt=SALT)
        for reply in COMMENT["thread"]["items"]  # type: ignore[index]
    )
    assert to_head.reply_to_key == "vk:-100003:48230"  # answers the thread head
    assert to_head.url == "https://vk.com/wall-100003_48211?reply=48233&thread=48230"
    assert to_head.author_is_community is False
    assert to_reply.reply_to_key == "vk:-100003:48233"  # answers a reply in the thread
    assert to_reply.parent_key == "vk:-100003:48211"
    assert to_reply.metrics == Metrics()
    assert to_reply.author_id == pseudonymise(Platform.VK, 382910455, SALT)


def test_deleted_comment() -> None:
    item = {
        "id": 48250,
        "from_id": 0,
        "post_id": 48211,
        "owner_id": -100003,
        "parents_stack": [],
        "date": 1732435000,
        "text": "",
        "deleted": True,
        "thread": {"count": 0, "items": []},
    }
    post = comment_to_post(item, owner_id=-100003, post_id=48211, source_id="s", salt=SALT)
    assert post.is_deleted is True
    assert post.text == "" and post.author_id == ""


def test_raw_payload_keeps_item_without_embedded_thread() -> None:
    comment = comment_to_post(COMMENT, owner_id=-100003, post_id=48211, source_id="s", salt=SALT)
    raw = raw_payload(comment, COMMENT, datetime(2024, 11, 24, 8, tzinfo=UTC))
    assert raw.item_key == comment.key
    assert raw.payload["text"] == COMMENT["text"]
    assert raw.payload["thread"] == {
        "count": 2,
        "can_post": True,
        "show_reply_button": True,
        "groups_can_post": True,
    }
    assert "Передали" in raw.payload_json()  # Cyrillic kept readable


def test_post_json_round_trip_after_conversion() -> None:
    [post] = wall_item_to_posts(POST, source_id="vk-podslushano", salt=SALT)
    assert type(post).from_json(post.to_json()) == post


def test_tombstone() -> None:
    post = tombstone(-100003, 48100, datetime(2024, 11, 20, tzinfo=UTC), source_id="s")
    assert post.is_deleted and post.key == "vk:-100003:48100" and post.text == ""
