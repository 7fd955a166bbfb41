"""grader.isolation: hidden tests decided in a process that never runs student code, whatever that code does."""
import time

import numpy as np
import pytest

from course.checks import CheckFailed, call
from grader.isolation import (IsolatedRun, NotIsolable, hidden_block, hidden_calls, isolated_topic, run_isolated,
                              without_hidden_tests)

SETUP = ["import numpy as np"]
GOOD = "def sigmoid(z):\n    return np.exp(-np.logaddexp(0, -np.asarray(z, dtype=float)))"
CHECKS = {"t": ["hidden.check_sigmoid(sigmoid)"]}


def run(answers, hidden=CHECKS, **kwargs):
    return run_isolated("forward_pass", SETUP, answers, hidden, **kwargs)


def test_hidden_calls_are_read_from_between_the_markers_only():
    source = ("x = 1\nhidden.check_relu(relu)\n### BEGIN HIDDEN TESTS\ntry:\n    from grader import forward_pass as hidden\n"
              "except ImportError:\n    raise\nhidden.check_sigmoid(sigmoid)\nhidden.check_mlp_forward(mlp_forward, sigmoid)\n"
              "### END HIDDEN TESTS\n")
    assert hidden_calls(source) == ["hidden.check_sigmoid(sigmoid)", "hidden.check_mlp_forward(mlp_forward, sigmoid)"]


def test_a_right_answer_passes_and_a_wrong_one_fails_with_the_named_mistake():
    assert run([GOOD])["t"].ok
    outcome = run(["def sigmoid(z):\n    return 1 / (1 + np.exp(np.asarray(z, dtype=float)))"])["t"]
    assert not outcome.ok and "sign of z flipped" in outcome.message


WRONG = "\ndef sigmoid(z):\n    return 0 * np.asarray(z, dtype=float)"


def message(answers, **kwargs):
    outcome = run(answers, **kwargs)["t"]
    assert not outcome.ok, answers
    return outcome.message


# Attacks on the checker: the student's code runs in a process of its own, so each one can only
# change that process; the verdict (computed where no student code runs) stays "wrong values".
@pytest.mark.parametrize("attack", [
    # comparisons, course's checks, the grader, builtins, numpy internals: patched in the student's process
    "np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)\nnp.allclose = lambda *a, **k: True",
    "import course.checks\ncourse.checks.check_array = lambda *a, **k: None",
    "import builtins\nbuiltins.isinstance = lambda *a: True",
    # a patch that restores itself from a finaliser before anyone could compare a snapshot
    "import weakref\nclass _T: pass\n_t = _T()\n_old = np.isclose\nnp.isclose = lambda *a, **k: np.ones(np.shape(a[0]), bool)\n"
    "weakref.finalize(_t, setattr, np, 'isclose', _old)\ndel _t",
    # standard-library modules the checker writes its report with
    "import json\n_dumps = json.dumps\njson.dumps = lambda obj, *a, **k: _dumps({**obj, 'results': "
    "{g: [True, ''] for g in obj.get('results', {})}} if isinstance(obj, dict) else obj, *a, **k)",
    "import copy, warnings\ncopy.deepcopy = lambda x, memo=None: x\nwarnings.catch_warnings = None",
    # a thread started before the call, watching for the checker's expected values
    "import threading, time\ndef _watch():\n    while True:\n        time.sleep(0.001)\n"
    "threading.Thread(target=_watch, daemon=True).start()",
    # frames and the garbage collector: everything reachable in this process
    "import gc, sys\ndef _forge():\n    for o in gc.get_objects():\n        if isinstance(o, dict) and 'results' in o:\n"
    "            o['results'] = {}\n    f = sys._getframe()\n    while f:\n        f.f_locals.get('expected', None)\n"
    "        f = f.f_back\nimport atexit\natexit.register(_forge)\n_forge()",
    # a forged report line on the process's own output
    "import json, os\nos.write(1, (json.dumps({'token': '0' * 32, 'results': {'t': [True, '']}}) + '\\n').encode())",
    # the student's own numpy error state
    "np.seterr(all='raise')",
])
def test_an_attack_changes_only_the_students_own_process(attack):
    """Either the wrong answer is judged as such, or the attack broke the student's own process."""
    text = message([attack + WRONG])
    assert any(verdict in text for verdict in ("wrong values", "your function raised", "ended the process")), text


def test_a_students_numpy_state_never_reaches_the_checker():
    """np.seterr(all='raise') left on used to make the reference itself fail: a correct answer must pass."""
    assert run(["np.seterr(all='raise')\n" + GOOD])["t"].ok
    assert run(["import warnings\nwarnings.simplefilter('error')\n" + GOOD])["t"].ok


def test_helpers_named_like_course_functions_are_the_students_own():
    """A student's own `relu` or `dense_forward` is not taken for the course's."""
    helpers = "def relu(z):\n    return np.maximum(z, 0)\ndef dense_forward(X, W, b):\n    return X @ W + b\n"
    assert run([helpers + GOOD])["t"].ok


def test_the_grader_is_not_importable_by_the_students_code():
    text = message(["from grader.forward_pass import sigmoid"])
    assert "not defined" in text
    text = message(["def sigmoid(z):\n    import grader.forward_pass\n    return grader.forward_pass.sigmoid(z)"])
    assert "ImportError" in text and "not available" in text


def test_a_lingering_grandchild_does_not_hold_the_grading():
    """A fork that never exits (and leaves the process group) costs nothing: the checker never
    waits for the student's output to close, and kills the student's whole group at the end."""
    answer = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(600)\n    os._exit(0)\n" + GOOD)
    started = time.monotonic()
    assert run([answer])["t"].ok
    assert time.monotonic() - started < 20


def test_a_loop_that_ignores_interrupts_and_alarms_fails_only_its_check():
    hidden = {"t": ["hidden.check_sigmoid(sigmoid)"], "u": ["hidden.check_relu(relu)"]}
    answer = ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
              "def sigmoid(z):\n    while True:\n        pass\ndef relu(z):\n    return np.maximum(z, 0)")
    started = time.monotonic()
    results = run([answer], hidden=hidden, timeout=30, check_timeout=4)
    assert not results["t"].ok and "ran out of time (4 s)" in results["t"].message
    assert results["u"].ok, results["u"].message       # the process was started again for the next check
    assert time.monotonic() - started < 25


@pytest.mark.parametrize("answer", [
    "%matplotlib inline\n" + GOOD,                                          # IPython syntax
    "%%time\n" + GOOD,
    "import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (5, 3)\nfig, ax = plt.subplots()\n" + GOOD,
    GOOD + "\nones = None\nclip = np.clip",                                  # names numpy also has
])
def test_correct_answers_written_unusually_pass(answer):
    assert run([answer])["t"].ok


def test_killing_the_process_or_exiting_fails_the_tests_without_breaking_the_grader():
    hidden = {"t": ["hidden.check_sigmoid(sigmoid)"], "u": ["hidden.check_relu(relu)"]}
    results = run(["import os\ndef sigmoid(z):\n    os._exit(0)\ndef relu(z):\n    return np.maximum(z, 0)"],
                  hidden=hidden)
    assert not results["t"].ok and "ended the process" in results["t"].message
    assert results["u"].ok
    assert "SystemExit" in message(["def sigmoid(z):\n    raise SystemExit(3)"])


def test_printing_and_broken_answer_cells_do_not_stop_other_checks():
    hidden = {"t": ["hidden.check_sigmoid(sigmoid)"], "u": ["hidden.check_relu(relu)"]}
    results = run(["print('x' * 1_000_000)\n" + GOOD, "def relu(z) syntax error"], hidden=hidden)
    assert results["t"].ok
    assert not results["u"].ok and "not defined" in results["u"].message


def test_an_endless_answer_cell_is_stopped_and_said():
    assert "did not finish" in message(["while True:\n    try:\n        pass\n    except BaseException:\n"
                                        "        pass"], timeout=8)


def test_in_the_kernel_call_runs_the_function_here():
    got, _ = call(lambda z: z * 2, np.ones(2), what="f")
    assert np.array_equal(got, [2.0, 2.0])
    with pytest.raises(CheckFailed):
        call(lambda z: z.fill(0), np.ones(2), what="f")


HIDDEN_BLOCK = ("### BEGIN HIDDEN TESTS\ntry:\n    from grader import forward_pass as hidden\nexcept ImportError:\n"
                "    raise AssertionError(NO_GRADER) from None\nhidden.check_sigmoid(sigmoid)\n### END HIDDEN TESTS\n")
VISIBLE = "check_array(sigmoid(0.0), 0.5, what='sigmoid(0)')\nprint('ok')\n"


def test_a_block_of_grader_checks_runs_isolated_and_the_kernel_keeps_the_visible_part():
    assert isolated_topic(HIDDEN_BLOCK + VISIBLE) == "forward_pass"
    assert without_hidden_tests(HIDDEN_BLOCK + VISIBLE) == VISIBLE


SPLIT = ("### BEGIN HIDDEN TESTS\ntry:\n    from grader import forward_pass as hidden  # the reference\n"
         "except ImportError:\n    raise AssertionError(NO_GRADER) from None\n"
         "hidden.check_mlp_forward(  # a call over three lines\n    mlp_forward,\n    sigmoid)  # trailing comment\n"
         "hidden.check_sigmoid(sigmoid)   # another\n### END HIDDEN TESTS\n")


def test_a_call_split_over_lines_or_with_a_comment_still_runs_isolated():
    block = hidden_block(SPLIT + VISIBLE)
    assert block.topic == "forward_pass"
    assert block.calls == ("hidden.check_mlp_forward(mlp_forward, sigmoid)", "hidden.check_sigmoid(sigmoid)")
    assert without_hidden_tests(SPLIT + VISIBLE) == VISIBLE


def test_split_calls_are_checked_in_the_isolated_process():
    answers = [GOOD, "def mlp_forward(X, layers, activation):\n    return X"]
    results = run(answers, hidden={"t": list(hidden_block(SPLIT).calls)})
    assert not results["t"].ok and "mlp_forward" in results["t"].message


def test_a_cell_without_a_hidden_block_has_none():
    assert hidden_block(VISIBLE) is None and isolated_topic(VISIBLE) is None and hidden_calls(VISIBLE) == []


@pytest.mark.parametrize("block, why", [
    (HIDDEN_BLOCK.replace("hidden.check_sigmoid(sigmoid)\n", "hidden.check_sigmoid(sigmoid)\nassert sigmoid(0) == 0.5\n"),
     "`assert sigmoid(0) == 0.5`, is neither"),
    (HIDDEN_BLOCK.replace("hidden.check_sigmoid(sigmoid)\n", ""), "calls no `hidden.check_"),
    (HIDDEN_BLOCK.replace("from grader import forward_pass as hidden", "import grader.forward_pass as hidden"),
     "`try:`, is neither `from grader import NAME as hidden`"),
    ("### BEGIN HIDDEN TESTS\nhidden.check_sigmoid(sigmoid)\n### END HIDDEN TESTS\n", "must import exactly one grader module"),
    (HIDDEN_BLOCK.replace("hidden.check_sigmoid(sigmoid)\n", "hidden.check_sigmoid(sigmoid\n"), "not valid Python"),
    (HIDDEN_BLOCK.replace("hidden.check_sigmoid(sigmoid)\n", "x = hidden.check_sigmoid(sigmoid)\n"), "is neither"),
])
def test_any_other_hidden_block_is_refused_with_the_reason(block, why):
    """Plain asserts, no check, an unusual import, broken syntax: never run in the kernel instead."""
    with pytest.raises(NotIsolable) as refused:
        isolated_topic(block + VISIBLE)
    assert why in str(refused.value)


def test_the_students_process_runs_in_the_notebooks_folder(tmp_path):
    """The setup cell imports the modules released beside the notebook (e.g. `from forward_pass
    import ...` in 03-05): the student's process finds them there, as the kernel does."""
    (tmp_path / "beside.py").write_text("def same(x):\n    return x\n")
    answer = "def sigmoid(z):\n    return same(np.exp(-np.logaddexp(0, -np.asarray(z, dtype=float))))"
    setup = SETUP + ["from beside import same"]
    assert IsolatedRun("forward_pass", setup, [answer], CHECKS, cwd=str(tmp_path)).outcomes()["t"].ok
    outcome = IsolatedRun("forward_pass", setup, [answer], CHECKS).outcomes()["t"]
    assert not outcome.ok and "same" in outcome.message
