"""The nbgrader pipeline, end to end, through the real `nbgrader` commands.

What instructors, students and self-learners rely on, for every assignment that has
an authoring/NN_topic.py (new assignments join these tests by themselves):

* the instructor notebook source/NN/NN.ipynb runs headless, its hidden tests included;
* the committed release/ and solutions/ are exactly what the build makes today;
* release/ gives away no worked solution and no hidden test, solutions/ no hidden test,
  and neither carries outputs;
* autograde gives a correct submission every point and an untouched one none, without
  failing; the feedback shows no hidden-test source and no path of the grading machine;
* the exchange (release, fetch, submit, collect, autograde, feedback there and back)
  carries two students' work without losing anything, students using the README's commands;
* autograde reports a read-only cell as changed only when the student edited it, and
  generate_feedback warns about nothing.

Whatever nbgrader writes goes to temporary folders: the checkout is never touched.
Each nbgrader command costs seconds of start-up, so each assignment's course folder is
prepared once per module (fixtures `graded` and `round_trip`) and its results shared.

    python -m pytest tests/test_pipeline.py                   # everything
    python -m pytest tests/test_pipeline.py -m "not slow"     # no nbgrader command run
"""
from __future__ import annotations

import filecmp
import html
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.api import Gradebook

from tools import build, tiny_assignment

ROOT = build.ROOT
ASSIGNMENTS = build.assignments()
COURSE_ID = "backprop-lab"
SOLVED, UNTOUCHED = "alice", "bob"    # alice hands in the worked solutions, bob the release as is
STUDENTS = (SOLVED, UNTOUCHED)

# nbgrader's stub for an answer cell in the student version, by cell type.
STUBS = {"code": "raise NotImplementedError()", "markdown": "YOUR ANSWER HERE"}
# Text that only a hidden test (or its markers) contains.
HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden.check_", "from grader")
GRADER_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+grader\b|import[ \t]+grader\b).*$", re.MULTILINE)
# A hidden-test line is evidence of a leak when it occurs nowhere else in the source
# notebook and is long enough not to occur by chance (`try:` could be anywhere).
MIN_DISTINCTIVE = 16


# --- reading notebooks ---------------------------------------------------------------

def notebook_path(top: str, name: str, root: Path = ROOT) -> Path:
    """<root>/<top>/<name>/<name>.ipynb, e.g. release/01_forward_pass/01_forward_pass.ipynb."""
    return root / top / name / f"{name}.ipynb"


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def notebook_text(nb: nbformat.NotebookNode) -> str:
    """All cell sources of `nb`, one after the other."""
    return "\n".join(cell.source for cell in nb.cells)


def answer_cells(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """The cells a student fills in (nbgrader `solution` cells), by grade id."""
    return {cell.metadata.nbgrader["grade_id"]: cell for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


def autograded_points(nb: nbformat.NotebookNode) -> dict[str, float]:
    """The autograded test cells of `nb` (grade, not solution): their points by grade id."""
    return {meta["grade_id"]: meta["points"] for meta in
            (cell.metadata.get("nbgrader", {}) for cell in nb.cells)
            if meta.get("grade") and not meta.get("solution")}


def marked_blocks(source: str, marker: str) -> tuple[list[str], list[str]]:
    """Split a cell's source at its `### BEGIN <marker>` / `### END <marker>` lines:
    (the text of each block between them, the lines outside every block)."""
    blocks: list[str] = []
    outside: list[str] = []
    block: list[str] | None = None
    for line in source.splitlines():
        if f"BEGIN {marker}" in line:
            block = []
        elif f"END {marker}" in line and block is not None:
            blocks.append("\n".join(block))
            block = None
        elif block is None:
            outside.append(line)
        else:
            block.append(line)
    return blocks, outside


def hidden_test_lines(nb: nbformat.NotebookNode) -> list[str]:
    """The distinctive lines of `nb`'s hidden tests (see MIN_DISTINCTIVE), stripped."""
    inside: set[str] = set()
    outside: set[str] = set()
    for cell in nb.cells:
        blocks, rest = marked_blocks(cell.source, "HIDDEN TESTS")
        inside.update(line.strip() for block in blocks for line in block.splitlines())
        outside.update(line.strip() for line in rest)
    return sorted(line for line in inside - outside if len(line) >= MIN_DISTINCTIVE)


def hidden_test_leaks(text: str, hidden_lines: list[str]) -> list[str]:
    """What of a hidden test shows in `text`: markers, grader imports, hidden-test lines."""
    found = [marker for marker in HIDDEN_MARKERS if marker in text]
    found += [m.group(0).strip() for m in GRADER_IMPORT.finditer(text)]
    return found + [line for line in hidden_lines if line in text]


def solution_leaks(source: nbformat.NotebookNode, student: nbformat.NotebookNode) -> list[str]:
    """Worked-solution code of `source` that shows in the student version `student`:
    any line of an answer cell's solution in that answer cell, or a whole solution anywhere."""
    student_cells = answer_cells(student)
    student_text = notebook_text(student)
    leaks = []
    for grade_id, cell in answer_cells(source).items():
        released_cell = student_cells.get(grade_id)
        released = {line.strip() for line in released_cell.source.splitlines()} if released_cell else set()
        for body in marked_blocks(cell.source, "SOLUTION")[0]:
            leaks += [f"{grade_id}: {line.strip()}" for line in body.splitlines()
                      if line.strip() and line.strip() in released]
            if body.strip() and body in student_text:
                leaks.append(f"{grade_id}: the whole solution")
    return leaks


def html_text(page: str) -> str:
    """Roughly what a browser shows of an HTML page: tags removed, entities decoded.
    (Highlighted code is split into spans, so searching the raw page would miss it.)"""
    return html.unescape(re.sub(r"<[^>]*>", "", page))


# --- running nbgrader ----------------------------------------------------------------

def nbgrader_env(home: Path) -> dict[str, str]:
    """The environment of an nbgrader command: this Python's bin folder first on PATH
    (nbgrader runs `alembic` from there), HOME set to `home` (so no personal Jupyter
    config takes part, and each student has a folder of their own), and no inherited
    PYTHONPATH: the course folder's nbgrader_config.py puts that folder there, so
    grading kernels import its `course` and `grader`, nothing else."""
    env = build.nbgrader_env()
    for name in ("PYTHONPATH", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "NBGRADER_EXECUTION"):
        env.pop(name, None)
    home.mkdir(parents=True, exist_ok=True)
    env["HOME"] = str(home)
    return env


def nbgrader(*args: str, cwd: Path, home: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run `python -m nbgrader <args>` in `cwd`. With `check`, a non-zero exit fails
    the test, showing the command and its whole output."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    done = subprocess.run(cmd, cwd=cwd, env=nbgrader_env(home), capture_output=True, text=True)
    if check and done.returncode != 0:
        pytest.fail(f"{shlex.join(cmd)} (in {cwd}) exited {done.returncode}:\n{output(done)}")
    return done


def output(done: subprocess.CompletedProcess) -> str:
    """A finished command's stdout and stderr, for a failure message."""
    return f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"


def make_course(folder: Path, name: str, source: Path | None = None) -> Path:
    """An instructor's course folder at `folder` for assignment `name`: this repo's
    nbgrader_config.py, source/<name>/ (from the repo, or the folder `source`), and `course`
    and `grader` linked from the repo (the config puts its own folder on PYTHONPATH, so
    grading kernels import them)."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(source or ROOT / "source" / name, folder / "source" / name,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    for package in ("course", "grader"):
        (folder / package).symlink_to(ROOT / package, target_is_directory=True)
    return folder


def hand_in(course: Path, name: str, student: str, notebook: Path) -> None:
    """Put `notebook` where `nbgrader autograde` looks for `student`'s submission."""
    target = notebook_path(Path("submitted") / student, name, course)
    target.parent.mkdir(parents=True)
    shutil.copy(notebook, target)


def solve(path: Path, source: Path) -> None:
    """A student's work: write the worked solution of each answer cell of the notebook
    `source` into the same answer cell of the notebook at `path`; nothing else changes."""
    nb = read(path)
    answers = answer_cells(read(source))
    for grade_id, cell in answer_cells(nb).items():
        cell.source = "\n".join(line for line in answers[grade_id].source.splitlines()
                                if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)
    nbformat.write(nb, str(path))


@dataclass
class Scores:
    """A submission's scores in the gradebook: in total, and (score, max) per grade cell."""
    score: float
    max_score: float
    cells: dict[str, tuple[float, float]]


def read_scores(course: Path, name: str, student: str) -> Scores:
    """`student`'s scores for assignment `name`, read with nbgrader's own Gradebook API."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id=COURSE_ID) as gb:
        submission = gb.find_submission(name, student)
        cells = {grade.name: (grade.score, grade.max_score)
                 for notebook in submission.notebooks for grade in notebook.grades}
        return Scores(submission.score, submission.max_score, cells)


# --- prepared course folders (one per assignment, shared by the tests of this module) ---

@dataclass
class GradedCourse:
    name: str
    root: Path                               # the temporary course folder
    autograde: subprocess.CompletedProcess   # `nbgrader autograde NN`, both students at once
    feedback: subprocess.CompletedProcess    # `nbgrader generate_feedback NN`


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, tmp_path_factory) -> GradedCourse:
    """Assignment `NN` through generate_assignment, autograde and generate_feedback in a
    temporary course folder. Two submissions, put straight into submitted/: alice's is
    the source notebook (worked solutions, nbgrader metadata and all), bob's the
    release notebook untouched. Autograde and feedback run once, for both; their exit
    codes and output are kept for the tests to judge."""
    name = request.param
    tmp = tmp_path_factory.mktemp(f"graded-{name}")
    course = make_course(tmp / "course", name)
    home = tmp / "instructor"
    nbgrader("generate_assignment", name, cwd=course, home=home)
    hand_in(course, name, SOLVED, notebook_path("source", name, course))
    hand_in(course, name, UNTOUCHED, notebook_path("release", name, course))
    autograde = nbgrader("autograde", name, cwd=course, home=home, check=False)
    feedback = nbgrader("generate_feedback", name, cwd=course, home=home, check=False)
    return GradedCourse(name, course, autograde, feedback)


@dataclass
class RoundTrip:
    name: str
    course: Path               # the instructor's temporary course folder
    homes: dict[str, Path]     # each student's home, where they fetch and work


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def round_trip(request, tmp_path_factory) -> RoundTrip:
    """Assignment `NN` through a temporary exchange, as a class does it: the instructor
    releases it; alice and bob each fetch it into their own home with the README's student
    commands (nbgrader 0.9.6 takes the student id from the OS user, so `--student=` names
    them, and each has their own submission cache); alice fills in the answer cells, bob
    changes nothing; both submit; the instructor collects, autogrades, generates and
    releases feedback; both fetch it."""
    name = request.param
    tmp = tmp_path_factory.mktemp(f"exchange-{name}")
    exchange = tmp / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)      # nbgrader wants a root everyone can write to (it checks)
    course = make_course(tmp / "course", name)
    homes = {who: tmp / "home" / who for who in STUDENTS}
    readme = readme_student_commands()

    def instructor(*args: str) -> None:
        nbgrader(*args, f"--Exchange.root={exchange}", cwd=course, home=tmp / "instructor")

    def student(who: str, command: str) -> None:
        """The README's student command, for this assignment, with the exchange root the README
        says to add when it is not the default."""
        home = homes[who]
        args = [name if arg == README_ASSIGNMENT else arg for arg in readme[command]]
        nbgrader(*args, f"--Exchange.root={exchange}", f"--student={who}",
                 f"--Exchange.cache={home / '.nbgrader-cache'}", cwd=home, home=home)

    def each_student(command: str) -> None:
        with ThreadPoolExecutor(len(STUDENTS)) as pool:
            list(pool.map(lambda who: student(who, command), STUDENTS))

    instructor("generate_assignment", name)
    instructor("release_assignment", name)
    each_student("fetch_assignment")
    solve(notebook_path(".", name, homes[SOLVED]), notebook_path("source", name, course))
    each_student("submit")
    instructor("collect", name)
    instructor("autograde", name)
    instructor("generate_feedback", name)
    instructor("release_feedback", name)
    each_student("fetch_feedback")
    return RoundTrip(name, course, homes)


README_ASSIGNMENT = "01_forward_pass"     # the assignment the README's student commands name


def readme_student_commands() -> dict[str, list[str]]:
    """The student's exchange commands in README.md ("For students"), by nbgrader command:
    each one's arguments after `nbgrader`, as a student types them."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"Fetching and submitting through nbgrader's exchange.*?```bash\n(.*?)```", text, re.DOTALL)
    assert block, "README.md: no student exchange commands under 'For students'"
    commands = {}
    for line in block.group(1).splitlines():
        argv = shlex.split(line, comments=True)
        if argv[:1] == ["nbgrader"]:
            commands[argv[1]] = argv[1:]
    assert set(commands) == {"fetch_assignment", "submit", "fetch_feedback"}, commands
    return commands


# --- 1. the instructor notebook runs -------------------------------------------------

@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_notebook_runs_headless(name, monkeypatch):
    """source/NN/NN.ipynb runs top to bottom in a fresh python3 kernel started in its own
    folder, with the repo on PYTHONPATH (so `course` and `grader` import, hidden tests
    included): no cell raises, every code cell runs. Prints how long it took."""
    path = notebook_path("source", name)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    nb = read(path)
    client = NotebookClient(nb, kernel_name="python3", timeout=120,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()       # raises CellExecutionError, naming the cell, if one fails
    print(f"\n{name}: source notebook executed in {time.perf_counter() - start:.1f} s")
    not_run = [cell.id for cell in nb.cells
               if cell.cell_type == "code" and cell.source.strip() and cell.execution_count is None]
    errors = [out.get("ename") for cell in nb.cells for out in cell.get("outputs", [])
              if out.output_type == "error"]
    assert not not_run and not errors, f"not run: {not_run}; errors: {errors}"


# --- 2. the committed build products are fresh ----------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_committed_release_and_solutions_are_fresh(name):
    """A fresh build (authoring -> source -> nbgrader release and solutions, in a temporary
    folder) reproduces the committed source/, release/ and solutions/ byte for byte."""
    assert build.stale([name]) == [], f"stale files: run `python tools/build.py {name}` and commit"


# --- 3. what release/ and solutions/ contain ------------------------------------------

@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_has_answers_tests_and_hidden_tests(name):
    """The source notebook has answer cells each with a worked solution, autograded test
    cells worth points, and hidden tests (so the leak checks below check something)."""
    source = read(notebook_path("source", name))
    answers = answer_cells(source)
    assert answers, "no answer (solution) cells"
    empty = [grade_id for grade_id, cell in answers.items()
             if not any(body.strip() for body in marked_blocks(cell.source, "SOLUTION")[0])]
    assert not empty, f"answer cells without a solution between BEGIN/END SOLUTION: {empty}"
    points = autograded_points(source)
    assert points and all(p > 0 for p in points.values()), f"autograded test cells and points: {points}"
    assert hidden_test_lines(source), "no hidden tests"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_gives_no_solution_or_hidden_test_away(name):
    """release/NN/NN.ipynb has no solution markers or code, no hidden test, no grader import."""
    source = read(notebook_path("source", name))
    release = read(notebook_path("release", name))
    text = notebook_text(release)
    markers = [m for m in ("BEGIN SOLUTION", "END SOLUTION") if m in text]
    assert not markers, f"solution markers in release: {markers}"
    assert solution_leaks(source, release) == []
    assert hidden_test_leaks(text, hidden_test_lines(source)) == []


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_answer_cells_hold_the_stub(name):
    """Every answer cell of the source is in the release, holding nbgrader's stub
    (`raise NotImplementedError()` in code) for the student to replace."""
    source_answers = answer_cells(read(notebook_path("source", name)))
    release_answers = answer_cells(read(notebook_path("release", name)))
    assert sorted(release_answers) == sorted(source_answers)
    without_stub = [grade_id for grade_id, cell in release_answers.items()
                    if STUBS[cell.cell_type] not in cell.source]
    assert not without_stub, f"answer cells without the stub: {without_stub}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solutions_hold_no_hidden_test(name):
    """solutions/NN/NN.ipynb shows the worked code but no hidden test and no grader import."""
    source = read(notebook_path("source", name))
    text = notebook_text(read(notebook_path("solutions", name)))
    assert hidden_test_leaks(text, hidden_test_lines(source)) == []


@pytest.mark.parametrize("top", ["release", "solutions"])
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_committed_notebooks_carry_no_outputs(name, top):
    """Committed student and solution notebooks are clean: no outputs, no execution counts."""
    nb = read(notebook_path(top, name))
    dirty = [cell.id for cell in nb.cells if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"cells with outputs or execution counts: {dirty}"


# --- 4.-6. autograde and feedback ----------------------------------------------------

@pytest.mark.slow
def test_solved_submission_earns_every_point(graded):
    """Autograding the worked solutions gives every autograded test cell its points,
    and the assignment its full score."""
    assert graded.autograde.returncode == 0, output(graded.autograde)
    points = autograded_points(read(notebook_path("source", graded.name)))
    scores = read_scores(graded.root, graded.name, SOLVED)
    assert scores.max_score == sum(points.values()) > 0
    assert scores.score == scores.max_score
    assert {grade_id: scores.cells.get(grade_id) for grade_id in points} == \
        {grade_id: (p, p) for grade_id, p in points.items()}


@pytest.mark.slow
def test_untouched_release_earns_nothing(graded):
    """Autograding the release notebook as handed out finishes (exit 0, autograded notebook
    written) and gives 0 points, in total and in every test cell."""
    assert graded.autograde.returncode == 0, output(graded.autograde)
    assert notebook_path(Path("autograded") / UNTOUCHED, graded.name, graded.root).is_file()
    points = autograded_points(read(notebook_path("source", graded.name)))
    scores = read_scores(graded.root, graded.name, UNTOUCHED)
    assert scores.max_score == sum(points.values()) > 0
    assert scores.score == 0
    assert {grade_id: scores.cells.get(grade_id) for grade_id in points} == \
        {grade_id: (0, p) for grade_id, p in points.items()}


@pytest.mark.slow
def test_feedback_on_unfinished_work_names_each_function_in_one_line(graded):
    """The untouched release, autograded: each test cell's error is one short line naming a
    function that is not written yet, never a traceback, in the notebook and the feedback."""
    nb = read(notebook_path(Path("autograded") / UNTOUCHED, graded.name, graded.root))
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    for cell in tests:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert len(errors) == 1, (cell.metadata.nbgrader["grade_id"], errors)
        shown = "\n".join(errors[0].traceback)
        assert re.search(r"`\w+` is not written yet", shown), shown
        assert len(shown.splitlines()) == 1 and "Traceback" not in shown and "checks.py" not in shown, shown
    assert graded.feedback.returncode == 0, output(graded.feedback)
    page = notebook_path(Path("feedback") / UNTOUCHED, graded.name, graded.root).with_suffix(".html")
    assert html_text(page.read_text(encoding="utf-8")).count("is not written yet") >= len(tests)


@pytest.mark.slow
@pytest.mark.parametrize("student", STUDENTS)
def test_feedback_shows_no_hidden_test_or_path(graded, student):
    """feedback/<student>/NN/NN.html exists and shows no hidden-test source (no marker,
    no grader import, no hidden-test line) and no absolute path of the grading machine
    (the temporary course folder or this checkout)."""
    assert graded.feedback.returncode == 0, output(graded.feedback)
    page_path = notebook_path(Path("feedback") / student, graded.name, graded.root).with_suffix(".html")
    assert page_path.is_file()
    page = page_path.read_text(encoding="utf-8")
    hidden = hidden_test_lines(read(notebook_path("source", graded.name)))
    assert hidden_test_leaks(html_text(page), hidden) == []
    assert hidden_test_leaks(page, hidden) == []
    places = {str(p) for folder in (graded.root.parent, ROOT) for p in (folder, folder.resolve())}
    assert [p for p in places if p in page or p in html_text(page)] == []


# --- 7. the exchange round trip -------------------------------------------------------

@pytest.mark.slow
def test_exchange_collects_what_students_submitted(round_trip):
    """What each student submitted from their assignment folder is what the instructor
    collects into submitted/<student>/NN/, file for file, byte for byte."""
    name = round_trip.name
    for who, home in round_trip.homes.items():
        handed_in = home / name
        collected = round_trip.course / "submitted" / who / name
        files = [f.relative_to(handed_in) for f in handed_in.rglob("*")
                 if f.is_file() and "feedback" not in f.relative_to(handed_in).parts]
        assert Path(f"{name}.ipynb") in files, f"{who} has no notebook to submit"
        lost = [str(f) for f in files if not (collected / f).is_file()
                or not filecmp.cmp(handed_in / f, collected / f, shallow=False)]
        assert not lost, f"{who}: lost or changed on the way: {lost}"


@pytest.mark.slow
def test_exchange_returns_each_student_their_feedback(round_trip):
    """Each student fetches exactly one feedback page, their own: the one the instructor
    generated for them (alice's and bob's differ)."""
    name = round_trip.name
    pages = {}
    for who, home in round_trip.homes.items():
        fetched = sorted((home / name / "feedback").glob(f"*/{name}.html"))
        assert len(fetched) == 1, f"{who} fetched {fetched}"
        pages[who] = fetched[0].read_bytes()
        generated = round_trip.course / "feedback" / who / name / f"{name}.html"
        assert pages[who] == generated.read_bytes(), f"{who} got feedback that is not theirs"
    assert pages[SOLVED] != pages[UNTOUCHED]


@pytest.mark.slow
def test_exchange_grades_what_was_submitted(round_trip):
    """Through the exchange, the solved notebook earns the full score and the untouched
    one 0, out of the same maximum."""
    solved = read_scores(round_trip.course, round_trip.name, SOLVED)
    untouched = read_scores(round_trip.course, round_trip.name, UNTOUCHED)
    assert solved.score == solved.max_score > 0
    assert untouched.score == 0
    assert untouched.max_score == solved.max_score


# --- 8. what autograde says about read-only cells --------------------------------------

CHANGED_CELL = re.compile(r"Attribute '\w+' for cell (\S+) has changed!")


def changed_cells(log: str) -> dict[str, list[str]]:
    """The cells autograde reported as changed ("Attribute '...' for cell X has changed!"),
    by student: the log cut at each "Sanitizing .../submitted/<student>/..." line."""
    found: dict[str, list[str]] = {}
    student = None
    for line in log.splitlines():
        sanitizing = re.search(r"Sanitizing .*[/\\]submitted[/\\]([^/\\]+)[/\\]", line)
        if sanitizing:
            student = sanitizing.group(1)
            found.setdefault(student, [])
        elif CHANGED_CELL.search(line):
            found.setdefault(student, []).append(CHANGED_CELL.search(line).group(1))
    return found


@pytest.mark.slow
def test_honest_submissions_are_graded_without_warnings(graded):
    """Neither alice (the worked notebook) nor bob (the release as handed out) edited a read-only
    cell, and autograde reports no cell as changed. (nbgrader 0.9.6 alone reported every test
    cell with hidden tests, nbgrader#1961: see RepairCellMetadata.) generate_feedback warns about
    nothing (it warned that ClearHiddenTests does not recognise `display_data_priority`)."""
    assert graded.autograde.returncode == 0, output(graded.autograde)
    assert changed_cells(graded.autograde.stderr) == {SOLVED: [], UNTOUCHED: []}
    warnings = [line for line in (graded.feedback.stdout + graded.feedback.stderr).splitlines() if "WARNING" in line]
    assert warnings == []


SMALL = "ps1"       # a small assignment: an answer cell and a test cell with a hidden test


def small_source(folder: Path) -> Path:
    """source/ps1/ps1.ipynb: tools/tiny_assignment.py's notebook."""
    folder.mkdir(parents=True)
    nbformat.write(tiny_assignment.notebook(), str(folder / f"{SMALL}.ipynb"))
    return folder


def small_autograde(tmp: Path, config: bool) -> dict[str, list[str]]:
    """SMALL through generate_assignment and autograde, with this repo's nbgrader_config.py or
    (config False) nbgrader's defaults: "honest" hands in the release with the answer filled in,
    "tampered" the same with the test cell's visible assert edited. The cells reported as changed."""
    course = make_course(tmp / "course", SMALL, small_source(tmp / "src"))
    if not config:
        (course / "nbgrader_config.py").unlink()
    args, home = [f"--CourseDirectory.course_id={COURSE_ID}"], tmp / "instructor"
    nbgrader("generate_assignment", SMALL, *args, cwd=course, home=home)
    for student, test in (("honest", None), ("tampered", "assert True")):
        nb = read(notebook_path("release", SMALL, course))
        tiny_assignment.cell(nb, tiny_assignment.ANSWER_ID).source = tiny_assignment.ANSWER
        if test:
            tiny_assignment.cell(nb, tiny_assignment.TEST_ID).source = test
        target = notebook_path(Path("submitted") / student, SMALL, course)
        target.parent.mkdir(parents=True)
        nbformat.write(nb, str(target))
    return changed_cells(nbgrader("autograde", SMALL, *args, cwd=course, home=home).stderr)


@pytest.mark.slow
def test_autograde_reports_an_edited_test_cell_and_only_that(tmp_path):
    """With this course's config, an honest submission's untouched test cell is not reported;
    a test cell the student edited is ("Attribute 'checksum' for cell test_relu has changed!"),
    and nbgrader grades its original."""
    assert small_autograde(tmp_path, config=True) == {"honest": [], "tampered": [tiny_assignment.TEST_ID]}


@pytest.mark.slow
def test_nbgrader_alone_still_reports_untouched_hidden_tests_as_changed(tmp_path):
    """Why RepairCellMetadata puts hidden tests back (nbgrader#1961): plain nbgrader stores a test
    cell's checksum with its hidden tests and releases it without them, so it reports every
    untouched test cell with hidden tests as changed. When this fails, nbgrader has fixed that,
    and RepairCellMetadata._put_back_hidden_tests can go."""
    changed = small_autograde(tmp_path, config=False)
    assert changed["honest"] == [tiny_assignment.TEST_ID], f"nbgrader#1961 looks fixed: {changed}"
