"""Grading a class in parallel (tools/grade_class.py) gives what sequential `nbgrader autograde` and
`generate_feedback` give, student by student and cell by cell; a failing student is reported and
does not stop the others; re-running grades only what changed; the same jobs on a real Dask
cluster lose no student when a worker dies; and the class report counts the planted mistakes."""
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import nbformat
import pytest
from nbgrader.api import Gradebook

from tools import class_report, feedback_audit
from tools.build import ROOT, nbgrader_env
from tools.class_report import Exercise

A = "01_forward_pass"
SOURCE = nbformat.read(ROOT / "source" / A / f"{A}.ipynb", as_version=4)
RELEASE = nbformat.read(ROOT / "release" / A / f"{A}.ipynb", as_version=4)
PACKED = feedback_audit.students(A)
# who hands in what: a solved notebook, two students with the same wrong answers, one with others
PLANTED = {"ada": {}, "bob": PACKED[0], "cy": PACKED[1], "dee": PACKED[0]}
GRADED = sorted(PLANTED)
BROKEN = "eve"            # hands in a file that is not a notebook


# ---------------------------------------------------------------- the report's arithmetic (fast)

def test_the_report_counts_shares_and_unnamed_failures():
    students = ["s1", "s2", "s3", "s4"]
    ex = Exercise("nb", "test_relu", 2.0, scores={"s1": 2.0, "s2": 0.0, "s3": 0.0, "s4": 1.0},
                  mistakes={"s2": "relu_max", "s3": "relu_max", "s4": None})
    fine = Exercise("nb", "test_sigmoid_values", 1.0, scores=dict.fromkeys(students, 1.0))
    rows = class_report.summarise(students, [ex, fine])
    assert rows[0].mean == pytest.approx(0.75)
    assert rows[0].lost == ["s2", "s3", "s4"]
    assert rows[0].named == [("relu_max", ["s2", "s3"])]
    assert rows[0].unnamed == ["s4"]
    page = class_report.markdown(A, students, rows, names=False, picture=None)
    assert "| np.max used where np.maximum is meant (`relu_max`) | 2 | 50 % |" in page
    assert "| lost points, no mistake named | 1 | 25 % |" in page
    assert "No mistakes." in page
    assert not any(s in page for s in students)
    assert "s2, s3" in class_report.markdown(A, students, rows, names=True, picture=None)


def test_a_class_goes_in_shrinking_batches_and_a_failure_in_one_is_retried_alone():
    from tools.grade_class import BATCH, Job, Result, batches, run

    jobs = [Job(f"s{k:02d}", {}, {}, "") for k in range(40)]
    planned = batches(jobs, workers=2)
    sizes = [len(b) for b in planned]
    assert [j for b in planned for j in b] == jobs                       # everyone once, in order
    assert sizes == sorted(sizes, reverse=True) and max(sizes) <= BATCH and sizes[-1] == 1 and sizes[0] > 1
    second = {j.student for j in planned[1]}

    class Engine:
        """Runs each batch at once: s03's grading always fails, and the worker of the second
        batch dies once."""
        workers, seen = 2, []

        def submit(self, batch):
            self.seen.append([j.student for j in batch])
            if len(self.seen) == 2:
                return Done(RuntimeError("worker died"))
            return Done([Result(j.student, j.digest, j.student != "s03") for j in batch])

        @staticmethod
        def wait_any(futures):
            return futures[:1]

    class Done:
        def __init__(self, value):
            self.value = value

        def result(self):
            if isinstance(self.value, Exception):
                raise self.value
            return self.value

    engine, got = Engine(), []
    attempts = run(engine, jobs, got.append)
    assert sorted(r.student for r in got) == [j.student for j in jobs]          # each reported once
    assert [r.student for r in got if not r.ok] == ["s03"]
    assert {s for s, n in attempts.items() if n > 1} == {"s03"} | second
    assert all(len(b) == 1 for b in engine.seen[len(planned):])                # retries go alone


# ---------------------------------------------------------------- the real pipeline (slow)

def _course(root):
    root.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "source" / A, root / "source" / A)
    for package in ("course", "grader"):
        (root / package).symlink_to(ROOT / package)
    for name, edits in PLANTED.items():
        folder = root / "submitted" / name / A
        folder.mkdir(parents=True)
        nbformat.write(feedback_audit.submission(SOURCE, RELEASE, edits), str(folder / f"{A}.ipynb"))
    (root / "submitted" / "bob" / A / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    (root / "submitted" / BROKEN / A).mkdir(parents=True)
    (root / "submitted" / BROKEN / A / f"{A}.ipynb").write_text("{ this is not a notebook")
    _nbgrader(root, "generate_assignment", A, "--force")
    return root


def _env():
    env = nbgrader_env()
    env.pop("PYTHONPATH", None)           # the config puts the course folder first
    return env


def _nbgrader(root, *args):
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=_env(), capture_output=True,
                          text=True, timeout=1200)


def _grade_class(root, *args, **popen):
    cmd = [sys.executable, str(ROOT / "tools" / "grade_class.py"), *args, "--json", str(root / "summary.json")]
    if popen:
        return subprocess.Popen(cmd, cwd=root, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done = subprocess.run(cmd, cwd=root, env=_env(), capture_output=True, text=True, timeout=1200)
    return done, json.loads((root / "summary.json").read_text())


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    """The same class graded sequentially by nbgrader and by grade_class with two workers."""
    tmp = tmp_path_factory.mktemp("class")
    sequential, parallel = _course(tmp / "sequential"), _course(tmp / "parallel")
    _nbgrader(sequential, "autograde", A)          # exits 1: eve's file is not a notebook
    _nbgrader(sequential, "generate_feedback", A)
    done, summary = _grade_class(parallel, A, "--workers", "2")
    return sequential, parallel, done, summary


def _gradebook(root):
    out = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for s in gb.assignment_submissions(A):
            out[s.student_id] = {
                "timestamp": s.timestamp, "score": s.score, "late": s.late_submission_penalty,
                "grades": {(nb.name, g.name): (g.auto_score, g.manual_score, g.score, g.max_score, g.needs_manual_grade)
                           for nb in s.notebooks for g in nb.grades},
                "comments": {(nb.name, c.name): (c.auto_comment, c.manual_comment)
                             for nb in s.notebooks for c in nb.comments}}
    return out


def _feedback(root, student):
    """The feedback page's text: tags, this course folder's path and the split of a cell's
    printed output into stream chunks (timing: how the kernel flushed it) left out."""
    html = (root / "feedback" / student / A / f"{A}.html").read_text()
    text = re.sub(r"<[^>]+>", " ", html.replace(str(root), "COURSE"))
    return " ".join(text.split())


def _outputs(root, student):
    nb = nbformat.read(root / "autograded" / student / A / f"{A}.ipynb", as_version=4)
    return [(c.metadata.get("nbgrader", {}).get("grade_id"),
             " ".join("".join(o.get("text", "") + o.get("evalue", "") for o in c.get("outputs", [])).split()))
            for c in nb.cells], nb.metadata.get("backprop_lab")


@pytest.mark.slow
def test_scores_and_feedback_are_those_of_sequential_nbgrader(classes):
    sequential, parallel, done, summary = classes
    assert summary["graded"] == GRADED, done.stdout + done.stderr
    want, got = _gradebook(sequential), _gradebook(parallel)
    assert sorted(got) == sorted(want) == sorted([*GRADED, BROKEN])
    for student in want:                  # eve too: submitted, no automatic scores, as nbgrader leaves her
        for key, value in want[student].items():
            assert got[student][key] == value, f"{student}: {key} differs"
    for student in GRADED:
        assert _feedback(parallel, student) == _feedback(sequential, student), student
        assert _outputs(parallel, student) == _outputs(sequential, student), student
    assert want["ada"]["score"] == 14 and want["bob"]["score"] < 14
    assert want["bob"]["timestamp"] is not None
    # what the formgrader and `nbgrader export` read
    for root in (sequential, parallel):
        assert _nbgrader(root, "export", "--to", str(root / "grades.csv")).returncode == 0
    rows = {root: (root / "grades.csv").read_text().splitlines() for root in (sequential, parallel)}
    # the same rows; their order is the order the submissions reached the gradebook (here: who finished first)
    assert rows[parallel][0] == rows[sequential][0] and sorted(rows[parallel]) == sorted(rows[sequential])


@pytest.mark.slow
def test_a_grade_given_by_hand_survives_regrading_and_reaches_the_feedback(classes):
    _, parallel, _, _ = classes
    with Gradebook(f"sqlite:///{parallel / 'gradebook.db'}") as gb:
        grade = gb.find_grade("test_relu", A, A, "cy")
        grade.manual_score = 0.5
        gb.db.commit()
    path = parallel / "submitted" / "cy" / A / f"{A}.ipynb"
    path.write_text(path.read_text() + "\n")            # handed in again: graded again
    done, summary = _grade_class(parallel, A, "--workers", "1", "--students", "cy")
    assert summary["graded"] == ["cy"], done.stdout + done.stderr
    with Gradebook(f"sqlite:///{parallel / 'gradebook.db'}") as gb:
        grade = gb.find_grade("test_relu", A, A, "cy")
        assert (grade.manual_score, grade.needs_manual_grade) == (0.5, True)   # as SaveAutoGrades leaves it
    page = (parallel / "feedback" / "cy" / A / f"{A}.html").read_text()
    assert _nbgrader(parallel, "generate_feedback", A, "--student", "cy", "--force").returncode == 0
    assert (parallel / "feedback" / "cy" / A / f"{A}.html").read_text() == page


@pytest.mark.slow
def test_a_local_worker_that_dies_loses_no_student(classes):
    import psutil

    sequential, parallel, _, _ = classes
    run = _grade_class(parallel, A, "--workers", "2", "--force", "--students", ",".join(GRADED), popen=True)
    deadline = time.monotonic() + 300
    victim = None
    while victim is None:                 # a worker process with a kernel under it: it is grading someone
        assert time.monotonic() < deadline and run.poll() is None, "no worker started a job"
        busy = [p for p in psutil.Process(run.pid).children() if len(p.children(recursive=True)) > 0]
        victim = busy[0] if busy else None
        time.sleep(0.2)
    victim.kill()
    out, _ = run.communicate(timeout=900)
    summary = json.loads((parallel / "summary.json").read_text())
    assert run.returncode == 0 and summary["graded"] == GRADED and summary["retried"], out
    want, got = _gradebook(sequential), _gradebook(parallel)
    auto = lambda rows, s: {k: v[0] for k, v in rows[s]["grades"].items()}  # noqa: E731 (cy has a grade by hand now)
    assert {s: auto(got, s) for s in GRADED} == {s: auto(want, s) for s in GRADED}


@pytest.mark.slow
def test_a_failing_student_is_retried_reported_and_stops_nobody(classes):
    _, parallel, done, summary = classes
    assert done.returncode == 1
    assert list(summary["failed"]) == [BROKEN] and summary["retried"] == [BROKEN]
    assert f"failed: {BROKEN}" in done.stdout
    assert "graded 4, failed 1" in done.stdout
    assert summary["sandbox"] == (shutil.which("bwrap") is not None)


@pytest.mark.slow
def test_a_rerun_grades_only_what_is_new_or_changed(classes):
    _, parallel, _, _ = classes
    done, summary = _grade_class(parallel, A, "--workers", "2", "--students", ",".join(GRADED))
    assert done.returncode == 0 and summary["graded"] == [] and sorted(summary["up_to_date"]) == GRADED
    path = parallel / "submitted" / "ada" / A / f"{A}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("an afterthought"))
    nbformat.write(nb, str(path))
    done, summary = _grade_class(parallel, A, "--workers", "2", "--students", ",".join(GRADED))
    assert summary["graded"] == ["ada"] and len(summary["up_to_date"]) == 3, done.stdout
    before = _gradebook(parallel)
    done, summary = _grade_class(parallel, A, "--workers", "2", "--students", "bob", "--force")
    assert summary["graded"] == ["bob"]
    assert _gradebook(parallel) == before           # no doubled or lost rows, same scores
    with Gradebook(f"sqlite:///{parallel / 'gradebook.db'}") as gb:
        assert sorted(s.student_id for s in gb.assignment_submissions(A)) == sorted(before)


@pytest.mark.slow
def test_the_report_counts_the_planted_mistakes(classes):
    sequential, parallel, _, _ = classes
    page = class_report.write(parallel, A)
    text = page.read_text()
    assert (parallel / "reports" / f"{A}.png").stat().st_size > 5000
    assert not any(name in text for name in [*GRADED, BROKEN])
    students, exercises, ungraded = class_report.collect(parallel, A)
    assert students == GRADED and ungraded == [BROKEN]
    assert "1 more submitted but have no score" in text
    rows = {row.exercise.grade_id: row for row in class_report.summarise(students, exercises)}
    checked = 0
    for edits, who in ((PACKED[0], ["bob", "dee"]), (PACKED[1], ["cy"])):
        for wrong in edits.values():
            verdict = _outputs(parallel, who[0])[1]["hidden_checks"][wrong.test]
            if verdict["mistake"] != wrong.mistake:
                continue                   # the grading named it otherwise (checked by the feedback audit)
            named = dict(rows[wrong.test].named)
            assert named[wrong.mistake] == who, wrong
            share = f"{100 * len(who) / len(students):.0f} %"
            assert f"(`{wrong.mistake}`) | {len(who)} | {share} |" in text
            checked += 1
    assert checked >= 5
    assert "ada" not in [s for row in rows.values() for s in row.lost]
    named_page = class_report.write(parallel, A, names=True).read_text()
    assert "bob, dee" in named_page


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bwrap (bubblewrap) is not installed")
def test_in_the_sandbox_student_code_can_neither_see_nor_change_the_course_folder_nor_read_the_grading_kit(tmp_path):
    from .adversarial_submissions import _in_first_answer, _solved

    root = _course(tmp_path / "course")
    targets = [root / "gradebook.db", root / "submitted" / "ada" / A / f"{A}.ipynb"]
    before = {t: t.read_bytes() for t in targets}
    spy = ("import glob, os, pathlib\n"
           f"for target in {[str(t) for t in targets]!r}:\n"
           "    print('SPY sees' if os.path.exists(target) else 'SPY blind', target)\n"
           "    try:\n        pathlib.Path(target).write_text('pwned')\n"
           "    except OSError:\n        pass\n"
           "kits = glob.glob('/tmp/bpl-class-*/course/source') + glob.glob('../../../source')\n"
           "print('SPY kits', len(kits), len(glob.glob('../../../gradebook.db')))\n")
    folder = root / "submitted" / "mallory" / A
    folder.mkdir(parents=True)
    nbformat.write(_in_first_answer(_solved(), after=spy), str(folder / f"{A}.ipynb"))
    done, summary = _grade_class(root, A, "--workers", "1", "--students", "mallory")
    assert summary["graded"] == ["mallory"] and summary["sandbox"], done.stdout + done.stderr
    printed, _ = _outputs(root, "mallory")
    said = " ".join(text for _, text in printed)
    assert said.count("SPY blind") == 2 and "SPY sees" not in said and "SPY kits 0 0" in said, said
    assert all(t.read_bytes() == before[t] for t in targets[1:]), "the spy changed another student's work"
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        assert gb.find_submission(A, "mallory").score == 14


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_dask_cluster_grades_the_same_and_loses_no_student_to_a_dead_worker(classes, tmp_path):
    import psutil

    sequential, _, _, _ = classes
    root = _course(tmp_path / "dask")
    address = f"tcp://127.0.0.1:{_free_port()}"
    dask = os.path.join(os.path.dirname(sys.executable), "dask")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = []
    try:
        started.append(subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                         "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True))
        for _ in range(2):
            started.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-nanny",
                                             "--no-dashboard", "--memory-limit", "0"], env=env, cwd=tmp_path,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                            start_new_session=True))
        run = _grade_class(root, A, "--scheduler", address, "--students", ",".join(GRADED), popen=True)
        victim = psutil.Process(started[1].pid)
        deadline = time.monotonic() + 300
        while not victim.children(recursive=True):     # it is grading someone: a kernel runs under it
            assert time.monotonic() < deadline and run.poll() is None, "the worker never started a job"
            time.sleep(0.2)
        os.killpg(started[1].pid, signal.SIGKILL)
        out, _ = run.communicate(timeout=900)
        summary = json.loads((root / "summary.json").read_text())
        assert run.returncode == 0, out
        assert summary["graded"] == GRADED and not summary["failed"], out
        assert summary["engine"].startswith("Dask")
        want, got = _gradebook(sequential), _gradebook(root)
        for student in GRADED:
            assert got[student]["grades"] == want[student]["grades"], student
            assert _feedback(root, student) == _feedback(sequential, student), student
    finally:
        for process in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
