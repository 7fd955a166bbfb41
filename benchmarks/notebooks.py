"""Seconds to run each solved notebook (source/NN_topic/NN_topic.ipynb) end to end,
headless, as `jupyter nbconvert --execute` or a fresh "Restart and run all" would: nbclient,
a fresh python3 kernel, cwd = the notebook's folder, the checkout on PYTHONPATH (the hidden
tests import `grader`), NBGRADER_EXECUTION unset (the widgets are built).

    total    from asking for a kernel to the last cell's output (kernel start-up included)
    kernel   of which: starting the kernel until it answers (reported apart)
    cells    of which: executing the cells

    python benchmarks/notebooks.py [NN_topic ...]
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import ASSIGNMENTS, kernel_env, notebook  # noqa: E402


def run_notebook(name: str, timeout: int = 300, grading: bool = False) -> dict:
    """One end-to-end run of source/<name>/<name>.ipynb in a fresh kernel; with `grading`,
    what autograde runs in the student's kernel (grader.nbgrader_plugin.SafeExecute as
    nbgrader_config.py sets it): NBGRADER_EXECUTION=autograde, the graded part only (setup,
    answer and test cells), test cells without their hidden block (it runs in its own process)."""
    import nbformat
    from nbclient import NotebookClient

    path = notebook("source", name)
    nb = nbformat.read(str(path), as_version=4)
    if grading:
        from grader.isolation import isolated_topic, without_hidden_tests
        from grader.nbgrader_plugin import graded_part
        nb.cells = [c for c in nb.cells if c.cell_type != "code" or graded_part(c)]
        for cell in nb.cells:
            if cell.cell_type == "code" and isolated_topic(cell.source):
                cell.source = without_hidden_tests(cell.source)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(kernel_env())          # the kernel inherits this process's environment
    if grading:
        os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        t0 = time.perf_counter()
        with client.setup_kernel(stderr=subprocess.DEVNULL):      # the kernel's start-up warnings
            t1 = time.perf_counter()         # the kernel is up and answers
            cells = []
            for index, cell in enumerate(nb.cells):
                c0 = time.perf_counter()
                client.execute_cell(cell, index)
                if cell.cell_type == "code":
                    cells.append((time.perf_counter() - c0, index, cell))
            t2 = time.perf_counter()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    slowest = [{"cell": index, "id": cell.metadata.get("nbgrader", {}).get("grade_id", cell.get("id", "")),
                "seconds": round(seconds, 3), "starts": cell.source.strip().splitlines()[0][:80] if cell.source else ""}
               for seconds, index, cell in sorted(cells, key=lambda c: -c[0])[:3]]
    return {"total_s": t2 - t0, "kernel_s": t1 - t0, "cells_s": t2 - t1, "slowest_cells": slowest}


def measure(names=ASSIGNMENTS, grading: bool = False) -> dict:
    """One run of each notebook; a notebook that fails is reported, not raised."""
    out = {}
    for name in names:
        try:
            out[name] = run_notebook(name, grading=grading)
        except Exception as exc:   # a failing cell: report it, keep measuring the others
            out[name] = {"error": f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:300]}"}
    return out


if __name__ == "__main__":
    for name, r in measure(sys.argv[1:] or ASSIGNMENTS).items():
        print(name, r if "error" in r else
              f"total {r['total_s']:.2f} s (kernel {r['kernel_s']:.2f} s, cells {r['cells_s']:.2f} s)")
