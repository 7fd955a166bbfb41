"""Gradient checking: compare an analytic gradient with a numerical one.

    >>> f = lambda w: np.sum(w ** 2)
    >>> w = np.array([1.0, -2.0, 3.0])
    >>> relative_error(2 * w, numerical_gradient(f, w)) < 1e-8
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


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centered-difference gradient of a scalar function f at x.

    f  maps an array of x's shape to a scalar.
    x  float array of any shape; left unchanged (each entry is restored after probing).
    Returns an array of x's shape: (f(x + h e_i) - f(x - h e_i)) / (2h) per entry i.
    """
    x = np.asarray(x, dtype=float)
    probe = x.copy()
    grad = np.zeros_like(probe)
    for i in np.ndindex(probe.shape):
        old = probe[i]
        probe[i] = old + h
        up = float(f(probe))
        probe[i] = old - h
        down = float(f(probe))
        probe[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> float:
    """max |a - b| / max(|a| + |b|): scale-free, 0 for equal arrays."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a) + np.abs(b))), floor))


def verdict(error: float) -> str:
    """How to read a relative error (see the module docstring)."""
    return next(text for bound, text in BANDS if error < bound)


def gradient_check(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: np.ndarray,
                   h: float = 1e-5) -> float:
    """Print and return the relative error between `analytic` and the numerical gradient."""
    err = relative_error(analytic, numerical_gradient(f, x, h))
    print(f"relative error {err:.2e}: {verdict(err)}")
    return err
