"""A sixth assignment, added the way README.md "For contributors" says, in a copy of this
repository: it is built (and only it), graded by the real nbgrader, and the browser harness
and the benchmarks list it and its widget, with no list edited anywhere. Then the
instructor's side: what may change in a released assignment once a student has submitted."""
import json
import shutil
import subprocess
import sys

import pytest

from tools.build import ROOT, nbgrader_env

pytestmark = pytest.mark.slow
NAME = "06_squares"

GRADER = '''"""06_squares: reference implementations and hidden checks."""
import numpy as np

from course.checks import call, check_array


def square(x):
    return x * x


def check_square(student):
    rng = np.random.default_rng(6)
    for shape in [(3,), (2, 5), (1, 4)]:
        x = rng.standard_normal(shape)
        got, _ = call(student, x, what=f"square(x) for x of shape {shape}")
        check_array(got, square(x), what=f"square(x) for x of shape {shape}")
'''

AUTHORING = '''# %% [markdown]
# # 06 · Squares
#
# **Exercise 1 (2 points).** Write `square(x)`.

# %% kind="readonly" grade_id="setup"
import numpy as np

from course import widgets
from course.checks import NO_GRADER, check_array

# %% kind="solution" grade_id="square"
def square(x):
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION

# %% kind="test" grade_id="test_square" points=2
### BEGIN HIDDEN TESTS
try:
    from grader import squares as hidden
except ImportError:
    raise AssertionError(NO_GRADER) from None
hidden.check_square(  # randomized shapes
    square)
### END HIDDEN TESTS
check_array(square(np.array([2.0, -3.0])), np.array([4.0, 9.0]), what="square([2, -3])")
print("✓ square")

# %%
widgets.neuron_explorer(np.tanh)
'''

MORE = '''
# %% kind="test" grade_id="test_square_zero" points=1
assert square(3.0) == 9.0
'''

CUBE = '''
# %% kind="solution" grade_id="cube"
def cube(x):
    ### BEGIN SOLUTION
    return x * x * x
    ### END SOLUTION

# %% kind="test" grade_id="test_cube" points=1
assert cube(2.0) == 8.0
'''


def run(copy, *args, check=True):
    env = nbgrader_env() | {"PYTHONPATH": str(copy)}
    env.pop("NBGRADER_EXECUTION", None)
    done = subprocess.run(args, cwd=copy, capture_output=True, text=True, env=env)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def nbgrader(copy, *args, check=True):
    return run(copy, sys.executable, "-m", "nbgrader", *args, check=check)


def submit(copy, student, answer):
    """The released notebook, answered: its YOUR CODE HERE replaced by `answer`."""
    released = (copy / "release" / NAME / f"{NAME}.ipynb").read_text()
    target = copy / "submitted" / student / NAME / f"{NAME}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(released.replace('"    # YOUR CODE HERE\\n",\n    "    raise NotImplementedError()"',
                                       json.dumps(answer)))


def scores(copy):
    code = ("import json\nfrom nbgrader.api import Gradebook\nwith Gradebook('sqlite:///gradebook.db') as gb:\n"
            f"    print(json.dumps({{s.student.id: [s.score, s.max_score] for s in gb.assignment_submissions('{NAME}')}}))")
    return json.loads(run(copy, sys.executable, "-c", code).stdout)


@pytest.fixture(scope="module")
def course_copy(tmp_path_factory):
    """This checkout (no venv, no git, no instructor files), with 06_squares scaffolded as
    the README's contributor steps say, built, released to the gradebook and submitted."""
    copy = tmp_path_factory.mktemp("course") / "backprop-lab"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "artifacts", "gradebook.db", "submitted", "autograded", "feedback",
        ".ipynb_checkpoints", "*.egg-info", ".pytest_cache"))
    (copy / "grader" / "squares.py").write_text(GRADER)                 # step 1: grader/topic.py
    (copy / "authoring" / f"{NAME}.py").write_text(AUTHORING)           # step 2: authoring/NN_topic.py
    built = run(copy, sys.executable, "tools/build.py")                 # step 3: the build
    nbgrader(copy, "generate_assignment", NAME, "--force")              # the instructor registers it
    submit(copy, "alice", "    return x ** 2")
    submit(copy, "bob", "    return x * 2")
    nbgrader(copy, "autograde", NAME)
    return copy, built.stdout


def test_the_new_assignment_is_built_alone(course_copy):
    copy, out = course_copy
    assert f"built {NAME}" in out
    assert out.count("unchanged ") == 5, out                            # the other five are not rebuilt
    release = (copy / "release" / NAME / f"{NAME}.ipynb").read_text()
    assert "BEGIN HIDDEN TESTS" not in release and "check_square" not in release and "x * x" not in release
    assert "return x * x" in (copy / "solutions" / NAME / f"{NAME}.ipynb").read_text()
    assert NAME in json.loads((copy / "source" / "build-stamps.json").read_text())


def test_real_nbgrader_grades_it_with_its_hidden_check(course_copy):
    copy, _ = course_copy
    assert scores(copy) == {"alice": [2.0, 2.0], "bob": [0.0, 2.0]}


def test_the_harness_and_the_benchmarks_list_it_and_its_widget(course_copy):
    copy, _ = course_copy
    code = ("import json\nfrom tools import browser_harness as bh\nfrom benchmarks import common\n"
            "from benchmarks.browser_latency import MAIN_CONTROLS\n"
            "print(json.dumps([bh.ASSIGNMENTS, bh.WIDGETS, common.ASSIGNMENTS, MAIN_CONTROLS]))")
    assignments, widgets, benchmarked, controls = json.loads(run(copy, sys.executable, "-c", code).stdout)
    assert assignments[-1] == NAME and benchmarked[-1] == NAME and len(assignments) == 6
    assert widgets[NAME] == ["neuron_explorer"]
    assert controls["neuron_explorer"][0] == "01_forward_pass"          # a widget's first notebook times it


def test_a_build_that_nbgrader_fails_changes_nothing(course_copy):
    copy, _ = course_copy
    authoring = copy / "authoring" / f"{NAME}.py"
    outputs = [copy / "source" / "build-stamps.json"] + [copy / top / NAME / f"{NAME}.ipynb"
                                                         for top in ("source", "release", "solutions")]
    before = [p.read_bytes() for p in outputs]
    authoring.write_text(AUTHORING.replace("    ### END SOLUTION\n", "", 1))      # nbgrader: no END SOLUTION
    failed = run(copy, sys.executable, "tools/build.py", NAME, check=False)
    authoring.write_text(AUTHORING)
    assert failed.returncode == 1 and "build failed, nothing changed" in failed.stderr
    assert "generate_assignment" in failed.stderr
    assert [p.read_bytes() for p in outputs] == before
    assert sorted(p.name for p in (copy / "release").iterdir()) == sorted(p.name for p in (copy / "source").iterdir()
                                                                           if p.is_dir())


def test_once_submitted_cells_can_be_edited_and_tests_added_only_by_re_registering(course_copy):
    """The README's advice to instructors, with real nbgrader (run after the tests above)."""
    copy, _ = course_copy
    authoring = copy / "authoring" / f"{NAME}.py"
    release = copy / "release" / NAME / f"{NAME}.ipynb"
    # 1. Editing a cell (its checks, its points) and adding a plain cell: allowed.
    edited = AUTHORING.replace("points=2", "points=3") + "\n# %% [markdown]\n# A remark.\n"
    authoring.write_text(edited)
    run(copy, sys.executable, "tools/build.py", NAME)
    nbgrader(copy, "generate_assignment", NAME, "--force")
    nbgrader(copy, "autograde", NAME, "--force")
    assert scores(copy) == {"alice": [3.0, 3.0], "bob": [0.0, 3.0]}
    # 2. Adding a test cell: the build (its own throwaway gradebook) is fine ...
    authoring.write_text(edited + MORE)
    run(copy, sys.executable, "tools/build.py", NAME)
    built = release.read_text()
    assert "test_square_zero" in built
    # ... but nbgrader refuses to change the gradebook's copy, and deletes release/NAME first
    # (nbgrader 0.9.6; when this fails, nbgrader stopped deleting it: update the README)
    refused = nbgrader(copy, "generate_assignment", NAME, "--force", check=False)
    assert refused.returncode != 0 and "Cannot add or remove cells" in refused.stdout + refused.stderr
    assert not release.exists()
    run(copy, sys.executable, "tools/build.py", NAME, "--force")       # the build puts it back
    assert release.read_text() == built
    # What the README says to do instead: remove the assignment from the gradebook (its
    # scores; the submitted files stay), register the new version, grade everyone again.
    nbgrader(copy, "db", "assignment", "remove", NAME, "--force")
    nbgrader(copy, "generate_assignment", NAME, "--force")
    assert release.read_text() == built
    nbgrader(copy, "autograde", NAME, "--force")
    assert scores(copy) == {"alice": [4.0, 4.0], "bob": [0.0, 4.0]}     # the new test is put back and run
    # 3. Adding an exercise (an answer cell): the same steps register it, but nbgrader 0.9.6
    # cannot grade the old submissions (OverwriteCells.add_missing_cells puts back test cells
    # only after a cell the submission has: KeyError). Hence the README: a new assignment.
    authoring.write_text(edited + MORE + CUBE)
    run(copy, sys.executable, "tools/build.py", NAME)
    nbgrader(copy, "db", "assignment", "remove", NAME, "--force")
    nbgrader(copy, "generate_assignment", NAME, "--force")
    regrade = nbgrader(copy, "autograde", NAME, "--force", check=False)
    assert regrade.returncode != 0 and "KeyError: 'cube'" in regrade.stdout + regrade.stderr
    assert (copy / "submitted" / "alice" / NAME / f"{NAME}.ipynb").exists()
