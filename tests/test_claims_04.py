"""Notebook 04's text against a fresh run of its own cells: every number or comparison the
markdown states is parsed from authoring/04_xor_training.py and checked against what the
code beside it computes, within tolerances (training runs differ in the last digits across
CPUs). Each section's cells run once per module, in-process (setup, the solutions, then the
section's demonstration cells); the widget cell is not run."""
import contextlib
import io
import re

import matplotlib
import nbformat
import numpy as np
import pytest

from tools.build import ROOT, parse

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402  (after choosing the backend)

NAME = "04_xor_training"
NB = parse(ROOT / "authoring" / f"{NAME}.py")


def kind(cell):
    meta = cell.metadata.get("nbgrader", {})
    return "test" if meta.get("grade") else "solution" if meta.get("solution") else cell.cell_type


def sections():
    """{'1': [cells], ..., 'Summary': [...]}: each '## N · title' markdown heading and the cells up to the next."""
    out, current = {"intro": []}, "intro"
    for cell in NB.cells:
        head = re.match(r"## (\d+|Summary)\b", cell.source) if cell.cell_type == "markdown" else None
        if head:
            current = head.group(1)
            out[current] = []
        out[current].append(cell)
    return out


SECTIONS = sections()


def text(section):
    """The section's markdown, on one line (the authoring file wraps it anywhere)."""
    return " ".join(" ".join(c.source.split()) for c in SECTIONS[section] if c.cell_type == "markdown")


def code(section):
    return "\n".join(c.source for c in SECTIONS[section] if c.cell_type == "code" and kind(c) == "code")


def number(pattern, where):
    found = re.search(pattern, where)
    assert found, f"the text no longer says {pattern!r}"
    return float(found.group(1).replace(" ", ""))


class Run:
    """The notebook's setup and solution cells, then the demonstration cells of the sections
    asked for, in one namespace; `printed[section]` is what their cells printed."""

    def __init__(self):
        self.ns, self.printed, self.done = {}, {}, set()
        for cell in NB.cells:
            if kind(cell) == "solution" or cell.metadata.get("nbgrader", {}).get("grade_id") == "setup":
                exec(cell.source, self.ns)
        exec("import matplotlib.pyplot as plt", self.ns)

    def section(self, *names):
        for name in names:
            if name in self.done:
                continue
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(code(name), self.ns)
            matplotlib.pyplot.close("all")
            self.printed[name] = out.getvalue()
            self.done.add(name)
        return self.ns


@pytest.fixture(scope="module")
def nb():
    return Run()


# --- the numbers the text gives for the course itself --------------------------------

def test_the_points_in_the_text_are_the_graded_cells_points():
    points = {c.metadata.nbgrader["grade_id"].removeprefix("test_"): c.metadata.nbgrader["points"]
              for c in NB.cells if kind(c) == "test"}
    table = dict(re.findall(r"\|\s*\d+\s*\|\s*`(\w+)\(.*?\|\s*(\d+)\s*\|", NB.cells[0].source))
    assert {k: int(v) for k, v in table.items()} == points
    exercise = text("3")
    parts = re.search(r"Exercise 3\.1 \(([\d +]+) points\)", exercise).group(1)
    assert [int(p) for p in parts.split("+")] == [points["init_layers"], points["gradient_descent_step"],
                                                  points["predict"]]
    assert number(r"Exercise 4\.1 \((\d+) points\)", text("4")) == points["train"]


def test_each_exercise_is_numbered_after_its_section_once():
    """"Exercise 9.1" is in §9: numbers left over from a renumbering of the sections fail here."""
    seen = []
    for number_, cells in sections().items():
        for cell in cells:
            if cell.cell_type == "markdown":
                for section, part in re.findall(r"\*\*Exercise (\d+)\.(\d+)", cell.source):
                    assert section == number_, f"Exercise {section}.{part} is in §{number_}"
                    seen.append((section, part))
    assert len(seen) == len(set(seen)) and ("14", "1") in seen and ("12", "2") in seen


def test_every_exercise_has_give_away_formulas_and_its_docstring_states_none():
    import ast

    from grader.xor_training import FORMULAS
    solutions = [c for c in NB.cells if kind(c) == "solution"]
    functions = {n.name: n for c in solutions for n in ast.parse(c.source).body if isinstance(n, ast.FunctionDef)}
    assert set(FORMULAS) == set(functions)
    for name, node in functions.items():
        doc = re.sub(r"\s+", "", ast.get_docstring(node)).lower()
        assert not [p for p in FORMULAS[name] if re.search(p, doc, re.IGNORECASE)], name
        body = re.sub(r"\s+", "", ast.unparse(node.body[1:])).lower()     # the solution itself
        assert any(re.search(p, body, re.IGNORECASE) for p in FORMULAS[name]), f"{name}: no pattern finds the answer"


# --- §1, §2 and the summary: the classic program -------------------------------------

def test_the_classic_programs_settings_are_the_ones_the_text_names(nb):
    import inspect
    ns = nb.section("1")
    said = text("1")
    sizes = re.search(r"trains a (\d)-(\d)-(\d) network", said).groups()
    _, w1, w2 = ns["classic_xor"](epochs=1)
    assert [int(s) for s in sizes] == [w1.shape[0], w1.shape[1], w2.shape[1]]
    defaults = inspect.signature(ns["classic_xor"]).parameters
    assert number(r"learning rate (\d\.\d+)", said) == defaults["lr"].default
    assert number(r"([\d ]+) epochs", said) == defaults["epochs"].default


def test_what_section_2_says_of_the_classic_output_is_what_it_prints(nb):
    ns = nb.section("1", "2")
    out = ns["output_classic"].ravel()             # (0,0), (0,1), (1,0), (1,1)
    said = text("2")
    assert np.array_equal(out.round(), [0, 1, 1, 0]) and "Rounded, it is XOR" in said
    assert number(r"\$\(1,1\)\$ gets \$(0\.\d+)\$", said) == pytest.approx(out[3], abs=5e-4)
    assert number(r"\$\(0,0\)\$ gets \$(0\.\d+)\$", said) == pytest.approx(out[0], abs=5e-4)
    high, low = re.search(r"of (\d+)% and (\d+)% for two points", said).groups()
    assert (int(high), int(low)) == (round(100 * out[3]), round(100 * out[0]))
    assert number(r"only (\d+)% for the two", said) == round(100 * out[1]) == round(100 * out[2])
    summary = text("Summary")
    low, high = re.search(r"unsure \((\d+)–(\d+)%\)", summary).groups()
    assert (int(low), int(high)) == (round(100 * out.min()), round(100 * out.max()))


def test_too_little_training_not_the_missing_biases_holds_the_classic_program_back(nb):
    ns = nb.section("1", "2")
    longer, ce = ns["longer"].ravel(), ns["cross_entropy"].ravel()
    said = text("2")
    quoted = [float(v) for v in re.search(
        r"gives \$\(0,0\)\$ \$(0\.\d+)\$ and \$\(1,1\)\$ \$(0\.\d+)\$, and the two class-1 points \$(0\.\d+)\$",
        said).groups()]
    assert quoted == pytest.approx([longer[0], longer[3], longer[1]], abs=1e-3)
    assert longer[1] == pytest.approx(longer[2], abs=1e-3)
    quoted = [float(v) for v in re.search(
        r"already reach \$(0\.\d+)\$, \$(0\.\d+)\$, \$(0\.\d+)\$, \$(0\.\d+)\$", said).groups()]
    assert quoted == pytest.approx(ce, abs=1e-3)
    assert number(r"gets down to \$(0\.\d+)\$", said) == pytest.approx(longer[0], abs=1e-3)
    # "learning rate 1.0 for 10 000 epochs ... 100 000 epochs at 0.1 give the same outputs to three decimals"
    assert "100 000 epochs at 0.1 give the same outputs to three decimals" in said
    slow, *_ = ns["classic_xor"](epochs=100_000, lr=0.1)
    assert np.abs(slow.ravel() - longer).max() < 1e-3
    summary = text("Summary")
    lo0, hi0, lo1, hi1 = (float(v) for v in re.search(
        r"reaches (0\.\d+)–(0\.\d+) and (0\.\d+)–(0\.\d+)", summary).groups())
    zeros = np.concatenate([longer[[0, 3]], ce[[0, 3]]])
    ones = np.concatenate([longer[[1, 2]], ce[[1, 2]]])
    assert round(zeros.min(), 2) == lo0 and round(zeros.max(), 2) == hi0
    assert round(ones.min(), 2) == lo1 and round(ones.max(), 2) == hi1
    assert "trains for 1 500 epochs" in said and "epochs=1500" in code("5")
    assert "classic_xor(lr=1.0)" in code("2") and "classic_xor(loss=\"cross-entropy\")" in code("2")


# --- §5 ----------------------------------------------------------------------------

def test_the_course_network_has_the_classic_architecture_and_is_within_the_stated_distance(nb):
    ns = nb.section("1", "5")
    classic = re.search(r"trains a (\d-\d-\d) network", text("1")).group(1)
    said = text("5")
    assert re.search(r"The same architecture, (\d-\d-\d)", said).group(1) == classic
    sizes = re.search(r"train\(X_xor, y_xor, \[(\d), (\d), (\d)\], lr=([\d.]+), epochs=(\d+)", code("5")).groups()
    assert "-".join(sizes[:3]) == classic
    assert number(r"learning rate (\d+), 1 500 epochs", said) == float(sizes[3]) and int(sizes[4]) == 1500
    worst = np.max(np.abs(ns["ours"] - ns["y_xor"].ravel()))
    assert worst < number(r"within (0\.\d+) of its label", said)
    assert number(r"learning rate \d+ is ([\d.]+) per point", said) == float(sizes[3]) / 4
    assert "worst distance from the right label" in nb.printed["5"]


# --- §6 ----------------------------------------------------------------------------

def test_each_learning_rate_does_what_its_bullet_says(nb):
    ns = nb.section("6")
    said = text("6")
    named = [float(v) for v in re.findall(r"\*\*[A-Za-z ]+ \(([\d.]+)\):\*\*", said)]
    assert named == list(ns["rates"])
    small, right, large, huge = (np.asarray(ns["runs_lr"][lr][1]) for lr in named)
    assert "1 000 epochs" in said and all(len(h) == 1000 for h in (small, right, large, huge))
    assert "The same 2-2-1 network from the same seed" in said and "[2, 2, 1]" in code("6") and "seed=0" in code("6")
    # too small: still at log 2 after 1000 epochs
    assert abs(small[-1] - np.log(2)) < 0.005 and np.all(np.abs(small - np.log(2)) < 0.01)
    # about right: a few hundred epochs on the plateau, then below the stated loss
    leaves = int(np.argmax(right < 0.6))
    assert 100 <= leaves < 1000 and right[-1] < number(r"ending below (0\.\d+)", said)
    # too large: up on about half the epochs, ends above where it started
    rises = np.mean(np.diff(large) > 0)
    assert "about half of the epochs" in said and 0.35 < rises < 0.65 and large[-1] > large[0]
    # far too large: answers 0 everywhere, frozen at the clipped loss
    from grader.solutions.loss_functions import EPS
    layers = ns["runs_lr"][named[3]][0]
    assert np.all(ns["mlp_forward"](ns["X_xor"], layers)[-1] < 0.01)
    assert number(r"freezes at \$([\d.]+)\$", said) == pytest.approx(huge[-1], abs=0.05)
    assert number(r"costs \$-\\log 10\^\{-12\} \\approx ([\d.]+)\$", said) == pytest.approx(-np.log(EPS), abs=0.05)
    assert "10^{-12}" in said and EPS == 1e-12
    assert np.ptp(huge[100:]) < 1e-6 and huge[-1] == pytest.approx(-np.log(EPS) * np.mean(ns["y_xor"]), abs=1e-3)


# --- §7 ----------------------------------------------------------------------------

def test_two_hidden_units_get_stuck_on_a_plateau_not_in_a_minimum(nb):
    ns = nb.section("7")
    said, source = text("7"), code("7")
    assert "Twenty seeds for each of 2, 3 and 8 hidden units, 500 epochs at learning rate 5" in said
    assert "range(20)" in source and "(2, 3, 8)" in source and "lr=5.0, epochs=500" in source
    solved = ns["solved"]
    assert solved[2] < 20 and solved[3] == solved[8] == 20, solved
    assert "with 3 or 8, none of these twenty does" in said
    assert "5 000 epochs" in said and "epochs=5000" in source
    plateau, y = ns["plateau"], ns["y_xor"].ravel()
    assert set(plateau) == set(ns["stuck_2"]) and plateau
    floor = number(r"\\approx ([\d.]+)\$, the loss of two answers of 0\.5", said)
    assert floor == pytest.approx(np.log(2) / 2, abs=1e-4)
    for seed, p in plateau.items():
        (l500, l5000), (g500, g5000) = p["loss"], p["grad"]
        assert floor - 1e-4 < l5000 < l500 < floor + 0.01, (seed, p)      # creeping down towards log(2)/2
        assert p["falling"] and g500 / g5000 > 10, (seed, p)              # "shrinks by an order of magnitude"
        layers = ns["train"](ns["X_xor"], ns["y_xor"], [2, 2, 1], 5.0, 5000, seed)[0]
        hidden, out = (a for a in ns["mlp_forward"](ns["X_xor"], layers)[1:])
        out = out.ravel()
        unsolved = np.abs(out - 0.5) < 0.01
        assert unsolved.sum() == 2 and np.all(np.abs(out[~unsolved] - y[~unsolved]) < 0.01)
        assert set(y[unsolved]) == {0.0, 1.0}, "two points with different labels"
        a, b = hidden[unsolved]
        assert np.abs(a - b).max() < 0.01 and np.all(np.minimum(a, 1 - a) < 0.01), (seed, hidden)


# --- §8, §10 -----------------------------------------------------------------------

def test_sigmoid_layers_starve_and_relu_layers_do_not(nb):
    ns = nb.section("8")
    said = text("8")
    depth, width = (int(v) for v in re.search(r"a (\d+)-layer network of width (\d+)", said).groups())
    assert (ns["depth"], ns["width"]) == (depth, width)
    assert r"$1/\sqrt{d}$ for sigmoid, $\sqrt{2/d}$ for ReLU" in said
    assert "deep_net(1 / np.sqrt(width))" in code("8") and "deep_net(np.sqrt(2 / width))" in code("8")
    sig, relu = ns["sig_norms"], ns["relu_norms"]
    assert "orders of magnitude smaller" in said and sig[-1] / sig[0] > 100
    assert "comparable size" in said and 0.2 < relu[-1] / relu[0] < 5
    assert re.search(r"sigmoid \d+x, ReLU [\d.]+x", nb.printed["8"])


def test_the_regression_network_memorises_its_target(nb):
    ns = nb.section("10")
    said, source = text("10"), code("10")
    assert number(r"\$x = \(0\.6, 0\.4\)\$, target \$(0\.\d+)\$", said) == ns["Y3"][0, 0] == 0.875
    assert number(r"learning rate (\d\.\d+)", said) == 0.5 and "pred - Y3), 0.5)" in source
    assert number(r"(\d+) epochs, logging every", said) == 501 == len(ns["log3"])
    assert number(r"logging every (\d+)", said) == 20 and "log3[::20]" in source
    predictions = np.array([p for _, p, _ in ns["log3"]])
    assert np.all(np.diff(predictions) > 0), "the prediction climbs"
    assert abs(predictions[-1] - 0.875) < 1e-3 and ns["log3"][-1][2] < 1e-6


# --- §11 ---------------------------------------------------------------------------

def test_mini_batches_against_the_full_batch_as_the_text_says(nb):
    ns = nb.section("11")
    said, source = text("11"), code("11")
    assert "256 noisy XOR points to train on and 256 more" in said
    assert "make_xor_cloud(256, seed=1)" in source and "make_xor_cloud(256, seed=2)" in source
    assert "a 2-8-1 network, 40 epochs" in said and "[2, 8, 1]" in source and "epochs=40" in source
    assert "batches of 16 (16 steps per epoch)" in said and "(256, 16)" in source
    grid = [float(v) for v in re.search(r"we try (\d+), (\d+), (\d+), (\d+) and (\d+)", said).groups()]
    assert grid == list(ns["rates_mb"])
    fits, best = ns["fits"], ns["best"]
    assert all(len(fits[b][lr][0]) == 40 * 256 // b for b in (256, 16) for lr in grid)
    full_train, full_val = fits[256][best[256]]
    mini_train, mini_val = fits[16][best[16]]
    assert "more than ten times lower" in said and mini_val[-1] * 10 < full_val[-1]
    assert full_val[-1] > number(r"still above (0\.\d+)", said)
    mini_rises = np.mean(np.diff(mini_train) > 0)
    assert "after about a third of the steps" in said and 0.2 < mini_rises < 0.45
    full_rises = int(np.sum(np.diff(full_train) > 0))
    stated, steps = (int(v) for v in re.search(r"went up after only (\d+) of its (\d+) steps", said).groups())
    assert steps == len(full_train) - 1 and abs(full_rises - stated) <= 2
    assert full_val[-1] < full_val[0] and mini_val[-1] < mini_val[0]
    assert mini_val[-1] > mini_train[-1]
    assert "Learning rate 16 is too large for both" in said
    assert fits[256][16.0][1][-1] > 1 and fits[16][16.0][1][-1] > 1
    assert best[256] != 16.0 and best[16] != 16.0


# --- §13: what the trainer shows for §7's stuck seeds ---------------------------------

def test_the_stuck_seeds_stay_stuck_in_the_trainer_and_three_units_free_them(nb):
    from course import widgets
    ns = nb.section("7")
    said = text("13")
    trainer = widgets.xor_trainer(ns["train"], ns["predict"], ns["mlp_forward"])
    lr, epochs = trainer.controls["lr"].value, trainer.controls["epochs"].value
    assert lr == number(r"starting learning rate (\d+)", said) and epochs == number(r"and ([\d ]+) epochs", said)
    X, y = ns["X_xor"], ns["y_xor"]
    for seed in ns["stuck_2"]:
        assert seed <= trainer.controls["seed"].max
        two = ns["train"](X, y, [2, 2, 1], lr, epochs, seed)[0]
        three = ns["train"](X, y, [2, 3, 1], lr, epochs, seed)[0]
        assert not np.all(ns["predict"](two, X) == y) and np.all(ns["predict"](three, X) == y), seed
    matplotlib.pyplot.close("all")
