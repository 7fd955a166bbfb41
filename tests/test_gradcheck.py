"""course.gradcheck: the numerical gradient students check their work with."""
import numpy as np
import pytest

from course.gradcheck import gradient_check, numerical_gradient, relative_error, verdict


def test_numerical_gradient_matches_an_analytic_one_and_leaves_x_alone():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3, 4))
    x = rng.normal(size=(4, 2))
    before = x.copy()
    f = lambda v: float(np.sum(np.tanh(A @ v)))  # noqa: E731
    analytic = A.T @ (1 - np.tanh(A @ x) ** 2)
    numeric = numerical_gradient(f, x)
    assert numeric.shape == x.shape
    assert relative_error(analytic, numeric) < 1e-8
    assert np.array_equal(x, before)


def test_centered_differences_are_second_order():
    # For f = x**3 at 1 the forward difference is off by ~3h, the centered one by ~h**2.
    g = numerical_gradient(lambda v: float(v[0] ** 3), np.array([1.0]), h=1e-3)
    assert abs(g[0] - 3.0) < 2e-6


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
