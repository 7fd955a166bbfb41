"""nbgrader configuration for Backprop Lab. Run every nbgrader command from this folder.

    nbgrader generate_assignment 01_forward_pass --force
    nbgrader autograde 01_forward_pass
    nbgrader generate_feedback 01_forward_pass

Each setting below says why it is here; see README.md "For instructors".
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "backprop-lab"
c.CourseDirectory.root = HERE
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.solution_directory = "solutions"
# Only notebooks are part of an assignment; editor and cache files never travel.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# Kernels start in autograded/<student>/<assignment>/: they inherit this environment,
# so `course` and `grader` import from this checkout there (and nowhere else).
_paths = [HERE] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != HERE]
os.environ["PYTHONPATH"] = os.pathsep.join(_paths)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

# Execution during autograde (and generate_solution, which we do not execute; see below).
c.Execute.timeout = 30                      # a cell that loops forever is interrupted
c.Execute.interrupt_on_timeout = True
# Once the last cell has run the kernel has nothing left to do: stop it at once. (A graceful
# shutdown waits for the kernel to exit; ipykernel 7.4 sometimes does not, and then costs
# 2.5 s more before it is killed anyway.)
c.Execute.shutdown_kernel = "immediate"
# nbclient skips cells tagged `skip-execution` even when grading: no tag may opt out.
c.Execute.skip_cells_with_tag = "backprop-lab-no-cell-may-skip-grading"
# Minimal tracebacks: "ExceptionType: message", never the source of a hidden test.
c.Execute.extra_arguments = [
    "--HistoryManager.hist_file=:memory:",
    "--InteractiveShell.xmode=Minimal",
]

# A test cell a student deleted is put back (and scores 0 if it fails), never None.
c.OverwriteCells.add_missing_cells = True

# Huge printed output is cut before it reaches the gradebook and the feedback: nbgrader's
# LimitOutput (lines), extended by LimitOutputSize (characters, bytes), which takes its place.
c.LimitOutputSize.max_lines = 200
c.LimitOutputSize.max_traceback = 40

# Autograde, hardened (grader/nbgrader_plugin.py, docs/THREAT_MODEL.md): only the graded part
# of a notebook runs (setup, answer and test cells); a dying kernel does not abort a student's
# grading; hidden tests run outside the student's kernel, in a process that runs no student code; outputs are
# capped in size and scrubbed of this machine's paths. Each list below is nbgrader's own
# default with our steps put in where grader/pipeline.py's CHANGES says, and why.
from nbgrader.converters import Autograde, GenerateFeedback, GenerateSolution  # noqa: E402

from grader.pipeline import preprocessors  # noqa: E402

# Sanitizing: a student's edits to the nbgrader metadata are undone before nbgrader's own checks.
c.Autograde.sanitize_preprocessors = preprocessors(Autograde, "sanitize_preprocessors")
# Hidden tests run once, in a checker process started before the kernel (StartHiddenTests) and
# read after it (IsolatedHiddenTests); the student's kernel runs the visible part of each test.
c.SafeExecute.isolated_hidden_tests = True
c.Autograde.autograde_preprocessors = preprocessors(Autograde, "autograde_preprocessors")
# Solutions are for self-learners: worked code and the visible tests, no hidden tests,
# no outputs (they run them themselves), so the committed copies diff cleanly.
c.GenerateSolution.preprocessors = preprocessors(GenerateSolution, "preprocessors")
# Feedback shows each student their results, never the hidden tests' source.
c.GenerateFeedback.preprocessors = preprocessors(GenerateFeedback, "preprocessors")
