"""Model packs: a linear text classifier stored as ``meta.json`` + ``weights.npz``, checked on load.

The features are stateless (hashed char and word n-grams with stored idf weights, plus
optional dense columns), so a pack needs no pickled vocabulary: it is a few numpy arrays
and a JSON description. ``check_protocol`` rejects a pack written by another version of
this code, as slovnet's ``check_protocol`` does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

PROTOCOL = 1
MODELS_DIR = Path(__file__).parent / "models"


class PackError(Exception):
    pass


def check_protocol(meta: dict[str, Any], path: Path | str = "") -> None:
    protocol = meta.get("protocol")
    if protocol != PROTOCOL:
        raise PackError(f"model pack {path}: protocol {protocol!r}, expected {PROTOCOL}; retrain it")


@dataclass(frozen=True)
class Features:
    """Hashed char_wb and word n-grams, tf-idf weighted and l2-normalised per part."""

    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    char_bits: int = 19
    word_bits: int = 18

    def vectorizers(self) -> tuple[HashingVectorizer, HashingVectorizer]:
        common = {"alternate_sign": False, "norm": None, "lowercase": True, "dtype": np.float32}
        chars = HashingVectorizer(
            analyzer="char_wb", ngram_range=self.char_ngrams, n_features=2**self.char_bits, **common
        )
        words = HashingVectorizer(
            analyzer="word",
            ngram_range=self.word_ngrams,
            n_features=2**self.word_bits,
            token_pattern=r"(?u)\b\w+\b|[!?]|[\U0001F300-\U0001FAFF\u2600-\u27BF]",
            **common,
        )
        return chars, words

    def counts(self, texts: Sequence[str]) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        chars, words = self.vectorizers()
        return chars.transform(texts), words.transform(texts)

    def to_json(self) -> dict[str, Any]:
        return {
            "char_ngrams": list(self.char_ngrams),
            "word_ngrams": list(self.word_ngrams),
            "char_bits": self.char_bits,
            "word_bits": self.word_bits,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Features:
        return cls(
            char_ngrams=(int(data["char_ngrams"][0]), int(data["char_ngrams"][1])),
            word_ngrams=(int(data["word_ngrams"][0]), int(data["word_ngrams"][1])),
            char_bits=int(data["char_bits"]),
            word_bits=int(data["word_bits"]),
        )


def fold(counts: sparse.csr_matrix, bits: int) -> sparse.csr_matrix:
    """Counts hashed into 2**k buckets → 2**bits buckets (bits ≤ k): the hash modulo a smaller power of 2."""
    size = 2**bits
    if counts.shape[1] == size:
        return counts
    if counts.shape[1] < size:
        raise ValueError(f"cannot fold {counts.shape[1]} buckets into {size}")
    # copies: ``sum_duplicates`` sorts and sums in place, and ``counts`` is a batch's shared cache
    # (``CountCache``) that the next pack folds again
    folded = sparse.csr_matrix(
        (counts.data.copy(), counts.indices % size, counts.indptr.copy()), shape=(counts.shape[0], size)
    )
    folded.sum_duplicates()
    return folded


class CountCache:
    """Hashed n-gram counts of one batch of texts, computed once and folded to each pack's size."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = list(texts)
        self._widest: dict[tuple[Any, ...], tuple[Features, sparse.csr_matrix, sparse.csr_matrix]] = {}

    def counts(self, features: Features) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        key = (features.char_ngrams, features.word_ngrams)
        cached = self._widest.get(key)
        if (
            cached is None
            or cached[0].char_bits < features.char_bits
            or cached[0].word_bits < features.word_bits
        ):
            widest = Features(
                features.char_ngrams,
                features.word_ngrams,
                max(features.char_bits, 19),
                max(features.word_bits, 18),
            )
            cached = (widest, *widest.counts(self.texts))
            self._widest[key] = cached
        _, chars, words = cached
        return fold(chars, features.char_bits), fold(words, features.word_bits)


def idf_weights(counts: sparse.csr_matrix) -> np.ndarray:
    documents = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return (np.log((1 + documents) / (1 + df)) + 1).astype(np.float32)


def tfidf(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    counts = counts.tocsr(copy=True)
    counts.data = np.log1p(counts.data)  # sublinear tf
    weighted = counts @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    return sparse.csr_matrix(sparse.diags(1 / norms) @ weighted)


DenseFn = Callable[[Sequence[str]], np.ndarray]
Checkpoints = Mapping[str, "Path | str"]  # classifier name → local Hugging Face checkpoint (``nlp.hf``)


class TextModel(Protocol):
    """What the classifiers need of a model: a pack here, or a checkpoint (``nlp.hf``)."""

    name: str
    labels: list[str]
    kind: str
    dense: list[str]
    meta: dict[str, Any]

    @property
    def model_id(self) -> str: ...

    def scores(
        self, texts: Sequence[str], dense: np.ndarray | None = None, cache: CountCache | None = None
    ) -> np.ndarray: ...


@dataclass
class LinearTextModel:
    """``kind``: ``softmax`` (one label per text) or ``sigmoid`` (independent labels)."""

    name: str
    labels: list[str]
    kind: str
    features: Features
    char_idf: np.ndarray
    word_idf: np.ndarray
    coef: np.ndarray  # labels × features (a single row for a binary sigmoid model)
    intercept: np.ndarray
    dense: list[str] = field(default_factory=list)  # names of the dense feature columns
    meta: dict[str, Any] = field(default_factory=dict)
    dense_fn: DenseFn | None = None

    def matrix(
        self, texts: Sequence[str], dense: np.ndarray | None = None, cache: CountCache | None = None
    ) -> sparse.csr_matrix:
        chars, words = cache.counts(self.features) if cache is not None else self.features.counts(texts)
        parts = [tfidf(chars, self.char_idf), tfidf(words, self.word_idf)]
        if self.dense:
            if dense is None:
                if self.dense_fn is None:
                    raise PackError(f"{self.name}: dense features {self.dense} need a dense_fn")
                dense = self.dense_fn(texts)
            parts.append(sparse.csr_matrix(dense.astype(np.float32)))
        return sparse.csr_matrix(sparse.hstack(parts, format="csr"))

    def scores(
        self, texts: Sequence[str], dense: np.ndarray | None = None, cache: CountCache | None = None
    ) -> np.ndarray:
        """Probabilities, texts × labels; ``cache`` shares the hashing of ``texts`` between packs."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        logits = np.asarray(self.matrix(texts, dense, cache) @ self.coef.T) + self.intercept
        if self.kind == "softmax":
            logits = logits - logits.max(axis=1, keepdims=True)
            exp = np.exp(logits)
            return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=np.float32)
        return np.asarray(1 / (1 + np.exp(-logits)), dtype=np.float32)

    @property
    def model_id(self) -> str:
        return str(self.meta.get("id", self.name))

    def save(self, directory: Path, meta: dict[str, Any]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        coef = self.coef.astype(np.float16)
        np.savez_compressed(
            directory / "weights.npz",
            char_idf=self.char_idf.astype(np.float16),
            word_idf=self.word_idf.astype(np.float16),
            coef=coef,
            intercept=self.intercept.astype(np.float32),
        )
        digest = pack_digest(directory)
        meta = {
            "protocol": PROTOCOL,
            "id": f"{self.name}-{digest}",
            "name": self.name,
            "labels": self.labels,
            "kind": self.kind,
            "features": self.features.to_json(),
            "dense": self.dense,
            **meta,
        }
        (directory / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", "utf-8")
        self.meta = meta

    @classmethod
    def load(cls, directory: Path | str, dense_fn: DenseFn | None = None) -> LinearTextModel:
        directory = Path(directory)
        try:
            meta = json.loads((directory / "meta.json").read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise PackError(f"model pack {directory}: no readable meta.json ({error})") from error
        check_protocol(meta, directory)
        with np.load(directory / "weights.npz") as weights:
            return cls(
                name=meta["name"],
                labels=list(meta["labels"]),
                kind=meta["kind"],
                features=Features.from_json(meta["features"]),
                char_idf=weights["char_idf"].astype(np.float32),
                word_idf=weights["word_idf"].astype(np.float32),
                coef=weights["coef"].astype(np.float32),
                intercept=weights["intercept"].astype(np.float32),
                dense=list(meta.get("dense", [])),
                meta=meta,
                dense_fn=dense_fn,
            )


CNN_FILES = "word_cnn*.npz"  # the word CNNs saved beside a pack (nlp/word_cnn.py: ``cnn_file``)


def pack_digest(directory: Path) -> str:
    """The id's digest: every weights file of the pack, its word CNNs (nlp/word_cnn.py, saved before
    the pack) included, so a pack whose CNNs alone were retrained gets a new id and the posts it
    analysed count as stale."""
    files = [directory / "weights.npz", *sorted(directory.glob(CNN_FILES))]
    return hashlib.sha256(b"".join(path.read_bytes() for path in files)).hexdigest()[:8]


def pack_dir(name: str, root: Path | None = None) -> Path:
    return (root or MODELS_DIR) / name
