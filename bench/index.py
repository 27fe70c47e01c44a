"""Benchmark of the search index: both backends in one run, on the same generated posts.

    .venv/bin/python -m bench.index [--docs 1000000] [--es-url http://127.0.0.1:9201]
                                    [--backends embedded,elasticsearch]

Prints, per backend: indexing throughput (documents per second of the index step: ``upsert`` of
already-analysed documents inside the backend's ``bulk_load``, generation excluded), p50/p95
latency of a typical analyst query with facets (a page of hits plus ``aggregate`` of the same
query) and of the heat-map aggregation over the last quarter, the disk size, and the machine's
load average before and after, so that figures from a shared machine can be judged.

Posts are realistic enough for the engines to do real work: a year of dates with a daily
rhythm, the Кингисепп district's settlements and blocks, platforms and sources with skewed
volumes, sentiment tied to the topic, Russian text assembled from a vocabulary of municipal
sentences with the lengths of district publics (comments of a sentence or two, posts of a few,
a long tail of long news posts). Lemmas are computed once per sentence (``nlp.lemmas``), so
generating a million posts costs about a minute, not the hours real lemmatisation would take;
posts are generated as a stream, ``CHUNK`` at a time, never all in memory.

Queries use the real clock, as in production: the relative dates resolve to new instants each
time, so Elasticsearch's request cache cannot answer a repeated aggregation from memory.

Run it against a node of its own (the test node at 9200 stays small), e.g.
``ES_PORT=9201 ES_JAVA_OPTS="-Xms2g -Xmx2g" bash scripts/elasticsearch.sh start``; the node's
heap is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
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
# what residents and admins of publics write around the topic itself
FILLER = [
    "сколько можно это терпеть",
    "писали в администрацию но ответа нет",
    "у нас маленькие дети и пожилые родители",
    "уже звонили в диспетчерскую",
    "напишите кто знает куда обращаться",
    "такая ситуация повторяется каждую зиму",
    "соседи тоже жалуются",
    "просим глава района обратить внимание",
    "обещали сделать ещё летом",
    "информация от подписчика",
    "публикуем по просьбе жителей дома",
    "подробности в комментариях",
    "ждём ответа от ответственных служб",
    "вчера вечером ситуация не изменилась",
    "в соседнем доме то же самое",
    "платим за услуги исправно",
    "надеемся на понимание",
    "следите за новостями",
    "напоминаем о правилах безопасности",
    "по информации пресс службы администрации",
]
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
SENTENCES_EXTRA = (1.6, 0.8)  # lognormal μ, σ of a post's sentences after the first
NEWS_SHARE = 0.05  # long news posts from the administration and media publics
NEWS_SENTENCES = (10, 40)
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
    """Sentences with their lemmas computed once, so a post's lemmas are a join, not a morphology run."""

    def __init__(self) -> None:
        self.lemmas: dict[str, str] = {}
        sentences = [phrase for phrases in TOPICS.values() for phrase, _ in phrases]
        sentences += [*FILLER, *GENERIC, *STREETS, *(f"в {name}" for name in ORGANISATIONS)]
        for sentence in sentences:
            self.lemmas[sentence] = lemma_text(sentence)


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, result = 0.0, []
    for weight in weights:
        total += weight
        result.append(total)
    return result


def generate(count: int, *, seed: int = 7, end: datetime | None = None) -> Iterator[IndexDocument]:
    """``count`` posts over the year before ``end``, deterministic for a seed, one at a time."""
    rng = random.Random(seed)
    vocabulary = Vocabulary()
    municipality = load_municipality(MUNICIPALITY)
    settlements = [s.name for s in municipality.settlements]
    settlement_cum = _cumulative([30, 15, 8, *([2] * (len(settlements) - 3))])
    departments = {b: d.name for d in municipality.departments if not d.settlements for b in d.blocks}
    blocks = list(TOPICS)
    block_cum = _cumulative([BLOCK_WEIGHT.get(block, 1) for block in blocks])
    sources = [(f"{platform}-source-{n}", platform) for platform, _ in PLATFORMS for n in range(15)]
    source_cum = _cumulative([weight / (n + 1) for _, weight in PLATFORMS for n in range(15)])
    hours, hour_cum = range(24), _cumulative(HOUR_WEIGHT)
    end = end or datetime.now(UTC)
    start_day = (end - timedelta(days=365)).replace(hour=0, minute=0, second=0, microsecond=0)
    last = end - timedelta(seconds=1)
    choices, random_, randrange = rng.choices, rng.random, rng.randrange
    for n in range(count):
        (block,) = choices(blocks, cum_weights=block_cum)
        topic = TOPICS[block]
        first, sentiment = topic[int(random_() * len(topic))]
        is_comment = random_() < 0.3
        if is_comment:
            extra = randrange(3)
        elif random_() < NEWS_SHARE:
            extra = randrange(*NEWS_SENTENCES)
        else:
            extra = int(rng.lognormvariate(*SENTENCES_EXTRA))
        parts = [first]
        for _ in range(extra):
            roll = random_()
            if roll < 0.35:
                parts.append(topic[int(random_() * len(topic))][0])
            elif roll < 0.85:
                parts.append(FILLER[int(random_() * len(FILLER))])
            else:
                parts.append(GENERIC[int(random_() * len(GENERIC))])
        street = STREETS[int(random_() * len(STREETS))] if random_() < 0.3 else None
        if street:
            parts.append(street)
        entities: tuple[str, ...] = ()
        if random_() < 0.15:
            organisation = ORGANISATIONS[int(random_() * len(ORGANISATIONS))]
            parts.append(f"в {organisation}")
            entities = (organisation,)
        text = ". ".join(part[:1].upper() + part[1:] for part in parts) + "."
        lemmas = " ".join(vocabulary.lemmas[part] for part in parts)
        (hour,) = choices(hours, cum_weights=hour_cum)
        moment = start_day + timedelta(days=int(random_() * 365), seconds=hour * 3600 + int(random_() * 3600))
        moment = min(moment, last)
        ((source, platform),) = choices(sources, cum_weights=source_cum)
        views = int(rng.lognormvariate(5, 1.3))
        risk = round(min(1.0, rng.betavariate(2, 5) + (0.3 if sentiment == "negative" else 0.0)), 3)
        second = blocks[int(random_() * len(blocks))] if random_() < 0.1 else None
        all_blocks = (block, second) if second and second != block else (block,)
        settlement = choices(settlements, cum_weights=settlement_cum)[0] if random_() < 0.85 else None
        yield IndexDocument(
            id=f"{platform}:{source}:{n}",
            text=text,
            lemmas=lemmas,
            published_at=moment,
            platform=platform,
            kind="comment" if is_comment else "post",
            source_id=source,
            owner_id=source,
            author_id=f"{platform}-author{int(random_() * 50_000)}",
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
            toxicity=round(random_() * 0.3, 3),
            entities=entities,
            settlement=settlement,
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


def bulk_load(index: SearchIndex) -> AbstractContextManager[None]:
    """The backend's bulk-load mode (Elasticsearch: no refreshes, async translog; SQLite: larger
    transactions, no fsync), as a rebuild or a backfill uses it."""
    from index.embedded import EmbeddedIndex
    from index.es import ElasticsearchIndex

    if isinstance(index, EmbeddedIndex | ElasticsearchIndex):
        return index.bulk_load()
    return nullcontext()


def load(index: SearchIndex, count: int, seed: int) -> tuple[float, int, float]:
    """Wall seconds of the index step, documents indexed, CPU seconds (this process and the engine).

    Timed: ``upsert`` of each generated chunk and the end of the bulk load (settings restored,
    the refresh that makes everything searchable); not timed: generating the chunks."""
    indexed, elapsed, cpu = 0, 0.0, 0.0
    documents = generate(count, seed=seed)
    last_report = time.perf_counter()

    def clocks() -> tuple[float, float]:
        return time.perf_counter(), time.process_time() + engine_cpu_seconds(index)

    mode = bulk_load(index)
    started, started_cpu = clocks()
    mode.__enter__()
    elapsed, cpu = elapsed + clocks()[0] - started, cpu + clocks()[1] - started_cpu
    try:
        while chunk := list(islice(documents, CHUNK)):
            started, started_cpu = clocks()
            report = index.upsert(chunk)
            stopped, stopped_cpu = clocks()
            elapsed, cpu = elapsed + stopped - started, cpu + stopped_cpu - started_cpu
            if report.failed:
                raise SystemExit(f"{len(report.failed)} documents failed, e.g. {report.failed[0]}")
            indexed += report.ok
            if time.perf_counter() - last_report > 30:
                print(
                    f"  … {indexed:,} documents, {indexed / elapsed:,.0f}/s, load {load_average()}",
                    file=sys.stderr,
                    flush=True,
                )
                last_report = time.perf_counter()
    finally:
        started, started_cpu = clocks()
        mode.__exit__(None, None, None)
        stopped, stopped_cpu = clocks()
        elapsed, cpu = elapsed + stopped - started, cpu + stopped_cpu - started_cpu
    return elapsed, indexed, cpu


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def engine_memory(index: SearchIndex) -> str:
    """The Elasticsearch node's version and heap, to print with its figures."""
    from index.es import ElasticsearchIndex

    if not isinstance(index, ElasticsearchIndex):
        return "SQLite " + sqlite3.sqlite_version
    info = index.client.nodes.info(node_id="_local", metric="jvm")
    (node,) = info["nodes"].values()
    heap = node["jvm"]["mem"]["heap_max_in_bytes"] / 2**30
    return f"Elasticsearch {node['version']}, heap {heap:.1f} GB"


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


def bench(name: str, index: SearchIndex, count: int, repeats: int, seed: int) -> dict[str, Any]:
    print(f"{name}: indexing {count:,} documents, load {load_average()}…", file=sys.stderr, flush=True)
    before = load_average()
    elapsed, indexed, cpu = load(index, count, seed)
    after_load = load_average()
    assert index.count("") == indexed
    print(f"{name}: querying, load {after_load}…", file=sys.stderr, flush=True)
    query = timed(typical(index), repeats)
    heat = timed(lambda: index.aggregate(HEAT_QUERY), max(5, repeats // 2))
    row = {
        "name": name,
        "docs": indexed,
        "docs_per_s": indexed / elapsed,
        "docs_per_cpu_s": indexed / cpu if cpu else 0.0,
        "query_p50_ms": statistics.median(query),
        "query_p95_ms": percentile(query, 0.95),
        "heat_p50_ms": statistics.median(heat),
        "heat_p95_ms": percentile(heat, 0.95),
        "disk_mb": disk_size(index) / 2**20,
        "engine": engine_memory(index),
        "load": f"{before} → {after_load} → {load_average()}",
    }
    print(f"{HEADER}\n{row_line(row)}", file=sys.stderr, flush=True)  # in case a later backend dies
    return row


HEADER = (
    f"{'backend':<14}{'docs':>10}{'docs/s':>10}{'docs/cpu-s':>11}{'query p50':>11}{'p95':>8}"
    f"{'heat p50':>10}{'p95':>8}{'disk MB':>10}"
)


def row_line(row: dict[str, Any]) -> str:
    return (
        f"{row['name']:<14}{row['docs']:>10,.0f}{row['docs_per_s']:>10,.0f}{row['docs_per_cpu_s']:>11,.0f}"
        f"{row['query_p50_ms']:>9.0f}ms{row['query_p95_ms']:>6.0f}ms{row['heat_p50_ms']:>8.0f}ms"
        f"{row['heat_p95_ms']:>6.0f}ms{row['disk_mb']:>10,.0f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=40, help="timed runs of the typical query")
    parser.add_argument("--backends", default="embedded,elasticsearch")
    parser.add_argument("--es-url", default="http://127.0.0.1:9201", help="a node of the benchmark's own")
    parser.add_argument("--dir", type=Path, default=None, help="where the embedded file goes (a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the indices afterwards")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    started = datetime.now(UTC)
    results: dict[str, dict[str, Any]] = {}
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
                client, prefix=f"bench-{uuid.uuid4().hex[:8]}", municipality_slug="kingisepp"
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

    print(f"{started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, {args.docs:,} posts, seed {args.seed}")
    print(HEADER)
    for row in results.values():
        print(row_line(row))
    for name, row in results.items():
        print(f"{name}: {row['engine']}; load 1/5/15 min before → after indexing → end: {row['load']}")
    print(
        "docs/cpu-s: documents per CPU-second of this process plus the Elasticsearch JVM: the rate on"
        " an otherwise idle core, comparable across runs on a shared machine"
    )


if __name__ == "__main__":
    main()
