"""The fine-tuning experiment of notebook 05, as one procedure the notebook's comparison
and its widget share. The notebook walks through the same steps by hand first.

Every strategy learns from the same `n_train` labelled hospital images and is scored on
the same 600 held-out ones (course.xray.hospital_splits), at threshold 0.5:

    scratch      the base's architecture with fresh random weights, all trained
    head_only    the pretrained base frozen, a new head trained
    fine_tune    head_only, then everything unfrozen and trained at a small learning rate
    large_lr     the pretrained base and a new head, everything trained at once, large lr

`fit(model, X, y, lr, epochs)` and `add_head(base, rng)` are passed in (the student's).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import xray
from .nn import Dense, ReLU, Sequential, Sigmoid, load_base

SCRATCH_LR, HEAD_LR, LARGE_LR = 1e-3, 1e-2, 0.05
EPOCHS, FINE_TUNE_EPOCHS = 300, 100
STRATEGIES = ("scratch", "head_only", "fine_tune", "large_lr")


def accuracy(model: Sequential, X: np.ndarray, y: np.ndarray, threshold: float = 0.5) -> float:
    """Share of correct labels, predicting 1 where the model's probability is >= threshold."""
    return float(np.mean((model.forward(X) >= threshold) == (y == 1)))


def scratch_model(seed: int) -> Sequential:
    """The base's architecture plus a head, every weight random (np.random.default_rng(seed))."""
    rng = np.random.default_rng(seed)
    return Sequential([Dense(256, 64, rng), ReLU(), Dense(64, 32, rng), ReLU(), Dense(32, 1, rng), Sigmoid()])


def fine_tune(fit: Callable, head_model: Sequential, X: np.ndarray, y: np.ndarray, lr: float) -> Sequential:
    """A copy of a head-trained model, unfrozen and trained further at `lr` (the model passed in is kept)."""
    tuned = head_model.copy().unfreeze()
    fit(tuned, X, y, lr, FINE_TUNE_EPOCHS)
    return tuned


def train_strategies(fit: Callable, add_head: Callable, n_train: int, seed: int, fine_tune_lr: float = 1e-4,
                     strategies: tuple[str, ...] = STRATEGIES) -> dict[str, Sequential]:
    """The trained model of each strategy, on n_train hospital images drawn with `seed`."""
    X, y = xray.hospital_splits(n_train, seed)["train"]
    models: dict[str, Sequential] = {}
    if "scratch" in strategies:
        models["scratch"] = scratch_model(seed)
        fit(models["scratch"], X, y, SCRATCH_LR, EPOCHS)
    if {"head_only", "fine_tune"} & set(strategies):
        head = add_head(load_base(), np.random.default_rng(seed))
        fit(head, X, y, HEAD_LR, EPOCHS)
        models["head_only"] = head
        if "fine_tune" in strategies:
            models["fine_tune"] = fine_tune(fit, head, X, y, fine_tune_lr)
    if "large_lr" in strategies:
        everything = add_head(load_base(), np.random.default_rng(seed)).unfreeze()
        fit(everything, X, y, LARGE_LR, EPOCHS)
        models["large_lr"] = everything
    return models


def compare(fit: Callable, add_head: Callable, n_train: int, seed: int, fine_tune_lr: float = 1e-4,
            strategies: tuple[str, ...] = STRATEGIES) -> dict[str, float]:
    """Held-out test accuracy of each strategy."""
    X_test, y_test = xray.hospital_splits(n_train, seed)["test"]
    models = train_strategies(fit, add_head, n_train, seed, fine_tune_lr, strategies)
    return {name: accuracy(model, X_test, y_test) for name, model in models.items()}
