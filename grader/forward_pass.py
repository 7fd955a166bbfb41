"""01_forward_pass: reference implementations and hidden checks.

The references are the course's one authoritative version of each exercise; the
solution cells of source/01_forward_pass are tested to agree with them.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course.checks import call, check_array, check_sequence, check_true, compare

from .cases import batch_dims, layer_sizes, rng_for
from .solutions.forward_pass import dense_forward, mlp_forward, relu, sigmoid, softmax


# --- references ---------------------------------------------------------------------
# sigmoid, relu, softmax, dense_forward and mlp_forward are grader.solutions.forward_pass'
# (imported above): one implementation serves the later notebooks and the grading.


def predict_spam(X, w, b, threshold=0.5):
    """X (n, d), w (d,), b scalar -> labels (n,) int: 1 where sigmoid(X @ w + b) > threshold."""
    return (sigmoid(X @ w + b) > threshold).astype(int)


# What an exercise's docstring must not say, because it would give the answer away: regular
# expressions, matched case-insensitively against the docstring with all whitespace removed
# (so "X @ W + b" is looked for as "x@w\+b"). A docstring states the contract: arguments,
# shapes, what is returned.
FORMULAS: dict[str, list[str]] = {
    "sigmoid": [r"1/\(1\+(np\.)?exp\(-z\)\)", r"exp\(-\|z\|\)", r"exp\(-(np\.)?abs\(z\)\)",
                r"exp\(z\)/\(1\+(np\.)?exp\(z\)\)", r"where\(z"],
    "relu": [r"max(imum)?\(z,0", r"max(imum)?\(0(\.0)?,z", r"z\*\(z>0\)", r"where\(z>0"],
    "dense_forward": [r"x@w", r"xw\+b", r"dot\(x,w\)", r"x\.dot\(w\)", r"x\[i,k\]\*?w\[k,j\]"],
    "softmax": [r"exp\(z-", r"exp\(z\)/", r"/(np\.)?sum\((np\.)?exp", r"max\(axis=1", r"keepdims"],
    "mlp_forward": [r"activation\(dense_forward", r"activation\(a", r"dense_forward\(a",
                    r"a_?\{?l-1\}?@w", r"a_?\{?l-1\}?w_?l\+b"],
    "predict_spam": [r"sigmoid\(x@w\+b\)", r"σ\(xw\+b\)", r"sigmoid\(.*\)>threshold", r"p>threshold",
                     r"\.astype\(int\)"],
}


# --- hidden checks ------------------------------------------------------------------

def _values(rng, shape, scale=3.0):
    return scale * rng.standard_normal(shape)


def _integers(rng, shape, high=6):
    """Integer-valued inputs (dtype int64), 0 among them: an answer must give the right floats
    for them too (an array made with zeros_like(z) would hold integers)."""
    z = rng.integers(-high, high + 1, size=shape)
    z.flat[0] = 0
    return z


def check_sigmoid(student: Callable) -> None:
    """Values on vectors and (n, d) batches, n = 1 and n > 1, and on integers."""
    rng = rng_for("sigmoid")
    inputs = [_values(rng, 7)] + [_values(rng, (n, d)) for n, d in batch_dims(rng)] + [_integers(rng, (3, 4))]
    for z in inputs:
        what = f"sigmoid(z) for z of shape {z.shape}{', integers' * (z.dtype.kind == 'i')}"
        s = sigmoid(z)
        compare(student, sigmoid, z, what=what, variants=[
            ("sigmoid_sign", 1 - s), ("sigmoid_derivative", s * (1 - s)),
            ("sigmoid_no_one", np.exp(np.clip(z, -700, 700)))])


def check_sigmoid_stable(student: Callable) -> None:
    """No NaN or inf for |z| up to 1000, and the exact limits 0 and 1. Judged from the outputs
    alone: whether numpy warned inside the student's code is the student's process's word, so
    the notebook's visible test (in the student's kernel) is what asks for no overflow warning."""
    rng = rng_for("sigmoid_stable")
    z = np.array([[-1000.0, -745.0, -50.0, 0.0], [50.0, 710.0, 800.0, 1000.0]])
    z = z[:, rng.permutation(4)]
    what = "sigmoid(z) for z in [-1000, 1000]"
    got, _ = call(student, z, what=what)
    check_array(got, sigmoid(z), what=what, nonfinite="unstable_sigmoid", atol=1e-12)


def check_relu(student: Callable) -> None:
    rng = rng_for("relu")
    for z in [_values(rng, 6)] + [_values(rng, (n, d)) for n, d in batch_dims(rng)] + [_integers(rng, (4, 3))]:
        what = f"relu(z) for z of shape {z.shape}{', integers' * (z.dtype.kind == 'i')}"
        compare(student, relu, z, what=what, variants=[
            ("relu_max", lambda z=z: np.max(z, axis=0)), ("relu_max", lambda z=z: np.max(z)),
            ("relu_abs", np.abs(z)), ("relu_abs", z), ("relu_min", np.minimum(z, 0)),
            ("relu_step", (z > 0).astype(float))])


def _softmax_variants(z):
    with np.errstate(all="ignore"):
        return _softmax_variants_raw(z)


def _softmax_variants_raw(z):
    e = np.exp(z - z.max())
    return [("softmax_axis", e / e.sum(axis=0, keepdims=True)),
            ("softmax_global", e / e.sum()),
            ("softmax_unnormalised", np.exp(z)),
            ("softmax_unnormalised", np.exp(z - z.max(axis=1, keepdims=True))),
            ("softmax_sigmoid", sigmoid(z))]


def check_softmax(student: Callable) -> None:
    """Row-wise on (n, k) batches with n = 1 and n > 1; each row sums to 1."""
    rng = rng_for("softmax")
    for z in [_values(rng, (n, k)) for n, k in batch_dims(rng)] + [_integers(rng, (3, 4), 3)]:
        what = f"softmax(z) for z of shape {z.shape}{', integers' * (z.dtype.kind == 'i')}"
        compare(student, softmax, z, what=what, variants=_softmax_variants(z))


def check_softmax_stable(student: Callable) -> None:
    """Logits in the hundreds and thousands: no NaN, no overflow."""
    rng = rng_for("softmax_stable")
    z = np.array([[1000.0, 999.0, 990.0], [-1000.0, -1001.0, -1000.5], [0.0, 800.0, -800.0],
                  [1.0, 2.0, 3.0]])[rng.permutation(4)]
    what = "softmax(z) for logits up to ±1000"
    got, _ = call(student, z, what=what)        # judged from the outputs (a naive softmax gives NaN here)
    check_array(got, softmax(z), what=what, nonfinite="unstable_softmax", atol=1e-12,
                variants=_softmax_variants(z)[:2])


def check_dense_forward(student: Callable) -> None:
    rng = rng_for("dense_forward")
    cases = []
    for n, d_in in batch_dims(rng):
        d_out = d_in + int(rng.integers(1, 4))
        cases.append((_values(rng, (n, d_in), 1), _values(rng, (d_in, d_out), 1), _values(rng, d_out, 1)))
    cases.append((_integers(rng, (4, 2), 3), _values(rng, (2, 3), 1), _values(rng, 3, 1)))    # integer features
    for X, W, b in cases:
        what = f"dense_forward(X, W, b) with X {X.shape}{' (integers)' * (X.dtype.kind == 'i')}, W {W.shape}, b {b.shape}"
        compare(student, dense_forward, X, W, b, what=what, variants=[
            ("dense_no_bias", X @ W), ("dense_no_bias", X @ W + b.sum()),
            ("dense_activated", sigmoid(X @ W + b))])


def _mlp_case(rng, depth, n):
    sizes = layer_sizes(rng, depth)
    X = _values(rng, (n, sizes[0]), 1)
    layers = [(_values(rng, (a, c), 1), _values(rng, c, 0.5)) for a, c in zip(sizes, sizes[1:])]
    return X, layers


def _mlp_variants(X, layers, activation, passed_in=False):
    expected = mlp_forward(X, layers, activation)
    pre = [X] + [dense_forward(a, W, b) for a, (W, b) in zip(expected, layers)]
    chained_z = [X]
    for W, b in layers:
        chained_z.append(dense_forward(chained_z[-1], W, b))
    last_linear = expected[:-1] + [pre[-1]]
    # Order matters where two mistakes agree on an entry: the last layer alone first.
    out = [("mlp_no_input", expected[1:]), ("mlp_last_linear", last_linear),
           ("mlp_pre_activation", pre), ("mlp_no_activation", chained_z)]
    if passed_in:
        out.append(("mlp_ignores_activation", mlp_forward(X, layers, sigmoid)))
    return expected, out


def _theirs(student_sigmoid: Callable | None) -> Callable:
    """The student's own sigmoid where it gives usable numbers (finite, of the right shape,
    within a sigmoid's range [0, 1]), else the reference.

    Exercises that call sigmoid are graded on their own logic: a wrong sigmoid costs the
    sigmoid exercise its points, not every exercise built on it as well. Outside [0, 1] it
    is no sigmoid at all (e.g. the identity), and leaning on it would let a mistake such as
    thresholding the score z instead of the probability pass.
    """
    def own(z):
        if student_sigmoid is not None:
            try:
                with np.errstate(all="ignore"):
                    out = np.asarray(student_sigmoid(np.array(z, dtype=float)), dtype=float)
                if out.shape == np.shape(z) and np.all(np.isfinite(out)) and np.all((out >= 0) & (out <= 1)):
                    return out
            except Exception:  # an unfinished or broken sigmoid: judge against the reference
                pass
        return sigmoid(z)
    return own


OWN_SIGMOID_NOTE = "(expected values use your own sigmoid, so a mistake there is not counted twice)"


def check_mlp_forward(student: Callable, sigmoid: Callable | None = None) -> None:
    """Depths 1 to 3, batches of 1 and more, the default activation and np.tanh passed in (a
    function that is nobody's exercise, so the student's process can be handed it by name)."""
    own = _theirs(sigmoid)
    rng = rng_for("mlp_forward")
    for depth, n, activation in [(2, 4, None), (3, 1, None), (1, 1, None), (2, 5, np.tanh)]:
        X, layers = _mlp_case(rng, depth, n)
        shapes = " -> ".join(str(W.shape) for W, _ in layers)
        what = f"mlp_forward(X, layers{', activation=np.tanh' if activation else ''}), X {X.shape}, W's {shapes}"
        args = (X, layers) if activation is None else (X, layers, np.tanh)
        got, _ = call(student, *args, what=what)
        expected, variants = _mlp_variants(X, layers, activation or own, passed_in=activation is not None)
        check_sequence(got, expected, what=what, variants=variants + [("mlp_only_output", [])],
                       item="activations", context=[OWN_SIGMOID_NOTE] if activation is None and sigmoid else [])


def _spam_case(rng, n, d, threshold):
    """Features whose scores z land on both sides of every line a mistake would draw.

    The last feature column is solved for so that z = X @ w + b takes chosen values:
    around the right cut (logit(threshold)), between it and `threshold` itself (where a
    threshold on z disagrees), around the cut at 0.5 (a hard-coded threshold), and within
    b of the cut (a forgotten bias).
    """
    cut = float(np.log(threshold / (1 - threshold)))
    b = float(rng.choice([-1.0, 1.0]) * rng.uniform(1.0, 2.0))
    targets = np.array([cut - 3, cut - 0.3, cut + 0.3, cut + 3, (cut + threshold) / 2,
                        0.25, -0.25, cut + b / 2, cut - b / 2])
    z = rng.permutation(targets)[:n] if n > 1 else np.array([cut + 0.3])
    X = rng.random((n, d))
    w = _values(rng, d, 2)
    w[-1] = 2.0 + rng.random()
    X[:, -1] = (z - X[:, :-1] @ w[:-1] - b) / w[-1]
    return X, w, b


def check_predict_spam(student: Callable, sigmoid: Callable | None = None) -> None:
    """Random features, weights and thresholds; labels must be integers 0/1 of shape (n,);
    a probability exactly at the threshold is not spam."""
    own = _theirs(sigmoid)
    rng = rng_for("predict_spam")
    cases = [(_spam_case(rng, 9 if n > 1 else 1, d, threshold), threshold)
             for (n, d), threshold in zip(batch_dims(rng, count=4), (0.5, 0.5, 0.3, 0.8))]
    cases.append(((np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), np.array([1.0, -1.0]), 0.0), 0.5))  # a tie
    for (X, w, b), threshold in cases:
        p = own(X @ w + b)
        expected = (p > threshold).astype(int)
        what = f"predict_spam(X, w, b, threshold={threshold}) with X {X.shape}"
        def spam(X, w, b, threshold=0.5):      # the reference, with the student's own sigmoid
            return (own(X @ w + b) > threshold).astype(int)
        compare(student, spam, X, w, b, threshold, what=what,
                check=dict(integer=True, context=[OWN_SIGMOID_NOTE] if sigmoid else []), variants=[
            ("spam_probabilities", p), ("spam_threshold_on_z", ((X @ w + b) > threshold).astype(int)),
            ("spam_inverted", 1 - expected), ("spam_fixed_threshold", (p > 0.5).astype(int)),
            ("spam_no_bias", (own(X @ w) > threshold).astype(int)), ("spam_ge", (p >= threshold).astype(int))])
