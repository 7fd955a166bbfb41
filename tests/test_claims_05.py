"""Notebook 05's statements of fact, checked against the code (fast) and against what a fresh
run of the solutions notebook prints (slow, one run for the module).

Each check first finds the sentence in the notebook's text, so a test fails both when the
numbers stop supporting the sentence and when the sentence changes without its check.
Numbers after training are compared with tolerances and as comparisons, never bit for bit.
"""
from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course import transfer, widgets, xray
from grader.solutions import layers
from grader.solutions.layers import load_base
from grader import fine_tuning as reference
from tests.notebook_text import code_cell

ROOT = Path(__file__).resolve().parents[1]
NAME = "05_fine_tuning"
SOLUTIONS = ROOT / "solutions" / NAME / f"{NAME}.ipynb"
RELEASE = ROOT / "release" / NAME / f"{NAME}.ipynb"


def _words(text: str) -> str:
    return " ".join(text.split())


def text() -> str:
    """The notebook's markdown, whitespace collapsed."""
    nb = nbformat.read(SOLUTIONS, as_version=4)
    return _words(" ".join(c.source for c in nb.cells if c.cell_type == "markdown"))


def says(phrase: str) -> None:
    assert _words(phrase) in text(), f"notebook 05 no longer says: {phrase!r} (update its check)"


# --- fast: what the text states about the code and data ------------------------------

def test_the_weight_counts_in_the_text_are_the_models():
    says("18 528 pretrained weights stay as they are, and only the head's 33 are learned")
    base = load_base()
    assert sum(w.size for layer in base.layers for w in layer.params.values()) == 18_528
    model = reference.add_head(load_base(), np.random.default_rng(0))
    assert sum(layer.params[name].size for _, layer, name in model.parameters()) == 33


def test_the_data_is_as_described():
    says("(`course.xray`, 16 × 16 pixels; no patient data)")
    says("The **training** set (30 images)")
    says("The **validation** set (200 images)")
    says("The **test** set (600 images)")
    says("has thousands of images in four classes")
    from tools.pretrain_base import N_TRAIN
    assert N_TRAIN >= 2000 and len(xray.CLASSES) == 4
    splits = xray.hospital_splits(30, 0)
    assert [splits[k][0].shape for k in ("train", "val", "test")] == [(30, 256), (200, 256), (600, 256)]


def test_adams_first_step_moves_every_parameter_by_about_the_learning_rate():
    says("On the first step, $\\hat m = g$ and $\\hat v = g^2$, so every parameter moves by about $\\eta$, "
         "whatever its gradient's scale.")
    rng = np.random.default_rng(0)
    param = rng.normal(size=50)
    grad = rng.normal(size=50) * 10.0 ** rng.uniform(-3, 3, size=50)
    new, _, _ = reference.adam_step(param, grad, 0.0, 0.0, 1, lr=0.01)
    assert np.allclose(np.abs(new - param), 0.01, rtol=1e-4)


def test_scanner_b_is_brighter_and_flatter_than_scanner_a():
    says("flatter contrast, a brighter background")
    A = xray.base_dataset(400, seed=3)[0].reshape(-1, 16, 16)
    B = xray.hospital_dataset(400, seed=3)[0].reshape(-1, 16, 16)
    assert B[:, :2, :2].mean() > A[:, :2, :2].mean() + 0.1                     # the background corners

    def spread(X):
        return np.mean(np.percentile(X.reshape(len(X), -1), 95, axis=1) - np.percentile(X.reshape(len(X), -1), 5, axis=1))
    assert spread(B) < spread(A) - 0.05


def test_adam_with_t_zero_divides_by_zero():
    says("with $t = 0$ the correction divides by zero")
    with np.errstate(all="ignore"):
        new, _, _ = reference.adam_step(np.ones(3), np.ones(3), 0.0, 0.0, 0)
    assert not np.all(np.isfinite(new))


def test_gradients_flow_through_frozen_layers_but_are_not_applied():
    says("(Gradients still flow through frozen layers; they just are not applied.)")
    X, y = xray.hospital_splits(30, 0)["train"]
    model = reference.add_head(load_base(), np.random.default_rng(0))
    before = model.copy()
    reference.fit(model, X, y, 0.01, 3)
    first = model.layers[0]
    assert np.any(first.grads["W"] != 0)
    assert np.array_equal(first.params["W"], before.layers[0].params["W"])


def test_the_settings_the_text_names_are_the_ones_used():
    says("with a first guess at the settings: train the head (300 epochs at learning rate 0.01), then unfreeze "
         "and fine-tune everything gently ($10^{-4}$ for 100 epochs")
    demo = code_cell(NAME, "head_history = fit(")
    assert "fit(model, X_train, y_train, 0.01, 300)" in demo and "fit(model, X_train, y_train, 1e-4, 100)" in demo
    says("from scratch, head only and all at once: rates $10^{-3}, 10^{-2}, 10^{-1}$, for 100 or 300 epochs;")
    assert transfer.TRAIN_GRID == tuple((lr, e) for lr in (1e-3, 1e-2, 1e-1) for e in (100, 300))
    says("fine-tune, starting from the head trained at the chosen head setting: rates "
         "$10^{-4}, 10^{-3}, 10^{-2}, 10^{-1}$, for 30 or 100 epochs.")
    assert transfer.GRID == tuple((lr, e) for lr in (1e-4, 1e-3, 1e-2, 1e-1) for e in (30, 100))
    says("Each setting is repeated on five different draws of 30 labelled images")
    assert len(transfer.DRAWS) == 5 and transfer.N_CHOOSE == 30
    assert "transfer.choose(layers, fit, add_head, 30, transfer.DRAWS)" in code_cell(NAME, "transfer.choose(")
    says("a strategy's chosen setting is the one with the highest mean (on a tie, the first listed)")
    runs = [{("x", 1, 1): a, ("x", 2, 2): b} for a, b in ((0.8, 0.9), (0.9, 0.8))]
    assert transfer.best(runs, "x", [(1, 1), (2, 2)]) == (1, 1) and transfer.best(runs, "x", [(2, 2), (1, 1)]) == (2, 2)
    says("for 10, 30 and 100 labelled images (five draws each)")
    assert transfer.SIZES == (10, 30, 100)
    says("the learning rate used after unfreezing (for the number of epochs chosen in §5)")
    says("each at the settings chosen in §5")
    assert "display(widgets.fine_tuning_explorer(layers, fit, add_head, chosen))" in code_cell(NAME, "fine_tuning_explorer(")


def _docstrings(path: Path) -> dict[str, str]:
    nb = nbformat.read(path, as_version=4)
    tree = ast.parse("\n".join(c.source for c in nb.cells
                               if c.cell_type == "code" and not c.source.lstrip().startswith("%")))
    return {f.name: ast.get_docstring(f) or "" for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}


def test_no_exercise_docstring_gives_its_formula_away():
    """FORMULAS names every exercise; each of its patterns is a real give-away (the reference's
    own code matches at least one); no release docstring matches any."""
    nb = nbformat.read(RELEASE, as_version=4)
    exercises = {c.metadata.nbgrader["grade_id"] for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}
    assert set(reference.FORMULAS) == exercises
    docs = _docstrings(RELEASE)
    for name, patterns in reference.FORMULAS.items():
        assert patterns, name
        code = "".join(inspect.getsource(getattr(reference, name)).split())
        assert any(re.search(p, code, re.I) for p in patterns), f"no pattern of {name} matches its reference"
        doc = "".join(docs[name].split())
        assert doc, f"{name} has no docstring"
        given = [p for p in patterns if re.search(p, doc, re.I)]
        assert not given, f"{name}'s docstring gives away {given}"


def test_the_old_docstrings_would_have_been_caught():
    """The patterns catch what the docstrings used to say."""
    old = {"add_head": "Freeze `base`; return Sequential(base's layers + [Dense(d, 1, rng), Sigmoid()]).",
           "adam_step": "m <- beta1 * m + (1 - beta1) * grad; param - lr * m_hat / (sqrt(v_hat) + eps)"}
    for name, doc in old.items():
        doc = "".join(doc.split())
        assert any(re.search(p, doc, re.I) for p in reference.FORMULAS[name]), name


def test_the_explorer_scores_on_validation_says_its_setting_and_shows_it_is_busy():
    says("the bars show validation accuracy")
    seen = []

    def fit(*args):
        explorer = holder.get("explorer")
        if explorer is not None:
            seen.append((explorer.status.value, [c.disabled for c in explorer.controls.values()]))
        return reference.fit(*args)

    holder: dict = {}
    explorer = widgets.fine_tuning_explorer(layers, fit, reference.add_head)
    holder["explorer"] = explorer
    assert explorer.status.value == "" and not any(c.disabled for c in explorer.controls.values())
    explorer.controls["n"].value = 20
    assert seen and all(status.startswith("training") and all(disabled) for status, disabled in seen)
    assert explorer.status.value == "" and not any(c.disabled for c in explorer.controls.values())
    assert explorer.ax.get_title().startswith(f"20 labelled images, unfreeze lr {transfer.CHOSEN['fine_tune'][0]:.0e}")
    assert f"for {transfer.CHOSEN['fine_tune'][1]} epochs" in explorer.describe()
    assert "validation" in explorer.ax.get_title() and "validation" in explorer.ax.get_ylabel()
    X_val, y_val = xray.hospital_splits(20, 0)["val"]
    head = explorer.models[20]["head_only"]
    assert explorer.bars[1].get_height() == transfer.accuracy(head, X_val, y_val)
    n_seen = len(seen)
    explorer.controls["n"].value = 30               # seen before: no training, no busy sign
    assert len(seen) == n_seen and explorer.ax.get_title().startswith("30 labelled images")


# --- slow: what a fresh run prints ----------------------------------------------------

@pytest.fixture(scope="module")
def printed():
    """{cell index: text it printed} of a fresh run of the solutions notebook."""
    from nbclient import NotebookClient
    nb = nbformat.read(SOLUTIONS, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(SOLUTIONS.parent)}}).execute()
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                     if o.output_type == "stream")


NUMBER = r"(\d\.\d{3}) ± (\d\.\d{3}), lowest (\d\.\d{3})"
NAMES = {"scratch": "from scratch", "head_only": "head only", "fine_tune": "fine-tune", "all_at_once": "all at once"}


def _row(printed: str, strategy: str, lr: float, epochs: int) -> tuple[float, float, float, int | None, bool]:
    """(mean, sd, lowest, draws above head only, chosen) of one line of the §5 table."""
    name = f"{NAMES[strategy]} lr {lr:.0e}, {epochs:3d} epochs"
    match = re.search("^" + re.escape(NAMES[strategy]) + r"\s+" + re.escape(name.split(" lr ")[1].join(["lr ", ""]))
                      + r"\s+" + NUMBER + r"(?:\s+\(above head only on (\d) of 5 draws\))?( ←)?$",
                      printed, re.M)
    assert match, f"the §5 table has no line {name!r}"
    mean, sd, low, above, mark = match.groups()
    return float(mean), float(sd), float(low), None if above is None else int(above), bool(mark)


def _grid(strategy: str) -> tuple:
    return transfer.GRID if strategy == "fine_tune" else transfer.TRAIN_GRID


def _chosen(printed: str) -> dict:
    """{strategy: (lr, epochs)} marked ← in the §5 table; exactly one per strategy."""
    chosen = {}
    for strategy in transfer.STRATEGIES:
        marked = [s for s in _grid(strategy) if _row(printed, strategy, *s)[4]]
        assert len(marked) == 1, (strategy, marked)
        chosen[strategy] = marked[0]
    return chosen


def _curve(printed: str) -> dict[int, dict]:
    curve = {}
    for n, rest in re.findall(r"^\s*(\d+) labelled: (.*)$", printed, re.M):
        row = {}
        for strategy in transfer.STRATEGIES:
            match = re.search(re.escape(NAMES[strategy]) + " " + NUMBER + r"(?:\s+\(above head only on (\d) of 5 draws\))?",
                              rest)
            row[strategy] = tuple(map(float, match.groups()[:3])) + (None if match.group(4) is None else int(match.group(4)),)
        curve[int(n)] = row
    assert sorted(curve) == list(transfer.SIZES)
    return curve


@pytest.mark.slow
def test_the_recorded_choice_is_what_validation_chooses(printed):
    """course.transfer.CHOSEN (the widget's and tools/pretrain_base.py's default) is what
    choose() picks on validation with the reference fit and add_head, and what the notebook
    marks and prints."""
    chosen, runs = transfer.choose(layers, reference.fit, reference.add_head)
    assert chosen == transfer.CHOSEN
    assert _chosen(printed) == transfer.CHOSEN
    line = "; ".join(f"{NAMES[s]} lr {lr:.0e}, {e} epochs" for s, (lr, e) in transfer.CHOSEN.items())
    assert f"chosen settings: {line}" in printed
    for strategy in transfer.STRATEGIES:       # the table's marked rows are the means of choose()'s runs
        for setting in _grid(strategy):
            mean = np.mean([run[(strategy, *setting)] for run in runs])
            assert _row(printed, strategy, *setting)[0] == pytest.approx(mean, abs=0.0015), (strategy, setting)


@pytest.mark.slow
def test_section5_each_strategys_setting(printed):
    head = _row(printed, "head_only", *transfer.CHOSEN["head_only"])
    low, best = said_numbers(r"at \$10\^\{-3\}\$ it has not learned much even in 300 epochs \((\d\.\d{3})\), and its best is "
                             r"\$10\^\{-1\}\$ for 300 epochs \((\d\.\d{3})\)")
    assert _row(printed, "head_only", 1e-3, 300)[0] == low and head[0] == best and head[4]
    assert max(_row(printed, "head_only", *s)[0] for s in transfer.TRAIN_GRID) == best
    (scratch,) = said_numbers(r"From scratch does best at \$10\^\{-2\}\$ for 300 epochs \((\d\.\d{3})\)")
    row = _row(printed, "scratch", 1e-2, 300)
    assert row[0] == scratch and row[4] and row[0] < head[0]
    says("below head only on average, and above it on 1 of the 5 draws.")
    assert row[3] == 1


@pytest.mark.slow
def test_section5_fine_tuning_at_moderate_rates_ends_a_little_above_head_only(printed):
    low, high, base = said_numbers(r"Fine-tuning everything from the chosen head, at any rate from \$10\^\{-4\}\$ to "
                                   r"\$10\^\{-2\}\$, ends a little above head only: (\d\.\d{3}) to (\d\.\d{3}) on "
                                   r"average against (\d\.\d{3}), above it on 3 or 4 of the five draws, and "
                                   r"\$10\^\{-3\}\$ for 30 epochs is its best\.")
    head = _row(printed, "head_only", *transfer.CHOSEN["head_only"])
    assert head[0] == base
    rows = {(lr, epochs): _row(printed, "fine_tune", lr, epochs) for lr in (1e-4, 1e-3, 1e-2) for epochs in (30, 100)}
    for setting, (mean, _, _, above, _) in rows.items():
        assert mean > head[0] and above in (3, 4), setting
    assert min(r[0] for r in rows.values()) == low and max(r[0] for r in rows.values()) == high
    assert max(rows, key=lambda s: rows[s][0]) == (1e-3, 30) == transfer.CHOSEN["fine_tune"]


@pytest.mark.slow
def test_section5_a_large_rate_forgets(printed):
    says("At $10^{-1}$ the steps are far too large")
    says("on most draws fine-tuning ends no better than always answering the commoner class; training all at "
         "once at $10^{-1}$ ends there on every draw.")
    match = re.search(r"always answering the commoner class scores (\d\.\d{3}) on validation; at lr 1e-01, draws "
                      r"that end no better: all at once (\d) of 5 \(100 epochs\), (\d) of 5 \(300 epochs\); fine-tune "
                      r"(\d) of 5 \(30 epochs\), (\d) of 5 \(100 epochs\)", printed)
    assert match, "the commoner-class line"
    all_100, all_300, tune_30, tune_100 = map(int, match.groups()[1:])
    assert all_100 == all_300 == 5 and tune_30 >= 3 and tune_100 >= 3


@pytest.mark.slow
def test_section5_all_at_once_ties_and_is_deployed(printed):
    says("But all at once at a small rate, $10^{-3}$ for 300 epochs, does as well as head first, then fine-tuning")
    (both,) = said_numbers(r"both average (\d\.\d{3})\.")
    a, t = _row(printed, "all_at_once", 1e-3, 300), _row(printed, "fine_tune", *transfer.CHOSEN["fine_tune"])
    assert a[4] and t[4] and a[0] == t[0] == both
    low_all, low_tune = said_numbers(r"The tie goes to the higher lowest draw, all at once's \((\d\.\d{3}) against "
                                     r"(\d\.\d{3})\), so all at once is the strategy §7 deploys")
    assert (a[2], t[2]) == (low_all, low_tune) and low_all > low_tune
    assert "chosen strategy: all at once" in printed
    says("The strategy §7 deploys is the one with the highest mean at its chosen setting; on a tie, the one whose "
         "lowest draw is higher")
    assert "key=lambda name: (round(np.mean(at_chosen[name]), 6), min(at_chosen[name]))" in code_cell(
        NAME, "transfer.choose(")
    assert "strategies=(strategy,)" in code_cell(NAME, "model.save(path)")
    others = [_row(printed, s, *transfer.CHOSEN[s])[0] for s in ("scratch", "head_only")]
    assert max(others) < both


def said_numbers(pattern: str) -> tuple[float, ...]:
    match = re.search(pattern, text())
    assert match, f"notebook 05 no longer says: {pattern!r} (update its check)"
    return tuple(map(float, match.groups()))


@pytest.mark.slow
def test_learning_curve_where_pretraining_and_fine_tuning_pay(printed):
    curve = _curve(printed)
    mean = {n: {s: c[s][0] for s in transfer.STRATEGIES} for n, c in curve.items()}
    lead = {n: round(m["head_only"] - m["scratch"], 3) for n, m in mean.items()}
    lead10, head10, scratch10, lead30, lead100 = said_numbers(
        r"with 10 images, head only is (\d\.\d\d) ahead of training from scratch \((\d\.\d{3}) against (\d\.\d{3})\), "
        r"more than at 30 \((\d\.\d\d)\) or 100 \((\d\.\d\d)\)")
    assert (mean[10]["head_only"], mean[10]["scratch"]) == (head10, scratch10)
    assert [round(lead[n], 2) for n in (10, 30, 100)] == [lead10, lead30, lead100]
    assert lead[10] > max(lead[30], lead[100])
    says("Every pretrained strategy is ahead of training from scratch at every size.")
    assert all(m[s] > m["scratch"] for m in mean.values() for s in ("head_only", "fine_tune", "all_at_once"))
    (all10,) = said_numbers(r"With 10 images, all at once is the best of the four \((\d\.\d{3}), above head only on all five draws\)")
    assert mean[10]["all_at_once"] == all10 and curve[10]["all_at_once"][3] == 5
    assert all10 == max(mean[10].values())
    says("while fine-tuning does not reliably win: its mean gain is smaller than the spread between draws, and it "
         "loses or ties on some of them.")
    ten = curve[10]
    assert ten["fine_tune"][0] - ten["head_only"][0] < min(ten["head_only"][1], ten["fine_tune"][1])
    assert ten["fine_tune"][3] < 5
    says("With 100 images head only is best on average: fine-tuning at the setting chosen with 30 images beats it on "
         "only 1 of the 5 draws, and all at once on none.")
    assert mean[100]["head_only"] == max(mean[100].values())
    assert curve[100]["fine_tune"][3] == 1 and curve[100]["all_at_once"][3] == 0
    says("with 10 labels, a frozen base and a small head beat training everything from scratch by far.")
    says("the head wanted $10^{-1}$, fine-tuning $10^{-3}$.")
    assert transfer.CHOSEN["head_only"][0] == 0.1 and transfer.CHOSEN["fine_tune"][0] == 1e-3
    says("With 30 labelled images, fine-tuning after the head beats head only, and training everything at once "
         "at a small rate does as well; with 10, all at once is best and fine-tuning is no reliable gain; with 100, "
         "at the setting chosen with 30, neither beats head only.")
    assert mean[10]["all_at_once"] == max(mean[10].values())
    assert mean[30]["fine_tune"] > mean[30]["head_only"] and mean[30]["all_at_once"] >= mean[30]["fine_tune"]
    assert max(mean[100]["fine_tune"], mean[100]["all_at_once"]) < mean[100]["head_only"]


@pytest.mark.slow
def test_deployment_threshold_and_the_one_test_report(printed):
    assert "identical predictions after loading: True" in printed
    rows = re.findall(r"^(validation|test)\s+threshold (\d\.\d{3}): sensitivity (\d\.\d{3})  specificity "
                      r"(\d\.\d{3})  accuracy (\d\.\d{3})", printed, re.M)
    assert [r[0] for r in rows] == ["validation", "test", "test"], "the test set is reported once, at the end"
    (_, chosen, val_sens, _, _), (_, half, sens_05, spec_05, _), (_, chosen_again, sens_t, spec_t, _) = rows
    says("On validation the chosen threshold finds at least 95% of pneumonia cases by construction")
    assert float(val_sens) >= 0.95 and chosen == chosen_again and half == "0.500"
    says("and specificity is the price: compare it with the default 0.5.")
    assert float(chosen) < 0.5 and float(sens_t) >= float(sens_05) and float(spec_t) < float(spec_05)
