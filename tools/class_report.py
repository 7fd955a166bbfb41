"""The class misconception report: what a graded class got wrong, exercise by exercise.

    python tools/grade_class.py report ASSIGNMENT [--names] [--root COURSE] [--top N]

Writes reports/ASSIGNMENT.md and reports/ASSIGNMENT.png in the course folder. For each graded
exercise (each test cell with points): the mean score, the share of students who lost its
points, and the share with each mistake the grading named, most common first, then the
students who lost points with no mistake named. The picture: the most common mistakes across
the assignment. Scores come from the gradebook; mistakes from the verdicts the hidden checks
left in each autograded notebook (metadata["backprop_lab"]["hidden_checks"], grader/nbgrader_plugin.py),
never from feedback text. No student's name is in the picture; the markdown gives counts,
and names only with --names.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from course.mistakes import CATALOG  # noqa: E402

# the verdicts that are not mistakes of the catalog (grader/isolation.py), in words
OUTCOMES = {
    "not_defined": "the function was not defined (exercise not done)",
    "check_timeout": "the hidden test ran out of time",
    "process_ended": "the student's code ended its own process",
    "check_error": "the hidden test could not run the answer",
    "grading_time_used_up": "the time for all hidden tests was used up",
}
UNNAMED = "lost points, no mistake named"


def title(key: str) -> str:
    return CATALOG[key].title if key in CATALOG else OUTCOMES.get(key, key)


@dataclass
class Exercise:
    notebook: str
    grade_id: str
    max_score: float
    scores: dict[str, float] = field(default_factory=dict)          # student -> score
    mistakes: dict[str, str | None] = field(default_factory=dict)   # student -> mistake key of a failed hidden check


def collect(root: Path, assignment: str) -> tuple[list[str], list[Exercise], list[str]]:
    """The graded students of the gradebook, each grade cell's scores and named mistakes, and the
    students who submitted but have no score yet (their grading failed: see grade_class's summary)."""
    import nbformat
    from nbgrader.api import Gradebook

    from tools.grade_class import Course

    course = Course(root, assignment)
    exercises: dict[tuple[str, str], Exercise] = {}
    students: list[str] = []
    ungraded: list[str] = []
    with Gradebook(course.db_url, course.course_id) as gb:
        for notebook in gb.find_assignment(assignment).notebooks:
            folder = Path(course.coursedir.format_path(course.coursedir.source_directory, ".", assignment))
            source = nbformat.read(folder / f"{notebook.name}.ipynb", as_version=4)
            order = [c.metadata.get("nbgrader", {}).get("grade_id") for c in source.cells]
            for cell in sorted(notebook.grade_cells, key=lambda c: order.index(c.name) if c.name in order else 1e9):
                exercises[notebook.name, cell.name] = Exercise(notebook.name, cell.name, cell.max_score)
        for submission in gb.assignment_submissions(assignment):
            if all(g.auto_score is None and g.manual_score is None for nb in submission.notebooks for g in nb.grades):
                ungraded.append(submission.student_id)
                continue
            students.append(submission.student_id)
            for nb in submission.notebooks:
                for grade in nb.grades:
                    exercises[nb.name, grade.name].scores[submission.student_id] = grade.score
                path = course.folder("autograded", submission.student_id) / f"{nb.name}.ipynb"
                verdicts = {}
                if path.exists():
                    graded = nbformat.read(path, as_version=4)
                    verdicts = graded.metadata.get("backprop_lab", {}).get("hidden_checks", {})
                for gid, verdict in verdicts.items():
                    if (nb.name, gid) in exercises and not verdict.get("passed", True):
                        exercises[nb.name, gid].mistakes[submission.student_id] = verdict.get("mistake")
    return sorted(students), list(exercises.values()), sorted(ungraded)


@dataclass
class Row:
    exercise: Exercise
    mean: float
    lost: list[str]                         # students who lost any of its points
    named: list[tuple[str, list[str]]]      # (mistake key, students), most common first
    unnamed: list[str]                      # lost points, no mistake named


def summarise(students: list[str], exercises: list[Exercise]) -> list[Row]:
    rows = []
    for ex in exercises:
        scores = [ex.scores.get(s, 0.0) for s in students]
        lost = [s for s in students if ex.scores.get(s, 0.0) < ex.max_score]
        by_key: dict[str, list[str]] = defaultdict(list)
        for s in students:
            key = ex.mistakes.get(s)
            if key is not None:
                by_key[key].append(s)
        named = sorted(by_key.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        unnamed = [s for s in lost if ex.mistakes.get(s) is None]
        rows.append(Row(ex, sum(scores) / len(scores) if scores else 0.0, lost, named, unnamed))
    return rows


def _pct(k: int, n: int) -> str:
    return f"{100 * k / n:.0f} %" if n else "–"


def markdown(assignment: str, students: list[str], rows: list[Row], names: bool, picture: str | None,
             ungraded: list[str] = ()) -> str:
    n = len(students)
    lines = [f"# {assignment}: what the class got wrong", "",
             f"{n} graded students. For each exercise: the mean score, the share of students who lost points, "
             "and the share with each mistake the grading named (a student can have one named mistake per "
             "exercise; the last line counts those who lost points with no mistake named).", ""]
    if ungraded:
        lines += [f"{len(ungraded)} more submitted but have no score (their grading failed)"
                  + (f": {', '.join(ungraded)}." if names else "."), ""]
    if picture:
        lines += [f"![the most common mistakes]({picture})", ""]
    for row in rows:
        ex = row.exercise
        lines += [f"## {ex.grade_id} ({ex.notebook})", "",
                  f"Mean score {row.mean:.2f} / {ex.max_score:g}; lost points: {len(row.lost)} of {n} "
                  f"({_pct(len(row.lost), n)}).", ""]
        if not row.named and not row.unnamed:
            lines += ["No mistakes.", ""]
            continue
        lines += ["| mistake | students | share |" + (" who |" if names else ""),
                  "| --- | ---: | ---: |" + (" --- |" if names else "")]
        for key, who in row.named + ([(UNNAMED, row.unnamed)] if row.unnamed else []):
            label = UNNAMED if key == UNNAMED else f"{title(key)} (`{key}`)".replace("|", "\\|")
            lines.append(f"| {label} | {len(who)} | {_pct(len(who), n)} |" + (f" {', '.join(who)} |" if names else ""))
        lines.append("")
    return "\n".join(lines)


def top_mistakes(rows: list[Row], top: int) -> list[tuple[str, int]]:
    counts = Counter()
    for row in rows:
        for key, who in row.named:
            counts[f"{title(key)} ({row.exercise.grade_id})"] += len(who)
    return counts.most_common(top)


def chart(assignment: str, n: int, rows: list[Row], path: Path, top: int) -> bool:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    found = top_mistakes(rows, top)
    if not found:
        return False
    labels = [label for label, _ in found][::-1]
    shares = [100 * k / n for _, k in found][::-1]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(found) + 1.4))
    ax.barh(labels, shares, color="#c0504d")
    for y, share in enumerate(shares):
        ax.text(share + 0.5, y, f"{share:.0f} %", va="center", fontsize=9)
    ax.set_xlabel("share of students")
    ax.set_xlim(0, min(100, max(shares) * 1.2 + 5))
    fig.suptitle(f"{assignment}: the most common mistakes ({n} students)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(root: Path, assignment: str, names: bool = False, top: int = 10) -> Path:
    students, exercises, ungraded = collect(root, assignment)
    rows = summarise(students, exercises)
    out = root / "reports"
    out.mkdir(exist_ok=True)
    picture = out / f"{assignment}.png"
    drawn = chart(assignment, len(students), rows, picture, top) if students else False
    if not drawn and picture.exists():
        picture.unlink()
    page = out / f"{assignment}.md"
    page.write_text(markdown(assignment, students, rows, names, picture.name if drawn else None, ungraded))
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="grade_class.py report", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--names", action="store_true", help="list the students of each mistake in the markdown")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course folder (default: here)")
    parser.add_argument("--top", type=int, default=10, help="mistakes in the picture")
    args = parser.parse_args(argv)
    print(write(args.root.resolve(), args.assignment, args.names, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
