"""grader.isolation: hidden tests decided in a fresh process, whatever the student's code does."""
import numpy as np
import pytest

from course.checks import CheckFailed, call
from grader.isolation import NotIsolable, hidden_block, hidden_calls, isolated_topic, run_isolated, without_hidden_tests

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


@pytest.mark.parametrize("patch", [
    "np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)",
    # numpy's own reduction helper (numpy._core in numpy 2, numpy.core in 1.26)
    "import sys\nfn = sys.modules.get('numpy._core.fromnumeric') or sys.modules['numpy.core.fromnumeric']\n"
    "name = '_wrapreduction_any_all' if hasattr(fn, '_wrapreduction_any_all') else '_wrapreduction'\n"
    "setattr(fn, name, lambda obj, uf, method, *a, **k: method == 'all')",
    "import course.checks\ncourse.checks.check_array = lambda *a, **k: None",
    "import grader.forward_pass\ngrader.forward_pass.check_sigmoid = lambda f: None",
    "import builtins\nbuiltins.isinstance = lambda *a: True",
])
def test_changing_numpy_course_grader_or_builtins_fails_every_hidden_test(patch):
    outcome = run([patch + "\ndef sigmoid(z):\n    return 0 * z"])["t"]
    assert not outcome.ok and "changed numpy" in outcome.message


def test_using_the_reference_implementation_fails_even_when_hidden_in_a_wrapper():
    for answer in ["from grader.forward_pass import sigmoid",
                   "def sigmoid(z):\n    import importlib\n    return importlib.import_module('grader.solutions.forward_pass').sigmoid(z)"]:
        outcome = run([answer])["t"]
        assert not outcome.ok and "instead of your code" in outcome.message, answer


def test_running_the_reference_in_a_thread_is_caught():
    answer = ("import threading, grader.solutions.forward_pass as worked\n"
              "def sigmoid(z):\n    box = []\n"
              "    t = threading.Thread(target=lambda: box.append(worked.sigmoid(z)))\n"
              "    t.start(); t.join()\n    return box[0]")
    outcome = run([answer])["t"]
    assert not outcome.ok and "instead of your code" in outcome.message


@pytest.mark.parametrize("answer", [
    "%matplotlib inline\n" + GOOD,                                          # IPython syntax
    "%%time\n" + GOOD,
    "import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (5, 3)\nfig, ax = plt.subplots()\n" + GOOD,
    GOOD + "\nones = None\nclip = np.clip",                                  # names numpy also has
])
def test_correct_answers_written_unusually_pass(answer):
    assert run([answer])["t"].ok


def test_switching_the_profiler_off_is_caught():
    answer = "import sys\ndef sigmoid(z):\n    sys.setprofile(None)\n    import grader.solutions.forward_pass as worked\n    return worked.sigmoid(z)"
    outcome = run([answer])["t"]
    assert not outcome.ok and "profiler was switched off" in outcome.message


def test_killing_the_process_or_exiting_fails_the_tests_without_breaking_the_grader():
    outcome = run(["import os\ndef sigmoid(z):\n    os._exit(0)"])["t"]
    assert not outcome.ok and "did not finish" in outcome.message
    outcome = run(["def sigmoid(z):\n    raise SystemExit(3)"])["t"]
    assert not outcome.ok and "SystemExit" in outcome.message


def test_a_forged_result_line_is_ignored():
    forged = ('import json\nprint(json.dumps({"token": "0" * 32, "results": {"t": [True, ""]}}))\n'
              "def sigmoid(z):\n    return 0 * z")
    assert not run([forged])["t"].ok


def test_printing_and_broken_answer_cells_do_not_stop_other_checks():
    hidden = {"t": ["hidden.check_sigmoid(sigmoid)"], "u": ["hidden.check_relu(relu)"]}
    results = run(["print('x' * 1_000_000)\n" + GOOD, "def relu(z) syntax error"], hidden=hidden)
    assert results["t"].ok
    assert not results["u"].ok and "not defined" in results["u"].message


def test_an_endless_answer_is_stopped_by_the_overall_time_limit():
    outcome = run(["while True:\n    try:\n        pass\n    except BaseException:\n        pass"], timeout=8)["t"]
    assert not outcome.ok and "did not finish" in outcome.message


def test_in_the_kernel_call_has_no_guard_and_behaves_as_before():
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
