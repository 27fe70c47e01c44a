"""Fit a linear softmax or sigmoid model on a scipy CSR matrix with torch: the packs' trainer.

The objective is scikit-learn's ``LogisticRegression`` (L2 penalty ``0.5·‖W‖² + C·Σ sᵢ·lossᵢ``,
``class_weight="balanced"`` as the weighted ``Σs / (classes · Σ_class s)``, intercept not penalised),
so a pack trained here is the same model the sklearn trainer gave, found by full-batch L-BFGS with a
strong-Wolfe line search on torch sparse tensors. The gradient is written out (``Xᵀ·(P − Y)``) rather
than left to autograd: the transposed matrix is built once, and each step is two sparse products.
Nothing is random (zero start, full batch); the thread count is fixed so sums come out the same.
Inference stays numpy (``nlp.pack.LinearTextModel``): torch is only needed to train.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy import sparse


@dataclass(frozen=True)
class Solver:
    """L-BFGS settings. ``tolerance`` is on the largest gradient entry of the objective divided by
    ``C·Σs`` (sklearn's ``tol`` for lbfgs); ``history`` as scipy's ``maxcor`` (torch's default of 100
    would keep 200 copies of a 786k × 3 weight matrix)."""

    max_iter: int = 2000
    tolerance: float = 1e-5
    history: int = 10
    threads: int = 2  # the training machine's 2 cores are shared
    dtype: torch.dtype = torch.float32


@dataclass(frozen=True)
class Fitted:
    coef: np.ndarray  # classes × features (one row for a sigmoid model)
    intercept: np.ndarray
    objective: float  # 0.5·‖W‖² + C·Σ sᵢ·lossᵢ, sklearn's scale
    iterations: int


def balanced_weights(y: np.ndarray, classes: int, sample_weight: np.ndarray) -> np.ndarray:
    """sklearn's ``class_weight="balanced"`` with sample weights: Σs / (classes · Σ_{class k} s), per row."""
    per_class = np.bincount(y, weights=sample_weight, minlength=classes)
    if (per_class <= 0).any():
        raise ValueError(f"every class needs an example: weights per class {per_class.tolist()}")
    return np.asarray(sample_weight.sum() / (classes * per_class))[y]


def row_weights(
    labels: np.ndarray,
    classes: int,
    class_weight: str | None,
    sample_weight: Sequence[float] | np.ndarray | None,
) -> np.ndarray:
    """Each row's weight in the loss: its sample weight, times its class's balanced weight if asked."""
    weights = np.ones(len(labels)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if class_weight == "balanced":
        return weights * balanced_weights(labels, classes, weights)
    if class_weight is not None:
        raise ValueError(f"class_weight {class_weight!r}: None or 'balanced'")
    return weights


def _csr(matrix: sparse.csr_matrix, dtype: torch.dtype) -> torch.Tensor:
    matrix = sparse.csr_matrix(matrix)
    matrix.sort_indices()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
        return torch.sparse_csr_tensor(
            torch.from_numpy(matrix.indptr.astype(np.int64)),
            torch.from_numpy(matrix.indices.astype(np.int64)),
            torch.from_numpy(matrix.data).to(dtype),
            size=matrix.shape,
            check_invariants=False,  # scipy's sorted CSR is valid; checking costs a pass over it
        )


def _loss_and_residual(logits: torch.Tensor, y: torch.Tensor, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row loss and d loss / d logits."""
    if kind == "softmax":
        log_p = torch.log_softmax(logits, dim=1)
        loss = -log_p.gather(1, y[:, None])[:, 0]
        residual = log_p.exp()
        residual[torch.arange(len(y)), y] -= 1
        return loss, residual
    z = logits[:, 0]
    target = y.to(logits.dtype)
    loss = torch.nn.functional.softplus(z) - target * z
    return loss, (torch.sigmoid(z) - target)[:, None]


def fit_linear(
    matrix: sparse.csr_matrix,
    y: Sequence[int] | np.ndarray,
    classes: int,
    kind: str,
    c: float,
    class_weight: str | None = None,
    sample_weight: Sequence[float] | np.ndarray | None = None,
    seed: int = 13,
    solver: Solver | None = None,
) -> Fitted:
    """``kind``: ``softmax`` (``classes`` rows, y in 0..classes−1) or ``sigmoid`` (binary, y in {0, 1},
    one row)."""
    solver = solver or Solver()
    if kind not in ("softmax", "sigmoid"):
        raise ValueError(f"kind {kind!r}: softmax or sigmoid")
    if kind == "sigmoid" and classes != 2:
        raise ValueError("a sigmoid model here is binary: classes must be 2")
    labels = np.asarray(y, dtype=np.int64)
    if labels.shape[0] != matrix.shape[0] or labels.min() < 0 or labels.max() >= classes:
        raise ValueError(f"{labels.shape[0]} labels in 0..{classes - 1} needed for {matrix.shape[0]} rows")
    weights = row_weights(labels, classes, class_weight, sample_weight)
    total = float(weights.sum())

    threads = torch.get_num_threads()
    torch.set_num_threads(solver.threads)
    try:
        torch.manual_seed(seed)
        x = _csr(matrix, solver.dtype)
        xt = _csr(sparse.csr_matrix(matrix.T), solver.dtype)
        target = torch.from_numpy(labels)
        row_weight = torch.from_numpy(weights / total).to(solver.dtype)[:, None]
        penalty = 1.0 / (c * total)  # the objective divided by C·Σs, as sklearn scales it
        outputs = classes if kind == "softmax" else 1
        coef = torch.zeros(matrix.shape[1], outputs, dtype=solver.dtype, requires_grad=True)
        intercept = torch.zeros(outputs, dtype=solver.dtype, requires_grad=True)

        def closure() -> torch.Tensor:
            with torch.no_grad():
                loss, residual = _loss_and_residual(x @ coef + intercept, target, kind)
                weighted = residual * row_weight
                coef.grad = xt @ weighted + penalty * coef
                intercept.grad = weighted.sum(dim=0)
                return (loss * row_weight[:, 0]).sum() + 0.5 * penalty * (coef * coef).sum()

        optimizer = torch.optim.LBFGS(
            [coef, intercept],
            lr=1,
            max_iter=solver.max_iter,
            max_eval=solver.max_iter * 5 // 4,
            tolerance_grad=solver.tolerance,
            tolerance_change=1e-12,
            history_size=solver.history,
            line_search_fn="strong_wolfe",
        )
        optimizer.step(closure)
        value = float(closure())  # at the final weights (``step`` returns the first evaluation's)
        iterations = int(optimizer.state[optimizer.param_groups[0]["params"][0]].get("n_iter", 0))
    finally:
        torch.set_num_threads(threads)
    return Fitted(
        coef=coef.detach().numpy().T.astype(np.float32).copy(),
        intercept=intercept.detach().numpy().astype(np.float32).copy(),
        objective=value * c * total,
        iterations=iterations,
    )


def objective(
    matrix: sparse.csr_matrix,
    y: Sequence[int] | np.ndarray,
    coef: np.ndarray,
    intercept: np.ndarray,
    c: float,
    class_weight: str | None = None,
    sample_weight: Sequence[float] | np.ndarray | None = None,
) -> float:
    """sklearn's objective of given weights in float64: to compare two fits of the same data."""
    labels = np.asarray(y, dtype=np.int64)
    classes = max(2, coef.shape[0])
    weights = row_weights(labels, classes, class_weight, sample_weight)
    logits = torch.from_numpy(np.asarray(matrix @ coef.T.astype(np.float64)) + intercept.astype(np.float64))
    kind = "softmax" if coef.shape[0] > 1 else "sigmoid"
    loss, _ = _loss_and_residual(logits, torch.from_numpy(labels), kind)
    return float(0.5 * np.sum(coef.astype(np.float64) ** 2) + c * float(loss.numpy() @ weights))
