"""Russian lemmas for search: the same function for documents and queries.

The Elasticsearch build we run has no ``russian`` analyzer, and SQLite FTS5 has none
either, so both backends index and query lemmas computed here with pymorphy2 (through
natasha's ``MorphVocab``). The most probable parse is used; ambiguity is rare enough in
search to accept.
"""

from __future__ import annotations

import gzip
import re
import warnings
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

TOKEN = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+(?:-[0-9A-Za-zА-Яа-яЁё]+)*")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens with «ё» folded to «е»."""
    return [token.lower().replace("ё", "е") for token in TOKEN.findall(text)]


@cache
def _morph() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pymorphy2 imports the deprecated pkg_resources
        from natasha import MorphVocab

        return MorphVocab()


TABLE = Path(__file__).parent / "models" / "lemmas" / "lemmas.tsv.gz"


@cache
def _table() -> dict[str, str]:
    """Lemmas of the frequent word forms of the training corpora, computed by the same pymorphy2
    at training time (``python -m nlp.train --only lemmas``): pymorphy2's pure-Python dictionary
    lookup is the slowest part of the analysis, and most words of a new post are in this table."""
    if not TABLE.exists():
        return {}
    with gzip.open(TABLE, "rt", encoding="utf-8") as file:
        return dict(line.rstrip("\n").split("\t", 1) for line in file if "\t" in line)


def parse_lemma(token: str) -> str:
    return str(_morph().parse(token)[0].normal_form).replace("ё", "е")


@lru_cache(maxsize=200_000)
def lemma(token: str) -> str:
    if not CYRILLIC.search(token):
        return token
    return _table().get(token) or parse_lemma(token)


def lemmatize(text: str) -> list[str]:
    return [lemma(token) for token in tokens(text)]


def lemma_text(text: str) -> str:
    return " ".join(lemmatize(text))
