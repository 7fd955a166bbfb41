"""The feedback audit: grade the course's own plausible wrong answers through the real
`nbgrader autograde` and check that each loses points and that the feedback names it.

    python tools/feedback_audit.py            # grades, writes docs/FEEDBACK_AUDIT.md, prints the summary
    python tools/feedback_audit.py --check    # grades, fails if the committed table differs
    python tools/feedback_audit.py --catalog-off   # only the general analysis: prints what it localised

Each wrong answer is graded twice: as students see it, and with the catalog of named
mistakes switched off (COURSE_FEEDBACK_CATALOG=off: no exercise-specific or generic
variant is named, only course.diagnose's general analysis speaks). The second pass is the
figure that predicts mistakes nobody catalogued. *Localised* there means the test cell's
feedback carries a line of the general analysis (`Found: ...`): a relation between the
numbers that holds on every entry (or on every entry but the ones it names), a condition
that marks where it is wrong, the slip of a parameter or the property of the inputs that
reproduces it (an ignored argument, integer inputs, a batch of one, square shapes), or what
a training run did. "Wrong values" with numbers alone, or a structural message (wrong shape,
not a tuple), does not count.

The wrong answers are in tools/wrong_answers.py (edits of the worked solutions). Several
wrong answers share one submission when their answer cells do not call each other, so the
audit needs a handful of students per assignment. Exit status 1 if any wrong answer keeps
its points or fewer than 90% are named.
"""
from __future__ import annotations

import argparse
import copy
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course.diagnose import CATALOG_ENV, FOUND  # noqa: E402
from course.mistakes import CATALOG  # noqa: E402
from tools.wrong_answers import CALLS, WRONG_ANSWERS, Wrong  # noqa: E402
from tools.build import nbgrader_env  # noqa: E402

DOC = ROOT / "docs" / "FEEDBACK_AUDIT.md"
NAMED_SHARE = 0.9


@dataclass
class Row:
    assignment: str
    wrong: Wrong
    caught: bool
    named: bool
    said: str           # the first line of the feedback, when it does not name the mistake
    localised: bool = False   # a line of the general analysis (course.diagnose) is in the feedback


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def students(assignment: str) -> list[dict[str, Wrong]]:
    """Wrong answers packed into submissions: one per answer cell, none in two cells that call each other."""
    calls = CALLS.get(assignment, {})

    def related(a, b):
        return a == b or b in calls.get(a, ()) or a in calls.get(b, ())

    packed: list[dict[str, Wrong]] = []
    for wrong in WRONG_ANSWERS[assignment]:
        for student in packed:
            if not any(related(wrong.cell, other) for other in student):
                student[wrong.cell] = wrong
                break
        else:
            packed.append({wrong.cell: wrong})
    return packed


def _edit(text: str, wrong: Wrong, gid: str) -> str:
    """Apply a wrong answer's edit inside the cell's solution regions only (never a docstring)."""
    parts = re.split(r"(### BEGIN SOLUTION|### END SOLUTION)", text)
    inside = [i for i in range(1, len(parts)) if parts[i - 1] == "### BEGIN SOLUTION"]
    hits = [i for i in inside if wrong.old in parts[i]]
    if len(hits) != 1 or parts[hits[0]].count(wrong.old) != 1:
        raise ValueError(f"{gid}: the edit for {wrong.mistake} must match one solution region exactly once")
    parts[hits[0]] = parts[hits[0]].replace(wrong.old, wrong.new)
    return "".join(parts)


def submission(source: nbformat.NotebookNode, release: nbformat.NotebookNode, edits: dict[str, Wrong]):
    """The release notebook with every answer cell solved, then the given wrong edits applied."""
    solved = {_meta(c)["grade_id"]: c.source for c in source.cells if _meta(c).get("solution")}
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        gid = _meta(cell).get("grade_id")
        if gid in solved:
            text = solved[gid]
            if gid in edits:
                text = _edit(text, edits[gid], gid)
            cell.source = text
    return nb


def grade(assignment: str, workdir: Path, catalog: bool = True) -> list[Row]:
    root = workdir / ("catalog" if catalog else "catalog-off") / assignment
    root.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "source" / assignment, root / "source" / assignment)
    for package in ("course", "grader"):
        (root / package).symlink_to(ROOT / package)
    source = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    release = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    packed = students(assignment)
    for k, edits in enumerate(packed):
        folder = root / "submitted" / f"student{k:02d}" / assignment
        folder.mkdir(parents=True)
        nbformat.write(submission(source, release, edits), str(folder / f"{assignment}.ipynb"))
    env = nbgrader_env()
    env.pop("PYTHONPATH", None)
    env[CATALOG_ENV] = "on" if catalog else "off"
    for command in ("generate_assignment", "autograde"):
        done = subprocess.run([sys.executable, "-m", "nbgrader", command, assignment, "--force"], cwd=root,
                              env=env, capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            raise RuntimeError(f"nbgrader {command} {assignment} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    rows = []
    for k, edits in enumerate(packed):
        graded = nbformat.read(root / "autograded" / f"student{k:02d}" / assignment / f"{assignment}.ipynb",
                               as_version=4)
        cells = {_meta(c).get("grade_id"): c for c in graded.cells}
        for wrong in edits.values():
            cell = cells[wrong.test]
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            text = "\n".join(f"{o.get('ename')}: {o.get('evalue')}" for o in errors)
            named = f"Likely mistake: {CATALOG[wrong.mistake].title}." in text
            first = text.splitlines()[0] if text else "(no error)"
            localised = any(line.strip().startswith(FOUND) for line in text.splitlines())
            rows.append(Row(assignment, wrong, caught=bool(errors), named=named, said="" if named else first[:140],
                            localised=localised))
    return rows


def audit(assignments: list[str] | None = None, catalog: bool = True) -> list[Row]:
    names = assignments or list(WRONG_ANSWERS)
    with tempfile.TemporaryDirectory(prefix="bpl-audit-") as tmp, ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda a: grade(a, Path(tmp), catalog), names))
    return [row for rows in results for row in rows]


def general_figure(off: list[Row]) -> str:
    """The catalog-off figure: how many wrong answers the general analysis alone localised."""
    localised = sum(r.caught and r.localised for r in off)
    caught = sum(r.caught for r in off)
    return (f"with the catalog switched off, {caught} of {len(off)} caught and {localised} "
            f"({localised / max(len(off), 1):.0%}) localised by the general analysis alone")


def table(rows: list[Row], off: list[Row] | None = None) -> str:
    caught = sum(r.caught for r in rows)
    named = sum(r.named for r in rows)
    lines = [
        "# Feedback audit",
        "",
        "Generated by `python tools/feedback_audit.py`: every wrong answer in `tools/wrong_answers.py`",
        "(edits of the worked solutions, drawn from the catalog in docs/SPEC.md and from what students get",
        "wrong) is graded by the real `nbgrader autograde` with this repository's configuration.",
        "*Caught*: its test cell lost its points. *Named*: that cell's feedback says",
        "`Likely mistake: <the mistake's title>` (course/mistakes.py).",
        "",
        f"**{len(rows)} wrong answers: {caught} caught ({caught / len(rows):.0%}), "
        f"{named} named ({named / len(rows):.0%}).** Bars: all caught, at least {NAMED_SHARE:.0%} named.",
        "",
    ]
    alone = {(r.assignment, r.wrong): r for r in off or []}
    if off is not None:
        lines += [
            f"**General analysis alone: {general_figure(off)}.** The same wrong answers graded with the",
            "catalog switched off (`--catalog-off`, COURSE_FEEDBACK_CATALOG=off): no mistake is named, and a",
            "wrong answer counts as *localised* when its feedback has a line of course.diagnose's analysis",
            "(`Found: ...`: a relation that holds on every entry or every entry but those named, where it is",
            "wrong, the parameter slip or input property that reproduces it, what a training run did). This is",
            "the figure that predicts mistakes nobody catalogued.",
            "",
        ]
    for assignment in dict.fromkeys(r.assignment for r in rows):
        extra = " localised alone |" if off is not None else ""
        lines += [f"## {assignment}", "", f"| exercise (test cell) | mistake | caught | named | feedback said |{extra}",
                  "|---|---|---|---|---|" + ("---|" if off is not None else "")]
        order = {w: i for i, w in enumerate(WRONG_ANSWERS.get(assignment, []))}
        for r in sorted((r for r in rows if r.assignment == assignment), key=lambda r: order.get(r.wrong, 0)):
            said = r.said.replace("|", "\\|")
            title = CATALOG[r.wrong.mistake].title.replace("|", "\\|")
            lines.append(f"| {r.wrong.test} | {title} (`{r.wrong.mistake}`) | "
                         f"{'yes' if r.caught else '**no**'} | {'yes' if r.named else '**no**'} | {said} |"
                         + (f" {_alone(alone.get((r.assignment, r.wrong)))} |" if off is not None else ""))
        lines.append("")
    return "\n".join(lines)


def _alone(row: Row | None) -> str:
    if row is None:
        return "?"
    return "yes" if row.caught and row.localised else ("no" if row.caught else "**not caught**")


def verdict(rows: list[Row]) -> tuple[bool, str]:
    caught = sum(r.caught for r in rows)
    named = sum(r.named for r in rows)
    ok = caught == len(rows) and named >= NAMED_SHARE * len(rows)
    return ok, f"{len(rows)} wrong answers: {caught} caught, {named} named ({named / len(rows):.1%})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/FEEDBACK_AUDIT.md is stale")
    parser.add_argument("--catalog-off", action="store_true",
                        help="grade with the catalog switched off only and print what the general analysis localised "
                             "(writes nothing)")
    parser.add_argument("assignments", nargs="*")
    args = parser.parse_args(argv)
    off = audit(args.assignments or None, catalog=False)
    print(f"{len(off)} wrong answers: {general_figure(off)}")
    if args.catalog_off:
        for r in off:
            if not (r.caught and r.localised):
                print(f"  {r.assignment} {r.wrong.test} {r.wrong.mistake}: caught={r.caught} not localised; said: {r.said}")
        return 0 if all(r.caught for r in off) else 1
    rows = audit(args.assignments or None)
    text = table(rows, off) + "\n"
    ok, summary = verdict(rows)
    print(summary)
    for r in rows:
        if not (r.caught and r.named):
            print(f"  {r.assignment} {r.wrong.test} {r.wrong.mistake}: caught={r.caught} named={r.named} said: {r.said}")
    if args.check:
        fresh = DOC.exists() and DOC.read_text() == text
        print("docs/FEEDBACK_AUDIT.md is up to date" if fresh else "docs/FEEDBACK_AUDIT.md is stale: run the audit")
        return 0 if ok and fresh else 1
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
