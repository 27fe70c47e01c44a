"""Fine-tune a local Hugging Face checkpoint for one classifier, on the data its pack is trained on.

    python -m nlp.train_hf --checkpoint ~/models/rubert --task sentiment --out ~/models/rubert-sentiment \\
        [--data ../shared/data] [--epochs 2] [--lr 3e-5] [--batch 16] [--max-len 128] [--limit N] [--seed 13]

``--checkpoint`` is a directory with a model and tokenizer saved by ``save_pretrained`` (a
user's rubert, for example); nothing is downloaded. The result is a sequence-classification
checkpoint whose ``id2label`` names the classifier's labels, plus ``infopole.json`` (task,
data, date, seed, validation metric), ready for ``INFOPOLE_NLP_CHECKPOINTS``. Training data
are those of ``nlp.train`` (weak labels, templates, seeds); the RuSentiment test, the held-out
random posts and the development set are never read. A plain torch loop: no ``accelerate``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from nlp import incident as incident_module
from nlp import sentiment as sentiment_module
from nlp import topic as topic_module
from nlp.hf import META
from nlp.normalize import normalize
from nlp.train import incident_corpus, split, topic_corpus
from nlp.training import data, templates

TASKS = ("sentiment", "topic", "incident", "toxicity")


def task_data(task: str, root: Path, seed: int) -> tuple[list[str], list[str], list[str], str]:
    """Texts, their label names, the label set and the kind (softmax or sigmoid) of a classifier."""
    if task == "sentiment":
        rows = data.three_class(
            data.rusentiment(root, "random_posts") + data.rusentiment(root, "preselected_posts")
        )
        rows += data.three_class(data.rusentitweet(root, "train"))
        rows += [data.Labelled(t, label) for t, label in templates.sentiment_examples(500, seed)]
        return (
            [normalize(r.text) for r in rows],
            [r.label for r in rows],
            list(sentiment_module.LABELS),
            "softmax",
        )
    if task == "topic":
        from infopole.config.blocks import blocks

        texts, names = topic_corpus(root, seed)
        return texts, names, [*blocks(), topic_module.NONE], "softmax"
    if task == "incident":
        texts, y, _ = incident_corpus(root, seed)
        return (
            texts,
            [incident_module.NAME if label else "" for label in y],
            [incident_module.NAME],
            "sigmoid",
        )
    if task == "toxicity":
        rows = data.detox(root, "train")
        return (
            [normalize(r.text) for r in rows],
            [r.label if r.label == "toxic" else "" for r in rows],
            ["toxic"],
            "sigmoid",
        )
    raise ValueError(f"unknown task {task!r}; one of {TASKS}")


def fine_tune(
    checkpoint: Path,
    texts: Sequence[str],
    names: Sequence[str],
    labels: Sequence[str],
    kind: str,
    out: Path,
    *,
    epochs: int = 2,
    lr: float = 3e-5,
    batch_size: int = 16,
    max_len: int = 128,
    seed: int = 13,
    meta: dict[str, Any] | None = None,
) -> list[float]:
    """Fine-tune ``checkpoint`` on (text, label name) pairs (an empty name: no label of a sigmoid
    model); save model, tokenizer and ``infopole.json`` to ``out``; the mean loss of each epoch."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    sigmoid = kind == "sigmoid"
    tokenizer = AutoTokenizer.from_pretrained(checkpoint, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(
        checkpoint,
        local_files_only=True,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        problem_type="multi_label_classification" if sigmoid else "single_label_classification",
        ignore_mismatched_sizes=True,  # a new head for our labels
    )
    index = {label: i for i, label in enumerate(labels)}
    if sigmoid:
        target = torch.zeros(len(names), len(labels))
        for row, name in enumerate(names):
            if name:
                target[row, index[name]] = 1.0
    else:
        target = torch.tensor([index[name] for name in names])
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    order = list(range(len(texts)))
    losses = []
    model.train()
    for _ in range(epochs):
        random.shuffle(order)
        total = 0.0
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in rows],
                truncation=True,
                max_length=max_len,
                padding=True,
                return_tensors="pt",
            )
            loss = model(**batch, labels=target[rows]).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            total += float(loss.detach()) * len(rows)
        losses.append(total / len(order))
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    info = {"max_len": max_len, "epochs": epochs, "lr": lr, "seed": seed, "losses": losses, **(meta or {})}
    (out / META).write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return losses


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--task", choices=TASKS, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--max-len", type=int, default=128)
    parser.add_argument("--limit", type=int, default=None, help="train on a random sample of this size")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    texts, names, labels, kind = task_data(args.task, args.data, args.seed)
    pairs = list(zip(texts, names, strict=True))
    train, valid = split(pairs, args.seed)
    if args.limit:
        train = train[: args.limit]
    started = time.monotonic()
    meta = {
        "name": args.task,
        "task": args.task,
        "base": str(args.checkpoint),
        "date": datetime.now(UTC).date().isoformat(),
        "data": f"as nlp.train --only {args.task} (training split, seed {args.seed})",
    }
    losses = fine_tune(
        args.checkpoint,
        [t for t, _ in train],
        [n for _, n in train],
        labels,
        kind,
        args.out,
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch,
        max_len=args.max_len,
        seed=args.seed,
        meta=meta,
    )
    rounded = [round(x, 4) for x in losses]
    print(f"{args.task}: {len(train)} texts, losses {rounded}, {time.monotonic() - started:.0f}s")
    from sklearn.metrics import f1_score

    from nlp.hf import HfTextModel

    model = HfTextModel.load(args.out, args.task)
    scores = model.scores([t for t, _ in valid])
    if kind == "softmax":
        predicted = [labels[i] for i in scores.argmax(axis=1)]
        score = f1_score([n for _, n in valid], predicted, average="macro")
    else:
        score = f1_score([bool(n) for _, n in valid], scores[:, 0] >= 0.5)
    metric = "macro-F1" if kind == "softmax" else "F1"
    print(f"{args.task}: validation {metric} {score:.4f} ({len(valid)} texts)")
    info = json.loads((args.out / META).read_text("utf-8"))
    info["validation_f1"] = round(float(score), 4)
    (args.out / META).write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
