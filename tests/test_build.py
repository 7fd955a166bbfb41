"""tools/build.py: the authoring notebooks (jupytext percent format) and what the build writes."""
import json
import shutil
import subprocess
import sys

import jupytext
import nbformat
import pytest
from nbgrader.nbgraderformat import SCHEMA_VERSION

from tools import build
from tools.build import ROOT, FormatError, assignments, parse

from .test_isolation import HIDDEN_BLOCK, SPLIT


def write(tmp_path, text):
    path = tmp_path / "99_demo.py"
    path.write_text(text)
    return path


SMALL = """# %% [markdown]
# # Title
#
# Some $math$.

# %% kind="readonly" grade_id="setup"
import numpy as np

# %% kind="solution" grade_id="square"
def square(x):
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION

# %% kind="test" grade_id="test_square" points=2
assert square(3) == 9
"""


def test_a_small_notebook_gets_nbgrader_metadata(tmp_path):
    nb = parse(write(tmp_path, SMALL))
    md, setup, solution, test = nb.cells
    assert md.cell_type == "markdown" and md.source == "# Title\n\nSome $math$."
    assert setup.metadata.nbgrader == {"grade": False, "grade_id": "setup", "locked": True,
                                       "schema_version": SCHEMA_VERSION, "solution": False, "task": False}
    assert solution.metadata.nbgrader["solution"] is True and solution.metadata.nbgrader["locked"] is False
    assert test.metadata.nbgrader["grade"] is True and test.metadata.nbgrader["points"] == 2
    assert [c.id for c in nb.cells] == ["cell-000", "setup", "square", "test-square"]
    assert all(c.get("outputs", []) == [] for c in nb.cells)


TEST = '# %% kind="test" grade_id="test_f" points=1\n'


@pytest.mark.parametrize("text, message", [
    ('# %% kind="solution"\nx = 1\n', 'needs grade_id="..."'),
    ('# %% kind="test" grade_id="t"\nassert True\n', "needs points=N"),
    ('# %% kind="solution" grade_id="a"\nx = 1\n', "BEGIN SOLUTION"),
    ('# %% kind="readonly" grade_id="a"\nx = 1\n\n# %% kind="readonly" grade_id="a"\ny = 2\n', "duplicate grade_id"),
    ('# %% kind="sollution" grade_id="a"\nx = 1\n', "kind='sollution' is not one of"),
    ('# %% kind="readonly" grade_id="a" point=1\nx = 1\n', "unknown cell metadata ['point']"),
    ("# %% readonly id=a\nx = 1\n", "unknown cell metadata"),          # the old header syntax
    ('# %% [markdown] kind="solution" grade_id="a"\n# text\n', "solution cells are code cells"),
    ("x = 1\n# %%\n", "code before the first"),
])
def test_format_mistakes_are_reported_with_file_and_cell(tmp_path, text, message):
    with pytest.raises(FormatError, match=r"99_demo\.py:\d+ \(cell \d+\)") as info:
        parse(write(tmp_path, text))
    assert message in str(info.value)


def test_a_hidden_block_that_cannot_run_isolated_fails_the_build_naming_the_cell(tmp_path):
    mixed = HIDDEN_BLOCK.replace("hidden.check_sigmoid(sigmoid)\n", "hidden.check_sigmoid(sigmoid)\nassert True\n")
    with pytest.raises(FormatError) as info:
        parse(write(tmp_path, "# %%\nx = 1\n\n" + TEST + mixed))
    assert "99_demo.py:4 (cell 2) test cell 'test_f'" in str(info.value)
    assert "cannot run isolated" in str(info.value) and "`assert True`, is neither" in str(info.value)


def test_a_hidden_call_over_several_lines_with_comments_builds(tmp_path):
    nb = parse(write(tmp_path, TEST + SPLIT))
    assert nb.cells[0].source == SPLIT.rstrip("\n")


def test_a_hidden_check_the_grader_module_lacks_fails_the_build(tmp_path):
    typo = HIDDEN_BLOCK.replace("check_sigmoid", "check_sigmoyd")
    with pytest.raises(FormatError, match="calls check_sigmoyd, which grader/forward_pass.py does not define"):
        parse(write(tmp_path, TEST + typo))


@pytest.mark.parametrize("name", assignments())
def test_authoring_notebooks_survive_a_save_from_jupyterlab_unchanged(tmp_path, name):
    """JupyterLab opens authoring/*.py through jupytext's contents manager (Open With ->
    Jupytext Notebook): reading one as a notebook and saving it back must not change a byte."""
    from jupytext import TextFileContentsManager
    shutil.copy(ROOT / "authoring" / "jupytext.toml", tmp_path)
    shutil.copy(ROOT / "authoring" / f"{name}.py", tmp_path)
    manager = TextFileContentsManager(root_dir=str(tmp_path))
    model = manager.get(f"{name}.py", type="notebook")
    manager.save({"type": "notebook", "content": model["content"]}, f"{name}.py")
    assert (tmp_path / f"{name}.py").read_text() == (ROOT / "authoring" / f"{name}.py").read_text()


def test_a_graded_cell_added_in_jupyterlab_is_saved_with_its_metadata(tmp_path):
    from jupytext import TextFileContentsManager
    shutil.copy(ROOT / "authoring" / "jupytext.toml", tmp_path)
    write(tmp_path, "# %% [markdown]\n# # A new notebook\n")
    manager = TextFileContentsManager(root_dir=str(tmp_path))
    nb = manager.get("99_demo.py", type="notebook")["content"]
    cell = nbformat.v4.new_code_cell("assert True")
    cell.metadata.update(kind="test", grade_id="test_t", points=1, collapsed=False, tags=["x"])
    nb.cells.append(cell)
    manager.save({"type": "notebook", "content": nb}, "99_demo.py")
    text = (tmp_path / "99_demo.py").read_text()
    assert '# %% kind="test" grade_id="test_t" points=1\nassert True' in text
    assert parse(tmp_path / "99_demo.py").cells[1].metadata.nbgrader["points"] == 1
    assert jupytext.writes(jupytext.reads(text, fmt="py:percent"), fmt="py:percent") == text


@pytest.mark.parametrize("name", assignments())
def test_source_notebooks_are_the_authoring_files_built_and_carry_no_outputs(name):
    committed = (ROOT / "source" / name / f"{name}.ipynb").read_text()
    assert nbformat.reads(committed, as_version=4) == parse(ROOT / "authoring" / f"{name}.py"), \
        f"source/{name} is stale: run python tools/build.py {name}"
    nb = json.loads(committed)
    assert "widgets" not in nb["metadata"]
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb["cells"] if c["cell_type"] == "code")


def pinned_versions() -> dict[str, str]:
    """The versions requirements.txt pins for the tools whose version the build stamps record."""
    pins = dict(line.split("==", 1) for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    return {package: pins[package].strip() for package in build.VERSIONED}


def test_the_committed_build_stamps_match_the_inputs():
    """The committed source/, release/ and solutions/ were built from the committed inputs with the
    toolchain requirements.txt pins (whatever is installed here: .ci/run also runs this at the floors)."""
    stamps = json.loads((ROOT / build.STAMPS).read_text())
    stale = [n for n in assignments() if stamps.get(n) != build.inputs_hash(n, pinned_versions())]
    assert stale == [], "run python tools/build.py (with requirements.txt installed)"


def test_unknown_assignment_names_are_refused(capsys):
    with pytest.raises(SystemExit):
        build.main(["07_nonexistent"])
    assert "no authoring file for 07_nonexistent" in capsys.readouterr().err
