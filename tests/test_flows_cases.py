"""The cases step reads only the analyses written since its last run (``analyses.cases_taken``), in a
real database (SQLite and PostgreSQL): a second run reads nothing, a re-analysed post is read again,
a run killed after opening cases but before marking them taken reads its batch again and changes
nothing, and an analysis rewritten while a run works on the old one is not skipped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from flows import steps
from infopole.domain.post import Post
from infopole.storage.db import Database
from infopole.storage.incidents import IncidentStore
from infopole.storage.posts import PostStore
from infopole.storage.tables import IncidentPostRow
from tests.case_fixtures import MUNICIPALITY, NOW, analysis, post

SALT = "cases-cursor-salt"


def _analysed(store: PostStore, *posts: Post) -> None:
    store.save_batch(list(posts), [], NOW)
    store.save_analyses([(p, analysis(p, street=f"улица {p.post_id}")) for p in posts], NOW)


def _run(db: Database, **kwargs: object) -> steps.CasesRun:
    return steps.cases(PostStore(db), IncidentStore(db), MUNICIPALITY, salt=SALT, **kwargs)  # type: ignore[arg-type]


def _linked(db: Database) -> list[str]:
    with db.session() as session:
        return sorted(session.scalars(select(IncidentPostRow.post_key)))


def test_each_run_reads_only_what_is_new(db: Database) -> None:
    store = PostStore(db)
    _analysed(store, *(post(str(n), at=NOW + timedelta(minutes=n)) for n in range(1, 8)))

    first = _run(db, batch_size=3)  # three batches: 3 + 3 + 1
    assert (first.read, first.opened + first.joined) == (7, 7)
    assert _run(db).read == 0  # nothing new: nothing read

    late = post("8", at=NOW + timedelta(hours=1))
    _analysed(store, late)
    again = _run(db)
    assert (again.read, again.opened + again.joined) == (1, 1)

    store.save_analyses([(late, analysis(late, block="ЖКХ"))], NOW + timedelta(hours=2))  # re-analysed
    rerun = _run(db)
    assert (rerun.read, rerun.opened, rerun.joined) == (1, 0, 0)  # read again; already in its case
    assert _linked(db) == sorted(post(str(n)).key for n in range(1, 9))  # each post in one case, once


def test_a_run_killed_before_marking_reads_its_batch_again_and_changes_nothing(db: Database) -> None:
    store = PostStore(db)
    _analysed(store, *(post(str(n), at=NOW + timedelta(minutes=n)) for n in range(1, 5)))

    class Killed(Exception):
        pass

    def die(_what: str, _done: int) -> None:
        raise Killed  # after the cases of the batch were committed, before the batch is marked taken

    with pytest.raises(Killed):
        _run(db, progress=die)
    linked = _linked(db)
    assert len(linked) == 4
    with db.session() as session:
        cases = session.scalar(select(func.count()).select_from(IncidentPostRow))

    resumed = _run(db)
    assert resumed.read == 4  # nothing was marked: the whole batch is read again
    assert (resumed.opened, resumed.joined) == (0, 0)  # and nothing is doubled
    assert _linked(db) == linked
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(IncidentPostRow)) == cases
    assert _run(db).read == 0


def test_an_analysis_rewritten_during_a_run_is_not_skipped(db: Database) -> None:
    store = PostStore(db)
    first = post("1")
    _analysed(store, first)
    batch = store.awaiting_cases()
    assert [p.key for p, _ in batch.pairs] == [first.key]
    store.save_analyses([(first, analysis(first, block="ЖКХ"))], NOW + timedelta(minutes=5))  # meanwhile
    store.cases_taken(batch)  # the run that read the old analysis finishes
    assert [p.key for p, _ in store.awaiting_cases().pairs] == [first.key]


def test_only_comments_that_can_bear_on_a_case_are_looked_at(db: Database) -> None:
    store, incidents = PostStore(db), IncidentStore(db)
    case_post, other_post = post("1"), post("2", text="Концерт в субботу в парке", at=NOW)
    store.save_batch([case_post, other_post], [], NOW)
    incidents.take_incidents([(case_post, analysis(case_post))], MUNICIPALITY, NOW)
    later = NOW + timedelta(minutes=1)
    under = post("3", "Ремонт запланирован на среду", parent=case_post.key, at=later)
    answering = post("4", "Спасибо", parent=other_post.key, at=later + timedelta(minutes=1))
    answering = answering.with_(reply_to_key=under.key)  # answers a comment under the case post
    unrelated = post("5", "Отличный концерт", parent=other_post.key, at=later)
    kept = steps.under_cases(incidents, [answering, unrelated, under])
    assert [c.key for c in kept] == [under.key, answering.key]
    assert steps.under_cases(incidents, []) == []
