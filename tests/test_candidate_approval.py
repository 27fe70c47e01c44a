"""Approving a discovered candidate edits the municipality file (``infopole.sources.file.add_candidate``)
and only then records the decision (``infopole.sources.approval``); a refused edit changes nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from infopole.cli import example_files
from infopole.config.municipality import load_municipality, parse_municipality
from infopole.domain.candidate import Candidate, CandidateStatus
from infopole.domain.source import SourceKind
from infopole.sources.approval import CandidateNotFound, approve_candidate
from infopole.sources.file import SourceEditError, add_candidate
from infopole.storage.candidates import CandidateStore
from infopole.storage.db import Database

KINGISEPP = example_files()["kingisepp"]
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def file(tmp_path: Path) -> Path:
    copy = tmp_path / KINGISEPP.name
    shutil.copy(KINGISEPP, copy)
    return copy


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CandidateStore]:
    db = Database(f"sqlite:///{tmp_path / 'infopole.db'}")
    yield CandidateStore(db)
    db.close()


def stored(store: CandidateStore, candidate: Candidate) -> Candidate:
    store.save([candidate], NOW)
    return next(c for c in store.list() if (c.kind, c.target) == (candidate.kind, candidate.target))


def test_a_candidate_becomes_a_source_in_the_file_with_comments_kept() -> None:
    text = KINGISEPP.read_text(encoding="utf-8")
    candidate = Candidate(SourceKind.VK_WALL, "-100005", "Усть-Луга сегодня",
                          url="https://vk.com/ustluga_today", settlement="усть-луга")  # fmt: skip
    new_text, municipality, source = add_candidate(text, candidate, "kingisepp.yaml")
    assert (source.id, source.kind, source.target, source.title) == (
        "vk-ustluga-today", SourceKind.VK_WALL, "-100005", "Усть-Луга сегодня",
    )  # fmt: skip
    assert source.settlement == "Усть-Луга", "the file's own spelling of the settlement"
    assert parse_municipality(new_text).source("vk-ustluga-today") == source == municipality.source(source.id)
    comments = [line for line in text.splitlines() if "#" in line]
    assert comments and all(line in new_text.splitlines() for line in comments), "comments kept"
    assert new_text.startswith(text.split("sources:")[0]), "the rest of the file as it was"
    assert len(municipality.sources) == len(parse_municipality(text).sources) + 1


def test_the_id_is_unique_and_an_unknown_settlement_is_left_out() -> None:
    text = KINGISEPP.read_text(encoding="utf-8")
    assert parse_municipality(text).source("vk-adm-kingisepp").target == "-100001"
    # another page whose address gives the id of a source already in the file
    clash = Candidate(SourceKind.VK_WALL, "-999001", "Другая страница", url="https://vk.com/adm_kingisepp",
                      settlement="Атлантида")  # fmt: skip
    _, municipality, source = add_candidate(text, clash, "kingisepp.yaml")
    assert source.id == "vk-adm-kingisepp-2" and municipality.source("vk-adm-kingisepp").target == "-100001"
    assert source.settlement is None, "a settlement the file does not know would fail the check"
    no_address = Candidate(SourceKind.OK_GROUP, "5401234", "")
    assert add_candidate(text, no_address, "kingisepp.yaml")[2].model_dump(exclude_defaults=True) == {
        "id": "ok-5401234", "kind": SourceKind.OK_GROUP, "title": "5401234", "target": "5401234",
    }  # fmt: skip


def test_a_page_already_in_the_file_is_refused_by_kind_and_target() -> None:
    text = KINGISEPP.read_text(encoding="utf-8")
    existing = next(s for s in parse_municipality(text).sources if s.target)
    target = existing.target.upper() if existing.kind is SourceKind.TG_CHANNEL else existing.target
    with pytest.raises(SourceEditError, match=f"уже есть в файле как источник «{existing.id}»"):
        add_candidate(text, Candidate(existing.kind, target, "Тот же"), "kingisepp.yaml")


def test_a_broken_file_is_refused_with_its_problems() -> None:
    text = KINGISEPP.read_text(encoding="utf-8").replace("sources:\n", "sources:\n  - id: Плохой\n", 1)
    with pytest.raises(SourceEditError, match="не проходит проверку"):
        add_candidate(text, Candidate(SourceKind.VK_WALL, "-100005", "Усть-Луга сегодня"), "kingisepp.yaml")


def test_approval_writes_the_file_then_the_decision(file: Path, store: CandidateStore) -> None:
    candidate = stored(
        store, Candidate(SourceKind.TG_CHANNEL, "vistino_life", "Вистино LIFE", settlement="Вистино")
    )
    assert candidate.id is not None
    approval = approve_candidate(file, store, candidate.id, NOW)
    assert approval.source.id == "tg-vistino-life" and approval.candidate.status is CandidateStatus.APPROVED
    assert load_municipality(file).source("tg-vistino-life").target == "vistino_life"
    decided = store.get(candidate.id)
    assert decided is not None and decided.status is CandidateStatus.APPROVED and decided.decided_at == NOW
    assert approval.audit_after()["source"]["id"] == "tg-vistino-life"

    before = file.read_text(encoding="utf-8")
    with pytest.raises(SourceEditError, match="уже одобрен"):
        approve_candidate(file, store, candidate.id, NOW)
    with pytest.raises(CandidateNotFound):
        approve_candidate(file, store, 999, NOW)
    assert file.read_text(encoding="utf-8") == before


def test_a_refused_edit_leaves_the_candidate_pending_and_the_file_as_it_was(
    file: Path, store: CandidateStore
) -> None:
    existing = next(s for s in load_municipality(file).sources if s.target)
    candidate = stored(store, Candidate(existing.kind, existing.target, "Дубль"))
    assert candidate.id is not None
    before = file.read_bytes()
    with pytest.raises(SourceEditError, match="уже есть в файле"):
        approve_candidate(file, store, candidate.id, NOW)
    assert file.read_bytes() == before
    pending = store.get(candidate.id)
    assert pending is not None and pending.status is CandidateStatus.NEW and pending.decided_at is None

    other = stored(store, Candidate(SourceKind.VK_WALL, "-100077", "Новая страница"))
    assert other.id is not None
    file.unlink()  # the file gone (moved by hand, a broken mount): a reason, not a crash
    with pytest.raises(SourceEditError, match="не прочитан или не записан"):
        approve_candidate(file, store, other.id, NOW)
    still = store.get(other.id)
    assert still is not None and still.status is CandidateStatus.NEW
