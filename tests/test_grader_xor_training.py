"""grader.xor_training: correct alternatives pass, each known mistake is named, and the
course's claims about XOR hold."""
import numpy as np
import pytest

from course.checks import CheckFailed
from course.data import xor
from course.nn import binary_cross_entropy, binary_cross_entropy_grad, mlp_backward, mlp_forward
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
