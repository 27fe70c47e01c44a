"""Readers of the shared datasets (``../shared/data``) and the deterministic held-out slices.

A random VK post is held out of training when ``held_out(text)``: a hash of its text, so
``nlp.evaluate`` finds the same slice without any state from training.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SENTIMENT_MAP = {"positive": "positive", "negative": "negative", "neutral": "neutral", "speech": "positive"}
# ``skip`` (unclear, not Russian, spam) is dropped; ``speech`` (greetings, thanks, congratulations)
# carries a positive attitude in this corpus, and thanks to a department is positive for the МЦУ too.
HELD_OUT_PERCENT = 20


def held_out(text: str) -> bool:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16) % 100 < HELD_OUT_PERCENT


@dataclass(frozen=True)
class Labelled:
    text: str
    label: str


def rusentiment(data: Path, name: str) -> list[Labelled]:
    """``name``: random_posts, preselected_posts or test; raw five-class labels."""
    path = data / "rusentiment" / f"rusentiment_{name}.csv"
    with path.open(encoding="utf-8", newline="") as file:
        return [Labelled(row["text"], row["label"]) for row in csv.DictReader(file) if row["text"].strip()]


def rusentitweet(data: Path, split: str) -> list[Labelled]:
    """RuSentiTweet ``train`` or ``test``; the same five classes as RuSentiment."""
    path = data / "rusentitweet" / f"rusentitweet_{split}.csv"
    with path.open(encoding="utf-8", newline="") as file:
        return [Labelled(row["text"], row["label"]) for row in csv.DictReader(file) if row["text"].strip()]


def news_sentences(data: Path) -> list[str]:
    """Distinct sentences of RuSentNE news (train split): formal news register, not incidents."""
    with (data / "rusentne" / "train_data.csv").open(encoding="utf-8", newline="") as file:
        rows = csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
        sentences = {_unquote(row["sentence"].strip()) for row in rows if (row.get("sentence") or "").strip()}
    return sorted(sentences)


def _unquote(text: str) -> str:
    if len(text) > 1 and text[0] == text[-1] == '"':
        text = text[1:-1].replace('""', '"')
    return text


def three_class(rows: list[Labelled]) -> list[Labelled]:
    return [Labelled(row.text, SENTIMENT_MAP[row.label]) for row in rows if row.label in SENTIMENT_MAP]


def detox(data: Path, split: str) -> list[Labelled]:
    """Toxic comments (``toxic``) and their neutral rewrites (``neutral``)."""
    out = []
    with (data / "russe_detox" / f"{split}.tsv").open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE):
            out.append(Labelled(row["toxic_comment"] or "", "toxic"))
            for key in ("neutral_comment1", "neutral_comment2", "neutral_comment3"):
                if (row.get(key) or "").strip():
                    out.append(Labelled(row[key], "neutral"))
    return out


@dataclass(frozen=True)
class Appeal:
    id: str
    title: str
    text: str

    @property
    def full_text(self) -> str:
        return f"{self.title}\n{self.text}"


def appeals(data: Path) -> list[Appeal]:
    with (data / "appeals_troitsk" / "appeals.csv").open(encoding="utf-8", newline="") as file:
        return [Appeal(row["id"], row["title"] or "", row["text"] or "") for row in csv.DictReader(file)]


def subtopics(data: Path) -> dict[str, str]:
    mapping: dict[str, str] = json.loads((data / "taxonomy" / "topic2big_topic.json").read_text("utf-8"))
    return mapping


def jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as file:
        for line in file:
            if line.strip():
                yield json.loads(line)
