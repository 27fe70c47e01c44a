"""Source discovery end to end against the fakes: VK (groups.search through execute, groups.getById,
wall samples), OK (search.quick, group.getInfo), the t.me/s preview; storage of candidates and
the administrator's decision through the CLI."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawlers.discovery.ok import OkDiscovery
from crawlers.discovery.run import discover, source_yaml
from crawlers.discovery.score import TerritoryScorer
from crawlers.discovery.telegram import TelegramDiscovery, TelegramDiscoveryConfig
from crawlers.discovery.vk import VkDiscovery
from crawlers.fakes import ok_server, telegram_preview
from crawlers.fakes.vk_server import FakeVkServer, VkDataset, serve_in_thread
from crawlers.ok.client import OkClient
from crawlers.telegram.fetch import PreviewFetcher
from crawlers.vk import VkClient
from infopole.cli import app, example_files
from infopole.config.municipality import Municipality, load_municipality, parse_municipality
from infopole.domain.candidate import Candidate
from infopole.domain.source import SourceKind

TOKEN = "vk1.a.discovery-SECRET"
KINGISEPP = example_files()["kingisepp"]


@pytest.fixture(scope="module")
def municipality() -> Municipality:
    return load_municipality(KINGISEPP)


@pytest.fixture(scope="module")
def scorer(municipality: Municipality) -> TerritoryScorer:
    return TerritoryScorer(municipality)


@pytest.fixture
def vk_server() -> Iterator[FakeVkServer]:
    with serve_in_thread(VkDataset.demo(), tokens=[TOKEN]) as server:
        yield server


def by_target(candidates: list[Candidate]) -> dict[str, Candidate]:
    return {candidate.target: candidate for candidate in candidates}


def factor(candidate: Candidate, name: str) -> float | None:
    return next(f.value for f in candidate.factors if f.name == name)


def test_vk_candidates_are_scored_by_their_tie_to_the_territory(
    vk_server: FakeVkServer, municipality: Municipality, scorer: TerritoryScorer
) -> None:
    client = VkClient(TOKEN, api_url=vk_server.url, requests_per_second=1000)
    run = discover(municipality, vk=VkDiscovery(client, scorer))
    found = by_target(run.candidates)

    assert set(found) == {"-100005", "-100006", "-100007"}, "configured walls are not proposed again"
    ust_luga, saaremaa, market = found["-100005"], found["-100006"], found["-100007"]
    assert ust_luga.settlement == "Усть-Луга" and ust_luga.members == 3400 and ust_luga.city == "Усть-Луга"
    assert ust_luga.url == "https://vk.com/ustluga_today"
    assert factor(ust_luga, "posts") == 0.75 and ust_luga.sample_size == 4  # the sunset names no place
    assert ust_luga.score > 0.9
    # Kuressaare was «Кингисепп» in 1952–1988: the name matches, the city and the posts do not
    assert factor(saaremaa, "name") == 1.0 and factor(saaremaa, "city") == 0.0
    assert factor(saaremaa, "posts") == 0.0 and saaremaa.score < 0.4
    # a closed group: no posts to sample, so that factor has no data instead of counting as zero
    assert factor(market, "posts") is None and market.sample_size == 0 and market.score == 1.0
    assert run.candidates[-1] is saaremaa, "sorted by score"
    assert "vk:Усть-Луга" in ust_luga.found_by
    # a search per settlement and type, 25 per execute request; the 2 open walls' samples in one
    searches = 2 * len(municipality.settlements)
    assert vk_server.count("groups.search") == searches and vk_server.count("wall.get") == 2
    assert vk_server.count() == -(-searches // 25) + 1 + 1  # execute(s), groups.getById, execute (samples)


def test_ok_groups_found_with_search_quick(municipality: Municipality, scorer: TerritoryScorer) -> None:
    dataset = ok_server.OkDataset()
    dataset.add_group("70000000000001", "Администрация Кингисеппского района (ОК)")  # configured
    dataset.add_group(
        "70000000000009", "Ивангород и Нарва — соседи", "Жизнь Ивангорода", members=2100, city="Ивангород",
        shortname="ivangorod.sosedi",
    )  # fmt: skip
    dataset.add_topic("70000000000009", "На Гагарина в Ивангороде прорвало трубу")
    dataset.add_topic("70000000000009", "Кто едет на концерт в субботу?")
    dataset.add_group("70000000000010", "Рецепты выпечки", "Пироги и булочки", members=90000)
    with ok_server.serve_in_thread(dataset, applications={"CBAKEY": "APPSECRET"}, tokens=["tkn"]) as server:
        client = OkClient("CBAKEY", "tkn", application_secret_key="APPSECRET", api_url=server.url,
                          requests_per_second=1000)  # fmt: skip
        found = by_target(
            OkDiscovery(client, scorer).discover(["Ивангород", "Кингисепп"], {"70000000000001"})
        )
        assert server.count(error=104) == 0, "every request was signed correctly"
    assert set(found) == {"70000000000009"}
    group = found["70000000000009"]
    assert group.kind is SourceKind.OK_GROUP and group.url == "https://ok.ru/ivangorod.sosedi"
    assert group.members == 2100 and group.settlement == "Ивангород"
    assert factor(group, "city") == 1.0 and factor(group, "posts") == 0.5


def test_telegram_channels_from_mentions_and_name_patterns(
    municipality: Municipality, scorer: TerritoryScorer
) -> None:
    dataset = telegram_preview.PreviewDataset()
    dataset.add_channel(
        "ustluga_online", "Усть-Луга онлайн 🚢", description="Новости Усть-Луги", subscribers=5300
    )
    dataset.add_message("ustluga_online", "В Усть-Луге ремонтируют дорогу к порту")
    dataset.add_message("ustluga_online", "Паром задерживается")
    dataset.add_channel("vistino_life", "Жизнь Вистино", description="", subscribers=1200)
    dataset.add_message("vistino_life", "В Вистине открыли новую амбулаторию")
    texts = [
        "Подробнее в канале t.me/vistino_life и у @some_person_account",
        "Смотрите https://t.me/s/vistino_life",
    ]
    with telegram_preview.serve_in_thread(dataset) as server:
        fetcher = PreviewFetcher(server.url, min_interval=0.0)
        finder = TelegramDiscovery(fetcher, scorer, TelegramDiscoveryConfig(max_probes=200))
        found = by_target(finder.discover([s.name for s in municipality.settlements], texts, known=set()))
    assert set(found) == {"ustluga_online", "vistino_life"}, "names without a public preview are dropped"
    vistino, ust_luga = found["vistino_life"], found["ustluga_online"]
    assert "tg-mention:2" in vistino.found_by and vistino.settlement == "Вистино"
    assert any(reason.startswith("tg-pattern:Усть-Луга") for reason in ust_luga.found_by)
    assert ust_luga.title == "Усть-Луга онлайн 🚢" and ust_luga.members == 5300
    assert factor(ust_luga, "city") is None and factor(ust_luga, "posts") == 0.5
    assert ust_luga.url == "https://t.me/ustluga_online"


def test_approved_candidate_yields_a_valid_sources_entry(municipality: Municipality) -> None:
    candidate = Candidate(
        kind=SourceKind.VK_WALL, target="-100005", title="Усть-Луга сегодня", url="https://vk.com/ustluga_today",
        settlement="Усть-Луга",
    )  # fmt: skip
    snippet = source_yaml(candidate, [s.id for s in municipality.sources])
    assert snippet.startswith("  - id: vk-ustluga-today\n    kind: vk_wall\n    target: '-100005'\n")
    text = KINGISEPP.read_text(encoding="utf-8").replace("sources:\n", "sources:\n" + snippet, 1)
    added = parse_municipality(text).source("vk-ustluga-today")
    assert added.target == "-100005" and added.settlement == "Усть-Луга"


def test_cli_discover_list_approve_reject(vk_server: FakeVkServer, tmp_path: Path) -> None:
    file = tmp_path / KINGISEPP.name  # approval edits the file: a copy, not the packaged example
    shutil.copy(KINGISEPP, file)
    env = {
        "INFOPOLE_VK_TOKEN": TOKEN,
        "INFOPOLE_VK_API_URL": vk_server.url,
        "INFOPOLE_MUNICIPALITY_FILE": str(file),
        "INFOPOLE_DATA_DIR": str(tmp_path),
    }
    runner = CliRunner()
    first = runner.invoke(app, ["sources", "discover", "-p", "vk"], env=env)
    assert first.exit_code == 0, first.output
    assert "Новых / new: 3" in first.output and "Усть-Луга сегодня" in first.output

    listed = runner.invoke(app, ["sources", "candidates"], env=env)
    assert listed.exit_code == 0 and "Кандидатов: 3" in listed.output

    from infopole.storage.audit import AuditLog
    from infopole.storage.candidates import CandidateStore
    from infopole.storage.db import Database

    db = Database(f"sqlite:///{tmp_path / 'infopole.db'}")
    stored = {c.target: c for c in CandidateStore(db).list()}
    db.close()
    approved = runner.invoke(app, ["sources", "approve", str(stored["-100005"].id)], env=env)
    assert approved.exit_code == 0, approved.output
    assert "added as: vk-ustluga-today" in approved.output
    added = load_municipality(file).source("vk-ustluga-today")  # in the file itself, valid
    assert (added.kind, added.target, added.settlement) == (SourceKind.VK_WALL, "-100005", "Усть-Луга")
    again_approved = runner.invoke(app, ["sources", "approve", str(stored["-100005"].id)], env=env)
    assert again_approved.exit_code == 1 and "уже одобрен" in again_approved.output
    assert file.read_text(encoding="utf-8").count("-100005") == 1, "not added twice"
    rejected = runner.invoke(app, ["sources", "reject", str(stored["-100006"].id)], env=env)
    assert rejected.exit_code == 0

    again = runner.invoke(app, ["sources", "discover", "-p", "vk"], env=env)
    assert "Новых / new: 0; обновлено / updated: 2" in again.output, "the approved page is a source now"
    new_only = runner.invoke(app, ["sources", "candidates"], env=env)
    assert "Кандидатов: 1" in new_only.output, "decisions survive a new discovery run"
    assert runner.invoke(app, ["sources", "approve", "999"], env=env).exit_code == 2
    assert KINGISEPP.read_text(encoding="utf-8").count("-100005") == 0, "the packaged example is untouched"
    db = Database(f"sqlite:///{tmp_path / 'infopole.db'}")
    events = [e for e in AuditLog(db).latest() if e.object_type == "source_candidate"]
    db.close()
    assert [(e.action, e.object_id, e.client) for e in reversed(events)] == [
        ("candidate.approved", str(stored["-100005"].id), "cli"),
        ("candidate.approve.refused", str(stored["-100005"].id), "cli"),
    ]
    assert events[-1].after and events[-1].after["source"]["id"] == "vk-ustluga-today"

    health = runner.invoke(app, ["sources", "health"], env=env)
    assert "vk-adm-kingisepp" in health.output and "unknown" in health.output
