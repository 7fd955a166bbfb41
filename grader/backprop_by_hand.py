"""03_backprop_by_hand: reference implementations and hidden checks.

Every analytic gradient a check expects is also compared with a centered-difference
gradient of the loss it differentiates (`_agrees_with_numerical`), so a reference
that drifted from the mathematics fails loudly instead of grading students against it.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course.checks import call, check_array, check_true
from course.gradcheck import numerical_gradient as _centered, relative_error

from course.nn import (binary_cross_entropy, dense_backward, mlp_backward, mlp_forward, relu_backward,
                       sigmoid, sigmoid_backward)

from .cases import batch_dims, layer_sizes, rng_for


# --- references ---------------------------------------------------------------------
# sigmoid_backward, relu_backward, dense_backward and mlp_backward are course.nn's
# (imported above): 04 and 05 build on them.

def numerical_gradient(f, x, h=1e-5):
    """Centered differences, x left unchanged: course.gradcheck.numerical_gradient."""
    return _centered(f, x, h)


def two_layer_backprop(X, y, W1, b1, W2, b2):
    """Seed 004's network: sigmoid hidden layer, sigmoid output, mean binary cross-entropy.

    X (n, d), y (n, k) labels 0/1, W1 (d, h), b1 (h,), W2 (h, k), b2 (k,).
    Returns (loss, {"dW1", "db1", "dW2", "db2"}), each gradient of its parameter's shape.
    """
    A1 = sigmoid(X @ W1 + b1)
    A2 = sigmoid(A1 @ W2 + b2)
    loss = binary_cross_entropy(y, A2)
    dZ2 = (A2 - y) / y.size                   # BCE and sigmoid together: prediction - target
    dA1, dW2, db2 = dense_backward(dZ2, A1, W2)
    dZ1 = sigmoid_backward(dA1, A1)
    _, dW1, db1 = dense_backward(dZ1, X, W1)
    return loss, {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


# Give-aways: what an exercise's docstring must not say, because the student is asked to derive
# it (notebook 03's markdown leads the derivation; the tests check the result). Regular
# expressions, matched case-insensitively against the docstring with all whitespace removed.
FORMULAS: dict[str, list[str]] = {
    "sigmoid_backward": [r"A\*?\(1-A\)", r"\(1-A\)\*?A", r"σ\(z?\)?\*?\(1-σ", r"sigmoid\(Z\)\*?\(1-sigmoid",
                         r"1-sigmoid", r"dA\*A"],
    "relu_backward": [r"Z>0", r"Z>=0", r"Z<=0", r"1\[Z", r"where\(Z", r"dA\*\(?Z", r"slope(is)?1",
                      r"dAwhere"],
    "dense_backward": [r"X\.T@", r"X\.T\*", r"XᵀdZ", r"X\^\{?\\?top\}?dZ", r"dZ@W\.T", r"dZW\^?ᵀ", r"@W\.T",
                       r"sum\(axis=0", r"sumofdZ", r"dZ\.sum", r"dW=", r"dX="],
    "numerical_gradient": [r"f\(x\+h", r"f\(x-h", r"/\(?2\*?h", r"\(up-down\)", r"x\+h\*?e"],
    "two_layer_backprop": [r"A2-y", r"ŷ-y", r"yhat-y", r"p-y\)", r"/y\.size", r"dZ2=", r"A1\*?\(1-A1\)",
                           r"A1\.T@"],
    "mlp_backward": [r"A\*?\(1-A\)", r"A(_?l|\d)\*?\(1-A(_?l|\d)\)", r"\(1-(acts|activations)\d*\[", r"activations\[l-1\]",
                     r"\.T@dZ", r"dZ\d*@W",
                     r"dZ_?l=", r"dW_?l="],
}


# --- checks ---------------------------------------------------------------------------

def _agrees_with_numerical(loss_of: Callable[[np.ndarray], float], at: np.ndarray, analytic: np.ndarray) -> str:
    """A one-line cross-check for the report; raises if the reference itself is wrong."""
    err = relative_error(analytic, _centered(loss_of, at))
    if err > 1e-6:
        raise RuntimeError(f"grader reference disagrees with the numerical gradient (relative error {err:.1e})")
    return f"(the expected gradient agrees with a centered-difference gradient: relative error {err:.0e})"


def check_sigmoid_backward(student: Callable) -> None:
    rng = rng_for("sigmoid_backward")
    for n, d in batch_dims(rng):
        dA, Z = rng.normal(size=(n, d)), rng.normal(size=(n, d)) * 2
        A = sigmoid(Z)
        what = f"sigmoid_backward(dA, A) for shape {A.shape}"
        got, _ = call(student, dA, A, what=what)
        expected = sigmoid_backward(dA, A)
        _agrees_with_numerical(lambda z: float(np.sum(dA * sigmoid(z))), Z, expected)
        check_array(got, expected, what=what, variants=[
            ("derivative_on_z", dA * sigmoid(A) * (1 - sigmoid(A))), ("chain_rule_broken", A * (1 - A)),
            ("derivative_left_out", dA), ("activation_not_derivative", dA * A),
            ("sigmoid_backward_square", dA * A ** 2), ("tanh_derivative", dA * (1 - A ** 2))])


def check_relu_backward(student: Callable) -> None:
    rng = rng_for("relu_backward")
    for n, d in batch_dims(rng):
        dA = rng.normal(size=(n, d))
        Z = rng.normal(size=(n, d)) + rng.choice([-1e-3, 1e-3], size=(n, d))
        Z.flat[::3] = 0.0                # exactly at the kink: the notebook's convention is slope 0
        what = f"relu_backward(dA, Z) for shape {Z.shape}"
        got, _ = call(student, dA, Z, what=what)
        expected = relu_backward(dA, Z)
        away = Z != 0                    # centered differences straddle the kink at exactly 0
        _agrees_with_numerical(lambda z: float(np.sum(dA * np.maximum(np.where(away, z, -1.0), 0))),
                               Z, np.where(away, expected, 0.0))
        check_array(got, expected, what=what, variants=[
            ("chain_rule_broken", (Z > 0).astype(float)), ("activation_not_derivative", dA * np.maximum(Z, 0)),
            ("relu_backward_z", dA * Z), ("relu_backward_sign", dA * (Z < 0)), ("relu_backward_ge", dA * (Z >= 0)),
            ("relu_backward_sign", dA * (Z <= 0))])


def _as_triple(got, what, names):
    check_true(isinstance(got, (tuple, list)) and len(got) == len(names), what=what,
               problem=f"expected a tuple ({', '.join(names)}), got {type(got).__name__}"
                       f"{' of length ' + str(len(got)) if isinstance(got, (tuple, list)) else ''}.",
               mistake="wrong_return")
    return got


def check_dense_backward(student: Callable) -> None:
    rng = rng_for("dense_backward")
    for n, d_in in batch_dims(rng):
        d_out = d_in + int(rng.integers(1, 3))
        X, W, b = rng.normal(size=(n, d_in)), rng.normal(size=(d_in, d_out)), rng.normal(size=d_out)
        G = rng.normal(size=(n, d_out))          # upstream: L = sum(G * Z)
        what = f"dense_backward(dZ, X, W) with dZ {G.shape}, X {X.shape}, W {W.shape}"
        got = _as_triple(call(student, G, X, W, what=what)[0], what, ("dX", "dW", "db"))
        dX, dW, db = dense_backward(G, X, W)
        loss = lambda X_, W_, b_: float(np.sum(G * (X_ @ W_ + b_)))  # noqa: E731
        notes = {"dX": _agrees_with_numerical(lambda v: loss(v, W, b), X, dX),
                 "dW": _agrees_with_numerical(lambda v: loss(X, v, b), W, dW),
                 "db": _agrees_with_numerical(lambda v: loss(X, W, v), b, db)}
        check_array(got[0], dX, what=f"{what}: dX", context=[notes["dX"]], variants=[
            ("transposed", W @ G.T), ("dense_backward_order", dW), ("dense_backward_order", db)])
        check_array(got[1], dW, what=f"{what}: dW", n=n, context=[notes["dW"]], variants=[
            ("transposed", G.T @ X), ("dense_backward_order", dX), ("dense_backward_order", db)])
        check_array(got[2], db, what=f"{what}: db", n=n, context=[notes["db"]], variants=[
            ("bias_not_summed", G), ("extra_mean", G.mean(axis=0)), ("bias_summed_wrong_axis", G.sum(axis=1)),
            ("bias_summed_all", G.sum())])


def check_numerical_gradient(student: Callable) -> None:
    """Centered differences on functions with curvature (so a forward difference shows),
    inputs of several shapes left unchanged, and the h argument used."""
    rng = rng_for("numerical_gradient")
    A = rng.normal(size=(3, 4))
    functions = [
        ("f(x) = sum(x³) + sum(sin(3x))", lambda x: float(np.sum(x ** 3) + np.sum(np.sin(3 * x)))),
        ("f(x) = sum(tanh(A @ x))", lambda x: float(np.sum(np.tanh(A @ x)))),
    ]
    cases = [(functions[0], rng.normal(size=5), 1e-5), (functions[1], rng.normal(size=(4, 2)), 1e-5),
             (functions[0], rng.normal(size=(2, 3)), 1e-3), (functions[0], rng.normal(size=(1, 1)), 1e-5)]
    for (name, f), x, h in cases:
        what = f"numerical_gradient({name}, x of shape {x.shape}, h={h})"
        got, _ = call(student, f, x, h, what=what)
        expected = numerical_gradient(f, x, h)

        def one_sided(sign):
            out = np.zeros_like(x)
            for i in np.ndindex(x.shape):
                step = np.zeros_like(x)
                step[i] = h
                out[i] = sign * (f(x + sign * step) - f(x)) / h
            return out

        check_array(got, expected, what=what, rtol=1e-9, atol=1e-9, variants=[
            ("forward_difference", lambda: one_sided(+1)), ("forward_difference", lambda: one_sided(-1)),
            ("h_ignored", lambda: numerical_gradient(f, x, 1e-5)), ("h_ignored", lambda: numerical_gradient(f, x, 1e-4)),
            ("factor_two", lambda: 2 * expected)])


def _two_layer_case(rng, n, d, h, k=1):
    X = rng.normal(size=(n, d))
    y = rng.integers(0, 2, size=(n, k)).astype(float)
    W1, b1 = rng.normal(size=(d, h)), rng.normal(size=h) * 0.5
    W2, b2 = rng.normal(size=(h, k)), rng.normal(size=k) * 0.5
    return X, y, W1, b1, W2, b2


def _two_layer_variants(X, y, W1, b1, W2, b2):
    """Whole wrong gradient dicts, by mistake."""
    A1 = sigmoid(X @ W1 + b1)
    A2 = sigmoid(A1 @ W2 + b2)
    N = y.size

    Z1 = X @ W1 + b1

    def backward(dZ2, *, hidden_derivative=lambda dA, A: dA * A * (1 - A), bias=lambda dZ: dZ.sum(0),
                 into_1=X, into_2=A1):
        dW2, db2 = into_2.T @ dZ2, bias(dZ2)
        dZ1 = hidden_derivative(dZ2 @ W2.T, A1)
        return {"dW1": into_1.T @ dZ1, "db1": bias(dZ1), "dW2": dW2, "db2": db2}

    return [
        ("missing_mean", backward(A2 - y)),
        ("wrong_sign", backward((y - A2) / N)),
        ("bce_sigmoid_double", backward((A2 - y) * A2 * (1 - A2) / N)),
        ("derivative_on_z", backward((A2 - y) / N, hidden_derivative=lambda dA, A: dA * sigmoid(A) * (1 - sigmoid(A)))),
        ("derivative_left_out", backward((A2 - y) / N, hidden_derivative=lambda dA, A: dA)),
        ("derivative_on_z", backward((A2 - y) / N, hidden_derivative=lambda dA, A: dA * Z1 * (1 - Z1))),
        ("wrong_layer_activation", backward((A2 - y) / N, into_1=A1)),
        ("z_for_a", backward((A2 - y) / N, into_2=Z1)),
        ("chain_rule_broken", backward((A2 - y) / N, hidden_derivative=lambda dA, A: A * (1 - A))),
        ("mean_over_rows", backward((A2 - y) / len(y))),
        ("extra_mean", backward((A2 - y) / N, bias=lambda dZ: dZ.mean(0))),
        ("bias_not_summed", backward((A2 - y) / N, bias=lambda dZ: dZ)),
        ("bias_summed_all", backward((A2 - y) / N, bias=lambda dZ: dZ.sum())),
    ]


GRAD_KEYS = ("dW1", "db1", "dW2", "db2")


def check_two_layer_backprop(student: Callable) -> None:
    """Random networks, batches of several samples and of one, one and two outputs; each
    gradient compared with the reference, which is compared with numerical gradients."""
    rng = rng_for("two_layer_backprop")
    for (n, d), k in zip(batch_dims(rng), (1, 2, 1)):
        h = d + 1
        X, y, W1, b1, W2, b2 = _two_layer_case(rng, n, d, h, k)
        what = f"two_layer_backprop with X {X.shape}, W1 {W1.shape}, W2 {W2.shape}"
        got, _ = call(student, X, y, W1, b1, W2, b2, what=what)
        loss, grads = two_layer_backprop(X, y, W1, b1, W2, b2)
        check_true(isinstance(got, (tuple, list)) and len(got) == 2, what=what, mistake="wrong_return",
                   problem=f"expected (loss, grads), got {type(got).__name__}.")
        got_loss, got_grads = got
        check_array(np.asarray(got_loss, dtype=float) if got_loss is not None else None, loss,
                    what=f"{what}: loss", n=y.size,
                    variants=[("loss_not_mean", loss * y.size), ("mean_over_rows", loss * k)])
        check_true(isinstance(got_grads, dict) and set(GRAD_KEYS) <= set(got_grads), what=what, mistake="grads_keys",
                   problem=f"expected a dict with keys {', '.join(GRAD_KEYS)}, got "
                           f"{sorted(got_grads) if isinstance(got_grads, dict) else type(got_grads).__name__}.")
        params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
        variants = _two_layer_variants(X, y, W1, b1, W2, b2)
        for key in ("dW2", "db2", "dW1", "db1"):      # the order backprop computes them
            name = key[1:]

            def loss_of(v, name=name):
                p = dict(params, **{name: v})
                return binary_cross_entropy(y, sigmoid(sigmoid(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]))

            note = _agrees_with_numerical(loss_of, params[name], grads[key])
            check_array(got_grads[key], grads[key], what=f"{what}: grads['{key}']", n=y.size,
                        variants=[(m, v[key]) for m, v in variants], context=[note])


def check_two_layer_backprop_saturated(student: Callable) -> None:
    """An output saturated to exactly 0 or 1 in float64: the loss must stay finite (clip as in 02)."""
    X = np.array([[40.0, -40.0], [-40.0, 40.0]])
    y = np.array([[0.0], [1.0]])
    W1, b1 = np.array([[1.0, -1.0], [-1.0, 1.0]]), np.zeros(2)
    W2, b2 = np.array([[60.0], [-60.0]]), np.zeros(1)              # output 1 for the first row, label 0
    what = "two_layer_backprop with an output saturated at exactly 1 for a label 0"
    got, _ = call(student, X, y, W1, b1, W2, b2, what=what)
    check_true(isinstance(got, (tuple, list)) and len(got) == 2, what=what, mistake="wrong_return",
               problem=f"expected (loss, grads), got {type(got).__name__}.")
    loss, _ = two_layer_backprop(X, y, W1, b1, W2, b2)
    check_array(np.asarray(got[0], dtype=float) if got[0] is not None else None, loss, what=f"{what}: loss",
                nonfinite="no_clip", rtol=0.5)


def check_mlp_backward(student: Callable) -> None:
    """All-sigmoid networks of depth 1 to 3 with a random upstream gradient dA_out."""
    rng = rng_for("mlp_backward")
    for depth, n in [(3, 4), (2, 5), (1, 3), (2, 1)]:
        sizes = layer_sizes(rng, depth)
        X = rng.normal(size=(n, sizes[0]))
        layers = [(rng.normal(size=(a, c)), rng.normal(size=c) * 0.5) for a, c in zip(sizes, sizes[1:])]
        activations = mlp_forward(X, layers)
        dA_out = rng.normal(size=activations[-1].shape)
        what = f"mlp_backward for layer sizes {sizes}, batch of {n}"
        got, _ = call(student, activations, layers, dA_out, what=what)
        expected = mlp_backward(activations, layers, dA_out)
        check_true(isinstance(got, (list, tuple)) and len(got) == depth, what=what, mistake="wrong_return",
                   problem=f"expected a list of {depth} (dW, db) pairs, one per layer, got "
                           f"{len(got) if isinstance(got, (list, tuple)) else type(got).__name__}.")
        wrong = _mlp_variants(activations, layers, dA_out)
        for l in range(depth):
            check_true(isinstance(got[l], (list, tuple)) and len(got[l]) == 2, what=what, mistake="wrong_return",
                       problem=f"grads[{l}] should be a pair (dW{l + 1}, db{l + 1}).")
            W, b = layers[l]

            def loss_of(v, l=l, part=0):
                changed = [(Wi, bi) for Wi, bi in layers]
                changed[l] = (v, changed[l][1]) if part == 0 else (changed[l][0], v)
                return float(np.sum(dA_out * mlp_forward(X, changed)[-1]))

            for part, label in ((0, f"dW{l + 1}"), (1, f"db{l + 1}")):
                note = _agrees_with_numerical(lambda v: loss_of(v, l, part), layers[l][part], expected[l][part])
                variants = [(m, g[l][part]) for m, g in wrong if g is not None and len(g) == depth]
                check_array(got[l][part], expected[l][part], what=f"{what}: grads[{l}] ({label})", n=n,
                            variants=variants + ([("grads_reversed", expected[depth - 1 - l][part])] if depth > 1 else []),
                            context=[note])


def _mlp_variants(activations, layers, dA_out):
    def backward(*, deriv=lambda dA, A, Z: dA * A * (1 - A), act_index=lambda l: l - 1, bias=lambda dZ: dZ.sum(0),
                 start=dA_out):
        grads, dA = [], start
        try:
            for l in range(len(layers), 0, -1):
                A = activations[l]
                dZ = deriv(dA, A, None)
                W = layers[l - 1][0]
                grads.append((activations[act_index(l)].T @ dZ, bias(dZ)))
                dA = dZ @ W.T
            return grads[::-1]
        except ValueError:
            return None
    return [
        ("derivative_on_z", backward(deriv=lambda dA, A, Z: dA * sigmoid(A) * (1 - sigmoid(A)))),
        ("chain_rule_broken", backward(deriv=lambda dA, A, Z: A * (1 - A))),
        ("derivative_left_out", backward(deriv=lambda dA, A, Z: dA)),
        ("chain_rule_broken", backward(start=np.ones_like(dA_out))),
        ("wrong_layer_activation", backward(act_index=lambda l: l)),
        ("bias_not_summed", backward(bias=lambda dZ: dZ)),
        ("extra_mean", backward(bias=lambda dZ: dZ.mean(0))),
    ]
