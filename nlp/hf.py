"""A local Hugging Face checkpoint as a classifier of ``nlp``: the ``transformers`` backend.

    model = HfTextModel.load("/models/my-rubert-sentiment")     # config, weights, tokenizer on disk
    model.scores(["нет воды третий день"])                       # texts × labels, like a pack

Any sequence-classification checkpoint saved with ``save_pretrained`` works (a user's fine-tuned
rubert, for example); its ``id2label`` must name the classifier's labels (``nlp.train_hf``
writes them), and ``problem_type`` ``multi_label_classification`` makes it a sigmoid model like
the incident and toxicity packs. Nothing is downloaded: files are read with
``local_files_only``. An optional ``infopole.json`` beside the weights holds what a pack keeps
in ``meta.json`` (thresholds, the topic blend). Which classifier uses which checkpoint is the
setting ``INFOPOLE_NLP_CHECKPOINTS`` (``{"sentiment": "/path"}``), passed to ``Analyzer.load``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nlp.pack import Checkpoints, CountCache, LinearTextModel, PackError, TextModel, pack_dir

META = "infopole.json"


class HfTextModel:
    def __init__(self, directory: Path, tokenizer: Any, model: Any, meta: dict[str, Any]) -> None:
        self.directory = directory
        self.tokenizer = tokenizer
        self.model = model
        config = model.config
        self.labels = [str(config.id2label[i]) for i in range(config.num_labels)]
        self.kind = "sigmoid" if config.problem_type == "multi_label_classification" else "softmax"
        self.name = str(meta.get("name", directory.name))
        self.dense: list[str] = []  # text only: the cue features of the linear packs are not used
        self.max_len = int(meta.get("max_len", 256))
        self.batch_size = int(meta.get("batch_size", 16))
        digest = hashlib.sha256(
            json.dumps(config.to_dict(), sort_keys=True, default=str).encode()
            + b"".join(str(p.stat().st_size).encode() for p in sorted(directory.glob("*.safetensors")))
        ).hexdigest()[:8]
        self.meta = {"id": f"{self.name}-hf-{digest}", **meta}

    @classmethod
    def load(cls, directory: Path | str, name: str | None = None) -> HfTextModel:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        directory = Path(directory)
        if not (directory / "config.json").exists():
            raise PackError(f"checkpoint {directory}: no config.json")
        meta_path = directory / META
        meta = json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {}
        if name:
            meta.setdefault("name", name)
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(directory, local_files_only=True)
        model.eval()
        return cls(directory, tokenizer, model, meta)

    @property
    def model_id(self) -> str:
        return str(self.meta["id"])

    def scores(
        self, texts: Sequence[str], dense: np.ndarray | None = None, cache: CountCache | None = None
    ) -> np.ndarray:
        """Probabilities, texts × labels, in batches under ``torch.inference_mode``."""
        import torch

        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = self.tokenizer(
                    list(texts[start : start + self.batch_size]),
                    truncation=True,
                    max_length=self.max_len,
                    padding=True,
                    return_tensors="pt",
                )
                logits = self.model(**batch).logits
                probabilities = torch.sigmoid(logits) if self.kind == "sigmoid" else torch.softmax(logits, -1)
                out.append(probabilities.float().numpy())
        return np.concatenate(out).astype(np.float32)


def load_model(name: str, root: Path | None = None, checkpoints: Checkpoints | None = None) -> TextModel:
    """The classifier ``name``: the checkpoint configured for it, or the committed pack."""
    checkpoint = (checkpoints or {}).get(name)
    if checkpoint:
        return HfTextModel.load(checkpoint, name)
    return LinearTextModel.load(pack_dir(name, root))
