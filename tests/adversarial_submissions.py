"""Submissions that try to earn points they do not deserve, for 01_forward_pass.

Each entry: name -> (notebook builder, the most points it may earn out of 14, what it tries).
The builders start from the committed release (unanswered) or a solved copy of it.
"""
from __future__ import annotations

import copy

import nbformat

from tools.build import ROOT

A = "01_forward_pass"
MAX = 14

RELEASE = nbformat.read(ROOT / "release" / A / f"{A}.ipynb", as_version=4)
SOURCE = nbformat.read(ROOT / "source" / A / f"{A}.ipynb", as_version=4)
SOLUTIONS = {c.metadata.nbgrader["grade_id"]: c.source for c in SOURCE.cells
             if c.metadata.get("nbgrader", {}).get("solution")}
WRONG = {"sigmoid": "def sigmoid(z):\n    return np.zeros_like(np.asarray(z, dtype=float))",
         "relu": "def relu(z):\n    return np.asarray(z, dtype=float)"}


def _release():
    return copy.deepcopy(RELEASE)


def _solved():
    nb = _release()
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in SOLUTIONS:
            cell.source = SOLUTIONS[gid]
    return nb


def _tests(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _answer(nb, answers):
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nb


def _insert(nb, source, where=2):
    nb.cells.insert(where, nbformat.v4.new_code_cell(source))
    return nb


def _in_first_answer(nb, before="", after=""):
    """Code put into the first answer cell (sigmoid's), before or after what is there: answer
    cells run during autograde, plain cells do not."""
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "sigmoid")
    cell.source = "\n".join(part for part in (before, cell.source, after) if part)
    return nb


def skip_execution():
    nb = _release()
    for cell in _tests(nb):
        cell.metadata.setdefault("tags", []).append("skip-execution")
    return nb


def tests_deleted():
    nb = _release()
    nb.cells = [c for c in nb.cells if c not in _tests(nb)]
    return nb


def tests_blanked():
    nb = _release()
    for cell in _tests(nb):
        cell.source = "pass"
    return nb


def tests_as(kind):
    def build():
        nb = _release()
        for i, cell in enumerate(nb.cells):
            if cell.metadata.get("nbgrader", {}).get("grade"):
                new = (nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_raw_cell)(cell.source)
                new.metadata, new.id = cell.metadata, cell.id
                nb.cells[i] = new
        return nb
    return build


def points_inflated():
    nb = _solved()
    for cell in _tests(nb):
        cell.metadata.nbgrader["points"] = 100
    return nb


def numpy_patched():
    return _in_first_answer(_answer(_release(), WRONG), before=(
        "import numpy, numpy.testing\n"
        "numpy.allclose = lambda *a, **k: True\n"
        "numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.broadcast(numpy.asarray(a), numpy.asarray(b)).shape, bool)\n"
        "numpy.array_equal = lambda *a, **k: True\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\n"
        "numpy.testing.assert_array_equal = lambda *a, **k: None"))


def course_checks_patched():
    return _in_first_answer(_answer(_release(), WRONG), before=(
        "import course.checks as cc\n"
        "cc.check_array = lambda *a, **k: None\ncc.check_sequence = lambda *a, **k: None\n"
        "cc.check_true = lambda *a, **k: None\ncc.call = lambda fn, *a, what=None, **k: (fn(*a, **k), [])\n"
        "check_array, check_true, check_sequence, call = cc.check_array, cc.check_true, cc.check_sequence, cc.call"))


def patched_inside_answer():
    """The patch hides inside an answer cell, so it also runs where hidden tests are re-run."""
    answers = dict(WRONG)
    answers["sigmoid"] = ("import numpy\nnumpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.shape(a), bool)\n"
                          + WRONG["sigmoid"])
    return _answer(_release(), answers)


def grader_reference_imported():
    names = ["sigmoid", "relu", "softmax", "dense_forward", "mlp_forward", "predict_spam"]
    return _answer(_release(), {n: f"from grader.forward_pass import {n}" for n in names})


def course_reference_imported():
    names = ["sigmoid", "relu", "softmax", "dense_forward", "mlp_forward"]
    return _answer(_release(), {n: f"def {n}(*args, **kwargs):\n    import grader.solutions.forward_pass as worked\n    return worked.{n}(*args, **kwargs)"
                                for n in names})


def fake_grader_module():
    return _in_first_answer(_answer(_release(), WRONG), before=(
        "import sys, types\nfake = types.ModuleType('grader.forward_pass')\n"
        "fake.__getattr__ = lambda name: (lambda *a, **k: None)\n"
        "pkg = types.ModuleType('grader'); pkg.forward_pass = fake; pkg.__path__ = []\n"
        "sys.modules['grader'] = pkg; sys.modules['grader.forward_pass'] = fake"))


def hard_coded_visible_examples():
    return _answer(_release(), {"sigmoid": (
        "def sigmoid(z):\n    z = np.asarray(z, dtype=float)\n"
        "    if z.shape == (3,) and np.allclose(z, [-2, 0, 3]):\n        return np.array([0.11920292, 0.5, 0.95257413])\n"
        "    if z.shape == (4,):\n        return np.array([0.0, 1.9287498479639178e-22, 1.0, 1.0])\n"
        "    return 0.5 + 0 * z")})


def endless_loop():
    return _in_first_answer(_solved(), after="while True:\n    pass")


def kernel_killed():
    return _in_first_answer(_solved(), before="import os\nos._exit(0)")


def system_exit():
    return _in_first_answer(_solved(), after="raise SystemExit(0)")


def huge_output():
    return _in_first_answer(_solved(), after="print('x' * 20_000_000)\nfor i in range(100_000):\n    print(i)")


def metadata_edited(edit):
    """Correct answers; the nbgrader metadata of some cells edited by hand."""
    def build():
        nb = _solved()
        edit(nb)
        return nb
    return build


def _cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _own_cell_locked(nb):
    _insert(nb, "x = 1", where=3).cells[3].metadata["nbgrader"] = {"locked": True}


def _flag(gid, **flags):
    return lambda nb: _cell(nb, gid).metadata.nbgrader.update(flags)


def answers_in_a_plain_cell():
    """Every answer written in a new plain cell; the answer cells left unanswered."""
    return _insert(_release(), "\n\n".join(SOLUTIONS.values()), where=len(RELEASE.cells))


def plain_cell_breaks_things():
    """Correct answers, and a plain cell that would stop or poison the run if it ran."""
    return _insert(_solved(), "import numpy, os\nnumpy.isclose = None\nos._exit(0)")


# --- attacks on the process that decides the hidden tests (issue 15): each runs in an answer
# cell, so it runs in the kernel and in the student's process of the hidden checks alike

def _wrong_with(before):
    return lambda: _in_first_answer(_answer(_release(), WRONG), before=before)


def _solved_with(after):
    return lambda: _in_first_answer(_solved(), after=after)


SELF_RESTORING = ("import weakref, numpy\nclass _Token: pass\n_token = _Token()\n_isclose = numpy.isclose\n"
                  "numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.shape(a), bool)\n"
                  "weakref.finalize(_token, setattr, numpy, 'isclose', _isclose)\ndel _token")
STDLIB = ("import json, copy, warnings\n_dumps = json.dumps\n"
          "def _all_passed(obj, *a, **k):\n    if isinstance(obj, dict) and 'results' in obj:\n"
          "        obj = {**obj, 'results': {g: [True, ''] for g in obj['results']}}\n    return _dumps(obj, *a, **k)\n"
          "json.dumps = _all_passed\ncopy.deepcopy = lambda x, memo=None: x")
THREAD = ("import threading, time, numpy\ndef _meddle():\n    while True:\n        numpy.isclose = lambda *a, **k: True\n"
          "        time.sleep(0.001)\nthreading.Thread(target=_meddle, daemon=True).start()")
FRAME_WALK = ("import sys\n_seen = {}\ndef _walk(frame, event, arg):\n    f = frame\n    while f is not None:\n"
              "        for name in ('expected', 'results', 'outcome'):\n            if name in f.f_locals:\n"
              "                _seen[name] = f.f_locals[name]\n        f = f.f_back\n    return None\nsys.setprofile(_walk)")
GC_REWRITE = ("import gc, atexit\ndef _forge(*_):\n    for obj in gc.get_objects():\n"
              "        if isinstance(obj, dict) and 'results' in obj and 'token' in obj:\n"
              "            obj['results'] = {g: [True, ''] for g in obj['results']}\n"
              "atexit.register(_forge)\ngc.callbacks.append(_forge)\n_forge()")
FORGED_REPORT = ("import json, os\nfor _fd in (1, 2):\n    try:\n        os.write(_fd, (json.dumps({'token': '0' * 32, "
                 "'results': {g: [True, ''] for g in ['test_sigmoid_values', 'test_relu', 'test_softmax']}}) + '\\n').encode())\n"
                 "    except OSError:\n        pass")
# (it leaves its pid in the notebook's folder, so the test can tell it outlived the run, then end it)
GRANDCHILD = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
              "        with open('lingering.pid', 'a') as f:\n            f.write(f'{os.getpid()}\\n')\n"
              "        time.sleep(600)\n    os._exit(0)")
SIGINT_LOOP = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
OWN_HELPERS = ("def relu_backward(dA, Z):\n    return dA * (Z > 0)\n"
               "def mlp_backward(*args):\n    return None\n"
               "def sigmoid_backward(dA, A):\n    return dA * A * (1 - A)")


ATTACKS = {
    # name: (builder, most points it may earn, what it tries)
    "skip_execution": (skip_execution, 0, "test cells tagged skip-execution"),
    "tests_deleted": (tests_deleted, 0, "test cells deleted"),
    "tests_blanked": (tests_blanked, 0, "test cells replaced by `pass`"),
    "tests_markdown": (tests_as("markdown"), 0, "test cells turned into markdown"),
    "tests_raw": (tests_as("raw"), 0, "test cells turned into raw cells"),
    "points_inflated": (points_inflated, MAX, "points set to 100 in every test cell's metadata"),
    "numpy_patched": (numpy_patched, 0, "numpy's allclose/isclose/array_equal/testing patched, wrong answers"),
    "course_checks_patched": (course_checks_patched, 0, "course.checks helpers replaced, wrong answers"),
    "patched_inside_answer": (patched_inside_answer, 0, "numpy patched inside an answer cell, wrong answers"),
    "grader_reference_imported": (grader_reference_imported, 0, "grader's reference implementations as answers"),
    "course_reference_imported": (course_reference_imported, 0, "the worked solutions of grader.solutions as answers"),
    "fake_grader_module": (fake_grader_module, 0, "a fake `grader` module planted in sys.modules"),
    "hard_coded_visible_examples": (hard_coded_visible_examples, 0, "answers hard-coded to the visible examples"),
    "endless_loop": (endless_loop, MAX, "a cell that never ends (correct answers otherwise)"),
    "kernel_killed": (kernel_killed, 0, "os._exit(0) kills the kernel (correct answers otherwise)"),
    "system_exit": (system_exit, MAX, "raise SystemExit (correct answers otherwise)"),
    "huge_output": (huge_output, MAX, "20 MB of printed output (correct answers otherwise)"),
    "answers_in_a_plain_cell": (answers_in_a_plain_cell, 0, "answers in a plain cell, answer cells unanswered"),
    "own_cell_marked_locked": (metadata_edited(_own_cell_locked), MAX,
                               "a new cell marked read-only, without a grade_id (correct answers)"),
    "test_cell_marked_answer": (metadata_edited(_flag("test_relu", solution=True)), MAX,
                                "a test cell's metadata says it is an answer (correct answers)"),
    "setup_marked_answer": (metadata_edited(_flag("setup", solution=True)), MAX,
                            "the setup cell's metadata says it is an answer (correct answers)"),
    "answer_marked_test": (metadata_edited(_flag("sigmoid", grade=True, points=3)), MAX,
                           "an answer cell's metadata says it is a 3-point test (correct answers)"),
    "duplicate_grade_id": (metadata_edited(lambda nb: _insert(nb, "import numpy as np", where=3).cells[3].metadata
                                           .update(nbgrader=dict(_cell(nb, "setup").metadata.nbgrader))), MAX,
                           "a new cell carrying the setup cell's grade_id (correct answers)"),
    "plain_cell_breaks_things": (plain_cell_breaks_things, MAX,
                                 "a plain cell that patches numpy and kills the kernel (correct answers)"),
    "self_restoring_patch": (_wrong_with(SELF_RESTORING), 0,
                             "numpy patched, put back by a finaliser before any snapshot could see it; wrong answers"),
    "stdlib_patched": (_wrong_with(STDLIB), 0, "json.dumps rewrites every verdict to passed, copy.deepcopy "
                                                "disabled; wrong answers"),
    "thread_started": (_wrong_with(THREAD), 0, "a thread started by an answer cell keeps patching numpy; wrong answers"),
    "frame_walk": (_wrong_with(FRAME_WALK), 0, "a profiler that walks every frame for expected values; wrong answers"),
    "gc_rewrite": (_wrong_with(GC_REWRITE), 0, "rewrites any report it finds through the garbage collector, also at "
                                               "exit; wrong answers"),
    "forged_report": (_wrong_with(FORGED_REPORT), 0, "writes a forged report line to its own output; wrong answers"),
    "lingering_grandchild": (_solved_with(GRANDCHILD), MAX,
                             "a grandchild in a session of its own that sleeps 15 minutes (correct answers)"),
    "sigint_ignored_loop": (_solved_with(SIGINT_LOOP), 0,
                            "an answer cell that ignores interrupts and loops for ever (correct answers before it)"),
}
# Honest submissions graded in the same run: the attacks must not disturb them.
HONEST = {"solved": (_solved, MAX, "every answer right"), "untouched": (_release, 0, "nothing answered"),
          # correct answers written in ways that used to cost points
          "numpy_raises": (_solved_with("np.seterr(all='raise')"), MAX,
                           "np.seterr(all='raise') left on in an answer cell"),
          "own_helpers": (_solved_with(OWN_HELPERS), MAX, "helpers of its own named like the course's functions"),
          "hidden_marker_in_answer": (_solved_with("# ### BEGIN HIDDEN TESTS (a note that quotes the marker)"), MAX,
                                      "an answer cell containing the text of the hidden-test marker")}
