"""grader.backprop_by_hand: correct alternatives pass, each known mistake is named, and the
references agree with seed 004's worked example and with numerical gradients."""
import numpy as np
import pytest

from course.checks import CheckFailed
from grader.solutions.backprop_by_hand import numerical_gradient as centered
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


def int_copy_numerical(f, x, h=1e-5):
    """Centered differences on copies of x that keep its dtype: for integers, x ± h rounds back."""
    out = np.zeros(np.shape(x))
    for i in np.ndindex(np.shape(x)):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        out[i] = (f(up) - f(down)) / (2 * h)
    return out


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
    (g.check_numerical_gradient, int_copy_numerical, "integer_copy"),
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


# --- §11: the Value engine ----------------------------------------------------------------
# The worked solution is the notebook's own (there is no reference Value in grader/ or course/):
# its three answer cells, run in order, make the class; a wrong answer of tools/wrong_answers.py
# is the same edit of a solution region that the feedback audit grades through nbgrader.

import math  # noqa: E402

from tools.build import ROOT, parse  # noqa: E402
from tools.wrong_answers import WRONG_ANSWERS  # noqa: E402

VALUE_CELLS = ("value_arithmetic", "value_functions", "value_backward")
VALUE_CHECKS = {"test_value_arithmetic": g.check_value_arithmetic, "test_value_functions": g.check_value_functions,
                "test_value_backward": g.check_value_backward, "test_value_engine": g.check_value_expressions}


@pytest.fixture(scope="module")
def value_sources():
    nb = parse(ROOT / "authoring" / "03_backprop_by_hand.py")
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id") in VALUE_CELLS}


def make_value(sources, edits=(), extra=""):
    """The notebook's Value, its answer cells run in order after the (cell, old, new) edits."""
    namespace = {"math": math, "__name__": "value_test"}
    for gid in VALUE_CELLS:
        text = sources[gid]
        for cell, old, new in edits:
            if cell == gid:
                assert text.count(old) == 1, (gid, old)
                text = text.replace(old, new)
        exec(compile(text, gid, "exec"), namespace)
    if extra:
        exec(extra, namespace)
    return namespace["Value"]


@pytest.mark.parametrize("check", list(VALUE_CHECKS.values()), ids=list(VALUE_CHECKS))
def test_the_notebooks_value_passes_every_value_check(value_sources, check):
    check(make_value(value_sources))


VALUE_WRONG = [w for w in WRONG_ANSWERS["03_backprop_by_hand"] if w.cell in VALUE_CELLS]


@pytest.mark.parametrize("wrong", VALUE_WRONG, ids=[f"{w.test}-{w.mistake}" for w in VALUE_WRONG])
def test_each_value_mistake_fails_its_check_and_is_named(value_sources, wrong):
    region = value_sources[wrong.cell].split("### BEGIN SOLUTION")[1:]      # the audit edits only these
    assert sum(part.split("### END SOLUTION")[0].count(wrong.old) for part in region) == 1
    Value = make_value(value_sources, [(wrong.cell, wrong.old, wrong.new)])
    with pytest.raises(CheckFailed) as failed:
        VALUE_CHECKS[wrong.test](Value)
    assert failed.value.mistake == wrong.mistake, str(failed.value)
    # the whole-engine check names the same mistake, through the part's own check
    with pytest.raises(CheckFailed) as failed:
        g.check_value_expressions(Value)
    assert failed.value.mistake == wrong.mistake, str(failed.value)


def test_numbers_on_the_left_unsupported_is_named(value_sources):
    Value = make_value(value_sources, extra="del Value.__mro__[-2].__rmul__")
    with pytest.raises(CheckFailed) as failed:
        g.check_value_arithmetic(Value)
    assert failed.value.mistake == "reflected_op_missing" and "2" in str(failed.value)


ENDLESS = """
class Value(Value):
    def backward(self):
        def place(node):
            for parent in (node, *node._prev):
                place(parent)
        place(self)
"""

RAISES = """
class Value(Value):
    def backward(self):
        raise KeyError('oops')
"""

ODD = """
class Value(Value):
    def backward(self):
        super().backward()
        self.grad = None
"""


@pytest.mark.parametrize("extra, said, key", [
    (ENDLESS, "recursed without end", "value_recursion"),
    (RAISES, "KeyError", None),
    (ODD, "should be a number", None),
])
def test_a_class_that_recurses_raises_or_returns_odd_types_fails_with_a_message(value_sources, extra, said, key):
    Value = make_value(value_sources, extra=extra)
    with pytest.raises(CheckFailed) as failed:
        g.check_value_backward(Value)
    assert said in str(failed.value) and failed.value.mistake == key


def test_an_unwritten_exercise_is_named_not_crashed(value_sources):
    Value = make_value(value_sources, [("value_functions", "self.grad += out.grad / self.data",
                                        "raise NotImplementedError()")])
    with pytest.raises(CheckFailed) as failed:
        g.check_value_functions(Value)
    assert "`backward_log` is not written yet" in str(failed.value)


def test_the_backward_graphs_tell_every_wrong_order_from_the_right_one():
    """Each wrong order of the visit gives a wrong gradient on at least one of the graphs checked."""
    graphs = g._backward_graphs()
    for _, order in g.BACKWARD_VARIANTS:
        assert any(not np.allclose(g._simulate(graph, order), g._simulate(graph, "topological")) for graph in graphs), order


def test_the_graph_simulation_is_the_chain_rule():
    """The reverse-topological simulation equals the derivative of the graph's output, numerically:
    node i's value is a sum of w * parent value (a linear graph), so dOut/dleaf is a path sum."""
    for graph in g._backward_graphs():
        leaves = [i for i, (parents, _) in enumerate(graph) if not parents]

        def output(values):
            v = dict(zip(leaves, values))
            for i, (parents, weights) in enumerate(graph):
                if parents:
                    v[i] = sum(w * v[p] for p, w in zip(parents, weights))
            return v[len(graph) - 1]
        numeric = centered(lambda x: output(list(x)), np.ones(len(leaves)))
        assert np.allclose(g._simulate(graph, "topological")[leaves], numeric, atol=1e-6)


@pytest.mark.slow       # two grading processes
def test_the_value_checks_run_isolated_as_autograde_runs_them(value_sources):
    """The hidden blocks of §11 as the grading process runs them (grader.isolation): the notebook's
    class passes; a backward that recurses without end fails with a message."""
    from grader.isolation import hidden_block, run_isolated

    nb = parse(ROOT / "authoring" / "03_backprop_by_hand.py")
    setup = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup"]
    hidden = {c.metadata["nbgrader"]["grade_id"]: list(hidden_block(c.source).calls) for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_value_")}
    assert set(hidden) == set(VALUE_CHECKS)
    answers = [value_sources[gid] for gid in VALUE_CELLS]
    assert all(outcome.ok for outcome in run_isolated("backprop_by_hand", setup, answers, hidden).values())
    endless = answers + [ENDLESS]
    outcomes = run_isolated("backprop_by_hand", setup, endless, {"t": hidden["test_value_backward"]})
    assert not outcomes["t"].ok and "recursed without end" in outcomes["t"].message
    # (a backward that never returns meets the check's 60 s limit: tests/test_isolation.py tests that limit)
