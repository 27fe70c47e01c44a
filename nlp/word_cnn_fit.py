"""Training of ``nlp.word_cnn.WordCNN`` with torch (inference is numpy, in ``nlp.word_cnn``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import torch

from nlp import vectors
from nlp.word_cnn import UNKNOWN, CnnSettings, WordCNN, tokens


def fit_word_cnn(
    texts: Sequence[str],
    y: Sequence[int] | np.ndarray,
    row_weight: Sequence[float] | np.ndarray,
    classes: int,
    settings: CnnSettings | None = None,
    seed: int = 13,
) -> WordCNN:
    """Adam on the weighted cross-entropy (``row_weight``: the linear pack's per-row weights, class
    balance included), batches of similar length in a seeded order."""
    settings = settings or CnnSettings()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        tokenised = [tokens(text) or ["<empty>"] for text in texts]
        counts = Counter(word for words in tokenised for word in words)
        navec_words = sorted(word for word in counts if vectors.word_vector(word) is not None)
        navec_index = {word: i + 1 for i, word in enumerate(navec_words)}  # 0 = padding
        extra_words = sorted(w for w, n in counts.items() if n >= settings.min_count and w not in navec_index)
        extra_index = {word: i + 1 for i, word in enumerate(extra_words)}  # 0 = unknown
        table = np.zeros((len(navec_words) + 1, vectors.DIM), dtype=np.float32)
        for word, i in navec_index.items():
            table[i] = vectors.word_vector(word)
        ids = [
            (
                [navec_index.get(w, 0) for w in words],
                [0 if w in navec_index else extra_index.get(w, UNKNOWN) for w in words],
            )
            for words in tokenised
        ]
        net = _Net(table, len(extra_words) + 1, settings, classes)
        optimiser = torch.optim.Adam(
            [p for p in net.parameters() if p.requires_grad], lr=settings.learning_rate
        )
        weight = np.asarray(row_weight, dtype=np.float64)
        weights = torch.from_numpy(weight / weight.mean()).float()
        labels = torch.as_tensor(np.asarray(y, dtype=np.int64))
        lengths = np.asarray([len(navec) for navec, _ in ids])
        steps = settings.epochs * -(-len(ids) // settings.batch)
        step = 0
        for _ in range(settings.epochs):
            net.train()
            order = np.argsort(lengths + rng.random(len(lengths)) * 4)  # similar lengths, shuffled ties
            batches = [order[k : k + settings.batch] for k in range(0, len(order), settings.batch)]
            rng.shuffle(batches)
            for batch in batches:
                logits = net(*_padded(ids, batch))
                loss = torch.nn.functional.cross_entropy(logits, labels[batch], reduction="none")
                optimiser.zero_grad()
                (loss * weights[batch]).mean().backward()
                for group in optimiser.param_groups:
                    group["lr"] = settings.learning_rate * (1 - step / steps)
                optimiser.step()
                step += 1
        return net.export(extra_index)
    finally:
        torch.set_num_threads(threads)


def _padded(ids: list[tuple[list[int], list[int]]], batch: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    longest = max(len(ids[i][0]) for i in batch)
    navec = np.zeros((len(batch), longest), dtype=np.int64)
    extra = np.full((len(batch), longest), -1, dtype=np.int64)  # −1: padding
    for row, i in enumerate(batch):
        navec[row, : len(ids[i][0])] = ids[i][0]
        extra[row, : len(ids[i][1])] = ids[i][1]
    return torch.from_numpy(navec), torch.from_numpy(extra)


class _Net(torch.nn.Module):
    def __init__(self, table: np.ndarray, extra: int, settings: CnnSettings, classes: int) -> None:
        super().__init__()
        self.navec = torch.nn.Embedding.from_pretrained(torch.from_numpy(table), freeze=True)
        self.extra = torch.nn.Embedding(extra, vectors.DIM)
        torch.nn.init.normal_(self.extra.weight, std=0.05)
        self.proj = torch.nn.Linear(vectors.DIM, settings.dim)
        self.convs = torch.nn.ModuleList(
            [torch.nn.Conv1d(settings.dim, settings.filters, w, padding=w // 2) for w in settings.widths]
        )
        self.drop = torch.nn.Dropout(settings.dropout)
        self.out = torch.nn.Linear(settings.filters * len(settings.widths), classes)

    def forward(self, navec: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        mask = extra >= 0
        known = (navec > 0)[:, :, None]  # a navec word reads navec, any other token its extra row
        words = torch.where(known, self.navec(navec), self.extra(extra.clamp(min=0)))
        x = (torch.relu(self.proj(words)) * mask[:, :, None]).transpose(1, 2)  # padding stays zero
        pooled = []
        for conv in self.convs:
            h = torch.relu(conv(x))[:, :, : mask.shape[1]].masked_fill(~mask[:, None, :], 0)
            pooled.append(h.max(dim=2).values)
        return self.out(self.drop(torch.cat(pooled, 1)))

    def export(self, extra_index: dict[str, int]) -> WordCNN:
        def array(tensor: torch.Tensor) -> np.ndarray:
            return np.asarray(tensor.detach().numpy(), dtype=np.float32).copy()

        return WordCNN(
            extra=extra_index,
            extra_vectors=array(self.extra.weight),
            proj_w=array(self.proj.weight).T.copy(),
            proj_b=array(self.proj.bias),
            conv_w=[array(conv.weight) for conv in self.convs],  # type: ignore[arg-type]
            conv_b=[array(conv.bias) for conv in self.convs],  # type: ignore[arg-type]
            out_w=array(self.out.weight).T.copy(),
            out_b=array(self.out.bias),
        )
