"""A second look at a linear pack's score: a small logistic regression over the logit of the score
and a few named columns, fitted on realistic rows that the pack scored out of fold.

Why: the incident pack is fitted on ~30,000 rows, most of them templated texts or random VK chatter,
so the weights of its cue columns (a problem told as a past story, another town, irony, an
information question…) are set mostly by rows where those cues hardly occur, and a post heavy with
problem words outvotes them. Refitting how far each cue moves the score on the hand-written
realistic rows alone — each scored by a pack trained without it, so the logit is as sure of itself as
on a new post — lets the cues count as much as they do in real posts. The pack's own n-gram and
navec weights are left as they are (round 6, nlp/README.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nlp.pack import PackError

EPSILON = 1e-6  # scores are clipped before the logit: a pack's 0.0 or 1.0 must stay finite


def logit(scores: np.ndarray) -> np.ndarray:
    clipped = np.clip(np.asarray(scores, dtype=np.float64), EPSILON, 1 - EPSILON)
    return np.log(clipped / (1 - clipped))


@dataclass(frozen=True)
class Recalibration:
    """``columns``: the names of the columns beside the logit, in the order of ``coef[1:]``."""

    columns: tuple[str, ...]
    coef: tuple[float, ...]  # the logit's weight first, then one per column
    intercept: float

    def apply(self, scores: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """The recalibrated probabilities of ``scores`` (the pack's) given the texts' ``columns``."""
        matrix = np.hstack([logit(scores)[:, None], np.asarray(columns, dtype=np.float64)])
        return 1 / (1 + np.exp(-(matrix @ np.asarray(self.coef) + self.intercept)))

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "coef": [round(c, 6) for c in self.coef],
            "intercept": round(self.intercept, 6),
        }

    @classmethod
    def from_json(cls, data: Any) -> Recalibration:
        try:
            columns = tuple(str(name) for name in data["columns"])
            coef = tuple(float(c) for c in data["coef"])
            intercept = float(data["intercept"])
        except (KeyError, TypeError, ValueError) as error:
            raise PackError(f"recalibration in the pack's meta is malformed: {error!r}") from error
        if len(coef) != len(columns) + 1:
            raise PackError(f"recalibration has {len(coef)} weights for the logit and {len(columns)} columns")
        return cls(columns, coef, intercept)


def fit_recalibration(
    scores: np.ndarray,
    columns: np.ndarray,
    names: Sequence[str],
    labels: Sequence[bool] | np.ndarray,
    c: float,
) -> Recalibration:
    """``scores``: the pack's out-of-fold scores of the rows; ``columns``: their named columns."""
    from sklearn.linear_model import LogisticRegression

    matrix = np.hstack([logit(scores)[:, None], np.asarray(columns, dtype=np.float64)])
    fitted = LogisticRegression(C=c, max_iter=5000).fit(matrix, np.asarray(labels, dtype=int))
    return Recalibration(tuple(names), tuple(float(w) for w in fitted.coef_[0]), float(fitted.intercept_[0]))
