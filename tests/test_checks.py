"""course.checks: what a student reads when an answer is wrong."""
import numpy as np
import pytest

from course.checks import (NOT_WRITTEN, CheckFailed, NotWrittenYet, call, check_array, check_sequence,
                           check_true, run, using_your_code)
from course.mistakes import CATALOG, describe


def failure(fn, *args, **kwargs) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        fn(*args, **kwargs)
    return info.value


def test_a_right_answer_passes_and_is_returned_as_an_array():
    got = check_array([1.0, 2.0], np.array([1.0, 2.0 + 1e-12]), what="f(x)")
    assert isinstance(got, np.ndarray) and got.shape == (2,)


def test_report_says_what_expected_got_shape_dtype_error_and_values():
    e = failure(check_array, np.array([[1.0, 2.0, 3.5]]), np.array([[1.0, 2.0, 3.0]]), what="f(x) for x (1, 3)")
    text = str(e)
    assert text.startswith("f(x) for x (1, 3): wrong values.")
    assert "shape (1, 3), dtype float64" in text
    assert "1 of 3 entries differ" in text and "max abs error 0.5 at index (0, 2)" in text
    assert "expected[:6] = [1., 2., 3.]" in text and "got[:6]      = [1. , 2. , 3.5]" in text
    assert e.mistake is None and "Likely mistake" not in text


@pytest.mark.parametrize("transform, key", [
    (lambda e: e.T, "transposed"),
    (lambda e: -e, "wrong_sign"),
    (lambda e: 2 * e, "factor_two"),
    (lambda e: e / 2, "half"),
    (lambda e: 5 * e, "missing_mean"),
    (lambda e: e / 5, "extra_mean"),
    (lambda e: e.ravel(), "flattened"),
])
def test_generic_mistakes_are_named_with_their_hint(transform, key):
    expected = np.arange(1.0, 7.0).reshape(2, 3)
    e = failure(check_array, transform(expected), expected, what="grad", n=5)
    assert e.mistake == key
    assert f"Likely mistake: {CATALOG[key].title}." in str(e)
    assert f"Hint: {CATALOG[key].hint}" in str(e)


def test_specific_variants_win_over_generic_ones():
    expected = np.array([1.0, 2.0])
    e = failure(check_array, -expected, expected, what="f", variants=[("sigmoid_sign", -expected)])
    assert e.mistake == "sigmoid_sign"


def test_lazy_variants_are_evaluated_only_when_needed_and_may_fail():
    calls = []

    def boom():
        calls.append(1)
        raise ValueError("cannot form this variant")

    check_array([1.0], [1.0], what="f", variants=[("relu_max", boom)])
    assert calls == []
    e = failure(check_array, [3.0], [1.0], what="f", variants=[("relu_max", boom), ("relu_abs", lambda: [3.0])])
    assert calls == [1] and e.mistake == "relu_abs"


@pytest.mark.parametrize("got, key", [
    (None, "returned_none"), ("0.5", "not_an_array"), ({"a": 1}, "not_an_array"),
    ([np.zeros(2), np.zeros(3)], "not_an_array"),
])
def test_answers_that_are_not_numeric_arrays(got, key):
    assert failure(check_array, got, [0.5], what="f").mistake == key


def test_nan_and_inf_are_reported_with_the_exercise_key():
    e = failure(check_array, [np.nan, 1.0], [0.5, 1.0], what="sigmoid", nonfinite="unstable_sigmoid")
    assert e.mistake == "unstable_sigmoid" and "1 of 2 entries are NaN or inf" in str(e)


def test_integer_answers_are_required_when_asked():
    assert failure(check_array, np.array([True, False]), [1, 0], what="labels", integer=True).mistake == "wrong_dtype"
    e = failure(check_array, np.array([0.9, 0.2]), [1, 0], what="labels", integer=True,
                variants=[("spam_probabilities", [0.9, 0.2])])
    assert e.mistake == "spam_probabilities"
    check_array(np.array([1, 0]), [1, 0], what="labels", integer=True)


def test_call_reports_exceptions_and_names_shape_errors():
    e = failure(call, lambda X: X @ np.ones((3, 2)), np.ones((2, 4)), what="layer")
    assert "your function raised ValueError" in str(e) and e.mistake == "shape_mismatch"
    e = failure(call, lambda: 1 / 0, what="f")
    assert "ZeroDivisionError" in str(e) and e.mistake is None


def test_call_catches_inputs_modified_in_place_even_inside_lists():
    def scale(x):
        x *= 2
        return x

    assert failure(call, scale, np.ones(3), what="f").mistake == "mutates_input"

    def poke(layers):
        layers[0][0][0, 0] = 99.0
        return 0

    assert failure(call, poke, [(np.zeros((2, 2)), np.zeros(2))], what="g").mistake == "mutates_input"


def test_call_names_the_parameter_it_found_modified():
    def step(param, grad, velocity, lr, beta=0.9):
        velocity *= beta
        return param, velocity

    e = failure(call, step, np.ones(2), np.ones(2), np.ones(2), 0.1, what="step")
    assert "argument 3 (velocity) was changed by the call" in str(e) and e.mistake == "mutates_input"

    def by_keyword(x, out=None):
        out[:] = 0
        return x

    assert "argument out was changed" in str(failure(call, by_keyword, 1.0, out=np.ones(2), what="k"))
    e = failure(call, lambda *xs: xs[0].fill(0), np.ones(2), what="star")
    assert "argument 1 was changed" in str(e)


def test_call_records_numpy_warnings_but_not_underflow():
    _, warned = call(lambda z: np.exp(z), np.array([1000.0]), what="exp")
    assert any("overflow" in w for w in warned)
    _, warned = call(lambda z: np.exp(z), np.array([-1000.0]), what="exp")
    assert warned == []


def test_check_sequence_names_a_whole_wrong_list_and_single_entries():
    a, b, c = np.ones((1, 2)), np.full((1, 3), 0.5), np.full((1, 1), 0.25)
    e = failure(check_sequence, [b, c], [a, b, c], what="mlp", variants=[("mlp_no_input", [b, c])])
    assert e.mistake == "mlp_no_input" and "expected a list of 3 arrays, got 2" in str(e)
    e = failure(check_sequence, [a, b, 4 * c], [a, b, c], what="mlp", item="activations",
                variants=[("mlp_last_linear", [a, b, 4 * c])])
    assert e.mistake == "mlp_last_linear" and "mlp: activations[2]: wrong values." in str(e)
    e = failure(check_sequence, c, [a, b, c], what="mlp", variants=[("mlp_only_output", [])])
    assert e.mistake == "mlp_only_output"


def test_check_true_and_describe():
    check_true(True, what="x", problem="never shown")
    e = failure(check_true, False, what="sigmoid", problem="numpy warned", mistake="unstable_sigmoid")
    assert str(e).startswith("sigmoid: numpy warned") and e.mistake == "unstable_sigmoid"
    assert describe("unstable_sigmoid").startswith(CATALOG["unstable_sigmoid"].title)


def test_catalog_covers_the_specified_mistakes():
    """The catalog of mistakes in docs/SPEC.md for the assignments built so far has entries."""
    for key in ["transposed", "missing_mean", "extra_mean", "factor_two", "wrong_sign", "unstable_sigmoid",
                "unstable_softmax", "softmax_axis", "mutates_input"]:
        assert key in CATALOG and CATALOG[key].hint.strip()
    assert all(m.key == key for key, m in CATALOG.items())


def test_an_unfinished_function_is_reported_kindly():
    def stub(x):
        raise NotImplementedError()

    e = failure(call, stub, np.ones(2), what="sigmoid(z)")
    assert "not written yet" in str(e) and "raise NotImplementedError()" in str(e)


# --- what a student sees in the notebook (IPython renders the exception itself) -----

def test_an_unfinished_function_names_itself_in_one_line():
    def relu(z):
        raise NotImplementedError()

    def mlp_forward(x):
        return relu(x) + 1           # finished, but needs an unfinished one

    e = failure(run, mlp_forward, np.ones(2))
    assert isinstance(e, NotWrittenYet) and e.function == "relu"
    assert e._render_traceback_() == [f"\x1b[0;31mNotWrittenYet\x1b[0m: `relu` {NOT_WRITTEN}"]
    e = failure(call, relu, np.ones(2), what="relu(z)")
    assert e.function == "relu" and str(e).startswith("relu(z): `relu` is not written yet")


@pytest.mark.parametrize("relu", [
    lambda z: np.maximum(z, 0, out=z),
    lambda z: (z.__setitem__(z < 0, 0), z)[1],
])
def test_run_fails_a_function_that_changes_its_argument_in_place_as_call_does(relu):
    z = np.array([-1.0, 2.0])
    e = failure(run, relu, z)
    assert e.mistake == "mutates_input" and "argument 1 (z) was changed by the call" in str(e)
    assert failure(call, relu, np.array([-1.0, 2.0]), what="relu(z)").mistake == "mutates_input"


def test_run_returns_what_a_function_that_leaves_its_arguments_alone_returns():
    z, layers = np.array([-1.0, 2.0]), [(np.ones((2, 2)), np.zeros(2))]
    assert np.array_equal(run(lambda z, layers, lr=0.1: np.maximum(z, 0), z, layers, lr=0.5), [0.0, 2.0])
    assert np.array_equal(z, [-1.0, 2.0])
    gen = (i for i in range(3))            # an argument deepcopy cannot copy is not compared
    assert run(lambda g: sum(g), gen) == 3


def test_run_leaves_any_other_error_alone_with_its_traceback():
    def relu(z):
        return z.nope

    with pytest.raises(AttributeError):
        run(relu, np.ones(2))


def test_a_failed_check_renders_as_the_failing_line_and_its_message(tmp_path):
    with pytest.raises(CheckFailed) as info:
        check_array(np.array([1.0, 3.0]), np.array([1.0, 2.0]), what="f(x)")
    e = info.value
    shown = e._render_traceback_()
    assert shown[0].startswith("----> ") and "check_array" in shown[0]      # this test's own line
    assert shown[1].endswith(str(e)) and str(e).startswith("f(x): wrong values.")
    assert not any("course/checks.py" in line for line in shown)


def test_a_check_failed_by_the_students_own_error_keeps_that_traceback():
    def dense_forward(X):
        return X @ np.ones((3, 2))

    e = failure(call, dense_forward, np.ones((2, 2)), what="dense_forward(X)")
    text = "\n".join(e._render_traceback_())
    assert e.mistake == "shape_mismatch" and "Your code raised it here:" in text
    assert "in dense_forward" in text and "return X @ np.ones((3, 2))" in text and "ValueError" in text
    assert "course/checks.py" not in text


def test_a_demonstration_prints_which_exercise_to_finish(capsys):
    def sigmoid(z):
        raise NotImplementedError()

    with using_your_code():
        sigmoid(1.0)
        raise AssertionError("never reached")
    assert capsys.readouterr().out.strip() == (
        "This cell runs your `sigmoid`, which is not written yet: finish that exercise, then run this cell again.")
    with using_your_code():
        print(model_made_above)  # noqa: F821 - an earlier demonstration never got to make it
    assert "`model_made_above`" in capsys.readouterr().out
    with using_your_code():      # the same inside a comprehension written in the cell
        print({n: best_made_above for n in (1, 2)})  # noqa: F821
    assert "This cell needs `best_made_above`" in capsys.readouterr().out
    with pytest.raises(ZeroDivisionError):
        with using_your_code():
            1 / 0


def test_a_demonstration_names_a_bug_in_the_students_function_in_one_line(capsys):
    def mlp_forward(X):
        zz_typo = X
        return 1 / (1 + np.exp(-zz))  # noqa: F821 - the student's typo

    def dense_forward(X):
        return X @ np.ones((3, 2))

    with using_your_code():
        mlp_forward(np.ones(2))
    said = capsys.readouterr().out
    assert said.startswith("This cell runs your `mlp_forward`, which raised NameError") and "'zz'" in said
    assert "a cell above" not in said, "a typo inside the function is not a missing earlier cell"
    with using_your_code():
        dense_forward(np.ones((2, 2)))
    said = capsys.readouterr().out.strip()
    assert said.startswith("This cell runs your `dense_forward`, which raised ValueError: matmul") and "\n" not in said


def test_run_hides_its_own_frame_from_the_students_traceback():
    def relu(z):
        return z.nope

    with pytest.raises(AttributeError) as info:
        run(relu, np.ones(2))
    frames = [frame for frame, _ in __import__("traceback").walk_tb(info.value.__traceback__)]
    assert [f.f_locals.get("__tracebackhide__") for f in frames if f.f_code.co_name == "run"] == [True]


def test_a_warning_raised_many_times_is_reported_once_with_its_count():
    def sigmoid(z):
        return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))

    _, warned = call(sigmoid, np.array([-1000.0, -800.0, 1000.0]), what="sigmoid(z)")
    assert warned == ["RuntimeWarning: overflow encountered in exp (3×)",
                      "RuntimeWarning: invalid value encountered in divide"]


def test_integer_answers_are_shown_as_integers():
    e = failure(check_array, np.array([1, 0, 0]), [1, 0, 1], what="predict_spam", integer=True)
    assert "expected[:6] = [1, 0, 1]" in str(e) and "got[:6]      = [1, 0, 0]" in str(e)
