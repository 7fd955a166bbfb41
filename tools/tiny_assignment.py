"""The smallest real assignment: write `relu(z)`, graded by one visible assert and the course's
hidden relu check (so it runs the isolated re-check like every course test cell).

For a whole nbgrader round trip where the course's own notebooks would be slow or beside the
point: the autograde benchmark's floor (benchmarks/autograde.py) and the pipeline tests of what
autograde reports (tests/test_pipeline.py).
"""
from __future__ import annotations

ANSWER = "def relu(z):\n    return np.maximum(z, 0.0)"     # what a student writes in the answer cell
ANSWER_ID, TEST_ID = "relu", "test_relu"


def notebook(title: str = "A tiny assignment"):
    """The source notebook (nbformat v4): markdown, a setup cell, the answer cell, a 1-point test cell."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    from nbgrader.nbgraderformat import SCHEMA_VERSION

    def meta(grade_id, solution=False, grade=False, points=None, locked=False):
        m = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": locked,
             "schema_version": SCHEMA_VERSION}
        if points is not None:
            m["points"] = points
        return {"nbgrader": m}

    signature, body = ANSWER.split("\n", 1)
    answer = f"{signature}\n    ### BEGIN SOLUTION\n{body}\n    ### END SOLUTION"
    cells = [
        new_markdown_cell(f"# {title}\n\nWrite `relu(z)`."),
        new_code_cell("import numpy as np", metadata=meta("setup", locked=True)),
        new_code_cell(answer, metadata=meta(ANSWER_ID, solution=True)),
        # the hidden block is one course check, as the build requires (it runs in the isolated process)
        new_code_cell("assert relu(np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]\n### BEGIN HIDDEN TESTS\n"
                      "from grader import forward_pass as hidden\nhidden.check_relu(relu)\n"
                      "### END HIDDEN TESTS\nprint('ok')",
                      metadata=meta(TEST_ID, grade=True, points=1, locked=True)),
    ]
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    nbformat.validate(nb)
    return nb


def cell(nb, grade_id: str):
    """The cell of `nb` with nbgrader grade id `grade_id`."""
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
