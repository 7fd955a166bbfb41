"""The optimiser race of notebooks 04 and 05: optimisers side by side on a long, narrow valley.

The loss is f(x, y) = ½(a·x² + b·y²) with a = 0.1 and b = 10: a hundred times steeper across
the valley (y) than along it (x). Its minimum is 0 at (0, 0); every optimiser starts at
START. Plain gradient descent is stable only for lr < 2/b = 0.2, and then creeps along x.

    paths = race(steppers(momentum_step, rmsprop_step), lr=0.1, beta=0.9, steps=100)
    paths["momentum"]       # (points (k + 1, 2), losses (k + 1,)), the start included

An optimiser's step is adapted to one signature, step(p, g, state, t, lr, beta) -> (p, state),
with state None before the first step; the student's functions are called on arrays of shape (2,).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

CURVATURE = np.array([0.1, 10.0])
START = np.array([-4.0, 1.0])
LIMIT = 1e3            # a path that gets this far from the minimum has diverged: it stops there


def loss(x, y):
    """The valley's loss at (x, y) (arrays broadcast)."""
    return 0.5 * (CURVATURE[0] * np.square(x) + CURVATURE[1] * np.square(y))


def gradient(p: np.ndarray) -> np.ndarray:
    return CURVATURE * p


def steppers(momentum_step: Callable | None = None, rmsprop_step: Callable | None = None,
             adam_step: Callable | None = None) -> dict[str, Callable]:
    """{name: step} for plain gradient descent and each optimiser given (Adam with its default betas)."""
    out: dict[str, Callable] = {"SGD": lambda p, g, s, t, lr, beta: (p - lr * g, s)}
    if momentum_step is not None:
        out["momentum"] = lambda p, g, s, t, lr, beta: momentum_step(p, g, 0.0 if s is None else s, lr, beta)
    if rmsprop_step is not None:
        out["RMSProp"] = lambda p, g, s, t, lr, beta: rmsprop_step(p, g, 0.0 if s is None else s, lr, beta)
    if adam_step is not None:
        def adam(p, g, s, t, lr, beta):
            m, v = (0.0, 0.0) if s is None else s
            p, m, v = adam_step(p, g, m, v, t, lr)
            return p, (m, v)
        out["Adam"] = adam
    return out


def path(step: Callable, lr: float, beta: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(points, losses) of `steps` steps from START; shorter if the path diverges."""
    p, state = START.copy(), None
    points = [p]
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            p, state = step(p, gradient(p), state, t, lr, beta)
            p = np.asarray(p, dtype=float).reshape(2)
            if not np.all(np.isfinite(p)) or np.max(np.abs(p)) > LIMIT:
                break
            points.append(p)
    points = np.array(points)
    return points, loss(points[:, 0], points[:, 1])


def race(optimisers: dict[str, Callable], lr: float, beta: float, steps: int) -> dict[str, tuple]:
    """{name: (points, losses)} for every optimiser, all from START."""
    return {name: path(step, lr, beta, steps) for name, step in optimisers.items()}
