"""A student's first minutes, in a real browser: the untouched release notebooks in
JupyterLab (Chromium, Playwright; tools/browser_harness.py), Run > Run All Cells.

* Every notebook runs to its last cell before a single exercise is written: the test cells
  (tagged raises-exception by the build) fail, each with ONE line naming the function that
  is not written yet; no other cell shows an error; pictures and widgets that need an
  unfinished exercise say so in one line.
* A wrong answer shows as the checker's message (what was checked, expected vs got, the
  likely mistake, a hint) after the failing line of the test cell: not a traceback through
  `course/`.
"""
from __future__ import annotations

import re

import nbformat
import pytest

from tests.test_browser import ARTIFACTS, VIEWPORT, gate
from tools import browser_harness as bh
from tools.registry import assignments, notebook

pytestmark = pytest.mark.browser

CELL_ERRORS = """() => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).map(cell =>
    Array.from(cell.querySelectorAll(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"))
         .map(o => o.innerText))"""

WRONG_RELU = "def relu(z):\n    return np.abs(z)      # a planted mistake: abs is not max(z, 0)\n"


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory):
    gate()
    folder = tmp_path_factory.mktemp("release")
    paths = [notebook("release", name) for name in assignments()]
    nb = nbformat.read(paths[0], as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "relu":
            cell.source = WRONG_RELU
    planted = folder / "planted_wrong_relu.ipynb"
    nbformat.write(nb, str(planted))
    out = ARTIFACTS / "student"
    out.mkdir(parents=True, exist_ok=True)
    with bh.chromium() as browser, bh.JupyterLab([*paths, planted], log_path=out / "jupyterlab.log") as lab:
        yield browser, lab, out


def run_all(student_lab, name: str, shoot: int | None = None):
    """Run All on notebook `name`; (cells left unrun, stderr texts per cell, console errors).
    `shoot`: the index of a cell to screenshot (artifacts/browser/student/)."""
    browser, lab, out = student_lab
    nb = bh.LabNotebook.open(browser, lab, name, width=VIEWPORT[0], height=VIEWPORT[1])
    try:
        nb.run_all_until_idle(timeout=300)
        errors = nb.page.evaluate(CELL_ERRORS)
        nb.page.screenshot(path=str(out / f"{name}-after-run-all.png"))
        if shoot is not None:
            cell = nb.page.locator(".jp-Notebook .jp-Cell").nth(shoot)
            cell.scroll_into_view_if_needed()
            cell.screenshot(path=str(out / f"{name}-cell-{shoot}.png"))
        return nb.unrun_cells(), errors, list(nb.console_errors)
    finally:
        nb.close()
        lab.shutdown_kernels()


@pytest.mark.parametrize("name", assignments())
def test_an_untouched_notebook_runs_all_the_way_and_names_each_unfinished_exercise(student_lab, name):
    cells = nbformat.read(notebook("release", name), as_version=4).cells
    unrun, errors, console = run_all(student_lab, name)
    assert unrun == 0, f"{name}: Run All stopped early"
    assert len(errors) == len(cells), "one DOM cell per notebook cell"
    for cell, shown in zip(cells, errors):
        if cell.metadata.get("nbgrader", {}).get("grade"):
            assert len(shown) == 1, (cell.metadata.nbgrader["grade_id"], shown)
            text = shown[0].strip()
            assert "\n" not in text, text
            assert re.fullmatch(r"NotWrittenYet: (.+: )?`\w+` is not written yet: .*", text), text
        else:
            assert shown == [], (cell.source[:200], shown)
    assert console == [], console


def test_a_wrong_answer_shows_the_failing_line_and_the_message_not_a_traceback(student_lab):
    nb = nbformat.read(notebook("release", assignments()[0]), as_version=4)
    at = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "test_relu"][0]
    _, lab_errors, _ = run_all(student_lab, "planted_wrong_relu", shoot=at)
    shown = lab_errors[at]
    assert len(shown) == 1, shown
    lines = shown[0].strip().splitlines()
    assert lines[0].startswith("---->") and "relu" in lines[0], lines
    assert lines[1].startswith("CheckFailed: relu("), lines
    assert any(line.startswith("Likely mistake:") for line in lines) and any(
        line.startswith("Hint:") for line in lines), lines
    text = "\n".join(lines)
    assert "Traceback" not in text and "checks.py" not in text and "course/" not in text
    assert len(lines) <= 10, text
