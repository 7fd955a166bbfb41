"""grader.nbgrader_plugin's preprocessors on a small notebook, without nbgrader's CLI: what
autograde runs in the student's kernel, and how the isolated hidden checks' verdicts land."""
import nbformat
import pytest
from nbgrader.nbgraderformat import SCHEMA_VERSION
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.nbgrader_plugin import IsolatedHiddenTests, SafeExecute, StartHiddenTests
from tools.build import ROOT

from .test_isolation import GOOD
from .test_isolation import HIDDEN_BLOCK as HIDDEN


def _cell(source, **nbgrader):
    cell = new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": SCHEMA_VERSION, **nbgrader}
    return cell


def notebook(answer: str, visible: str = "assert abs(sigmoid(0.0) - 0.5) < 1e-12\nprint('visible ok')"):
    stale = _cell("print('scratch')\nraise ValueError('a plain cell ran')")
    stale.outputs = [nbformat.v4.new_output("stream", name="stdout", text="old output\n")]
    return new_notebook(cells=[
        new_markdown_cell("# t"),
        _cell("import numpy as np\nfrom course.checks import NO_GRADER", grade_id="setup", locked=True,
              grade=False, solution=False),
        stale,
        _cell(answer, grade_id="sigmoid", solution=True, grade=False, locked=False),
        _cell(HIDDEN + visible, grade_id="test_sigmoid", grade=True, solution=False, locked=True, points=1),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


@pytest.fixture
def grade(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")

    def run(nb):
        resources = {"metadata": {"path": str(tmp_path)}}
        for pre in (StartHiddenTests(), SafeExecute(isolated_hidden_tests=True), IsolatedHiddenTests()):
            nb, resources = pre.preprocess(nb, resources)
        return nb
    return run


def errors(cell):
    return [o for o in cell.outputs if o.output_type == "error"]


def test_plain_cells_do_not_run_and_lose_their_stale_outputs(grade):
    nb = grade(notebook(GOOD))
    plain = nb.cells[2]
    assert plain.outputs == [] and plain.execution_count is None
    test = nb.cells[4]
    assert not errors(test) and "visible ok" in "".join(o.get("text", "") for o in test.outputs)


def test_the_kernel_runs_the_visible_part_and_the_hidden_checks_run_once_elsewhere(grade, tmp_path, monkeypatch):
    # the student's sigmoid logs each call, and where it ran, to calls.txt in the notebook's
    # folder (where both the kernel and the student's process of the hidden checks run)
    logging = ("import sys\ndef sigmoid(z):\n    with open('calls.txt', 'a') as log:\n"
               "        log.write(('kernel' if 'ipykernel' in sys.modules else 'checks') + '\\n')\n"
               "    return np.exp(-np.logaddexp(0, -np.asarray(z, dtype=float)))")
    graded = grade(notebook(logging))
    assert not errors(graded.cells[4])
    assert "BEGIN HIDDEN TESTS" in graded.cells[4].source          # the source is put back
    calls = (tmp_path / "calls.txt").read_text().split()
    assert calls.count("kernel") == 1                               # the visible check's one call
    assert calls.count("checks") > 1                                # the hidden checks, elsewhere


def test_grading_processes_use_one_blas_thread_unless_the_instructor_says_otherwise(grade, tmp_path, monkeypatch):
    # two graders at once on two cores: a BLAS thread per core in every kernel, checker and
    # student process would make them fight over the cores (and costs each ~0.07 s at import)
    logging = ("import os, sys\ndef sigmoid(z):\n    with open('threads.txt', 'a') as log:\n"
               "        log.write(('kernel' if 'ipykernel' in sys.modules else 'checks') + ' '\n"
               "                  + os.environ.get('OPENBLAS_NUM_THREADS', 'unset') + '\\n')\n"
               "    return np.exp(-np.logaddexp(0, -np.asarray(z, dtype=float)))")
    for setting, expected in ((None, "1"), ("3", "3")):
        if setting is None:
            monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
        else:
            monkeypatch.setenv("OPENBLAS_NUM_THREADS", setting)
        (tmp_path / "threads.txt").unlink(missing_ok=True)
        assert not errors(grade(notebook(logging)).cells[4])
        seen = {tuple(line.split()) for line in (tmp_path / "threads.txt").read_text().splitlines()}
        assert seen == {("kernel", expected), ("checks", expected)}


def test_a_hidden_failure_takes_the_place_of_the_kernels_error_and_names_the_mistake(grade):
    wrong = "def sigmoid(z):\n    return 1 / (1 + np.exp(np.asarray(z, dtype=float)))"
    nb = grade(notebook(wrong))
    [error] = errors(nb.cells[4])
    assert error.ename == "CheckFailed" and "sign of z flipped" in error.evalue


def test_a_visible_pass_does_not_hide_a_hidden_failure(grade):
    fitted = ("def sigmoid(z):\n    z = np.asarray(z, dtype=float)\n"
              "    return np.where(z == 0, 0.5, 0 * z)")
    nb = grade(notebook(fitted))
    assert "visible ok" in "".join(o.get("text", "") for o in nb.cells[4].outputs)
    [error] = errors(nb.cells[4])
    assert error.ename == "CheckFailed"


def test_without_the_setting_the_whole_test_cell_runs_in_the_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    nb = notebook("def sigmoid(z):\n    return 0 * z", visible="print('visible ran')")
    nb, _ = SafeExecute().preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    [error] = errors(nb.cells[4])
    assert "visible ran" not in "".join(o.get("text", "") for o in nb.cells[4].outputs)
    assert error.ename == "CheckFailed"
