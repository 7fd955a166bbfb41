"""Build the course's notebooks: authoring/*.py -> source/ -> release/ and solutions/.

    python tools/build.py              # rebuild the assignments whose inputs changed
    python tools/build.py 01_forward_pass
    python tools/build.py --force      # rebuild them all
    python tools/build.py --check      # change nothing; exit 1 if a committed file is stale

Why two steps. Notebooks are written as jupytext percent notebooks in authoring/ (diffable,
valid Python, reviewable, and opened in JupyterLab as notebooks: right-click, Open With,
Jupytext Notebook); step 1 turns each into the nbgrader instructor notebook
source/NN_topic/NN_topic.ipynb, which is what nbgrader reads. Step 2 runs the real
`nbgrader generate_assignment` and `nbgrader generate_solution` (with this repo's
nbgrader_config.py) into release/ and solutions/. Nothing in source/, release/ or
solutions/ is edited by hand.

Earlier notebooks' functions. A notebook that builds on an earlier one imports its worked
functions from a module beside it (`from forward_pass import mlp_forward`); step 1 writes that
module, source/NN_topic/forward_pass.py, from grader/solutions/forward_pass.py with a header
for students (tools.registry.builds_on finds which modules a notebook imports), and nbgrader
releases it with the notebook. The installed `course` package holds no exercise's answer.

A cell's grading role is jupytext cell metadata on its `# %%` line (in JupyterLab: the
cell's metadata in the property inspector):

    # %% [markdown]                                     markdown
    # %%                                                ordinary code, students may edit it
    # %% kind="readonly" grade_id="setup"               locked (markdown cells too)
    # %% kind="solution" grade_id="sigmoid"             an answer: BEGIN/END SOLUTION inside
    # %% kind="test" grade_id="test_sigmoid" points=2   an autograded test cell

A test cell's hidden block (### BEGIN/END HIDDEN TESTS) must run isolated (see
grader.isolation.hidden_block); the build refuses one that cannot.

Incremental. source/build-stamps.json records, per assignment, a hash of everything its
output depends on (its authoring notebook, its grader module, nbgrader_config.py, this
build, the plugin, nbgrader's and jupytext's versions); only assignments whose hash changed
(or whose output is missing) are rebuilt. All nbgrader steps run in a temporary course
folder; only when every one succeeded are the new folders swapped in, so a failure leaves
the committed source/, release/ and solutions/ as they were.
"""
from __future__ import annotations

import argparse
import filecmp
import hashlib
import importlib
import importlib.metadata
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):        # run as `python tools/build.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.isolation import NotIsolable, hidden_block  # noqa: E402
from tools.registry import ROOT, SOLUTIONS, assignments, builds_on, notebook, origin, topic  # noqa: E402

# jupytext, nbformat and nbgrader are imported where they are used: importing them takes
# seconds, and a build with nothing to rebuild needs none of them.

AUTHORING = ROOT / "authoring"
TOPS = ("source", "release", "solutions")
STAMPS = "source/build-stamps.json"
KINDS = ("readonly", "solution", "test")
KEYS = {"kind", "grade_id", "points"}
LAYOUT = {"lines_to_next_cell"}     # jupytext's record of blank lines: not the notebook's content
# What every assignment's output depends on besides its own authoring notebook and grader module.
SHARED_INPUTS = ("nbgrader_config.py", "tools/build.py", "tools/registry.py", "grader/isolation.py",
                 "grader/nbgrader_plugin.py", "grader/pipeline.py")
VERSIONED = ("nbgrader", "jupytext", "nbformat", "nbconvert")
RAISES = "raises-exception"      # the cell tag JupyterLab's and nbclient's "run all" honour


class FormatError(ValueError):
    pass


def _header_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if line.startswith("# %%")]


def _nbgrader_metadata(meta: dict, where: str, cell_type: str) -> dict:
    """nbgrader's cell metadata for our compact kind/grade_id/points."""
    from nbgrader.nbgraderformat import SCHEMA_VERSION
    unknown = set(meta) - KEYS - LAYOUT
    if unknown:
        raise FormatError(f"{where}: unknown cell metadata {sorted(unknown)} "
                          f"(a cell's header takes kind=, grade_id= and points=)")
    kind = meta["kind"]
    if kind not in KINDS:
        raise FormatError(f"{where}: kind={kind!r} is not one of {', '.join(KINDS)}")
    if not isinstance(meta.get("grade_id"), str) or not meta["grade_id"]:
        raise FormatError(f'{where}: a {kind} cell needs grade_id="..."')
    if kind == "test" and not isinstance(meta.get("points"), (int, float)):
        raise FormatError(f"{where}: a test cell needs points=N")
    if kind != "test" and "points" in meta:
        raise FormatError(f"{where}: only test cells carry points")
    if kind in ("solution", "test") and cell_type != "code":
        raise FormatError(f"{where}: {kind} cells are code cells")
    nbgrader = {"grade": kind == "test", "grade_id": meta["grade_id"], "locked": kind != "solution",
                "schema_version": SCHEMA_VERSION, "solution": kind == "solution", "task": False}
    if kind == "test":
        nbgrader["points"] = meta["points"]
    return nbgrader


def _check_hidden_tests(source: str, where: str) -> None:
    """A test cell's hidden block must run isolated, and call checks its grader module has."""
    try:
        block = hidden_block(source)
    except NotIsolable as why:
        raise FormatError(f"{where}: its hidden tests cannot run isolated: {why}") from None
    if block is None:
        return
    try:
        module = importlib.import_module(f"grader.{block.topic}")
    except ImportError as exc:
        raise FormatError(f"{where}: the hidden block imports grader.{block.topic}, which does not load: {exc}") \
            from None
    for call in block.calls:
        name = call.split("(", 1)[0].removeprefix("hidden.")
        if not callable(getattr(module, name, None)):
            raise FormatError(f"{where}: the hidden block calls {name}, which grader/{block.topic}.py does not define")


def parse(path: Path):
    """The instructor notebook (an nbformat NotebookNode) that authoring notebook `path` describes."""
    import jupytext
    import nbformat
    text = path.read_text(encoding="utf-8")
    read = jupytext.reads(text, fmt="py:percent")
    headers = _header_lines(text)
    if len(headers) != len(read.cells):
        raise FormatError(f"{path.name}:1 (cell 1): code before the first '# %%' cell")
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    seen: set[str] = set()
    for index, (line, cell) in enumerate(zip(headers, read.cells)):
        where = f"{path.name}:{line} (cell {index + 1})"
        new = nbformat.v4.new_markdown_cell if cell.cell_type == "markdown" else nbformat.v4.new_code_cell
        out = new(cell.source)
        if set(cell.metadata) - LAYOUT:
            meta = _nbgrader_metadata(dict(cell.metadata), where, cell.cell_type)
            if meta["grade_id"] in seen:
                raise FormatError(f"{where}: duplicate grade_id {meta['grade_id']!r}")
            seen.add(meta["grade_id"])
            out.metadata["nbgrader"] = meta
            out.id = meta["grade_id"].replace("_", "-")
            if meta["solution"] and "### BEGIN SOLUTION" not in out.source:
                raise FormatError(f"{where}: a solution cell needs ### BEGIN SOLUTION / ### END SOLUTION")
            if meta["grade"]:
                _check_hidden_tests(out.source, f"{where} test cell {meta['grade_id']!r}")
                # A test fails (raises) until its exercise is done; "Run All" in JupyterLab and
                # nbclient go on past a cell with this tag, so one unfinished exercise does not
                # stop the rest of the notebook. Grading still scores the failure: it runs
                # every cell whatever the tags, and reads the error output.
                out.metadata["tags"] = [RAISES]
        else:
            out.id = f"cell-{index:03d}"
        nb.cells.append(out)
    nbformat.validate(nb)
    return nb


def _notebooks(names: tuple[str, ...]) -> str:
    numbers = [f"{n[:2]} ({n})" for n in names]
    return numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " and " + numbers[-1]


def beside_module(module: str) -> str:
    """The text of the module placed beside a later notebook: grader/solutions/<module>.py,
    its imports of its sibling modules made plain (`from .x import` -> `from x import`), after
    a header that tells a student what it is."""
    import re
    import textwrap
    from_ = origin(module)
    what = (f"the functions of notebook {_notebooks(from_)}" if from_ and topic(from_[0]) == module
            else f"built from the functions of notebook{'s' if len(from_) > 1 else ''} {_notebooks(from_)}")
    header = (f"{module}.py: {what}, the worked versions of exercises you already did there. "
              f"This notebook builds on them (`from {module} import ...`). "
              "Generated by tools/build.py from the course's worked solutions: do not edit.")
    header = "".join(f"# {line}\n" for line in textwrap.wrap(header, 92))
    body = (ROOT / SOLUTIONS / f"{module}.py").read_text(encoding="utf-8")
    return header + re.sub(r"^from \.(\w+) import", r"from \1 import", body, flags=re.M)


def write_source(name: str, root: Path = ROOT) -> Path:
    """source/<name>/<name>.ipynb, and beside it the modules of earlier notebooks it imports."""
    import nbformat
    out = notebook("source", name, root)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(parse(AUTHORING / f"{name}.py"), str(out))
    for module in builds_on(name):
        (out.parent / f"{module}.py").write_text(beside_module(module), encoding="utf-8")
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


def inputs_hash(name: str, versions: dict[str, str] | None = None) -> str:
    """A hash of everything the build's output for assignment `name` depends on: its files and
    the versions of the VERSIONED tools (`versions`, default: those installed)."""
    if versions is None:
        versions = {package: importlib.metadata.version(package) for package in VERSIONED}
    digest = hashlib.sha256()
    beside = [f"{SOLUTIONS}/{module}.py" for module in builds_on(name)]
    for rel in (f"authoring/{name}.py", f"grader/{topic(name)}.py", *beside, *SHARED_INPUTS):
        path = ROOT / rel
        digest.update(f"{rel}\0".encode() + (path.read_bytes() if path.exists() else b"(none)") + b"\0")
    for package in VERSIONED:
        digest.update(f"{package}=={versions[package]}\0".encode())
    return digest.hexdigest()


def _read_stamps(root: Path) -> dict[str, str]:
    path = root / STAMPS
    return json.loads(path.read_text()) if path.exists() else {}


def _write_stamps(root: Path, stamps: dict[str, str]) -> None:
    (root / STAMPS).write_text(json.dumps(dict(sorted(stamps.items())), indent=1) + "\n")


def changed(names: list[str]) -> list[str]:
    """The assignments among `names` whose inputs differ from their last build, or whose output is missing."""
    stamps = _read_stamps(ROOT)
    return [n for n in names if stamps.get(n) != inputs_hash(n)
            or not all(notebook(top, n).exists() for top in TOPS)]


def _course_copy(tmp: Path) -> Path:
    """A course folder in `tmp` with this repo's config (whose plugin needs `course` and `grader`)."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp)
    for package in ("course", "grader"):
        (tmp / package).symlink_to(ROOT / package)
    return tmp


def _build_into(names: list[str], root: Path) -> None:
    """source/, release/ and solutions/ for `names` under the course folder `root`, with a
    throwaway gradebook: building never touches an instructor's gradebook.db."""
    db = root / "build-gradebook.db"
    for name in names:
        write_source(name, root)
        _nbgrader(root, db, "generate_assignment", name)
        _nbgrader(root, db, "generate_solution", name)
    _write_stamps(root, {**_read_stamps(ROOT), **{n: inputs_hash(n) for n in names}})


def _swap_in(built: Path, names: list[str]) -> None:
    """Put each freshly built <top>/<name> folder in place of the committed one. A copy is
    made beside it first, so the committed folder is gone only for the two renames."""
    for top in TOPS:
        for name in names:
            target = ROOT / top / name
            new, old = target.with_name(f".{name}.new"), target.with_name(f".{name}.old")
            for leftover in (new, old):
                shutil.rmtree(leftover, ignore_errors=True)
            shutil.copytree(built / top / name, new)
            if target.exists():
                target.rename(old)
            new.rename(target)
            shutil.rmtree(old, ignore_errors=True)
    shutil.copy(built / STAMPS, ROOT / STAMPS)


def build(names: list[str]) -> None:
    """Rebuild `names` in a temporary course folder, then swap the results in (all or nothing)."""
    with tempfile.TemporaryDirectory(prefix="bpl-build-") as tmp:
        built = _course_copy(Path(tmp))
        _build_into(names, built)
        _swap_in(built, names)


def stale(names: list[str]) -> list[str]:
    """Committed files under source/, release/, solutions/ that a fresh build would change."""
    with tempfile.TemporaryDirectory(prefix="bpl-build-") as tmp:
        tmp_root = _course_copy(Path(tmp))
        _build_into(names, tmp_root)
        problems = []
        if _read_stamps(tmp_root) != _read_stamps(ROOT):
            problems.append(f"{STAMPS} (inputs changed since the last build)")
        for top in TOPS:
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
                                and not {".ipynb_checkpoints", "__pycache__"} & set(f.parts):   # editor and
                            # Python caches (running 03-05 in place compiles the modules beside them)
                            problems.append(f"{f.relative_to(ROOT)} (not built any more)")
        return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="assignments (default: all)")
    parser.add_argument("--check", action="store_true", help="report stale files, change nothing")
    parser.add_argument("--force", action="store_true", help="rebuild even if no input changed")
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
    todo = names if args.force else changed(names)
    for name in sorted(set(names) - set(todo)):
        print(f"unchanged {name} (--force rebuilds it)")
    try:
        if todo:
            build(todo)
    except (FormatError, RuntimeError) as exc:
        print(f"build failed, nothing changed: {exc}", file=sys.stderr)
        return 1
    for name in todo:
        print(f"built {name}: source/, release/, solutions/")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
