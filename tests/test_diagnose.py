"""The general analysis of wrong answers (course/diagnose.py, course.checks.compare): each
relation and probe on a small made-up case, the claims it must not make, and the catalog switch.
Fast and in-process; tests/test_diagnose_autograde.py grades such mistakes through autograde."""
import numpy as np
import pytest

from course import diagnose
from course.checks import CheckFailed, check_array, compare
from course.diagnose import relation, training

RNG = np.random.default_rng(42)
E = RNG.normal(size=(4, 3))


@pytest.mark.parametrize("got, says", [
    (0.9 * E, "every entry is 0.9 times the expected one"),
    (3 * E, "every entry is 3 times the expected one"),
    (-E, "opposite sign"),
    (E + 0.25, "every entry is the expected one plus 0.25"),
    (E - 1.5, "every entry is the expected one minus 1.5"),
    (2 * E + 1, "every entry is 2 times the expected one, plus 1"),
    (E[::-1], "the right rows in another order (reversed)"),
    (E[[1, 0, 3, 2]], "the right rows in another order (yours in the order [1, 0, 3, 2]"),
    (E[:, ::-1], "the right columns in another order (reversed)"),
    (np.zeros_like(E), "every entry is 0, where non-zero values were expected"),
])
def test_a_relation_on_every_entry_is_named_with_its_number(got, says):
    line = relation(got, E)
    assert line is not None and line.startswith(diagnose.FOUND) and says in line, line


def test_a_square_transpose_and_entries_in_another_order():
    S = RNG.normal(size=(3, 3))
    assert "transpose" in relation(S.T.copy(), S)
    v = RNG.normal(size=5)
    assert "the right entries in another order (reversed)" in relation(v[::-1], v)


def test_wrong_only_where_an_input_says():
    z = RNG.normal(size=(4, 5))
    z.flat[::4] = 0.0
    right = np.maximum(z, 0)
    at_zero = np.where(z == 0, 0.5, right)
    assert "wrong exactly where z == 0" in relation(at_zero, right, inputs=[("z", z)])
    negative = np.where(z < 0, 2 * z, right)
    assert "wrong exactly where z < 0" in relation(negative, right, inputs=[("z", z)])
    assert "your answer is z itself" in relation(z, right, inputs=[("z", z)])
    y, yhat = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 0.0, 3.0, 5.0])
    expected = np.sign(yhat - y)
    tie = np.where(yhat == y, 1.0, expected)
    assert "a tie" in relation(tie, expected, inputs=[("y_true", y), ("y_pred", yhat)])


def test_right_rows_and_wrong_rows_are_told_apart():
    got = E.copy()
    got[2] *= 2
    line = relation(got, E)
    assert "row 2 (of 4) is wrong: 2 times the expected values there" in line, line
    got = E.copy()
    got[:, 1] = 0
    assert "column 1 (of 3) is wrong: 0 there" in relation(got, E)


def test_a_plain_function_a_normalisation_and_lists():
    z = RNG.normal(size=(4, 3))
    assert "yours is sigmoid of the expected values" in relation(1 / (1 + np.exp(-z)), z)
    assert "yours is the square root of the expected value" in relation(np.sqrt(2.5), 2.5)
    assert "yours is the square of the expected value" in relation(2.5 ** 2, 2.5)
    e = np.exp(z)
    assert "each row is the expected row times a factor of its own" in relation(e, e / e.sum(axis=1, keepdims=True))
    acts = [RNG.normal(size=(2, 3)) for _ in range(3)]
    assert "without its first entry" in diagnose.sequence(acts[1:], acts)
    assert "entry 2 of the expected list of 3, alone" in diagnose.sequence(acts[2], acts)
    assert "reversed" in diagnose.sequence(acts[::-1], acts)
    assert diagnose.sequence([acts[0], acts[0], acts[2]], acts) is None


def test_shapes_that_differ():
    assert "the right numbers in the right order, in shape (12,)" in relation(E.ravel(), E)
    assert "transpose of the expected one (shape (3, 4)" in relation(E.T.copy(), E)
    assert "summed over axis 0" in relation(E.sum(axis=0), E)
    column = E[:, :1]
    assert "2 times" in relation(2 * column.ravel(), column)


def test_no_claim_without_a_relation():
    assert relation(RNG.normal(size=(4, 3)), E) is None
    labels = np.array([0, 1, 1, 0, 1])
    assert relation(np.array([1, 0, 1, 1, 0]), labels) is None      # repeated values: no "another order"
    assert relation(1.2345, 1.0) is None                            # one number: any factor holds
    assert "2 times" in relation(2.0, 1.0)                          # ... unless it is a simple one
    assert "(n = 20)" in relation(20.0, 1.0, sizes={"n": 20})


def test_training_summaries():
    assert "stayed at 0.7 for all 3 epochs" in training([0.7, 0.7, 0.7])
    assert "rose from 1 to 5" in training([1.0, 2.0, 5.0])
    assert "exploded" in training([1.0, 50.0, 1e6])
    assert "NaN or inf from epoch 2 on" in training([1.0, 0.5, np.nan])
    assert "the model returned is the one it started from" in training([1.0, 0.5], returned_initial=True)
    assert "no parameter moved" in training([1.0, 1.0], {"W1": 0.0, "b1": 0.0})
    assert "b1 never moved" in training([1.0, 0.5], {"W1": 0.1, "b1": 0.0})


# --- compare: calling the student's function again -------------------------------------

def dense(X, W, b):
    return X @ W + b


def adam(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    return param - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v


X, W, B = RNG.normal(size=(5, 3)), RNG.normal(size=(3, 4)), RNG.normal(size=4)
P, G, M, V = (RNG.normal(size=(2, 3)) for _ in range(4))
V = np.abs(V)


def failure(student, reference, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as info:
        compare(student, reference, *args, what="f", **kwargs)
    return str(info.value)


def test_a_right_answer_passes_compare():
    got, caught = compare(dense, dense, X, W, B, what="dense")
    assert np.allclose(got, X @ W + B) and caught == []


def test_a_keyword_at_its_default_is_named():
    text = failure(lambda *a, beta1=0.9, **k: adam(*a, **k), adam, P, G, M, V, 3, beta1=0.8, lr=0.05)
    assert "the right one for beta1 at its default 0.9 instead of 0.8" in text, text


def test_a_counter_off_by_one_and_swapped_arguments():
    text = failure(lambda p, g, m, v, t, **k: adam(p, g, m, v, t - 1, **k), adam, P, G, M, V, 3, lr=0.05)
    assert "t = 2 instead of 3 (off by one)" in text, text
    text = failure(lambda y, p: np.sum((y - 2 * p) ** 2), lambda y, p: np.sum((p - 2 * y) ** 2),
                   RNG.normal(size=4), RNG.normal(size=4))
    assert "y and p swapped" in text, text


def test_an_ignored_argument_is_named():
    text = failure(lambda X, W, b: X @ W + 1.0, dense, X, W, B)
    assert "does not change when b changes" in text, text


def test_integer_inputs_are_told_from_float_ones():
    def truncating(z):
        out = np.zeros_like(z)
        out[...] = 1 / (1 + np.exp(-z))
        return out
    text = failure(truncating, lambda z: 1 / (1 + np.exp(-z)), np.array([[0, 1, -2], [3, -1, 2]]))
    assert "right when z holds the same numbers as floats" in text, text


def test_a_batch_of_one_and_square_shapes():
    text = failure(lambda X, W, b: X @ W + b * len(X), dense, X, W, B)
    assert "right for each row of X alone (a batch of one), wrong for the 5 rows together" in text, text
    text = failure(lambda X, W, b: X @ W + b + (W.shape[0] != W.shape[1]) * np.arange(W.shape[1]), dense, X, W, B)
    assert "right when every dimension is 3 (square shapes)" in text, text


def test_a_tuple_in_another_order():
    text = failure(lambda *a, **k: adam(*a, **k)[::-1], adam, P, G, M, V, 2, items=("param", "m", "v"))
    assert "your param is the expected v, your v is the expected param" in text, text


def test_a_catalogued_mistake_is_named_without_the_analysis():
    text = failure(lambda X, W, b: 0.5 * (X @ W + b), dense, X, W, B)
    assert "Likely mistake: off by a factor ½." in text and diagnose.FOUND not in text
    assert text.count(diagnose.FOUND) <= 2


def test_at_most_two_lines_of_analysis():
    text = failure(lambda X, W, b: X @ W + b + X.sum() * (len(X) > 1), dense, X, W, B)
    assert 1 <= text.count(diagnose.FOUND) <= 2, text


def test_the_catalog_switched_off_names_nothing_and_the_analysis_speaks(monkeypatch):
    monkeypatch.setenv(diagnose.CATALOG_ENV, "off")
    with pytest.raises(CheckFailed) as info:
        check_array(0.5 * E, E, what="f")
    assert info.value.mistake is None and "Likely mistake" not in str(info.value)
    assert "every entry is 0.5 times the expected one" in str(info.value)


def test_labels_of_the_wrong_shape_and_values_are_not_the_right_numbers():
    expected = np.array([[1], [0], [1], [1]])
    with pytest.raises(CheckFailed) as info:
        check_array(np.zeros(4, dtype=int), expected, what="predict", integer=True)
    assert info.value.mistake == "wrong_shape", str(info.value)
    with pytest.raises(CheckFailed) as info:
        check_array(expected.ravel(), expected, what="predict", integer=True)
    assert info.value.mistake == "flattened"


def test_a_train_that_returns_its_initial_layers_is_not_called_gradient_ascent():
    from grader import xor_training as g

    def lazy(X, y, sizes, lr, epochs, seed):
        layers = g.init_layers(sizes, np.random.default_rng(seed))
        loss = g.binary_cross_entropy(y, g.mlp_forward(X, layers)[-1])
        return layers, [loss] * epochs
    with pytest.raises(CheckFailed) as info:
        g.check_train(lazy, g.init_layers)
    text = str(info.value)
    assert info.value.mistake == "weights_not_updated" and "ascent" not in text, text
    assert "the loss stayed at" in text and "the model returned is the one it started from" in text


def test_a_mistake_that_depends_on_values_is_not_called_a_batch_or_shape_effect():
    z = RNG.normal(size=(5, 3))
    z[1, 1] = z[3, 0] = 0.0
    text = failure(lambda z: np.where(z == 0, 0.5, np.maximum(z, 0)), lambda z: np.maximum(z, 0), z)
    assert "batch" not in text and "square" not in text and "wrong exactly where z == 0" in text, text
