"""Held-out evaluation of the analysis; prints the numbers the model cards and the issue quote.

    python -m nlp.evaluate [--data ../shared/data] [--dev tests/data/nlp_dev.jsonl]
                           [--blind tests/data/nlp_blind3.jsonl ...] [--cards]

- sentiment: the official RuSentiment test set (never trained on), 3 classes; the documented
  mapping (speech→positive, skip dropped) and, for comparison, speech dropped as well;
- topic, incident, sentiment on the hand-written development set (never trained on);
- the same on each blind set, written and labelled by someone who never saw the training data or
  the development set, before any model ran on it. The first blind set's errors were read after
  round 3 (its error kinds guided the round-4 training data, none of its texts), so the second,
  written at the start of round 4, was evaluated once for the round-4 packs; the third, written at
  the start of round 5, before any model ran on it; where a second person labelled a blind set's
  texts independently (``<set>_second.jsonl``), the two labellers' agreement and the incident figures
  by either's labels;
- subtopics on the second blind set, when an independent labeller's subtopic labels exist
  (``tests/data/nlp_blind2_subtopics.jsonl``): coverage, precision and accuracy, no texts printed;
- false incidents on the held-out slice of random RuSentiment VK posts (``data.held_out``);
- toxicity on the RUSSE detox dev split (held out of training);
- throughput of the whole ``Analyzer`` on the development set against natasha's NER network
  alone (the appeals are in the lemma table's texts: ``bench/nlp.py`` measures on unseen posts).

``--cards`` writes each pack's lines of this report into its model card (``nlp/models/*/README.md``,
section «Held-out numbers»): ``nlp.train`` rewrites a card from the training's own validation figures
and cannot know these, and cards edited by hand went stale or lost their section at every retraining.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score, precision_recall_fscore_support

from nlp.analyzer import Analyzer, Document
from nlp.incident import IncidentClassifier, IncidentScore
from nlp.normalize import normalize
from nlp.pack import pack_dir
from nlp.sentiment import SentimentClassifier
from nlp.thread import incident_in_thread, topics_in_thread
from nlp.topic import TopicClassifier, Topics
from nlp.toxicity import ToxicityClassifier
from nlp.training import data

DEV = Path(__file__).parent.parent / "tests" / "data" / "nlp_dev.jsonl"
# blind sets 1–7: each evaluated once (blind 4 in round 6, 5 in round 7, 6 in session 6, 7 in round 8),
# then training rows since round 9 (``nlp.training.handwritten.RETIRED``): kept for their history
BLIND = Path(__file__).parent.parent / "tests" / "data" / "nlp_blind.jsonl"
BLIND2 = Path(__file__).parent.parent / "tests" / "data" / "nlp_blind2.jsonl"
BLIND3 = Path(__file__).parent.parent / "tests" / "data" / "nlp_blind3.jsonl"
BLIND4 = Path(__file__).parent.parent / "tests" / "data" / "nlp_blind4.jsonl"
BLIND5 = Path(__file__).parent.parent / "tests" / "data" / "nlp_blind5.jsonl"
BLIND6 = Path(__file__).parent.parent / "tests" / "data" / "nlp_blind6.jsonl"
BLIND7 = Path(__file__).parent.parent / "tests" / "data" / "nlp_blind7.jsonl"
BLIND8 = Path(__file__).parent.parent / "tests" / "data" / "nlp_blind8.jsonl"  # evaluated in round 9
BLIND9 = Path(__file__).parent.parent / "tests" / "data" / "nlp_blind9.jsonl"  # evaluated in round 9
BLIND10 = Path(__file__).parent.parent / "tests" / "data" / "nlp_blind10.jsonl"  # evaluated in round 9
# evaluated once in session 8, for the round 9b incident and topic packs (nlp/README.md); no set is
# reserved now: the next round's first look needs a new one, written blind
BLIND11 = Path(__file__).parent.parent / "tests" / "data" / "nlp_blind11.jsonl"
DEFAULT_BLIND = (BLIND8, BLIND9, BLIND10, BLIND11)
BLIND2_SUBTOPICS = Path(__file__).parent.parent / "tests" / "data" / "nlp_blind2_subtopics.jsonl"


def sentiment_report(root: Path, models: Path | None) -> None:
    model = SentimentClassifier.load(models)
    rows = data.rusentiment(root, "test")
    predictions = {
        id(row): p.label for row, p in zip(rows, model.map([normalize(r.text) for r in rows]), strict=True)
    }
    for title, mapping in (
        ("speech→positive, skip dropped (as trained)", data.SENTIMENT_MAP),
        ("speech and skip dropped", {k: v for k, v in data.SENTIMENT_MAP.items() if k != "speech"}),
    ):
        kept = [row for row in rows if row.label in mapping]
        gold = [mapping[row.label] for row in kept]
        predicted = [predictions[id(row)] for row in kept]
        macro = f1_score(gold, predicted, average="macro")
        weighted = f1_score(gold, predicted, average="weighted")
        print(
            f"sentiment RuSentiment test, {title}: n={len(kept)} "
            f"macro-F1 {macro:.4f} weighted-F1 {weighted:.4f}"
        )


def _prf(gold: Sequence[bool], predicted: Sequence[bool]) -> str:
    p, r, f, _ = precision_recall_fscore_support(gold, predicted, average="binary", zero_division=0)
    return f"P {p:.3f} R {r:.3f} F1 {f:.3f}"


def _topic_figures(gold: Sequence[str], predicted: Sequence[str]) -> str:
    macro = f1_score(gold, predicted, labels=sorted(set(gold)), average="macro")
    return f"top-1 accuracy {accuracy_score(gold, predicted):.3f}, macro-F1 over gold blocks {macro:.3f}"


def dev_report(dev: Path, models: Path | None) -> None:
    labelled_set_report(dev, "dev", "development set", models)


def blind_report(blind: Path, models: Path | None) -> None:
    """The blind set was written and labelled by someone who never saw the training data or the
    development set, before any model ran on it: the check that the dev figures are not tuned to
    the dev set's phrasing."""
    print(f"=== BLIND held-out set {blind.name} (written without seeing the training data) ===")
    predicted = labelled_set_report(blind, blind.stem.removeprefix("nlp_"), f"blind set {blind.name}", models)
    agreement_report(blind, predicted)


def second_labels(blind: Path) -> Path:
    return blind.with_name(f"{blind.stem}_second.jsonl")


def agreement_report(blind: Path, predicted_incident: dict[str, bool]) -> None:
    """When a second person labelled the same texts without seeing the first labels
    (``<set>_second.jsonl``: ``id``, ``is_incident``, ``block``, ``sentiment``): how often the two
    agree (raw and Cohen's kappa), and the incident figures (``predicted_incident``: the set's
    predictions by id, from ``labelled_set_report``) against the second person's labels and on the
    posts both call the same — the spread between them is how far one labeller's calls move F1."""
    path = second_labels(blind)
    if not path.exists():
        return
    tag = blind.stem.removeprefix("nlp_")
    first = {str(item["id"]): item for item in data.jsonl(blind)}
    second = {str(row["id"]): row for row in data.jsonl(path)}
    ids = [key for key in first if key in second]
    for label in ("is_incident", "block", "sentiment"):
        a = [str(first[key][label]) for key in ids]
        b = [str(second[key][label]) for key in ids]
        same = sum(x == y for x, y in zip(a, b, strict=True))
        print(
            f"agreement ({tag}, {label}, {len(ids)} posts labelled twice): {same / max(len(ids), 1):.3f}, "
            f"Cohen's kappa {cohen_kappa_score(a, b):.3f}"
        )
    predicted = [predicted_incident[key] for key in ids]
    gold_first = [bool(first[key]["is_incident"]) for key in ids]
    gold_second = [bool(second[key]["is_incident"]) for key in ids]
    print(f"incident ({tag}, the second labeller's labels, {len(ids)}): {_prf(gold_second, predicted)}")
    agreed = [i for i, (x, y) in enumerate(zip(gold_first, gold_second, strict=True)) if x == y]
    print(
        f"incident ({tag}, posts both labellers call the same, {len(agreed)}): "
        + _prf([gold_first[i] for i in agreed], [predicted[i] for i in agreed])
    )


def in_threads(
    items: Sequence[dict[str, Any]],
    texts: Sequence[str],
    topics: Sequence[Topics],
    incidents: Sequence[IncidentScore],
) -> tuple[list[Topics], list[IncidentScore]]:
    """Each comment whose ``parent`` (a post's id in the same set) is given, read under that post
    as the analyzer reads it (``nlp.thread``); the rest as they are."""
    where = {str(item["id"]): i for i, item in enumerate(items)}
    topics, incidents = list(topics), list(incidents)
    for i, item in enumerate(items):
        parent = where.get(str(item.get("parent") or ""))
        if parent is None:
            continue
        incidents[i] = incident_in_thread(texts[i], incidents[i], incidents[parent])
        topics[i] = topics_in_thread(topics[i], topics[parent])
    return topics, incidents


def labelled_set_report(path: Path, tag: str, title: str, models: Path | None) -> dict[str, bool]:
    """Topic, incident and sentiment figures on a hand-labelled JSONL set (``tests/data``); returns the
    incident predictions by item id (the second labeller's figures reuse them). Comments are read
    under their posts (``in_threads``) when the set links them; the incident and topic figures of
    every comment read alone follow, for comparison."""
    items = list(data.jsonl(path))
    texts = [normalize(str(item["text"])) for item in items]
    print(f"{title}: {len(items)} posts, groups {dict(Counter(str(i['group']) for i in items))}")
    linked = sum(bool(item.get("parent")) for item in items)
    alone_topic = TopicClassifier.load(models).map(texts)
    alone_incident = IncidentClassifier.load(models).map(texts)
    topic, incident = in_threads(items, texts, alone_topic, alone_incident)
    if linked:
        print(f"({tag}: {linked} comments read under their post)")
        truth = [bool(item["is_incident"]) for item in items]
        alone = [i.is_incident for i in alone_incident]
        print(f"incident ({tag}, comments read alone): {_prf(truth, alone)}")
        pairs = [(item, t) for item, t in zip(items, alone_topic, strict=True) if item["is_incident"]]
        blocks = [str(item["block"]) for item, _ in pairs if item["block"]]
        guessed = [t.block or "—" for item, t in pairs if item["block"]]
        print(f"topic ({tag} complaints, comments read alone): {_topic_figures(blocks, guessed)}")
    labelled = [(item, t) for item, t in zip(items, topic, strict=True) if item["block"]]
    gold = [str(item["block"]) for item, _ in labelled]
    predicted = [t.block or "—" for _, t in labelled]
    print(f"topic ({tag}, {len(labelled)} posts with a block): {_topic_figures(gold, predicted)}")
    in_top3 = sum(item["block"] in t.blocks[:3] for item, t in labelled) / len(labelled)
    print(f"topic ({tag}): gold block among the listed top-3 {in_top3:.3f}")
    incidents = [(item, t) for item, t in labelled if item["is_incident"]]
    print(
        f"topic ({tag} incidents and complaints, {len(incidents)}): "
        + _topic_figures(
            [str(item["block"]) for item, _ in incidents], [t.block or "—" for _, t in incidents]
        )
    )
    no_block = [t for item, t in zip(items, topic, strict=True) if not item["block"]]
    print(
        f"topic ({tag}, {len(no_block)} posts without a block): "
        f"predicted none {sum(not t.block for t in no_block)}"
    )

    gold_incident = [bool(item["is_incident"]) for item in items]
    predicted_incident = [i.is_incident for i in incident]
    print(f"incident ({tag}, {len(items)}): {_prf(gold_incident, predicted_incident)}")
    for group in sorted({str(item["group"]) for item in items}):
        rows = [
            (g, p)
            for item, g, p in zip(items, gold_incident, predicted_incident, strict=True)
            if item["group"] == group
        ]
        right = sum(g == p for g, p in rows)
        print(f"  {group:14s} {right}/{len(rows)} right")

    sentiment = SentimentClassifier.load(models).map(texts)
    gold_sentiment = [str(item["sentiment"]) for item in items]
    predicted_sentiment = [s.label for s in sentiment]
    print(
        f"sentiment ({tag}): macro-F1 {f1_score(gold_sentiment, predicted_sentiment, average='macro'):.3f}, "
        f"accuracy {accuracy_score(gold_sentiment, predicted_sentiment):.3f}"
    )
    return {str(item["id"]): p for item, p in zip(items, predicted_incident, strict=True)}


def subtopic_report(blind: Path, labels: Path, models: Path | None) -> None:
    """Subtopics (``nlp.subtopic``) against an independent labeller's ``{"id", "subtopic": name | null}``
    lines for a blind set, joined by id: coverage (share of labelled posts given a subtopic), precision
    of the given ones, accuracy (no subtopic where the labeller gave none counts as right). No texts."""
    if not labels.exists():
        print(f"subtopic: no labels at {labels}, skipped")
        return
    gold = {str(row["id"]): row.get("subtopic") for row in data.jsonl(labels)}
    items = [item for item in data.jsonl(blind) if str(item["id"]) in gold]
    documents = [Document(str(item["id"]), str(item["text"]), str(item.get("title") or "")) for item in items]
    predicted = {a.post_key: a.subtopic for a in Analyzer.load(None, models).map_documents(documents)}
    given = [key for key, name in predicted.items() if name]
    right = sum(predicted[key] == gold[key] for key in given)
    agree = sum(predicted[key] == gold[key] for key in predicted)
    n = len(predicted)
    print(
        f"subtopic ({labels.name}: {len(gold)} labels, {n} joined, {sum(bool(gold[k]) for k in predicted)} "
        f"with a subtopic): coverage {len(given) / max(n, 1):.3f} ({len(given)}), "
        f"precision {right / max(len(given), 1):.3f}, accuracy {agree / max(n, 1):.3f}"
    )


def random_posts_report(root: Path, models: Path | None) -> None:
    rows = [row for row in data.rusentiment(root, "random_posts") if data.held_out(row.text)]
    scores = IncidentClassifier.load(models).map([normalize(row.text) for row in rows])
    flagged = sum(score.is_incident for score in scores)
    print(
        f"incident: false-incident rate on {len(rows)} held-out random VK posts "
        f"{flagged / len(rows):.4f} ({flagged})"
    )


def toxicity_report(root: Path, models: Path | None) -> None:
    rows = data.detox(root, "dev")
    scores = ToxicityClassifier.load(models).map([normalize(row.text) for row in rows])
    gold = [row.label == "toxic" for row in rows]
    print(f"toxicity (RUSSE detox dev, {len(rows)}): {_prf(gold, [s >= 0.5 for s in scores])}")


def speed_report(root: Path, dev: Path, models: Path | None) -> None:
    from threadpoolctl import threadpool_limits

    started = time.monotonic()
    analyzer = Analyzer.load(None, models)
    print(f"analyzer: models loaded in {time.monotonic() - started:.1f}s")
    short = [Document(str(item["id"]), str(item["text"])) for item in data.jsonl(dev)] * 3
    typical = [Document(a.id, a.full_text[:300]) for a in data.appeals(root)[:400]]
    for title, documents in (("dev posts ×3", short), ("appeals cut to 300 chars", typical)):
        mean = sum(len(d.text) for d in documents) / len(documents)
        with threadpool_limits(limits=1):
            started = time.monotonic()
            list(analyzer.ner.ner.map([d.text for d in documents]))  # natasha's NewsNERTagger itself
            ner = time.monotonic() - started
        started = time.monotonic()
        analyzer.map_documents(documents)
        elapsed = time.monotonic() - started
        print(
            f"speed, {title} ({len(documents)}, mean {mean:.0f} chars): whole analysis "
            f"{len(documents) / elapsed:.0f} posts/s; natasha NER alone {len(documents) / ner:.0f} posts/s "
            "(one process, one thread)"
        )


CARD_PACKS = ("sentiment", "topic", "incident", "toxicity")
CARD_SECTION = "## Held-out numbers"


def card_lines(report: str) -> dict[str, list[str]]:
    """The report's lines per pack, by the pack name each figure line starts with («subtopic» lines
    belong to the topic pack); indented lines (per-group counts) follow the line above them."""
    lines: dict[str, list[str]] = {name: [] for name in CARD_PACKS}
    owner: str | None = None
    for line in report.splitlines():
        if line.startswith("  ") and owner:
            lines[owner].append(line)
            continue
        head = line.split(" ", 1)[0].split(":", 1)[0]
        owner = "topic" if head == "subtopic" else head if head in lines else None
        if owner:
            lines[owner].append(line)
    return lines


def write_cards(report: str, models: Path | None, command: str) -> None:
    """Replace (or append) the «Held-out numbers» section of each pack's card with its report lines."""
    today = datetime.now(UTC).date().isoformat()
    for name, lines in card_lines(report).items():
        readme = pack_dir(name, models) / "README.md"
        if not lines or not readme.exists():
            continue
        pack_id = json.loads((readme.parent / "meta.json").read_text("utf-8"))["id"]
        text = readme.read_text("utf-8")
        kept = text.split(f"\n{CARD_SECTION}", 1)[0].rstrip("\n")
        section = "\n".join(
            [
                f"{CARD_SECTION} (`{command}`, {today}, pack `{pack_id}`)",
                "",
                "Written by the evaluation, not by hand (the sets and their history: nlp/README.md); "
                "retraining drops this section until the evaluation runs again.",
                "",
                "```text",
                *lines,
                "```",
            ]
        )
        readme.write_text(f"{kept}\n\n{section}\n", "utf-8")


@contextlib.contextmanager
def tee() -> Iterator[io.StringIO]:
    """Print as usual and keep a copy of what was printed."""
    copy, out = io.StringIO(), sys.stdout

    class Both(io.TextIOBase):
        def write(self, text: str) -> int:
            copy.write(text)
            return out.write(text)

        def flush(self) -> None:
            out.flush()

    with contextlib.redirect_stdout(Both()):
        yield copy


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Held-out evaluation of the nlp models")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument(
        "--blind", type=Path, action="append", help="a blind set (repeatable; default: blind 8, 9 and 10)"
    )
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument(
        "--subtopics", type=Path, default=BLIND2_SUBTOPICS, help="subtopic labels of nlp_blind2"
    )
    parser.add_argument(
        "--skip", default="", help="comma-separated: sentiment,dev,blind,subtopic,random,toxicity,speed"
    )
    parser.add_argument(
        "--cards", action="store_true", help="write each pack's figures into its model card's README.md"
    )
    args = parser.parse_args(argv)
    if args.cards:
        with tee() as report:
            run(args)
        write_cards(
            report.getvalue(), args.models, "python -m nlp.evaluate " + " ".join(argv or sys.argv[1:])
        )
    else:
        run(args)


def run(args: argparse.Namespace) -> None:
    skip = set(args.skip.split(","))
    if "sentiment" not in skip:
        sentiment_report(args.data, args.models)
    if "dev" not in skip:
        dev_report(args.dev, args.models)
    if "blind" not in skip:
        for blind in args.blind or [p for p in DEFAULT_BLIND if p.exists()]:
            blind_report(blind, args.models)
    if "subtopic" not in skip:
        subtopic_report(BLIND2, args.subtopics, args.models)
    if "random" not in skip:
        random_posts_report(args.data, args.models)
    if "toxicity" not in skip:
        toxicity_report(args.data, args.models)
    if "speed" not in skip:
        speed_report(args.data, args.dev, args.models)


if __name__ == "__main__":
    main()
