"""Notebook 04's sections on initialisation and on optimisers, against a fresh run of their
own cells. The sections are found by their titles, not their numbers (the numbers change
as sections are added); the widget cell is not run."""
import re

import matplotlib
import numpy as np
import pytest

from tests.notebook_text import cells, run_cell

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402  (after choosing the backend)

NAME = "04_xor_training"


def _part(title: str) -> tuple[str, list[str]]:
    """(markdown on one line, demonstration code cells) of the section whose heading contains `title`."""
    text, code, inside = [], [], False
    for c in cells(NAME):
        if c.cell_type == "markdown" and re.match(r"## ", c.source):
            inside = title in c.source.splitlines()[0]
        if not inside:
            continue
        meta = c.metadata.get("nbgrader", {})
        if c.cell_type == "markdown":
            text.append(" ".join(c.source.split()))
        elif not meta.get("grade") and not meta.get("solution") and "widgets." not in c.source:
            code.append(c.source)
    assert text, f"no section titled {title!r}"
    return " ".join(text), code


def _namespace() -> dict:
    ns: dict = {}
    for c in cells(NAME):
        meta = c.metadata.get("nbgrader", {})
        if meta.get("solution") or meta.get("grade_id") == "setup":
            exec(c.source, ns)
    exec("import matplotlib.pyplot as plt", ns)
    ns["plots"].show = lambda fig, alt: matplotlib.pyplot.close(fig)
    return ns


@pytest.fixture(scope="module")
def init_run():
    text, code = _part("Initialisation")
    ns = _namespace()
    printed = "".join(run_cell(source, ns) for source in code)
    return text, printed, ns["stats"]


@pytest.fixture(scope="module")
def race_run():
    text, code = _part("Optimisers")
    ns = _namespace()
    printed = "".join(run_cell(source, ns) for source in code)
    return text, printed


def said(pattern, text):
    found = re.search(pattern, text)
    assert found, f"the text no longer says {pattern!r}: update this test with it"
    return found.groups()


def test_the_table_prints_what_the_statistics_are(init_run):
    _, printed, stats = init_run
    for (activation, scheme), (act, grad) in stats.items():
        row = re.search(rf"^{activation}\s+{scheme}\s+(.*)$", printed, re.M)
        assert row, (activation, scheme)
        values = [float(v) for v in row.group(1).split()]
        np.testing.assert_allclose(values, [act[0], act[4], act[9], grad[0], grad[9], grad[0] / grad[9]], rtol=5e-3)


def test_tanh_with_standard_normal_weights_saturates_and_its_gradient_explodes_backwards(init_run):
    text, _, stats = init_run
    spread, ratio = said(r"spread of about ([\d.]+): nearly all of them sit at ±1.*?layer 1's weight gradient is "
                         r"about ([\d ]+) times layer 10's", text)
    act, grad = stats["tanh", "normal"]
    assert np.all(np.abs(act - float(spread)) < 0.01)
    assert grad[0] / grad[-1] == pytest.approx(float(ratio.replace(" ", "")), rel=0.03)
    assert np.all(np.diff(grad) < 0), "growing layer after layer on the way back"


def test_tanh_xavier_keeps_gradients_steady_while_activations_shrink(init_run):
    text, printed, stats = init_run
    factor, first, last = said(r"tanh, Xavier:\*\* the weight gradients of all ten layers are within a factor "
                               r"([\d.]+) of each other\. The activations shrink slowly, from ([\d.]+) to ([\d.]+)", text)
    act, grad = stats["tanh", "xavier"]
    assert grad.max() / grad.min() <= float(factor) + 0.005
    assert (round(act[0], 2), round(act[-1], 2)) == (float(first), float(last))
    assert np.all(np.diff(act) < 0)
    assert f"largest / smallest weight-gradient std {grad.max() / grad.min():.2f}" in printed


def test_tanh_he_settles(init_run):
    text, _, stats = init_run
    (level,) = said(r"tanh, He:\*\* a little more variance, and the activations settle at about (\d\.\d+)", text)
    act, _ = stats["tanh", "he"]
    assert np.all(np.abs(act[3:] - float(level)) < 0.025) and act[0] > act[-1]


def test_relu_standard_normal_explodes(init_run):
    text, _, stats = init_run
    fold, power, grad_power = said(r"activations grow about (\w+)fold per layer.*?to about \$10\^\{(\d+)\}\$ at layer "
                                   r"10: exploding, and the weight gradients are about \$10\^(\d+)\$", text)
    act, grad = stats["ReLU", "normal"]
    per_layer = (act[-1] / act[0]) ** (1 / 9)
    assert {"eleven": 11}[fold] == round(per_layer)
    assert round(np.log10(act[-1])) == int(power)
    assert np.all(np.round(np.log10(grad)) == int(grad_power))
    assert np.sqrt(256) == 16, "the spread of z grows 16-fold with 256 inputs"


def test_relu_xavier_vanishes_by_one_over_root_two(init_run):
    text, _, stats = init_run
    (last,) = said(r"shrinks by about \$1/\\sqrt 2\$ per layer, to ([\d.]+) at layer 10: vanishing", text)
    act, _ = stats["ReLU", "xavier"]
    assert (act[-1] / act[0]) ** (1 / 9) == pytest.approx(1 / np.sqrt(2), abs=0.02)
    assert round(act[-1], 3) == float(last)


def test_relu_he_is_steady(init_run):
    text, printed, stats = init_run
    low, high = said(r"ReLU, He:\*\* steady: the activations' spread stays between ([\d.]+) and ([\d.]+)", text)
    act, grad = stats["ReLU", "he"]
    assert (round(act.min(), 2), round(act.max(), 2)) == (float(low), float(high))
    assert f"from {act.min():.2f} to {act.max():.2f}" in printed
    assert grad[0] / grad[-1] == pytest.approx(1, abs=0.05), "layer 1 and layer 10 the same size"


def test_relu_weight_gradients_are_flat_for_every_scheme_and_only_their_size_differs(init_run):
    text, _, stats = init_run
    assert "For ReLU the two cancel" in text
    normal, xavier, he = said(r"the same wrong size, about \$10\^(\d+)\$ with standard normal weights and ([\d.]+) with "
                              r"Xavier, against ([\d.]+) with He", text)
    for scheme in ("normal", "xavier", "he"):
        grad = stats["ReLU", scheme][1]
        assert grad.max() / grad.min() < 1.15, scheme
    assert np.all(np.round(np.log10(stats["ReLU", "normal"][1])) == int(normal))
    assert np.all(np.round(stats["ReLU", "xavier"][1], 3) == float(xavier))
    assert np.all(np.round(stats["ReLU", "he"][1], 2) == float(he))


def test_the_schemes_are_those_section_8_used():
    """'1/sqrt(d) is Xavier's for a square layer, sqrt(2/d) He's.'"""
    d = 16
    assert np.sqrt(2 / (d + d)) == pytest.approx(1 / np.sqrt(d))


def test_the_valley_caps_plain_gradient_descent_at_0_2(race_run):
    text, _ = race_run
    said(r"f\(x, y\) = \\tfrac12\(0\.1\\,x\^2 \+ 10\\,y\^2\)", text)
    said(r"Above \$\\eta = 0\.2\$ the first factor is below \$-1\$.*?\$x\$ shrinks by less than 2% per step", text)
    from course import race
    assert list(race.CURVATURE) == [0.1, 10.0] and list(race.START) == [-4.0, 1.0]
    assert 1 - 10 * 0.2 == -1 and 0.1 * 0.2 == pytest.approx(0.02)


def test_the_race_numbers_are_the_printed_ones(race_run):
    text, printed = race_run
    x, sgd_loss = said(r"plain gradient descent is still at \$x = (-[\d.]+)\$ after 100 steps \(loss ([\d.]+)\)", text)
    assert f"lr 0.15: SGD      ends at ({x}, 0.00), loss {sgd_loss}" in printed
    (power,) = said(r"Momentum reaches a loss below \$10\^\{(-\d+)\}\$", text)
    momentum = float(re.search(r"lr 0.15: momentum ends at .*?loss (\S+)", printed).group(1))
    assert momentum < 10.0 ** int(power)
    (rms,) = said(r"ends hopping across the valley near the minimum \(loss ([\d.]+)\)", text)
    rms_line = re.search(r"lr 0.15: RMSProp  ends at \((\S+), (\S+)\), loss (\S+)", printed)
    assert float(rms_line.group(1)) == 0.0 and rms_line.group(3) == rms
    assert "lr 0.21: SGD      diverged" in printed
    (momentum_21,) = said(r"Momentum still converges \(loss \$([\d.]+) \\times 10\^\{-5\}\$\)", text)
    assert f"lr 0.21: momentum ends at (-0.01, 0.00), loss {momentum_21}e-05" in printed
    (rms_21,) = said(r"but it still hops about the minimum \(loss ([\d.]+)\)", text)
    assert re.search(rf"lr 0.21: RMSProp  ends at .*?loss {rms_21}$", printed, re.M)


def test_the_other_momentum_conventions_take_the_same_steps():
    """The text: the averaged convention with lr / (1 - beta), and v = beta v - lr g with param + v."""
    from course import race
    from grader.xor_training import momentum_step
    lr, beta = 0.05, 0.9
    ours, v = race.START.copy(), 0.0
    ema, v_ema, sut, v_sut = ours.copy(), 0.0, ours.copy(), 0.0
    for _ in range(50):
        ours, v = momentum_step(ours, race.gradient(ours), v, lr, beta)
        v_ema = beta * v_ema + (1 - beta) * race.gradient(ema)
        ema = ema - lr / (1 - beta) * v_ema
        v_sut = beta * v_sut - lr * race.gradient(sut)
        sut = sut + v_sut
    np.testing.assert_allclose(ema, ours, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sut, ours, rtol=1e-9, atol=1e-12)


def test_the_rates_the_text_calls_marks_are_on_the_race_slider(race_run):
    from course.widgets import OptimiserRace
    text, _ = race_run
    assert "it moves to the slider's nearest mark (0.15, 0.19 and 0.21 are marks)" in text
    exponents = np.arange(OptimiserRace.LR_RANGE[0], OptimiserRace.LR_RANGE[1] + 1e-9, OptimiserRace.LR_STEP)
    assert {0.15, 0.19, 0.21} <= {float(f"{10 ** e:.2g}") for e in exponents}
    assert OptimiserRace.START_LR == 0.15 and "At 0.15" in text
