"""The transformers backend on a tiny BERT the test builds itself: fine-tune, load, analyse; offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlp.analyzer import Analyzer, Document
from nlp.hf import HfTextModel
from nlp.sentiment import LABELS
from nlp.train_hf import fine_tune

TEXTS = [
    ("третий день нет воды, сколько можно", "negative"),
    ("яма на дороге, машину разбил, ужас", "negative"),
    ("опять не вывезли мусор, воняет", "negative"),
    ("автобус не пришел, стоим час на морозе", "negative"),
    ("спасибо коммунальщикам за быструю работу", "positive"),
    ("отличный праздник, детям очень понравилось", "positive"),
    ("молодцы, дорогу сделали быстро и хорошо", "positive"),
    ("благодарим врачей поликлиники за заботу", "positive"),
    ("график приема граждан на следующей неделе", "neutral"),
    ("в пятницу заседание совета депутатов", "neutral"),
    ("расписание автобусов на лето опубликовано", "neutral"),
    ("отключение воды по улице Мира с 9 до 17", "neutral"),
]


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT with hidden size 32 and a WordPiece vocabulary built from the texts."""
    tokenizers = pytest.importorskip("tokenizers")
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    directory = tmp_path_factory.mktemp("tiny-bert")
    wordpiece = tokenizers.Tokenizer(tokenizers.models.WordPiece(unk_token="[UNK]"))
    wordpiece.normalizer = tokenizers.normalizers.BertNormalizer(lowercase=True)
    wordpiece.pre_tokenizer = tokenizers.pre_tokenizers.BertPreTokenizer()
    trainer = tokenizers.trainers.WordPieceTrainer(
        vocab_size=400, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    )
    wordpiece.train_from_iterator([text for text, _ in TEXTS] * 3, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=wordpiece, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]"
    )
    tokenizer.save_pretrained(directory)
    config = BertConfig(
        vocab_size=wordpiece.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    BertModel(config).save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def fine_tuned(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[float]]:
    out = tmp_path_factory.mktemp("tiny-sentiment")
    texts, names = zip(*TEXTS, strict=True)
    losses = fine_tune(
        tiny_checkpoint,
        texts,
        names,
        list(LABELS),
        "softmax",
        out,
        epochs=30,
        lr=3e-3,
        batch_size=4,
        max_len=32,
    )
    return out, losses


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def test_fine_tuning_learns_and_saves_a_checkpoint_with_our_labels(
    fine_tuned: tuple[Path, list[float]],
) -> None:
    out, losses = fine_tuned
    assert losses[-1] < losses[0] * 0.7
    model = HfTextModel.load(out)
    assert model.labels == list(LABELS) and model.kind == "softmax"
    scores = model.scores([text for text, _ in TEXTS])
    assert scores.shape == (len(TEXTS), 3)
    assert np.allclose(scores.sum(axis=1), 1, atol=1e-5)
    right = sum(LABELS[int(row.argmax())] == gold for row, (_, gold) in zip(scores, TEXTS, strict=True))
    assert right >= 9  # it fits its own training texts


def test_the_analyzer_uses_the_configured_checkpoint_for_sentiment(
    fine_tuned: tuple[Path, list[float]],
) -> None:
    out, _ = fine_tuned
    analyzer = Analyzer.load(None, checkpoints={"sentiment": out})
    assert "sentiment-hf-" in analyzer.model_id
    expected = HfTextModel.load(out).scores(["третий день нет воды, сколько можно"])[0]
    (analysis,) = analyzer.map_documents([Document("1", "третий день нет воды, сколько можно")])
    assert analysis.sentiment == LABELS[int(expected.argmax())]
    assert analysis.sentiment_scores["negative"] == pytest.approx(float(expected[0]), abs=1e-3)
    assert analysis.is_incident  # the incident pack keeps the sentiment pack it was trained with


def test_a_sigmoid_checkpoint_replaces_the_incident_pack(tiny_checkpoint: Path, tmp_path: Path) -> None:
    texts = [text for text, _ in TEXTS]
    names = ["incident" if gold == "negative" else "" for _, gold in TEXTS]
    fine_tune(
        tiny_checkpoint, texts, names, ["incident"], "sigmoid", tmp_path, epochs=2, batch_size=4, max_len=32
    )
    analyzer = Analyzer.load(None, checkpoints={"incident": tmp_path})
    (analysis,) = analyzer.map_documents([Document("1", "яма на дороге")])
    assert 0 <= analysis.incident_score <= 1 and "incident-hf-" in analyzer.model_id
