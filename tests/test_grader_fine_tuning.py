"""grader.fine_tuning: correct alternatives pass, each known mistake is named; and the
notebook's central claim holds on the data the course ships."""
import numpy as np
import pytest

from course import transfer
from course.checks import CheckFailed
from grader.solutions import layers
from grader.solutions.layers import Dense, Sequential, Sigmoid
from grader.solutions.loss_functions import binary_cross_entropy, binary_cross_entropy_grad
from grader import fine_tuning as g


def adam_variant(kind):
    def step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * (grad if kind == "v" else grad ** 2)
        if kind == "nobias":
            return param - lr * m / (np.sqrt(v) + eps), m, v
        tt = t - 1 if kind == "t0" else t
        m_hat, v_hat = m / (1 - beta1 ** tt), v / (1 - beta2 ** tt)
        if kind == "eps":
            return param - lr * m_hat / np.sqrt(v_hat + eps), m, v
        if kind == "sign":
            return param + lr * m_hat / (np.sqrt(v_hat) + eps), m, v
        if kind == "swap":
            return param - lr * m_hat / (np.sqrt(v_hat) + eps), v, m
        return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    return step


def adam_in_place(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    new, m, v = g.adam_step(param, grad, m, v, t, lr, beta1, beta2, eps)
    param[...] = new
    return param, m, v


def fit_variant(kind):
    def fit(model, X, y, lr, epochs):
        state, history = {}, []
        for t in range(1, epochs + 1):
            p = model.forward(X)
            if kind != "after":
                history.append(binary_cross_entropy(y, p))
            model.backward(binary_cross_entropy_grad(y, p))
            pairs = ([(f"{i}.{n}", layer, n) for i, layer in enumerate(model.layers) for n in layer.params]
                     if kind == "all" else model.parameters())
            for key, layer, name in pairs:
                m, v = state.get(key, (0.0, 0.0)) if kind != "reset" else (0.0, 0.0)
                step = {"reset": 1, "t0": t - 1}.get(kind, t)
                layer.params[name], m, v = g.adam_step(layer.params[name], layer.grads[name], m, v, step, lr)
                state[key] = (m, v)
            if kind == "after":
                history.append(binary_cross_entropy(y, model.forward(X)))
        return history
    return fit


def head_variant(kind):
    def add_head(base, rng):
        if kind != "nofreeze":
            base.freeze()
        d = base.layers[-2].params["W"].shape[1]
        layers = base.copy().layers if kind == "copy" else base.layers
        head = [Dense(d, 1, rng)] + ([] if kind == "nosigmoid" else [Sigmoid()])
        return Sequential(layers + head)
    return add_head


def metrics_variant(kind):
    def metrics(y_true, y_pred):
        y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)
        tp, tn = np.sum((y_pred == 1) & (y_true == 1)), np.sum((y_pred == 0) & (y_true == 0))
        sens, spec = tp / np.sum(y_true == 1), tn / np.sum(y_true == 0)
        if kind == "swap":
            sens, spec = spec, sens
        if kind == "precision":
            sens = tp / np.sum(y_pred == 1)
        return {"accuracy": np.mean(y_true == y_pred), "sensitivity": sens, "specificity": spec}
    return metrics


CORRECT = [
    (g.check_adam_step, adam_variant("ok")),
    (g.check_add_head, head_variant("ok")),
    (g.check_binary_metrics, metrics_variant("ok")),
    (g.check_threshold_for_sensitivity, lambda y, p, target=0.95: max(
        t for t in np.unique(p) if np.mean(p[np.ravel(y) == 1] >= t) >= target - 1e-12)),
]


@pytest.mark.parametrize("check, answer", CORRECT, ids=[c.__name__ for c, _ in CORRECT])
def test_correct_alternatives_pass(check, answer):
    check(answer)


def test_fit_is_judged_with_the_students_own_adam():
    g.check_fit(g.fit, g.adam_step)
    wrong_adam = adam_variant("nobias")

    def fit_with_wrong_adam(model, X, y, lr, epochs):
        return g.fit(model, X, y, lr, epochs, adam=wrong_adam)
    g.check_fit(fit_with_wrong_adam, wrong_adam)      # the loop is right; Adam loses its own points


WRONG = [
    (g.check_adam_step, adam_variant("nobias"), "adam_no_bias_correction"),
    (g.check_adam_step, adam_variant("v"), "adam_v_not_squared"),
    (g.check_adam_step, adam_variant("t0"), "adam_t_from_zero"),
    (g.check_adam_step, adam_variant("eps"), "adam_eps_inside"),
    (g.check_adam_step, adam_variant("sign"), "wrong_sign"),
    (g.check_adam_step, adam_variant("swap"), "adam_m_v_swapped"),
    (g.check_adam_step, adam_in_place, "mutates_input"),
    (g.check_add_head, head_variant("nofreeze"), "frozen_changed"),
    (g.check_add_head, head_variant("copy"), "head_base_copied"),
    (g.check_add_head, head_variant("nosigmoid"), "head_no_sigmoid"),
    (g.check_binary_metrics, metrics_variant("swap"), "sens_spec_swapped"),
    (g.check_binary_metrics, metrics_variant("precision"), "precision_for_sensitivity"),
    (g.check_threshold_for_sensitivity, lambda y, p, target=0.95: float(np.min(p[np.ravel(y) == 1])), "threshold_lowest"),
]


@pytest.mark.parametrize("check, answer, key", WRONG, ids=[f"{c.__name__}-{k}" for c, _, k in WRONG])
def test_each_known_mistake_fails_and_is_named(check, answer, key):
    with pytest.raises(CheckFailed) as info:
        check(answer)
    assert info.value.mistake == key, str(info.value)


@pytest.mark.parametrize("kind, key", [("all", "frozen_changed"), ("reset", "adam_state_reset"),
                                       ("t0", "adam_t_from_zero"), ("after", "history_after_update")])
def test_fit_mistakes_are_named(kind, key):
    with pytest.raises(CheckFailed) as info:
        g.check_fit(fit_variant(kind), g.adam_step)
    assert info.value.mistake == key, str(info.value)


@pytest.mark.slow
def test_central_claim_head_only_beats_training_from_scratch_on_the_small_hospital_set():
    """The notebook's claim, measured: held-out accuracy, mean over 5 seeds, 30 labelled images."""
    runs = [transfer.compare(layers, g.fit, g.add_head, n_train=30, seed=s, strategies=("scratch", "head_only"))
            for s in range(5)]
    scratch = np.mean([r["scratch"] for r in runs])
    head = np.mean([r["head_only"] for r in runs])
    print(f"from scratch {scratch:.3f}, head only {head:.3f}")
    assert head > scratch
