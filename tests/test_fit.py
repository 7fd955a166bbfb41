"""course.fit: a line fitted from nothing but a loss's gradient."""
import numpy as np
import pytest

from course.fit import fit_line
from grader.loss_functions import huber_grad, mae, mae_grad, mse_grad


def test_mse_gives_ordinary_least_squares():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 4, 30)
    y = 2 * x - 1 + rng.normal(size=30)
    assert np.allclose(fit_line(x, y, mse_grad), np.polyfit(x, y, 1))


def test_mae_and_huber_reach_a_point_where_the_gradient_vanishes_or_the_loss_is_minimal():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 4, 25)
    y = 1.5 * x + 0.5 + 0.3 * rng.normal(size=25)
    y[-1] = -10.0
    a, c = fit_line(x, y, huber_grad)
    g = huber_grad(y, a * x + c)
    assert abs(np.sum(g * x)) < 1e-8 and abs(np.sum(g)) < 1e-8
    a, c = fit_line(x, y, mae_grad)
    best = mae(y, a * x + c)
    for da, dc in [(1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3)]:
        assert mae(y, (a + da) * x + c + dc) >= best - 1e-12


@pytest.mark.parametrize("grad, message", [
    (lambda y, p: -mse_grad(y, p), "uphill"),
    (lambda y, p: np.full_like(p, np.nan), "finite"),
    (lambda y, p: p[:-1], "shape"),
])
def test_gradients_that_cannot_be_minimised_are_refused(grad, message):
    x = np.linspace(0, 1, 5)
    with pytest.raises(ValueError, match=message):
        fit_line(x, 2 * x + np.array([0.1, -0.1, 0.2, 0.0, -0.2]), grad)
