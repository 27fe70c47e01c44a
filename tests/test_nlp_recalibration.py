"""The incident pack's second look (``nlp.recalibration``): its arithmetic, its meta format, its fit,
and that ``IncidentClassifier`` applies the one its pack carries."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.incident import NAMED, RECALIBRATION, IncidentClassifier, recalibration_columns
from nlp.pack import MODELS_DIR, LinearTextModel, PackError
from nlp.recalibration import Recalibration, fit_recalibration, logit

TEXTS = [
    "Третий день нет воды на Лесной 5, водоканал трубку не берёт",
    "В прошлом году на Лесной неделю не было воды, сейчас всё нормально",
]


def test_the_logit_alone_with_weight_one_leaves_the_scores_as_they_are() -> None:
    scores = np.array([0.02, 0.3, 0.5, 0.97])
    identity = Recalibration(("past",), (1.0, 0.0), 0.0)
    assert np.allclose(identity.apply(scores, np.ones((4, 1))), scores)
    assert np.isfinite(logit(np.array([0.0, 1.0]))).all()  # a pack's exact 0 or 1 stays finite


def test_a_column_moves_the_score_by_its_weight() -> None:
    second = Recalibration(("past",), (1.0, -3.0), 0.0)
    scores = np.array([0.9, 0.9])
    moved = second.apply(scores, np.array([[0.0], [1.0]]))
    assert moved[0] == pytest.approx(0.9) and moved[1] < 0.5


def test_meta_round_trip_and_malformed_meta_is_a_pack_error() -> None:
    second = Recalibration(("past", "log_length"), (1.2, -0.5, 0.25), -0.1)
    assert Recalibration.from_json(second.to_json()) == second
    with pytest.raises(PackError, match="malformed"):
        Recalibration.from_json({"columns": ["past"], "coef": "x"})
    with pytest.raises(PackError, match="2 weights"):
        Recalibration.from_json({"columns": ["past", "now"], "coef": [1.0, 2.0], "intercept": 0})


def test_the_fit_learns_that_a_cue_overrules_problem_words() -> None:
    """Rows the pack scores high (problem words) but that tell a past story are not incidents: the
    second look must learn to pull such rows down, and leave the live ones up."""
    rng = np.random.default_rng(0)
    scores = rng.uniform(0.7, 0.99, 400)
    past = (np.arange(400) % 2).astype(float)[:, None]
    labels = past[:, 0] == 0
    second = fit_recalibration(scores, past, ["past"], labels, c=1.0)
    assert second.coef[1] < 0
    out = second.apply(np.array([0.9, 0.9]), np.array([[0.0], [1.0]]))
    assert out[0] >= 0.5 > out[1]


def test_columns_are_computed_by_name_and_unknown_names_are_refused() -> None:
    columns = recalibration_columns(TEXTS)
    assert columns.shape == (2, len(RECALIBRATION))
    assert columns[1, RECALIBRATION.index("past")] > columns[0, RECALIBRATION.index("past")]
    assert columns[0, RECALIBRATION.index("log_length")] == pytest.approx(np.log1p(len(TEXTS[0])))
    picked = recalibration_columns(TEXTS, ["log_length", "past"])
    assert np.array_equal(picked, columns[:, [RECALIBRATION.index("log_length"), NAMED.index("past")]])
    with pytest.raises(PackError, match="sarcasm_v9"):
        recalibration_columns(TEXTS, ["past", "sarcasm_v9"])


def test_the_classifier_applies_the_second_look_its_pack_carries() -> None:
    shipped = LinearTextModel.load(MODELS_DIR / "incident")
    plain_meta = {key: value for key, value in shipped.meta.items() if key != "recalibration"}
    plain = IncidentClassifier(LinearTextModel(**{**shipped.__dict__, "meta": plain_meta}))
    assert plain.recalibration is None
    raw = np.array([score.score for score in plain.map(TEXTS)])
    # a second look that keeps the logit and pushes every story told in the past far down
    second = Recalibration(("past",), (1.0, -60.0), 0.0)
    meta = {**plain_meta, "recalibration": second.to_json()}
    looked = IncidentClassifier(LinearTextModel(**{**shipped.__dict__, "meta": meta}))
    scores = [score.score for score in looked.map(TEXTS)]
    assert scores[0] == pytest.approx(raw[0], abs=1e-3)  # no past cue: unchanged
    assert scores[1] < 0.01 and not looked.map(TEXTS)[1].is_incident
