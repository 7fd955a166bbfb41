"""grader.loss_functions: the references are right (finite differences, hand-computed
values), the hidden checks pass correct alternatives and name each known mistake."""
import numpy as np
import pytest

from course.checks import CheckFailed
from course.gradcheck import relative_error
from grader.solutions.backprop_by_hand import numerical_gradient
from grader import loss_functions as g
from grader.forward_pass import sigmoid, softmax

rng = np.random.default_rng(2024)
Y_REG, P_REG = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)) * 2
Y_BIN, P_BIN = rng.integers(0, 2, size=(5, 2)).astype(float), sigmoid(rng.normal(size=(5, 2)))
Y_CLS, Z_CLS = np.eye(4)[[0, 3, 1]], rng.normal(size=(3, 4))


# --- the references ------------------------------------------------------------------

@pytest.mark.parametrize("loss, grad, y, yhat", [
    (g.mse, g.mse_grad, Y_REG, P_REG),
    (g.mae, g.mae_grad, Y_REG, P_REG),
    (lambda y, p: g.huber(y, p, 0.7), lambda y, p: g.huber_grad(y, p, 0.7), Y_REG, P_REG),
    (g.binary_cross_entropy, g.binary_cross_entropy_grad, Y_BIN, P_BIN),
    (lambda Y, Z: g.categorical_cross_entropy(Y, softmax(Z)), g.softmax_cross_entropy_grad, Y_CLS, Z_CLS),
])
def test_every_gradient_matches_finite_differences(loss, grad, y, yhat):
    numeric = numerical_gradient(lambda v: loss(y, v), yhat)
    assert relative_error(grad(y, yhat), numeric) < 1e-7


def test_hand_computed_values():
    y, yhat = np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 0.0])      # residuals 0.5, 0, -3
    assert g.mse(y, yhat) == pytest.approx((0.25 + 0 + 9) / 3)
    assert g.mae(y, yhat) == pytest.approx(3.5 / 3)
    assert g.huber(y, yhat) == pytest.approx((0.125 + 0 + (3 - 0.5)) / 3)
    assert np.allclose(g.mse_grad(y, yhat), [1 / 3, 0, -2])
    assert np.allclose(g.mae_grad(y, yhat), [1 / 3, 0, -1 / 3])
    assert np.allclose(g.huber_grad(y, yhat), [0.5 / 3, 0, -1 / 3])
    assert g.binary_cross_entropy(np.array([1.0, 0.0]), np.array([0.8, 0.4])) == pytest.approx(
        -(np.log(0.8) + np.log(0.6)) / 2)
    assert g.categorical_cross_entropy(np.array([[0, 1.0, 0]]), np.array([[0.2, 0.5, 0.3]])) == pytest.approx(np.log(2))
    assert np.allclose(g.softmax_cross_entropy_grad(np.array([[0, 1.0]]), np.array([[0.0, 0.0]])), [[0.5, -0.5]])


def test_huber_is_mse_like_inside_delta_and_mae_like_outside():
    y = np.zeros(1)
    assert g.huber(y, np.array([0.5]), delta=1.0) == pytest.approx(0.5 * g.mse(y, np.array([0.5])))
    big = np.array([100.0])
    assert g.huber(y, big, 1.0) == pytest.approx(g.mae(y, big) - 0.5)


def test_clipping_keeps_bce_finite_at_exact_0_and_1():
    assert np.isfinite(g.binary_cross_entropy(np.array([1.0]), np.array([0.0])))
    assert np.isfinite(g.binary_cross_entropy_grad(np.array([1.0]), np.array([0.0]))).all()
    assert np.isfinite(g.categorical_cross_entropy(np.array([[1.0, 0]]), np.array([[0.0, 1.0]])))


def test_softmax_cross_entropy_grad_survives_huge_logits():
    grad = g.softmax_cross_entropy_grad(np.array([[1.0, 0.0]]), np.array([[1000.0, -1000.0]]))
    assert np.allclose(grad, 0.0)


# --- the hidden checks -----------------------------------------------------------------

EPS = 1e-12


def sk_bce(y, p):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))


CORRECT = [
    (g.check_mse, lambda y, p: np.square(np.subtract(p, y)).sum() / np.size(y)),
    (g.check_mse_grad, lambda y, p: (p - y) * (2.0 / p.size)),
    (g.check_mae, lambda y, p: np.abs(y - p).mean()),
    (g.check_mae_grad, lambda y, p: np.where(p > y, 1.0, np.where(p < y, -1.0, 0.0)) / p.size),
    (g.check_huber, lambda y, p, delta=1.0: np.mean(0.5 * np.minimum(np.abs(p - y), delta) ** 2
                                                    + delta * (np.abs(p - y) - np.minimum(np.abs(p - y), delta)))),
    (g.check_huber_grad, lambda y, p, delta=1.0: np.maximum(-delta, np.minimum(delta, p - y)) / p.size),
    (g.check_binary_cross_entropy, sk_bce),
    (g.check_binary_cross_entropy_grad, lambda y, p: (-(y / np.clip(p, 1e-7, 1 - 1e-7))
                                                      + (1 - y) / (1 - np.clip(p, 1e-7, 1 - 1e-7))) / p.size),
    (g.check_categorical_cross_entropy, lambda Y, P: -np.einsum("nk,nk->", Y, np.log(np.maximum(P, 1e-15))) / len(Y)),
    (g.check_softmax_cross_entropy_grad, lambda Y, Z: (np.exp(Z - Z.max(1, keepdims=True))
                                                       / np.exp(Z - Z.max(1, keepdims=True)).sum(1, keepdims=True) - Y) / Y.shape[0]),
]


@pytest.mark.parametrize("check, answer", CORRECT, ids=[c.__name__ for c, _ in CORRECT])
def test_correct_alternatives_pass(check, answer):
    check(answer)


def sum_bce(y, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))


def naive_sce(Y, Z):
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    return (P - Y) / len(Y)


WRONG = [
    (g.check_mse, lambda y, p: 0.5 * np.mean((p - y) ** 2), "half"),
    (g.check_mse, lambda y, p: np.sum((p - y) ** 2), "missing_mean"),
    (g.check_mse, lambda y, p: np.sqrt(np.mean((p - y) ** 2)), "rmse"),
    (g.check_mse, lambda y, p: np.mean((p - y) ** 2, axis=0), "loss_not_scalar"),
    (g.check_mse_grad, lambda y, p: (p - y) / p.size, "half"),
    (g.check_mse_grad, lambda y, p: 2 * (p - y), "missing_mean"),
    (g.check_mse_grad, lambda y, p: 2 * (y - p) / p.size, "wrong_sign"),
    (g.check_mse_grad, lambda y, p: 2 * (p - y) / len(p), "mean_over_rows"),
    (g.check_mae, lambda y, p: np.mean((p - y) ** 2), "mse_for_mae"),
    (g.check_mae, lambda y, p: np.mean(p - y), "mae_no_abs"),
    (g.check_mae_grad, lambda y, p: np.sign(p - y), "missing_mean"),
    (g.check_mae_grad, lambda y, p: np.sign(y - p) / p.size, "wrong_sign"),
    (g.check_mae_grad, lambda y, p: (p - y) / np.abs(p - y) / p.size, "mae_grad_zero"),
    (g.check_mae_grad, lambda y, p: np.abs(p - y) / p.size, "mae_grad_abs"),
    (g.check_huber, lambda y, p, delta=1.0: np.mean(np.where(np.abs(p - y) <= delta, (p - y) ** 2,
                                                              delta * (np.abs(p - y) - 0.5 * delta))), "huber_no_half"),
    (g.check_huber, lambda y, p, delta=1.0: np.mean(np.where(np.abs(p - y) <= delta, 0.5 * (p - y) ** 2,
                                                              delta * np.abs(p - y))), "huber_no_offset"),
    (g.check_huber, lambda y, p, delta=1.0: g.huber(y, p, 1.0), "huber_delta_ignored"),
    (g.check_huber_grad, lambda y, p, delta=1.0: (p - y) / p.size, "huber_grad_unclipped"),
    (g.check_huber_grad, lambda y, p, delta=1.0: delta * np.sign(p - y) / p.size, "huber_grad_sign"),
    (g.check_binary_cross_entropy, lambda y, p: -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), "no_clip"),
    (g.check_binary_cross_entropy, sum_bce, "missing_mean"),
    (g.check_binary_cross_entropy, lambda y, p: -g.binary_cross_entropy(y, p), "wrong_sign"),
    (g.check_binary_cross_entropy_grad, lambda y, p: (p - y) / p.size, "logits_vs_probs"),
    (g.check_binary_cross_entropy_grad, lambda y, p: (p - y) / (p * (1 - p)) / p.size, "no_clip"),
    (g.check_binary_cross_entropy_grad, lambda y, p: g.binary_cross_entropy_grad(y, p) * p.size, "missing_mean"),
    (g.check_categorical_cross_entropy, lambda Y, P: -np.mean(Y * np.log(P)), "cce_mean_over_elements"),
    (g.check_categorical_cross_entropy, lambda Y, P: -np.sum(Y * np.log(np.clip(P, EPS, 1))), "missing_mean"),
    (g.check_categorical_cross_entropy, lambda Y, P: -np.sum(Y * np.log(P)) / len(Y), "no_clip"),
    (g.check_softmax_cross_entropy_grad, lambda Y, Z: softmax(Z) - Y, "missing_mean"),
    (g.check_softmax_cross_entropy_grad, lambda Y, Z: (Y - softmax(Z)) / len(Y), "wrong_sign"),
    (g.check_softmax_cross_entropy_grad, lambda Y, Z: -Y / softmax(Z) / len(Y), "probs_vs_logits"),
    (g.check_softmax_cross_entropy_grad, naive_sce, "unstable_softmax"),
    (g.check_softmax_cross_entropy_grad, lambda Y, Z: softmax(Z) / len(Y), "sce_forgot_y"),
]


@pytest.mark.parametrize("check, answer, key", WRONG, ids=[f"{c.__name__}-{k}" for c, _, k in WRONG])
def test_each_known_mistake_fails_and_is_named(check, answer, key):
    with pytest.raises(CheckFailed) as info:
        check(answer)
    assert info.value.mistake == key, str(info.value)
