"""Topic blocks: the 26 canonical blocks, multi-label with scores.

A linear model over n-grams and the mean navec vector (``nlp.vectors``), trained with weak
supervision (lexicon-labelled appeals, subtopic names, seed posts, template complaints, and random
VK posts as «no topic»), is blended with the keyword lexicon itself; the
blend weight is stored in the pack. A text is topical when it is municipal enough
(``relevance``); its blocks are then those whose score passes ``threshold``, best first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlp import vectors
from nlp.lexicon import topic_matches
from nlp.pack import Checkpoints, CountCache, TextModel

NAME = "topic"
NONE = "—"  # the model's «not a municipal topic» label


@dataclass(frozen=True)
class Topics:
    block: str | None
    blocks: tuple[str, ...]
    scores: dict[str, float]
    keywords: dict[str, list[str]]


def lexicon_scores(
    texts: Sequence[str], labels: Sequence[str]
) -> tuple[np.ndarray, list[dict[str, list[str]]]]:
    """Per block: 1 - 0.5^hits, the share of the text's keyword hits going to each block."""
    matrix = np.zeros((len(texts), len(labels)), dtype=np.float32)
    index = {label: i for i, label in enumerate(labels)}
    found = []
    for row, text in enumerate(texts):
        hits = topic_matches(text)
        found.append(hits)
        for block, words in hits.items():
            matrix[row, index[block]] = 1 - 0.5 ** len(words)
    return matrix, found


class TopicClassifier:
    def __init__(self, model: TextModel) -> None:
        self.model = model
        self.blocks = [label for label in model.labels if label != NONE]
        self.lexicon_weight = float(model.meta.get("lexicon_weight", 0.5))
        self.threshold = float(model.meta.get("threshold", 0.2))
        self.relevance = float(model.meta.get("relevance", 0.5))

    @classmethod
    def load(cls, root: Path | None = None, checkpoints: Checkpoints | None = None) -> TopicClassifier:
        """The committed pack, or the Hugging Face checkpoint configured for ``topic``."""
        from nlp.hf import load_model

        return cls(load_model(NAME, root, checkpoints))

    def score_matrix(
        self, texts: Sequence[str], cache: CountCache | None = None
    ) -> tuple[np.ndarray, np.ndarray, list[dict[str, list[str]]]]:
        """Blended block scores (texts × blocks) and how municipal each text is (0–1).

        The model's block probabilities are taken given that the text is municipal at all
        (divided by 1 − P(none)), so a short complaint is not drowned by the «none» class;
        the relevance is the larger of 1 − P(none) and the best keyword score.
        """
        dense = vectors.mean_vectors(texts) if self.model.dense else None  # a checkpoint: text only
        probabilities = self.model.scores(texts, dense=dense, cache=cache)
        columns = [self.model.labels.index(block) for block in self.blocks]
        none = probabilities[:, self.model.labels.index(NONE)]
        conditional = probabilities[:, columns] / np.maximum(1 - none, 1e-6)[:, None]
        lexicon, found = lexicon_scores(texts, self.blocks)
        weight = self.lexicon_weight
        relevance = np.maximum(1 - none, lexicon.max(axis=1, initial=0))
        return (1 - weight) * conditional + weight * lexicon, relevance, found

    def map(self, texts: Sequence[str], cache: CountCache | None = None) -> list[Topics]:
        scores, relevance, found = self.score_matrix(texts, cache)
        out = []
        for row, relevant, keywords in zip(scores, relevance, found, strict=True):
            order = np.argsort(-row)
            ranked = [(self.blocks[i], float(row[i])) for i in order if row[i] >= self.threshold]
            if relevant < self.relevance:
                ranked = []
            top = {block: round(float(row[i]), 4) for i in order[:5] for block in [self.blocks[i]]}
            out.append(
                Topics(
                    block=ranked[0][0] if ranked else None,
                    blocks=tuple(block for block, _ in ranked),
                    scores=top,
                    keywords=keywords,
                )
            )
        return out
