"""Submissions that try to fool the grader, graded by the real `nbgrader autograde` with this
repository's config, together with honest ones in the same run (docs/SPEC.md, "Grading
integrity")."""
import re
import shutil
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
    return root, runs, scores


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
    for secret in ("BEGIN HIDDEN TESTS", "hidden.check_", "from grader import", str(ROOT), str(root)):
        assert secret not in html and secret not in text, f"feedback for {name} shows {secret!r}"


def test_attacks_are_told_why_they_failed(graded):
    root, _, _ = graded
    text = (root / "feedback" / "course_reference_imported" / A / f"{A}.html").read_text()
    assert "instead of your code" in text
    text = (root / "feedback" / "patched_inside_answer" / A / f"{A}.html").read_text()
    assert "changed numpy" in text
