"""Backprop Lab's benchmarks in one command: a table of every figure beside its bar
(PASS/MISS), written to benchmarks/results.json (and, with --write-md, BENCHMARKS.md).

    python benchmarks/run.py               # every figure, the median of 3 runs (~9 min; the class ~10 min more)
    python benchmarks/run.py --quick       # one run, fewer widget moves (~4 min)
    python benchmarks/run.py --write-md    # also rewrite BENCHMARKS.md from the results
    python benchmarks/run.py --only widgets,training

Figures (see BENCHMARKS.md for exactly what each measures):

    notebooks   seconds to run each solved notebook end to end headless (kernel start-up
                included, and reported apart)            bar <= 10 s (04, 05: <= 30 s)
    widgets     kernel-side update latency of every widget: callback + the draw the browser
                asks for, median and p95 over every control   bar: median <= 30 ms
    browser     slider-to-picture p95 in a real browser (benchmarks/browser_latency.py,
                when present and Chromium is installed; one session of 40 moves per
                widget, in the first run only)                   bar: p95 <= 100 ms
    autograde   `nbgrader autograde` seconds per student (5 notebooks, one command) and
                nbgrader's floor (5 trivial notebooks, same command), same run;
                also assignment by assignment (5 commands)      bar: ratio <= 1.5; <= 20 s
    training    the course's XOR training vs seed 001's loop (ratio), notebook 05's training
    class       a generated class of 40 students for one assignment (benchmarks/class_grading.py):
                plain sequential `autograde` + `generate_feedback` vs tools/grade_class.py with 2
                and 1 workers, same run, in the first run only (it takes minutes)
                                                bar: 2 workers >= 1.8x; 1 worker's per-student
                                                cost <= sequential's

Each repetition measures every section once; the table shows medians over repetitions.
Ratios are taken within a repetition, then their median. A section that fails is
reported as an error in the table; the command still writes its JSON.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import time
import traceback
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import ASSIGNMENTS, ROOT, median  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.json"
MARKDOWN = ROOT / "BENCHMARKS.md"
SECTIONS = ("notebooks", "widgets", "autograde", "training", "browser", "class")

NOTEBOOK_BAR = {name: 10.0 for name in ASSIGNMENTS} | {"04_xor_training": 30.0, "05_fine_tuning": 30.0}   # docs/SPEC.md
WIDGET_BAR_S = 0.030
BROWSER_BAR_S = 0.100
AUTOGRADE_RATIO_BAR = 1.5
AUTOGRADE_SECONDS_BAR = 20.0
CLASS_SPEEDUP_BAR = 1.8             # issue #16: 2 workers against sequential nbgrader, on 2 cores


# --- the machine ------------------------------------------------------------------------

def machine() -> dict:
    import numpy
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    import matplotlib
    import nbgrader
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": numpy.__version__,
            "matplotlib": matplotlib.__version__, "nbgrader": nbgrader.__version__,
            "platform": platform.platform(), "load_average_at_start": load}


# --- one repetition of each section --------------------------------------------------------

def run_notebooks(quick: bool) -> dict:
    from benchmarks import notebooks
    return notebooks.measure()


def run_widgets(quick: bool) -> dict:
    from benchmarks import widget_latency
    return widget_latency.measure_all(moves=8 if quick else 12)


def run_training(quick: bool) -> dict:
    from benchmarks import training
    return {**training.time_xor(), **training.time_fine_tuning()}


class AutogradeSection:
    """The course folder is prepared once (generate_assignment, hand-in) and graded per repetition."""

    def __init__(self):
        self.course = None

    def __call__(self, quick: bool) -> dict:
        from benchmarks import autograde
        if self.course is None:
            self.course = autograde.Course()
            self.course.prepare()
        first = self.course is not None and not getattr(self, "explained", False)
        run = autograde.measure_once(self.course)
        if first:
            # where the seconds go: the same notebooks run as nbgrader's kernel runs them
            from benchmarks import notebooks
            run["graded_execution"] = notebooks.measure(grading=True)
            self.explained = True
        scores = {name: self.course.score(name) for name in (*autograde.ASSIGNMENTS, *autograde.FLOOR)}
        run["full_marks"] = all(score == top for score, top in scores.values())
        if not run["full_marks"]:
            run["scores"] = scores
        return run

    def close(self):
        if self.course is not None:
            self.course.close()


def run_class(quick: bool) -> dict:
    from benchmarks import class_grading
    return class_grading.measure()


def run_browser(quick: bool) -> dict:
    """benchmarks/browser_latency.py's figures, or why there are none."""
    try:
        from benchmarks import browser_latency
    except ImportError as exc:
        return {"not_measured": f"benchmarks/browser_latency.py is not there yet ({exc})"}
    if not hasattr(browser_latency, "measure_browser_latency"):
        return {"not_measured": "benchmarks/browser_latency.py has no measure_browser_latency()"}
    reason = _browser_unavailable()
    if reason:
        return {"not_measured": reason}
    try:
        result = browser_latency.measure_browser_latency(
            repetitions=10 if quick else browser_latency.MOVES)
    except Exception as exc:  # a browser that cannot start is a reason, not a crash
        reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {str(exc)[:300]}"
        return {"not_measured": f"measure_browser_latency() failed: {reason}"}
    return result if isinstance(result, dict) else {"result": result}


def _browser_unavailable() -> str | None:
    try:
        from tools.browser_harness import unavailable_reason
        return unavailable_reason()
    except Exception:
        pass
    if not (os.environ.get("BACKPROP_LAB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")):
        return "Chromium is not installed"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright is not installed"
    return None


# --- summarising repetitions into rows ------------------------------------------------------

def _ok(runs: list) -> list:
    return [r for r in runs if isinstance(r, dict) and "section_error" not in r]


def _row(section, figure, value, unit, bar, passed, detail="", key=None) -> dict:
    status = "-" if passed is None else ("PASS" if passed else "MISS")
    return {"section": section, "figure": figure, "value": value, "unit": unit, "bar": bar, "status": status,
            "detail": detail, "key": key or figure}


def _fmt(value, unit) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    if unit == "ms":
        return f"{1000 * value:.1f} ms"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:.2f} s"


def summarise(runs: dict[str, list]) -> tuple[list[dict], dict]:
    """Table rows and the medians behind them."""
    rows, medians = [], {}

    nb_runs = _ok(runs.get("notebooks", []))
    if runs.get("notebooks") is not None:
        for name in ASSIGNMENTS:
            ok = [r[name] for r in nb_runs if name in r and "error" not in r[name]]
            errors = [r[name]["error"] for r in nb_runs if name in r and "error" in r[name]]
            total, kernel = median(r["total_s"] for r in ok), median(r["kernel_s"] for r in ok)
            medians[f"notebook/{name}"] = {"total_s": total, "kernel_s": kernel,
                                           "cells_s": median(r["cells_s"] for r in ok), "errors": errors,
                                           "slowest_cells": ok[0].get("slowest_cells", []) if ok else []}
            bar = NOTEBOOK_BAR[name]
            passed = (total <= bar) if ok and not errors else False
            detail = f"kernel start-up {kernel:.2f} s" if ok else ""
            if errors:
                detail = f"failed: {errors[0][:120]}"
            rows.append(_row("notebooks", f"notebook {name} end to end", total if ok else None, "s",
                             f"<= {bar:.0f} s", passed, detail))

    w_runs = _ok(runs.get("widgets", []))
    if runs.get("widgets") is not None:
        names = list(w_runs[0]) if w_runs else []
        for name in names:
            per = [r[name] for r in w_runs if name in r]
            m = {k: median(p[k] for p in per) for k in
                 ("total_median_s", "total_p95_s", "callback_median_s", "callback_p95_s", "cpu_median_s", "build_s")}
            m["controls"] = {c: {k: median(p["controls"][c][k] for p in per if c in p["controls"])
                                 for k in per[0]["controls"][c] if k != "n"} for c in per[0]["controls"]}
            label = {"xor_trainer": " (sliders)", "fine_tuning_explorer": " (settings seen before)"}.get(name, "")
            detail = (f"p95 {1000 * m['total_p95_s']:.1f} ms; CPU time median {1000 * m['cpu_median_s']:.1f} ms; "
                      f"callback alone median {1000 * m['callback_median_s']:.1f} / p95 "
                      f"{1000 * m['callback_p95_s']:.1f} ms")
            rows.append(_row("widgets", f"{name}{label}: callback + draw, median", m["total_median_s"], "ms",
                             "<= 30 ms", m["total_median_s"] <= WIDGET_BAR_S, detail, key=f"widget/{name}"))
            if name == "xor_trainer":
                clicks = median(p["train_click"]["median_s"] for p in per)
                m["train_click_s"] = clicks
                setting = per[0]["train_click"]["setting"]
                rows.append(_row("widgets", "xor_trainer: Train click (10 pieces, a picture each)", clicks, "s",
                                 "none", None, f"at the default setting {setting}", key="widget/xor_trainer/train"))
            if name == "fine_tuning_explorer":
                each = [p["fine_tuning"]["uncached_new_n_median_s"] for p in per]
                new_n = median(each)
                new_lr = median(p["fine_tuning"]["uncached_new_lr_median_s"] for p in per)
                m["uncached_new_n_s"], m["uncached_new_lr_s"] = new_n, new_lr
                rows.append(_row("widgets", "fine_tuning_explorer: first visit of a setting (trains)", new_n, "s",
                                 "none", None, f"new image count (3 models; per run: "
                                 f"{', '.join(f'{x:.2f}' for x in each)} s, the first in a fresh process); "
                                 f"a new lr only: {new_lr:.2f} s", key="widget/fine_tuning_explorer/uncached"))
            medians[f"widget/{name}"] = m

    b_runs = runs.get("browser")
    if b_runs is not None:
        measured = [r for r in _ok(b_runs) if "not_measured" not in r]
        if not measured:
            why = next((r.get("not_measured") or r.get("section_error") for r in b_runs), "no result")
            rows.append(_row("browser", "slider to picture in a real browser, p95", None, "ms", "<= 100 ms",
                             None, f"not measured ({why})", key="browser"))
            medians["browser"] = {"not_measured": why}
        else:
            medians["browser"] = {"runs": measured}
            first = measured[0]
            for label, entry in first.items():
                if isinstance(entry, dict) and "error" in entry:
                    rows.append(_row("browser", f"{label}: slider to picture in a browser, p95", None, "ms",
                                     "<= 100 ms", None, f"not measured ({entry['error'][:200]})",
                                     key=f"browser/{label}"))
            for label, p95 in _browser_p95s(measured).items():
                entry = first.get(label) if isinstance(first.get(label), dict) else {}
                detail = ""
                if "median_ms" in entry:
                    detail = (f"slider {entry.get('control', '?')!r}: median {entry['median_ms']:.1f} ms over "
                              f"{entry.get('n', '?')} moves (headless Chromium, JupyterLab)")
                rows.append(_row("browser", f"{label}: slider to picture in a browser, p95", p95, "ms",
                                 "<= 100 ms", p95 <= BROWSER_BAR_S, detail, key=f"browser/{label}"))

    a_runs = _ok(runs.get("autograde", []))
    if runs.get("autograde") is not None and a_runs:
        course_s, floor_s = median(r["course_s"] for r in a_runs), median(r["floor_s"] for r in a_runs)
        ratio = median(r["ratio"] for r in a_runs)
        by = {k: median(r["by_assignment"][k] for r in a_runs) for k in ("course_s", "floor_s", "ratio")}
        by["per_s"] = {n: median(r["by_assignment"]["per_s"][n] for r in a_runs)
                       for n in a_runs[0]["by_assignment"]["per_s"]}
        graded = next((r["graded_execution"] for r in a_runs if "graded_execution" in r), {})
        medians["autograde"] = {"course_s": course_s, "floor_s": floor_s, "ratio": ratio, "by_assignment": by,
                                "full_marks": all(r["full_marks"] for r in a_runs),
                                "graded_execution": graded}
        marks = "" if medians["autograde"]["full_marks"] else "; NOT full marks for the solved notebooks"
        rows.append(_row("autograde", "autograde, one student's five notebooks (one command)", course_s, "s",
                         f"<= {AUTOGRADE_SECONDS_BAR:.0f} s", course_s <= AUTOGRADE_SECONDS_BAR,
                         f"`nbgrader autograde \"[0-9][0-9]_*\" --student S`{marks}", key="autograde/course"))
        rows.append(_row("autograde", "nbgrader's floor: five trivial notebooks, same command", floor_s, "s",
                         "none", None, "", key="autograde/floor"))
        rows.append(_row("autograde", "autograde / floor (one command)", ratio, "x", f"<= {AUTOGRADE_RATIO_BAR}x",
                         ratio <= AUTOGRADE_RATIO_BAR, "median of the per-run ratios", key="autograde/ratio"))
        per = by["per_s"]
        rows.append(_row("autograde", "autograde, assignment by assignment (five commands)", by["course_s"], "s",
                         "none", None, "per notebook: " + ", ".join(f"{n[:2]} {per[n]:.1f}" for n in ASSIGNMENTS)
                         + f"; nbgrader's floor, same commands: {by['floor_s']:.2f} s",
                         key="autograde/by_assignment"))
        rows.append(_row("autograde", "autograde / floor (five commands)", by["ratio"], "x",
                         f"<= {AUTOGRADE_RATIO_BAR}x", by["ratio"] <= AUTOGRADE_RATIO_BAR,
                         "median of the per-run ratios", key="autograde/by_assignment_ratio"))

    c_runs = _ok(runs.get("class", []))
    if runs.get("class") is not None and c_runs:
        c = c_runs[0]
        n, seq = c["students"], c["sequential_s"]
        medians["class"] = c
        same = "" if c["same_scores"] else "; SCORES DIFFER from sequential"
        rows.append(_row("class", f"class of {n}: sequential autograde + feedback", seq, "s", "none", None,
                         f"{c['assignment']}: autograde {c['sequential_autograde_s']:.0f} s + generate_feedback "
                         f"{c['sequential_feedback_s']:.0f} s ({seq / n:.2f} s per student; "
                         f"{c.get('sequential_cores_busy', float('nan')):.2f} cores busy)", key="class/sequential"))
        two, one = c["workers_2"], c["workers_1"]
        rows.append(_row("class", f"class of {n}: grade_class.py --workers 2, speedup", c["speedup_2"], "x",
                         f">= {CLASS_SPEEDUP_BAR}x", c["speedup_2"] >= CLASS_SPEEDUP_BAR,
                         f"{two['seconds']:.0f} s, {two.get('cores_busy', float('nan')):.2f} cores busy; "
                         "peak memory per worker "
                         + ", ".join(f"{m:.0f}" for m in two["peak_rss_mb_per_worker"]) + " MB (largest child "
                         + ", ".join(f"{m:.0f}" for m in two["peak_child_rss_mb_per_worker"]) + f" MB){same}",
                         key="class/workers_2"))
        rows.append(_row("class", f"class of {n}: grade_class.py --workers 1, per student", one["per_student_s"], "s",
                         f"<= {seq / n:.2f} s", one["per_student_s"] <= seq / n,
                         f"{one['seconds']:.0f} s in all; sequential: {seq / n:.2f} s per student",
                         key="class/workers_1"))
        if "workers_3" in c:
            three = c["workers_3"]
            rows.append(_row("class", f"class of {n}: grade_class.py --workers 3 ({os.cpu_count()} cores), speedup",
                             seq / three["seconds"], "x", "none", None,
                             f"{three['seconds']:.0f} s, {three.get('cores_busy', float('nan')):.2f} cores busy",
                             key="class/workers_3"))
        if "sandboxed_2" in c:
            box = c["sandboxed_2"]
            rows.append(_row("class", f"class of {n}: --workers 2 with every student in bubblewrap", box["seconds"],
                             "s", "none", None, f"{seq / box['seconds']:.2f}x sequential (which has no sandbox)",
                             key="class/sandboxed_2"))

    t_runs = _ok(runs.get("training", []))
    if runs.get("training") is not None and t_runs:
        m = {k: median(r[k] for r in t_runs) for k in ("seed_001_s", "course_s", "ratio", "fine_tuning_s")}
        medians["training"] = m
        rows.append(_row("training", "XOR 2-2-1, 10 000 epochs: course train / seed 001 loop", m["ratio"], "x",
                         "none", None, f"course {m['course_s']:.2f} s, seed 001 {m['seed_001_s']:.2f} s",
                         key="training/xor"))
        rows.append(_row("training", "notebook 05's comparison (5 seeds x 4 strategies)", m["fine_tuning_s"], "s",
                         "none", None, "course.transfer.compare with grader.fine_tuning.fit/add_head",
                         key="training/fine_tuning"))

    for section, section_runs in runs.items():
        for r in section_runs:
            if isinstance(r, dict) and "section_error" in r:
                rows.append(_row(section, f"{section}: a run failed", None, "s", "", False, r["section_error"][:200],
                                 key=f"{section}/error"))
                break
    return rows, medians


def _browser_p95s(measured: list[dict]) -> dict[str, float]:
    """{label: p95 seconds} from measure_browser_latency()'s results (its median over runs).

    Accepts {widget: {"p95_s": s}} / {"p95_ms": ms}, or {"p95_s": s} for one figure."""
    def p95_of(d):
        if isinstance(d, dict):
            if "p95_s" in d:
                return float(d["p95_s"])
            if "p95_ms" in d:
                return float(d["p95_ms"]) / 1000
        return None

    out: dict[str, list] = {}
    for run in measured:
        direct = p95_of(run)
        if direct is not None:
            out.setdefault("all widgets", []).append(direct)
        for key, value in run.items():
            if p95_of(value) is not None:
                out.setdefault(key, []).append(p95_of(value))
    return {label: median(values) for label, values in out.items()}


# --- output -------------------------------------------------------------------------------

def table(rows: list[dict]) -> str:
    header = ("figure", "value", "bar", "status")
    body = [(r["figure"], _fmt(r["value"], r["unit"]) if r["value"] is not None else "n/a", r["bar"], r["status"])
            for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    for r, cells in zip(rows, body):
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(cells, widths)))
        if r["detail"]:
            lines.append(" " * 4 + r["detail"])
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Backprop Lab's benchmarks (BENCHMARKS.md).")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions (default 3; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="one repetition, fewer widget moves")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}")
    parser.add_argument("--json", type=Path, default=RESULTS, help=f"where to write the results ({RESULTS.name})")
    parser.add_argument("--write-md", action="store_true", help="rewrite BENCHMARKS.md from these results")
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 3)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")

    os.environ.pop("NBGRADER_EXECUTION", None)
    import matplotlib
    matplotlib.use("agg")
    started = time.time()
    info = machine()
    print(f"Backprop Lab benchmarks: {repeat} run(s) of {', '.join(only)} on {info['cpu']} "
          f"({info['cores']} cores), load {info['load_average_at_start']}", flush=True)
    autograde = AutogradeSection()
    sections = {"notebooks": run_notebooks, "widgets": run_widgets, "autograde": autograde,
                "training": run_training, "browser": run_browser, "class": run_class}
    runs: dict[str, list] = {s: [] for s in SECTIONS if s in only}
    try:
        for k in range(repeat):
            for section in runs:
                if section in ("browser", "class") and k > 0:
                    continue      # one browser session (40 moves per widget), one class, per command: minutes each
                t0 = time.time()
                try:
                    result = sections[section](args.quick)
                except Exception as exc:  # report it, measure the rest
                    result = {"section_error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-1500:]}"}
                runs[section].append(result)
                print(f"  run {k + 1}/{repeat}: {section} {time.time() - t0:.0f} s", flush=True)
    finally:
        autograde.close()
    rows, medians = summarise(runs)
    try:
        info["load_average_at_end"] = os.getloadavg()
    except OSError:
        pass
    results = {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
               "command": "python benchmarks/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
               "repeat": repeat, "quick": args.quick, "seconds": round(time.time() - started, 1),
               "machine": info, "rows": rows, "medians": medians, "runs": runs}
    args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print()
    print(table(rows))
    print(f"\n{sum(r['status'] == 'MISS' for r in rows)} bar(s) missed; results in {args.json} "
          f"({results['seconds']:.0f} s)")
    if args.write_md:
        from benchmarks.report import markdown
        MARKDOWN.write_text(markdown(results))
        print(f"wrote {MARKDOWN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
