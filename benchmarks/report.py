"""BENCHMARKS.md, written from benchmarks/results.json by `python benchmarks/run.py --write-md`."""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import ASSIGNMENTS  # noqa: E402

WHAT = """\
## What each figure measures

All figures are medians over the runs of one `python benchmarks/run.py` (default 3); a
ratio is taken within each run (both sides under the same load), then its median. The
machine may be busy with other work: the load average at start and end is shown above.

* **Notebooks end to end.** Each solved instructor notebook (`source/NN_topic/NN_topic.ipynb`,
  hidden tests included) run by nbclient in a fresh `python3` kernel, cwd = its folder,
  this checkout on `PYTHONPATH`, `NBGRADER_EXECUTION` unset (so every widget is built).
  The figure runs from asking for a kernel to the last cell's output: kernel start-up is
  included, and also shown apart. Bar: 10 s each, 30 s for 05.
* **Widget update, kernel side.** Each widget built with the reference functions of
  `grader` (what a correct student's code computes), in one Python process, its canvas in
  the state it has once a browser shows it (ipympl stops keeping a full PNG for the saved
  notebook). For every control, a drag of 12 moves (after 2 warm-up moves): the time from
  setting the control's value to the new picture sent: a widget's callback updates its
  artists and ends by sending the frame (`course.canvas.LivePicture.show`: the changing
  artists blitted on a kept background, then the PNG frame, whole, see
  `course.canvas.frames_stand_alone`). *callback + draw* is what the kernel spends per new
  picture, *callback alone* the same less the picture (timed apart). Moves follow each
  other at once, as in a drag. Median and p95 pool every move of every slider of the widget. The bar (30 ms)
  is judged on callback + draw (wall clock). *CPU time* is the same span's CPU time of
  the measuring thread: on a busy machine the wall clock includes waiting for a core,
  the CPU time much less so. The XOR trainer's sliders only invalidate the last run;
  its Train button (ten growing runs of `train`, a picture after each) is timed apart, at
  the default setting. The fine-tuning explorer trains the first time a setting is shown:
  its slider figure is for settings seen before (cached), the first visit is shown apart.
  Not included: the websocket trip and the browser's decoding and painting (next figure).
* **Slider to picture in a real browser.** From a slider key press in JupyterLab
  (headless Chromium) to the new picture on the canvas, p95 over 40 moves of each widget's main
  slider, one browser session per command (`benchmarks/browser_latency.py`).
* **Autograde.** A throw-away course folder with this checkout's `nbgrader_config.py`
  (whatever preprocessors it configures), `source/` copied, `course` and `grader` linked.
  `nbgrader generate_assignment` for the five assignments and for five trivial ones (a
  markdown cell, a code cell, one solution cell, one test cell), the solved notebooks handed
  in as one student. *One student's five notebooks* is one
  `nbgrader autograde "[0-9][0-9]_*" --student bench --force`; the *floor* is the same
  command on the trivial assignments: what nbgrader and a kernel cost by themselves. This is
  the figure per student: grading a class, nbgrader starts once per command, not once per
  student. *Assignment by assignment* is `nbgrader autograde NAME --student bench --force`
  for each (course and trivial alternating), nbgrader's start-up paid five times, with its
  own floor and ratio. Bars: ratio <= 1.5x the floor, and <= 20 s per student (docs/SPEC.md, "Measured bars").
  Every solved notebook must also get full marks.
* **Training.** Seed 001's loop (2-2-1, no biases, `np.random.seed(1)` + `rand` init,
  10 000 epochs, lr 0.1, as the seed writes it) and the course's `train`
  (`grader.xor_training.train`, notebook 04's reference: biases, BCE, the loss of every
  epoch kept) on the same 2-2-1 network and XOR data for the same epochs and lr: seconds
  and ratio (no bar). Notebook 05's comparison: `course.transfer.compare` for seeds 0-4
  with `grader.fine_tuning.fit`/`add_head` (no bar).
"""


def _fmt(value, unit) -> str:
    if value is None:
        return "n/a"
    if unit == "ms":
        return f"{1000 * value:.1f} ms"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:.2f} s"


def markdown(results: dict) -> str:
    m, med = results["machine"], results["medians"]
    load = lambda key: ", ".join(f"{x:.2f}" for x in m.get(key) or []) or "n/a"  # noqa: E731
    out = [
        "# Benchmarks",
        "",
        "Written by `python benchmarks/run.py --write-md` (the figures below are its latest run;",
        "`python benchmarks/run.py` prints the same table and writes `benchmarks/results.json`).",
        "",
        f"* **Date:** {results['date']}",
        f"* **Machine:** {m['cpu']}, {m['cores']} cores; {m['platform']}",
        f"* **Software:** Python {m['python']}, numpy {m['numpy']}, matplotlib {m['matplotlib']}, "
        f"nbgrader {m['nbgrader']}",
        f"* **Load average** (1, 5, 15 min) at start: {load('load_average_at_start')}; at end: "
        f"{load('load_average_at_end')}",
        f"* **Command:** `{results['command'].strip()}` ({results['repeat']} run(s), {results['seconds']:.0f} s)",
        "",
        "## Figures",
        "",
        "| figure | value | bar | status | detail |",
        "|---|---|---|---|---|",
    ]
    for r in results["rows"]:
        detail = r["detail"].replace("|", "\\|")
        out.append(f"| {r['figure']} | {_fmt(r['value'], r['unit'])} | {r['bar']} | {r['status']} | {detail} |")
    missed = [r for r in results["rows"] if r["status"] == "MISS"]
    out += ["", f"**{len(missed)} bar(s) missed**" + (":" if missed else "."), ""]
    out += [f"* {r['figure']}: {_fmt(r['value'], r['unit'])} (bar {r['bar']})" for r in missed]

    widgets = {k.split("/", 1)[1]: v for k, v in med.items() if k.startswith("widget/")}
    if widgets:
        out += ["", "### Widgets, per control (median over runs; ms)", "",
                "| widget | control | callback + draw median | p95 | CPU median | callback median | p95 |",
                "|---|---|---|---|---|---|---|"]
        for name, w in widgets.items():
            for control, c in w.get("controls", {}).items():
                out.append(f"| {name} | {control} | {1000 * c['total_median_s']:.1f} | {1000 * c['total_p95_s']:.1f} "
                           f"| {1000 * c.get('cpu_median_s', float('nan')):.1f} "
                           f"| {1000 * c['callback_median_s']:.1f} | {1000 * c['callback_p95_s']:.1f} |")
    notebooks = {k.split("/", 1)[1]: v for k, v in med.items() if k.startswith("notebook/")}
    if notebooks:
        out += ["", "### Notebooks (s)", "",
                "| notebook | end to end | kernel start-up | cells | slowest cells (first run) |", "|---|---|---|---|---|"]
        for name, n in notebooks.items():
            slow = "; ".join(f"cell {c['cell']} {c['seconds']:.2f} s `{c['starts'].replace('|', '/')}`"
                             for c in n.get("slowest_cells", []))
            out.append(f"| {name} | {n['total_s']:.2f} | {n['kernel_s']:.2f} | {n['cells_s']:.2f} | {slow} |")
    if "autograde" in med:
        a = med["autograde"]
        per = a["by_assignment"]["per_s"]
        floors = [n for n in per if n.startswith("floor_")]
        graded = a.get("graded_execution") or {}
        cells = lambda n: (f"{graded[n]['cells_s']:.2f}" if "cells_s" in graded.get(n, {}) else "n/a")  # noqa: E731
        out += ["", "### Autograde per notebook, five commands (s)", "",
                "*Kernel while graded*: the graded part of the notebook (setup, answer and test cells, "
                "the test cells' visible part) run once by nbclient with NBGRADER_EXECUTION set, its cells "
                "only (kernel start-up not included): what autograde spends running code in the student's "
                "kernel. "
                "The hidden checks run meanwhile in their own process (grader.isolation). Each command "
                "also pays nbgrader's start-up, as the trivial notebook beside it does.", "",
                "| notebook | autograde | trivial notebook beside it | kernel while graded |", "|---|---|---|---|"]
        for name, floor in zip(ASSIGNMENTS, floors):
            out.append(f"| {name} | {per[name]:.2f} | {per[floor]:.2f} | {cells(name)} |")
        total = sum(graded[n]["cells_s"] for n in ASSIGNMENTS if "cells_s" in graded.get(n, {}))
        out.append(f"| **sum** | **{a['by_assignment']['course_s']:.2f}** | **{a['by_assignment']['floor_s']:.2f}** "
                   f"| **{total:.2f}** |")
    if "class" in med:
        out += class_section(med["class"])
    out += ["", WHAT]
    notes = Path(__file__).with_name("NOTES.md")
    if notes.exists():
        out += [notes.read_text().rstrip(), ""]
    return "\n".join(out).rstrip() + "\n"


def class_section(c: dict) -> list[str]:
    """Grading a class: the scaling measured with 1 and 2 workers, and what it projects."""
    from benchmarks.class_grading import projection

    n, seq = c["students"], c["sequential_s"]
    rows = [("sequential nbgrader (autograde, then generate_feedback)", seq, None, None, c.get("sequential_cores_busy"))]
    for name, label in (("workers_1", "grade_class.py --workers 1 --no-sandbox"),
                        ("workers_2", "grade_class.py --workers 2 --no-sandbox"),
                        ("workers_3", "grade_class.py --workers 3 --no-sandbox"),
                        ("sandboxed_2", "grade_class.py --workers 2 (bubblewrap)")):
        if name in c:
            r = c[name]
            rows.append((label, r["seconds"], max(r["peak_rss_mb_per_worker"], default=0),
                         max(r["peak_child_rss_mb_per_worker"], default=0), r.get("cores_busy")))
    out = ["", f"### Grading a class ({n} generated students, {c['assignment']}; s)", "",
           "*Cores busy*: CPU seconds of the command and every process it waited for, over its wall-clock "
           "seconds.", "",
           "| how | seconds | per student | vs sequential | cores busy | peak memory per worker | its largest child |",
           "|---|---|---|---|---|---|---|"]
    for label, seconds, rss, child, busy in rows:
        mem = "" if rss is None else f"{rss:.0f} MB"
        kid = "" if child is None else f"{child:.0f} MB"
        cores = "" if busy is None else f"{busy:.2f}"
        out.append(f"| {label} | {seconds:.1f} | {seconds / n:.2f} | {seq / seconds:.2f}x | {cores} | {mem} | {kid} |")
    scaling = c["workers_1"]["seconds"] / c["workers_2"]["seconds"]
    out += ["", f"1 -> 2 workers: {scaling:.2f}x. A projection, not a measurement: 300 students on 16 cores, "
            f"if each added core gave what the second did here, would take about {projection(c):.1f} min "
            f"({300 * seq / n / 60:.0f} min sequentially at this run's rate)."
            + ("" if c["same_scores"] else " **The scores differed from the sequential run.**")]
    return out


if __name__ == "__main__":
    import json
    from benchmarks.run import MARKDOWN, RESULTS
    MARKDOWN.write_text(markdown(json.loads(RESULTS.read_text())))
    print(f"wrote {MARKDOWN} from {RESULTS}")
