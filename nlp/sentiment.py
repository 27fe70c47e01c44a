"""Sentiment of a post: negative / neutral / positive with probabilities.

Trained on RuSentiment (VK posts; CC BY-NC-SA 4.0): ``speech`` (greetings, thanks,
congratulations) is mapped to positive and ``skip`` is dropped, see ``nlp/models/sentiment``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlp.pack import Checkpoints, CountCache, TextModel

NAME = "sentiment"
LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Sentiment:
    label: str
    scores: dict[str, float]


class SentimentClassifier:
    def __init__(self, model: TextModel) -> None:
        if tuple(model.labels) != LABELS:
            raise ValueError(f"sentiment pack labels {model.labels}, expected {LABELS}")
        self.model = model

    @classmethod
    def load(cls, root: Path | None = None, checkpoints: Checkpoints | None = None) -> SentimentClassifier:
        """The committed pack (blended with its word CNN when it has one, ``nlp.word_cnn``), or the
        Hugging Face checkpoint configured for ``sentiment``."""
        from nlp.hf import load_model
        from nlp.pack import LinearTextModel, pack_dir
        from nlp.word_cnn import with_word_cnn

        model = load_model(NAME, root, checkpoints)
        if isinstance(model, LinearTextModel):  # a pack may carry its word CNN (since round 8)
            return cls(with_word_cnn(model, pack_dir(NAME, root)))
        return cls(model)

    def map(self, texts: Sequence[str], cache: CountCache | None = None) -> list[Sentiment]:
        return self.adapt(self.model.scores(texts, cache=cache))

    def adapt(self, scores: np.ndarray) -> list[Sentiment]:
        """The pack's probabilities (texts × 3) as labelled results."""
        out = []
        for row in scores:
            values = {label: round(float(value), 4) for label, value in zip(LABELS, row, strict=True)}
            out.append(Sentiment(LABELS[int(row.argmax())], values))
        return out
