"""course.gradcheck: the directional gradient check students check their work with (02), and how to
read a relative error."""
import numpy as np
import pytest

from course.gradcheck import directional_slopes, gradient_check, relative_error, verdict


def test_directional_slopes_agree_with_an_analytic_gradient_and_leave_x_alone():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3, 4))
    x = rng.normal(size=(4, 2))
    before = x.copy()
    f = lambda v: float(np.sum(np.tanh(A @ v)))  # noqa: E731
    analytic = A.T @ (1 - np.tanh(A @ x) ** 2)
    measured, predicted = directional_slopes(f, x, analytic)
    assert measured.shape == predicted.shape == (3,)
    assert relative_error(measured, predicted) < 1e-8
    assert np.array_equal(x, before)


def test_a_wrong_gradient_is_caught_along_random_directions():
    """A gradient off in one entry only, or transposed, changes the predicted slopes."""
    x = np.arange(6.0).reshape(2, 3) / 10
    f = lambda v: float(np.sum(v ** 3))  # noqa: E731
    right = 3 * x ** 2
    one_off = right.copy()
    one_off[1, 2] += 0.5
    assert relative_error(*directional_slopes(f, x, right)) < 1e-8
    assert relative_error(*directional_slopes(f, x, one_off)) > 1e-3
    with pytest.raises(ValueError, match="shape"):
        directional_slopes(f, x, right.T)


def test_centered_differences_are_second_order():
    # For f = x**3 at 1 the forward difference is off by ~3h, the centered one by ~h**2.
    measured, _ = directional_slopes(lambda v: float(v[0] ** 3), np.array([1.0]), np.array([3.0]), h=1e-3)
    assert abs(abs(measured[0]) - 3.0) < 2e-6


def test_relative_error_is_scale_free_and_checks_shapes():
    a = np.array([1.0, 2.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(1e6 * a, 1e6 * a * (1 + 1e-9)) < 1e-8
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(a, a[:1])


@pytest.mark.parametrize("error, word", [(1e-10, "correct"), (1e-6, "probably correct"),
                                         (1e-4, "suspicious"), (0.3, "wrong")])
def test_verdict_reads_the_number(error, word):
    assert verdict(error).startswith(word)


def test_gradient_check_prints_its_reading(capsys):
    x = np.array([1.0, -2.0])
    err = gradient_check(lambda v: float(np.sum(v ** 2)), x, 2 * x)
    assert err < 1e-9 and "correct" in capsys.readouterr().out
