"""05_fine_tuning: reference implementations and hidden checks.

`fit` is judged with the student's own `adam_step` (where it is usable), so a mistake in
Adam costs the Adam exercise its points, not the training loop as well.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course import diagnose
from course.channel import Remote
from course.checks import CheckFailed, call, check_array, check_true, compare, with_lines

from .cases import rng_for
from .solutions.layers import Dense, ReLU, Sequential, Sigmoid
from .solutions.loss_functions import binary_cross_entropy, binary_cross_entropy_grad


# --- references ---------------------------------------------------------------------

# What would give each exercise away if an exercise's docstring said it: regular expressions,
# matched case-insensitively against the docstring with all whitespace removed.
FORMULAS: dict[str, list[str]] = {
    "adam_step": [r"beta1\*m\+", r"beta2\*v\+", r"\(1-beta[12]\)\*", r"grad\*\*2", r"g\^?2",
                  r"1-beta[12]\*\*t", r"/\(1-β", r"sqrt\(v", r"√v", r"m_?hat", r"lr\*m",
                  r"param-lr"],
    "add_head": [r"sequential\(base\.layers\+", r"dense\(d,1", r"\[dense\(", r"base\.freeze\(\)",
                 r"sigmoid\(\)\]"],
    "fit": [r"binary_cross_entropy_grad", r"adam_step\(layer", r"state\[key\]",
            r"formodel\.parameters\(\)", r"t=epoch", r"\(p-y\)/"],
    "binary_metrics": [r"tp/\(tp\+fn\)", r"tn/\(tn\+fp\)", r"\(tp\+tn\)/", r"mean\(y_pred==y_true\)",
                       r"truepositives/"],
    "threshold_for_sensitivity": [r"ceil\(", r"⌈", r"sort", r"target\*n", r"positives\[",
                                  r"\(target\*"],
}


def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam update; t counts from 1. Returns (new param, new m, new v); nothing is modified."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def add_head(base, rng):
    """base's layers, frozen, then a new trainable Dense(d, 1) and a Sigmoid."""
    base.freeze()
    d = [layer for layer in base.layers if layer.params][-1].params["W"].shape[1]
    return Sequential(base.layers + [Dense(d, 1, rng), Sigmoid()])


def fit(model, X, y, lr, epochs, adam=adam_step):
    """Full-batch Adam on mean binary cross-entropy; only model.parameters() change.
    Returns the loss of every epoch, before its update."""
    state: dict = {}
    history = []
    for t in range(1, epochs + 1):
        p = model.forward(X)
        history.append(binary_cross_entropy(y, p))
        model.backward(binary_cross_entropy_grad(y, p))
        for key, layer, name in model.parameters():
            m, v = state.get(key, (0.0, 0.0))
            layer.params[name], m, v = adam(layer.params[name], layer.grads[name], m, v, t, lr)
            state[key] = (m, v)
    return history


def binary_metrics(y_true, y_pred):
    """{"accuracy", "sensitivity" (true positive rate), "specificity" (true negative rate)}; nan where undefined."""
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    tp = np.sum((y_pred == 1) & (y_true == 1))
    tn = np.sum((y_pred == 0) & (y_true == 0))
    positives, negatives = np.sum(y_true == 1), np.sum(y_true == 0)
    return {"accuracy": float(np.mean(y_pred == y_true)),
            "sensitivity": float(tp / positives) if positives else float("nan"),
            "specificity": float(tn / negatives) if negatives else float("nan")}


def threshold_for_sensitivity(y_true, p, target=0.95):
    """The highest threshold t among the scores p with sensitivity of (p >= t) at least `target`."""
    y_true, p = np.asarray(y_true).ravel(), np.asarray(p).ravel()
    positives = np.sort(p[y_true == 1])[::-1]
    needed = int(np.ceil(target * positives.size - 1e-9))
    return float(positives[max(needed, 1) - 1])


# --- checks ---------------------------------------------------------------------------

def _adam_variants(param, grad, m, v, t, lr, beta1, beta2, eps):
    m2 = beta1 * m + (1 - beta1) * grad
    v2 = beta2 * v + (1 - beta2) * grad ** 2
    with np.errstate(all="ignore"):
        v_abs = beta2 * v + (1 - beta2) * np.abs(grad)
        return [
            ("adam_no_bias_correction", param - lr * m2 / (np.sqrt(v2) + eps)),
            ("adam_t_from_zero", param - lr * (m2 / (1 - beta1 ** (t + 1))) / (np.sqrt(v2 / (1 - beta2 ** (t + 1))) + eps)),
            ("adam_v_not_squared", param - lr * (m2 / (1 - beta1 ** t)) / (np.sqrt(v_abs / (1 - beta2 ** t)) + eps)),
            ("wrong_sign", param + lr * (m2 / (1 - beta1 ** t)) / (np.sqrt(v2 / (1 - beta2 ** t)) + eps)),
            ("adam_eps_inside", param - lr * (m2 / (1 - beta1 ** t)) / np.sqrt(v2 / (1 - beta2 ** t) + eps)),
            ("lr_ignored", param - (m2 / (1 - beta1 ** t)) / (np.sqrt(v2 / (1 - beta2 ** t)) + eps)),
        ]


def check_adam_step(student: Callable) -> None:
    """Steps 1, 2 and 10 on random (non-square) parameters, with the defaults and other hyper-parameters."""
    rng = rng_for("adam_step")
    # (shape, t, hyper-parameters, gradient scale): the last case makes eps matter (gradients ~ eps)
    cases = [((3, 4), 1, {}, 1.0), ((5,), 2, {"lr": 0.01}, 1.0),
             ((2, 6), 10, {"lr": 0.05, "beta1": 0.8, "beta2": 0.99}, 1.0), ((4, 3), 1, {"eps": 1e-3, "lr": 0.1}, 1e-3)]
    for shape, t, hyper, scale in cases:
        param, grad = rng.normal(size=shape), scale * rng.normal(size=shape)
        m = rng.normal(size=shape) * 0.1 if t > 1 else np.zeros(shape)
        v = rng.random(size=shape) * 0.1 if t > 1 else np.zeros(shape)
        full = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, **hyper}
        what = f"adam_step(param {shape}, grad, m, v, t={t}{''.join(f', {k}={x}' for k, x in hyper.items())})"
        new, m_new, v_new = adam_step(param, grad, m, v, t, **hyper)
        wrong_param = _adam_variants(param, grad, m, v, t, **full)
        compare(student, adam_step, param, grad, m, v, t, what=what, items=("param", "m", "v"), order=(1, 2, 0),
                per_item={"v": {"nonfinite": "adam_v_not_squared"}, "param": {"nonfinite": "adam_t_from_zero"}},
                **hyper, variants=[
            *[(key, (value, m_new, v_new)) for key, value in wrong_param],
            ("adam_m_v_swapped", (new, v_new, m_new)),
            ("adam_m_unaveraged", (None, full["beta1"] * m + grad, None)),
            ("adam_v_not_squared", (None, None, full["beta2"] * v + (1 - full["beta2"]) * grad)),
            ("adam_v_not_squared", (None, None, full["beta2"] * v + (1 - full["beta2"]) * np.abs(grad)))])


def _type_name(obj) -> str:
    return obj.remote_type if isinstance(obj, Remote) else type(obj).__name__


def _beside(student: Callable, model: Sequential):
    """`model` itself, or, when the student's function lives in its own process (autograde), a
    copy of it made there from the notebook's own layer classes, with the same weights."""
    if not isinstance(student, Remote):
        return model
    there = student.process
    layers = []
    for layer in model.layers:
        kind = there.lookup(type(layer).__name__)
        if layer.params:
            W = layer.params["W"]
            copy = kind(W.shape[0], W.shape[1], np.random.default_rng(0))
            copy.params = {name: value.copy() for name, value in layer.params.items()}
            copy.trainable = layer.trainable
        else:
            copy = kind()
        layers.append(copy)
    return there.lookup("Sequential")(layers)


def check_add_head(student: Callable) -> None:
    rng = rng_for("add_head")
    base = _beside(student, Sequential([Dense(6, 5, rng), ReLU(), Dense(5, 4, rng), ReLU()]))
    layers_before = list(base.layers)
    what = "add_head(base, rng) for a base ending in 4 features"
    model, _ = call(student, base, np.random.default_rng(3), what=what)
    check_true(_type_name(model) == "Sequential", what=what, mistake="wrong_return",
               problem=f"expected a Sequential, got {_type_name(model)}.")
    check_true(model.layers[:len(layers_before)] == layers_before, what=what, mistake="head_base_copied",
               problem="the new model should start with the base's own layer objects, in order.")
    check_true(all(not layer.trainable for layer in layers_before if layer.params), what=what,
               mistake="frozen_changed", problem="the base's layers should be frozen (trainable = False).")
    head = model.layers[len(layers_before):]
    check_true(any(layer.params and layer.trainable for layer in head), what=what, mistake="head_frozen",
               problem="the new head must be trainable.")
    X = 100 * rng.normal(size=(7, 6))                # large inputs: an unsquashed head leaves (0, 1)
    out = model.forward(X)
    check_array(np.shape(out), (7, 1), what=f"{what}: output shape", integer=True)
    check_true(bool(np.all((out >= 0) & (out <= 1))) and not model.layers[-1].params, what=what,
               mistake="head_no_sigmoid", problem="the model's output should be a probability in [0, 1]: end with a Sigmoid.")


def _own_adam(student_adam: Callable | None) -> Callable:
    def own(*args, **kwargs):
        if student_adam is not None:
            try:
                with np.errstate(all="ignore"):
                    out = student_adam(*args, **kwargs)
                if isinstance(out, (tuple, list)) and len(out) == 3 and all(
                        np.shape(o) == np.shape(args[0]) and np.all(np.isfinite(o)) for o in out):
                    return tuple(np.asarray(o, dtype=float) for o in out)
            except Exception:  # an unfinished or broken adam_step: judge with the reference
                pass
        return adam_step(*args, **kwargs)
    return own


def _small_model(rng, freeze_first: bool):
    model = Sequential([Dense(5, 4, rng), ReLU(), Dense(4, 3, rng), ReLU(), Dense(3, 1, rng), Sigmoid()])
    if freeze_first:
        model.layers[0].trainable = False
        model.layers[2].trainable = False
    return model


def check_fit(student: Callable, adam_step: Callable | None = None) -> None:
    """Frozen layers never move, trainable ones do, the loss history is right epoch by epoch."""
    own = _own_adam(adam_step)
    rng = rng_for("fit")
    X = rng.normal(size=(12, 5))
    y = (rng.random((12, 1)) < 0.5).astype(float)
    for freeze_first, lr, epochs in ((True, 0.05, 30), (False, 0.01, 20)):
        reference = _small_model(np.random.default_rng(5), freeze_first)
        before = reference.copy()
        model = _beside(student, reference.copy())
        expected_history = fit(reference, X, y, lr, epochs, adam=own)
        what = f"fit(model, X (12, 5), y, lr={lr}, epochs={epochs}){' with the first two Dense layers frozen' * freeze_first}"
        history, _ = call(student, model, X, y, lr, epochs, what=what)
        for i, (old, new) in enumerate(zip(before.layers, model.layers)):
            for name in old.params:
                moved = not np.array_equal(old.params[name], new.params[name])
                if not old.trainable:
                    check_true(not moved, what=what, mistake="frozen_changed",
                               problem=f"layer {i} is frozen, yet its {name} changed.")
        history = np.asarray(history, dtype=float).ravel() if history is not None else np.array([])
        check_true(history.size == epochs, what=what, mistake="history_wrong_length",
                   problem=f"fit should return one loss per epoch ({epochs}), got {history.size}.")
        check_true(bool(np.all(np.isfinite(history))), what=what, mistake="adam_t_from_zero",
                   problem="the loss history holds NaN or inf (a first step with t = 0 divides by zero).")
        variants = [("adam_state_reset", _fit_variant(before, X, y, lr, epochs, own, "reset")),
                    ("adam_state_reset", _fit_variant(before, X, y, lr, epochs, own, "reset_keep_t")),
                    ("adam_t_from_zero", _fit_variant(before, X, y, lr, epochs, own, "t0")),
                    ("history_after_update", _fit_variant(before, X, y, lr, epochs, own, "after"))]
        moved = {f"layer {i} {name}": float(np.max(np.abs(new.params[name] - old.params[name])))
                 for i, (old, new) in enumerate(zip(before.layers, model.layers)) for name in old.params
                 if old.trainable}
        try:
            check_array(history, expected_history, what=f"{what}: loss history", rtol=1e-6, variants=variants)
        except CheckFailed as failure:
            summary = diagnose.training(history, moved)
            if failure.mistake is not None or summary is None:
                raise
            raise with_lines(failure, [summary]) from None
        for i, (mine, theirs) in enumerate(zip(reference.layers, model.layers)):
            for name in mine.params:
                check_array(theirs.params[name], mine.params[name], what=f"{what}: layer {i} {name} after fit",
                            rtol=1e-6, atol=1e-9)


def _fit_variant(model, X, y, lr, epochs, adam, kind):
    model = model.copy()
    state: dict = {}
    history = []
    with np.errstate(all="ignore"):
        for t in range(1, epochs + 1):
            p = model.forward(X)
            if kind != "after":
                history.append(binary_cross_entropy(y, p))
            model.backward(binary_cross_entropy_grad(y, p))
            for key, layer, name in model.parameters():
                m, v = state.get(key, (0.0, 0.0)) if not kind.startswith("reset") else (0.0, 0.0)
                step = {"reset": 1, "t0": t - 1}.get(kind, t)
                try:
                    layer.params[name], m, v = adam_step(layer.params[name], layer.grads[name], m, v, step, lr)
                except ZeroDivisionError:
                    return None
                state[key] = (m, v)
            if kind == "after":
                history.append(binary_cross_entropy(y, model.forward(X)))
    return np.array(history)


def check_binary_metrics(student: Callable) -> None:
    rng = rng_for("binary_metrics")
    for n in (20, 7, 50):
        y = (rng.random(n) < 0.4).astype(int)
        y[:2] = [0, 1]
        pred = np.where(rng.random(n) < 0.75, y, 1 - y)
        shape = (n, 1) if n == 7 else (n,)
        what = f"binary_metrics(y_true, y_pred) for {n} labels of shape {shape}"
        got, _ = call(student, y.reshape(shape), pred.reshape(shape), what=what)
        expected = binary_metrics(y, pred)
        check_true(isinstance(got, dict) and {"accuracy", "sensitivity", "specificity"} <= set(got), what=what,
                   mistake="wrong_return", problem="expected a dict with keys accuracy, sensitivity, specificity.")
        tp = np.sum((pred == 1) & (y == 1))
        precision = tp / max(np.sum(pred == 1), 1)
        for key in ("accuracy", "sensitivity", "specificity"):
            other = {"sensitivity": "specificity", "specificity": "sensitivity"}.get(key)
            check_array(np.asarray(got[key], dtype=float), expected[key], what=f"{what}: {key}", variants=[
                *([("sens_spec_swapped", expected[other])] if other else []),
                *([("precision_for_sensitivity", precision)] if key == "sensitivity" else []),
                ("metric_as_count", float({"accuracy": np.sum(pred == y), "sensitivity": tp,
                                            "specificity": np.sum((pred == 0) & (y == 0))}[key]))])


def check_threshold_for_sensitivity(student: Callable) -> None:
    rng = rng_for("threshold_for_sensitivity")
    # overlapping scores and many positives, so that each mistake picks a different threshold
    for n, target in ((60, 0.8), (40, 0.95), (25, 0.9)):
        y = (rng.random(n) < 0.5).astype(float)
        y[:2] = [0, 1]
        p = np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1)
        what = f"threshold_for_sensitivity(y_true, p, target={target}) for {n} scores"
        expected = threshold_for_sensitivity(y, p, target)
        positives = np.sort(p[y == 1])
        low = float(positives[0])
        below = float(np.max(p[p < expected])) if np.any(p < expected) else expected
        variants = [("threshold_target_ignored", threshold_for_sensitivity(y, p, 0.95)), ("threshold_strict", below),
                    ("threshold_lowest", low)]
        note = f"(with t = {expected:.4f}, predicting p >= t finds {np.mean(p[y == 1] >= expected):.0%} of the positives)"
        compare(student, threshold_for_sensitivity, y, p, target, what=what, variants=variants,
                prepare=lambda got: np.asarray(got, dtype=float), check=dict(context=[note]))
