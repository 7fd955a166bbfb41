"""Training a softmax MLP on the handwritten digits (notebook 04) with the student's backprop.

The loop is given, not an exercise: it calls the `two_layer_softmax_backprop` you pass in
(the student's, in the notebook and the digits explorer) for the gradients, and measures
the network on the training and validation images after every epoch with the `relu` and
`softmax` you pass in (notebook 01's). Early stopping keeps the parameters of the epoch with
the lowest validation loss.

    split = digit_split()                                   # fixed train / validation / test rows
    run = train_digits(backprop, *split["train"], *split["val"], relu=relu, softmax=softmax,
                       hidden=64, reg=1e-3, epochs=300)
    run["best_epoch"], run["val_acc"][run["best_epoch"]]
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import data

SHUFFLE = 0
N_TEST, N_VAL = 400, 400


def digit_split(n_train: int | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"train", "val", "test"} -> (X, y) from one fixed shuffle of the 1,797 digits.

    Test: 400 images, validation: 400, training: the other 997, or their first `n_train`
    (the same images for every n_train, so a smaller training set is part of a larger one).
    """
    X, y = data.digits()
    order = np.random.default_rng(SHUFFLE).permutation(len(y))
    test, val, train = order[:N_TEST], order[N_TEST:N_TEST + N_VAL], order[N_TEST + N_VAL:]
    if n_train is not None:
        train = train[:n_train]
    return {"train": (X[train], y[train]), "val": (X[val], y[val]), "test": (X[test], y[test])}


def init_params(d_in: int, hidden: int, k: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """W1 (d_in, hidden), W2 (hidden, k): normal with variance 2 / fan-in (suits ReLU); zero biases."""
    return {"W1": rng.normal(0.0, np.sqrt(2.0 / d_in), size=(d_in, hidden)), "b1": np.zeros(hidden),
            "W2": rng.normal(0.0, np.sqrt(2.0 / hidden), size=(hidden, k)), "b2": np.zeros(k)}


def probabilities(params: dict, X: np.ndarray, relu: Callable, softmax: Callable) -> np.ndarray:
    """(n, k) class probabilities of the ReLU-softmax network, with the `relu` and `softmax` passed in."""
    return np.asarray(softmax(relu(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]), dtype=float)


def scores(params: dict, X: np.ndarray, y: np.ndarray, relu: Callable, softmax: Callable) -> tuple[float, float]:
    """(mean cross-entropy without the L2 term, accuracy) on (X, y)."""
    P = probabilities(params, X, relu, softmax)
    loss = float(-np.mean(np.log(np.clip(P[np.arange(len(y)), y], 1e-12, 1.0))))
    return loss, float(np.mean(P.argmax(axis=1) == y))


def train_digits(backprop: Callable, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, *,
                 relu: Callable, softmax: Callable, hidden: int = 64, reg: float = 0.0, epochs: int = 300, lr: float = 0.5, seed: int = 0) -> dict:
    """Full-batch gradient descent on `backprop(X, y, W1, b1, W2, b2, reg)` -> (loss, grads);
    `relu` and `softmax` (notebook 01's) score the network after every epoch.

    Returns a dict of arrays over epochs 0..epochs (0: before any step): "train_loss",
    "val_loss" (cross-entropy, without the L2 term, so the two compare), "train_acc",
    "val_acc"; "best_epoch", the epoch of the lowest validation loss, and "params" (its
    parameters: early stopping) and "last" (the parameters after the final epoch).
    """
    params = init_params(X.shape[1], hidden, int(y.max(initial=9)) + 1, np.random.default_rng(seed))
    curves = {key: np.empty(epochs + 1) for key in ("train_loss", "val_loss", "train_acc", "val_acc")}
    best_epoch, best = 0, params
    for epoch in range(epochs + 1):
        curves["train_loss"][epoch], curves["train_acc"][epoch] = scores(params, X, y, relu, softmax)
        curves["val_loss"][epoch], curves["val_acc"][epoch] = scores(params, X_val, y_val, relu, softmax)
        if curves["val_loss"][epoch] < curves["val_loss"][best_epoch]:
            best_epoch, best = epoch, params
        if epoch == epochs:
            break
        _, grads = backprop(X, y, params["W1"], params["b1"], params["W2"], params["b2"], reg=reg)
        params = {name: value - lr * np.asarray(grads["d" + name], dtype=float) for name, value in params.items()}
    return {**curves, "best_epoch": best_epoch, "params": best, "last": params}
