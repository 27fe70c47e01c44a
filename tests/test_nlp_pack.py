from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from nlp.pack import MODELS_DIR, PROTOCOL, CountCache, Features, LinearTextModel, PackError, idf_weights


def test_every_shipped_pack_has_meta_card_and_licence() -> None:
    for name in ("sentiment", "topic", "incident", "toxicity"):
        directory = MODELS_DIR / name
        meta = json.loads((directory / "meta.json").read_text("utf-8"))
        assert meta["protocol"] == PROTOCOL
        assert meta["labels"] and meta["licence"] and meta["date"] and "metrics" in meta
        assert (directory / "README.md").read_text("utf-8").startswith("# ")
        assert (directory / "weights.npz").stat().st_size < 8_000_000
    sentiment = json.loads((MODELS_DIR / "sentiment" / "meta.json").read_text("utf-8"))
    assert "CC BY-NC-SA" in sentiment["licence"]


def test_a_pack_of_another_protocol_is_rejected(tmp_path: Path) -> None:
    copy = tmp_path / "toxicity"
    shutil.copytree(MODELS_DIR / "toxicity", copy)
    meta = json.loads((copy / "meta.json").read_text("utf-8"))
    meta["protocol"] = PROTOCOL + 1
    (copy / "meta.json").write_text(json.dumps(meta), "utf-8")
    with pytest.raises(PackError, match="protocol"):
        LinearTextModel.load(copy)


def test_a_directory_without_meta_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(PackError, match=r"meta\.json"):
        LinearTextModel.load(tmp_path)


def test_save_and_load_give_the_same_scores(tmp_path: Path) -> None:
    features = Features(char_bits=10, word_bits=10)
    texts = ["нет воды", "спасибо большое"]
    chars, words = features.counts(texts)
    rng = np.random.default_rng(0)
    model = LinearTextModel(
        name="tiny",
        labels=["a", "b"],
        kind="softmax",
        features=features,
        char_idf=idf_weights(chars),
        word_idf=idf_weights(words),
        coef=rng.normal(size=(2, 2048)).astype(np.float32),
        intercept=np.zeros(2, dtype=np.float32),
    )
    model.save(tmp_path / "tiny", {"date": "2026-01-01", "licence": "test", "metrics": {}})
    loaded = LinearTextModel.load(tmp_path / "tiny")
    assert loaded.model_id.startswith("tiny-")
    np.testing.assert_allclose(loaded.scores(texts), model.scores(texts), atol=2e-2)  # float16 weights
    assert loaded.scores(texts).sum(axis=1) == pytest.approx([1, 1], abs=1e-5)
    (tmp_path / "tiny" / "word_cnn.npz").write_bytes(b"one training")  # a word CNN saved beside it
    model.save(tmp_path / "tiny", {"date": "2026-01-01", "licence": "test", "metrics": {}})
    with_cnn = model.model_id
    (tmp_path / "tiny" / "word_cnn.npz").write_bytes(b"another training")
    model.save(tmp_path / "tiny", {"date": "2026-01-01", "licence": "test", "metrics": {}})
    assert len({loaded.model_id, with_cnn, model.model_id}) == 3  # the same n-grams, other CNNs: other ids


def test_folded_counts_equal_counts_hashed_to_the_smaller_size() -> None:
    texts = ["Третий день нет горячей воды 😡", "Спасибо коммунальщикам!", ""]
    small = Features(char_bits=12, word_bits=11)
    direct_chars, direct_words = small.counts(texts)
    cached_chars, cached_words = CountCache(texts).counts(small)
    assert (direct_chars != cached_chars).nnz == 0
    assert (direct_words != cached_words).nnz == 0


def test_a_batchs_cache_folded_for_one_pack_still_serves_the_next() -> None:
    """The four classifiers fold one batch's counts to their own sizes in turn; a fold must leave the
    cache as it was (it once sorted the shared arrays in place, so the analysis of a post depended
    on which other posts shared its batch and on which pack folded first)."""
    texts = ["нет нет нет воды воды, опять нет воды!!! 😡😡", "Спасибо коммунальщикам!", "ааа ааа ааа"]
    sizes = [Features(char_bits=16, word_bits=15), Features(char_bits=12, word_bits=11), Features()]
    cache = CountCache(texts)
    for features in sizes + sizes[::-1]:
        direct_chars, direct_words = features.counts(texts)
        cached_chars, cached_words = cache.counts(features)
        assert (direct_chars != cached_chars).nnz == 0
        assert (direct_words != cached_words).nnz == 0


def test_an_incident_pack_with_sentiment_columns_refuses_another_sentiment_pack() -> None:
    """Round 3 packs read the sentiment pack's scores and must get the pack they were trained with;
    the shipped round 4 pack has no sentiment columns and works with any sentiment pack."""
    from nlp.incident import DENSE, SENTIMENT_COLUMNS, IncidentClassifier, dense_features
    from nlp.sentiment import SentimentClassifier

    sentiment = SentimentClassifier.load()
    shipped = LinearTextModel.load(MODELS_DIR / "incident")
    assert shipped.dense == DENSE and "sentiment" not in shipped.meta
    legacy_dense = [*DENSE[: DENSE.index("navec_0")], *SENTIMENT_COLUMNS, *DENSE[DENSE.index("navec_0") :]]
    legacy = LinearTextModel(
        **{**shipped.__dict__, "dense": legacy_dense, "meta": {"sentiment": sentiment.model.model_id}}
    )
    texts = ["Третий день нет воды на Лесной 5", "Спасибо за концерт"]
    assert IncidentClassifier(legacy, sentiment).dense(texts).shape == (2, len(legacy_dense))
    assert dense_features(texts).shape == (2, len(DENSE))
    renamed = LinearTextModel.load(MODELS_DIR / "sentiment")  # the pack's id is its linear part's
    renamed.meta = {**renamed.meta, "id": "sentiment-00000000"}
    sentiment = SentimentClassifier(renamed)
    assert not IncidentClassifier(shipped, sentiment).uses_sentiment  # any sentiment pack will do
    with pytest.raises(PackError, match="retrain incident"):
        IncidentClassifier(legacy, sentiment)
    assert IncidentClassifier(shipped).sentiment is None  # the shipped pack needs no sentiment pack
    with pytest.raises(PackError, match="none given"):
        IncidentClassifier(legacy)


def test_incident_dense_columns_follow_the_packs_own_list() -> None:
    """A pack's ``dense`` names its columns (round 4: twelve cue groups; round 5: twenty; the round-5
    interactions compared and not kept), so every layout is computed by name from the same code; a
    name this code does not know is an error, never a shifted column."""
    from nlp.incident import (
        DENSE,
        DENSE_INTERACTIONS,
        DENSE_ROUND4,
        NAMED,
        NAVEC,
        IncidentClassifier,
        dense_features,
    )

    shipped = LinearTextModel.load(MODELS_DIR / "incident")
    texts = ["Третий день нет воды на Лесной 5", "Спасибо за концерт"]
    every = [*NAMED, *NAVEC]
    full = dense_features(texts, names=every)
    assert full.shape == (2, len(every)) and dense_features(texts).shape == (2, len(DENSE))
    ngrams = shipped.coef.shape[1] - len(shipped.dense)
    for names in (DENSE, DENSE_ROUND4, DENSE_INTERACTIONS):
        coef = np.zeros((1, ngrams + len(names)), dtype=np.float32)
        coef[0, ngrams + names.index("problem")] = 5.0  # only the problem cue weighs
        # no second look: a pack's may read its word CNN (round 9), which is not what is tested here
        pack = LinearTextModel(**{**shipped.__dict__, "dense": list(names), "coef": coef, "meta": {}})
        classifier = IncidentClassifier(pack)
        assert np.array_equal(classifier.dense(texts), full[:, [every.index(name) for name in names]])
        water, concert = classifier.map(texts)
        assert water.score > concert.score
    unknown = LinearTextModel(**{**shipped.__dict__, "dense": [*DENSE_ROUND4, "sarcasm_v9"]})
    with pytest.raises(PackError, match="sarcasm_v9"):
        IncidentClassifier(unknown).dense(texts)
