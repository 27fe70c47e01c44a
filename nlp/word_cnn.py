"""A small CNN over navec word vectors: the sentiment pack's second opinion, blended with its n-grams.

The linear pack reads hashed character and word n-grams; this model reads the words in order through
navec's vectors (frozen: «ужасно» is near «отвратительно» though no n-gram is shared) plus learnt
vectors for the tokens navec lacks — emoticons, «)))», «!!!», slang seen three times in training.
Alone it is weaker than the pack (RuSentiment validation ~0.71 against ~0.74); averaged with it, with
weight 0.3, it raised that figure by +0.011 on average over six validation splits (+0.001 to +0.019)
and the hand-written municipal rows by +0.012 (nlp/README.md, «Sentiment, round 8»). Since round 11 the
sentiment pack blends the mean of two trainings of a wider one (192 dimensions and filters) at 0.4:
+0.005 on four validation splits over round 8's one (nlp/README.md, «Sentiment, round 11»).

Inference is numpy over ``word_cnn.npz`` beside the pack (~0.4–0.6 ms per 300-character post, one thread);
torch only trains it (``nlp.word_cnn_fit``), with one thread and a fixed seed, so the same data gives
the same weights.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nlp import vectors
from nlp.pack import CNN_FILES, CountCache, LinearTextModel, PackError, TextModel

FILE = "word_cnn.npz"
TOKEN = re.compile(r"\w+|[!?]+|\)+|\(+|[\U0001F300-\U0001FAFF\u2600-\u27BF]")
MAX_TOKENS = 64
UNKNOWN = 0  # the row of ``extra_vectors`` for a token neither navec nor the training texts know


def tokens(text: str) -> list[str]:
    """Lower-cased words and emoticon runs («)))», «!!», «((» cut to three), at most ``MAX_TOKENS``."""
    out = []
    for token in TOKEN.findall(text.lower().replace("ё", "е")):
        out.append(token[:3] if token[0] in ")(!?" else token)
    return out[:MAX_TOKENS]


@dataclass(frozen=True)
class CnnSettings:
    dim: int = 96  # the word vector projected to this size
    filters: int = 96  # per window width
    widths: tuple[int, ...] = (1, 2, 3)
    epochs: int = 6
    batch: int = 64
    learning_rate: float = 2e-3  # Adam, decayed linearly to 0
    dropout: float = 0.3
    min_count: int = 3  # a token navec lacks gets its own vector if seen this often in training

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "widths": list(self.widths)}


@dataclass
class WordCNN:
    """Word vectors → ReLU projection → convolutions of each width (zero-padded, ReLU, max over
    positions) → softmax. ``extra`` maps tokens navec lacks to rows of ``extra_vectors``."""

    extra: dict[str, int]
    extra_vectors: np.ndarray  # (len(extra) + 1) × 300, row 0 = unknown
    proj_w: np.ndarray  # 300 × dim
    proj_b: np.ndarray
    conv_w: list[np.ndarray] = field(default_factory=list)  # filters × dim × width
    conv_b: list[np.ndarray] = field(default_factory=list)
    out_w: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))  # features × classes
    out_b: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    def word_matrix(self, words: Sequence[str]) -> np.ndarray:
        rows = []
        for word in words or ["<empty>"]:
            vector = vectors.word_vector(word)
            rows.append(vector if vector is not None else self.extra_vectors[self.extra.get(word, UNKNOWN)])
        return np.vstack(rows)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """texts × classes."""
        out = np.zeros((len(texts), self.out_b.shape[0]), dtype=np.float32)
        for row, text in enumerate(texts):
            x = np.maximum(self.word_matrix(tokens(text)) @ self.proj_w + self.proj_b, 0)
            length, pooled = x.shape[0], []
            for weight, bias in zip(self.conv_w, self.conv_b, strict=True):
                width = weight.shape[2]
                pad = np.zeros((width // 2, x.shape[1]), dtype=np.float32)
                padded = np.vstack([pad, x, pad])
                h = bias + sum(padded[j : j + length] @ weight[:, :, j].T for j in range(width))
                pooled.append(np.maximum(h, 0).max(axis=0))
            logits = np.concatenate(pooled) @ self.out_w + self.out_b
            exp = np.exp(logits - logits.max())
            out[row] = exp / exp.sum()
        return out

    def save(self, path: Path) -> None:
        words = sorted(self.extra, key=self.extra.__getitem__)
        arrays: dict[str, np.ndarray] = {
            "extra_words": np.asarray(words, dtype=str),
            "extra_vectors": self.extra_vectors.astype(np.float16),
            "proj_w": self.proj_w,
            "proj_b": self.proj_b,
            "out_w": self.out_w,
            "out_b": self.out_b,
        }
        for i, (weight, bias) in enumerate(zip(self.conv_w, self.conv_b, strict=True)):
            arrays[f"conv_w{i}"], arrays[f"conv_b{i}"] = weight, bias
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> WordCNN:
        with np.load(path) as stored:
            widths = sum(1 for key in stored.files if key.startswith("conv_w"))
            return cls(
                extra={str(word): i + 1 for i, word in enumerate(stored["extra_words"])},
                extra_vectors=stored["extra_vectors"].astype(np.float32),
                proj_w=stored["proj_w"],
                proj_b=stored["proj_b"],
                conv_w=[stored[f"conv_w{i}"] for i in range(widths)],
                conv_b=[stored[f"conv_b{i}"] for i in range(widths)],
                out_w=stored["out_w"],
                out_b=stored["out_b"],
            )


@dataclass
class BlendedModel:
    """A linear pack and its word CNNs: probabilities ``(1 − weight)·pack + weight·mean(cnns)``. Stands
    where the pack stood (``TextModel``): same name, labels, meta and id. Several CNNs are several
    trainings (other seeds) of one network: their mean is steadier than any one of them, whose
    validation figure moves by ±0.005 with the seed alone (nlp/README.md, «Sentiment, round 11»)."""

    linear: LinearTextModel
    cnns: Sequence[WordCNN]
    weight: float
    name: str = field(init=False)
    labels: list[str] = field(init=False)
    kind: str = field(init=False)
    dense: list[str] = field(init=False)
    meta: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        if not self.cnns:
            raise ValueError("a blend needs at least one word CNN")
        self.name, self.labels, self.kind = self.linear.name, self.linear.labels, self.linear.kind
        self.dense, self.meta = self.linear.dense, self.linear.meta

    @property
    def model_id(self) -> str:
        return self.linear.model_id

    def scores(
        self, texts: Sequence[str], dense: np.ndarray | None = None, cache: CountCache | None = None
    ) -> np.ndarray:
        linear = self.linear.scores(texts, dense, cache)
        if not len(texts):
            return linear
        cnn = np.mean([cnn.probabilities(texts) for cnn in self.cnns], axis=0)
        return np.asarray((1 - self.weight) * linear + self.weight * cnn, np.float32)


def cnn_file(index: int) -> str:
    """The file of a pack's ``index``-th word CNN: ``word_cnn.npz``, then ``word_cnn_1.npz``, …"""
    return FILE if index == 0 else f"word_cnn_{index}.npz"


def save_word_cnns(directory: Path, cnns: Sequence[WordCNN]) -> None:
    """A pack's word CNNs, written before the pack itself (``LinearTextModel.save``: its id covers
    them); a former pack's CNN files, perhaps more of them, go first."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(CNN_FILES):
        stale.unlink()
    for index, cnn in enumerate(cnns):
        cnn.save(directory / cnn_file(index))


def named_word_cnns(model: TextModel, directory: Path) -> list[WordCNN]:
    """The word CNNs beside a pack (``directory``) that its meta names (``word_cnn``, with ``count``
    files, 1 when absent), else none; a pack naming a CNN whose file is gone is refused rather than
    read without it."""
    named = model.meta.get("word_cnn")
    if not named:
        return []
    cnns = []
    for index in range(int(named.get("count", 1))):
        path = directory / cnn_file(index)
        if not path.exists():
            raise PackError(f"{model.model_id} names a word CNN: {path} is missing")
        cnns.append(WordCNN.load(path))
    return cnns


def named_word_cnn(model: TextModel, directory: Path) -> WordCNN | None:
    """The one word CNN beside a pack whose meta names one (the incident pack's), else ``None``."""
    cnns = named_word_cnns(model, directory)
    if len(cnns) > 1:
        raise PackError(f"{model.model_id} names {len(cnns)} word CNNs where one is read")
    return cnns[0] if cnns else None


def with_word_cnn(model: LinearTextModel, directory: Path) -> LinearTextModel | BlendedModel:
    """The pack blended with its word CNNs when its meta names them (``word_cnn.weight``)."""
    cnns = named_word_cnns(model, directory)
    if not cnns:
        return model
    return BlendedModel(model, cnns, float(model.meta["word_cnn"]["weight"]))
