"""The sentiment pack's word CNNs: numpy inference is the trained torch network, it learns, it round-trips,
and a pack that names one or several is blended on load (several: their mean)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from nlp import vectors
from nlp.normalize import normalize
from nlp.pack import MODELS_DIR, LinearTextModel, PackError
from nlp.sentiment import LABELS, SentimentClassifier
from nlp.training.templates import sentiment_examples
from nlp.word_cnn import FILE, BlendedModel, CnnSettings, WordCNN, cnn_file, save_word_cnns, tokens
from nlp.word_cnn_fit import _Net, _padded, fit_word_cnn

SMALL = CnnSettings(dim=16, filters=8, epochs=12, batch=16, min_count=1)


def _rows() -> tuple[list[str], np.ndarray]:
    rows = sentiment_examples(300, 13)
    texts = [normalize(text) + (" )))" if label == "positive" else "") for text, label in rows]
    return texts, np.asarray([LABELS.index(label) for _, label in rows])


@pytest.fixture(scope="module")
def trained() -> tuple[WordCNN, list[str], np.ndarray]:
    texts, y = _rows()
    return fit_word_cnn(texts, y, np.ones(len(y)), 3, SMALL, seed=13), texts, y


def test_tokens_keep_emoticons_and_fold_yo() -> None:
    assert tokens("Ещё раз спасибо!!!!! ))))) 😊") == ["еще", "раз", "спасибо", "!!!", ")))", "😊"]
    assert len(tokens("слово " * 100)) == 64


def test_numpy_inference_equals_the_padded_torch_batch() -> None:
    """Texts of different lengths in one padded batch score as each text alone in numpy: the padding
    must not reach the convolutions (in a first draft it did: 0.04 apart)."""
    words = ["дом", "кот", "снег"]
    table = np.vstack([np.zeros(300, np.float32), *[np.asarray(vectors.embedding()[word]) for word in words]])
    torch.manual_seed(0)
    net = _Net(table, 3, CnnSettings(dim=8, filters=4), 3)
    torch.nn.init.normal_(net.proj.bias, std=0.5)  # a padded row would then be relu(bias), not zero
    net.eval()
    extra_index = {"😊": 1, ")))": 2}  # tokens navec lacks; 0: unknown
    texts = ["дом кот снег 😊 )))", "снег", "кот 😊 дом абырвалг кот снег"]
    ids = [
        (
            [words.index(w) + 1 if w in words else 0 for w in tokens(text)],
            [0 if w in words else extra_index.get(w, 0) for w in tokens(text)],
        )
        for text in texts
    ]
    with torch.no_grad():
        batch = torch.softmax(net(*_padded(ids, np.arange(len(texts)))), 1).numpy()
    np.testing.assert_allclose(net.export(extra_index).probabilities(texts), batch, atol=1e-5)


def test_it_learns_the_training_rows(trained: tuple[WordCNN, list[str], np.ndarray]) -> None:
    cnn, texts, y = trained
    probabilities = cnn.probabilities(texts)
    assert probabilities.sum(axis=1) == pytest.approx(np.ones(len(texts)), abs=1e-5)
    assert (probabilities.argmax(axis=1) == y).mean() > 0.9


def test_save_and_load_give_the_same_probabilities(
    trained: tuple[WordCNN, list[str], np.ndarray], tmp_path: Path
) -> None:
    cnn, texts, _ = trained
    cnn.save(tmp_path / FILE)
    loaded = WordCNN.load(tmp_path / FILE)
    assert loaded.extra == cnn.extra
    np.testing.assert_allclose(loaded.probabilities(texts[:50]), cnn.probabilities(texts[:50]), atol=1e-2)


def test_a_pack_naming_its_word_cnn_is_blended_on_load(
    trained: tuple[WordCNN, list[str], np.ndarray], tmp_path: Path
) -> None:
    cnn, texts, _ = trained
    root = tmp_path / "models"
    shutil.copytree(MODELS_DIR / "sentiment", root / "sentiment")
    assert isinstance(SentimentClassifier.load(root).model, BlendedModel)  # the committed pack has one
    meta = json.loads((root / "sentiment" / "meta.json").read_text("utf-8"))
    del meta["word_cnn"]  # a pack of round 7 or older
    (root / "sentiment" / "meta.json").write_text(json.dumps(meta), "utf-8")
    (root / "sentiment" / FILE).unlink()
    plain = SentimentClassifier.load(root).model
    assert isinstance(plain, LinearTextModel)  # no word_cnn in its meta: the pack alone, as before
    meta["word_cnn"] = {"weight": 0.25}
    (root / "sentiment" / "meta.json").write_text(json.dumps(meta), "utf-8")
    cnn.save(root / "sentiment" / FILE)
    blended = SentimentClassifier.load(root).model
    assert isinstance(blended, BlendedModel)
    assert blended.model_id == plain.model_id and blended.labels == list(LABELS)
    expected = 0.75 * plain.scores(texts[:20]) + 0.25 * cnn.probabilities(texts[:20])
    np.testing.assert_allclose(blended.scores(texts[:20]), expected, atol=1e-2)
    assert blended.scores([]).shape == (0, 3)
    (root / "sentiment" / FILE).unlink()
    with pytest.raises(PackError, match=r"names a word CNN: .* is missing"):  # not read without it
        SentimentClassifier.load(root)


def test_a_pack_naming_two_word_cnns_blends_their_mean(tmp_path: Path) -> None:
    texts, y = _rows()
    first = fit_word_cnn(texts, y, np.ones(len(y)), 3, SMALL, seed=13)
    second = fit_word_cnn(texts, y, np.ones(len(y)), 3, SMALL, seed=14)
    assert not np.allclose(first.probabilities(texts[:20]), second.probabilities(texts[:20]), atol=1e-3)
    root = tmp_path / "models"
    shutil.copytree(MODELS_DIR / "sentiment", root / "sentiment")
    meta = json.loads((root / "sentiment" / "meta.json").read_text("utf-8"))
    meta["word_cnn"] = {"weight": 0.4, "count": 2}
    (root / "sentiment" / "meta.json").write_text(json.dumps(meta), "utf-8")
    first.save(root / "sentiment" / cnn_file(0))
    second.save(root / "sentiment" / cnn_file(1))
    blended = SentimentClassifier.load(root).model
    assert isinstance(blended, BlendedModel) and len(blended.cnns) == 2
    mean = (first.probabilities(texts[:20]) + second.probabilities(texts[:20])) / 2
    expected = 0.6 * blended.linear.scores(texts[:20]) + 0.4 * mean
    np.testing.assert_allclose(blended.scores(texts[:20]), expected, atol=1e-2)
    (root / "sentiment" / cnn_file(1)).unlink()
    with pytest.raises(PackError, match=r"word_cnn_1\.npz is missing"):  # not read with one of two
        SentimentClassifier.load(root)


def test_saving_a_packs_cnns_removes_a_former_packs_extra_ones(
    trained: tuple[WordCNN, list[str], np.ndarray], tmp_path: Path
) -> None:
    cnn, _, _ = trained
    save_word_cnns(tmp_path / "pack", [cnn, cnn])
    assert sorted(path.name for path in (tmp_path / "pack").iterdir()) == [FILE, "word_cnn_1.npz"]
    save_word_cnns(tmp_path / "pack", [cnn])  # the id digests every word_cnn*.npz: none may linger
    assert [path.name for path in (tmp_path / "pack").iterdir()] == [FILE]
