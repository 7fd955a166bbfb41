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
def test_the_untouched_release_runs_to_the_end_and_says_what_is_not_written(name, student_machine):
    """Run All on an untouched release notebook: every cell runs (nbclient, like JupyterLab,
    goes past a failing cell only when it is tagged raises-exception: the test cells are);
    only test cells fail, each with one line naming the function that is not written yet;
    demonstrations print which exercise to finish instead of failing."""
    path = ROOT / "release" / name / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",            # allow_errors=False: stops at an
                   resources={"metadata": {"path": str(path.parent)}}).execute()   # untagged failure
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "every code cell ran"
    tests = [c for c in code if c.metadata.get("nbgrader", {}).get("grade")]
    assert tests and all("raises-exception" in c.metadata.get("tags", []) for c in tests)
    for cell in code:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if cell in tests:
            assert len(errors) == 1, (cell.metadata.nbgrader["grade_id"], "fails until its exercise is done")
            error = errors[0]
            assert error.ename == "NotWrittenYet" and len(error.traceback) == 1, (cell.source, error)
            assert re.search(r"`\w+` is not written yet", error.evalue), error.evalue
        else:
            assert not errors, (cell.source[:200], errors)
            shown = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            if "with using_your_code():" in cell.source:     # a demonstration: one line, which exercise
                assert shown.count("\n") <= 1 and ("is not written yet" in shown or "needs `" in shown), \
                    (cell.source[:200], shown)
    said = "".join(o.get("text", "") for c in code for o in c.outputs if o.output_type == "stream")
    assert "Traceback" not in said


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


@pytest.mark.slow
def test_nbgrader_validate_still_reports_each_unfinished_exercise(tmp_path, student_machine):
    """The raises-exception tags that let Run All go on change nothing for `nbgrader
    validate` (its Python API: the command exits 0 either way): an untouched notebook fails
    validation, one failed test cell per test, each saying which function is not written."""
    from nbgrader.validator import Validator

    name = assignments()[0]
    path = tmp_path / f"{name}.ipynb"
    path.write_bytes((ROOT / "release" / name / f"{name}.ipynb").read_bytes())
    tests = [c for c in nbformat.read(path, as_version=4).cells if c.metadata.get("nbgrader", {}).get("grade")]
    failed = Validator().validate(str(path)).get("failed", [])
    assert len(failed) == len(tests) > 0
    assert all("is not written yet" in f["raw_error"] for f in failed), [f["raw_error"] for f in failed]
