"""The course's assignments and widgets, found rather than listed.

An assignment is an authoring notebook `authoring/NN_topic.py`; its hidden checks live in
`grader/topic.py`; its widgets are the `widgets.NAME(...)` calls (course/widgets.py's
factories) its built notebook `source/NN_topic/NN_topic.ipynb` makes, in page order.
The build, the tests, the browser harness and the benchmarks all ask here, so adding an
assignment or a widget means editing no list.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def assignments(root: Path = ROOT) -> list[str]:
    """Assignment names in course order, e.g. ["01_forward_pass", ...]."""
    return sorted(p.stem for p in (root / "authoring").glob("[0-9][0-9]_*.py"))


def topic(name: str) -> str:
    """The grader module of an assignment: "01_forward_pass" -> "forward_pass"."""
    return name.split("_", 1)[1]


def notebook(top: str, name: str, root: Path = ROOT) -> Path:
    """<root>/<top>/<name>/<name>.ipynb, e.g. release/01_forward_pass/01_forward_pass.ipynb."""
    return root / top / name / f"{name}.ipynb"


def widgets(name: str, root: Path = ROOT) -> tuple[str, ...]:
    """The widget factories the notebook of assignment `name` calls, in page order."""
    import nbformat     # not needed by the rest: a build with nothing to rebuild runs without it

    found = []
    for cell in nbformat.read(notebook("source", name, root), as_version=4).cells:
        if cell.cell_type != "code" or "widgets." not in cell.source:
            continue
        python = "\n".join("" if line.lstrip().startswith(("%", "!")) else line   # IPython magics
                           for line in cell.source.splitlines())
        calls = [node for node in ast.walk(ast.parse(python)) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                 and node.func.value.id == "widgets"]
        found += [c.func.attr for c in sorted(calls, key=lambda c: (c.lineno, c.col_offset))]
    return tuple(found)


def widget_notebooks(root: Path = ROOT) -> dict[str, str]:
    """Every widget of the course -> the first assignment whose notebook shows it, in course order."""
    found: dict[str, str] = {}
    for name in assignments(root):
        for widget in widgets(name, root):
            found.setdefault(widget, name)
    return found
