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
from course.nn import load_base
from grader import fine_tuning as reference

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
    says("train the head (300 epochs at learning rate 0.01), then unfreeze and fine-tune everything gently "
         "($10^{-4}$ for 100 epochs")
    assert (transfer.EPOCHS, transfer.HEAD_LR, transfer.FINE_TUNE_LR, transfer.FINE_TUNE_EPOCHS) == (300, 0.01, 1e-4, 100)
    says("We try rates $10^{-4}, 10^{-3}, 10^{-2}, 10^{-1}$ for 30 or 100 epochs")
    assert transfer.GRID == tuple((lr, e) for lr in (1e-4, 1e-3, 1e-2, 1e-1) for e in (30, 100))
    says("(base and a fresh head trained together at 0.05 from the start). Each is repeated on five "
         "different draws of 30 labelled images")
    assert transfer.LARGE_LR == 0.05 and len(transfer.DRAWS) == 5
    says("for 10, 30 and 100 labelled images (five draws each)")
    assert transfer.SIZES == (10, 30, 100)
    says("the learning rate used after unfreezing (100 epochs)")
    assert inspect.signature(transfer.fine_tune).parameters["epochs"].default == 100


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
    explorer = widgets.fine_tuning_explorer(fit, reference.add_head)
    holder["explorer"] = explorer
    assert explorer.status.value == "" and not any(c.disabled for c in explorer.controls.values())
    explorer.controls["n"].value = 20
    assert seen and all(status.startswith("training") and all(disabled) for status, disabled in seen)
    assert explorer.status.value == "" and not any(c.disabled for c in explorer.controls.values())
    assert explorer.ax.get_title().startswith("20 labelled images, unfreeze lr 1e-04")
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


def _row(printed: str, name: str) -> tuple[float, float, float, int | None]:
    """(mean, sd, lowest, draws above head only) of one line of the §5 table."""
    match = re.search(re.escape(name) + r"\s+" + NUMBER + r"(?:\s+\(above head only on (\d) of 5 draws\))?",
                      printed)
    assert match, f"the §5 table has no line {name!r}"
    mean, sd, low, above = match.groups()
    return float(mean), float(sd), float(low), None if above is None else int(above)


def _curve(printed: str) -> dict[int, dict]:
    curve = {}
    for n, rest in re.findall(r"^\s*(\d+) labelled: (.*)$", printed, re.M):
        numbers = re.findall(NUMBER, rest)
        (scratch, head, tuned), above = [tuple(map(float, x)) for x in numbers], re.search(r"on (\d) of 5", rest)
        curve[int(n)] = {"scratch": scratch, "head_only": head, "fine_tune": tuned, "above": int(above.group(1))}
    assert sorted(curve) == list(transfer.SIZES)
    return curve


@pytest.mark.slow
def test_section5_fine_tuning_at_moderate_rates_beats_head_only(printed):
    says("At rates $10^{-3}$ and $10^{-2}$, fine-tuning everything beats head only on average, and on most "
         "of the five draws")
    head = _row(printed, "head only")
    for lr in ("1e-03", "1e-02"):
        for epochs in (" 30", "100"):
            mean, _, _, above = _row(printed, f"fine-tune lr {lr}, {epochs} epochs")
            assert mean > head[0] and above >= 3, (lr, epochs)
    match = re.search(r"best fine-tuning on validation: lr (\S+), (\d+) epochs, " + NUMBER + r"; head only "
                      + NUMBER + r"; chosen: (\w+)", printed)
    assert match and match.group(9) == "fine_tune"
    rows = [_row(printed, f"fine-tune lr {lr:.0e}, {e:3d} epochs")[0] for lr, e in transfer.GRID]
    assert float(match.group(3)) == max(rows), "the chosen setting has the best mean"


@pytest.mark.slow
def test_section5_the_gentlest_rate_ends_where_head_only_does(printed):
    says("The gentlest, $10^{-4}$ for 30 epochs, ends where head only does (within 0.01 on average)")
    assert abs(_row(printed, "fine-tune lr 1e-04,  30 epochs")[0] - _row(printed, "head only")[0]) <= 0.01


@pytest.mark.slow
def test_section5_a_large_rate_forgets(printed):
    says("At $10^{-1}$ the steps are far too large")
    says("on most draws the network ends no better than always answering the commoner class.")
    commoner = float(re.search(r"always answering the commoner class scores (\d\.\d{3})", printed).group(1))
    counts = re.findall(r"(\d) of 5 \((\d+) epochs\)", printed)
    assert len(counts) == 2 and all(int(k) >= 3 for k, _ in counts), counts
    says("Training everything at 0.05 from a random head forgets too: on average it ends below the best "
         "fine-tuning, and its lowest draw is no better than that guess.")
    large = _row(printed, "large lr (0.05)")
    best = max(_row(printed, f"fine-tune lr {lr:.0e}, {e:3d} epochs")[0] for lr, e in transfer.GRID)
    assert large[0] < best and large[2] <= commoner + 1e-9


@pytest.mark.slow
def test_learning_curve_where_pretraining_and_fine_tuning_pay(printed):
    curve = _curve(printed)
    lead = {n: c["head_only"][0] - c["scratch"][0] for n, c in curve.items()}
    says("with 10 images the head alone is far ahead of training from scratch, a lead more than twice its "
         "lead at any larger size.")
    assert lead[10] >= 0.05 and all(lead[10] > 2 * lead[n] for n in curve if n != 10), lead
    says("Fine-tuning everything is ahead of training from scratch at every size.")
    assert all(c["fine_tune"][0] > c["scratch"][0] for c in curve.values())
    says("Against head only, it wins on average and on most of the five draws from 30 images on.")
    assert all(c["fine_tune"][0] > c["head_only"][0] and c["above"] >= 3 for n, c in curve.items() if n >= 30)
    says("With 10 images it does not reliably win: its mean gain is smaller than the spread between draws, "
         "and it loses or ties on some of them")
    ten = curve[10]
    assert ten["fine_tune"][0] - ten["head_only"][0] < min(ten["head_only"][1], ten["fine_tune"][1])
    assert ten["above"] < 5
    says("with 10 labels, a frozen base and a small head beat training everything from scratch by far.")
    says("Fine-tuning everything after the head, at a rate chosen on validation, beats head only from 30 "
         "labelled images on; with 10 it is no reliable gain.")


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
