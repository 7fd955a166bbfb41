"""Grade a whole class in parallel, on this machine or on a Dask cluster, and report what it got wrong.

    python tools/grade_class.py ASSIGNMENT [--workers N] [--students a,b] [--force] [--no-sandbox]
    python tools/grade_class.py ASSIGNMENT --scheduler tcp://HOST:8786     # Dask workers instead
    python tools/grade_class.py report ASSIGNMENT [--names]                # reports/ASSIGNMENT.md + .png

Run it from the course root (where nbgrader_config.py and gradebook.db are), like nbgrader,
after `nbgrader generate_assignment ASSIGNMENT`. The submitted students
(`submitted/<student>/<assignment>/`) are graded in batches of up to ten, smaller as the class
runs out (`batches`): a worker copies a batch's submissions into a private, throw-away course
folder (this course's nbgrader_config.py and source/<assignment>, and a gradebook holding only
the assignment's records), runs nbgrader's own `autograde` and `generate_feedback` there once
for the batch (in-process: on Linux local workers are forked from this process once it has
loaded nbgrader, so nbgrader starts once, not per worker or per student), every kernel and student
process in the bubblewrap sandbox of tools/isolated_autograde.py where bwrap is installed,
unless --no-sandbox (the sandbox hides the private folder, the instructor's course folder and
this checkout but for its `course` and `grader` packages: grader/sandbox.py), and returns each
student's autograded and feedback folders as bytes. This process is the single writer: it puts
those folders in place and records the scores in the real gradebook.db with nbgrader's own steps
(the submission as `autograde` creates it, then its SaveAutoGrades and AssignLatePenalties on
the autograded notebooks), so the gradebook, the formgrader and `nbgrader export` see what a
sequential autograde gives. A student whose grading fails is graded again once, alone, then
reported; the others go on. Re-running grades only the students whose submission (or the
assignment's source or config) changed since they were graded here
(`.grade_class/ASSIGNMENT.json`), unless --force.

Dask workers need only this repository's environment (`PYTHONPATH=<this checkout> dask worker
tcp://HOST:8786 --nthreads 1`); jobs carry their files, results come back as data, so workers
share no file system with the course and never touch the gradebook.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import json
import multiprocessing
import os
import re
import resource
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STATE = ".grade_class"      # <course>/.grade_class/<assignment>.json: {student: digest of what was graded}
ATTEMPTS = 2                # a failed job is retried once


# ---------------------------------------------------------------- what travels to a worker and back

@dataclass
class Kit:
    """What every job of one assignment shares, as bytes (sent once to each worker)."""
    assignment: str
    course_id: str
    config: bytes                   # the course's nbgrader_config.py
    source: dict[str, bytes]        # source/<assignment>/, relative path -> bytes
    gradebook: bytes                # gradebook.db with the assignment's records and no students
    sandbox: bool
    course_root: str = ""           # the instructor's course folder: hidden from student code too


@dataclass
class Job:
    student: str
    record: dict                    # the student's row (names, email), as the gradebook has it
    files: dict[str, bytes]         # submitted/<student>/<assignment>/
    digest: str


@dataclass
class Result:
    student: str
    digest: str
    ok: bool
    error: str = ""
    autograded: dict[str, bytes] = field(default_factory=dict)
    feedback: dict[str, bytes] = field(default_factory=dict)
    seconds: float = 0.0
    worker: str = ""                # host:pid of the process that graded it
    peak_rss_mb: float = 0.0        # that process's peak resident memory so far
    peak_child_rss_mb: float = 0.0  # its largest child (a kernel, the checker, a student process)


def _pack(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _unpack(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = folder / rel
        if not path.resolve().is_relative_to(folder.resolve()):
            raise ValueError(f"{rel!r} is outside {folder}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _digest(*parts: dict[str, bytes] | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        items = sorted(part.items()) if isinstance(part, dict) else [("", part)]
        for rel, data in items:
            h.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


# ---------------------------------------------------------------- nbgrader, in-process

def load_config(root: Path):
    """The configuration `nbgrader` run from `root` would use: the Jupyter config paths'
    nbgrader_config.py (lowest priority first), then the course's own."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config.loader import Config, ConfigFileNotFound, PyFileConfigLoader

    config = Config()
    for folder in [*reversed(jupyter_config_path()), str(root)]:
        with contextlib.suppress(ConfigFileNotFound):
            config.merge(PyFileConfigLoader("nbgrader_config.py", path=folder).load_config())
    return config


def nbgrader_api(root: Path, overrides: dict | None = None):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import Config

    config = load_config(root)
    config.merge(Config({"CourseDirectory": {"root": str(root)}, **(overrides or {})}))
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


_ONE_AT_A_TIME = threading.Lock()   # a job changes the process's cwd and environment


def grade(kit: Kit, jobs: list[Job]) -> list[Result]:
    """A batch of students' autograde and feedback in one private course folder (runs in a
    worker): one `autograde` and one `generate_feedback` for the batch, as a sequential command
    does for a class (each command costs ~0.1 s beyond its notebooks). Every student whose
    autograded notebooks and feedback came out is a success; each of the others is a failure
    (retried alone, where its error is its own)."""
    started = time.perf_counter()
    with _ONE_AT_A_TIME, _quiet():
        saved_env, saved_path, saved_cwd = dict(os.environ), list(sys.path), os.getcwd()
        try:
            with tempfile.TemporaryDirectory(prefix="bpl-class-") as tmp:
                results = _grade_in(Path(tmp), kit, jobs)
        except Exception:
            results = [Result(job.student, job.digest, False, error=traceback.format_exc(limit=5)) for job in jobs]
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
            sys.path[:] = saved_path
    seconds = (time.perf_counter() - started) / len(jobs)
    for result in results:
        result.seconds = seconds
        result.worker = f"{os.uname().nodename}:{os.getpid()}"
        result.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result.peak_child_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return results


def _grade_in(tmp: Path, kit: Kit, jobs: list[Job]) -> list[Result]:
    from nbgrader.api import Gradebook

    root = tmp / "course"
    a = kit.assignment
    _unpack(root / "source" / a, kit.source)
    for job in jobs:
        _unpack(root / "submitted" / job.student / a, job.files)
    (root / "nbgrader_config.py").write_bytes(kit.config)
    (root / "gradebook.db").write_bytes(kit.gradebook)
    for package in ("course", "grader"):
        (root / package).symlink_to(ROOT / package, target_is_directory=True)
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    with Gradebook(db_url, kit.course_id) as gb:
        for job in jobs:
            if job.record:
                gb.update_or_create_student(job.student, **job.record)
    overrides = {"CourseDirectory": {"root": str(root), "db_url": db_url}}
    # The sandbox hides the private folder (source/ with the hidden tests, the gradebook); nbgrader
    # works from it, as from a course folder. Kernels find `course` on PYTHONPATH through this checkout
    # when the private folder the config puts first is out of their sight.
    # Hidden as well: the instructor's course folder and this checkout (but for its `course` and
    # `grader` packages, see grader/sandbox.py), where this machine has them.
    if kit.sandbox:
        from grader.sandbox import ENV_COURSE_ROOT, available
        from tools import isolated_autograde
        if not available():
            why = f"no bwrap (bubblewrap) on {os.uname().nodename}: install it there, or grade with --no-sandbox"
            return [Result(job.student, job.digest, False, error=why) for job in jobs]
        sandbox = tmp / "sandbox"
        sandbox.mkdir()
        env, config = isolated_autograde.prepare(sandbox, root)
        hidden = [str(root), str(ROOT)] + ([kit.course_root] if kit.course_root and Path(kit.course_root).exists() else [])
        env[ENV_COURSE_ROOT] = os.pathsep.join(dict.fromkeys(hidden))
        os.environ.update(env)
        overrides.update(config)
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    others = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(ROOT)]
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *others])
    os.chdir(root)
    api = nbgrader_api(root, overrides)
    # every student of the batch (the private folder holds no one else): `*` is CourseDirectory's
    # student glob, as for `nbgrader autograde A` without --student; nbgrader goes on past a
    # student it cannot grade, removes what it made for them and says so in its log
    done = {step: getattr(api, step)(a, "*", force=True) for step in ("autograde", "generate_feedback")}
    results = []
    for job in jobs:
        made = {step: root / step / job.student / a for step in ("autograded", "feedback")}
        if all(folder.is_dir() for folder in made.values()):
            results.append(Result(job.student, job.digest, True, autograded=_pack(made["autograded"]),
                                  feedback=_pack(made["feedback"])))
            continue
        step = "autograde" if not made["autograded"].is_dir() else "generate_feedback"
        log = (done[step].get("log", "") or "") + (done[step].get("error") or "")
        results.append(Result(job.student, job.digest, False, error=f"{step}: {_cause(log)}\n\n{log[-3000:]}"))
    return results


# ---------------------------------------------------------------- the single writer

@contextlib.contextmanager
def _quiet():
    """nbgrader's update_or_create_submission makes SQLAlchemy warn about its autoflush
    ("... not in session ..."), once per student: not ours to fix, and it buries the progress bar."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not in session.*")
        yield


def _quiet_sqlalchemy(method):
    import functools

    @functools.wraps(method)
    def quiet(*args, **kwargs):
        with _quiet():
            return method(*args, **kwargs)
    return quiet


class Course:
    """The real course folder: what is submitted, and the one process that writes its results."""

    def __init__(self, root: Path, assignment: str):
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import Config

        self.root, self.assignment = root.resolve(), assignment
        self.config = load_config(self.root)
        self.config.merge(Config({"CourseDirectory": {"root": str(self.root)}}))
        self.coursedir = CourseDirectory(config=self.config)
        self.db_url, self.course_id = self.coursedir.db_url, self.coursedir.course_id
        self.state_file = self.root / STATE / f"{assignment}.json"

    def folder(self, step: str, student: str) -> Path:
        return Path(self.coursedir.format_path(getattr(self.coursedir, f"{step}_directory"), student, self.assignment))

    def submitted(self) -> list[str]:
        parent = self.folder("submitted", "*").parent.parent
        return sorted(p.parent.name for p in parent.glob(f"*/{self.assignment}") if p.is_dir())

    def kit(self, sandbox: bool) -> Kit:
        source = Path(self.coursedir.format_path(self.coursedir.source_directory, ".", self.assignment))
        return Kit(self.assignment, self.course_id, (self.root / "nbgrader_config.py").read_bytes(), _pack(source),
                   self._template_gradebook(), sandbox, str(self.root.resolve()))

    def _template_gradebook(self) -> bytes:
        """A copy of gradebook.db (SQLite's backup: a consistent snapshot) with every student's
        rows removed: the assignment's notebook and cell records exactly as the real one has them."""
        from nbgrader.api import (
            Comment, Grade, Gradebook, MissingEntry, Student, SubmittedAssignment, SubmittedNotebook,
        )

        prefix = "sqlite:///"
        if not self.db_url.startswith(prefix):
            raise SystemExit(f"grade_class needs an SQLite gradebook, not {self.db_url}")
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "gradebook.db"
            source, target = sqlite3.connect(self.db_url[len(prefix):]), sqlite3.connect(copy)
            with source, target:
                source.backup(target)
            source.close()
            target.close()
            with Gradebook(f"{prefix}{copy}", self.course_id) as gb:
                try:
                    gb.find_assignment(self.assignment)
                except MissingEntry:
                    raise SystemExit(f"{self.assignment} is not in the gradebook: run "
                                     f"`nbgrader generate_assignment {self.assignment}` first") from None
                for model in (Grade, Comment, SubmittedNotebook, SubmittedAssignment, Student):
                    gb.db.query(model).delete(synchronize_session=False)
                gb.db.commit()
            vacuum = sqlite3.connect(copy)
            vacuum.execute("VACUUM")
            vacuum.close()
            return copy.read_bytes()

    def jobs(self, kit: Kit, students: list[str], force: bool) -> tuple[list[Job], list[str]]:
        """The jobs to run, and the students already graded from exactly these files."""
        from nbgrader.api import Gradebook, MissingEntry

        state = self.state()
        shared = _digest(kit.source, kit.config)
        todo, current = [], []
        with Gradebook(self.db_url, self.course_id) as gb:
            for student in students:
                files = _pack(self.folder("submitted", student))
                digest = _digest(files, shared.encode())
                done = (state.get(student) == digest and self.folder("autograded", student).is_dir()
                        and self.folder("feedback", student).is_dir() and self._has_submission(gb, student))
                if done and not force:
                    current.append(student)
                    continue
                try:
                    row = gb.find_student(student)
                    record = {k: getattr(row, k) for k in ("first_name", "last_name", "email", "lms_user_id")}
                except MissingEntry:
                    record = {}
                todo.append(Job(student, record, files, digest))
        return todo, current

    def _has_submission(self, gb, student: str) -> bool:
        from nbgrader.api import MissingEntry
        try:
            gb.find_submission(self.assignment, student)
            return True
        except MissingEntry:
            return False

    def state(self) -> dict[str, str]:
        return json.loads(self.state_file.read_text()) if self.state_file.exists() else {}

    @_quiet_sqlalchemy
    def merge(self, result: Result) -> None:
        """Put a student's results in place and record their scores, as `nbgrader autograde` does
        (nbgrader/converters/autograde.py: the student, the submission with its timestamp, zero for
        a missing notebook; then SaveAutoGrades and AssignLatePenalties on each autograded notebook)."""
        import nbformat
        from nbgrader.api import Gradebook
        from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

        a, student = self.assignment, result.student
        for step, files in (("autograded", result.autograded), ("feedback", result.feedback)):
            folder = self.folder(step, student)
            shutil.rmtree(folder, ignore_errors=True)
            _unpack(folder, files)
        submitted = self.folder("submitted", student)
        graded = []
        with Gradebook(self.db_url, self.course_id) as gb:
            self._submission(gb, student)
            for notebook in gb.find_assignment(a).notebooks:
                if not (submitted / f"{notebook.name}.ipynb").exists():
                    for grade in gb.find_submission_notebook(notebook.name, a, student).grades:
                        grade.auto_score = 0
                        grade.needs_manual_grade = False
                    gb.db.commit()
                elif (self.folder("autograded", student) / f"{notebook.name}.ipynb").exists():
                    graded.append(notebook.name)
        for name in graded:
            nb = nbformat.read(self.folder("autograded", student) / f"{name}.ipynb", as_version=4)
            resources = {"nbgrader": {"notebook": name, "assignment": a, "student": student, "db_url": self.db_url}}
            for step in (SaveAutoGrades, AssignLatePenalties):
                nb, resources = step(config=self.config).preprocess(nb, resources)
        if self._graded_by_hand(student):
            # the worker's gradebook had none of the manual grades the feedback shows: make it here
            done = nbgrader_api(self.root).generate_feedback(a, student, force=True)
            if not done["success"]:
                raise RuntimeError(f"generate_feedback {student}: {done.get('error')}")
        state = self.state()
        state[student] = result.digest
        self.state_file.parent.mkdir(exist_ok=True)
        self.state_file.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")

    def _submission(self, gb, student: str) -> None:
        """The student and their submission, with its timestamp, as `nbgrader autograde` records
        them before it reads a notebook."""
        timestamp = self.coursedir.get_existing_timestamp(str(self.folder("submitted", student)))
        gb.update_or_create_student(student)
        if timestamp:
            gb.update_or_create_submission(self.assignment, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(self.assignment, student)

    @_quiet_sqlalchemy
    def record_failure(self, student: str) -> None:
        """A student whose grading failed is in the gradebook as after a failed `nbgrader autograde`:
        submitted, with no automatic scores (the formgrader lists them for grading by hand)."""
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url, self.course_id) as gb:
            self._submission(gb, student)

    def _graded_by_hand(self, student: str) -> bool:
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url, self.course_id) as gb:
            submission = gb.find_submission(self.assignment, student)
            for notebook in submission.notebooks:
                if any(g.manual_score is not None or g.extra_credit for g in notebook.grades):
                    return True
                if any(c.manual_comment for c in notebook.comments):
                    return True
        return False


# ---------------------------------------------------------------- running the jobs

class LocalEngine:
    """A pool of worker processes on this machine. On Linux they are forked from this one once
    it has imported nbgrader (so no worker imports it again: ~1.7 s of CPU each), all at once
    before this process starts any thread (the progress bar's, the pool's own); elsewhere
    (macOS's system libraries are not safe to fork) each worker starts afresh. A pool one of
    whose workers died is replaced by a fresh one (forked, on that rare path, while this
    process's threads run)."""

    START = "fork" if sys.platform.startswith("linux") else "spawn"

    def __init__(self, kit: Kit, workers: int):
        import nbgrader.apps  # noqa: F401  (what a job runs: inherited by forked workers)

        self.kit, self.workers = kit, workers
        self.pool = self._pool()

    def _pool(self):
        pool = concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(self.START))
        pool.submit(os.getpid).result()     # a fork pool starts all its workers at its first job
        return pool

    def submit(self, jobs: list[Job]):
        try:
            return self.pool.submit(grade, self.kit, jobs)
        except concurrent.futures.process.BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._pool()
            return self.pool.submit(grade, self.kit, jobs)

    @staticmethod
    def wait_any(futures):
        return concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED).done

    def close(self):
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskEngine:
    """The same jobs on a Dask distributed cluster; the kit is sent to every worker once."""

    def __init__(self, kit: Kit, scheduler: str):
        from distributed import Client

        self.client, self.value = Client(scheduler), kit
        self.kit = self.client.scatter(kit, broadcast=True)

    @property
    def workers(self) -> int:
        """The cluster's worker threads now (batches are sized by them)."""
        return sum(self.client.nthreads().values()) or 1

    def submit(self, jobs: list[Job]):
        if self.kit.status != "finished":       # every worker that held it is gone: send it again
            self.kit = self.client.scatter(self.value, broadcast=True)
        return self.client.submit(grade, self.kit, jobs, pure=False,
                                  key=f"grade-{jobs[0].student}-{len(jobs)}-{time.time_ns()}")

    @staticmethod
    def wait_any(futures):
        from distributed import wait
        return wait(futures, return_when="FIRST_COMPLETED").done

    def close(self):
        self.client.close()


BATCH = 10                  # students per job at most


def batches(jobs: list[Job], workers: int) -> list[list[Job]]:
    """The jobs in batches that shrink as the class runs out (guided scheduling): a batch
    is about a (2 × workers)-th of the students left, at most BATCH, so the big ones come
    first and the last rounds are of single students that even out the workers' ends."""
    out, left = [], list(jobs)
    while left:
        size = max(1, min(BATCH, -(-len(left) // (2 * max(1, workers)))))
        out.append(left[:size])
        left = left[size:]
    return out


def run(engine, jobs: list[Job], on_result, progress=None) -> dict[str, int]:
    """Every job through `engine`, in batches; a student whose grading failed is tried again
    once, alone. `on_result(result)` is called here, in this process, once per student;
    returns the attempts per student."""
    attempts: Counter = Counter()
    running = {engine.submit(batch): batch for batch in batches(jobs, engine.workers)}
    while running:
        for future in engine.wait_any(list(running)):
            batch = running.pop(future)
            try:
                results = future.result()
            except BaseException as error:          # the worker died, the cluster lost it, ...
                results = [Result(job.student, job.digest, False, error=f"{type(error).__name__}: {error}")
                           for job in batch]
            for job, result in zip(batch, results):
                attempts[job.student] += 1
                if not result.ok and attempts[job.student] < ATTEMPTS:
                    running[engine.submit([job])] = [job]
                    continue
                on_result(result)
                if progress is not None:
                    progress.update(1)
    return dict(attempts)


def grade_class(root: Path, assignment: str, workers: int | None = None, students: list[str] | None = None,
                force: bool = False, sandbox: bool | None = None, scheduler: str | None = None,
                quiet: bool = False) -> dict:
    """Grade the class; returns the summary (also printed)."""
    from grader.sandbox import available
    from tqdm import tqdm

    started = time.perf_counter()
    course = Course(root, assignment)
    everyone = course.submitted()
    if students:
        unknown = sorted(set(students) - set(everyone))
        if unknown:
            raise SystemExit(f"nothing submitted for {assignment} by: {', '.join(unknown)}")
    if sandbox is None:
        sandbox = available()
    elif sandbox and not available():
        raise SystemExit("bwrap (bubblewrap) is not installed: apt-get install bubblewrap, or use --no-sandbox")
    kit = course.kit(sandbox)
    jobs, current = course.jobs(kit, students or everyone, force)
    failed: dict[str, str] = {}
    graded: list[str] = []
    workers_seen: dict[str, float] = {}
    children_peak: dict[str, float] = {}
    seconds: list[float] = []

    def on_result(result: Result) -> None:
        if result.ok:
            try:
                course.merge(result)
            except Exception:
                result.ok, result.error = False, "recording the results failed:\n" + traceback.format_exc(limit=4)
        if result.ok:
            graded.append(result.student)
            seconds.append(result.seconds)
        else:
            failed[result.student] = result.error.strip()
            with contextlib.suppress(Exception):
                course.record_failure(result.student)
            bar.write(f"{result.student}: failed: {_first_line(result.error)}")
        if result.worker:
            workers_seen[result.worker] = max(workers_seen.get(result.worker, 0.0), result.peak_rss_mb)
            children_peak[result.worker] = max(children_peak.get(result.worker, 0.0), result.peak_child_rss_mb)

    engine_name = f"Dask scheduler {scheduler}" if scheduler else f"{workers or os.cpu_count()} local workers"
    engine = None
    if jobs:        # before the progress bar's thread: local workers are forked from this process
        engine = DaskEngine(kit, scheduler) if scheduler else LocalEngine(kit, workers or os.cpu_count() or 1)
    with tqdm(total=len(jobs), unit="student", desc=f"grading {assignment}", disable=quiet or not jobs,
              file=sys.stderr, dynamic_ncols=True) as bar:
        if engine is not None:
            try:
                attempts = run(engine, jobs, on_result, bar)
            finally:
                engine.close()
        else:
            attempts = {}
    elapsed = time.perf_counter() - started
    summary = {
        "assignment": assignment, "engine": engine_name, "sandbox": sandbox, "graded": sorted(graded),
        "failed": failed, "up_to_date": current, "retried": sorted(s for s, n in attempts.items() if n > 1),
        "seconds": elapsed, "students_per_minute": 60 * len(graded) / elapsed if graded else 0.0,
        "seconds_per_student_in_a_worker": sum(seconds) / len(seconds) if seconds else None,
        "peak_rss_mb_per_worker": workers_seen, "peak_child_rss_mb_per_worker": children_peak,
    }
    if not quiet:
        print(f"{assignment}: graded {len(graded)}, failed {len(failed)}, up to date {len(current)} "
              f"({engine_name}, {'sandboxed' if sandbox else 'no sandbox'}), {elapsed:.1f} s, "
              f"{summary['students_per_minute']:.1f} students/min")
        for student, why in sorted(failed.items()):
            print(f"  failed: {student}: {_first_line(why)}")
        if summary["retried"]:
            print(f"  retried once: {', '.join(summary['retried'])}")
        if workers_seen:
            print("  peak memory per worker: " + ", ".join(
                f"{w} {m:.0f} MB (largest child {children_peak[w]:.0f} MB)" for w, m in sorted(workers_seen.items())))
    return summary


def _cause(log: str) -> str:
    """The last exception a log names ("NotJSONError: Notebook does not appear to be JSON: ..."),
    past nbgrader's own "see the above traceback"."""
    found = [line.strip() for line in log.splitlines()
             if re.match(r"\s*[\w.]*(Error|Exception|Exit|Interrupt)\b[^:]*:", line) and "above traceback" not in line]
    return found[-1][:300] if found else _first_line(log)


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else "?"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "report":
        from tools import class_report
        return class_report.main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: the cores)")
    parser.add_argument("--students", default="", help="comma-separated student ids (default: every submission)")
    parser.add_argument("--force", action="store_true", help="grade again students already graded from these files")
    parser.add_argument("--no-sandbox", action="store_true", help="do not run student code under bubblewrap")
    parser.add_argument("--scheduler", default=None, help="a Dask scheduler's address, tcp://HOST:PORT")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course folder (default: here)")
    parser.add_argument("--json", type=Path, default=None, help="also write the summary here")
    args = parser.parse_args(argv)
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    summary = grade_class(args.root, args.assignment, workers=args.workers,
                          students=[s for s in args.students.split(",") if s] or None, force=args.force,
                          sandbox=False if args.no_sandbox else None, scheduler=args.scheduler)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1) + "\n")
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    # run as tools.grade_class, so worker processes and Dask find `grade` by its module's name
    from tools import grade_class as _module
    sys.exit(_module.main())
