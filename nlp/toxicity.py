"""Toxicity 0–1: insults and obscenity. Trained on RUSSE 2022 detox pairs (toxic vs. rewrite)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nlp.pack import Checkpoints, CountCache, TextModel

NAME = "toxicity"


class ToxicityClassifier:
    def __init__(self, model: TextModel) -> None:
        self.model = model

    @classmethod
    def load(cls, root: Path | None = None, checkpoints: Checkpoints | None = None) -> ToxicityClassifier:
        """The committed pack, or the Hugging Face checkpoint configured for ``toxicity``."""
        from nlp.hf import load_model

        return cls(load_model(NAME, root, checkpoints))

    def map(self, texts: Sequence[str], cache: CountCache | None = None) -> list[float]:
        return [round(float(row[0]), 4) for row in self.model.scores(texts, cache=cache)]
