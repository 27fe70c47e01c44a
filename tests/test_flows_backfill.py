"""``infopole backfill`` against the VK fake: a wall's history between two dates, comments under those
posts only, its own resumable cursor (the live crawl's stays untouched), and a re-run adds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawlers.fakes.vk_server import FakeVkServer, VkDataset
from flows.backfill import backfill, state_id, window
from infopole.config.municipality import load_municipality
from infopole.config.settings import Settings
from infopole.domain.post import Post, PostKind
from infopole.domain.source import Source, SourceKind
from infopole.runtime import Runtime

TOKEN = "backfill-token"
OWNER = -777
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
START, END = date(2026, 9, 1), date(2026, 9, 30)


@pytest.fixture
def wall() -> Iterator[tuple[FakeVkServer, VkDataset]]:
    dataset = VkDataset()
    dataset.add_wall(OWNER, "Подслушано в Кингисеппе")
    day = NOW - timedelta(days=120)
    n = 0
    while day < NOW:  # a post every 12 hours for 120 days, two comments each
        post_id = dataset.add_post(
            OWNER, f"Публикация №{n}: опять нет горячей воды", date=int(day.timestamp())
        )
        for k in range(2):
            dataset.add_comment(
                OWNER, post_id, f"Комментарий {k} к №{n}", from_id=1000 + k, date=int(day.timestamp()) + 60
            )
        day += timedelta(hours=12)
        n += 1
    with FakeVkServer(dataset, tokens=[TOKEN]).start() as fake:
        yield fake, dataset


def runtime_for(fake: FakeVkServer, tmp_path: Path) -> tuple[Runtime, Source]:
    base = load_municipality(Path(str(resources.files("infopole.municipalities") / "kingisepp.yaml")))
    source = Source(id="vk-wall-test", kind=SourceKind.VK_WALL, title="Подслушано", target=str(OWNER))
    settings = Settings(
        data_dir=tmp_path,
        vk_api_url=fake.url,
        vk_token=TOKEN,
        vk_requests_per_second=200,
    )
    return Runtime(settings, base.model_copy(update={"sources": [source]})), source


def test_backfill_stores_the_period_and_resumes_after_an_interruption(
    wall: tuple[FakeVkServer, VkDataset], tmp_path: Path
) -> None:
    fake, dataset = wall
    runtime, source = runtime_for(fake, tmp_path)
    since, until = window(START, END, "Europe/Moscow")
    wanted_posts = {
        f"vk:{OWNER}:{item['id']}"
        for item in dataset.walls[OWNER].posts.values()
        if since.timestamp() <= item["date"] < until.timestamp()
    }
    calls = 0

    def stop_after_two_batches(_source: str, _saved: int, _oldest: datetime | None) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt  # the operator pressed Ctrl+C: two batches are stored with their cursor

    try:
        with pytest.raises(KeyboardInterrupt):
            backfill([source], runtime.collectors, runtime.posts, START, END, "Europe/Moscow", now=NOW,
                     advance=stop_after_two_batches)  # fmt: skip
        report = backfill([source], runtime.collectors, runtime.posts, START, END, "Europe/Moscow", now=NOW)
        assert report.failed == {} and report.skipped == {}
        stored = _all_posts(runtime)
        posts = {p.key for p in stored if p.kind is PostKind.POST}
        comments = [p for p in stored if p.kind is PostKind.COMMENT]
        assert posts == wanted_posts and len(posts) == 60
        assert len(comments) == 2 * len(posts) and {c.parent_key for c in comments} == posts
        assert runtime.posts.cursor(source.id) is None  # the live crawl's cursor is not touched
        assert runtime.posts.cursor(state_id(source, START, END)) is not None

        again = backfill([source], runtime.collectors, runtime.posts, START, END, "Europe/Moscow", now=NOW)
        assert again.saved == {source.id: 0}
        assert runtime.posts.count() == len(stored)
    finally:
        runtime.close()


def _all_posts(runtime: Runtime) -> list[Post]:
    from sqlalchemy import select

    from infopole.storage.tables import PostRow

    with runtime.db.session() as session:
        keys = list(session.scalars(select(PostRow.key)))
    return [post for key in keys if (post := runtime.posts.get(key)) is not None]


def test_backfill_command_checks_its_dates(tmp_path: Path) -> None:
    from infopole.cli import app

    municipality = str(resources.files("infopole.municipalities") / "kingisepp.yaml")
    result = CliRunner().invoke(
        app,
        [
            "backfill",
            "--from",
            "2026-10-01",
            "--to",
            "2026-09-01",
            "-m",
            municipality,
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2
    unknown = CliRunner().invoke(
        app,
        ["backfill", "--from", "2026-09-01", "--to", "2026-09-02", "-s", "nope", "-m", municipality,
         "--data-dir", str(tmp_path)],
    )  # fmt: skip
    assert unknown.exit_code == 2 and "nope" in unknown.output
