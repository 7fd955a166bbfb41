"""What students read: no private names of our source documents, no answers in docstrings.

* A student never saw a "seed": the source examples are named for them ("the spam filter",
  "the published worked example"), so no student-facing text says "seed 004".
* An exercise's docstring states its contract (arguments, shapes, what it returns), never
  the formula the exercise asks the student to derive. Each grader module keeps, next to
  its references, `FORMULAS`: for every exercise of its notebook, the patterns that would
  give the answer away (regular expressions matched, case-insensitively, against the
  docstring with all whitespace removed).
"""
import ast
import importlib
import re

import nbformat
import pytest

from tools.build import ROOT
from tools.registry import assignments, notebook, topic

SEED_NAME = re.compile(r"\bseeds?[\s_]*0\d\d", re.IGNORECASE)   # "seed 004", "seed004_forward"
SEED_WORD = re.compile(r"\w*seed\w*", re.IGNORECASE)
RANDOM_SEED = {"seed", "seeds", "seeded", "seeding"}       # a random seed: the only sense students meet


def student_texts():
    """(where, text) for everything a student or self-learner reads."""
    for name in assignments():
        for top in ("release", "solutions"):
            nb = nbformat.read(notebook(top, name), as_version=4)
            for i, cell in enumerate(nb.cells):
                yield f"{top}/{name} cell {i + 1}", cell.source
                ids = [cell.get("id", ""), cell.metadata.get("nbgrader", {}).get("grade_id", "")]
                yield f"{top}/{name} cell {i + 1} id", " ".join(ids)     # JupyterLab's nbgrader tools show them
    for path in sorted((ROOT / "course").glob("*.py")):       # widgets, checks, feedback catalog
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
    yield "README.md", (ROOT / "README.md").read_text(encoding="utf-8")


def named_sources(text: str) -> list[str]:
    """Where `text` names a source document as a "seed": "seed 004", or a name like `W1_seed`."""
    return [m.group(0) for m in SEED_NAME.finditer(text)] + [
        w for w in SEED_WORD.findall(text) if w.lower() not in RANDOM_SEED]


def test_no_student_facing_text_names_a_source_document_as_a_seed():
    found = [(where, hit) for where, text in student_texts() for hit in named_sources(text)]
    assert not found, found


def test_the_scan_sees_a_source_document_named_as_a_seed():
    for text in ("as seed 004's worked example shows", "Seeds 000 and 001", "W1_seed = ...",
                 "def seed001_xor():", "seed_names = [...]"):
        assert named_sources(text), text
    assert not named_sources("make_spam_emails(500, seed=0); five seeds; a seeded generator")


def _unwritten(node: ast.AST) -> bool:
    """Whether the release leaves something inside `node` for the student (a `raise NotImplementedError()`)."""
    return any(isinstance(n, ast.Raise) and "NotImplementedError" in ast.unparse(n) for n in ast.walk(node))


def exercises(name: str) -> dict[str, str]:
    """{function name: docstring} for every function the student writes in assignment `name`; for a
    class in an answer cell, every method the student completes, as "Class.method"."""
    found = {}
    for cell in nbformat.read(notebook("release", name), as_version=4).cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.FunctionDef):
                    found[node.name] = ast.get_docstring(node) or ""
                elif isinstance(node, ast.ClassDef):
                    for method in node.body:
                        if isinstance(method, ast.FunctionDef) and _unwritten(method):
                            found[f"{node.name}.{method.name}"] = ast.get_docstring(method) or ""
    return found


def gives_away(patterns: list[str], docstring: str) -> list[str]:
    text = re.sub(r"\s+", "", docstring)
    return [p for p in patterns if re.search(p, text, re.IGNORECASE)]


@pytest.mark.parametrize("name", assignments())
def test_every_exercise_lists_the_formulas_its_docstring_must_not_state(name):
    formulas = importlib.import_module(f"grader.{topic(name)}").FORMULAS
    written = exercises(name)
    assert written, f"{name} has exercises"
    assert set(formulas) == set(written), "FORMULAS names exactly the notebook's exercises"
    for fn, patterns in formulas.items():
        assert patterns, f"{fn}: at least one give-away pattern"
        for p in patterns:
            re.compile(p)


@pytest.mark.parametrize("name", assignments())
def test_no_exercise_docstring_states_its_formula(name):
    formulas = importlib.import_module(f"grader.{topic(name)}").FORMULAS
    leaks = {fn: gives_away(formulas.get(fn, []), doc) for fn, doc in exercises(name).items()}
    assert not {fn: p for fn, p in leaks.items() if p}, leaks
    for fn, doc in exercises(name).items():
        assert len(doc.split()) >= 4, f"{fn}: the docstring states the contract (arguments, shapes, result)"


# The docstrings that gave the answers away before (issue #13): the patterns must catch them.
GIVEAWAYS = {
    ("02_loss_functions", "mse_grad"): "d mse / d y_pred = 2 (y_pred - y_true) / N, N = y_pred.size.",
    ("02_loss_functions", "mae_grad"): "d mae / d y_pred = sign(y_pred - y_true) / N (0 where equal).",
    ("02_loss_functions", "huber_grad"): "d huber / d y_pred = clip(y_pred - y_true, -delta, delta) / N.",
    ("02_loss_functions", "binary_cross_entropy_grad"): "d bce / d p = (p - y) / (p (1 - p)) / N, with p clipped as in the loss.",
    ("02_loss_functions", "softmax_cross_entropy_grad"):
        "Gradient of categorical_cross_entropy(Y, softmax(logits)) w.r.t. the logits: (softmax - Y) / n.",
}


@pytest.mark.parametrize("key", sorted(GIVEAWAYS))
def test_the_patterns_catch_the_answers_the_docstrings_used_to_give(key):
    name, fn = key
    formulas = importlib.import_module(f"grader.{topic(name)}").FORMULAS
    assert fn in formulas, f"{fn} is an exercise of {name}"
    assert gives_away(formulas[fn], GIVEAWAYS[key]), f"{fn}'s patterns miss {GIVEAWAYS[key]!r}"


@pytest.mark.parametrize("name", assignments())
def test_every_static_figure_carries_a_text_alternative(name):
    """Static figures go through plots.show(fig, alt=...), never a bare plt.show()."""
    cells = nbformat.read(notebook("release", name), as_version=4).cells
    bare = [c.source[:80] for c in cells if c.cell_type == "code" and "plt.show()" in c.source]
    assert not bare, bare


# Issue #13 §3 beyond the docstrings: the feedback hints and the visible test cells must not
# hand out the formula a derive-type exercise asks for either. Notebooks 02-05 derive their
# formulas (01's forward formulas are given in its text, so its hints may state them).
DERIVED = [name for name in assignments() if not name.startswith("01_")]
HIDDEN = re.compile(r"###\s*BEGIN HIDDEN TESTS.*?###\s*END HIDDEN TESTS", re.DOTALL)


def derived_formulas() -> dict[tuple[str, str], list[str]]:
    """{(assignment, exercise): its give-away patterns} for every derive-type exercise."""
    return {(name, fn): patterns for name in DERIVED
            for fn, patterns in importlib.import_module(f"grader.{topic(name)}").FORMULAS.items()}


def test_no_feedback_hint_states_a_derived_formula():
    from course.mistakes import CATALOG

    formulas = derived_formulas()
    leaks = {(key, ex): hits for key, m in CATALOG.items() for ex, patterns in formulas.items()
             if (hits := gives_away(patterns, f"{m.title}\n{m.hint}"))}
    assert not leaks, leaks


def visible_tests(name: str) -> list[tuple[str, str]]:
    """(grade id, source without its hidden block) of every test cell of assignment `name`."""
    cells = nbformat.read(notebook("source", name), as_version=4).cells
    return [(c.metadata["nbgrader"]["grade_id"], HIDDEN.sub("", c.source)) for c in cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


@pytest.mark.parametrize("name", DERIVED)
def test_no_visible_test_computes_a_derived_answer(name):
    tests = visible_tests(name)
    assert tests and all("HIDDEN TESTS" not in text for _, text in tests)
    formulas = {fn: p for (nb, fn), p in derived_formulas().items() if nb == name}
    leaks = {(cell, fn): hits for cell, text in tests for fn, patterns in formulas.items()
             if (hits := gives_away(patterns, text))}
    assert not leaks, leaks


def test_the_scans_catch_the_answers_hints_and_tests_used_to_give():
    formulas = derived_formulas()
    old = {("02_loss_functions", "binary_cross_entropy_grad"): "Asked is d loss/d p = (p - y) / (p(1 - p)) / N.",
           ("02_loss_functions", "huber_grad"): "np.clip(y_pred - y_true, -delta, delta) / N.",
           ("03_backprop_by_hand", "sigmoid_backward"): "its derivative is A * (1 - A)",
           ("03_backprop_by_hand", "dense_backward"): "db = dZ.sum(axis=0), shape (d_out,)",
           ("03_backprop_by_hand", "mlp_backward"): "dZ1 = (dZ2 @ W2.T) * A1 * (1 - A1)",
           ("02_loss_functions", "softmax_cross_entropy_grad"): "expected=(P - Y) / 2"}
    for key, text in old.items():
        assert gives_away(formulas[key], text), (key, text)


TIME = re.compile(r"\*\*Time\.\*\* Plan for about (\d+(?:\.\d+)?) hours")


def planned_hours(name: str) -> float | None:
    """The hours the introduction (first cell) of assignment `name` asks a student to plan for."""
    intro = nbformat.read(notebook("release", name), as_version=4).cells[0].source
    found = TIME.search(intro)
    return float(found.group(1)) if found else None


def test_every_introduction_says_how_long_its_notebook_takes_and_the_course_is_12_to_15_hours():
    hours = {name: planned_hours(name) for name in assignments()}
    assert None not in hours.values(), f"an introduction without '**Time.** Plan for about N hours': {hours}"
    assert 12 <= sum(hours.values()) <= 15, f"the course should take a student 12 to 15 hours: {hours}"
