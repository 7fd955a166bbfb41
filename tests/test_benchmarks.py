"""benchmarks/run.py's verdicts: medians over runs, ratios taken within a run, PASS/MISS
against each bar, and BENCHMARKS.md written from the results (no timing here: the figures
come from `python benchmarks/run.py`)."""
import pytest

from benchmarks.common import ASSIGNMENTS
from benchmarks.report import class_section, markdown
from benchmarks.run import summarise


def autograde_run(course_s, floor_s, by_course_s=21.0, by_floor_s=18.0):
    per = {name: by_course_s / 5 for name in ASSIGNMENTS} | {f"floor_{k}": by_floor_s / 5 for k in range(1, 6)}
    return {"course_s": course_s, "floor_s": floor_s, "ratio": course_s / floor_s, "full_marks": True,
            "by_assignment": {"course_s": by_course_s, "floor_s": by_floor_s, "ratio": by_course_s / by_floor_s,
                              "per_s": per}}


def rows_by_key(runs):
    rows, medians = summarise(runs)
    return {r["key"]: r for r in rows}, rows, medians


def test_autograde_bars_use_the_median_of_per_run_ratios():
    runs = {"autograde": [autograde_run(8.0, 7.0), autograde_run(12.0, 7.0), autograde_run(9.0, 7.5)]}
    rows, _, medians = rows_by_key(runs)
    assert rows["autograde/course"]["value"] == pytest.approx(9.0)
    assert rows["autograde/course"]["status"] == "PASS"                # <= 20 s
    assert rows["autograde/ratio"]["value"] == pytest.approx(9.0 / 7.5)  # the median ratio, not 9.0 / 7.0
    assert rows["autograde/ratio"]["status"] == "PASS"
    assert rows["autograde/by_assignment_ratio"]["status"] == "PASS"
    assert medians["autograde"]["by_assignment"]["per_s"]["01_forward_pass"] == pytest.approx(4.2)


@pytest.mark.parametrize("course_s, floor_s, by_course_s, missed", [
    (11.0, 7.0, 21.0, {"autograde/ratio"}),                                   # 1.57x
    (22.0, 15.0, 21.0, {"autograde/course"}),                                 # over 20 s, 1.47x
    (8.0, 7.0, 28.0, {"autograde/by_assignment_ratio"}),                      # five commands 1.56x
])
def test_a_missed_autograde_bar_is_a_miss(course_s, floor_s, by_course_s, missed):
    rows, _, _ = rows_by_key({"autograde": [autograde_run(course_s, floor_s, by_course_s)]})
    assert {key for key, r in rows.items() if r["status"] == "MISS"} == missed


def test_a_notebook_over_its_bar_is_a_miss_and_04_and_05_have_their_own_bar():
    run = {name: {"total_s": 9.0, "kernel_s": 0.5, "cells_s": 8.5} for name in ASSIGNMENTS}
    run["03_backprop_by_hand"]["total_s"] = 10.5       # bar 10 s
    run["04_xor_training"]["total_s"] = 25.0           # bar 30 s
    run["05_fine_tuning"]["total_s"] = 30.5            # bar 30 s
    _, rows, _ = rows_by_key({"notebooks": [run]})
    status = {r["figure"].split()[1]: r["status"] for r in rows}
    assert status == {"01_forward_pass": "PASS", "02_loss_functions": "PASS", "03_backprop_by_hand": "MISS",
                      "04_xor_training": "PASS", "05_fine_tuning": "MISS"}


def test_benchmarks_md_is_written_from_the_results():
    runs = {"autograde": [autograde_run(11.0, 7.0)]}
    rows, medians = summarise(runs)
    machine = {"cpu": "cpu", "cores": 2, "platform": "linux", "python": "3.11", "numpy": "2", "matplotlib": "3",
               "nbgrader": "0.9.6", "load_average_at_start": [1.0, 1.0, 1.0]}
    text = markdown({"date": "today", "command": "python benchmarks/run.py", "repeat": 1, "seconds": 1.0,
                     "machine": machine, "rows": rows, "medians": medians})
    assert "**1 bar(s) missed**:" in text
    assert "autograde / floor (one command): 1.57x (bar <= 1.5x)" in text
    assert "| 01_forward_pass | 4.20 | 3.60 | n/a |" in text


def test_the_kernel_benchmark_builds_every_widget_the_notebooks_show():
    """benchmarks/widget_latency.py builds each widget with the grader's references (a widget's
    arguments are the student's functions, which no registry can supply): a widget a notebook
    shows that it does not build would go unmeasured."""
    from benchmarks.widget_latency import _factories
    from tools.registry import widget_notebooks
    built = _factories()
    missing = set(widget_notebooks()) - set(built)
    assert not missing, f"widgets the notebooks show that benchmarks/widget_latency.py does not build: {missing}"
    for widget, notebook in widget_notebooks().items():
        assert notebook.startswith(built[widget][0]), f"{widget}: first shown in {notebook}, benchmarked as {built[widget][0]}"


def class_run(sequential_s=200.0, two_s=105.0, one_s=190.0):
    def run(seconds):
        return {"seconds": seconds, "graded": 40, "failed": 0, "peak_rss_mb_per_worker": [140.0, 150.0],
                "peak_child_rss_mb_per_worker": [130.0, 135.0], "per_student_s": seconds / 40}
    return {"students": 40, "assignment": "01_forward_pass", "sequential_s": sequential_s,
            "sequential_autograde_s": sequential_s - 20, "sequential_feedback_s": 20.0,
            "sequential_per_student_s": sequential_s / 40, "workers_2": run(two_s), "workers_1": run(one_s),
            "speedup_2": sequential_s / two_s, "one_worker_vs_sequential": one_s / sequential_s, "same_scores": True}


@pytest.mark.parametrize("sequential_s, two_s, one_s, missed", [
    (200.0, 105.0, 190.0, set()),                                   # 1.90x; 4.75 s <= 5 s per student
    (200.0, 120.0, 190.0, {"class/workers_2"}),                     # 1.67x
    (200.0, 105.0, 210.0, {"class/workers_1"}),                     # one worker dearer than sequential
])
def test_the_class_bars(sequential_s, two_s, one_s, missed):
    rows, _, medians = rows_by_key({"class": [class_run(sequential_s, two_s, one_s)]})
    assert {key for key, r in rows.items() if r["status"] == "MISS"} == missed
    assert rows["class/workers_2"]["value"] == pytest.approx(sequential_s / two_s)
    text = "\n".join(class_section(medians["class"]))
    assert "projection, not a measurement" in text and "150 MB" in text
