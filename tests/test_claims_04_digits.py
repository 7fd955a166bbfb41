"""Notebook 04's digits sections (the softmax network, the handwritten digits, overfitting,
L2 and early stopping, the digits explorer) against a fresh run of their own cells.

Sections are found by their titles, not their numbers (the numbers change when sections are
added before them). Training runs differ in the last digits across CPUs and BLAS kernels, so
the checks assert what the text says (a rise, a choice, a bound), with margins, not exact floats."""
import contextlib
import io
import re

import matplotlib
import numpy as np
import pytest

from tools.build import ROOT, parse

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402

NB = parse(ROOT / "authoring" / "04_xor_training.py")
TITLES = {"softmax": "Backprop through a softmax network", "gradcheck": "Checking it against numerical gradients",
          "digits": "A real task: handwritten digits", "overfit": "Overfitting a small training set",
          "remedies": "L2 and early stopping, chosen on validation data", "explorer": "The digits explorer"}


def _kind(cell):
    meta = cell.metadata.get("nbgrader", {})
    return "test" if meta.get("grade") else "solution" if meta.get("solution") else cell.cell_type


def _section(title):
    cells, inside = [], False
    for cell in NB.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            inside = re.match(rf"## [\w.]+ · {re.escape(title)}\s*$", cell.source.splitlines()[0]) is not None
        if inside:
            cells.append(cell)
    assert cells, f"no section titled {title!r}"
    return cells


def text(key):
    return " ".join(" ".join(c.source.split()) for c in _section(TITLES[key]) if c.cell_type == "markdown")


@pytest.fixture(scope="module")
def nb():
    """Setup and solution cells, then the demonstration cells of every digits section but the widget's."""
    ns, printed = {}, {}
    for cell in NB.cells:
        if _kind(cell) == "solution" or cell.metadata.get("nbgrader", {}).get("grade_id") == "setup":
            exec(cell.source, ns)
    exec("import matplotlib.pyplot as plt", ns)
    for key in ("gradcheck", "digits", "overfit", "remedies"):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            for cell in _section(TITLES[key]):
                if _kind(cell) == "code":
                    exec(cell.source, ns)
        matplotlib.pyplot.close("all")
        printed[key] = out.getvalue()
    ns["printed"] = printed
    return ns


def test_the_intro_table_lists_the_exercise_with_its_points():
    points = next(c.metadata.nbgrader["points"] for c in NB.cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") == "test_two_layer_softmax_backprop")
    row = re.search(r"\|\s*\d+\s*\|\s*`two_layer_softmax_backprop\(X, y, W1, b1, W2, b2, reg=0\.0\)`.*?\|\s*(\d+)\s*\|",
                    NB.cells[0].source)
    assert row and int(row.group(1)) == points
    assert re.search(rf"Exercise [\d.]+ \({points} points\)", text("softmax"))


def test_the_gradients_agree_with_numerical_ones_to_rounding(nb):
    assert "relative errors far below $10^{-7}$" in text("gradcheck")
    assert set(nb["gradient_errors"]) == {"W1", "b1", "W2", "b2"}
    assert max(nb["gradient_errors"].values()) < 1e-8


def test_the_digits_and_the_split_are_what_the_text_says(nb):
    said = text("digits")
    assert "1 797 handwritten digits" in said and len(nb["y_digits"]) == 1797
    sizes = [int(v) for v in re.search(r"into (\d+) test images, (\d+) validation images and (\d+) training", said).groups()]
    assert sizes == [len(nb["split"][part][1]) for part in ("test", "val", "train")]
    assert "{'train': 997, 'val': 400, 'test': 400}" in nb["printed"]["digits"]
    small = nb["small"]
    assert len(small["train"][1]) == 100 and np.array_equal(small["train"][0], nb["split"]["train"][0][:100])
    assert np.array_equal(small["val"][1], nb["split"]["val"][1]), "the same validation images for every size"


def test_a_small_training_set_overfits_as_described(nb):
    said = text("overfit")
    run = nb["overfit"]
    assert "100 training images and a network of 64 hidden units (over 4 000 weights)" in said
    assert 4000 < 64 * 64 + 64 * 10 < 5000
    assert "1 000 epochs at learning rate 1" in said and nb["EPOCHS_SMALL"] == 1000 and nb["LR"] == 1.0
    perfect = int(np.argmax(run["train_acc"] == 1.0))
    assert "Within a few dozen epochs every training image is classified correctly" in said
    assert 0 < perfect < 100 and run["train_acc"][-1] == 1.0 and np.mean(run["train_acc"][perfect:] == 1.0) > 0.95
    assert run["train_loss"][-1] < 0.01
    near = float(re.search(r"validation accuracy stays near (\d+)%", said).group(1)) / 100
    assert abs(run["val_acc"][-1] - near) < 0.02 and run["val_acc"].max() < near + 0.03
    best = run["best_epoch"]
    assert "reaches its lowest point early" in said and best < 0.2 * len(run["val_loss"])
    assert "by more than 10%" in said and run["val_loss"][-1] > 1.1 * run["val_loss"][best]
    assert f"at epoch {best}" in nb["printed"]["overfit"]


def test_the_overfitting_figure_shows_every_epoch_and_the_rise(nb):
    """Every panel spans epoch 0 to the last, and the validation loss's rise after its best epoch,
    the point of the figure, is plain in the middle panel: there it takes more than half the
    height, where on the left (which the text calls a thin slope) it takes under 5%."""
    run = nb["overfit"]
    fig = nb["show_curves"](run, "x")
    said = text("overfit")
    try:
        last = len(run["train_loss"]) - 1
        for ax in fig.axes:
            low, high = ax.get_xlim()
            assert low <= 0 and high >= last, (low, high)
            assert high - low < 1.2 * last  # the curves fill the width
        left, middle, _ = fig.axes
        val, best = run["val_loss"], run["best_epoch"]
        rise = val[best:].max() - val[best]

        def share(ax):
            low, high = ax.get_ylim()
            assert low <= val[best] and val[best:].max() <= high, "the curve after its best epoch is in the frame"
            return rise / (high - low)

        assert share(middle) > 0.5 and share(left) < 0.05
        assert "that rise is a thin slope; the middle panel shows the validation loss alone" in said
        assert "the training loss's fall from above 2" in said and run["train_loss"][0] > 2
        assert val[best:].argmax() == last - best, "alt text: the validation loss is highest at the last epoch"
    finally:
        matplotlib.pyplot.close(fig)


def test_l2_stops_the_rise_and_more_data_closes_the_gap(nb):
    said = text("remedies")
    runs, EPOCHS = nb["small_runs"], nb["EPOCHS_SMALL"]
    assert "$\\lambda$ from 0 to 0.1" in said and nb["REGS"] == (0.0, 0.001, 0.01, 0.1)
    lowest = {reg: run["val_loss"][run["best_epoch"]] for reg, run in runs.items()}
    mild = runs[0.001]
    assert "With $\\lambda = 0.001$ the validation loss no longer rises" in said
    assert mild["best_epoch"] > 0.9 * EPOCHS and mild["val_loss"][-1] - lowest[0.001] < 0.005
    assert min(lowest, key=lowest.get) == 0.001
    assert "cannot even fit its 100 training images" in said and runs[0.1]["train_acc"][-1] < 0.95
    assert "stays around 89–90%" in said
    for reg in (0.0, 0.001, 0.01):
        assert 0.87 <= runs[reg]["val_acc"][runs[reg]["best_epoch"]] <= 0.92, reg
    # the whole training set: chosen on validation, the test set once
    assert "997 training images, 300 epochs each" in said and set(nb["full_runs"]) == {0.0, 0.001, 0.01}
    full = {reg: (run["val_loss"][run["best_epoch"]], run["val_acc"][run["best_epoch"]])
            for reg, run in nb["full_runs"].items()}
    assert nb["chosen_reg"] == min(full, key=lambda reg: full[reg][0]) and nb["chosen_reg"] in (0.0, 0.001)
    assert "within a fraction of a percent" in said and abs(full[0.0][1] - full[0.001][1]) < 0.01
    assert "$\\lambda = 0.01$ is already too strong" in said and full[0.01][0] > max(full[0.0][0], full[0.001][0])
    chosen = nb["chosen"]
    assert "Above 95%" in said and nb["test_accuracy"] >= 0.95
    assert abs(nb["test_accuracy"] - chosen["val_acc"][chosen["best_epoch"]]) < 0.03
    small_gap = nb["overfit"]["train_acc"][-1] - nb["overfit"]["val_acc"][-1]
    full_gap = chosen["train_acc"][chosen["best_epoch"]] - chosen["val_acc"][chosen["best_epoch"]]
    about = [int(v) for v in re.search(r"from about (\d+) points to about (\d+)", said).groups()]
    assert abs(100 * small_gap - about[0]) <= 2 and abs(100 * full_gap - about[1]) <= 1.5
    assert f"test accuracy {nb['test_accuracy']:.1%}" in nb["printed"]["remedies"]


def test_the_test_set_is_used_once_at_the_end():
    code = [c.source for key in TITLES for c in _section(TITLES[key]) if _kind(c) == "code"]
    uses = [source for source in code if 'split["test"]' in source or "split['test']" in source]
    assert len(uses) == 1 and uses[0] is code[-2], "one cell touches the test set, the last before the widget"


def test_the_explorer_offers_what_the_text_suggests():
    from course.widgets import DigitsExplorer
    said = text("explorer")
    assert f"for {DigitsExplorer.EPOCHS} epochs" in said
    assert {50, 997} <= set(DigitsExplorer.SIZES) and {0.001, 0.0} <= set(DigitsExplorer.REGS)
    assert "Then 997 images" in said


def _explorer_run(n, reg, lr=None):
    """A run of the digits explorer's setting (the reference backprop), as its Train button trains it."""
    from course import digits
    from course.widgets import DigitsExplorer
    from grader.solutions.forward_pass import relu, softmax
    from grader.xor_training import two_layer_softmax_backprop
    split = digits.digit_split(n)
    return digits.train_digits(two_layer_softmax_backprop, *split["train"], *split["val"], relu=relu, softmax=softmax,
                               hidden=64, reg=reg, epochs=DigitsExplorer.EPOCHS, lr=lr or DigitsExplorer.LR)


def test_in_the_explorer_a_small_penalty_stops_the_climb_at_50_images():
    said = text("explorer")
    low, high, end = (float(v) for v in re.search(
        r"Try 50 images with no penalty: the validation loss climbs after its lowest point \(from ([\d.]+) to "
        r"([\d.]+)\)\. Then \$\\lambda = 0\.001\$: it climbs far less \(it ends at ([\d.]+)\)", said).groups())
    plain, mild = _explorer_run(50, 0.0), _explorer_run(50, 0.001)
    best = plain["best_epoch"]
    assert (round(plain["val_loss"][best], 2), round(plain["val_loss"][-1], 2)) == (low, high)
    assert round(mild["val_loss"][-1], 2) == end
    # "climbs far less": after its lowest point it rises by a fifth of the unpenalised rise at most
    assert mild["val_loss"][-1] - mild["val_loss"][mild["best_epoch"]] < 0.2 * (high - low)


def test_the_early_zig_zag_is_the_learning_rate_not_overfitting():
    from course.widgets import DigitsExplorer
    said = text("explorer")
    assert "That is the large learning rate (1)" in said and DigitsExplorer.LR == 1.0
    assert "the training loss zig-zags too, and at a learning rate of 0.3 the same curves rise and fall smoothly" in said
    fast, slow = _explorer_run(50, 0.0), _explorer_run(50, 0.0, lr=0.3)

    def ups(curve):          # steps in the first 40 epochs where a loss goes up
        return int(np.sum(np.diff(curve[:40]) > 1e-3))
    assert ups(fast["train_loss"]) >= 5 and ups(fast["val_loss"]) >= 5
    assert ups(slow["train_loss"]) == 0 and ups(slow["val_loss"]) == 0
    assert np.abs(np.diff(fast["val_acc"][:40])).max() > 0.2 > np.abs(np.diff(slow["val_acc"][:40])).max()
    assert "widgets.digits_explorer(two_layer_softmax_backprop, relu, softmax)" in _section(TITLES["explorer"])[-1].source
