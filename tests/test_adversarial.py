"""Submissions that try to fool the grader, graded by the real `nbgrader autograde` with this
repository's config, together with honest ones in the same run (docs/SPEC.md, "Grading
integrity")."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import nbformat
import pytest
from nbgrader.api import Gradebook

from tools.build import ROOT, nbgrader_env

from .adversarial_submissions import A, ATTACKS, HONEST, MAX

pytestmark = pytest.mark.slow
ALL = {**ATTACKS, **HONEST}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One course directory, every submission, one autograde and one generate_feedback."""
    root = tmp_path_factory.mktemp("adversarial")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "source" / A, root / "source" / A)
    for package in ("course", "grader"):
        (root / package).symlink_to(ROOT / package)
    for name, (build, _, _) in ALL.items():
        folder = root / "submitted" / name / A
        folder.mkdir(parents=True)
        nbformat.write(build(), str(folder / f"{A}.ipynb"))
    env = nbgrader_env()
    env.pop("PYTHONPATH", None)
    runs = {}
    for command in ("generate_assignment", "autograde", "generate_feedback"):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "nbgrader", command, A, "--force"], cwd=root, env=env,
                              capture_output=True, text=True, timeout=1800)
        runs[command] = (done, time.perf_counter() - started)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        scores = {name: (gb.find_submission(A, name).score, gb.find_submission(A, name).max_score) for name in ALL}
    yield root, runs, scores
    for pid in _lingering(root):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _lingering(root) -> list[int]:
    """The processes the lingering_grandchild submission started (its kernel's and its hidden checks')."""
    found = []
    for folder in ("autograded", "submitted"):
        path = root / folder / "lingering_grandchild" / A / "lingering.pid"
        if path.exists():
            found += [int(line) for line in path.read_text().split()]
    return found


def test_a_process_that_outlives_its_notebook_does_not_hold_the_grading(graded):
    """Its grandchild, in a session of its own, sleeps for 10 minutes: autograde and the harness
    reading its output finished without waiting for it (it was still alive afterwards)."""
    root, runs, _ = graded
    pids = _lingering(root)
    assert pids, "the submission's grandchild never started"
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
            alive.append(pid)
        except ProcessLookupError:
            pass
    assert alive, "no grandchild outlived the run: this test no longer tests anything"
    assert runs["autograde"][1] < 540


def test_autograde_and_feedback_finish_cleanly(graded):
    _, runs, _ = graded
    for command, (done, seconds) in runs.items():
        assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    print(f"autograde of {len(ALL)} submissions: {runs['autograde'][1]:.0f} s")


@pytest.mark.parametrize("name", list(ALL))
def test_no_submission_earns_more_than_it_deserves(graded, name):
    _, _, scores = graded
    build, most, what = ALL[name]
    score, max_score = scores[name]
    assert max_score == MAX, f"{name}: the maximum changed to {max_score} ({what})"
    assert score <= most, f"{name} ({what}) earned {score}, at most {most} is deserved"
    if name in HONEST or most == MAX:
        assert score == most, f"{name} ({what}) lost points it deserves: {score}/{most}"


@pytest.mark.parametrize("name", list(ALL))
def test_every_student_gets_small_feedback_without_hidden_tests_or_paths(graded, name):
    root, _, _ = graded
    page = root / "feedback" / name / A / f"{A}.html"
    assert page.exists(), f"no feedback for {name}"
    html = page.read_text()
    assert page.stat().st_size < 1_000_000, f"feedback for {name} is {page.stat().st_size} bytes"
    text = re.sub(r"<[^>]+>", "", html)
    secrets = ["hidden.check_", "from grader import", str(ROOT), str(root)]
    if name != "hidden_marker_in_answer":      # that student's own answer quotes the marker: theirs to see
        secrets.append("BEGIN HIDDEN TESTS")
    for secret in secrets:
        assert secret not in html and secret not in text, f"feedback for {name} shows {secret!r}"


def _feedback(root, name):
    return re.sub(r"<[^>]+>", "", (root / "feedback" / name / A / f"{A}.html").read_text())


def test_attacks_are_told_why_they_failed(graded):
    root, _, _ = graded
    # the grader cannot be imported where hidden checks call the student's code
    assert "is not defined" in _feedback(root, "grader_reference_imported")
    # the course package holds no answers to call
    assert "your function raised" in _feedback(root, "course_reference_imported")
    # patches change only the student's own process: the wrong answers are judged as wrong
    for name in ("patched_inside_answer", "self_restoring_patch", "stdlib_patched", "thread_started",
                 "frame_walk", "gc_rewrite", "forged_report"):
        assert "wrong values" in _feedback(root, name), name
    # a loop that ignores the interrupt: the cells that never ran say why
    assert "stopped responding" in _feedback(root, "sigint_ignored_loop")


def test_each_hidden_checks_verdict_is_recorded_as_data(graded):
    """The autograded notebook carries what every hidden check decided (for class reports)."""
    root, _, _ = graded

    def recorded(name):
        nb = nbformat.read(root / "autograded" / name / A / f"{A}.ipynb", as_version=4)
        return nb.metadata["backprop_lab"]["hidden_checks"]

    solved = recorded("solved")
    assert solved and all(v == {"passed": True, "mistake": None} for v in solved.values())
    untouched = recorded("untouched")
    assert untouched.keys() == solved.keys() and not any(v["passed"] for v in untouched.values())
    # os._exit in an answer cell ends the student's process of the hidden checks too: said as such
    assert recorded("kernel_killed")["test_sigmoid_values"] == {"passed": False, "mistake": "process_ended"}
