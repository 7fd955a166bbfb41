"""The notebooks as students and self-learners run them: on a machine with `course`
but without the instructor's `grader`."""
import re
import time

import nbformat
import pytest
from nbclient import NotebookClient

from course.checks import NO_GRADER
from tools.build import ROOT, assignments


@pytest.fixture
def student_machine(tmp_path, monkeypatch):
    """PYTHONPATH with `course` only, as on a student's machine."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "course").symlink_to(ROOT / "course")
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    return site


def execute(path):
    """Run a notebook top to bottom like 'Run All' (continuing after errors); return
    (notebook, {cell id: (ename, evalue)} for every cell that raised)."""
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    print(f"{path.relative_to(ROOT)} ran in {time.perf_counter() - started:.1f} s")
    errors = {c.metadata.get("nbgrader", {}).get("grade_id", c.id): (o.ename, o.evalue)
              for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"}
    return nb, errors


@pytest.mark.slow
@pytest.mark.parametrize("name", assignments())
def test_solutions_run_clean_without_the_grader(name, student_machine):
    _, errors = execute(ROOT / "solutions" / name / f"{name}.ipynb")
    assert errors == {}


@pytest.mark.slow
@pytest.mark.parametrize("name", assignments())
def test_the_untouched_release_fails_only_where_work_is_missing(name, student_machine):
    nb, errors = execute(ROOT / "release" / name / f"{name}.ipynb")
    tests = [c.metadata.nbgrader["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert set(tests) <= set(errors), "every test cell fails before the work is done"
    explained, failed_sources = {}, []
    for cell in nb.cells:                       # in order: a knock-on error can cause another
        key = cell.metadata.get("nbgrader", {}).get("grade_id", cell.id)
        if key not in errors:
            continue
        ename, evalue = errors[key]
        unfinished = ename == "NotImplementedError" or (ename == "CheckFailed" and "not written yet" in evalue)
        # a later cell may miss a name that an unfinished cell never got to define
        knock_on = ename == "NameError" and any(
            re.search(rf"\b{re.escape(evalue.split(chr(39))[1])}\b\s*(=|,)", src) for src in failed_sources)
        if unfinished or knock_on:
            explained[key] = errors[key]
            failed_sources.append(cell.source)
    assert explained == errors, "every error says the work is not done yet (or follows from it)"


@pytest.mark.slow
@pytest.mark.parametrize("name", assignments())
def test_hidden_tests_without_the_grader_fail_with_a_clear_message(name, student_machine):
    nb, errors = execute(ROOT / "source" / name / f"{name}.ipynb")
    hidden = [c.metadata.nbgrader["grade_id"] for c in nb.cells
              if c.cell_type == "code" and "BEGIN HIDDEN TESTS" in c.source]
    assert hidden
    for cell in hidden:
        assert errors.get(cell) == ("AssertionError", NO_GRADER), (cell, errors.get(cell))
    assert set(errors) == set(hidden), "only hidden tests need the grader"
