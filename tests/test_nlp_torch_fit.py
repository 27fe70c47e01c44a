"""The torch trainer of the packs reaches scikit-learn's LogisticRegression objective on the same data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from nlp.normalize import normalize
from nlp.pack import Features, idf_weights, tfidf
from nlp.torch_fit import fit_linear, objective
from nlp.training.templates import sentiment_examples

LABELS = ["negative", "neutral", "positive"]


@pytest.fixture(scope="module")
def problem() -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Hashed tf-idf of template posts with 15 % of the labels scrambled (so nothing is separable)
    and sample weights of 1 and 3, as the packs are trained."""
    rows = sentiment_examples(300, 13)
    texts = [normalize(text) for text, _ in rows]
    rng = np.random.default_rng(0)
    y = np.asarray([LABELS.index(label) for _, label in rows])
    noisy = rng.random(len(y)) < 0.15
    y[noisy] = rng.integers(0, 3, int(noisy.sum()))
    features = Features(char_bits=13, word_bits=12)
    chars, words = features.counts(texts)
    matrix = sparse.hstack([tfidf(chars, idf_weights(chars)), tfidf(words, idf_weights(words))], format="csr")
    return matrix, y, rng.choice([1.0, 3.0], len(y))


@pytest.mark.parametrize(("kind", "c"), [("softmax", 1.0), ("softmax", 6.0), ("sigmoid", 4.0)])
def test_torch_fit_reaches_sklearn_objective(
    problem: tuple[sparse.csr_matrix, np.ndarray, np.ndarray], kind: str, c: float
) -> None:
    matrix, y, weights = problem
    if kind == "sigmoid":
        y = (y == 0).astype(np.int64)
    reference = LogisticRegression(C=c, max_iter=5000, tol=1e-8, class_weight="balanced")
    reference.fit(matrix, y, sample_weight=weights)
    fitted = fit_linear(matrix, y, 3 if kind == "softmax" else 2, kind, c, "balanced", weights)

    expected = objective(matrix, y, reference.coef_, reference.intercept_, c, "balanced", weights)
    found = objective(matrix, y, fitted.coef, fitted.intercept, c, "balanced", weights)
    assert found == pytest.approx(expected, rel=2e-4)
    assert fitted.objective == pytest.approx(found, rel=1e-4)  # its own bookkeeping, float32
    logits = np.asarray(matrix @ fitted.coef.T) + fitted.intercept
    predicted = logits.argmax(axis=1) if kind == "softmax" else (logits[:, 0] > 0).astype(np.int64)
    assert (predicted == reference.predict(matrix)).mean() >= 0.99


def test_unbalanced_and_unweighted_objectives_differ(
    problem: tuple[sparse.csr_matrix, np.ndarray, np.ndarray],
) -> None:
    """The class and sample weights reach the loss: dropping them gives another optimum."""
    matrix, y, weights = problem
    weighted = fit_linear(matrix, y, 3, "softmax", 2.0, "balanced", weights)
    plain = fit_linear(matrix, y, 3, "softmax", 2.0)
    assert objective(matrix, y, plain.coef, plain.intercept, 2.0, "balanced", weights) > objective(
        matrix, y, weighted.coef, weighted.intercept, 2.0, "balanced", weights
    ) * (1 + 1e-3)


def test_the_fit_is_deterministic(problem: tuple[sparse.csr_matrix, np.ndarray, np.ndarray]) -> None:
    matrix, y, weights = problem
    first = fit_linear(matrix, y, 3, "softmax", 2.0, "balanced", weights)
    second = fit_linear(matrix, y, 3, "softmax", 2.0, "balanced", weights)
    assert np.array_equal(first.coef, second.coef) and np.array_equal(first.intercept, second.intercept)


def test_a_class_without_examples_is_refused(
    problem: tuple[sparse.csr_matrix, np.ndarray, np.ndarray],
) -> None:
    matrix, y, _ = problem
    with pytest.raises(ValueError, match="every class"):
        fit_linear(matrix, np.where(y == 2, 1, y), 3, "softmax", 1.0, "balanced")
