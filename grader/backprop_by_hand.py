"""03_backprop_by_hand: reference implementations and hidden checks.

Every analytic gradient a check expects is also compared with a centered-difference
gradient of the loss it differentiates (`_agrees_with_numerical`), so a reference
that drifted from the mathematics fails loudly instead of grading students against it.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course.channel import Recipe
from course.checks import call, check_array, check_true, compare
from course.gradcheck import relative_error

from .cases import BACKPROP_ORDER, batch_dims, in_backprop_order, layer_sizes, rng_for
from .solutions.backprop_by_hand import (dense_backward, mlp_backward, numerical_gradient, relu_backward,
                                         sigmoid_backward)
from .solutions.backprop_by_hand import numerical_gradient as _centered
from .solutions.forward_pass import mlp_forward, sigmoid
from .solutions.loss_functions import binary_cross_entropy


# --- references ---------------------------------------------------------------------
# sigmoid_backward, relu_backward, dense_backward, mlp_backward and numerical_gradient are
# grader.solutions.backprop_by_hand's (imported above): 04 and 05 build on them.

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
    # the methods of §11's Value whose local derivatives (or order of visit) the student writes
    "Value.__add__": [r"self\.grad\+=out\.grad", r"\.grad\+=out\.grad"],
    "Value.__mul__": [r"other\.data\*out\.grad", r"self\.data\*out\.grad", r"grad\+=other", r"grad\+=self"],
    "Value.__truediv__": [r"/other\.data\*\*2", r"-self\.data/", r"b\*\*2", r"1/other", r"-a/b", r"b\*\*-1",
                          r"out\.grad/other"],
    "Value.__pow__": [r"n\*self\.data\*\*\(n-1\)", r"\(n-1\)", r"n-1", r"n\*a\*\*"],
    "Value.exp": [r"out\.data\*out\.grad", r"exp\(x\)\*", r"derivativeofexpisexp", r"itsownderivative",
                  r"exp'=exp"],
    "Value.log": [r"1/self\.data", r"out\.grad/self", r"grad/self\.data"],
    "Value.tanh": [r"1-out\.data\*\*2", r"1-t\*\*2", r"1-tanh", r"1-t²", r"sech"],
    "Value.sigmoid": [r"out\.data\*\(1-out\.data\)", r"s\*\(1-s\)", r"σ\(1-σ"],
    "Value.relu": [r"self\.data>0", r"x>0", r"1if", r"1\.0if"],
    "Value.backward": [r"reversed\(", r"\[::-1\]", r"self\.grad=1", r"\._prev", r"append\(node"],
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
    cases = [(rng.normal(size=(n, d)), rng.normal(size=(n, d)) * 2) for n, d in batch_dims(rng)]
    cases.append((rng.integers(-3, 4, size=(3, 4)), rng.normal(size=(3, 4)) * 2))      # an integer dA
    for dA, Z in cases:
        n, d = Z.shape
        A = sigmoid(Z)
        what = f"sigmoid_backward(dA, A) for shape {A.shape}"
        expected = sigmoid_backward(dA, A)
        _agrees_with_numerical(lambda z: float(np.sum(dA * sigmoid(z))), Z, expected)
        compare(student, sigmoid_backward, dA, A, what=what, variants=[
            ("derivative_on_z", dA * sigmoid(A) * (1 - sigmoid(A))), ("chain_rule_broken", A * (1 - A)),
            ("derivative_left_out", dA), ("activation_not_derivative", dA * A),
            ("sigmoid_backward_square", dA * A ** 2), ("tanh_derivative", dA * (1 - A ** 2))])


def check_relu_backward(student: Callable) -> None:
    rng = rng_for("relu_backward")
    cases = []
    for n, d in batch_dims(rng):
        Z = rng.normal(size=(n, d)) + rng.choice([-1e-3, 1e-3], size=(n, d))
        Z.flat[::3] = 0.0                # exactly at the kink: the notebook's convention is slope 0
        cases.append((rng.normal(size=(n, d)), Z))
    cases.append((rng.integers(-3, 4, size=(3, 4)), rng.integers(-2, 3, size=(3, 4))))   # integers
    for dA, Z in cases:
        what = f"relu_backward(dA, Z) for shape {Z.shape}{', integers' * (Z.dtype.kind == 'i')}"
        expected = relu_backward(dA, Z)
        away = Z != 0                    # centered differences straddle the kink at exactly 0
        _agrees_with_numerical(lambda z: float(np.sum(dA * np.maximum(np.where(away, z, -1.0), 0))),
                               Z, np.where(away, expected, 0.0))
        compare(student, relu_backward, dA, Z, what=what, variants=[
            ("chain_rule_broken", (Z > 0).astype(float)), ("activation_not_derivative", dA * np.maximum(Z, 0)),
            ("relu_backward_z", dA * Z), ("relu_backward_sign", dA * (Z < 0)), ("relu_backward_ge", dA * (Z >= 0)),
            ("relu_backward_sign", dA * (Z <= 0))])


def check_dense_backward(student: Callable) -> None:
    rng = rng_for("dense_backward")
    for case, (n, d_in) in enumerate([*batch_dims(rng), (4, 3)]):
        d_out = d_in + int(rng.integers(1, 3))
        X, W, b = rng.normal(size=(n, d_in)), rng.normal(size=(d_in, d_out)), rng.normal(size=d_out)
        if case == 3:
            X = rng.integers(-3, 4, size=(n, d_in))       # integer inputs: the gradients are floats all the same
        G = rng.normal(size=(n, d_out))          # upstream: L = sum(G * Z)
        what = f"dense_backward(dZ, X, W) with dZ {G.shape}, X {X.shape}{' (integers)' * (X.dtype.kind == 'i')}, W {W.shape}"
        dX, dW, db = dense_backward(G, X, W)
        loss = lambda X_, W_, b_: float(np.sum(G * (X_ @ W_ + b_)))  # noqa: E731
        notes = {"dX": _agrees_with_numerical(lambda v: loss(v, W, b), X, dX),
                 "dW": _agrees_with_numerical(lambda v: loss(X, v, b), W, dW),
                 "db": _agrees_with_numerical(lambda v: loss(X, W, v), b, db)}
        compare(student, dense_backward, G, X, W, what=what, items=("dX", "dW", "db"),
                per_item={"dX": {"context": [notes["dX"]]}, "dW": {"n": n, "context": [notes["dW"]]},
                          "db": {"n": n, "context": [notes["db"]]}},
                variants=[("transposed", (W @ G.T, G.T @ X, None)), ("dense_backward_order", (dW, dX, None)),
                          ("dense_backward_order", (db, db, None)), ("bias_not_summed", (None, None, G)),
                          ("extra_mean", (None, None, G.mean(axis=0))),
                          ("bias_summed_wrong_axis", (None, None, G.sum(axis=1))),
                          ("bias_summed_all", (None, None, G.sum()))])


def check_numerical_gradient(student: Callable) -> None:
    """Centered differences on functions with curvature (so a forward difference shows),
    inputs of several shapes left unchanged, and the h argument used."""
    rng = rng_for("numerical_gradient")
    A = rng.normal(size=(3, 4))
    # functions of the course package (course.functions), so the student's process can be handed them
    functions = [
        ("f(x) = sum(x³) + sum(sin(3x))", Recipe("course.functions", "cubic_plus_sine")),
        ("f(x) = sum(tanh(A @ x))", Recipe("course.functions", "tanh_of_linear", A=A)),
    ]
    cases = [(functions[0], rng.normal(size=5), 1e-5), (functions[1], rng.normal(size=(4, 2)), 1e-5),
             (functions[0], rng.normal(size=(2, 3)), 1e-3), (functions[0], rng.normal(size=(1, 1)), 1e-5),
             (functions[0], rng.integers(-2, 3, size=(2, 2)), 1e-5)]      # an integer x: x + h must stay x + h
    for (name, f), x, h in cases:
        what = f"numerical_gradient({name}, x of shape {x.shape}{', integers' * (x.dtype.kind == 'i')}, h={h})"
        expected = numerical_gradient(f, x, h)
        if x.dtype.kind == "i":         # right on the same numbers as floats, wrong on integers: the copy's dtype
            as_ints, _ = call(student, f, x, h, what=what)
            as_floats, _ = call(student, f, x.astype(float), h, what=what)
            same = np.shape(as_ints) == np.shape(as_floats) and np.allclose(as_ints, as_floats, rtol=1e-9, atol=1e-9)
            right = np.shape(as_floats) == expected.shape and np.allclose(as_floats, expected, rtol=1e-9, atol=1e-9)
            check_true(same or not right, what=what, mistake="integer_copy",
                       problem="right for x as floats, wrong for the same numbers as integers.")

        def one_sided(sign):
            out = np.zeros(x.shape)
            for i in np.ndindex(x.shape):
                step = np.zeros(x.shape)
                step[i] = h
                out[i] = sign * (f(x + sign * step) - f(x)) / h
            return out

        compare(student, numerical_gradient, f, x, h, what=what, check=dict(rtol=1e-9, atol=1e-9), variants=[
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
        loss, grads = two_layer_backprop(X, y, W1, b1, W2, b2)
        params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
        notes = {}
        for key in BACKPROP_ORDER:
            name = key[1:]

            def loss_of(v, name=name):
                p = dict(params, **{name: v})
                return binary_cross_entropy(y, sigmoid(sigmoid(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]))

            notes[key] = _agrees_with_numerical(loss_of, params[name], grads[key])
        variants = [(m, (None, v)) for m, v in _two_layer_variants(X, y, W1, b1, W2, b2)]
        compare(student, in_backprop_order(two_layer_backprop), X, y, W1, b1, W2, b2, what=what, items=("loss", "grads"),
                check=dict(n=y.size), per_item={key: {"context": [notes[key]]} for key in BACKPROP_ORDER},
                variants=variants + [("loss_not_mean", (loss * y.size, None)), ("mean_over_rows", (loss * k, None))])


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


# --- §11: the scalar autograd engine `Value` -------------------------------------------
# A Value is an object, not an array: these checks drive the student's class (build a node,
# set the gradients around it, run its `_backward` or the graph's `backward`, read `.grad`)
# and compare with closed forms computed here on plain floats, each closed form itself checked
# against a centered difference. Everything the student's class runs goes through `call`, so a
# class that raises, recurses forever or returns odd types fails with a message, not a crash.
# There is no reference `Value` here (nor in `course`): the worked solution is the notebook's.

import itertools  # noqa: E402
import math  # noqa: E402

from course.checks import CheckFailed  # noqa: E402

NUMBER = (int, float, np.integer, np.floating)
VALUE_RTOL, VALUE_ATOL = 1e-7, 1e-9


def _derivative(f: Callable[[float], float], x: float, h: float = 1e-6) -> float:
    """The centered difference of a function of one float (course.gradcheck's, on a 1-entry array)."""
    return float(_centered(lambda v: f(float(v[0])), np.array([x]), h)[0])


def _closed_form_agrees(f: Callable[[float], float], x: float, closed: float) -> None:
    """Raise if a closed-form derivative written here disagrees with a centered difference."""
    numeric = _derivative(f, x)
    if abs(numeric - closed) > 1e-5 * max(1.0, abs(closed)):
        raise RuntimeError(f"grader closed form {closed!r} disagrees with the centered difference {numeric!r}")


def _drive(build: Callable, what: str):
    """build() runs the student's class; its result, or a CheckFailed that names what went wrong."""
    try:
        return call(build, what=what)[0]
    except CheckFailed as failure:
        cause = failure.__cause__
        named = None
        if isinstance(cause, RecursionError):
            named = ("value_recursion", "your code recursed without end (RecursionError).")
        elif isinstance(cause, TypeError) and "unsupported operand" in str(cause):
            named = ("reflected_op_missing", f"an operation with a number raised TypeError: {cause}.")
        elif isinstance(cause, AttributeError) and "object has no attribute" in str(cause):
            named = ("value_method_missing", f"your class raised AttributeError: {cause}.")
        if named is None:
            raise
        try:
            check_true(False, what=what, problem=named[1], mistake=named[0])
        except CheckFailed as renamed:
            raise renamed from cause


def _grad(node, what: str, name: str) -> float:
    """node.grad as a float, or a CheckFailed saying what it is instead."""
    g = getattr(node, "grad", None)
    if isinstance(g, NUMBER) and not isinstance(g, (bool, np.bool_)):
        return float(g)
    is_value = hasattr(g, "grad") and hasattr(g, "data")
    check_true(False, what=what, problem=f"{name}.grad should be a number (a float), got {type(g).__name__}"
                                         f"{': ' + repr(g)[:80] if g is not None else ''}.",
               mistake="grad_is_value" if is_value else None)


def _data_ok(node, expected: float, what: str) -> None:
    d = getattr(node, "data", None)
    check_true(isinstance(d, NUMBER) and math.isclose(float(d), expected, rel_tol=1e-9, abs_tol=1e-12), what=what,
               problem=f"the result's .data should be {expected:.6g}, got {d!r}.")


def _one_step(Value, build, inputs: dict[str, float], prior: dict[str, float], g: float, what: str, data: float):
    """Make the inputs, build the node, set the inputs' .grad to `prior` and the node's to `g`,
    run the node's own `_backward` once: the inputs' gradients, in the order of `inputs`."""
    def run_it():
        nodes = {k: Value(v) for k, v in inputs.items()}
        out = build(**nodes)
        for k, p in prior.items():
            nodes[k].grad = p
        out.grad = g
        out._backward()
        return nodes, out
    nodes, out = _drive(run_it, what)
    _data_ok(out, data, what)
    return np.array([_grad(nodes[k], what, k) for k in inputs])


def _describe_step(expr: str, inputs: dict[str, float], prior: dict[str, float], g: float) -> str:
    values = ", ".join(f"{k} = Value({v:.4g})" for k, v in inputs.items())
    before = ", ".join(f"{k}.grad = {p:.4g}" for k, p in prior.items() if p) or "inputs' .grad = 0"
    return f"out = {expr} with {values}; {before} before; out.grad = {g:.4g}; out._backward(); " \
           f"({', '.join(f'{k}.grad' for k in inputs)})"


def check_value_arithmetic(Value) -> None:
    """+, *, / and ** (number exponents, also negative and fractional on positive bases), numbers
    on either side, a node used twice, and gradients that were not 0 before: one `_backward` at a time."""
    rng = rng_for("value_arithmetic")
    for trial in range(3):
        a, b = float(rng.uniform(0.5, 2.5) * rng.choice([-1, 1])), float(rng.uniform(0.5, 2.5) * rng.choice([-1, 1]))
        base = abs(a)                                   # powers with fractional exponents: positive base
        g = float(rng.uniform(0.5, 2.0) * rng.choice([-1, 1]))
        p, q = (0.0, 0.0) if trial == 0 else (float(rng.normal()), float(rng.normal()))
        k = float(rng.choice([2.5, -3.0, 4.0]))
        cases = [
            # (expression, build, inputs, priors, forward value, closed-form grads, variants)
            ("a + b", lambda a, b: a + b, {"a": a, "b": b}, a + b, [g, g],
             [("value_out_grad_ignored", [p + 1, q + 1]), ("grad_overwritten", [g, g])]),
            ("a * b", lambda a, b: a * b, {"a": a, "b": b}, a * b, [g * b, g * a],
             [("mul_own_value", [p + g * a, q + g * b]), ("value_out_grad_ignored", [p + b, q + a]),
              ("grad_overwritten", [g * b, g * a])]),
            ("a / b", lambda a, b: a / b, {"a": a, "b": b}, a / b, [g / b, -g * a / b ** 2],
             [("div_derivative_sign", [p + g / b, q + g * a / b ** 2]),
              ("div_derivative_sign", [p - g / b, q + g * a / b ** 2]),
              ("div_as_product", [p + g * b, q + g * a]), ("div_local_wrong", [p + g / b, q - g / b ** 2]),
              ("div_local_wrong", [p + g / b, q - g * a / b]),
              ("value_out_grad_ignored", [p + 1 / b, q - a / b ** 2]),
              ("grad_overwritten", [g / b, -g * a / b ** 2])]),
            (f"{k:g} * a", lambda a: k * a, {"a": a}, k * a, [g * k],
             [("value_out_grad_ignored", [p + k]), ("grad_overwritten", [g * k])]),
            (f"a + {k:g}", lambda a: a + k, {"a": a}, a + k, [g], [("grad_overwritten", [g])]),
            (f"{k:g} + a", lambda a: k + a, {"a": a}, k + a, [g], [("grad_overwritten", [g])]),
            (f"{k:g} / a", lambda a: k / a, {"a": a}, k / a, [-g * k / a ** 2],
             [("div_derivative_sign", [p + g * k / a ** 2]), ("div_local_wrong", [p - g / a ** 2]),
              ("grad_overwritten", [-g * k / a ** 2])]),
            ("a * a", lambda a: a * a, {"a": a}, a * a, [2 * g * a], [("grad_overwritten", [g * a]),
                                                                      ("grad_overwritten", [p + g * a])]),
            ("a + a", lambda a: a + a, {"a": a}, 2 * a, [2 * g], [("grad_overwritten", [g]),
                                                                  ("grad_overwritten", [p + g])]),
        ]
        for n in (3, 2, -1, -0.5, 1.5):
            expected = g * n * base ** (n - 1)
            _closed_form_agrees(lambda x: x ** n, base, n * base ** (n - 1))
            cases.append((f"a ** {n:g}", lambda a, n=n: a ** n, {"a": base}, base ** n, [expected],
                          [("pow_missing_n", [p + g * base ** (n - 1)]), ("pow_missing_minus_one", [p + g * n * base ** n]),
                           ("pow_missing_minus_one", [p + g * base ** n]),
                           ("value_out_grad_ignored", [p + n * base ** (n - 1)]), ("grad_overwritten", [expected])]))
        for expr, build, inputs, data, contributions, variants in cases:
            prior = {"a": p, "b": q}
            prior = {name: prior[name] for name in inputs}
            what = f"Value: {_describe_step(expr, inputs, prior, g)}"
            got = _one_step(Value, build, inputs, prior, g, what, data)
            before, share = np.array(list(prior.values())), np.array(contributions, dtype=float)
            expected = before + share
            # an `=` for one input or for both: that input's earlier gradient is lost
            overwritten = [("grad_overwritten", np.where(mask, 0.0, before) + share)
                           for mask in itertools.product([False, True], repeat=len(inputs)) if any(mask)]
            check_array(got, expected, what=what, rtol=VALUE_RTOL, atol=VALUE_ATOL,
                        variants=[(m, np.array(v, dtype=float)) for m, v in variants] + overwritten)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


# name: (forward, closed-form derivative)
FUNCTIONS: dict[str, tuple[Callable[[float], float], Callable[[float], float]]] = {
    "exp": (math.exp, math.exp),
    "log": (math.log, lambda x: 1 / x),
    "tanh": (math.tanh, lambda x: 1 - math.tanh(x) ** 2),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "relu": (lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0),
}


def _function_variants(name: str, x: float, p: float, g: float) -> list[tuple[str, float]]:
    f, d = FUNCTIONS[name]
    wrong = {"exp": lambda: [("value_out_grad_ignored", p + math.exp(x)), ("exp_derivative_input", p + g * x)],
             "log": lambda: [("log_derivative_one", p + g), ("log_derivative_one", g),
                             ("log_derivative_input", p + g * x), ("value_out_grad_ignored", p + 1 / x),
                             ("log_derivative_input", p + g * math.log(x)),
                             *([("value_function_on_output", p + g / f(x))] if f(x) != 0 else [])],
             "tanh": lambda: [("tanh_derivative_input", p + g * (1 - x ** 2)),
                              ("tanh_derivative_unsquared", p + g * (1 - f(x))), ("value_out_grad_ignored", p + d(x)),
                              ("value_function_on_output", p + g * d(f(x)))],
             "sigmoid": lambda: [("sigmoid_missing_one_minus", p + g * f(x)),
                                 ("sigmoid_derivative_input", p + g * x * (1 - x)), ("value_out_grad_ignored", p + d(x)),
                                 ("value_function_on_output", p + g * d(f(x)))],
             "relu": lambda: [("relu_slope_everywhere", p + g), ("value_relu_input", p + g * x),
                              ("value_relu_input", p + g * f(x)), ("relu_slope_inverted", p + g * (x <= 0)),
                              ("relu_backward_ge", p + g * (x >= 0)), ("value_out_grad_ignored", p + d(x))]}[name]()
    return wrong + [("grad_overwritten", g * d(x))]


def check_value_functions(Value) -> None:
    """exp, log, tanh, sigmoid, relu (ReLU at a negative and a positive input, and at exactly 0, where
    the course takes its slope to be 0): one `_backward` at a time."""
    rng = rng_for("value_functions")
    for trial in range(3):
        g = float(rng.uniform(0.5, 2.0) * rng.choice([-1, 1]))
        p = 0.0 if trial == 0 else float(rng.normal())
        xs = {"exp": float(rng.normal()), "log": float(rng.uniform(0.2, 3.0)), "tanh": float(rng.normal() * 1.2),
              "sigmoid": float(rng.normal() * 2), "relu": float(rng.uniform(0.2, 2.0))}
        xs_relu = [xs["relu"], -xs["relu"], 0.0]   # positive first: an inverted slope shows there; 0's slope is 0
        for name, x in [*list(xs.items())[:4], *(("relu", x) for x in xs_relu)]:
            f, d = FUNCTIONS[name]
            if name != "relu":
                _closed_form_agrees(f, x, d(x))
            what = f"Value: {_describe_step(f'a.{name}()', {'a': x}, {'a': p}, g)}"
            got = _one_step(Value, lambda a, name=name: getattr(a, name)(), {"a": x}, {"a": p}, g, what, f(x))
            check_array(got, np.array([p + g * d(x)]), what=what, rtol=VALUE_RTOL, atol=VALUE_ATOL,
                        variants=[(m, np.array([v])) for m, v in _function_variants(name, x, p, g)])


# --- backward(): graphs made here, with the student's nodes and our own local derivatives ---

def _random_graph(rng, leaves: int, inner: int) -> list[tuple[list[int], list[float]]]:
    """[(parents, local derivatives)] per node, parents always earlier (so index order is a
    topological order); the last node is the output. Parents repeat (a node used twice)."""
    nodes = [([], []) for _ in range(leaves)]
    for i in range(leaves, leaves + inner):
        k = int(rng.integers(1, 3))
        recent = list(range(max(0, i - 3), i))                  # mostly recent nodes: long paths
        parents = [int(rng.choice(recent if rng.random() < 0.7 else range(i))) for _ in range(k)]
        nodes.append((parents, [float(rng.uniform(0.5, 2.0) * rng.choice([-1, 1])) for _ in range(k)]))
    return nodes


# u = f(x); v = g(u); out = h(u, v): u is used by out and, deeper, by v. Any order that runs
# u's backward before v's (depth-first from the output, breadth-first) loses v's share.
DIAMOND = [([], []), ([0], [2.0]), ([1], [-3.0]), ([1, 2], [0.5, 1.5])]


def _simulate(graph, order: str) -> np.ndarray:
    """dL/dnode for every node when each node's backward runs in the given `order` (plain floats)."""
    n, root = len(graph), len(graph) - 1
    grad = np.zeros(n)

    def step(i):
        for p, w in zip(*graph[i]):
            grad[p] += w * grad[i]

    if order == "unseeded":
        return grad
    grad[root] = 1.0
    if order == "recursive":                   # no topological order: every path, each time it is met
        def rec(i):
            step(i)
            for p in graph[i][0]:
                rec(p)
        rec(root)
        return grad
    post, seen = [], set()

    def visit(i):
        if i not in seen:
            seen.add(i)
            for p in graph[i][0]:
                visit(p)
            post.append(i)
    visit(root)
    if order == "topological":
        sequence = post[::-1]
    elif order == "not_reversed":
        sequence = post
    elif order == "preorder":                  # depth first from the output, each node when first met
        sequence, seen2 = [], set()

        def pre(i):
            if i not in seen2:
                seen2.add(i)
                sequence.append(i)
                for p in graph[i][0]:
                    pre(p)
        pre(root)
    elif order == "breadth_first":
        sequence, seen2, queue = [], {root}, [root]
        while queue:
            i = queue.pop(0)
            sequence.append(i)
            for p in graph[i][0]:
                if p not in seen2:
                    seen2.add(p)
                    queue.append(p)
    else:
        raise ValueError(order)
    for i in sequence:
        step(i)
    return grad


BACKWARD_VARIANTS = [("output_grad_not_set", "unseeded"), ("backward_not_topological", "recursive"),
                     ("backward_not_topological", "preorder"), ("backward_not_topological", "breadth_first"),
                     ("topo_not_reversed", "not_reversed")]
# (A list built depth-first with each node appended BEFORE its inputs, then reversed, runs the
# output last, as the forward topological order does: every other node still has grad 0 when it
# runs, so the two give the same gradients, and the same name.)


def _backward_graphs():
    rng = rng_for("value_backward")
    return [DIAMOND] + [_random_graph(rng, int(rng.integers(2, 4)), int(rng.integers(4, 8))) for _ in range(4)]


def _graph_text(graph) -> str:
    return "; ".join(f"n{i} = f({', '.join(f'n{p}' for p in parents)})" for i, (parents, _) in enumerate(graph)
                     if parents)


def check_value_backward(Value) -> None:
    """backward() on graphs of the student's nodes whose local derivatives are ours (so only the
    order of the visit, the accumulation and the seed are tested): a diamond and random graphs
    with nodes used twice. A wrong order is named by the one that explains the gradients of every graph."""
    rng = rng_for("value_backward", 1)
    results = []
    for graph in _backward_graphs():
        data = rng.normal(size=len(graph))
        what = (f"Value.backward() from n{len(graph) - 1} of the graph {_graph_text(graph)} "
                f"(grads of n0 ... n{len(graph) - 1})")

        def run_it():
            nodes = []
            for (parents, weights), x in zip(graph, data):
                node = Value(float(x))
                if parents:
                    node._prev = tuple(nodes[p] for p in parents)

                    # our local derivatives, rebuilt in the student's process from the course's code
                    node._backward = Recipe("course.functions", "accumulate_grads", node,
                                            [nodes[p] for p in parents], [float(w) for w in weights])
                nodes.append(node)
            nodes[-1].backward()
            return nodes
        nodes = _drive(run_it, what)
        results.append((graph, what, np.array([_grad(node, what, f"n{i}") for i, node in enumerate(nodes)])))
    explains = [(m, order) for m, order in BACKWARD_VARIANTS
                if all(np.allclose(got, _simulate(graph, order), rtol=VALUE_RTOL, atol=VALUE_ATOL)
                       for graph, _, got in results)]
    for graph, what, got in results:
        check_array(got, _simulate(graph, "topological"), what=what, rtol=VALUE_RTOL, atol=VALUE_ATOL,
                    variants=[(m, _simulate(graph, order)) for m, order in explains[:1]])


# --- the whole engine: random expressions, numbers on both sides, against numerical derivatives ---

class _FloatOps:
    exp, log, tanh, sigmoid = staticmethod(math.exp), staticmethod(math.log), staticmethod(math.tanh), staticmethod(_sigmoid)
    relu = staticmethod(lambda x: max(x, 0.0))


class _ValueOps:
    exp = staticmethod(lambda v: v.exp())
    log = staticmethod(lambda v: v.log())
    tanh = staticmethod(lambda v: v.tanh())
    sigmoid = staticmethod(lambda v: v.sigmoid())
    relu = staticmethod(lambda v: v.relu())


# (text, f(x, y, z, F)); z > 0 (a base of fractional powers), relu's inputs kept away from 0
EXPRESSIONS = [
    ("(x * y + 2) * x - y / 3", lambda x, y, z, F: (x * y + 2) * x - y / 3),
    ("1 - x / y + 3 * z - 2 / z", lambda x, y, z, F: 1 - x / y + 3 * z - 2 / z),
    ("(x ** 3 - 2 / y) * z ** -1.5 + z ** 0.5", lambda x, y, z, F: (x ** 3 - 2 / y) * z ** -1.5 + z ** 0.5),
    ("tanh(x * y) + sigmoid(z - x) * sigmoid(x)", lambda x, y, z, F: F.tanh(x * y) + F.sigmoid(z - x) * F.sigmoid(x)),
    ("log(x * x + z) * exp(-y) - log(z)", lambda x, y, z, F: F.log(x * x + z) * F.exp(-y) - F.log(z)),
    ("relu(x - y) * z + relu(y - x) - relu(-z)", lambda x, y, z, F: F.relu(x - y) * z + F.relu(y - x) - F.relu(-z)),
    ("tanh(sigmoid(x) * y) / (1 + exp(z)) + (2 - x) ** 2", lambda x, y, z, F: F.tanh(F.sigmoid(x) * y) / (1 + F.exp(z))
     + (2 - x) ** 2),
    ("x * exp(x) + z * log(z) + y * tanh(y) + y * sigmoid(y) + x * relu(x)",
     lambda x, y, z, F: x * F.exp(x) + z * F.log(z) + y * F.tanh(y) + y * F.sigmoid(y) + x * F.relu(x)),
    ("w = x * y - z; w * w + tanh(w) - 1 / (1 + w * w)",
     lambda x, y, z, F: (lambda w: w * w + F.tanh(w) - 1 / (1 + w * w))(x * y - z)),
]


def _expression_points(rng, count: int) -> list[tuple[float, float, float]]:
    points = []
    while len(points) < count:
        x, y, z = float(rng.normal() * 1.2), float(rng.normal() * 1.2), float(rng.uniform(0.3, 2.0))
        if abs(x - y) > 0.05 and abs(y) > 0.2 and abs(x) > 0.05:
            points.append((x, y, z))
    return points


def check_value_expressions(Value) -> None:
    """Random expressions through the whole engine (+ - * / **, numbers on both sides, every function,
    nodes used twice), each gradient against a centered difference of the same expression on floats.
    When one disagrees, the parts' own checks say which part is wrong."""
    rng = rng_for("value_expressions")
    for (x, y, z), (text, f) in zip(_expression_points(rng, 2 * len(EXPRESSIONS)), EXPRESSIONS * 2):
        what = f"Value: L = {text} at x = {x:.4g}, y = {y:.4g}, z = {z:.4g}; L.backward(); (x.grad, y.grad, z.grad)"

        def run_it():
            xs = [Value(x), Value(y), Value(z)]
            out = f(*xs, _ValueOps)
            out.backward()
            return xs, out
        xs, out = _drive(run_it, what)
        _data_ok(out, f(x, y, z, _FloatOps), what)
        got = np.array([_grad(v, what, name) for v, name in zip(xs, "xyz")])
        point = [x, y, z]
        expected = np.array([_derivative(lambda t, i=i: f(*(point[:i] + [t] + point[i + 1:]), _FloatOps), point[i])
                             for i in range(3)])
        try:
            check_array(got, expected, what=what, rtol=1e-5, atol=1e-7)
        except CheckFailed as failure:
            for part, name in ((check_value_arithmetic, "11.1"), (check_value_functions, "11.2"),
                               (check_value_backward, "11.3")):
                try:
                    part(Value)
                except CheckFailed as cause:
                    first = str(cause).split("\n")
                    check_true(False, what=what, mistake=cause.mistake,
                               problem=f"wrong gradients; exercise {name}'s own check fails too:",
                               details=str(failure).split("\n")[1:5] + first[:3])
            raise
