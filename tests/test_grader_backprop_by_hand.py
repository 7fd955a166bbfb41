"""grader.backprop_by_hand: correct alternatives pass, each known mistake is named, and the
references agree with seed 004's worked example and with numerical gradients."""
import numpy as np
import pytest

from course.checks import CheckFailed
from course.gradcheck import numerical_gradient as centered
from grader import backprop_by_hand as g
from grader.forward_pass import sigmoid


# --- seed 004, to the digit -------------------------------------------------------------

def seed004():
    """Seed 004's numbers in the course's row notation (W = the seed's matrix transposed)."""
    X = np.array([[1.0, 0.0]])
    W1 = np.array([[0.1, 0.2], [0.3, 0.4]]).T
    b1 = np.array([0.1, 0.1])
    W2 = np.array([[0.2], [0.3]])
    b2 = np.array([0.1])
    y = np.array([[1.0]])
    return X, y, W1, b1, W2, b2


def test_seed_004_worked_example_reproduced():
    X, y, W1, b1, W2, b2 = seed004()
    loss, grads = g.two_layer_backprop(X, y, W1, b1, W2, b2)
    A1 = sigmoid(X @ W1 + b1)
    assert np.allclose(X @ W1 + b1, [[0.2, 0.4]])
    assert np.round(A1, 2).tolist() == [[0.55, 0.60]]
    assert round((A1 @ W2 + b2).item(), 2) == 0.39
    assert round(sigmoid(A1 @ W2 + b2).item(), 3) == 0.596
    assert round(loss, 3) == 0.517
    assert np.round(grads["dW2"].ravel(), 3).tolist() == [-0.222, -0.242]   # the seed prints -0.243: its rounding slip
    assert np.round(grads["db1"], 3).tolist() == [-0.02, -0.029]
    # the seed's dW1 = delta1 x^T is (hidden, input); ours is its transpose (input, hidden)
    assert np.allclose(grads["dW1"].T, [[-0.019990, 0.0], [-0.029107, 0.0]], atol=5e-7)


# --- the hidden checks ------------------------------------------------------------------

def loop_dense_backward(dZ, X, W):
    dW = np.zeros_like(W)
    for i in range(X.shape[0]):
        dW += np.outer(X[i], dZ[i])
    return np.einsum("no,io->ni", dZ, W), dW, np.add.reduce(dZ, axis=0)


def flat_numerical(f, x, h=1e-5):
    flat = x.astype(float).ravel().copy()
    out = np.empty_like(flat)
    for i in range(flat.size):
        e = np.zeros_like(flat)
        e[i] = h
        out[i] = (f((flat + e).reshape(x.shape)) - f((flat - e).reshape(x.shape))) / (2 * h)
    return out.reshape(x.shape)


def mlp_backward_loop(activations, layers, dA_out):
    grads = [None] * len(layers)
    dA = dA_out
    for l in reversed(range(len(layers))):
        A = activations[l + 1]
        dZ = dA * (A - A ** 2)
        grads[l] = (activations[l].T @ dZ, dZ.sum(0))
        dA = dZ @ layers[l][0].T
    return grads


CORRECT = [
    (g.check_sigmoid_backward, lambda dA, A: dA * (A - A * A)),
    (g.check_relu_backward, lambda dA, Z: np.where(Z > 0, dA, 0.0)),
    (g.check_dense_backward, loop_dense_backward),
    (g.check_numerical_gradient, flat_numerical),
    (g.check_two_layer_backprop, lambda X, y, W1, b1, W2, b2: g.two_layer_backprop(X, y, W1, b1, W2, b2)),
    (g.check_mlp_backward, mlp_backward_loop),
]


@pytest.mark.parametrize("check, answer", CORRECT, ids=[c.__name__ for c, _ in CORRECT])
def test_correct_alternatives_pass(check, answer):
    check(answer)


def forward_numerical(f, x, h=1e-5):
    x = x.copy()
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        base = f(x)
        x[i] += h
        out[i] = (f(x) - base) / h
        x[i] -= h
    return out


def unrestored_numerical(f, x, h=1e-5):
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        up = f(x)
        x[i] -= 2 * h
        out[i] = (up - f(x)) / (2 * h)
    return out


def two_layer(X, y, W1, b1, W2, b2, *, mistake):
    A1 = sigmoid(X @ W1 + b1)
    A2 = sigmoid(A1 @ W2 + b2)
    N = y.size
    p = np.clip(A2, 1e-12, 1 - 1e-12)
    loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    dZ2 = {"missing_mean": A2 - y, "bce_sigmoid_double": (A2 - y) * A2 * (1 - A2) / N,
           "wrong_sign": (y - A2) / N}.get(mistake, (A2 - y) / N)
    dA1 = dZ2 @ W2.T
    dZ1 = {"derivative_on_z": dA1 * sigmoid(A1) * (1 - sigmoid(A1)), "derivative_left_out": dA1}.get(
        mistake, dA1 * A1 * (1 - A1))
    bias = (lambda dZ: dZ) if mistake == "bias_not_summed" else (lambda dZ: dZ.sum(0))
    dW1 = dZ1.T @ X if mistake == "transposed" else X.T @ dZ1
    return loss, {"dW1": dW1, "db1": bias(dZ1), "dW2": A1.T @ dZ2, "db2": bias(dZ2)}


def mlp_wrong(mistake):
    def backward(activations, layers, dA_out):
        grads, dA = [], dA_out
        for l in range(len(layers), 0, -1):
            A = activations[l]
            dZ = dA * sigmoid(A) * (1 - sigmoid(A)) if mistake == "derivative_on_z" else dA * A * (1 - A)
            grads.append((activations[l - 1].T @ dZ, dZ.sum(0)))
            dA = dZ @ layers[l - 1][0].T
        return grads if mistake == "grads_reversed" else grads[::-1]
    return backward


WRONG = [
    (g.check_sigmoid_backward, lambda dA, A: dA * sigmoid(A) * (1 - sigmoid(A)), "derivative_on_z"),
    (g.check_sigmoid_backward, lambda dA, A: A * (1 - A), "chain_rule_broken"),
    (g.check_relu_backward, lambda dA, Z: (Z > 0).astype(float), "chain_rule_broken"),
    (g.check_relu_backward, lambda dA, Z: dA * Z, "relu_backward_z"),
    (g.check_relu_backward, lambda dA, Z: dA * (Z >= 0), "relu_backward_ge"),
    (g.check_sigmoid_backward, lambda dA, A: dA * (1 - A ** 2), "tanh_derivative"),
    (g.check_dense_backward, lambda dZ, X, W: (dZ @ W.T, X.T @ dZ, dZ.sum()), "bias_summed_all"),
    (g.check_two_layer_backprop_saturated, lambda X, y, W1, b1, W2, b2: (float(-np.mean(
        y * np.log(sigmoid(sigmoid(X @ W1 + b1) @ W2 + b2)) + (1 - y) * np.log(1 - sigmoid(sigmoid(X @ W1 + b1) @ W2 + b2)))),
        {}), "no_clip"),
    (g.check_dense_backward, lambda dZ, X, W: (dZ @ W.T, dZ.T @ X, dZ.sum(0)), "transposed"),
    (g.check_dense_backward, lambda dZ, X, W: (dZ @ W.T, X.T @ dZ, dZ), "bias_not_summed"),
    (g.check_dense_backward, lambda dZ, X, W: (dZ @ W.T, X.T @ dZ, dZ.mean(0)), "extra_mean"),
    (g.check_dense_backward, lambda dZ, X, W: (X.T @ dZ, dZ @ W.T, dZ.sum(0)), "dense_backward_order"),
    (g.check_dense_backward, lambda dZ, X, W: (dZ @ W, X.T @ dZ, dZ.sum(0)), "shape_mismatch"),
    (g.check_numerical_gradient, forward_numerical, "forward_difference"),
    (g.check_numerical_gradient, unrestored_numerical, "mutates_input"),
    (g.check_numerical_gradient, lambda f, x, h=1e-5: centered(f, x, 1e-5), "h_ignored"),
    (g.check_numerical_gradient, lambda f, x, h=1e-5: centered(f, x, h) * 2, "factor_two"),
    *[(g.check_two_layer_backprop, lambda *a, m=m: two_layer(*a, mistake=m), m)
      for m in ("missing_mean", "bce_sigmoid_double", "wrong_sign", "derivative_on_z", "derivative_left_out",
                "bias_not_summed", "transposed")],
    *[(g.check_mlp_backward, mlp_wrong(m), m) for m in ("derivative_on_z", "grads_reversed")],
    (g.check_mlp_backward, lambda acts, layers, dA: [(acts[l + 1].T @ (dA * 0 + 1), None) for l in range(len(layers))],
     None),
]


@pytest.mark.parametrize("check, answer, key", WRONG, ids=[f"{c.__name__}-{k}" for c, _, k in WRONG])
def test_each_known_mistake_fails_and_is_named(check, answer, key):
    with pytest.raises(CheckFailed) as info:
        check(answer)
    if key is not None:
        assert info.value.mistake == key, str(info.value)


def test_failure_reports_cross_check_the_expected_gradient_numerically():
    with pytest.raises(CheckFailed) as info:
        g.check_dense_backward(lambda dZ, X, W: (dZ @ W.T, X.T @ dZ, dZ))
    assert "agrees with a centered-difference gradient" in str(info.value)


def test_hard_coding_seed_004_earns_nothing_in_the_hidden_check():
    X, y, W1, b1, W2, b2 = seed004()
    answer = g.two_layer_backprop(X, y, W1, b1, W2, b2)
    with pytest.raises(CheckFailed):
        g.check_two_layer_backprop(lambda *args: answer)
