"""grader.forward_pass: hidden checks pass the reference and name each known mistake."""
import numpy as np
import pytest

from course.checks import CheckFailed
from grader import forward_pass as g

sig = g.sigmoid


def naive_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_a_naive_sigmoid_is_judged_by_outputs_in_the_hidden_check_and_by_its_warning_in_the_kernel():
    """1/(1+exp(-z)) gives the right numbers at ±1000; only numpy's overflow warning tells. The hidden
    check judges data (the warning is the student's process's word), so it passes there; the
    notebook's visible test, in the student's own kernel, is the one that asks for no warning."""
    g.check_sigmoid_stable(naive_sigmoid)
    from course.checks import call
    _, warned = call(naive_sigmoid, np.array([-1000.0, 1000.0]), what="sigmoid([-1000, 1000])")
    assert any("overflow" in w for w in warned)


def relu_in_place(z):
    z[z < 0] = 0
    return z


def softmax_no_keepdims(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1)


def mlp(X, layers, activation=sig, *, keep_input=True, store="A", last_linear=False, force_sigmoid=False):
    out, A = ([X] if keep_input else []), X
    for i, (W, b) in enumerate(layers):
        Z = A @ W + b
        f = sig if force_sigmoid else activation
        A = Z if (last_linear and i == len(layers) - 1) else f(Z)
        out.append(Z if store == "Z" else A)
    return out


CORRECT = [
    (g.check_sigmoid, lambda z: np.exp(-np.logaddexp(0, -z))),
    (g.check_sigmoid_stable, lambda z: 0.5 * (1 + np.tanh(np.asarray(z) / 2))),
    (g.check_relu, lambda z: z * (z > 0)),
    (g.check_relu, lambda z: np.clip(z, 0, None)),
    (g.check_softmax, lambda z: np.exp(z - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)) - z.max(1, keepdims=True))),
    (g.check_softmax_stable, g.softmax),
    (g.check_dense_forward, lambda X, W, b: np.einsum("ni,io->no", X, W) + b[None, :]),
    (g.check_mlp_forward, mlp),
    (g.check_predict_spam, lambda X, w, b, threshold=0.5: np.where(sig(np.dot(X, w) + b) > threshold, 1, 0)),
]


@pytest.mark.parametrize("check, answer", CORRECT, ids=lambda x: getattr(x, "__name__", "answer"))
def test_correct_alternatives_pass(check, answer):
    check(answer)


WRONG = [
    (g.check_sigmoid, lambda z: 1 / (1 + np.exp(z)), "sigmoid_sign"),
    (g.check_sigmoid, lambda z: sig(z) * (1 - sig(z)), "sigmoid_derivative"),
    (g.check_relu, lambda z: np.max(z, 0), "relu_max"),
    (g.check_relu, np.abs, "relu_abs"),
    (g.check_relu, relu_in_place, "mutates_input"),
    (g.check_softmax, lambda z: np.exp(z) / np.exp(z).sum(axis=0), "softmax_axis"),
    (g.check_softmax, lambda z: np.exp(z) / np.exp(z).sum(), "softmax_global"),
    (g.check_softmax, np.exp, "softmax_unnormalised"),
    (g.check_softmax, softmax_no_keepdims, "shape_mismatch"),
    (g.check_softmax_stable, lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), "unstable_softmax"),
    (g.check_dense_forward, lambda X, W, b: X @ W, "dense_no_bias"),
    (g.check_dense_forward, lambda X, W, b: sig(X @ W + b), "dense_activated"),
    (g.check_dense_forward, lambda X, W, b: (X @ W + b).T, "transposed"),
    (g.check_dense_forward, lambda X, W, b: W @ X + b, "shape_mismatch"),
    (g.check_mlp_forward, lambda X, layers, activation=sig: mlp(X, layers, activation, keep_input=False), "mlp_no_input"),
    (g.check_mlp_forward, lambda X, layers, activation=sig: mlp(X, layers, activation)[-1], "mlp_only_output"),
    (g.check_mlp_forward, lambda X, layers, activation=sig: mlp(X, layers, activation, store="Z"), "mlp_pre_activation"),
    (g.check_mlp_forward, lambda X, layers, activation=sig: mlp(X, layers, activation, last_linear=True), "mlp_last_linear"),
    (g.check_mlp_forward, lambda X, layers, activation=sig: mlp(X, layers, force_sigmoid=True), "mlp_ignores_activation"),
    (g.check_predict_spam, lambda X, w, b, threshold=0.5: sig(X @ w + b), "spam_probabilities"),
    (g.check_predict_spam, lambda X, w, b, threshold=0.5: sig(X @ w + b) > threshold, "wrong_dtype"),
    (g.check_predict_spam, lambda X, w, b, threshold=0.5: ((X @ w + b) > threshold).astype(int), "spam_threshold_on_z"),
    (g.check_predict_spam, lambda X, w, b, threshold=0.5: (sig(X @ w + b) > 0.5).astype(int), "spam_fixed_threshold"),
    (g.check_predict_spam, lambda X, w, b, threshold=0.5: (sig(X @ w + b) < threshold).astype(int), "spam_inverted"),
    (g.check_predict_spam, lambda X, w, b, threshold=0.5: (sig(X @ w) > threshold).astype(int), "spam_no_bias"),
    (g.check_predict_spam, lambda X, w, b, threshold=0.5: (sig(X @ w + b) > threshold).astype(int)[:, None], "flattened"),
    (g.check_predict_spam, lambda X, w, b, threshold=0.5: (sig(X @ w + b) >= threshold).astype(int), "spam_ge"),
    (g.check_relu, lambda z: np.minimum(z, 0), "relu_min"),
    (g.check_sigmoid, lambda z: np.exp(np.clip(z, -700, 700)), "sigmoid_no_one"),
    (g.check_sigmoid, lambda z: 1 / (1 + __import__("math").exp(-z)), "scalar_only"),
    (g.check_relu, lambda z: (z > 0).astype(float), "relu_step"),
    (g.check_softmax, lambda z: np.exp(z - z.max(axis=1, keepdims=True)), "softmax_unnormalised"),
    (g.check_mlp_forward, lambda X, layers, activation=sig: mlp(X, layers, lambda z: z), "mlp_no_activation"),
]


@pytest.mark.parametrize("check, answer, key", WRONG, ids=[key for _, _, key in WRONG])
def test_each_known_mistake_fails_and_is_named(check, answer, key):
    with pytest.raises(CheckFailed) as info:
        check(answer)
    assert info.value.mistake == key, str(info.value)


def test_answers_fitted_to_the_visible_examples_fail():
    visible = {(3,): np.array([0.11920292, 0.5, 0.95257413])}
    with pytest.raises(CheckFailed):
        g.check_sigmoid(lambda z: visible.get(np.shape(z), np.zeros(np.shape(z))))


def test_hidden_cases_cover_batches_of_one_and_more_with_non_square_shapes():
    seen = []
    g.check_dense_forward(lambda X, W, b: seen.append((X.shape, W.shape)) or X @ W + b)
    batch_sizes = {x[0] for x, _ in seen}
    assert 1 in batch_sizes and max(batch_sizes) > 1
    assert all(w[0] != w[1] and x[0] != x[1] for x, w in seen)


def test_checks_are_deterministic_so_a_regrade_gives_the_same_result():
    first, second = [], []
    g.check_softmax(lambda z: first.append(z.copy()) or g.softmax(z))
    g.check_softmax(lambda z: second.append(z.copy()) or g.softmax(z))
    assert all(np.array_equal(a, b) for a, b in zip(first, second))


def test_a_wrong_sigmoid_is_not_counted_again_in_the_exercises_that_use_it():
    def flipped(z):
        return 1 / (1 + np.exp(z))

    def predict_spam(X, w, b, threshold=0.5):       # right, but built on the flipped sigmoid
        return (flipped(X @ w + b) > threshold).astype(int)

    def mlp_forward(X, layers, activation=flipped):
        return mlp(X, layers, activation)

    g.check_predict_spam(predict_spam, flipped)
    g.check_mlp_forward(mlp_forward, flipped)
    with pytest.raises(CheckFailed) as info:         # and its own check still fails
        g.check_sigmoid(flipped)
    assert info.value.mistake == "sigmoid_sign"


def test_an_unfinished_sigmoid_falls_back_to_the_reference():
    def unfinished(z):
        raise NotImplementedError()

    g.check_predict_spam(lambda X, w, b, threshold=0.5: (sig(X @ w + b) > threshold).astype(int), unfinished)


def test_a_sigmoid_outside_zero_one_is_not_leaned_on():
    """An identity 'sigmoid' would make thresholding the score z look right: it is no
    sigmoid, so the reference decides, and the z-threshold mistake is caught and named."""
    def identity(z):
        return np.asarray(z, dtype=float)

    def predict_spam(X, w, b, threshold=0.5):
        return (identity(X @ w + b) > threshold).astype(int)

    with pytest.raises(CheckFailed) as info:
        g.check_predict_spam(predict_spam, identity)
    assert info.value.mistake == "spam_threshold_on_z"
