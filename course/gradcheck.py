"""Gradient checking: compare an analytic gradient with a numerical one.

This module checks a gradient along a few random directions u: the slope of f along u,
measured by a centered difference (f(x + h u) - f(x - h u)) / (2h), must equal the analytic
gradient's dot product with u. Two evaluations of f per direction, whatever x's size. The
full numerical gradient, entry by entry, is an exercise of notebook 03, so it is not here.

    >>> f = lambda w: np.sum(w ** 2)
    >>> w = np.array([1.0, -2.0, 3.0])
    >>> relative_error(*directional_slopes(f, w, 2 * w)) < 1e-8
    True

How to read the relative error (float64, h = 1e-5, smooth functions):

    < 1e-7   correct: what is left is rounding.
    < 1e-5   probably correct; fine for sigmoid/tanh networks, suspicious for a simple one.
    < 1e-3   suspicious: a kink (ReLU at 0, max, abs) can cause it; otherwise a bug.
    >= 1e-3  wrong: look for a transposed matrix, a missing 1/n or a broken chain rule.

Where it misleads: at a kink (ReLU at exactly 0) the two one-sided slopes differ and
the centered difference averages them; in float32 rounding swamps h = 1e-5 (use float64).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

BANDS = (
    (1e-7, "correct: the difference is rounding"),
    (1e-5, "probably correct (fine for sigmoid/tanh networks)"),
    (1e-3, "suspicious: a kink (ReLU at 0, max, abs) or a bug"),
    (np.inf, "wrong: look for a transposed matrix, a missing 1/n or a broken chain rule"),
)


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> float:
    """max |a - b| / max(|a| + |b|): scale-free, 0 for equal arrays."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a) + np.abs(b))), floor))


def directional_slopes(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: np.ndarray, h: float = 1e-5,
                       directions: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(measured, predicted): f's slope at x along `directions` random unit directions, measured
    by centered differences, and predicted by the analytic gradient (its dot product with each).

    f maps an array of x's shape to a scalar; x and analytic have the same shape; x is not changed.
    """
    x = np.asarray(x, dtype=float)
    analytic = np.asarray(analytic, dtype=float)
    if analytic.shape != x.shape:
        raise ValueError(f"the gradient has shape {analytic.shape}, x has {x.shape}")
    us = np.random.default_rng(seed).normal(size=(directions, *x.shape))
    us /= np.sqrt(np.sum(us ** 2, axis=tuple(range(1, us.ndim)), keepdims=True))
    measured = np.array([(float(f(x + h * u)) - float(f(x - h * u))) / (2 * h) for u in us])
    return measured, np.array([float(np.sum(analytic * u)) for u in us])


def verdict(error: float) -> str:
    """How to read a relative error (see the module docstring)."""
    return next(text for bound, text in BANDS if error < bound)


def gradient_check(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: np.ndarray,
                   h: float = 1e-5) -> float:
    """Print and return the relative error between the slopes `analytic` predicts and the
    measured ones (directional_slopes)."""
    err = relative_error(*directional_slopes(f, x, analytic, h))
    print(f"relative error {err:.2e}: {verdict(err)}")
    return err
