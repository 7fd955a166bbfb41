"""What an authoring notebook says, for the tests that hold its text to the numbers.

A claim test reads the number or the comparison from the text itself (`said`), recomputes
it, and fails when the two disagree, or when the sentence it checks is gone (then the test
must follow the new text).
"""
from __future__ import annotations

import ast
import contextlib
import io
import re
from functools import cache

from tools.build import parse
from tools.registry import ROOT


@cache
def cells(name: str) -> list:
    """The cells of authoring/NAME.py, as the build reads them."""
    return list(parse(ROOT / "authoring" / f"{name}.py").cells)


def markdown(name: str) -> str:
    return "\n\n".join(c.source for c in cells(name) if c.cell_type == "markdown")


def section(name: str, number: int | str) -> str:
    """The markdown of section NUMBER ("## 4 · ..." up to the next "## " heading)."""
    text = markdown(name)
    found = re.search(rf"^## {number} ·.*?(?=^## |\Z)", text, re.M | re.S)
    assert found, f"{name} has no section '## {number} ·'"
    return found.group(0)


def said(pattern: str, text: str) -> tuple[str, ...]:
    """The groups of PATTERN in TEXT (whitespace in the text counts as one space)."""
    flat = re.sub(r"\s+", " ", text)
    found = re.search(pattern, flat)
    assert found, f"the text no longer says {pattern!r}: update this test with it"
    return found.groups()


def code_cell(name: str, contains: str) -> str:
    """The source of the one code cell of NAME that contains CONTAINS."""
    found = [c.source for c in cells(name) if c.cell_type == "code" and contains in c.source]
    assert len(found) == 1, f"{len(found)} code cells of {name} contain {contains!r}"
    return found[0]


def run_cell(source: str, namespace: dict) -> str:
    """Run a demonstration cell's code in NAMESPACE; return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<cell>", "exec"), namespace)
    return out.getvalue()


def exercises(name: str) -> dict[str, str]:
    """{exercise function: the heading of the section its solution cell is in}."""
    found, heading = {}, None
    for c in cells(name):
        if c.cell_type == "markdown":
            heads = re.findall(r"^## (\S+) ·", c.source, re.M)
            heading = heads[-1] if heads else heading
        elif c.metadata.get("nbgrader", {}).get("solution"):
            for node in ast.parse(c.source).body:
                if isinstance(node, ast.FunctionDef):
                    found[node.name] = heading
    return found


def points(name: str) -> dict[str, int]:
    """{exercise function: the points of the test cells that grade it}. A test cell
    `test_f` or `test_f_<what>` grades f (the longest exercise name that fits)."""
    names = sorted(exercises(name), key=len, reverse=True)
    total: dict[str, int] = {}
    for c in cells(name):
        meta = c.metadata.get("nbgrader", {})
        if meta.get("grade"):
            gid = meta["grade_id"]
            fn = next(f for f in names if gid == f"test_{f}" or gid.startswith(f"test_{f}_"))
            total[fn] = total.get(fn, 0) + int(meta["points"])
    return total


def points_table(name: str) -> dict[str, tuple[str, int]]:
    """The introduction's table `| § | you write | points |`: {function: (§, points)}.
    A row naming several functions gives their points as "1 + 2"."""
    rows = {}
    for section_no, written, pts in re.findall(r"^\| (\d+) \| (.+?) \| ([\d +]+) \|$", markdown(name), re.M):
        functions = re.findall(r"`(\w+)", written)
        values = [int(p) for p in pts.split("+")]
        assert len(functions) == len(values), f"table row {written!r} names {functions} but gives {pts!r}"
        rows.update({f: (section_no, v) for f, v in zip(functions, values)})
    return rows


def exercise_points(name: str) -> dict[str, int]:
    """Points as the exercises' own paragraphs state them: "**Exercise 2.1 (3 points).** Write
    `sigmoid(z)`" or "(1 + 2 points).** Write `mse` and `mse_grad`"."""
    stated = {}
    for pts, rest in re.findall(r"\*\*Exercise [\d.]+ \(([\d +]+) points?\)\.\*\*(.*?)(?:\n\n|\Z)",
                                markdown(name), re.S):
        functions = re.findall(r"`(\w+)", rest)
        values = [int(p) for p in pts.split("+")]
        stated.update(dict(zip(functions, values)))
    return stated


def assert_points_agree(name: str) -> None:
    """The introduction's table, each exercise's paragraph and the test cells give the same
    points, and the table names the section each exercise is in."""
    table, graded, where = points_table(name), points(name), exercises(name)
    assert set(table) == set(graded) == set(where)
    for fn, (section_no, pts) in table.items():
        assert pts == graded[fn], f"{fn}: the table says {pts} points, its test cells give {graded[fn]}"
        assert section_no == where[fn], f"{fn}: the table says § {section_no}, its cell is in § {where[fn]}"
    assert exercise_points(name) == graded


def printed_by_solutions(name: str) -> list[tuple[str, str]]:
    """Run solutions/NAME top to bottom (a fresh kernel); [(code of a cell, what it printed)]."""
    import nbformat
    from nbclient import NotebookClient
    path = ROOT / "solutions" / name / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return [(c.source, "".join(o.get("text", "") for o in c.outputs if o.output_type == "stream"))
            for c in nb.cells if c.cell_type == "code"]
