"""Notebook 05's Adam section: Adam as momentum + RMSProp + bias correction, and the optimiser
race with Adam, against a fresh run of the race cell (found by its code, not its section number)."""
import re

import numpy as np
import pytest

from course.checks import using_your_code
from grader.fine_tuning import adam_step
from tests.notebook_text import code_cell, markdown, run_cell

NAME = "05_fine_tuning"


def flat() -> str:
    return re.sub(r"\s+", " ", markdown(NAME))


@pytest.fixture(scope="module")
def printed():
    from grader.solutions.xor_training import momentum_step, rmsprop_step
    return run_cell(code_cell(NAME, "race.race("), {"np": np, "adam_step": adam_step, "momentum_step": momentum_step,
                                                   "rmsprop_step": rmsprop_step, "using_your_code": using_your_code})


def test_adam_is_said_to_be_momentum_plus_rmsprop_plus_bias_correction():
    text = flat()
    for phrase in ("Adam is notebook 04's two optimisers in one, plus a correction",
                   "**momentum's** running average of the gradients, $m$",
                   "**RMSProp's** running average of the squared gradients, $v$",
                   "a **bias correction** for both, because both start at 0"):
        assert phrase in text, phrase


def test_adams_m_is_momentums_averaged_convention_and_v_is_rmsprops_sq():
    """With bias correction switched off by a large t, Adam's m and v after a step are the
    averaged-convention momentum's velocity and RMSProp's sq with beta2."""
    from grader.solutions.xor_training import rmsprop_step
    rng = np.random.default_rng(0)
    param, grad, m, v = rng.normal(size=(4, 3, 2))
    v = np.abs(v)
    _, m_new, v_new = adam_step(param, grad, m, v, 5, lr=0.01, beta1=0.8, beta2=0.95)
    np.testing.assert_allclose(m_new, 0.8 * m + 0.2 * grad)
    np.testing.assert_allclose(v_new, rmsprop_step(param, grad, v, 0.01, beta=0.95)[1])


def test_the_race_numbers_are_the_printed_ones(printed):
    text = flat()
    rms_y, rms_loss, adam_y, adam_loss, momentum_loss = re.search(
        r"its \$\|y\|\$ reaches ([\d.]+) over the last 20 steps, loss ([\d.]+)\), while Adam has settled \(([\d.]+), "
        r"loss \$([\d.]+) \\times 10\^\{-6\}\$, about momentum's \$([\d.]+) \\times 10\^\{-6\}\$\)", text).groups()
    rows = {m.group(1): m.groups()[1:] for m in re.finditer(
        r"^(\S+)\s+ends at \((\S+), (\S+)\), loss (\S+); largest \|y\| over its last 20 steps (\S+)$", printed, re.M)}
    assert set(rows) == {"SGD", "momentum", "RMSProp", "Adam"}
    assert rows["RMSProp"][2] == rms_loss and float(rows["RMSProp"][3]) == pytest.approx(float(rms_y), abs=0.005)
    assert rows["Adam"][2] == f"{adam_loss}e-06" and rows["Adam"][3] == adam_y
    assert rows["momentum"][2] == f"{momentum_loss}e-06"
    assert "learning rate 0.15" in text and "0.15, 0.9, 100)" in code_cell(NAME, "race.race(")


def test_adams_first_steps_are_about_the_learning_rate_long_in_both_directions():
    from course import race
    points, _ = race.path(race.steppers(adam_step=adam_step)["Adam"], 0.15, 0.9, 3)
    np.testing.assert_allclose(np.abs(np.diff(points, axis=0)[0]), 0.15, rtol=1e-6)
