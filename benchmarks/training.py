"""Training time: the course's XOR training against seed 001's loop, and notebook 05's
fine-tuning experiment.

    seed_001_s    seed 001's loop as the seed writes it: 2-2-1, no biases,
                  np.random.seed(1) + np.random.rand init, sigmoid, 10 000 epochs, lr 0.1
    course_s      grader.xor_training.train (the reference of notebook 04's train) on the
                  same network (sizes [2, 2, 1]) and data, the same 10 000 epochs, lr 0.1:
                  full-batch gradient descent on BCE with biases, the loss of every epoch kept
    ratio         course_s / seed_001_s, both timed in the same run, alternately
    fine_tuning_s notebook 05's comparison: course.transfer.compare(layers, fit, add_head, 30, seed)
                  for seeds 0..4 with grader.fine_tuning.fit / add_head (4 strategies each)

    python benchmarks/training.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import ROOT  # noqa: E402,F401  (puts the checkout on sys.path)

EPOCHS, LR = 10_000, 0.1


def seed_001(epochs: int = EPOCHS, lr: float = LR) -> np.ndarray:
    """Seed 001's training loop, verbatim apart from the print: returns its last output."""
    def sigmoid(x): return 1 / (1 + np.exp(-x))
    def sigmoid_deriv(x): return x * (1 - x)

    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([[0], [1], [1], [0]])
    np.random.seed(1)
    w1 = np.random.rand(2, 2)
    w2 = np.random.rand(2, 1)
    for _ in range(epochs):
        z1 = np.dot(X, w1)
        a1 = sigmoid(z1)
        z2 = np.dot(a1, w2)
        output = sigmoid(z2)
        error = y - output
        d_output = error * sigmoid_deriv(output)
        error_hidden = d_output.dot(w2.T)
        d_hidden = error_hidden * sigmoid_deriv(a1)
        w2 += a1.T.dot(d_output) * lr
        w1 += X.T.dot(d_hidden) * lr
    return output


def course_xor(epochs: int = EPOCHS, lr: float = LR):
    from course.data import xor
    from grader.xor_training import train
    X, y = xor()
    return train(X, y, [2, 2, 1], lr, epochs, 0)


def time_xor() -> dict:
    """Both loops once each, seed 001 first (same run, same load)."""
    t0 = time.perf_counter()
    seed_001()
    t1 = time.perf_counter()
    course_xor()
    t2 = time.perf_counter()
    return {"seed_001_s": t1 - t0, "course_s": t2 - t1, "ratio": (t2 - t1) / (t1 - t0)}


def time_fine_tuning(seeds=range(5)) -> dict:
    from course import transfer
    from grader.fine_tuning import add_head, fit
    from grader.solutions import layers
    t0 = time.perf_counter()
    for seed in seeds:
        transfer.compare(layers, fit, add_head, n_train=30, seed=seed)
    return {"fine_tuning_s": time.perf_counter() - t0}


if __name__ == "__main__":
    print(time_xor())
    print(time_fine_tuning())
