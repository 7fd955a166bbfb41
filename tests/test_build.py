"""tools/build.py: the authoring format and what it writes into source/."""
import json

import nbformat
import pytest

from tools import build
from tools.build import ROOT, FormatError, assignments, parse


def write(tmp_path, text):
    path = tmp_path / "99_demo.py"
    path.write_text(text)
    return path


def test_a_small_notebook_gets_nbgrader_metadata(tmp_path):
    nb = parse(write(tmp_path, """# %% [markdown]
# # Title
#
# Some $math$.
# %% readonly id=setup
import numpy as np
# %% solution id=square
def square(x):
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION
# %% test id=test_square points=2
assert square(3) == 9
"""))
    md, setup, solution, test = nb.cells
    assert md.cell_type == "markdown" and md.source == "# Title\n\nSome $math$."
    assert setup.metadata.nbgrader == {"grade": False, "grade_id": "setup", "locked": True,
                                       "schema_version": 3, "solution": False, "task": False}
    assert solution.metadata.nbgrader["solution"] is True and solution.metadata.nbgrader["locked"] is False
    assert test.metadata.nbgrader["grade"] is True and test.metadata.nbgrader["points"] == 2
    assert all(c.get("outputs", []) == [] for c in nb.cells)


@pytest.mark.parametrize("text, message", [
    ("# %% solution\nx = 1\n", "needs id="),
    ("# %% test id=t\nassert True\n", "needs points="),
    ("# %% solution id=a\nx = 1\n", "BEGIN SOLUTION"),
    ("# %% readonly id=a\nx = 1\n# %% readonly id=a\ny = 2\n", "duplicate id"),
    ("# %% sollution id=a\nx = 1\n", "unknown word 'sollution'"),
    ("# %% [markdown]\nnot a comment\n", "markdown lines start with '# '"),
    ("x = 1\n# %%\n", "code before the first"),
])
def test_format_mistakes_are_reported_with_file_and_line(tmp_path, text, message):
    with pytest.raises(FormatError, match=message) as info:
        parse(write(tmp_path, text))
    assert "99_demo.py:" in str(info.value)


@pytest.mark.parametrize("name", assignments())
def test_source_notebooks_are_the_authoring_files_built_and_carry_no_outputs(name):
    committed = (ROOT / "source" / name / f"{name}.ipynb").read_text()
    assert nbformat.reads(committed, as_version=4) == parse(ROOT / "authoring" / f"{name}.py"), \
        f"source/{name} is stale: run python tools/build.py {name}"
    nb = json.loads(committed)
    assert "widgets" not in nb["metadata"]
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb["cells"] if c["cell_type"] == "code")


def test_unknown_assignment_names_are_refused(capsys):
    with pytest.raises(SystemExit):
        build.main(["07_nonexistent"])
    assert "no authoring file for 07_nonexistent" in capsys.readouterr().err
