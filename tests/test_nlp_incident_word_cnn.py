"""The incident pack's word CNN (round 9): its logit is a column of the second look, a pack that names
it loads it, a pack without it loads as before, and a pack that needs it but lacks it is refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from nlp.incident import (
    RECALIBRATION,
    WORD_CNN_COLUMN,
    IncidentClassifier,
    recalibration_columns,
    word_cnn_logit,
)
from nlp.normalize import normalize
from nlp.pack import MODELS_DIR, PackError
from nlp.recalibration import Recalibration, logit
from nlp.train import incident_recalibration
from nlp.training.handwritten import Handwritten
from nlp.word_cnn import FILE, CnnSettings, WordCNN
from nlp.word_cnn_fit import fit_word_cnn

SMALL = CnnSettings(dim=16, filters=8, epochs=12, batch=16, min_count=1)
LIVE = ["Третий день нет воды на Лесной 5", "Яма у школы, машины бьются", "Не вывозят мусор вторую неделю"]
CALM = ["Спасибо за концерт, было здорово", "Всех с праздником, друзья", "Кто едет на рыбалку в субботу"]
TEXTS = [normalize(text) for text in LIVE + CALM]


@pytest.fixture(scope="module")
def cnn() -> WordCNN:
    texts = TEXTS * 20
    y = np.asarray(([1] * len(LIVE) + [0] * len(CALM)) * 20)
    return fit_word_cnn(texts, y, np.ones(len(y)), 2, SMALL, seed=13)


def _pack(root: Path, recalibration: Recalibration | None, cnn: WordCNN | None, names_cnn: bool) -> Path:
    """A copy of the committed incident pack with the given second look and word CNN."""
    shutil.copytree(MODELS_DIR / "incident", root / "incident")
    meta_path = root / "incident" / "meta.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    meta.pop("word_cnn", None)
    if recalibration is None:  # the committed second look without a word CNN's column, if it has one
        shipped = Recalibration.from_json(meta["recalibration"])
        kept = [i for i, name in enumerate(shipped.columns) if name != WORD_CNN_COLUMN]
        coef = (shipped.coef[0], *[shipped.coef[i + 1] for i in kept])
        recalibration = Recalibration(tuple(shipped.columns[i] for i in kept), coef, shipped.intercept)
    meta["recalibration"] = recalibration.to_json()
    if names_cnn:
        meta["word_cnn"] = {"column": WORD_CNN_COLUMN, **SMALL.to_json()}
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    (root / "incident" / FILE).unlink(missing_ok=True)
    if cnn is not None:
        cnn.save(root / "incident" / FILE)
    return root


def test_the_column_is_the_logit_of_the_cnn_and_needs_the_cnn(cnn: WordCNN) -> None:
    columns = recalibration_columns(TEXTS, ["past", WORD_CNN_COLUMN, "log_length"], cnn)
    expected = logit(cnn.probabilities(TEXTS)[:, 1])
    np.testing.assert_allclose(columns[:, 1], expected, rtol=1e-5)
    assert (columns[: len(LIVE), 1] > 0).all() and (columns[len(LIVE) :, 1] < 0).all()  # it learnt the rows
    assert word_cnn_logit(cnn, []).shape == (0,)
    with pytest.raises(PackError, match="no word CNN"):
        recalibration_columns(TEXTS, [WORD_CNN_COLUMN])


def test_a_pack_naming_its_word_cnn_reads_it_in_the_second_look(cnn: WordCNN, tmp_path: Path) -> None:
    plain = IncidentClassifier.load(_pack(tmp_path / "plain", None, None, names_cnn=False))
    plain.map(TEXTS)
    assert plain.cnn is None  # a pack without a word CNN loads as before
    assert plain.recalibration is not None and WORD_CNN_COLUMN not in plain.recalibration.columns
    base = plain.recalibration
    # the committed second look plus a heavy weight on the CNN's logit: the CNN now decides
    second = Recalibration((*base.columns, WORD_CNN_COLUMN), (*base.coef, 40.0), base.intercept)
    looked = IncidentClassifier.load(_pack(tmp_path / "cnn", second, cnn, names_cnn=True))
    assert looked.cnn is not None
    scores = np.array([score.score for score in looked.map(TEXTS)])
    linear = looked.model.scores(TEXTS, dense=looked.dense(TEXTS))[:, 0]
    columns = recalibration_columns(TEXTS, second.columns, cnn)
    np.testing.assert_allclose(scores, second.apply(linear, columns), atol=1e-4)
    assert [score.is_incident for score in looked.map(TEXTS)] == [True] * len(LIVE) + [False] * len(CALM)


def test_a_pack_whose_second_look_needs_a_missing_cnn_is_refused(cnn: WordCNN, tmp_path: Path) -> None:
    second = Recalibration((*RECALIBRATION, WORD_CNN_COLUMN), (1.0,) * (len(RECALIBRATION) + 2), 0.0)
    with pytest.raises(PackError, match="is missing"):
        IncidentClassifier.load(_pack(tmp_path / "a", second, None, names_cnn=True))
    unnamed = IncidentClassifier.load(_pack(tmp_path / "b", second, cnn, names_cnn=False))
    with pytest.raises(PackError, match="no word CNN"):  # the file is there, but the meta names none
        unnamed.map(TEXTS)


def test_training_fits_the_cnn_column_beside_the_cues() -> None:
    """Rows the linear scores cannot tell apart but the CNN can: the second look must lean on the CNN's
    column (positive weight) and its cross-validation must beat the one without it."""
    rng = np.random.default_rng(0)
    rows = [
        Handwritten(text, bool(i % 2), None, "neutral", "g", f"t:{i}")
        for i, text in enumerate(["Нет воды на Лесной", "Концерт в субботу"] * 100)
    ]
    gold = np.asarray([row.is_incident for row in rows])
    scores = rng.uniform(0.3, 0.7, len(rows))  # the linear pack: no signal
    cnn_scores = np.where(gold, rng.uniform(0.6, 0.95, len(rows)), rng.uniform(0.05, 0.4, len(rows)))
    with_cnn, figures = incident_recalibration(rows, scores, 13, cnn_scores)
    assert with_cnn.columns[-1] == WORD_CNN_COLUMN and with_cnn.coef[-1] > 0
    assert figures["recalibrated_cv_f1"] > 0.95
    without, plain = incident_recalibration(rows, scores, 13, prefix="without")
    assert WORD_CNN_COLUMN not in without.columns and set(plain) == {
        "without_precision",
        "without_recall",
        "without_f1",
    }
