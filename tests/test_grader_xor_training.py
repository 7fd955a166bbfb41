"""grader.xor_training: correct alternatives pass, each known mistake is named, and the
course's claims about XOR hold."""
import numpy as np
import pytest

from course.checks import CheckFailed
from course.data import xor
from grader.solutions.backprop_by_hand import mlp_backward
from grader.solutions.forward_pass import mlp_forward
from grader.solutions.loss_functions import binary_cross_entropy, binary_cross_entropy_grad
from grader import xor_training as g


def make_train(init, step=g.gradient_descent_step, *, sign=1.0, rng_factory=np.random.default_rng,
               update_bias=True, history="bce"):
    def train(X, y, sizes, lr, epochs, seed):
        layers = init(sizes, rng_factory(seed))
        losses = []
        for _ in range(epochs):
            acts = mlp_forward(X, layers)
            losses.append(binary_cross_entropy(y, acts[-1]) if history == "bce" else float(np.mean((acts[-1] - y) ** 2)))
            grads = mlp_backward(acts, layers, binary_cross_entropy_grad(y, acts[-1]))
            grads = [(sign * dW, sign * db if update_bias else 0 * db) for dW, db in grads]
            layers = step(layers, grads, lr)
        return layers, losses
    return train


def uniform_init(sizes, rng):
    return [(rng.uniform(-1, 1, size=(a, c)), rng.uniform(-0.1, 0.1, size=c)) for a, c in zip(sizes, sizes[1:])]


def he_init(sizes, rng):
    return [(rng.standard_normal((a, c)) * np.sqrt(2 / a), np.zeros(c)) for a, c in zip(sizes, sizes[1:])]


def global_init(sizes, rng):
    return [(np.random.normal(size=(a, c)), np.zeros(c)) for a, c in zip(sizes, sizes[1:])]


def zero_init(sizes, rng):
    return [(np.zeros((a, c)), np.zeros(c)) for a, c in zip(sizes, sizes[1:])]


def in_place_step(layers, grads, lr):
    for (W, b), (dW, db) in zip(layers, grads):
        W -= lr * dW
        b -= lr * db
    return layers


CORRECT = [
    (g.check_init_layers, uniform_init),
    (g.check_init_layers, he_init),
    (g.check_gradient_descent_step, lambda layers, grads, lr: [tuple(p - lr * d for p, d in zip(pair, dpair))
                                                                for pair, dpair in zip(layers, grads)]),
    (g.check_predict, lambda layers, X: np.where(mlp_forward(X, layers)[-1] >= 0.5, 1, 0)),
]


@pytest.mark.parametrize("check, answer", CORRECT, ids=[f"{c.__name__}-{a.__name__}" for c, a in CORRECT])
def test_correct_alternatives_pass(check, answer):
    check(answer)


@pytest.mark.parametrize("init", [g.init_layers, uniform_init, he_init], ids=["normal", "uniform", "he"])
def test_train_passes_with_any_sensible_initialisation(init):
    g.check_train(make_train(init), init)


WRONG = [
    (g.check_init_layers, zero_init, "zero_init"),
    (g.check_init_layers, global_init, "not_reproducible"),
    (g.check_init_layers, lambda sizes, rng: [(np.full((a, c), 0.5), np.zeros(c)) for a, c in zip(sizes, sizes[1:])],
     "zero_init"),
    (g.check_init_layers, lambda sizes, rng: [(rng.normal(size=(c, a)), np.zeros(c)) for a, c in zip(sizes, sizes[1:])],
     "transposed"),
    (g.check_gradient_descent_step, lambda L, G, lr: [(W + lr * dW, b + lr * db) for (W, b), (dW, db) in zip(L, G)],
     "wrong_sign"),
    (g.check_gradient_descent_step, lambda L, G, lr: [(W - lr * dW, b) for (W, b), (dW, db) in zip(L, G)],
     "bias_not_updated"),
    (g.check_gradient_descent_step, lambda L, G, lr: [(W - dW, b - db) for (W, b), (dW, db) in zip(L, G)], "lr_ignored"),
    (g.check_gradient_descent_step, in_place_step, "mutates_input"),
    (g.check_predict, lambda layers, X: mlp_forward(X, layers)[-1], "predict_probabilities"),
    (g.check_predict, lambda layers, X: (mlp_forward(X, layers)[-1] > 0).astype(int), "threshold_not_half"),
    (g.check_predict, lambda layers, X: mlp_forward(X, layers)[-1] > 0.5, "wrong_dtype"),
    (g.check_predict, lambda layers, X: np.round(mlp_forward(X, layers)[-1]), "wrong_dtype"),
]


@pytest.mark.parametrize("check, answer, key", WRONG, ids=[f"{c.__name__}-{k}" for c, _, k in WRONG])
def test_each_known_mistake_fails_and_is_named(check, answer, key):
    with pytest.raises(CheckFailed) as info:
        check(answer)
    assert info.value.mistake == key, str(info.value)


@pytest.mark.parametrize("train, init, key", [
    (make_train(g.init_layers, sign=-1.0), g.init_layers, "wrong_sign"),
    (make_train(g.init_layers, update_bias=False), g.init_layers, "bias_not_updated"),
    (make_train(zero_init), zero_init, "zero_init"),
    (make_train(g.init_layers, rng_factory=lambda seed: np.random.default_rng()), g.init_layers, "not_reproducible"),
    (make_train(g.init_layers, history="mse"), g.init_layers, "history_not_bce"),
], ids=["ascent", "bias", "zeros", "unseeded", "mse-history"])
def test_train_mistakes_are_named(train, init, key):
    with pytest.raises(CheckFailed) as info:
        g.check_train(train, init)
    assert info.value.mistake == key, str(info.value)


def test_train_that_ignores_the_seed_is_not_reproducible():
    calls = []

    def unseeded(X, y, sizes, lr, epochs, seed):
        calls.append(seed)
        return make_train(g.init_layers)(X, y, sizes, lr, epochs, seed + len(calls) - 1)
    with pytest.raises(CheckFailed) as info:
        g.check_train(unseeded, lambda sizes, rng: g.init_layers(sizes, rng))
    assert info.value.mistake in ("not_reproducible", "history_not_bce")


def test_the_reference_solves_xor_and_two_hidden_units_sometimes_get_stuck():
    X, y = xor()
    solved = {h: sum(np.all(g.predict(g.train(X, y, [2, h, 1], 5.0, 500, s)[0], X) == y) for s in range(20))
              for h in (2, 8)}
    assert solved[8] == 20 and 10 <= solved[2] < 20


# --- init_weights, momentum_step, rmsprop_step ------------------------------------------

def _init(std, draw="normal"):
    def init(d_in, d_out, rng, scheme):
        if scheme == "zeros":
            return np.zeros((d_in, d_out))
        if scheme not in ("normal", "xavier", "he"):
            raise ValueError(scheme)
        s = std(scheme, d_in, d_out)
        if draw == "uniform":                        # the right std, the wrong shape of distribution
            return rng.uniform(-np.sqrt(3) * s, np.sqrt(3) * s, size=(d_in, d_out))
        return rng.normal(0.0, s, size=(d_in, d_out))
    return init


RIGHT_STD = {"normal": lambda i, o: 1.0, "xavier": lambda i, o: np.sqrt(2 / (i + o)), "he": lambda i, o: np.sqrt(2 / i)}


def _std(**changed):
    table = {**RIGHT_STD, **changed}
    return lambda scheme, i, o: table[scheme](i, o)


def _no_value_error(d_in, d_out, rng, scheme):
    return g.init_weights(d_in, d_out, rng, scheme if scheme in ("zeros", "normal", "xavier", "he") else "he")


def _zeros_random(d_in, d_out, rng, scheme):
    return g.init_weights(d_in, d_out, rng, "normal" if scheme == "zeros" else scheme)


def _raise(exc):
    raise exc


CORRECT_STEPS = [
    (g.check_init_weights, lambda d_in, d_out, rng, scheme: (
        np.zeros((d_in, d_out)) if scheme == "zeros" else
        rng.standard_normal((d_out, d_in)).T * {"normal": 1.0, "xavier": np.sqrt(2 / (d_in + d_out)),
                                                "he": np.sqrt(2 / d_in)}[scheme]
        if scheme in ("normal", "xavier", "he") else _raise(ValueError(scheme)))),
    (g.check_momentum_step, lambda p, gr, v, lr, beta=0.9: (p - lr * (beta * np.asarray(v) + gr),
                                                           beta * np.asarray(v) + gr)),
    (g.check_rmsprop_step, lambda p, gr, s, lr, beta=0.9, eps=1e-8: (
        p - lr * gr / (np.sqrt(beta * s + (1 - beta) * np.square(gr)) + eps), beta * s + (1 - beta) * np.square(gr))),
]


@pytest.mark.parametrize("check, answer", CORRECT_STEPS, ids=["init_transposed_draw", "momentum", "rmsprop"])
def test_correct_optimiser_and_init_alternatives_pass(check, answer):
    check(answer)


def _mom(v_rule, p_rule):
    def step(p, gr, v, lr, beta=0.9):
        v_new = v_rule(v, gr, lr, beta)
        return p_rule(p, v, v_new, lr), v_new
    return step


def _rms(s_rule, p_rule, default_beta=0.9):
    def step(p, gr, s, lr, beta=default_beta, eps=1e-8):
        s_new = s_rule(s, gr, beta)
        with np.errstate(all="ignore"):
            return p_rule(p, gr, s, s_new, lr, eps), s_new
    return step


RIGHT_SQ = lambda s, gr, b: b * s + (1 - b) * gr ** 2            # noqa: E731
RIGHT_P = lambda p, gr, s, s_new, lr, eps: p - lr * gr / (np.sqrt(s_new) + eps)   # noqa: E731

WRONG_STEPS = [
    (g.check_init_weights, _init(_std(xavier=lambda i, o: np.sqrt(2 / i))), "init_xavier_one_side"),
    (g.check_init_weights, _init(_std(xavier=lambda i, o: np.sqrt(1 / o))), "init_xavier_one_side"),
    (g.check_init_weights, _init(_std(he=lambda i, o: np.sqrt(2 / (i + o)))), "init_he_wrong_fan"),
    (g.check_init_weights, _init(_std(xavier=lambda i, o: 2 / (i + o))), "init_std_variance"),
    (g.check_init_weights, _init(_std(he=lambda i, o: 2 / i)), "init_std_variance"),
    (g.check_init_weights, _init(_std(), draw="uniform"), "init_uniform"),
    (g.check_init_weights, _zeros_random, "init_zeros_wrong"),
    (g.check_init_weights, _no_value_error, "init_unknown_scheme"),
    (g.check_init_weights, lambda i, o, rng, s: g.init_weights(o, i, rng, s), "transposed"),
    (g.check_init_weights, lambda i, o, rng, s: g.init_weights(i, o, np.random.default_rng(), s), "not_reproducible"),
    (g.check_momentum_step, _mom(lambda v, gr, lr, b: b * v + (1 - b) * gr, lambda p, v, vn, lr: p - lr * vn),
     "momentum_ema_convention"),
    (g.check_momentum_step, _mom(lambda v, gr, lr, b: b * v - lr * gr, lambda p, v, vn, lr: p + vn),
     "momentum_lr_convention"),
    (g.check_momentum_step, _mom(lambda v, gr, lr, b: b * v + lr * gr, lambda p, v, vn, lr: p - vn),
     "momentum_lr_in_velocity"),
    (g.check_momentum_step, _mom(lambda v, gr, lr, b: b * v + gr, lambda p, v, vn, lr: p - lr * v),
     "momentum_step_before_update"),
    (g.check_momentum_step, _mom(lambda v, gr, lr, b: 0.9 * v + gr, lambda p, v, vn, lr: p - lr * vn), "beta_ignored"),
    (g.check_momentum_step, _mom(lambda v, gr, lr, b: b * v + gr, lambda p, v, vn, lr: p + lr * vn), "wrong_sign"),
    (g.check_momentum_step, lambda p, gr, v, lr, beta=0.9: g.momentum_step(p, gr, v, lr, beta)[::-1], "state_order"),
    (g.check_rmsprop_step, _rms(RIGHT_SQ, lambda p, gr, s, sn, lr, eps: p - lr * gr / (sn + eps)), "rmsprop_no_sqrt"),
    (g.check_rmsprop_step, _rms(RIGHT_SQ, lambda p, gr, s, sn, lr, eps: p - lr * gr / np.sqrt(sn + eps)),
     "rmsprop_eps_inside"),
    (g.check_rmsprop_step, _rms(lambda s, gr, b: b * s + gr ** 2, RIGHT_P), "rmsprop_no_one_minus_beta"),
    (g.check_rmsprop_step, _rms(lambda s, gr, b: b * s + (1 - b) * gr, RIGHT_P), "rmsprop_grad_not_squared"),
    (g.check_rmsprop_step, _rms(lambda s, gr, b: b * s + (1 - b) * np.abs(gr), RIGHT_P), "rmsprop_grad_not_squared"),
    (g.check_rmsprop_step, _rms(RIGHT_SQ, RIGHT_P, default_beta=0.99), "rmsprop_default_beta"),
    (g.check_rmsprop_step, _rms(lambda s, gr, b: 0.9 * s + 0.1 * gr ** 2, RIGHT_P), "beta_ignored"),
    (g.check_rmsprop_step, _rms(RIGHT_SQ, lambda p, gr, s, sn, lr, eps: p - lr * gr / (np.sqrt(s) + eps)),
     "rmsprop_sq_after_step"),
]


@pytest.mark.parametrize("check, answer, key", WRONG_STEPS, ids=[f"{c.__name__}-{k}-{i}" for i, (c, _, k) in
                                                                 enumerate(WRONG_STEPS)])
def test_each_initialisation_and_optimiser_mistake_is_named(check, answer, key):
    with pytest.raises(CheckFailed) as info:
        check(answer)
    assert info.value.mistake == key, str(info.value)


def test_the_steps_agree_with_the_torch_recurrences_unrolled_by_hand():
    """torch.optim.SGD(momentum=beta, dampening=0) and torch.optim.RMSprop(alpha=beta) as closed
    forms (PyTorch is not a dependency): after k steps from a zero state,
    v_k = sum_j beta^(k-j) g_j and sq_k = (1 - beta) sum_j beta^(k-j) g_j^2."""
    rng = np.random.default_rng(0)
    grads, p0, lr, beta = rng.normal(size=(6, 3, 2)), rng.normal(size=(3, 2)), 0.1, 0.8
    p_m, v, p_r, sq = p0, 0.0, p0, 0.0
    expected_m, expected_r = p0.copy(), p0.copy()
    for k in range(1, 7):
        p_m, v = g.momentum_step(p_m, grads[k - 1], v, lr, beta)
        p_r, sq = g.rmsprop_step(p_r, grads[k - 1], sq, lr, beta)
        v_k = sum(beta ** (k - j) * grads[j - 1] for j in range(1, k + 1))
        sq_k = (1 - beta) * sum(beta ** (k - j) * grads[j - 1] ** 2 for j in range(1, k + 1))
        expected_m -= lr * v_k
        expected_r -= lr * grads[k - 1] / (np.sqrt(sq_k) + 1e-8)
        np.testing.assert_allclose(v, v_k, rtol=1e-12)
        np.testing.assert_allclose(sq, sq_k, rtol=1e-12)
    np.testing.assert_allclose(p_m, expected_m, rtol=1e-12)
    np.testing.assert_allclose(p_r, expected_r, rtol=1e-12)
    # the other momentum conventions: (1 - beta)-scaled velocity with lr / (1 - beta), and
    # v = beta v - lr g with param + v, follow the same path from a zero state
    p_ema, v_ema, p_sut, v_sut = p0, 0.0, p0, 0.0
    for gr in grads:
        v_ema = beta * v_ema + (1 - beta) * gr
        p_ema = p_ema - lr / (1 - beta) * v_ema
        v_sut = beta * v_sut - lr * gr
        p_sut = p_sut + v_sut
    np.testing.assert_allclose(p_ema, p_m, rtol=1e-12)
    np.testing.assert_allclose(p_sut, p_m, rtol=1e-12)


def test_init_weights_refuses_an_unknown_scheme_and_has_each_schemes_spread():
    with pytest.raises(ValueError, match="xavier"):
        g.init_weights(3, 4, np.random.default_rng(0), "glorot")
    for scheme, std in (("normal", 1.0), ("xavier", np.sqrt(2 / 700)), ("he", np.sqrt(2 / 500))):
        W = g.init_weights(500, 200, np.random.default_rng(1), scheme)
        assert W.shape == (500, 200) and abs(W.std() / std - 1) < 0.01 and abs(g._kurtosis(W)) < 0.1
# --- two_layer_softmax_backprop ----------------------------------------------------------

def _softmax_backprop_by_rows(X, y, W1, b1, W2, b2, reg=0.0):
    """A correct answer written another way: one sample at a time, the mask from A1, the loss clipped as in 02."""
    n = len(y)
    loss = 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {"dW1": reg * W1, "db1": np.zeros_like(b1), "dW2": reg * W2, "db2": np.zeros_like(b2)}
    for x, label in zip(X, y):
        a1 = np.maximum(x @ W1 + b1, 0)
        z2 = a1 @ W2 + b2
        p = np.exp(z2 - z2.max()) / np.exp(z2 - z2.max()).sum()
        loss -= np.log(max(p[label], 1e-12)) / n
        dz2 = p.copy()
        dz2[label] -= 1
        dz2 /= n
        dz1 = (W2 @ dz2) * (a1 > 0)
        grads["dW2"] += np.outer(a1, dz2)
        grads["db2"] += dz2
        grads["dW1"] += np.outer(x, dz1)
        grads["db1"] += dz1
    return loss, grads


def test_softmax_backprop_correct_alternatives_pass():
    g.check_two_layer_softmax_backprop(g.two_layer_softmax_backprop)
    g.check_two_layer_softmax_backprop(_softmax_backprop_by_rows)


def _unstable(X, y, W1, b1, W2, b2, reg=0.0):
    """exp() of the raw logits: right until they overflow."""
    Z2 = np.maximum(X @ W1 + b1, 0) @ W2 + b2
    with np.errstate(all="ignore"):
        P = np.exp(Z2) / np.exp(Z2).sum(axis=1, keepdims=True)
        data_loss = -np.mean(np.log(P[np.arange(len(y)), y]))
    penalty = 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    return data_loss + penalty, _softmax_backprop_by_rows(X, y, W1, b1, W2, b2, reg)[1]


def _log_of_p(X, y, W1, b1, W2, b2, reg=0.0):
    """The shifted softmax, then the loss as -mean(sum(Y * log P)): NaN once a P rounds to 0."""
    Z2 = np.maximum(X @ W1 + b1, 0) @ W2 + b2
    e = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    P = e / e.sum(axis=1, keepdims=True)
    Y = np.eye(W2.shape[1])[y]
    with np.errstate(all="ignore"):
        data_loss = -np.mean(np.sum(Y * np.log(P), axis=1))
    penalty = 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    return data_loss + penalty, _softmax_backprop_by_rows(X, y, W1, b1, W2, b2, reg)[1]


SOFTMAX_WRONG = [(key, lambda *a, o=options, **k: g._softmax_mlp(*a, k.get("reg", 0.0), **o))
                 for key, options in g.SOFTMAX_MISTAKES] + [("unstable_softmax", _unstable),
                                                            ("log_of_underflowed_probability", _log_of_p)]


@pytest.mark.parametrize("mistake, answer", SOFTMAX_WRONG, ids=[f"{m}-{i}" for i, (m, _) in enumerate(SOFTMAX_WRONG)])
def test_softmax_backprop_mistakes_are_named(mistake, answer):
    with pytest.raises(CheckFailed) as failure:
        g.check_two_layer_softmax_backprop(answer)
    assert failure.value.mistake == mistake


def test_the_softmax_reference_agrees_with_closed_forms():
    """One sample, no hidden ReLU cut: dL/dZ2 = p - onehot; with every weight zero the
    probabilities are uniform and the loss is log k; the penalty's gradient is reg·W."""
    k = 4
    X, y = np.ones((1, 3)), np.array([2])
    W1, b1, W2, b2 = np.zeros((3, 5)), np.ones(5), np.zeros((5, k)), np.zeros(k)
    loss, grads = g.two_layer_softmax_backprop(X, y, W1, b1, W2, b2)
    assert loss == pytest.approx(np.log(k))
    assert np.allclose(grads["db2"], np.full(k, 1 / k) - np.eye(k)[2])
    assert np.allclose(grads["dW2"], np.outer(np.ones(5), grads["db2"]))
    W1r = np.arange(15.0).reshape(3, 5) / 10
    loss_r, grads_r = g.two_layer_softmax_backprop(X, y, W1r, b1, W2, b2, reg=0.3)
    assert loss_r == pytest.approx(np.log(k) + 0.15 * np.sum(W1r ** 2))
    assert np.allclose(grads_r["dW1"], 0.3 * W1r)      # W2 = 0: no gradient reaches W1 but the penalty's
