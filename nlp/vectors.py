"""Mean navec word vectors of a text: the one dense encoder the incident model adds to its n-grams.

navec (news vectors, 250k words × 300, product-quantised) ships inside natasha's wheel, and the
NER tagger loads it anyway, so both share one instance per process. A vector says that «стояк»
is near «батарея», which n-grams learnt from templates cannot; the mean over the words of a post,
l2-normalised, sits beside the n-grams like one more tf-idf part.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any

import numpy as np

from nlp.lemmas import tokens

DIM = 300


@cache
def embedding() -> Any:
    """natasha's ``NewsEmbedding`` (a ``navec.Navec``), loaded once per process."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pymorphy2 imports the deprecated pkg_resources
        from natasha import NewsEmbedding

        return NewsEmbedding()


@lru_cache(maxsize=200_000)
def word_vector(word: str) -> np.ndarray | None:
    vector = embedding().get(word)
    return None if vector is None else np.asarray(vector, dtype=np.float32)


@lru_cache(maxsize=4096)  # the topic and incident models both ask, per text of a batch; read-only
def text_vector(text: str) -> np.ndarray:
    """The l2-normalised mean vector of the text's known words (zeros if none)."""
    found = [v for v in (word_vector(word) for word in tokens(text)) if v is not None]
    if not found:
        return np.zeros(DIM, dtype=np.float32)
    mean = np.mean(found, axis=0)
    norm = float(np.linalg.norm(mean))
    return np.asarray(mean / norm if norm else mean, dtype=np.float32)


def mean_vectors(texts: Sequence[str]) -> np.ndarray:
    """texts × ``DIM``: ``text_vector`` of each text."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.vstack([text_vector(text) for text in texts])
