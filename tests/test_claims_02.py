"""Every number and comparison the text of 02_loss_functions states, recomputed (issue #13 §5).

Each test reads the claim from the authoring notebook's text and recomputes it with the
course's reference functions (grader.loss_functions, grader.solutions); demonstration cells are run
with the references in place of the student's functions and their printout compared with the
text. The slow test runs the solutions notebook itself.
"""
import re

import matplotlib
import numpy as np
import pytest

from course import data, fit, widgets
from course.gradcheck import directional_slopes, relative_error, verdict
from grader.solutions import forward_pass, loss_functions as worked_losses
from grader.solutions.backprop_by_hand import numerical_gradient
from grader import loss_functions as L
from tests.notebook_text import (assert_points_agree, code_cell, markdown, printed_by_solutions, run_cell, said,
                                 section)

matplotlib.use("agg")
NAME = "02_loss_functions"
REFERENCES = {f: getattr(L, f) for f in ("mse", "mse_grad", "mae", "mae_grad", "huber", "huber_grad",
                                         "categorical_cross_entropy", "softmax_cross_entropy_grad")}
REFERENCES.update(binary_cross_entropy=worked_losses.binary_cross_entropy, binary_cross_entropy_grad=worked_losses.binary_cross_entropy_grad)


def demo(contains: str) -> str:
    """Run the demonstration cell containing CONTAINS with the reference functions; its printout."""
    from course.checks import using_your_code
    namespace = {"np": np, "directional_slopes": directional_slopes, "relative_error": relative_error,
                 "verdict": verdict, "using_your_code": using_your_code, **REFERENCES}
    return run_cell(code_cell(NAME, contains), namespace)


def test_the_points_table_and_the_exercises_state_the_points_the_tests_give():
    assert_points_agree(NAME)


def test_the_half_sum_convention_is_n_over_2_times_the_mean():
    text = section(NAME, 2)
    said(r"its gradient is \$\\tfrac\{N\}\{2\}\$ times ours", text)
    n, times = (int(v) for v in said(r"on a batch of (\d+) it is (\d+) times larger", text))
    said(r"With \$N = 1\$ \(that program trains on one sample\) it is exactly half", text)
    said(r"The 0.875 regression program's ½·sum is a different loss whose gradient is \$N/2\$ times larger",
         markdown(NAME))
    for size, ratio in ((n, times), (1, 0.5)):
        y, y_hat = np.zeros(size), np.full(size, 0.1)
        half_sum_grad = y_hat - y                                       # d/dy_hat of 0.5 * sum(r**2)
        assert np.allclose(half_sum_grad / L.mse_grad(y, y_hat), ratio)
        assert np.isclose(0.5 * np.sum((y_hat - y) ** 2), size / 2 * L.mse(y, y_hat))
    assert_ratios(demo("half_sum_grad = "), times)


def assert_ratios(printed, times):
    assert [float(v) for v in re.findall(r"ratio, .*?: +([\d.]+)", printed)] == pytest.approx([times, 0.5])


def test_mae_pulls_the_same_whatever_the_error_and_keeps_overshooting():
    far, near = (float(v) for v in said(r"a point (\d+) units off pulls no harder than one (\d+) unit off",
                                        markdown(NAME)))
    assert np.allclose(np.abs(L.mae_grad(np.zeros(2), np.array([far, -near]))), 0.5)
    eta, start = (float(v) for v in said(r"step \$\\eta = ([\d.]+)\$, from \$\\hat y = ([\d.]+)\$", markdown(NAME)))
    source = code_cell(NAME, "after 50 steps")
    assert "0.1 * grad" in source and "np.array([0.55])" in source and (eta, start) == (0.1, 0.55)
    assert_overshoots(demo("after 50 steps"))


def assert_overshoots(printed):
    printed_text = printed
    printed = dict(re.findall(r"(MSE|MAE): after 50 steps y_hat = ([-+\d.]+)", printed))
    assert abs(float(printed["MSE"])) < 1e-4, "MSE's gradient shrinks: it settles on the target"
    assert abs(float(printed["MAE"])) > 0.04, "MAE's step stays the same size: it keeps overshooting"
    last = [float(v) for v in re.search(r"MAE: .*?the last four: (.*)", printed_text).group(1).split(", ")]
    assert all(a * b < 0 for a, b in zip(last, last[1:])), "back and forth across the target"
    assert min(abs(v) for v in last) >= 0.1 / 2 - 1e-9, "never closer than half a step"


def test_mse_pulls_with_the_square_and_huber_sits_in_between():
    one, many, small = (float(v) for v in said(
        r"one point (\d+) units off pulls like (\d+) points ([\d.]+) off", section(NAME, 4)))
    assert np.isclose(L.mse_grad(np.zeros(1), np.array([one]))[0], many * L.mse_grad(np.zeros(1), np.array([small]))[0])
    said(r"meet at \$\|r\| = \\delta\$ with the same value and the same slope", section(NAME, 4))
    for delta in (0.5, 1.0, 2.0):
        h = lambda r: L.huber(np.zeros(1), np.array([r]), delta)
        for side in (-1, 1):
            inside, outside = side * (delta - 1e-9), side * (delta + 1e-9)
            assert np.isclose(h(inside), h(outside), atol=1e-8)
            g_in = numerical_gradient(lambda v: h(v[0]), np.array([side * (delta - 1e-3)]), 1e-6)
            g_out = numerical_gradient(lambda v: h(v[0]), np.array([side * (delta + 1e-3)]), 1e-6)
            assert np.allclose(g_in, g_out, atol=2e-3)
        r = np.array([-1e6, -3.0, 0.1, 40.0])
        assert np.all(np.abs(L.huber_grad(np.zeros(4), r, delta)) <= delta / 4), "the gradient's bound"
    said(r"With all residuals inside \$\\delta\$, Huber is MSE/2; with \$\\delta\$ smaller than every "
         r"residual, it behaves like MAE scaled by \$\\delta\$", section(NAME, 4))
    y, y_hat = np.zeros(5), np.array([-2.0, -0.5, 0.3, 1.0, 4.0])
    assert np.isclose(L.huber(y, y_hat, 10.0), L.mse(y, y_hat) / 2)
    assert np.allclose(L.huber_grad(y, y_hat, 10.0), L.mse_grad(y, y_hat) / 2)
    assert np.allclose(L.huber_grad(y, y_hat, 0.1), 0.1 * L.mae_grad(y, y_hat))


def test_the_outlier_explorer_data_and_weights_are_what_section_5_says():
    text = section(NAME, 5)
    count, slope, intercept = said(r"(\w+) points near the line \$y = ([\d.]+)x \+ ([\d.]+)\$", text)
    x, y = data.make_line_with_outlier(20, seed=0)
    assert {"Twenty": 20}[count] == len(x)
    fitted = np.polyfit(x[:-1], y[:-1], 1)
    assert np.allclose(fitted, [float(slope), float(intercept)], atol=0.25)
    said(r"constant for MSE, \$1/\|r\|\$ for MAE and \$\\min\(1, \\delta/\|r\|\)\$ for Huber", text)
    r = np.array([-6.0, -0.5, 0.25, 2.0, 9.0])
    per_unit = lambda grad: grad(np.zeros_like(r), r) / r
    assert np.allclose(per_unit(L.mse_grad) / per_unit(L.mse_grad)[0], 1)
    assert np.allclose(per_unit(L.mae_grad) * np.abs(r), per_unit(L.mae_grad)[0] * 6.0)
    assert np.allclose(per_unit(lambda y, p: L.huber_grad(y, p, 1.0)) * r.size, np.minimum(1, 1.0 / np.abs(r)))


def test_an_outlier_at_minus_8_pulls_the_mse_line_far_more_than_the_robust_ones():
    outlier, = said(r"Try an outlier at \$y = (-?\d+)\$", section(NAME, 5))
    said(r"regression with outliers \| any real number \| \*\*MAE\*\* or \*\*Huber\*\* \| a wild point pulls far less",
         markdown(NAME))
    explorer = widgets.outlier_explorer(L.mse_grad, L.mae_grad, L.huber_grad)
    explorer.controls["outlier"].value = float(outlier)
    assert explorer.controls["outlier"].value == float(outlier), "the slider reaches the suggested outlier"
    x, y = data.make_line_with_outlier(20, seed=0)
    clean = np.polyfit(x[:-1], y[:-1], 1)[0]
    y[-1] = float(outlier)
    moved = {name: abs(fit.fit_line(x, y, grad)[0] - clean)
             for name, grad in (("MSE", L.mse_grad), ("MAE", L.mae_grad), ("Huber", L.huber_grad))}
    assert moved["MAE"] < moved["MSE"] / 3 and moved["Huber"] < moved["MSE"] / 3, moved


def test_growing_delta_turns_the_huber_line_from_the_mae_line_into_the_mse_line():
    text = " ".join(section(NAME, 5).split())
    said(r"move the red one with the \*\*outlier y\*\* slider", text)
    low, = said(r"at ([\d.]+) the Huber line lies almost on the MAE line", text)
    residual, = said(r"the outlier's, about (\d+)\)", text)
    explorer = widgets.outlier_explorer(L.mse_grad, L.mae_grad, L.huber_grad)
    explorer.controls["outlier"].value = -8.0
    explorer.controls["delta"].value = float(low)
    assert explorer.controls["delta"].value == float(low)
    assert abs(explorer.fits["Huber"][0] - explorer.fits["MAE"][0]) < 0.05 < abs(explorer.fits["MAE"][0] - explorer.fits["MSE"][0])
    x, y = data.make_line_with_outlier(20, seed=0)
    y[-1] = -8.0
    slope, intercept = np.polyfit(x, y, 1)
    largest = np.abs(y - (slope * x + intercept)).max()
    assert round(largest) == int(residual) and largest < explorer.controls["delta"].max, "the slider reaches past it"
    explorer.controls["delta"].value = float(np.ceil(largest))
    assert np.allclose(explorer.fits["Huber"], explorer.fits["MSE"], atol=1e-3)
    explorer.controls["delta"].value = float(np.floor(largest)) - 2
    assert not np.allclose(explorer.fits["Huber"], explorer.fits["MSE"], atol=1e-2), "below it, Huber is not MSE"


def test_the_loss_explorers_binary_end_is_what_the_text_says():
    text = " ".join(markdown(NAME).split())
    end, loss, grad = said(r"At the slider's end, \$p = ([\d.]+)\$, the loss is already ([\d.]+) and the gradient "
                           r"\$(-\d+)\$", text)
    explorer = widgets.loss_explorer(L.mse, L.mse_grad, L.mae, L.mae_grad, L.huber, L.huber_grad,
                                     L.binary_cross_entropy, L.binary_cross_entropy_grad)
    explorer.controls["task"].value = "binary"
    explorer.controls["p"].value = explorer.controls["p"].min
    assert explorer.controls["p"].value == float(end) and explorer.controls["label"].value == 1
    shown_loss, shown_grad = explorer.at["BCE"]
    assert round(shown_loss, 1) == float(loss) and round(shown_grad) == int(grad)


def test_cross_entropy_numbers_of_section_6():
    text = section(NAME, 6)
    p, cost = (float(v) for v in said(r"\$-\\log\(([\d.]+)\) \\approx ([\d.]+)\$", text))
    assert round(-np.log(p), 1) == cost
    assert forward_pass.sigmoid(40.0) == 1.0 and forward_pass.sigmoid(-800.0) == 0.0, "a saturated sigmoid outputs exactly 0 or 1"
    eps, = said(r"\$\\varepsilon = 10\^\{(-\d+)\}\$ in this course", text)
    assert worked_losses.EPS == L.EPS == 10.0 ** int(eps)
    solution = code_cell(NAME, "EPS = ")
    assert re.search(rf"^EPS = 1e{eps}$", solution, re.M), "the solution cell clips at the course's eps"
    ones = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    message = code_cell(NAME, "about 27.63")
    about, = said(r"about ([\d.]+) with eps = 1e-12", message)
    assert round(worked_losses.binary_cross_entropy(*ones), 2) == float(about)
    assert np.isclose(worked_losses.binary_cross_entropy_grad(np.array([1.0]), np.array([0.0]))[0], -1e12, rtol=1e-6)


def test_any_clip_eps_the_text_allows_passes_and_a_larger_one_does_not():
    low, high = said(r"the tests accept any \$\\varepsilon\$ from \$10\^\{(-\d+)\}\$ to \$10\^\{(-\d+)\}\$",
                     section(NAME, 6))
    for eps in (10.0 ** int(low), 10.0 ** int(high)):
        L.check_binary_cross_entropy(lambda y, p, e=eps: worked_losses.binary_cross_entropy(y, p, eps=e))
        L.check_binary_cross_entropy_grad(lambda y, p, e=eps: worked_losses.binary_cross_entropy_grad(y, p, eps=e))
    with pytest.raises(AssertionError):
        L.check_binary_cross_entropy_grad(lambda y, p: worked_losses.binary_cross_entropy_grad(y, p, eps=1e-4))


def test_the_gradient_through_a_sigmoid_is_p_minus_y_over_n():
    said(r"which cancels its denominator: \$\\partial\\,\\text\{BCE\}/\\partial z_i = \(p_i - y_i\)/N\$",
         markdown(NAME))
    assert_through_sigmoid(demo("predicted by (p - y)/N"))


def assert_through_sigmoid(printed):
    """The slopes measured along random directions and those (p - y)/N predicts agree."""
    err, = said(r"relative error ([\d.e+-]+): correct", printed)
    assert float(err) < 1e-7
    measured, predicted = ([float(v) for v in re.findall(r"-?[\d.]+(?:e[+-]?\d+)?", line.split(":", 1)[1])]
                           for line in printed.splitlines()[:2])
    assert len(measured) == 3 and measured == pytest.approx(predicted, abs=1e-4)


def test_the_loss_explorer_curves_behave_as_described():
    said(r"Far from the target MSE's gradient keeps growing, MAE's is stuck at ±1, Huber's grows up to "
         r"\$\\delta\$ and stops", markdown(NAME))
    y, far = np.zeros(1), np.array([2.0, 5.0, 20.0])
    mse_g = [L.mse_grad(y, np.array([v]))[0] for v in far]
    assert mse_g[0] < mse_g[1] < mse_g[2]
    assert [L.mae_grad(y, np.array([v]))[0] for v in (*far, -far[0])] == [1, 1, 1, -1]
    assert [L.huber_grad(y, np.array([v]), 1.0)[0] for v in (0.3, 0.9, *far)] == pytest.approx([0.3, 0.9, 1, 1, 1])
    said(r"towards \$p = 0\$ with label 1, cross-entropy and its gradient explode", markdown(NAME))
    one = np.ones(1)
    near, mid = np.array([1e-3]), np.array([0.5])
    assert worked_losses.binary_cross_entropy(one, near) > 9 * worked_losses.binary_cross_entropy(one, mid)
    assert abs(worked_losses.binary_cross_entropy_grad(one, near)[0]) > 400 * abs(worked_losses.binary_cross_entropy_grad(one, mid)[0])


def test_the_softmax_cross_entropy_gradient_and_the_logits_the_tests_use():
    said(r"So \$\\nabla_Z\\,\\text\{CCE\} = \(P - Y\)/n\$", markdown(NAME))
    rng = np.random.default_rng(3)
    Y, Z = np.eye(4)[[1, 3, 0]], rng.normal(size=(3, 4))
    numeric = numerical_gradient(lambda v: L.categorical_cross_entropy(Y, forward_pass.softmax(v)), Z)
    assert relative_error((forward_pass.softmax(Z) - Y) / 3, numeric) < 1e-7
    big, = said(r"the tests use logits of \$\\pm (\d+)\$", section(NAME, 7))
    assert f"[[{big}.0, -{big}.0]]" in code_cell(NAME, "softmax_cross_entropy_grad with logits ±")


def test_every_gradient_check_of_section_8_says_correct_and_mae_stays_off_its_kink():
    said(r"Relative errors near \$10\^\{-10\}\$ say \*correct\*", section(NAME, 8))
    assert_all_correct(demo("checks = {"))
    said(r"MAE is checked away from its kink at \$r = 0\$, where a centered difference averages the two slopes",
         section(NAME, 8))
    rng = np.random.default_rng(7)                             # the cell's data, drawn the same way
    y_reg, y_hat_reg = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)) * 2
    assert np.min(np.abs(y_hat_reg - y_reg)) > 1e-3, "no residual within a step h = 1e-5 of the kink"
    at_kink = numerical_gradient(lambda v: L.mae(np.zeros(1), v), np.zeros(1))
    assert at_kink[0] == 0.0, "at r = 0 the centered difference averages +1 and -1"


def assert_all_correct(printed):
    errors = [float(e) for e in re.findall(r"relative error ([\d.e+-]+)\s+correct", printed)]
    assert len(errors) == 5 and max(errors) < 1e-7, printed


@pytest.fixture(scope="module")
def solutions_run():
    """The solutions notebook, run once for this module."""
    return printed_by_solutions(NAME)


@pytest.mark.slow
def test_what_the_solutions_notebook_prints_agrees_with_the_text(solutions_run):
    printed = lambda marker: next(out for src, out in solutions_run if marker in src)
    times, = said(r"on a batch of \d+ it is (\d+) times larger", section(NAME, 2))
    assert_ratios(printed("half_sum_grad = "), int(times))
    assert_overshoots(printed("after 50 steps"))
    assert_through_sigmoid(printed("predicted by (p - y)/N"))
    assert_all_correct(printed("checks = {"))
