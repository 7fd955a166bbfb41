"""Autograde seconds per student, beside nbgrader's own floor, measured in the same run.

A throw-away course folder (this checkout's nbgrader_config.py, a copy of source/, `course`
and `grader` linked from the checkout) holds the five assignments and five trivial ones
(`floor_1` .. `floor_5`: tools/tiny_assignment.py's notebook, a markdown cell, a setup cell, one
solution cell and one test cell each). Both sets are generated (`nbgrader generate_assignment NAME --force`) and the solved
notebooks handed in as student `bench` (source/NN_topic/NN_topic.ipynb, as the pipeline
tests do). Then the same commands are timed on both sets, two ways:

    one command      `nbgrader autograde "[0-9][0-9]_*" --student bench --force` grades the
                     student's five notebooks in one nbgrader process (the floor:
                     `nbgrader autograde "floor_*" ...`). This is the figure per student: an
                     instructor grading a class pays nbgrader's start-up once per command,
                     not once per student and notebook.
        course_s, floor_s, ratio
    five commands    `nbgrader autograde NAME --student bench --force` for each assignment,
                     course and trivial alternating: what grading one student alone costs,
                     nbgrader's start-up (about 2.5 s here) paid five times.
        by_assignment: course_s, floor_s, ratio, per_s (each command's seconds)

The floor is what nbgrader and a kernel cost by themselves, with whatever nbgrader_config.py
configures (e.g. extra grading preprocessors): the same configuration grades both sets.

    python benchmarks/autograde.py [REPEAT]
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import ASSIGNMENTS, ROOT, kernel_env, notebook  # noqa: E402
from tools import tiny_assignment  # noqa: E402

STUDENT = "bench"
FLOOR = tuple(f"floor_{k}" for k in range(1, len(ASSIGNMENTS) + 1))     # one trivial notebook per assignment


class Course:
    """The throw-away course folder; `prepare()` generates and hands in everything."""

    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="backprop-lab-bench-"))
        self.root = self.tmp / "course"
        self.home = self.tmp / "home"
        self.env = kernel_env()
        # the config puts its own folder on PYTHONPATH (where course/ and grader/ are linked)
        self.env.pop("PYTHONPATH", None)
        self.env["HOME"] = str(self.home)

    def nbgrader(self, *args: str) -> float:
        """Run `python -m nbgrader ARGS` in the course folder; its wall-clock seconds."""
        cmd = [sys.executable, "-m", "nbgrader", *args]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=self.root, env=self.env, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout[-2000:]}\n"
                               f"{done.stderr[-3000:]}")
        return seconds

    def prepare(self) -> None:
        import nbformat
        self.root.mkdir(parents=True)
        self.home.mkdir()
        shutil.copy(ROOT / "nbgrader_config.py", self.root)
        for name in ASSIGNMENTS:
            shutil.copytree(ROOT / "source" / name, self.root / "source" / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        for package in ("course", "grader"):
            (self.root / package).symlink_to(ROOT / package, target_is_directory=True)
        for k, name in enumerate(FLOOR, 1):
            folder = self.root / "source" / name
            folder.mkdir(parents=True)
            nbformat.write(tiny_assignment.notebook(f"Trivial assignment {k}"), str(folder / f"{name}.ipynb"))
        for name in (*ASSIGNMENTS, *FLOOR):
            self.nbgrader("generate_assignment", name, "--force")
            target = notebook(f"submitted/{STUDENT}", name, self.root)
            target.parent.mkdir(parents=True)
            shutil.copy(notebook("source", name, self.root), target)

    def autograde(self, name: str) -> float:
        return self.nbgrader("autograde", name, "--student", STUDENT, "--force")

    def score(self, name: str) -> tuple[float, float]:
        from nbgrader.api import Gradebook
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}", course_id="backprop-lab") as gb:
            s = gb.find_submission(name, STUDENT)
            return s.score, s.max_score

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


COURSE_GLOB, FLOOR_GLOB = "[0-9][0-9]_*", "floor_*"


def measure_once(course: Course) -> dict:
    """Every assignment autograded once per way (one command; five commands)."""
    course_s = course.nbgrader("autograde", COURSE_GLOB, "--student", STUDENT, "--force")
    floor_s = course.nbgrader("autograde", FLOOR_GLOB, "--student", STUDENT, "--force")
    per = {}
    for ours, floor in zip(ASSIGNMENTS, FLOOR):
        per[ours] = course.autograde(ours)
        per[floor] = course.autograde(floor)
    by_course, by_floor = sum(per[n] for n in ASSIGNMENTS), sum(per[n] for n in FLOOR)
    return {"course_s": course_s, "floor_s": floor_s, "ratio": course_s / floor_s,
            "by_assignment": {"course_s": by_course, "floor_s": by_floor, "ratio": by_course / by_floor,
                              "per_s": per}}


def measure(repeat: int = 1) -> list[dict]:
    course = Course()
    try:
        course.prepare()
        runs = [measure_once(course) for _ in range(repeat)]
        scores = {name: course.score(name) for name in (*ASSIGNMENTS, *FLOOR)}
        full = all(score == top for score, top in scores.values())
        for run in runs:
            run["full_marks"] = full
        if not full:
            runs[-1]["scores"] = scores
        return runs
    finally:
        course.close()


if __name__ == "__main__":
    for run in measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1):
        by = run["by_assignment"]
        print(f"one command:   course {run['course_s']:.2f} s, floor {run['floor_s']:.2f} s, ratio {run['ratio']:.2f}"
              f" (full marks: {run['full_marks']})")
        print(f"five commands: course {by['course_s']:.2f} s, floor {by['floor_s']:.2f} s, ratio {by['ratio']:.2f}")
        print("  ", {k: round(v, 2) for k, v in by["per_s"].items()})
