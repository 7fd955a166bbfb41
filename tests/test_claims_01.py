"""Every number and comparison the text of 01_forward_pass states, recomputed (issue #13 §5).

Each test reads the claim from the authoring notebook's text and recomputes it with the
course's reference functions; the slow test runs the solutions notebook and reads what it
prints.
"""
import re
import warnings

import matplotlib
import numpy as np
import pytest

from course import data, plots
from grader.solutions import forward_pass
from grader import forward_pass as ref
from tests.notebook_text import (assert_points_agree, code_cell, markdown, printed_by_solutions, run_cell, said,
                                 section)

matplotlib.use("agg")
NAME = "01_forward_pass"


def test_the_points_table_and_the_exercises_state_the_points_the_tests_give():
    assert_points_agree(NAME)


def test_the_largest_float64_and_the_overflow_of_exp():
    mantissa, exponent, log = said(r"largest is about \$([\d.]+) \\times 10\^\{(\d+)\} \\approx e\^\{([\d.]+)\}\$",
                                   section(NAME, 2))
    big = np.finfo(np.float64).max
    assert f"{big:.1e}" == f"{mantissa}e+{exponent}"
    assert round(np.log(big), 1) == float(log)
    z, = said(r"\$e\^\{-z\} = e\^\{(\d+)\}\$ does not fit", section(NAME, 2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert np.exp(float(z)) == np.inf
    assert any("overflow" in str(w.message) for w in caught), "NumPy warns of an overflow"
    with np.errstate(all="ignore"):                            # §6: inf / inf is NaN
        assert np.isnan(np.exp(1000.0) / np.exp(1000.0))


def test_the_neuron_explorer_experiments_do_what_section_4_says():
    text = section(NAME, 4)
    said(r"double both weights: the line stays, the transition gets sharper", text)
    said(r"change only \$b\$: the line moves parallel to itself", text)
    said(r"make \$w_2 = 0\$: the line stands vertical", text)
    w, b = np.array([1.5, -0.5]), 0.4
    t = np.linspace(-2, 2, 5)
    on_line = np.column_stack([t, -(w[0] * t + b) / w[1]])         # points where w.x + b = 0
    assert np.allclose(on_line @ (2 * w) + 2 * b, 0), "doubling w and b keeps the line"
    slope = lambda w: (forward_pass.sigmoid(1e-4 * np.linalg.norm(w)) - forward_pass.sigmoid(-1e-4 * np.linalg.norm(w))) / 2e-4
    assert np.isclose(slope(2 * w), 2 * slope(w), rtol=1e-4), "doubled weights: twice as steep across the line"
    moved = on_line + np.array([0.0, -0.7 / w[1]])              # b -> b + 0.7 shifts every point the same
    assert np.allclose(moved @ w + b + 0.7, 0), "a new b: a parallel line"
    w0 = np.array([1.5, 0.0])
    points_ = np.array([[-b / w0[0], x2_] for x2_ in (-3.0, 0.0, 3.0)])
    assert np.allclose(points_ @ w0 + b, 0), "w2 = 0: the line is x1 = -b/w1 whatever x2"


def _test_cell_namespace():
    return {"np": np, "run": lambda f, *a, **k: f(*a, **k), "call": lambda f, *a, what, **k: (f(*a, **k), []),
            "check_array": lambda *a, **k: None, "check_sequence": lambda *a, **k: None,
            "check_true": lambda *a, **k: None, "sigmoid": forward_pass.sigmoid, "relu": forward_pass.relu,
            "dense_forward": forward_pass.dense_forward, "softmax": forward_pass.softmax, "mlp_forward": forward_pass.mlp_forward,
            "predict_spam": ref.predict_spam}


def _visible(source: str) -> str:
    return source.split("### END HIDDEN TESTS")[-1]


def test_the_values_written_beside_the_test_examples():
    ns = _test_cell_namespace()
    run_cell(_visible(code_cell(NAME, "Z1 = X @ layers[0][0]")), ns)
    z1, = said(r"Z1 = X @ layers\[0\]\[0\] \+ layers\[0\]\[1\] # (\[\[.*?\]\])", code_cell(NAME, "Z1 = X @"))
    assert np.allclose(ns["Z1"], eval(z1))
    ns = _test_cell_namespace()
    source = code_cell(NAME, "p = 1 / (1 + np.exp(-(X @ w + 0.5)))")
    run_cell(_visible(source), ns)
    p, = said(r"# (\[[\d., ]+\])", source)
    assert np.allclose(ns["p"], eval(p), atol=5e-4)
    ns = {"np": np}                                          # §1: the neuron "leans towards no"
    printed = run_cell(code_cell(NAME, "z = x @ w + b"), ns)
    value, = said(r"# (-?[\d.]+): this neuron leans towards \"no\"", code_cell(NAME, "z = x @ w + b"))
    assert np.isclose(ns["z"], float(value)) and ns["z"] < 0 and printed.strip() == f"z = {ns['z']}"


def test_the_spam_data_is_what_section_9_says():
    text = section(NAME, 9)
    n_words, = said(r"a vector of (\d+) word frequencies", text)
    vocabulary_size, = said(r"over a (\d+)-word vocabulary", text)
    X, y = data.make_spam_emails(500, seed=0)
    w, b = data.spam_detector()
    assert X.shape[1] == w.shape[0] == len(data.spam_vocabulary()) == int(n_words) == int(vocabulary_size)
    assert np.allclose(X.sum(axis=1), 1), "each row is one email's word frequencies"
    threshold, = said(r"if the output is > ([\d.]+), it's spam", text)
    assert float(threshold) == 0.5 and ref.predict_spam.__defaults__ == (0.5,)


def _lengths(X):
    """Each simulated email's length: the smallest count that makes its frequencies whole."""
    out = []
    for row in X:
        smallest = row[row > 0].min()                       # some count k over the length: try k = 1, 2, ...
        out.append(next(n for n in (round(k / smallest) for k in range(1, 50))
                        if np.allclose(row * n, np.round(row * n), atol=1e-6)))
    return np.array(out)


def test_the_spam_weights_are_log_odds_of_the_generator_not_learned_ones():
    text = section(NAME, 9)
    said(r"\*\*They were not learned\*\*", text)
    said(r"each word's weight is its log-odds, .*? scaled to an email of average length, "
         r"and the bias is the log-odds of spam before reading a word", text)
    X, y = data.make_spam_emails(4000, seed=1)          # fresh emails, never seen by spam_detector
    counts = X * _lengths(X)[:, None]
    p_spam = (counts[y == 1].sum(axis=0) + 1) / (counts[y == 1].sum() + X.shape[1])
    p_ham = (counts[y == 0].sum(axis=0) + 1) / (counts[y == 0].sum() + X.shape[1])
    w, b = data.spam_detector()
    frequent = (counts.sum(axis=0) > 200)
    ratio = w[frequent] / np.log(p_spam / p_ham)[frequent]
    assert frequent.sum() > 50
    assert np.corrcoef(w[frequent], np.log(p_spam / p_ham)[frequent])[0, 1] > 0.97
    average_length = _lengths(X).mean()
    assert abs(np.median(ratio) - average_length) < 0.1 * average_length, "weights = average length x log-odds"
    assert abs(b - np.log(y.mean() / (1 - y.mean()))) < 0.1, "bias = log-odds of spam"


def test_raising_the_threshold_flags_fewer_real_emails_and_lets_more_spam_through():
    said(r"raise it and fewer real emails are flagged, at the price of more spam getting through", markdown(NAME))
    low, high = (float(t) for t in said(r"for threshold in \(([\d.]+), ([\d.]+)\)",
                                        code_cell(NAME, "for threshold in")))
    n, = said(r"Now the detector on all (\d+) emails", markdown(NAME))
    assert f"make_spam_emails({n}, seed=0)" in code_cell(NAME, "X_mail, y_mail = ")
    X, y = data.make_spam_emails(int(n), seed=0)
    w, b = data.spam_detector()
    flagged, caught = {}, {}
    for t in (low, high):
        labels = ref.predict_spam(X, w, b, t)
        flagged[t], caught[t] = np.sum((labels == 1) & (y == 0)), np.sum((labels == 1) & (y == 1))
    assert flagged[high] < flagged[low] and caught[high] < caught[low]


def test_the_network_explorer_colours_weights_as_the_text_says():
    positive, negative = said(r"line colours and widths the weights \((\w+) positive,\s*(\w+) negative",
                              markdown(NAME))
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    diagram = plots.NetworkDiagram(ax, (1, 2))
    diagram.update([np.zeros(1), np.zeros(2)], [np.array([[2.0, -2.0]])])
    (r_pos, _, b_pos, _), (r_neg, _, b_neg, _) = diagram.edges.get_colors()[:2]
    plt.close(fig)
    hue = lambda r, b: "orange" if r > b else "purple"
    assert (hue(r_pos, b_pos), hue(r_neg, b_neg)) == (positive, negative)


@pytest.fixture(scope="module")
def solutions_run():
    """The solutions notebook, run once for this module."""
    return printed_by_solutions(NAME)


@pytest.mark.slow
def test_what_the_solutions_notebook_prints_agrees_with_the_text(solutions_run):
    printed = next(out for src, out in solutions_run if "same numbers:" in src)
    assert "same numbers: True" in printed, "§8: the notes' notation and the course's give the same network"
    printed = next(out for src, out in solutions_run if "for threshold in" in src)
    rows = re.findall(r"spam caught (\d+)/\d+, real emails flagged (\d+)/", printed)
    (caught_low, flagged_low), (caught_high, flagged_high) = [tuple(map(int, row)) for row in rows]
    assert flagged_high < flagged_low and caught_high < caught_low
    printed = next(out for src, out in solutions_run if "z = x @ w + b" in src)
    value, = said(r"# (-?[\d.]+): this neuron", code_cell(NAME, "z = x @ w + b"))
    assert printed.strip() == f"z = {float(value)}"


def test_the_spam_weights_take_as_many_values_as_the_text_says():
    (count,) = said(r"so the weights take only (\w+) values", markdown(NAME))
    w, _ = data.spam_detector()
    assert {"two": 2, "three": 3, "four": 4}[count] == len(np.unique(w.round(2)))
