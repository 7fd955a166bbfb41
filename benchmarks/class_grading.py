"""Grading a whole class: plain sequential nbgrader against tools/grade_class.py, in the same run.

A generated class of STUDENTS students hands in ASSIGNMENT: every fourth one the worked
solution, the others the course's own wrong answers (tools/wrong_answers.py, packed as the
feedback audit packs them). Two throw-away course folders (benchmarks/autograde.Course) hold
the same class. Timed, each from a clean start:

    sequential       `nbgrader autograde A` then `nbgrader generate_feedback A`   (one process each)
    workers_2        `grade_class.py A --workers 2 --force --no-sandbox`          (same integrity as (a))
    workers_1        `grade_class.py A --workers 1 --force --no-sandbox`
    workers_3        `grade_class.py A --workers 3 --force --no-sandbox`           (more workers than cores:
                                                                                 a grading waits ~1/4 of its time)
    sandboxed_2      `grade_class.py A --workers 2 --force`, bubblewrap on (when installed)

speedup = sequential / workers_2 (bar >= 1.8x on 2 cores); per-student seconds of one worker
against sequential's (bar: no more). Each timing also gives the CPU seconds of the command and
every process it waited for (kernels, checkers, workers): CPU / wall is how many cores it kept busy,
which bounds what more workers can gain. grade_class's own figures (peak resident memory of each
worker process and of its largest child, a kernel or the checker) come from its --json
summary. The scores of the two folders are compared student by student.

    python benchmarks/class_grading.py [STUDENTS]
"""
from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.autograde import Course  # noqa: E402
from benchmarks.common import ROOT  # noqa: E402
from tools import feedback_audit  # noqa: E402

ASSIGNMENT = "01_forward_pass"
STUDENTS = 40


def hand_in(course: Course, students: int, assignment: str = ASSIGNMENT) -> None:
    import nbformat

    course.root.mkdir(parents=True)
    course.home.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course.root)
    shutil.copytree(ROOT / "source" / assignment, course.root / "source" / assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    for package in ("course", "grader"):
        (course.root / package).symlink_to(ROOT / package, target_is_directory=True)
    course.nbgrader("generate_assignment", assignment, "--force")
    source = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    release = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    packed = feedback_audit.students(assignment)
    for k in range(students):
        edits = {} if k % 4 == 0 else packed[k % len(packed)]
        folder = course.root / "submitted" / f"student{k:03d}" / assignment
        folder.mkdir(parents=True)
        nbformat.write(feedback_audit.submission(source, release, edits), str(folder / f"{assignment}.ipynb"))


def cpu_seconds() -> float:
    """CPU seconds (user + system) of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def grade_class(course: Course, *args: str, assignment: str = ASSIGNMENT) -> tuple[float, dict, float]:
    summary = course.tmp / "summary.json"
    cmd = [sys.executable, str(ROOT / "tools" / "grade_class.py"), assignment, "--force", "--json", str(summary), *args]
    cpu, t0 = cpu_seconds(), time.perf_counter()
    done = subprocess.run(cmd, cwd=course.root, env=course.env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds, json.loads(summary.read_text()), cpu_seconds() - cpu


def scores(course: Course, assignment: str = ASSIGNMENT) -> dict:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        return {s.student_id: {(nb.name, g.name): g.score for nb in s.notebooks for g in nb.grades}
                for s in gb.assignment_submissions(assignment)}


def measure(students: int = STUDENTS, sandbox: bool | None = None) -> dict:
    from grader.sandbox import available

    sandbox = available() if sandbox is None else sandbox
    plain, parallel = Course(), Course()
    try:
        hand_in(plain, students)
        hand_in(parallel, students)
        cpu = cpu_seconds()
        autograde_s = plain.nbgrader("autograde", ASSIGNMENT)
        feedback_s = plain.nbgrader("generate_feedback", ASSIGNMENT)
        sequential_s, sequential_cpu_s = autograde_s + feedback_s, cpu_seconds() - cpu
        runs = {}
        for name, args in (("workers_2", ("--workers", "2", "--no-sandbox")),
                           ("workers_1", ("--workers", "1", "--no-sandbox")),
                           ("workers_3", ("--workers", "3", "--no-sandbox")),
                           *((("sandboxed_2", ("--workers", "2")),) if sandbox else ())):
            seconds, summary, cpu_s = grade_class(parallel, *args)
            runs[name] = {"seconds": seconds, "cpu_s": cpu_s, "cores_busy": cpu_s / seconds,
                          "graded": len(summary["graded"]), "failed": len(summary["failed"]),
                          "peak_rss_mb_per_worker": sorted(summary["peak_rss_mb_per_worker"].values()),
                          "peak_child_rss_mb_per_worker": sorted(summary["peak_child_rss_mb_per_worker"].values()),
                          "per_student_s": seconds / students}
        same = scores(plain) == scores(parallel)
        return {"students": students, "assignment": ASSIGNMENT, "sequential_s": sequential_s,
                "sequential_autograde_s": autograde_s, "sequential_feedback_s": feedback_s,
                "sequential_cpu_s": sequential_cpu_s, "sequential_cores_busy": sequential_cpu_s / sequential_s,
                "sequential_per_student_s": sequential_s / students, **runs,
                "speedup_2": sequential_s / runs["workers_2"]["seconds"],
                "one_worker_vs_sequential": runs["workers_1"]["per_student_s"] / (sequential_s / students),
                "same_scores": same}
    finally:
        plain.close()
        parallel.close()


def projection(result: dict, students: int = 300, cores: int = 16) -> float:
    """Minutes for `students` on `cores` workers, from one worker's per-student seconds,
    assuming the workers scale as 1 -> 2 did here (a projection, not a measurement)."""
    one = result["workers_1"]["per_student_s"]
    efficiency = (result["workers_1"]["seconds"] / result["workers_2"]["seconds"]) / 2
    return students * one / (cores * efficiency) / 60


if __name__ == "__main__":
    result = measure(int(sys.argv[1]) if len(sys.argv) > 1 else STUDENTS)
    print(json.dumps(result, indent=1))
    print(f"projection: 300 students on 16 cores ~ {projection(result):.1f} min")
