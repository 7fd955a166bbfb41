"""The course's assignments and widgets, found rather than listed.

An assignment is an authoring notebook `authoring/NN_topic.py`; its hidden checks live in
`grader/topic.py`; its widgets are the `widgets.NAME(...)` calls (course/widgets.py's
factories) its built notebook `source/NN_topic/NN_topic.ipynb` makes, in page order.
The build, the tests, the browser harness and the benchmarks all ask here, so adding an
assignment or a widget means editing no list.

What a notebook builds on is found here too: a later notebook imports an earlier notebook's
worked functions from a module beside it (`from forward_pass import mlp_forward`), generated
from `grader/solutions/<module>.py`; `builds_on` reads those imports, so a new assignment
that needs, say, notebook 04's functions just imports them.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = "grader/solutions"      # the worked versions later notebooks build on, one module each


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


def solution_modules(root: Path = ROOT) -> tuple[str, ...]:
    """The modules of grader/solutions (e.g. "forward_pass", "layers"), sorted."""
    return tuple(sorted(p.stem for p in (root / SOLUTIONS).glob("*.py") if p.stem != "__init__"))


def _python(text: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines())


def _imports(text: str, relative: bool) -> set[str]:
    """Top-level module names `text` imports: absolute ones, or (relative=True) `from .X import`."""
    found = set()
    for node in ast.walk(ast.parse(_python(text))):
        if isinstance(node, ast.ImportFrom) and node.module and (node.level == 1) == relative:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import) and not relative:
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found


def solution_imports(module: str, root: Path = ROOT) -> set[str]:
    """The other solution modules `module` imports (`from .forward_pass import ...`)."""
    return _imports((root / SOLUTIONS / f"{module}.py").read_text(encoding="utf-8"), relative=True)


def builds_on(name: str, root: Path = ROOT) -> tuple[str, ...]:
    """The solution modules placed beside assignment `name`'s notebook: those its authoring
    notebook imports, and those they import in turn (sorted)."""
    available = set(solution_modules(root))
    todo = _imports((root / "authoring" / f"{name}.py").read_text(encoding="utf-8"), relative=False) & available
    found: set[str] = set()
    while todo:
        module = todo.pop()
        found.add(module)
        todo |= solution_imports(module, root) - found
    return tuple(sorted(found))


def origin(module: str, root: Path = ROOT) -> tuple[str, ...]:
    """The assignments whose exercises solution module `module` holds or is built from:
    ("01_forward_pass",) for forward_pass; for a module named after no notebook (layers), the
    notebooks of the modules it imports."""
    by_topic = {topic(name): name for name in assignments(root)}
    if module in by_topic:
        return (by_topic[module],)
    return tuple(sorted({a for m in solution_imports(module, root) for a in origin(m, root)}))
