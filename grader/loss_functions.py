"""02_loss_functions: reference implementations and hidden checks.

Conventions (docs/SPEC.md): argument order (y_true, y_pred); MSE, MAE, Huber and BCE are
means over ALL elements; categorical cross-entropy is a mean over samples (rows).
Every gradient is with respect to the prediction and has its shape.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course.checks import call, check_array, check_true, compare

from .cases import batch_dims, rng_for
from .solutions.forward_pass import sigmoid, softmax
from .solutions.loss_functions import EPS, binary_cross_entropy, binary_cross_entropy_grad


# --- references ---------------------------------------------------------------------

def mse(y_true, y_pred):
    """mean((y_pred - y_true)²) over all elements -> float."""
    return float(np.mean((y_pred - y_true) ** 2))


def mse_grad(y_true, y_pred):
    """d mse / d y_pred = 2 (y_pred - y_true) / N, N = number of elements; y_pred's shape."""
    return 2 * (y_pred - y_true) / np.size(y_pred)


def mae(y_true, y_pred):
    """mean(|y_pred - y_true|) over all elements -> float."""
    return float(np.mean(np.abs(y_pred - y_true)))


def mae_grad(y_true, y_pred):
    """sign(y_pred - y_true) / N (0 where they are equal); y_pred's shape."""
    return np.sign(y_pred - y_true) / np.size(y_pred)


def huber(y_true, y_pred, delta=1.0):
    """mean of ½r² where |r| <= delta, else delta(|r| - ½delta); r = y_pred - y_true."""
    r = np.abs(y_pred - y_true)
    return float(np.mean(np.where(r <= delta, 0.5 * r ** 2, delta * (r - 0.5 * delta))))


def huber_grad(y_true, y_pred, delta=1.0):
    """clip(y_pred - y_true, -delta, delta) / N; y_pred's shape."""
    return np.clip(y_pred - y_true, -delta, delta) / np.size(y_pred)


def categorical_cross_entropy(Y, P):
    """-(1/n) sum(Y log P) for one-hot (or soft) targets Y and probabilities P, both (n, k)."""
    return float(-np.sum(Y * np.log(np.clip(P, EPS, 1.0))) / Y.shape[0])


def softmax_cross_entropy_grad(Y, logits):
    """d CCE(Y, softmax(logits)) / d logits = (softmax(logits) - Y) / n; shape (n, k)."""
    return (softmax(logits) - Y) / Y.shape[0]


# What an exercise's docstring must not say, because it would give the answer away: regular
# expressions, matched case-insensitively against the docstring with all whitespace removed
# (so "2 (y_pred - y_true) / N" is looked for as "2\*?\(y_pred-y_true\)"). A docstring states
# the contract: arguments, shapes, what is returned; the derivation is the notebook's text.
FORMULAS: dict[str, list[str]] = {
    "mse": [r"\(y_pred-y_true\)(\*\*2|²)", r"\(y_true-y_pred\)(\*\*2|²)", r"square\("],
    "mse_grad": [r"2\*?\(y_pred-y_true\)", r"2\*?\(y_true-y_pred\)", r"\(y_pred-y_true\)/n", r"2/n",
                 r"/(y_pred|y_true)\.size", r"2r/n"],
    "mae": [r"abs\(", r"\|y_pred-y_true\|", r"\|y_true-y_pred\|"],
    "mae_grad": [r"sign\(", r"signof(r|the(residual|error|difference))", r"±1(?!\d)", r"\+1or-1", r"\(y_pred-y_true\)/n"],
    "huber": [r"½r(²|\*\*2)", r"0?\.5\*?r(²|\*\*2)", r"r(²|\*\*2)/2", r"delta\*?\(\|r\|-",
              r"delta\*?\(r-0?\.5\*?delta\)", r"where\(r<=delta"],
    "huber_grad": [r"clip\((y_pred-y_true|y_true-y_pred|r\b|residual)", r"min\(delta", r"max\(-delta", r"delta\*?sign", r"\(y_pred-y_true\)/n"],
    "binary_cross_entropy": [r"y(_true)?\*?(np\.)?log\(?p", r"log\(1-p\)"],
    "binary_cross_entropy_grad": [r"\(p-y(_true)?\)/", r"p\*?\(1-p\)", r"-y(_true)?/p",
                                  r"\(1-y(_true)?\)/\(1-p\)"],
    "categorical_cross_entropy": [r"sum\(y\*?(np\.)?log", r"ylog", r"-\(1/n\)", r"y\*(np\.)?log\(p"],
    "softmax_cross_entropy_grad": [r"softmax(\(logits\))?-y", r"p-y", r"\(softmax.*-y\)/n"],
}


# --- hidden checks ------------------------------------------------------------------

def _regression_cases(name):
    """(y_true, y_pred) pairs: vectors and (n, d) batches with n = 1 and n > 1, some residuals
    large (outliers), some exactly zero."""
    rng = rng_for(name)
    cases = []
    for n, d in batch_dims(rng):
        y = rng.normal(size=(n, d))
        r = rng.normal(size=(n, d)) * rng.choice([0.3, 3.0], size=(n, d))
        cases.append((y, y + r))
    y = rng.normal(size=7)
    r = np.concatenate([[0.0, 4.0, -5.0], rng.normal(size=4) * 0.5])
    cases.insert(0, (y, y + rng.permutation(r)))
    # integer-valued targets and predictions (dtype int64): the right floats are expected for them too
    y_int = rng.integers(-3, 4, size=(3, 4))
    cases.append((y_int, np.where(rng.random((3, 4)) < 0.25, y_int, rng.integers(-3, 4, size=(3, 4)))))
    return cases


def _scalar(got, what):
    check_true(np.ndim(got) == 0 and np.asarray(got).dtype.kind in "iuf", what=what,
               problem=f"a loss is one number (a mean); got {type(got).__name__}"
                       f"{' of shape ' + str(np.shape(got)) if np.ndim(got) else ''}.",
               mistake="loss_not_scalar")
    return float(got)


def _shown(y) -> str:
    return f"shape {y.shape}{', integers' * (np.asarray(y).dtype.kind == 'i')}"


def _check_loss(student, reference, cases, name, variants_for):
    for y, yhat in cases:
        what = f"{name}(y_true, y_pred) for {_shown(y)}"
        compare(student, reference, y, yhat, what=what, variants=variants_for(y, yhat),
                prepare=lambda got, what=what: _scalar(got, what))


def _check_grad(student, reference, cases, name, variants_for, nonfinite="not_finite"):
    for y, yhat in cases:
        what = f"{name}(y_true, y_pred) for {_shown(y)}"
        compare(student, reference, y, yhat, what=what, variants=variants_for(y, yhat),
                check=dict(n=y.size, nonfinite=nonfinite))


def check_mse(student: Callable) -> None:
    def variants(y, yhat):
        r2 = (yhat - y) ** 2
        return [("half", 0.5 * np.mean(r2)), ("missing_mean", np.sum(r2)), ("rmse", np.sqrt(np.mean(r2))),
                ("half_sum_convention", 0.5 * np.sum(r2)),
                ("mean_over_rows", np.sum(r2) / len(y)), ("mae_for_mse", np.mean(np.abs(yhat - y)))]
    _check_loss(student, mse, _regression_cases("mse"), "mse", variants)


def check_mse_grad(student: Callable) -> None:
    def variants(y, yhat):
        r = yhat - y
        return [("half", r / r.size), ("missing_mean", 2 * r), ("wrong_sign", 2 * (y - yhat) / r.size),
                ("mean_over_rows", 2 * r / len(r)), ("half_and_missing_mean", r)]
    _check_grad(student, mse_grad, _regression_cases("mse_grad"), "mse_grad", variants)


def check_mae(student: Callable) -> None:
    def variants(y, yhat):
        a = np.abs(yhat - y)
        return [("missing_mean", np.sum(a)), ("mean_over_rows", np.sum(a) / len(y)),
                ("mse_for_mae", np.mean(a ** 2)), ("mae_no_abs", np.mean(yhat - y))]
    _check_loss(student, mae, _regression_cases("mae"), "mae", variants)


def check_mae_grad(student: Callable) -> None:
    def variants(y, yhat):
        r = yhat - y
        return [("missing_mean", np.sign(r)), ("wrong_sign", np.sign(-r) / r.size),
                ("mean_over_rows", np.sign(r) / len(r)), ("mae_grad_abs", np.abs(r) / r.size),
                ("mse_for_mae", 2 * r / r.size)]
    _check_grad(student, mae_grad, _regression_cases("mae_grad"), "mae_grad", variants, nonfinite="mae_grad_zero")


def _huber_variants(y, yhat, delta):
    r = yhat - y
    a = np.abs(r)
    small = a <= delta
    return [
        ("huber_no_half", np.mean(np.where(small, a ** 2, delta * (a - 0.5 * delta)))),
        ("huber_no_offset", np.mean(np.where(small, 0.5 * a ** 2, delta * a))),
        ("huber_offset_wrong", np.mean(np.where(small, 0.5 * a ** 2, delta * a - delta ** 2))),
        ("huber_branches_swapped", np.mean(np.where(~small, 0.5 * a ** 2, delta * (a - 0.5 * delta)))),
        ("huber_delta_ignored", huber(y, yhat, 1.0)),
        ("missing_mean", np.sum(np.where(small, 0.5 * a ** 2, delta * (a - 0.5 * delta)))),
        ("mean_over_rows", np.sum(np.where(small, 0.5 * a ** 2, delta * (a - 0.5 * delta))) / len(y)),
    ]


def check_huber(student: Callable) -> None:
    """Residuals on both sides of delta, several deltas (the argument must be used)."""
    cases = _regression_cases("huber")
    for (y, yhat), delta in zip(cases, (1.0, 0.5, 2.0, 1.5, 2.0)):
        what = f"huber(y_true, y_pred, delta={delta}) for {_shown(y)}"
        compare(student, huber, y, yhat, delta=delta, what=what, variants=_huber_variants(y, yhat, delta),
                prepare=lambda got, what=what: _scalar(got, what))


def check_huber_grad(student: Callable) -> None:
    cases = _regression_cases("huber_grad")
    for (y, yhat), delta in zip(cases, (1.0, 0.5, 2.0, 1.5, 2.0)):
        what = f"huber_grad(y_true, y_pred, delta={delta}) for {_shown(y)}"
        r = yhat - y
        compare(student, huber_grad, y, yhat, delta=delta, what=what, check=dict(n=r.size), variants=[
            ("huber_grad_unclipped", r / r.size), ("huber_grad_sign", np.sign(r) * delta / r.size),
            ("huber_delta_ignored", huber_grad(y, yhat, 1.0)),
            ("wrong_sign", -np.clip(r, -delta, delta) / r.size),
            ("mean_over_rows", np.clip(r, -delta, delta) / len(r))])


def _probability_cases(name):
    """(y, p) pairs with labels 0/1, probabilities near 0 and 1 and some exactly 0 or 1."""
    rng = rng_for(name)
    cases = []
    for n, d in batch_dims(rng):
        y = rng.integers(0, 2, size=(n, d)).astype(float)
        p = sigmoid(rng.normal(size=(n, d)) * 3)
        cases.append((y, p))
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    p = np.array([0.9, 0.2, 1e-5, 1 - 1e-5, 0.5, 0.3])
    cases.insert(0, (y, p))
    cases.append((rng.integers(0, 2, size=(4, 3)), sigmoid(rng.normal(size=(4, 3)) * 3)))   # integer labels
    return cases


def check_binary_cross_entropy(student: Callable) -> None:
    for y, p in _probability_cases("bce"):
        what = f"binary_cross_entropy(y_true, p) for shape {y.shape}{', integer labels' * (y.dtype.kind == 'i')}"
        with np.errstate(all="ignore"):
            terms = y * np.log(p) + (1 - y) * np.log(1 - p)
            variants = [("wrong_sign", -binary_cross_entropy(y, p)), ("missing_mean", -np.sum(terms)),
                        ("mean_over_rows", -np.sum(terms) / len(y)), ("bce_log10", -np.mean(
                            y * np.log10(np.clip(p, EPS, 1 - EPS)) + (1 - y) * np.log10(np.clip(1 - p, EPS, 1))))]
        compare(student, binary_cross_entropy, y, p, what=what, variants=variants, check=dict(rtol=1e-5),
                prepare=lambda got, what=what: _scalar(got, what))
    _check_clipped(student, binary_cross_entropy, "binary_cross_entropy(y_true, p)")


def _check_clipped(student, reference, what):
    """p exactly 0 or 1 where the label disagrees: the answer must be finite, and as large as
    clipping at some eps in [1e-15, 1e-6] makes it (the course clips at 1e-12; a student
    who picked Keras's 1e-7 or scikit-learn's 1e-15 is right too)."""
    y = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    p = np.array([[0.0, 1.0, 1.0], [0.0, 0.5, 1.0]])
    what = f"{what} with p exactly 0 or 1"
    got, _ = call(student, y, p, what=what)
    got = np.asarray(got, dtype=float) if got is not None else got
    check_array(got, reference(y, p), what=what, nonfinite="no_clip", rtol=1.0, atol=np.inf)
    bounds = [reference(y, p, eps=eps) for eps in (1e-6, 1e-15)]
    low, high = np.minimum(*bounds), np.maximum(*bounds)
    slack = 1e-6 * np.abs(high) + 1e-9
    check_true(bool(np.all((low - slack <= got) & (got <= high + slack))), what=what, mistake="no_clip",
               problem="expected the value clipping p to [eps, 1 - eps] gives, for an eps between 1e-15 and 1e-6"
                       f" (the course uses 1e-12: {np.round(reference(y, p), 4)}); got {np.round(got, 4)}.")


def check_binary_cross_entropy_grad(student: Callable) -> None:
    for y, p in _probability_cases("bce_grad"):
        what = f"binary_cross_entropy_grad(y_true, p) for shape {y.shape}{', integer labels' * (y.dtype.kind == 'i')}"
        pc = np.clip(p, EPS, 1 - EPS)
        with np.errstate(all="ignore"):
            unclipped = (p - y) / (p * (1 - p)) / p.size
        compare(student, binary_cross_entropy_grad, y, p, what=what, check=dict(n=p.size, rtol=1e-5, nonfinite="no_clip"),
                variants=[("logits_vs_probs", (p - y) / p.size), ("logits_vs_probs", p - y),
                              ("bce_grad_sign_slip", -(y / pc + (1 - y) / (1 - pc)) / p.size),
                              ("wrong_sign", -(pc - y) / (pc * (1 - pc)) / p.size),
                              ("mean_over_rows", (pc - y) / (pc * (1 - pc)) / len(p)),
                              ("no_clip", unclipped)])
    _check_clipped(student, binary_cross_entropy_grad, "binary_cross_entropy_grad(y_true, p)")


def _class_cases(name):
    rng = rng_for(name)
    cases = []
    for n, k in batch_dims(rng):
        k = max(k, 3) if k != n else k + 1
        Y = np.eye(k)[rng.integers(0, k, size=n)]
        logits = rng.normal(size=(n, k)) * 2
        cases.append((Y, logits))
    cases.append((np.eye(4, dtype=int)[rng.integers(0, 4, size=3)], rng.normal(size=(3, 4)) * 2))   # integer one-hot rows
    return cases


def check_categorical_cross_entropy(student: Callable) -> None:
    for Y, logits in _class_cases("cce"):
        P = softmax(logits)
        n, k = Y.shape
        what = f"categorical_cross_entropy(Y, P) for shape {Y.shape}{', integer Y' * (Y.dtype.kind == 'i')}"
        total = -np.sum(Y * np.log(P))
        compare(student, categorical_cross_entropy, Y, P, what=what, prepare=lambda got, what=what: _scalar(got, what),
                variants=[
            ("cce_mean_over_elements", total / (n * k)), ("missing_mean", total), ("cce_mean_over_classes", total / k),
            ("bce_for_cce", binary_cross_entropy(Y, P) * k),
            ("wrong_sign", -total / n), ("bce_for_cce", binary_cross_entropy(Y, P))])
    Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    P = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    what = "categorical_cross_entropy(Y, P) with some probabilities exactly 0"
    got, _ = call(student, Y, P, what=what)
    value = _scalar(got, what) if got is not None and np.ndim(got) == 0 else got
    check_array(value, categorical_cross_entropy(Y, P), what=what, nonfinite="no_clip", rtol=1.0, atol=np.inf)
    low, high = (-np.sum(Y * np.log(np.clip(P, eps, 1))) / 2 for eps in (1e-6, 1e-16))
    check_true(low * (1 - 1e-6) <= value <= high * (1 + 1e-6), what=what, mistake="no_clip",
               problem=f"expected the loss with P clipped to [eps, 1], eps between 1e-16 and 1e-6; got {value}.")


def check_softmax_cross_entropy_grad(student: Callable) -> None:
    cases = _class_cases("sce_grad")
    Y = np.eye(3)[[0, 2]]
    cases.append((Y, np.array([[1000.0, 0.0, -1000.0], [-800.0, 900.0, 950.0]])))  # needs the max-shift
    cases.append((np.eye(3)[[1, 0]], np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1010.0, -1200.0]])))  # row by row
    for Y, logits in cases:
        n = Y.shape[0]
        P = softmax(logits)
        what = f"softmax_cross_entropy_grad(Y, logits) for shape {Y.shape}{', integer Y' * (Y.dtype.kind == 'i')}"
        with np.errstate(all="ignore"):
            variants = [("missing_mean", P - Y), ("wrong_sign", (Y - P) / n), ("sce_forgot_y", P / n),
                        ("probs_vs_logits", -Y / np.clip(P, EPS, 1) / n),
                        ("cce_mean_over_elements", (P - Y) / Y.size),
                        ("softmax_axis", (softmax(logits.T).T - Y) / n),
                        ("softmax_global", (np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum() - Y) / n),
                        ("softmax_sigmoid", (sigmoid(logits) - Y) / n)]
        # judged from the outputs: NaN where unstable (what numpy warned is the student's process's word)
        compare(student, softmax_cross_entropy_grad, Y, logits, what=what, variants=variants,
                check=dict(n=n, atol=1e-12, nonfinite="unstable_softmax"))
