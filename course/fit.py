"""Fitting a line under any loss, given only that loss's gradient.

Iteratively reweighted least squares (IRLS): at a line's optimum the gradient vanishes,
sum_i g_i x_i = 0 and sum_i g_i = 0, where g = grad(y, y_hat). Writing g_i = w_i r_i with
residual r_i = y_hat_i - y_i turns that into weighted least squares with weights
w_i = g_i / r_i: how hard a point pulls, per unit of residual. For MSE every weight is
the same (ordinary least squares, one step); for MAE a point at residual r gets 1/|r|;
for Huber, points beyond delta get delta/|r|. Solve, recompute the weights, repeat.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np


def fit_line(x: np.ndarray, y: np.ndarray, grad: Callable[[np.ndarray, np.ndarray], np.ndarray],
             start: tuple[float, float] | None = None, iterations: int = 50,
             tol: float = 1e-10) -> tuple[float, float]:
    """(slope, intercept) of the line minimising the loss whose gradient is `grad`.

    x, y   shape (n,).  grad(y_true, y_pred) -> shape (n,), the loss's gradient.
    start  (slope, intercept) to begin from (default: ordinary least squares).
    Raises ValueError when the gradient does not describe a loss to minimise
    (negative or non-finite weights, e.g. a gradient with the wrong sign).
    """
    A = np.column_stack([x, np.ones_like(x)])
    theta = np.linalg.lstsq(A, y, rcond=None)[0] if start is None else np.array(start, dtype=float)
    for _ in range(iterations):
        r = A @ theta - y
        g = np.asarray(grad(y, A @ theta), dtype=float)
        if g.shape != r.shape or not np.all(np.isfinite(g)):
            raise ValueError(f"the gradient must be finite with shape {r.shape}, got {g.shape}")
        tiny = np.abs(r) < 1e-9
        w = np.empty_like(r)
        w[~tiny] = g[~tiny] / r[~tiny]
        w[tiny] = w[~tiny].max() if np.any(~tiny) else 1.0   # a point on the line pulls hardest
        if np.any(w < -1e-12):
            raise ValueError("the gradient points uphill (negative weights): check its sign")
        w = np.maximum(w, 1e-12)
        new = np.linalg.solve(A.T @ (w[:, None] * A), A.T @ (w * y))
        if np.max(np.abs(new - theta)) < tol:
            return float(new[0]), float(new[1])
        theta = new
    return float(theta[0]), float(theta[1])
