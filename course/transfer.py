"""The fine-tuning experiment of notebook 05, as procedures the notebook's comparisons and
its widget share. The notebook walks through the same steps by hand first.

Every strategy learns from `n_train` labelled hospital images (a draw: `seed`) and is scored
on the hospital's 200 validation images (course.xray.hospital_splits), at threshold 0.5.
Every setting is chosen on validation; the 600 test images are for the one final report.

    scratch      the base's architecture with fresh random weights, all trained
    head_only    the pretrained base frozen, a new head trained
    fine_tune    head_only, then everything unfrozen and trained further
    all_at_once  the pretrained base and a new head, everything trained together from the start

Each strategy's (learning rate, epochs) is chosen on validation by `choose` (the notebook's
§5): scratch, head_only and all_at_once from TRAIN_GRID, then fine_tune from GRID, starting
from the chosen head. CHOSEN records that choice for the course's reference `fit` and
`add_head`; tests/test_claims_05.py recomputes it and fails when it changes.

`fit(model, X, y, lr, epochs)` and `add_head(base, rng)` are passed in (the student's), and
so is `layers`, the module of model classes the notebook uses (the `layers` module beside
notebook 05: `Dense`, `ReLU`, `Sigmoid`, `Sequential`, `load_base`): the installed course holds
no exercise's answer, and those classes are built from notebooks 01 and 03's.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from . import xray

STRATEGIES = ("scratch", "head_only", "fine_tune", "all_at_once")
# the candidate training settings (lr, epochs) of scratch, head_only and all_at_once
TRAIN_GRID = tuple((lr, epochs) for lr in (1e-3, 1e-2, 1e-1) for epochs in (100, 300))
# the candidate fine-tuning settings (lr, epochs), each starting from the chosen head
GRID = tuple((lr, epochs) for lr in (1e-4, 1e-3, 1e-2, 1e-1) for epochs in (30, 100))
DRAWS = range(5)                               # draws of the labelled images (their `seed`)
N_CHOOSE = 30                                  # labelled images the settings are chosen with
SIZES = (10, 30, 100)                          # labelled-set sizes of the learning curve
# What `choose` picks with grader.fine_tuning's fit and add_head (checked by the claims tests)
CHOSEN = {"scratch": (1e-2, 300), "head_only": (1e-1, 300), "all_at_once": (1e-3, 300), "fine_tune": (1e-3, 30)}


def accuracy(model, X: np.ndarray, y: np.ndarray, threshold: float = 0.5) -> float:
    """Share of correct labels, predicting 1 where the model's probability is >= threshold."""
    return float(np.mean((model.forward(X) >= threshold) == (y == 1)))


def scratch_model(layers, seed: int):
    """The base's architecture plus a head, every weight random (np.random.default_rng(seed))."""
    rng = np.random.default_rng(seed)
    L = layers
    return L.Sequential([L.Dense(256, 64, rng), L.ReLU(), L.Dense(64, 32, rng), L.ReLU(), L.Dense(32, 1, rng),
                         L.Sigmoid()])


def fine_tune(fit: Callable, head_model, X: np.ndarray, y: np.ndarray, lr: float, epochs: int):
    """A copy of a head-trained model, unfrozen and trained further (the model passed in is kept)."""
    tuned = head_model.copy().unfreeze()
    fit(tuned, X, y, lr, epochs)
    return tuned


def train_strategy(layers, fit: Callable, add_head: Callable, strategy: str, X: np.ndarray, y: np.ndarray, seed: int,
          lr: float, epochs: int):
    """A model of `strategy` ("scratch", "head_only" or "all_at_once"; rng `seed`) trained on (X, y)."""
    if strategy == "scratch":
        model = scratch_model(layers, seed)
    else:
        model = add_head(layers.load_base(), np.random.default_rng(seed))
        if strategy == "all_at_once":
            model.unfreeze()
    fit(model, X, y, lr, epochs)
    return model


def train_strategies(layers, fit: Callable, add_head: Callable, n_train: int, seed: int, settings: dict = CHOSEN,
                     strategies: tuple[str, ...] = STRATEGIES) -> dict:
    """The trained model of each strategy at its (lr, epochs) in `settings`, on n_train
    hospital images drawn with `seed`."""
    X, y = xray.hospital_splits(n_train, seed)["train"]
    models: dict = {}
    for strategy in ("scratch", "head_only", "all_at_once"):
        if strategy in strategies or (strategy == "head_only" and "fine_tune" in strategies):
            models[strategy] = train_strategy(layers, fit, add_head, strategy, X, y, seed, *settings[strategy])
    if "fine_tune" in strategies:
        models["fine_tune"] = fine_tune(fit, models["head_only"], X, y, *settings["fine_tune"])
    return {name: model for name, model in models.items() if name in strategies}


def compare(layers, fit: Callable, add_head: Callable, n_train: int, seed: int, settings: dict = CHOSEN,
            strategies: tuple[str, ...] = STRATEGIES) -> dict[str, float]:
    """Validation accuracy of each strategy."""
    X_val, y_val = xray.hospital_splits(n_train, seed)["val"]
    models = train_strategies(layers, fit, add_head, n_train, seed, settings, strategies)
    return {name: accuracy(model, X_val, y_val) for name, model in models.items()}


def best(runs: list[dict], strategy: str, grid: Iterable[tuple[float, int]]) -> tuple[float, int]:
    """The (lr, epochs) of `grid` with the highest mean validation accuracy of `strategy` over
    `runs` (one dict per draw, keyed (strategy, lr, epochs)); a tie goes to the first in `grid`."""
    return max(grid, key=lambda setting: np.mean([run[(strategy, *setting)] for run in runs]))


def choose(layers, fit: Callable, add_head: Callable, n_train: int = N_CHOOSE, draws: Iterable[int] = DRAWS,
           train_grid: Iterable[tuple[float, int]] = TRAIN_GRID,
           grid: Iterable[tuple[float, int]] = GRID) -> tuple[dict, list[dict]]:
    """Every strategy's setting, chosen on validation: (chosen, runs).

    runs: one dict per draw, {(strategy, lr, epochs): validation accuracy} for scratch,
    head_only and all_at_once at every setting of `train_grid`, and fine_tune at every setting
    of `grid`, each starting from that draw's head trained at the chosen head setting.
    chosen: {strategy: (lr, epochs)}, the setting with the highest mean over the draws."""
    train_grid, grid = tuple(train_grid), tuple(grid)
    runs, heads, data = [], [], []
    for seed in draws:
        splits = xray.hospital_splits(n_train, seed)
        (X, y), (X_val, y_val) = splits["train"], splits["val"]
        run, head = {}, {}
        for strategy in ("scratch", "head_only", "all_at_once"):
            for setting in train_grid:
                model = train_strategy(layers, fit, add_head, strategy, X, y, seed, *setting)
                run[(strategy, *setting)] = accuracy(model, X_val, y_val)
                if strategy == "head_only":
                    head[setting] = model
        runs.append(run)
        heads.append(head)
        data.append((X, y, X_val, y_val))
    chosen = {strategy: best(runs, strategy, train_grid) for strategy in ("scratch", "head_only", "all_at_once")}
    for run, head, (X, y, X_val, y_val) in zip(runs, heads, data):
        for setting in grid:
            run[("fine_tune", *setting)] = accuracy(fine_tune(fit, head[chosen["head_only"]], X, y, *setting),
                                                    X_val, y_val)
    chosen["fine_tune"] = best(runs, "fine_tune", grid)
    return chosen, runs


def at(runs: list[dict], chosen: dict, strategy: str) -> list[float]:
    """The validation accuracies (one per draw) of `strategy` at its chosen setting."""
    return [run[(strategy, *chosen[strategy])] for run in runs]


def summary(values, baseline=None) -> str:
    """"mean ± sd, lowest" of accuracies over draws; with `baseline` (the same draws'
    accuracies of another strategy), also on how many draws `values` is higher."""
    values = np.asarray(values, dtype=float)
    text = f"{values.mean():.3f} ± {values.std():.3f}, lowest {values.min():.3f}"
    if baseline is not None:
        text += f"  (above head only on {int(np.sum(values > np.asarray(baseline)))} of {values.size} draws)"
    return text
