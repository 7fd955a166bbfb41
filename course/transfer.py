"""The fine-tuning experiment of notebook 05, as procedures the notebook's comparisons and
its widget share. The notebook walks through the same steps by hand first.

Every strategy learns from `n_train` labelled hospital images (a draw: `seed`) and is scored
on the hospital's 200 validation images (course.xray.hospital_splits), at threshold 0.5.
Every setting is chosen on validation; the 600 test images are for the one final report.

    scratch      the base's architecture with fresh random weights, all trained
    head_only    the pretrained base frozen, a new head trained
    fine_tune    head_only, then everything unfrozen and trained at a chosen (lr, epochs)
    large_lr     the pretrained base and a new head, everything trained at once, large lr

`fit(model, X, y, lr, epochs)` and `add_head(base, rng)` are passed in (the student's).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from . import xray
from .nn import Dense, ReLU, Sequential, Sigmoid, load_base

SCRATCH_LR, HEAD_LR, LARGE_LR = 1e-3, 1e-2, 0.05
EPOCHS = 300                                   # scratch, head and large-lr training
FINE_TUNE_LR, FINE_TUNE_EPOCHS = 1e-4, 100     # a gentle unfreeze: the workflow's spirit
STRATEGIES = ("scratch", "head_only", "fine_tune", "large_lr")
# the candidate fine-tuning settings notebook 05 compares on validation: (lr, epochs)
GRID = tuple((lr, epochs) for lr in (1e-4, 1e-3, 1e-2, 1e-1) for epochs in (30, 100))
DRAWS = range(5)                               # draws of the labelled images (their `seed`)
SIZES = (10, 30, 100)                          # labelled-set sizes of the learning curve


def accuracy(model: Sequential, X: np.ndarray, y: np.ndarray, threshold: float = 0.5) -> float:
    """Share of correct labels, predicting 1 where the model's probability is >= threshold."""
    return float(np.mean((model.forward(X) >= threshold) == (y == 1)))


def scratch_model(seed: int) -> Sequential:
    """The base's architecture plus a head, every weight random (np.random.default_rng(seed))."""
    rng = np.random.default_rng(seed)
    return Sequential([Dense(256, 64, rng), ReLU(), Dense(64, 32, rng), ReLU(), Dense(32, 1, rng), Sigmoid()])


def fine_tune(fit: Callable, head_model: Sequential, X: np.ndarray, y: np.ndarray, lr: float,
              epochs: int = FINE_TUNE_EPOCHS) -> Sequential:
    """A copy of a head-trained model, unfrozen and trained further (the model passed in is kept)."""
    tuned = head_model.copy().unfreeze()
    fit(tuned, X, y, lr, epochs)
    return tuned


def train_head(fit: Callable, add_head: Callable, X: np.ndarray, y: np.ndarray, seed: int) -> Sequential:
    """The pretrained base, frozen, with a new head (rng `seed`) trained on (X, y)."""
    head = add_head(load_base(), np.random.default_rng(seed))
    fit(head, X, y, HEAD_LR, EPOCHS)
    return head


def train_strategies(fit: Callable, add_head: Callable, n_train: int, seed: int,
                     fine_tune_lr: float = FINE_TUNE_LR, fine_tune_epochs: int = FINE_TUNE_EPOCHS,
                     strategies: tuple[str, ...] = STRATEGIES) -> dict[str, Sequential]:
    """The trained model of each strategy, on n_train hospital images drawn with `seed`."""
    X, y = xray.hospital_splits(n_train, seed)["train"]
    models: dict[str, Sequential] = {}
    if "scratch" in strategies:
        models["scratch"] = scratch_model(seed)
        fit(models["scratch"], X, y, SCRATCH_LR, EPOCHS)
    if {"head_only", "fine_tune"} & set(strategies):
        models["head_only"] = train_head(fit, add_head, X, y, seed)
        if "fine_tune" in strategies:
            models["fine_tune"] = fine_tune(fit, models["head_only"], X, y, fine_tune_lr, fine_tune_epochs)
        if "head_only" not in strategies:
            del models["head_only"]
    if "large_lr" in strategies:
        everything = add_head(load_base(), np.random.default_rng(seed)).unfreeze()
        fit(everything, X, y, LARGE_LR, EPOCHS)
        models["large_lr"] = everything
    return models


def compare(fit: Callable, add_head: Callable, n_train: int, seed: int, fine_tune_lr: float = FINE_TUNE_LR,
            fine_tune_epochs: int = FINE_TUNE_EPOCHS, strategies: tuple[str, ...] = STRATEGIES) -> dict[str, float]:
    """Validation accuracy of each strategy."""
    X_val, y_val = xray.hospital_splits(n_train, seed)["val"]
    models = train_strategies(fit, add_head, n_train, seed, fine_tune_lr, fine_tune_epochs, strategies)
    return {name: accuracy(model, X_val, y_val) for name, model in models.items()}


def tuning_grid(fit: Callable, add_head: Callable, n_train: int, seed: int,
                grid: Iterable[tuple[float, int]] = GRID) -> dict:
    """Validation accuracy of every strategy at one draw: "scratch", "head_only", "large_lr",
    and each fine-tuning setting (lr, epochs) of `grid`, all from the same trained head."""
    splits = xray.hospital_splits(n_train, seed)
    (X, y), (X_val, y_val) = splits["train"], splits["val"]
    scores = compare(fit, add_head, n_train, seed, strategies=("scratch", "large_lr"))
    head = train_head(fit, add_head, X, y, seed)
    scores["head_only"] = accuracy(head, X_val, y_val)
    for lr, epochs in grid:
        scores[lr, epochs] = accuracy(fine_tune(fit, head, X, y, lr, epochs), X_val, y_val)
    return scores


def best_fine_tuning(runs: list[dict], grid: Iterable[tuple[float, int]] = GRID) -> tuple[float, int]:
    """The (lr, epochs) of `grid` with the highest mean validation accuracy over `runs`
    (tuning_grid results, one per draw)."""
    return max(grid, key=lambda setting: np.mean([run[setting] for run in runs]))


def summary(values, baseline=None) -> str:
    """"mean ± sd, lowest" of accuracies over draws; with `baseline` (the same draws'
    accuracies of another strategy), also on how many draws `values` is higher."""
    values = np.asarray(values, dtype=float)
    text = f"{values.mean():.3f} ± {values.std():.3f}, lowest {values.min():.3f}"
    if baseline is not None:
        text += f"  (above head only on {int(np.sum(values > np.asarray(baseline)))} of {values.size} draws)"
    return text
