"""Small functions that checks hand to a student's code, by name (course.channel.Recipe).

A check of `numerical_gradient(f, x)` must give the student's function an `f` to differentiate,
and a check of `Value.backward()` must give the student's nodes local derivatives of its own
choosing. At autograde the student's code runs in its own process, where only the course's
code can be rebuilt from a description, so those functions live here. None is an exercise.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def cubic_plus_sine(x: np.ndarray) -> float:
    """f(x) = sum(x³) + sum(sin(3x)): curved everywhere, so a one-sided difference shows."""
    return float(np.sum(x ** 3) + np.sum(np.sin(3 * x)))


def tanh_of_linear(x: np.ndarray, A: np.ndarray) -> float:
    """f(x) = sum(tanh(A @ x)) for x of shape (A's columns,) or (A's columns, k)."""
    return float(np.sum(np.tanh(A @ x)))


def accumulate_grads(node, parents: Sequence, weights: Sequence[float]) -> None:
    """A node's `_backward` with given local derivatives: parent.grad += weight * node.grad for each
    parent, in order (a parent listed twice gets both shares)."""
    for parent, weight in zip(parents, weights):
        parent.grad = parent.grad + weight * node.grad
