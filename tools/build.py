"""Build the course's notebooks: authoring/*.py -> source/ -> release/ and solutions/.

    python tools/build.py              # rebuild everything
    python tools/build.py 01_forward_pass
    python tools/build.py --check      # change nothing; exit 1 if a committed file is stale

Why two steps. Notebooks are written as percent scripts in authoring/ (diffable, valid
Python, reviewable); step 1 turns each into the nbgrader instructor notebook
source/NN_topic/NN_topic.ipynb, which is what nbgrader reads. Step 2 runs the real
`nbgrader generate_assignment` and `nbgrader generate_solution` (with this repo's
nbgrader_config.py) into release/ and solutions/. Nothing in source/, release/ or
solutions/ is edited by hand.

The percent format: a line starting with `# %%` opens a cell; its words say what kind.

    # %% [markdown]                       markdown (its lines are written as `# ...`)
    # %%                                  ordinary code, students may edit it
    # %% readonly id=setup                locked code (or `# %% [markdown] readonly id=...`)
    # %% solution id=sigmoid              an answer cell: BEGIN/END SOLUTION inside
    # %% test id=test_sigmoid points=2    an autograded test cell (locked, worth points)
"""
from __future__ import annotations

import argparse
import filecmp
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
AUTHORING = ROOT / "authoring"
KINDS = {"readonly", "solution", "test"}
CELL_HEADER = re.compile(r"^# %%(?P<rest>.*)$")


class FormatError(ValueError):
    pass


def assignments() -> list[str]:
    """Assignment names, in course order, from authoring/NN_topic.py."""
    return sorted(p.stem for p in AUTHORING.glob("[0-9][0-9]_*.py"))


def _parse_header(rest: str, where: str) -> tuple[str, str | None, dict]:
    words = rest.split()
    cell_type = "code"
    if words and words[0] == "[markdown]":
        cell_type, words = "markdown", words[1:]
    kind = None
    opts: dict[str, str] = {}
    for word in words:
        if "=" in word:
            key, value = word.split("=", 1)
            opts[key] = value
        elif word in KINDS and kind is None:
            kind = word
        else:
            raise FormatError(f"{where}: unknown word {word!r} in cell header")
    if kind and "id" not in opts:
        raise FormatError(f"{where}: a {kind} cell needs id=...")
    if kind == "test" and "points" not in opts:
        raise FormatError(f"{where}: a test cell needs points=...")
    if kind in ("solution", "test") and cell_type != "code":
        raise FormatError(f"{where}: {kind} cells are code cells")
    return cell_type, kind, opts


def _nbgrader_metadata(kind: str, opts: dict) -> dict:
    meta = {"grade": kind == "test", "grade_id": opts["id"], "locked": kind != "solution",
            "schema_version": 3, "solution": kind == "solution", "task": False}
    if kind == "test":
        meta["points"] = float(opts["points"]) if "." in opts["points"] else int(opts["points"])
    return meta


def _markdown_source(lines: list[str], where: str) -> str:
    out = []
    for line in lines:
        if line in ("#", ""):
            out.append("")
        elif line.startswith("# "):
            out.append(line[2:])
        else:
            raise FormatError(f"{where}: markdown lines start with '# ', got {line[:40]!r}")
    return "\n".join(out).strip("\n")


def parse(path: Path) -> nbformat.NotebookNode:
    """The instructor notebook that authoring file `path` describes."""
    text = path.read_text(encoding="utf-8")
    cells: list[tuple[int, str, list[str]]] = []
    for number, line in enumerate(text.splitlines(), 1):
        m = CELL_HEADER.match(line)
        if m:
            cells.append((number, m.group("rest"), []))
        elif cells:
            cells[-1][2].append(line)
        elif line.strip() and not line.startswith("#"):
            raise FormatError(f"{path.name}:{number}: code before the first '# %%' cell")
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    seen: set[str] = set()
    for index, (number, rest, lines) in enumerate(cells):
        where = f"{path.name}:{number}"
        cell_type, kind, opts = _parse_header(rest, where)
        if cell_type == "markdown":
            cell = nbformat.v4.new_markdown_cell(_markdown_source(lines, where))
        else:
            cell = nbformat.v4.new_code_cell("\n".join(lines).strip("\n"))
        if kind:
            if opts["id"] in seen:
                raise FormatError(f"{where}: duplicate id {opts['id']!r}")
            seen.add(opts["id"])
            cell.metadata["nbgrader"] = _nbgrader_metadata(kind, opts)
            cell.id = opts["id"].replace("_", "-")
        else:
            cell.id = f"cell-{index:03d}"
        if kind == "solution" and "### BEGIN SOLUTION" not in cell.source:
            raise FormatError(f"{where}: a solution cell needs ### BEGIN SOLUTION / ### END SOLUTION")
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def write_source(name: str, root: Path = ROOT) -> Path:
    nb = parse(AUTHORING / f"{name}.py")
    out = root / "source" / name / f"{name}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(out))
    return out


def nbgrader_env() -> dict[str, str]:
    """This environment with the running Python's bin folder first on PATH: nbgrader
    calls the `alembic` command, which lives beside the interpreter in a venv."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _nbgrader(root: Path, db: Path, *args: str) -> None:
    cmd = [sys.executable, "-m", "nbgrader", *args, "--force",
           f"--CourseDirectory.root={root}", f"--CourseDirectory.db_url=sqlite:///{db}"]
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=nbgrader_env())
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")


def build(names: list[str], root: Path = ROOT) -> None:
    """Write source/, release/ and solutions/ for `names` under `root`.

    nbgrader records each assignment in a gradebook; the build uses a throwaway one,
    so building never touches an instructor's gradebook.db.
    """
    with tempfile.TemporaryDirectory(prefix="bpl-build-db-") as tmp:
        db = Path(tmp) / "gradebook.db"
        for name in names:
            write_source(name, root)
            _nbgrader(root, db, "generate_assignment", name)
            _nbgrader(root, db, "generate_solution", name)


def stale(names: list[str]) -> list[str]:
    """Committed files under source/, release/, solutions/ that a fresh build would change."""
    with tempfile.TemporaryDirectory(prefix="bpl-build-") as tmp:
        tmp_root = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", tmp_root)
        for package in ("course", "grader"):             # the config imports grader's preprocessors
            (tmp_root / package).symlink_to(ROOT / package)
        build(names, tmp_root)
        problems = []
        for top in ("source", "release", "solutions"):
            for name in names:
                fresh, committed = tmp_root / top / name, ROOT / top / name
                for f in sorted(fresh.rglob("*")):
                    rel = f.relative_to(tmp_root)
                    mine = ROOT / rel
                    if f.is_file() and (not mine.exists() or not filecmp.cmp(f, mine, shallow=False)):
                        problems.append(str(rel))
                if committed.exists():
                    for f in sorted(committed.rglob("*")):
                        if f.is_file() and not (tmp_root / f.relative_to(ROOT)).exists() \
                                and ".ipynb_checkpoints" not in f.parts:
                            problems.append(f"{f.relative_to(ROOT)} (not built any more)")
        return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="assignments (default: all)")
    parser.add_argument("--check", action="store_true", help="report stale files, change nothing")
    args = parser.parse_args(argv)
    names = args.names or assignments()
    unknown = sorted(set(names) - set(assignments()))
    if unknown:
        parser.error(f"no authoring file for {', '.join(unknown)} (have: {', '.join(assignments())})")
    if args.check:
        problems = stale(names)
        for p in problems:
            print(f"stale: {p}")
        print("up to date" if not problems else f"{len(problems)} stale file(s): run python tools/build.py")
        return 1 if problems else 0
    build(names)
    for name in names:
        print(f"built {name}: source/, release/, solutions/")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
