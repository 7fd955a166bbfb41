"""04_xor_training: reference implementations and hidden checks.

The training checks are behavioural: a student's `init_layers` may use any sensible
distribution, so `train` is judged by what a user relies on (it learns XOR, its loss
falls, it is reproducible from its seed, it updates every parameter), not by matching
the reference's numbers.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course import diagnose
from course.checks import as_answer, call, check_array, check_true, compare
from course.data import xor

from .cases import BACKPROP_ORDER, in_backprop_order, layer_sizes, rng_for
from .solutions.backprop_by_hand import mlp_backward
from .solutions.forward_pass import mlp_forward
from .solutions.loss_functions import binary_cross_entropy, binary_cross_entropy_grad
from .solutions.xor_training import momentum_step, rmsprop_step  # the references (05's race uses them too)


# --- what an exercise's docstring must not say -----------------------------------------
# Regular expressions, matched case-insensitively against each exercise's docstring with all
# whitespace removed: each would hand the student the rule the exercise asks for.
FORMULAS: dict[str, list[str]] = {
    "init_layers": [r"n\(0,1/", r"1/(np\.)?sqrt", r"rng\.(normal|standard_normal|uniform)\(", r"np\.zeros",
                    r"zip\(sizes"],
    "gradient_descent_step": [r"[wb][-−](lr|η|eta|\\eta|learning_?rate)", r"(lr|η|eta)[*·×]?\(?d[wb]\b",
                              r"minus(lr|η|eta|the(learning)?rate)", r"subtract(s|ing)?(lr|η|eta|the(learning)?rate|the(scaled)?gradient)", r"(against|opposite(to)?)(the|its)gradient",
                              r"(lr|η|learningrate)times(the|its)?(gradient|d[wb])"],
    "predict": [r"mlp_forward\(", r"\)\[-1\][>≥]", r"\[-1\]>", r"[>≥]=?0\.5\)?\.astype"],
    "train": [r"mlp_backward\(", r"binary_cross_entropy_grad\(", r"gradient_descent_step\((layers|params),\w*,(lr|η)",
              r"init_layers\(sizes",
              r"default_rng\(seed\)", r"\((p|a|y_?pred|yhat)-y(_?true)?\)", r"forward.*backward.*(step|update)"],
}


# --- references ---------------------------------------------------------------------

def init_layers(sizes, rng):
    """[(W1, b1), ...] for layer sizes [d0, d1, ..., dL], every random number drawn from rng."""
    return [(rng.normal(0.0, 1.0 / np.sqrt(a), size=(a, c)), np.zeros(c)) for a, c in zip(sizes, sizes[1:])]


def gradient_descent_step(layers, grads, lr):
    """The layers after one gradient-descent step with learning rate lr; the arguments are not modified."""
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(layers, grads)]


def train(X, y, sizes, lr, epochs, seed):
    """Full-batch gradient descent on mean binary cross-entropy for an all-sigmoid MLP.

    Returns (layers, loss_history): the trained layers and the loss of every epoch,
    measured before that epoch's update.
    """
    layers = init_layers(sizes, np.random.default_rng(seed))
    history = []
    for _ in range(epochs):
        activations = mlp_forward(X, layers)
        history.append(binary_cross_entropy(y, activations[-1]))
        grads = mlp_backward(activations, layers, binary_cross_entropy_grad(y, activations[-1]))
        layers = gradient_descent_step(layers, grads, lr)
    return layers, history


def predict(layers, X):
    """0/1 labels, shape (n, k): 1 where the network's output is above 0.5."""
    return (mlp_forward(X, layers)[-1] > 0.5).astype(int)


# --- checks ---------------------------------------------------------------------------

def _layers_ok(got, sizes, what) -> None:
    check_true(isinstance(got, (list, tuple)) and len(got) == len(sizes) - 1, what=what, mistake="wrong_return",
               problem=f"expected a list of {len(sizes) - 1} (W, b) pairs, got "
                       f"{len(got) if isinstance(got, (list, tuple)) else type(got).__name__}.")
    for l, pair in enumerate(got):
        check_true(isinstance(pair, (list, tuple)) and len(pair) == 2, what=what, mistake="wrong_return",
                   problem=f"layer {l + 1} should be a pair (W, b).")
        for name, part, shape in ((f"W{l + 1}", pair[0], (sizes[l], sizes[l + 1])), (f"b{l + 1}", pair[1], (sizes[l + 1],))):
            check_true(np.shape(part) == shape, what=what,
                       mistake="transposed" if np.shape(part) == shape[::-1] and len(shape) == 2 else "wrong_shape",
                       problem=f"{name} should have shape {shape}, got {np.shape(part)}.")


def check_init_layers(student: Callable) -> None:
    """Shapes, no symmetry, and every random number drawn from the generator passed in."""
    rng = rng_for("init_layers")
    for depth in (1, 2, 3):
        sizes = layer_sizes(rng, depth)
        what = f"init_layers({sizes}, rng)"
        got, _ = call(student, sizes, np.random.default_rng(11), what=what)
        _layers_ok(got, sizes, what)
        for l, (W, b) in enumerate(got):
            W = np.asarray(W, dtype=float)
            check_true(np.all(np.isfinite(W)) and np.all(np.isfinite(b)), what=what, mistake="not_finite",
                       problem=f"W{l + 1} or b{l + 1} has NaN or inf.")
            check_true(np.any(W != 0), what=what, mistake="zero_init",
                       problem=f"W{l + 1} is all zeros.")
            if W.shape[1] > 1:
                check_true(not np.allclose(W, W[:, :1]), what=what, mistake="zero_init",
                           problem=f"every unit of layer {l + 1} starts with the same weights.")
        # the generator passed in, and nothing else
        np.random.seed(1)
        again, _ = call(student, sizes, np.random.default_rng(11), what=what)
        np.random.seed(2)
        third, _ = call(student, sizes, np.random.default_rng(11), what=what)
        same = all(np.array_equal(W1, W2) and np.array_equal(b1, b2) and np.array_equal(W1, W3)
                   for (W1, b1), (W2, b2), (W3, _) in zip(got, again, third))
        check_true(same, what=what, mistake="not_reproducible",
                   problem="two calls with generators made from the same seed gave different weights.")
        other, _ = call(student, sizes, np.random.default_rng(12), what=what)
        check_true(not all(np.array_equal(W1, W2) for (W1, _), (W2, _) in zip(got, other)), what=what,
                   mistake="not_reproducible", problem="generators with different seeds gave the same weights: "
                                                       "the rng argument is not used.")


def check_gradient_descent_step(student: Callable) -> None:
    rng = rng_for("gradient_descent_step")
    for depth, lr in ((2, 0.1), (1, 0.5), (3, 0.03)):
        sizes = layer_sizes(rng, depth)
        layers = [(rng.normal(size=(a, c)), rng.normal(size=c)) for a, c in zip(sizes, sizes[1:])]
        grads = [(rng.normal(size=(a, c)), rng.normal(size=c)) for a, c in zip(sizes, sizes[1:])]
        what = f"gradient_descent_step(layers, grads, lr={lr}) for sizes {sizes}"
        got, _ = call(student, layers, grads, lr, what=what)
        _layers_ok(got, sizes, what)
        for l, ((W, b), (dW, db), (gW, gb)) in enumerate(zip(layers, grads, got)):
            check_array(gW, W - lr * dW, what=f"{what}: W{l + 1}", variants=[
                ("wrong_sign", W + lr * dW), ("lr_ignored", W - dW), ("weights_not_updated", W)])
            check_array(gb, b - lr * db, what=f"{what}: b{l + 1}", variants=[
                ("wrong_sign", b + lr * db), ("lr_ignored", b - db), ("bias_not_updated", b)])


def check_predict(student: Callable) -> None:
    rng = rng_for("predict")
    for depth, n, k in ((2, 8, 1), (1, 6, 3), (2, 1, 2), (1, 5, 2)):
        sizes = layer_sizes(rng, depth)[:-1] + [k]
        layers = [(rng.normal(size=(a, c)) * 1.5, rng.normal(size=c)) for a, c in zip(sizes, sizes[1:])]
        X = rng.normal(size=(n, sizes[0])) if n != 5 else rng.integers(-2, 3, size=(n, sizes[0]))   # integer features
        acts = mlp_forward(X, layers)
        out = acts[-1]
        Z = acts[-2] @ layers[-1][0] + layers[-1][1]
        expected = (out > 0.5).astype(int)
        what = f"predict(layers, X) with X {X.shape}{' (integers)' * (X.dtype.kind == 'i')}, {k} output unit{'s' * (k > 1)}"
        compare(student, predict, layers, X, what=what, check=dict(integer=True), variants=[
            ("predict_probabilities", out), ("threshold_not_half", (out > 0).astype(int)),
            ("threshold_not_half", (Z > 0.5).astype(int)), ("threshold_not_half", (out >= 1).astype(int)),
            ("spam_inverted", 1 - expected)])


XOR_CONFIG = dict(sizes=[2, 8, 1], lr=5.0, epochs=1500)


def check_train(student: Callable, init_layers: Callable) -> None:
    """On XOR with a generous configuration: the loss falls, every prediction is right, the
    run is reproducible from its seed, and every weight and bias moves. `init_layers` is the
    student's own: train must start from it (whatever distribution it draws from)."""
    X, y = xor()
    sizes, lr, epochs = XOR_CONFIG["sizes"], XOR_CONFIG["lr"], XOR_CONFIG["epochs"]
    for seed in (0, 7):
        what = f"train(X_xor, y_xor, sizes={sizes}, lr={lr}, epochs={epochs}, seed={seed})"
        got, _ = call(student, X, y, sizes, lr, epochs, seed, what=what)
        check_true(isinstance(got, (tuple, list)) and len(got) == 2, what=what, mistake="wrong_return",
                   problem=f"expected (layers, loss_history), got {type(got).__name__}.")
        layers, history = got
        _layers_ok(layers, sizes, what)
        history = np.asarray(history, dtype=float).ravel()
        check_true(history.size == epochs, what=what, mistake="history_wrong_length",
                   problem=f"loss_history should have one loss per epoch ({epochs}), got {history.size}.")
        check_true(bool(np.all(np.isfinite(history))), what=what, mistake="not_finite",
                   problem="the loss history holds NaN or inf.")
        again, _ = call(student, X, y, sizes, lr, epochs, seed, what=what)
        check_true(np.allclose(np.asarray(again[1], dtype=float).ravel(), history), what=what,
                   mistake="not_reproducible", problem="a second run with the same seed gave another loss history.")
        start = init_layers(sizes, np.random.default_rng(seed))
        first = binary_cross_entropy(y, mlp_forward(X, start)[-1])
        check_true(abs(history[0] - first) < 1e-6 * max(1.0, first), what=what, mistake="history_not_bce",
                   problem=f"loss_history[0] = {history[0]:.6g}, but the mean binary cross-entropy of "
                           f"init_layers({sizes}, np.random.default_rng({seed})) is {first:.6g}: train should start "
                           "from init_layers with that generator and record each epoch's loss before its update.")
        moved = {}
        for l, ((W0, b0), (W, b)) in enumerate(zip(start, layers)):
            moved[f"W{l + 1}"] = float(np.max(np.abs(np.asarray(W, dtype=float) - W0)))
            moved[f"b{l + 1}"] = float(np.max(np.abs(np.asarray(b, dtype=float) - b0)))
        initial = all(change == 0 for change in moved.values())
        summary = [line for line in [diagnose.training(history, moved, initial)] if line]
        hidden = np.asarray(layers[0][0])
        check_true(not np.allclose(hidden, hidden[:, :1]), what=what, mistake="zero_init", details=summary,
                   problem="all hidden units ended up identical: they started identical.")
        check_true(not initial, what=what, mistake="weights_not_updated", details=summary,
                   problem="the layers returned are exactly the ones init_layers made: no parameter changed.")
        flat = np.ptp(history) <= 1e-12 * max(1.0, abs(history[0]))
        check_true(not flat, what=what, mistake=None, details=summary,
                   problem=f"the loss stayed at {history[0]:.4f} in every epoch: is it measured on the updated layers?")
        # "gradient ascent?" only where the loss really rose while the parameters moved
        check_true(history[-1] < history[0], what=what, mistake="wrong_sign", details=summary,
                   problem=f"the loss rose from {history[0]:.4f} to {history[-1]:.4f}: gradient ascent?")
        for l, ((W0, b0), (W, b)) in enumerate(zip(start, layers)):
            check_true(not np.allclose(W, W0), what=what, mistake="weights_not_updated", details=summary,
                       problem=f"W{l + 1} never changed during training.")
            check_true(not np.allclose(b, b0), what=what, mistake="bias_not_updated", details=summary,
                       problem=f"b{l + 1} never changed during training.")
        accuracy = float(np.mean(predict(layers, X) == y))
        check_true(accuracy == 1.0, what=what, mistake=None,
                   problem=f"after training, {accuracy:.0%} of XOR's 4 points are right (expected all); "
                           f"loss {history[0]:.4f} -> {history[-1]:.4f}.")


# --- initialisation and optimisers (04's sections after "Depth and vanishing gradients" and
# after "Full batch or mini-batches"): references and hidden checks -----------------------

FORMULAS.update({
    "init_weights": [r"sqrt\(2/\(d_in\+d_out", r"sqrt\(2/d_in", r"√\(?2/", r"2/\(d_in\+d_out\)", r"2/d_in",
                     r"rng\.normal\(", r"np\.zeros\(\(d_in", r"standard_normal\("],
    "momentum_step": [r"beta\*v(elocity)?\+grad", r"β[·*]?v\+g", r"param-lr\*v", r"θ-η[·*]?v",
                      r"lr\*\(beta"],
    "rmsprop_step": [r"beta\*sq\+", r"\(1-beta\)\*grad", r"grad\*\*2", r"g(rad)?\^?²", r"sqrt\(sq", r"√sq",
                     r"lr\*grad/"],
})


def init_weights(d_in, d_out, rng, scheme):
    """A (d_in, d_out) weight matrix: zeros, or normal with std 1, Xavier's √(2/(d_in+d_out)) or He's √(2/d_in)."""
    if scheme == "zeros":
        return np.zeros((d_in, d_out))
    stds = {"normal": 1.0, "xavier": np.sqrt(2.0 / (d_in + d_out)), "he": np.sqrt(2.0 / d_in)}
    if scheme not in stds:
        raise ValueError(f"unknown scheme {scheme!r}: use 'zeros', 'normal', 'xavier' or 'he'")
    return rng.normal(0.0, stds[scheme], size=(d_in, d_out))


# the references of momentum_step and rmsprop_step are grader.solutions.xor_training's (05's race shows them):
# one implementation, imported at the top of this module


def _kurtosis(x: np.ndarray) -> float:
    """Excess kurtosis: 0 for a normal distribution, -1.2 for a uniform one."""
    x = x.ravel() - x.mean()
    return float(np.mean(x ** 4) / np.mean(x ** 2) ** 2 - 3.0)


def check_init_weights(student: Callable) -> None:
    """Shapes (non-square, a row or a column), zeros, a ValueError for an unknown scheme,
    randomness only from the generator passed in, then on large draws: a normal shape
    (kurtosis), mean 0 and each scheme's standard deviation, wrong ones named."""
    rng = rng_for("init_weights")
    for d_in, d_out in ((int(rng.integers(2, 5)), int(rng.integers(6, 9))), (1, int(rng.integers(2, 6))),
                        (int(rng.integers(5, 9)), 1)):
        for scheme in ("zeros", "normal", "xavier", "he"):
            what = f"init_weights({d_in}, {d_out}, rng, {scheme!r})"
            got, _ = call(student, d_in, d_out, np.random.default_rng(3), scheme, what=what)
            W = as_answer(got, what).astype(float)
            check_true(W.shape == (d_in, d_out), what=what,
                       mistake="transposed" if W.shape == (d_out, d_in) else "wrong_shape",
                       problem=f"W should have shape {(d_in, d_out)}, got {W.shape}.")
            check_true(bool(np.all(np.isfinite(W))), what=what, mistake="not_finite", problem="W has NaN or inf.")
            if scheme == "zeros":
                check_true(bool(np.all(W == 0)), what=what, mistake="init_zeros_wrong",
                           problem=f"expected all zeros, got values from {W.min():.3g} to {W.max():.3g}.")
                continue
            again, _ = call(student, d_in, d_out, np.random.default_rng(3), scheme, what=what)
            other, _ = call(student, d_in, d_out, np.random.default_rng(4), scheme, what=what)
            check_true(np.array_equal(np.asarray(again, dtype=float), W), what=what, mistake="not_reproducible",
                       problem="two generators made from the same seed gave different weights.")
            check_true(not np.array_equal(np.asarray(other, dtype=float), W), what=what, mistake="not_reproducible",
                       problem="generators with different seeds gave the same weights: the rng argument is not used.")
    what = "init_weights(3, 4, rng, 'lecun'), a scheme that does not exist"
    try:
        student(3, 4, np.random.default_rng(0), "lecun")
    except ValueError:
        pass
    except Exception as exc:  # a student's code may raise anything
        check_true(False, what=what, mistake="init_unknown_scheme",
                   problem=f"expected a ValueError, your function raised {type(exc).__name__}: {str(exc)[:200]}")
    else:
        check_true(False, what=what, mistake="init_unknown_scheme",
                   problem="expected a ValueError that names the schemes, your function returned normally.")
    # large draws: the distribution's shape, mean and spread
    big_in, small_out = int(rng.integers(350, 450)), int(rng.integers(80, 120))
    for d_in, d_out in ((big_in, small_out), (small_out, big_in)):
        n_in, n_out, fan = float(d_in), float(d_out), float(d_in + d_out)
        expected_std = {"normal": 1.0, "xavier": np.sqrt(2 / fan), "he": np.sqrt(2 / n_in)}
        variants = {
            "normal": [],
            "xavier": [("init_xavier_one_side", np.sqrt(2 / n_in)), ("init_xavier_one_side", np.sqrt(2 / n_out)),
                       ("init_xavier_one_side", np.sqrt(1 / n_in)), ("init_xavier_one_side", np.sqrt(1 / n_out)),
                       ("init_std_variance", 2 / fan)],
            "he": [("init_he_wrong_fan", np.sqrt(2 / fan)), ("init_he_wrong_fan", np.sqrt(2 / n_out)),
                   ("init_std_variance", 2 / n_in)],
        }
        for scheme in ("normal", "xavier", "he"):
            what = f"init_weights({d_in}, {d_out}, rng, {scheme!r}): {d_in * d_out} weights"
            got, _ = call(student, d_in, d_out, np.random.default_rng(5), scheme, what=what)
            W = np.asarray(got, dtype=float)
            check_true(W.shape == (d_in, d_out) and bool(np.all(np.isfinite(W))), what=what, mistake="wrong_shape",
                       problem=f"expected finite numbers of shape {(d_in, d_out)}, got shape {W.shape}.")
            k = _kurtosis(W)
            check_true(k > -0.8, what=f"{what}: the shape of their distribution", mistake="init_uniform",
                       problem=f"their excess kurtosis is {k:.2f}: a uniform distribution has -1.2, a normal one 0.")
            check_true(abs(k) < 0.3, what=f"{what}: the shape of their distribution",
                       problem=f"their excess kurtosis is {k:.2f}, a normal distribution's is 0.")
            std = float(W.std())
            check_true(abs(float(W.mean())) < 6 * expected_std[scheme] / np.sqrt(W.size), what=f"{what}: mean",
                       problem=f"the weights' mean is {W.mean():.4g}, expected 0 (std {std:.4g}).")
            check_array(std, expected_std[scheme], what=f"{what}: their standard deviation", rtol=0.04, atol=0,
                        variants=variants[scheme])


def _momentum_variants(param, grad, velocity, lr, beta):
    """(mistake, (param, velocity)) pairs: what each plausible wrong momentum step returns."""
    right = beta * velocity + grad
    out = [("momentum_ema_convention", (param - lr * (beta * velocity + (1 - beta) * grad),
                                        beta * velocity + (1 - beta) * grad)),
           ("momentum_lr_in_velocity", (param - (beta * velocity + lr * grad), beta * velocity + lr * grad)),
           ("momentum_lr_convention", (param + beta * velocity - lr * grad, beta * velocity - lr * grad)),
           ("momentum_step_before_update", (param - lr * velocity, right)),
           ("wrong_sign", (param + lr * right, right)),
           ("lr_ignored", (param - right, right))]
    if beta != 0.9:
        out.append(("beta_ignored", (param - lr * (0.9 * velocity + grad), 0.9 * velocity + grad)))
    return out


def _rmsprop_variants(param, grad, sq, lr, beta, eps, beta_given=True):
    right = beta * sq + (1 - beta) * grad ** 2
    with np.errstate(all="ignore"):
        out = [("rmsprop_no_sqrt", (param - lr * grad / (right + eps), right)),
               ("rmsprop_eps_inside", (param - lr * grad / np.sqrt(right + eps), right)),
               ("rmsprop_sq_after_step", (param - lr * grad / (np.sqrt(sq) + eps), right)),
               ("rmsprop_no_one_minus_beta", (param - lr * grad / (np.sqrt(beta * sq + grad ** 2) + eps),
                                              beta * sq + grad ** 2)),
               ("rmsprop_grad_not_squared", (param - lr * grad / (np.sqrt(beta * sq + (1 - beta) * grad) + eps),
                                             beta * sq + (1 - beta) * grad)),
               ("rmsprop_grad_not_squared", (param - lr * grad / (np.sqrt(beta * sq + (1 - beta) * np.abs(grad)) + eps),
                                             beta * sq + (1 - beta) * np.abs(grad))),
               ("wrong_sign", (param + lr * grad / (np.sqrt(right) + eps), right)),
               ("lr_ignored", (param - grad / (np.sqrt(right) + eps), right))]
        for key, other in (("beta_ignored" if beta_given else "rmsprop_default_beta", 0.99),
                           ("beta_ignored", 0.9 if beta != 0.9 else None)):
            if other is not None and other != beta:
                wrong = other * sq + (1 - other) * grad ** 2
                out.append((key, (param - lr * grad / (np.sqrt(wrong) + eps), wrong)))
    return out


def _as_pair(got, what):
    check_true(isinstance(got, (tuple, list)) and len(got) == 2, what=what, mistake="wrong_return",
               problem=f"expected the pair (param, state), got {type(got).__name__}"
                       f"{f' of length {len(got)}' if isinstance(got, (tuple, list)) else ''}.")
    return got


def _check_step(student, reference, variants, state_name, name, extra_cases):
    """One step on scalars, 1-D and 2-D non-square arrays, with and without the defaults,
    then five steps in a row from a zero state, each fed the student's own state."""
    rng = rng_for(name)
    shapes = [(), (int(rng.integers(3, 7)),), (int(rng.integers(2, 4)), int(rng.integers(5, 8))), (1, 4)]
    hyper = [{"lr": 0.2}, {"lr": 0.05, "beta": 0.8}, {"lr": 0.3, "beta": 0.5}, {"lr": 0.01, "beta": 0.95}]
    for shape, kw in [*zip(shapes, hyper), *extra_cases]:
        kw = dict(kw)
        lr = kw.pop("lr")
        scale = kw.pop("scale", 1.0)
        param, grad = rng.normal(size=shape), scale * rng.normal(size=shape)
        state = np.abs(rng.normal(size=shape)) * scale ** 2 if name == "rmsprop_step" else rng.normal(size=shape)
        if shape == ():
            param, grad, state = float(param), float(grad), float(state)
        shown = "a number" if shape == () else f"shape {shape}"
        what = f"{name}(param, grad, {state_name}, lr={lr}{''.join(f', {k}={v}' for k, v in kw.items())}), {shown}"
        full = {"beta": 0.9, **({"eps": 1e-8} if name == "rmsprop_step" else {}), **kw}
        new, new_state = reference(param, grad, state, lr, **full)
        wrong = (variants(param, grad, state, lr, **full, beta_given="beta" in kw) if name == "rmsprop_step"
                 else variants(param, grad, state, lr, **full))
        compare(student, reference, param, grad, state, lr, what=what, **kw,
                items=("the new param", f"the new {state_name}"), order=(1, 0),
                per_item={f"the new {state_name}": {
                    "nonfinite": "rmsprop_grad_not_squared" if name == "rmsprop_step" else "not_finite"}},
                variants=[*wrong, ("state_order", (None, new))])
    # several steps in a row, state carried, against the recurrence unrolled by hand
    shape = (int(rng.integers(2, 4)), int(rng.integers(5, 7)))
    param0 = rng.normal(size=shape)
    grads = rng.normal(size=(5, *shape))
    lr, beta = 0.05, 0.7
    param, state = param0, 0.0
    what = f"{name}: five steps in a row from {state_name} = 0.0 (lr={lr}, beta={beta}), shape {shape}"
    for g in grads:
        param, state = _as_pair(call(student, param, g, state, lr, beta=beta, what=what)[0], what)
    weights = beta ** np.arange(4, -1, -1)                    # beta^(k-j) for j = 1..5
    if name == "momentum_step":
        velocities = [np.tensordot(weights[5 - k:], grads[:k], axes=1) for k in range(1, 6)]
        expected_state, expected = velocities[-1], param0 - lr * np.sum(velocities, axis=0)
    else:
        sqs = [(1 - beta) * np.tensordot(weights[5 - k:], grads[:k] ** 2, axes=1) for k in range(1, 6)]
        expected_state = sqs[-1]
        expected = param0 - lr * np.sum([g / (np.sqrt(s) + 1e-8) for g, s in zip(grads, sqs)], axis=0)
    check_array(state, expected_state, what=f"{what}: the last {state_name}")
    check_array(param, expected, what=f"{what}: the last param", rtol=1e-6, atol=1e-8)


def check_momentum_step(student: Callable) -> None:
    _check_step(student, momentum_step, _momentum_variants, "velocity", "momentum_step",
                [((4, 2), {"lr": 0.2})])


def check_rmsprop_step(student: Callable) -> None:
    # gradients ~1e-2 with eps 1e-3: eps matters, inside the root or outside it
    _check_step(student, rmsprop_step, _rmsprop_variants, "sq", "rmsprop_step",
                [((3, 5), {"lr": 0.02, "beta": 0.9, "eps": 1e-3, "scale": 1e-2}), ((2, 3), {"lr": 0.1})])
# --- the digits: a softmax MLP (two_layer_softmax_backprop) ----------------------------

FORMULAS["two_layer_softmax_backprop"] = [
    r"(P|probs|softmax\(\w*\))-(Y|onehot)", r"-Y\)/n", r"/len\(", r"/X\.shape\[0\]", r"reg\*W", r"X\.T@", r"A1\.T@",
    r"@W2\.T", r"dZ\d=", r"Z1>0", r"eye\(", r"sum\(axis=0",
]


def two_layer_softmax_backprop(X, y, W1, b1, W2, b2, reg=0.0):
    """ReLU hidden layer, softmax output, mean cross-entropy over the n samples for integer labels
    y (n,), plus 0.5 * reg * (|W1|^2 + |W2|^2). Returns (loss, {"dW1", "db1", "dW2", "db2"})."""
    n = X.shape[0]
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    Z2 = A1 @ W2 + b2
    shifted = Z2 - Z2.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_p[rows, y].mean() + 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    dZ2 = np.exp(log_p)
    dZ2[rows, y] -= 1.0
    dZ2 /= n
    dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
    return float(loss), {"dW1": X.T @ dZ1 + reg * W1, "db1": dZ1.sum(axis=0),
                         "dW2": A1.T @ dZ2 + reg * W2, "db2": dZ2.sum(axis=0)}


def _softmax_mlp(X, y, W1, b1, W2, b2, reg, *, mean=True, loss_reg=1.0, grad_reg=1.0, bias_reg=False, axis=1,
                 labels="one_hot", backward="mask", into_2="A1", sign=1.0):
    """The reference's computation with one mistake switched on: (loss, grads) of a wrong answer.

    mean False: no 1/n; loss_reg / grad_reg: the factor on the penalty in the loss / on reg·W in
    the gradient (0 missing, 2 the ½ dropped); bias_reg: the biases penalised too; axis 0:
    softmax down the columns; labels "column": y[:, None] used as the one-hot matrix; backward
    "none" (no ReLU mask), "times_z" (dA1·Z1), "times_a" (dA1·A1), "relu_grad" (ReLU of dA1);
    into_2 "Z1": dW2 from the pre-activation; sign -1: P and Y swapped."""
    n, k = X.shape[0], W2.shape[1]
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0.0)
    Z2 = A1 @ W2 + b2
    e = np.exp(Z2 - Z2.max(axis=axis, keepdims=True))
    P = e / e.sum(axis=axis, keepdims=True)
    Y = np.eye(k)[y] if labels == "one_hot" else y[:, None].astype(float)
    penalty = np.sum(W1 ** 2) + np.sum(W2 ** 2) + bias_reg * (np.sum(b1 ** 2) + np.sum(b2 ** 2))
    loss = -np.sum(Y * np.log(np.clip(P, 1e-300, None))) / n + 0.5 * loss_reg * reg * penalty
    dZ2 = sign * (P - Y) / (n if mean else 1)
    dA1 = dZ2 @ W2.T
    dZ1 = {"mask": dA1 * (Z1 > 0), "none": dA1, "times_z": dA1 * Z1, "times_a": dA1 * A1,
           "relu_grad": np.maximum(dA1, 0.0)}[backward]
    into = {"A1": A1, "Z1": Z1}[into_2]
    r = grad_reg * reg
    return float(loss), {"dW1": X.T @ dZ1 + r * W1, "db1": dZ1.sum(axis=0) + bias_reg * r * b1,
                         "dW2": into.T @ dZ2 + r * W2, "db2": dZ2.sum(axis=0) + bias_reg * r * b2}


SOFTMAX_MISTAKES = (
    ("missing_mean", dict(mean=False)), ("reg_missing_from_loss", dict(loss_reg=0.0)),
    ("reg_grad_missing", dict(grad_reg=0.0)), ("reg_no_half", dict(loss_reg=2.0, grad_reg=2.0)),
    ("reg_no_half", dict(grad_reg=2.0)), ("reg_no_half", dict(loss_reg=2.0)), ("l2_on_biases", dict(bias_reg=True)),
    ("softmax_axis", dict(axis=0)), ("labels_not_one_hot", dict(labels="column")),
    ("derivative_left_out", dict(backward="none")), ("relu_backward_z", dict(backward="times_z")),
    ("activation_not_derivative", dict(backward="times_a")), ("relu_on_gradient", dict(backward="relu_grad")),
    ("z_for_a", dict(into_2="Z1")), ("wrong_sign", dict(sign=-1.0)),
)


def _softmax_case(rng, n, d, h, k, scale=1.0):
    X = rng.normal(size=(n, d))
    W1, b1 = rng.normal(size=(d, h)) * np.sqrt(2 / d), rng.normal(size=h) * 0.3
    W2, b2 = rng.normal(size=(h, k)) * scale, rng.normal(size=k) * 0.3
    return X, rng.integers(0, k, size=n), W1, b1, W2, b2


def _finite(value) -> bool:
    """True for a number or array of numbers, all finite (False for anything else)."""
    try:
        return bool(np.all(np.isfinite(np.asarray(value, dtype=float))))
    except (TypeError, ValueError):
        return False


def _softmax_answer(got, what):
    check_true(isinstance(got, (tuple, list)) and len(got) == 2, what=what, mistake="wrong_return",
               problem=f"expected (loss, grads), got {type(got).__name__}.")
    loss, grads = got
    check_true(isinstance(grads, dict) and {"dW1", "db1", "dW2", "db2"} <= set(grads), what=what, mistake="grads_keys",
               problem="expected a dict with keys dW1, db1, dW2, db2, got "
                       f"{sorted(grads) if isinstance(grads, dict) else type(grads).__name__}.")
    return loss, grads


def check_two_layer_softmax_backprop(student: Callable) -> None:
    """Random networks (batches of several samples and of one, non-square layers, 2 to 6
    classes, reg 0 and > 0) against the reference, itself checked against centered differences;
    then logits near 1000, where an unshifted softmax overflows, and logits in the thousands far
    apart, where the log of a probability that rounded to 0 is -inf."""
    from course.gradcheck import relative_error

    from .solutions.backprop_by_hand import numerical_gradient
    rng = rng_for("two_layer_softmax_backprop")
    cases = [(6, 4, 5, 3, 0.1), (5, 3, 7, 4, 0.0), (4, 6, 3, 2, 0.05), (1, 5, 4, 6, 0.2)]
    for n, d, h, k, reg in cases:
        X, y, W1, b1, W2, b2 = _softmax_case(rng, n, d, h, k)
        y[:min(n, k)] = np.arange(min(n, k))[::-1]      # several classes present
        what = (f"two_layer_softmax_backprop with X {X.shape}, W1 {W1.shape}, W2 {W2.shape}, "
                f"{k} classes, reg={reg}")
        loss, grads = two_layer_softmax_backprop(X, y, W1, b1, W2, b2, reg)
        params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
        wrong = [(key, _softmax_mlp(X, y, W1, b1, W2, b2, reg, **options)) for key, options in SOFTMAX_MISTAKES]
        data_loss = two_layer_softmax_backprop(X, y, W1, b1, W2, b2)[0]
        penalty = loss - data_loss
        notes = {}
        for key in BACKPROP_ORDER:
            name = key[1:]
            numeric = numerical_gradient(
                lambda v, name=name: two_layer_softmax_backprop(X, y, **dict(params, **{name: v}), reg=reg)[0],
                params[name])
            err = relative_error(grads[key], numeric)
            if err > 1e-5:
                raise RuntimeError(f"grader reference disagrees with the numerical gradient ({err:.1e})")
            notes[key] = {"n": n if reg == 0 or key.startswith("db") else None,     # the penalty spoils n·grad
                          "context": [f"(the expected gradient agrees with a centered-difference gradient: relative "
                                      f"error {err:.0e})"]}
        compare(student, in_backprop_order(two_layer_softmax_backprop), X, y.copy(), W1, b1, W2, b2, reg=reg,
                what=what, items=("loss", "grads"), per_item=notes,
                variants=wrong + [("loss_not_mean", (data_loss * n + penalty, None)),
                                  ("cce_mean_over_elements", (data_loss / k + penalty, None))])
    # every logit near 1000, close together: the same softmax as without the 1000, but exp() of
    # the raw logits overflows (what the shift by the row's maximum is for)
    X, y, W1, b1, W2, b2 = _softmax_case(rng_for("two_layer_softmax_backprop", 1), 4, 3, 5, 3)
    what = "two_layer_softmax_backprop with every logit near 1000 (b2 + 1000)"
    loss, grads = two_layer_softmax_backprop(X, y, W1, b1, W2, b2, 0.01)
    got, _ = call(student, X, y.copy(), W1, b1, W2, b2 + 1000.0, reg=0.01, what=what)
    got_loss, got_grads = _softmax_answer(got, what)
    check_array(np.asarray(got_loss, dtype=float) if got_loss is not None else None, loss, what=f"{what}: loss",
                nonfinite="unstable_softmax", rtol=1e-6, atol=1e-6)
    for key in ("dW2", "db2", "dW1", "db1"):
        check_array(got_grads[key], grads[key], what=f"{what}: grads['{key}']", nonfinite="unstable_softmax",
                    atol=1e-6)
    # logits in the thousands and far apart, every sample's largest logit its label: a stable
    # softmax gives a loss near 0 and finite gradients; the other probabilities round to 0
    X, _, W1, b1, W2, b2 = _softmax_case(rng, 5, 4, 6, 3, scale=400.0)
    y = np.argmax(np.maximum(X @ W1 + b1, 0) @ W2 + b2, axis=1)
    what = "two_layer_softmax_backprop with logits in the thousands (labels = the largest logit)"
    loss, grads = two_layer_softmax_backprop(X, y, W1, b1, W2, b2, 0.01)
    got, _ = call(student, X, y.copy(), W1, b1, W2, b2, reg=0.01, what=what)
    got_loss, got_grads = _softmax_answer(got, what)
    # the logits near 1000 passed, so the softmax is shifted: a NaN or inf loss here is the log of a
    # probability that rounded to 0 (log 0 = -inf, 0 · log 0 = NaN), not the log-sum-exp form
    check_true(_finite(got_loss), what=f"{what}: loss", mistake="log_of_underflowed_probability",
               problem=f"the loss is {got_loss!r} (with every logit near 1000 it was right)")
    check_array(np.asarray(got_loss, dtype=float) if got_loss is not None else None, loss, what=f"{what}: loss",
                nonfinite="unstable_softmax", rtol=1e-6, atol=1e-6)
    for key in ("dW2", "db2", "dW1", "db1"):
        check_array(got_grads[key], grads[key], what=f"{what}: grads['{key}']", nonfinite="unstable_softmax",
                    atol=1e-6)
