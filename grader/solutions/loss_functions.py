"""Notebook 02's binary cross-entropy and its gradient: the loss the later classifiers train on."""
from __future__ import annotations

import numpy as np

EPS = 1e-12  # probabilities are clipped to [EPS, 1 - EPS] before a log


def binary_cross_entropy(y_true, p, eps=EPS):
    """-mean(y log p + (1 - y) log(1 - p)) over all elements, p clipped to [eps, 1 - eps]."""
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))


def binary_cross_entropy_grad(y_true, p, eps=EPS):
    """d bce / d p = (p - y) / (p (1 - p)) / N with p clipped as in the loss; p's shape."""
    p = np.clip(p, eps, 1 - eps)
    return (p - y_true) / (p * (1 - p)) / np.size(p)
