"""Benchmark of the search index: both backends in one run, on the same generated posts.

    .venv/bin/python bench/index.py [--docs 1000000] [--es-url http://127.0.0.1:9200]
                                    [--backends embedded,elasticsearch]

Prints, per backend: indexing throughput (documents per second through ``SearchIndex.upsert``,
generation excluded), p50/p95 latency of a typical analyst query with facets (a page of hits
plus ``aggregate`` of the same query) and of the heat-map aggregation over the last quarter,
and the disk size.

Posts are realistic enough for the engines to do real work: a year of dates with a daily
rhythm, the Кингисепп district's settlements and blocks, platforms and sources with skewed
volumes, sentiment tied to the topic, Russian text assembled from a vocabulary of municipal
phrases. Lemmas are computed once per phrase (``nlp.lemmas``), so generating a million posts
costs seconds, not the hours real lemmatisation would take.

Queries use the real clock, as in production: the relative dates resolve to new instants each
time, so Elasticsearch's request cache cannot answer a repeated aggregation from memory.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # run as ``python bench/index.py``: this file's own name would shadow the ``index`` package
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from index.base import SearchIndex, SearchRequest
from index.document import IndexDocument
from infopole.config.municipality import load_municipality
from nlp.lemmas import lemma_text

MUNICIPALITY = Path(__file__).resolve().parents[1] / "infopole" / "municipalities" / "kingisepp.yaml"
CHUNK = 20_000  # documents per upsert call: the indexing flow sends batches, not one huge stream

# phrases per block, with the tone they usually carry
TOPICS: dict[str, list[tuple[str, str]]] = {
    "ЖКХ": [
        ("третий день нет горячей воды", "negative"),
        ("из крана течёт ржавая вода", "negative"),
        ("батареи в квартире холодные", "negative"),
        ("управляющая компания не отвечает на звонки", "negative"),
        ("прорвало трубу отопления в подвале", "negative"),
        ("водоканал сообщает о плановом отключении воды", "neutral"),
        ("подъезд наконец отремонтировали", "positive"),
    ],
    "Дороги": [
        ("ямы на дороге огромные", "negative"),
        ("асфальт положили прямо в лужи", "negative"),
        ("дорогу так и не отремонтировали", "negative"),
        ("тротуар не почистили от снега", "negative"),
        ("спасибо дорожникам за новый асфальт", "positive"),
        ("мост закрыт на ремонт до весны", "neutral"),
    ],
    "Мусор/Свалки/ТКО": [
        ("мусор не вывозят уже неделю", "negative"),
        ("контейнеры переполнены", "negative"),
        ("свалка у реки горит", "negative"),
        ("поставили новые контейнеры для раздельного сбора", "positive"),
    ],
    "Электроснабжение": [
        ("свет отключили во всём микрорайоне", "negative"),
        ("фонари на улице не горят", "negative"),
        ("столб упал на провода", "negative"),
        ("электричество дали через час", "neutral"),
    ],
    "Здравоохранение/Медицина": [
        ("в поликлинике очередь к терапевту на две недели", "negative"),
        ("скорая ехала больше часа", "negative"),
        ("не могу записаться к врачу", "negative"),
        ("в больнице открыли новое отделение", "positive"),
    ],
    "Образование": [
        ("в школе прошёл концерт", "positive"),
        ("детский сад закрыли на карантин", "negative"),
        ("в школе холодно в классах", "negative"),
        ("набор в первый класс начнётся в апреле", "neutral"),
    ],
    "Общественный транспорт": [
        ("автобус опять не пришёл", "negative"),
        ("ждали автобус сорок минут на морозе", "negative"),
        ("изменилось расписание пригородных автобусов", "neutral"),
    ],
    "Благоустройство": [
        ("сломали детскую площадку", "negative"),
        ("во дворе высадили деревья", "positive"),
        ("благоустройство сквера идёт медленно", "negative"),
    ],
    "Безопасность": [
        ("ночью во дворе шумела компания", "negative"),
        ("полиция не приехала на вызов", "negative"),
        ("бродячие собаки нападают на детей", "negative"),
    ],
    "Культура": [
        ("хор ветеранов выступил в доме культуры", "positive"),
        ("в библиотеке открылась выставка", "positive"),
    ],
    "Газ и топливо": [
        ("газ подключили к новым домам", "positive"),
        ("пахнет газом в подъезде", "negative"),
    ],
    "Торговля": [("цены в магазинах растут", "negative"), ("открылся новый рынок", "positive")],
    "Экология": [("дым по всему посёлку", "negative"), ("в реке погибла рыба", "negative")],
    "Физическая культура и спорт": [("открыли новый спортивный зал", "positive")],
}
GENERIC = [
    "жители просят разобраться",
    "администрация обещала решить вопрос",
    "когда это закончится",
    "обращались уже несколько раз",
    "сообщаем для сведения жителей",
    "фото прилагаем",
    "просим помощи",
    "спасибо за оперативность",
]
STREETS = ["улица Ленина", "Октябрьская улица", "улица Садовая", "проспект Карла Маркса", "улица Иванова"]
ORGANISATIONS = ["УК Жилсервис", "Водоканал", "Кингисеппская межрайонная больница", "Леноблэнерго"]
PLATFORMS = [("vk", 0.6), ("telegram", 0.25), ("ok", 0.15)]
BLOCK_WEIGHT = {"ЖКХ": 6, "Дороги": 4, "Мусор/Свалки/ТКО": 3, "Электроснабжение": 2, "Благоустройство": 2}
HOUR_WEIGHT = [1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9, 9, 9, 9, 10, 10, 11, 12, 12, 10, 7, 4, 2]

QUERIES = [
    "вода block:ЖКХ date:-30d",
    '"горячей воды" date:-7d',
    "block:Дороги sentiment:negative date:-30d",
    "(свет OR электричество) date:-14d",
    "мусор settlement:Кингисепп date:-30d",
    "risk>0.7 date:-7d",
    "автобус OR транспорт date:-30d",
    "block:ЖКХ incident:true date:-14d",
]
HEAT_QUERY = "date:-90d"


class Vocabulary:
    """Phrases with their lemmas computed once, so a post's lemmas are a join, not a morphology run."""

    def __init__(self) -> None:
        self.lemmas: dict[str, str] = {}
        for phrases in TOPICS.values():
            for phrase, _ in phrases:
                self.lemmas[phrase] = lemma_text(phrase)
        for phrase in [*GENERIC, *STREETS, *(f"в {name}" for name in ORGANISATIONS)]:
            self.lemmas[phrase] = lemma_text(phrase)


def generate(count: int, *, seed: int = 7, end: datetime | None = None) -> Iterator[IndexDocument]:
    """``count`` posts over the year before ``end``, deterministic for a seed."""
    rng = random.Random(seed)
    vocabulary = Vocabulary()
    municipality = load_municipality(MUNICIPALITY)
    settlements = [s.name for s in municipality.settlements]
    settlement_weights = [30, 15, 8, *([2] * (len(settlements) - 3))]
    departments = {b: d.name for d in municipality.departments if not d.settlements for b in d.blocks}
    blocks = list(TOPICS)
    block_weights = [BLOCK_WEIGHT.get(block, 1) for block in blocks]
    sources = [(f"{platform}-source-{n}", platform) for platform, _ in PLATFORMS for n in range(15)]
    source_weights = [weight / (n + 1) for _, weight in PLATFORMS for n in range(15)]
    end = end or datetime.now(UTC)
    start_day = (end - timedelta(days=365)).replace(hour=0, minute=0, second=0, microsecond=0)
    for n in range(count):
        block = rng.choices(blocks, block_weights)[0]
        phrases = [rng.choice(TOPICS[block]) for _ in range(rng.randint(1, 3))]
        sentiment = phrases[0][1]
        parts = [phrase for phrase, _ in phrases]
        parts.insert(rng.randint(0, len(parts)), rng.choice(GENERIC))
        street = rng.choice(STREETS) if rng.random() < 0.3 else None
        if street:
            parts.append(street)
        entities: tuple[str, ...] = ()
        if rng.random() < 0.15:
            organisation = rng.choice(ORGANISATIONS)
            parts.append(f"в {organisation}")
            entities = (organisation,)
        text = ". ".join(part.capitalize() for part in parts) + "."
        lemmas = " ".join(vocabulary.lemmas[part] for part in parts)
        moment = start_day + timedelta(
            days=rng.randrange(365),
            hours=rng.choices(range(24), HOUR_WEIGHT)[0],
            minutes=rng.randrange(60),
            seconds=rng.randrange(60),
        )
        moment = min(moment, end - timedelta(seconds=1))
        source, platform = rng.choices(sources, source_weights)[0]
        views = int(rng.lognormvariate(5, 1.3))
        risk = round(min(1.0, rng.betavariate(2, 5) + (0.3 if sentiment == "negative" else 0.0)), 3)
        second = rng.choice(blocks) if rng.random() < 0.1 else None
        all_blocks = (block, second) if second and second != block else (block,)
        yield IndexDocument(
            id=f"{platform}:{source}:{n}",
            text=text,
            lemmas=lemmas,
            published_at=moment,
            platform=platform,
            kind="comment" if rng.random() < 0.3 else "post",
            source_id=source,
            owner_id=source,
            author_id=f"{platform}-author{rng.randrange(50_000)}",
            url=f"https://example.org/{platform}/{n}",
            likes=views // 30,
            reposts=views // 200,
            views=views,
            comments=views // 50,
            reach=views,
            block=block,
            blocks=all_blocks,
            block_scores={b: 0.8 for b in all_blocks},
            sentiment=sentiment,
            is_incident=sentiment == "negative" and risk > 0.5,
            incident_score=risk,
            risk_score=risk,
            toxicity=round(rng.random() * 0.3, 3),
            entities=entities,
            settlement=rng.choices(settlements, settlement_weights)[0] if rng.random() < 0.85 else None,
            street=street,
            department=departments.get(block),
            model_id="bench",
        )


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(function: Callable[[], Any], repeats: int) -> list[float]:
    function()  # warm-up: first-touch caches, lazy structures
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def typical(index: SearchIndex) -> Callable[[], Any]:
    """A page of hits and the facets of the same query, as the analyst's screen asks for them."""
    queries = iter(QUERIES * 10_000)

    def run() -> None:
        query = next(queries)
        index.search(SearchRequest(query, size=20))
        index.aggregate(query)

    return run


def engine_cpu_seconds(index: SearchIndex) -> float:
    """CPU time spent by the engine's own process (the Elasticsearch JVM); 0 for the embedded store,
    whose work is already counted in this process's CPU time."""
    from index.es import ElasticsearchIndex

    if not isinstance(index, ElasticsearchIndex):
        return 0.0
    stats = index.client.nodes.stats(node_id="_local", metric="process")
    (node,) = stats["nodes"].values()
    return float(node["process"]["cpu"]["total_in_millis"]) / 1000


def load(index: SearchIndex, count: int, seed: int) -> tuple[float, int, float]:
    """Wall seconds inside ``upsert``, documents indexed, CPU seconds (this process and the engine)."""
    indexed, elapsed, cpu = 0, 0.0, 0.0
    documents = generate(count, seed=seed)
    last_report = time.perf_counter()
    while chunk := list(islice(documents, CHUNK)):
        started, started_cpu = time.perf_counter(), time.process_time() + engine_cpu_seconds(index)
        report = index.upsert(chunk)
        elapsed += time.perf_counter() - started
        cpu += time.process_time() + engine_cpu_seconds(index) - started_cpu
        if report.failed:
            raise SystemExit(f"{len(report.failed)} documents failed, e.g. {report.failed[0]}")
        indexed += report.ok
        if time.perf_counter() - last_report > 30:
            print(f"  … {indexed:,} documents, {indexed / elapsed:,.0f}/s", file=sys.stderr, flush=True)
            last_report = time.perf_counter()
    return elapsed, indexed, cpu


def disk_size(index: SearchIndex) -> int:
    from index.embedded import EmbeddedIndex
    from index.es import ElasticsearchIndex

    if isinstance(index, EmbeddedIndex):
        return sum(path.stat().st_size for path in index.files())
    if isinstance(index, ElasticsearchIndex):
        index.client.indices.flush(index=index.alias)
        stats = index.client.indices.stats(index=index.alias, metric="store")
        return int(stats["_all"]["primaries"]["store"]["size_in_bytes"])
    raise TypeError(type(index))


def bench(name: str, index: SearchIndex, count: int, repeats: int, seed: int) -> dict[str, float]:
    print(f"{name}: indexing {count:,} documents…", file=sys.stderr, flush=True)
    elapsed, indexed, cpu = load(index, count, seed)
    assert index.count("") > 0
    query = timed(typical(index), repeats)
    heat = timed(lambda: index.aggregate(HEAT_QUERY), max(5, repeats // 2))
    return {
        "docs": indexed,
        "docs_per_s": indexed / elapsed,
        "docs_per_cpu_s": indexed / cpu if cpu else 0.0,
        "query_p50_ms": statistics.median(query),
        "query_p95_ms": percentile(query, 0.95),
        "heat_p50_ms": statistics.median(heat),
        "heat_p95_ms": percentile(heat, 0.95),
        "disk_mb": disk_size(index) / 2**20,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=40, help="timed runs of the typical query")
    parser.add_argument("--backends", default="embedded,elasticsearch")
    parser.add_argument("--es-url", default="http://127.0.0.1:9200")
    parser.add_argument("--dir", type=Path, default=None, help="where the embedded file goes (a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the indices afterwards")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    results: dict[str, dict[str, float]] = {}
    for name in args.backends.split(","):
        if name == "embedded":
            from index.embedded import EmbeddedIndex

            directory = Path(args.dir or tempfile.mkdtemp(prefix="infopole-bench-"))
            embedded = EmbeddedIndex(directory / "bench.sqlite3", tz="Europe/Moscow")
            try:
                results[name] = bench(name, embedded, args.docs, args.repeats, args.seed)
            finally:
                embedded.close()
                if not args.keep and args.dir is None:
                    shutil.rmtree(directory, ignore_errors=True)
        elif name == "elasticsearch":
            from elasticsearch import Elasticsearch

            from index.es import ElasticsearchIndex

            client = Elasticsearch(args.es_url, request_timeout=120, retry_on_timeout=True, max_retries=3)
            remote = ElasticsearchIndex(
                client, prefix=f"bench-{uuid.uuid4().hex[:8]}", municipality_slug="kingisepp", chunk_size=2000
            )
            remote.ensure()
            try:
                results[name] = bench(name, remote, args.docs, args.repeats, args.seed)
            finally:
                if not args.keep:
                    remote.drop()
                remote.close()
        else:
            raise SystemExit(f"unknown backend {name!r}: embedded, elasticsearch")

    header = f"{'backend':<14}{'docs':>10}{'docs/s':>10}{'docs/cpu-s':>11}{'query p50':>11}{'p95':>8}"
    print(header + f"{'heat p50':>10}{'p95':>8}{'disk MB':>10}")
    for name, row in results.items():
        print(
            f"{name:<14}{row['docs']:>10,.0f}{row['docs_per_s']:>10,.0f}{row['docs_per_cpu_s']:>11,.0f}"
            f"{row['query_p50_ms']:>9.0f}ms{row['query_p95_ms']:>6.0f}ms{row['heat_p50_ms']:>8.0f}ms"
            f"{row['heat_p95_ms']:>6.0f}ms{row['disk_mb']:>10,.0f}"
        )
    print(
        "docs/cpu-s: documents per CPU-second of this process plus the Elasticsearch JVM: the rate on"
        " an otherwise idle core, comparable across runs on a shared machine"
    )


if __name__ == "__main__":
    main()
