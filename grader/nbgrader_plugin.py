"""nbgrader preprocessors that make autograde robust against bad or hostile submissions.
nbgrader_config.py puts them into nbgrader's lists where grader/pipeline.py says:

    SafeExecute           runs the graded part of the notebook like nbgrader's Execute: the
                          setup, answer and test cells (free cells, i.e. demos and scratch
                          work, are not run, as in the isolated run); test cells run their
                          visible part only when `isolated_hidden_tests` is set (the hidden
                          part runs once, in IsolatedHiddenTests). A kernel that dies
                          (os._exit, exit(), a crash) or stops answering (a cell that ignores
                          the interrupt) no longer aborts the student's grading: the cells
                          that did not run are marked as errors, and grading goes on.
    StartHiddenTests      starts IsolatedHiddenTests' checker process before the kernel runs,
                          so the two run side by side.
    IsolatedHiddenTests   runs every hidden test outside the student's kernel, in a process
                          that never runs student code (grader.isolation; the student's
                          answer cells run in a process of their own, course.channel); a
                          test cell passes only if its visible part passed in the kernel AND
                          its hidden checks passed there.
    RepairCellMetadata    (sanitizing, before nbgrader's own steps) puts back the nbgrader
                          metadata a student edited: without it, a flag turned on or off
                          stops that student's grading with an error.
    LimitOutputSize       nbgrader's LimitOutput (lines), also capping the size of every
                          output, so huge prints cannot bloat the gradebook or the feedback.
    ScrubPaths            replaces the instructor's absolute paths in outputs with placeholders.
    FeedbackWithoutHiddenTests   nbgrader's ClearHiddenTests on test cells, for generate_feedback.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from nbgrader.nbgraderformat import SCHEMA_VERSION
from nbgrader.preprocessors import ClearHiddenTests, Execute, LimitOutput, NbGraderPreprocessor
from traitlets import Bool, Integer, List

from .isolation import IsolatedRun, grading_env, hidden_calls, isolated_topic, topic, without_hidden_tests

ROOT = Path(__file__).resolve().parents[1]


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def graded_part(cell) -> bool:
    """Whether autograde runs this cell: a code cell that is locked (setup), an answer or a
    test. Free cells (the notebook's demonstrations, pictures, widgets, a student's scratch
    work) are not run: no score depends on them, and the isolated re-check of the hidden
    tests (grader.isolation) runs the same setup and answer cells and nothing else."""
    meta = _meta(cell)
    return cell.cell_type == "code" and bool(meta.get("locked") or meta.get("solution") or meta.get("grade"))


class SafeExecute(Execute):
    """nbgrader's Execute over the graded part of the notebook, surviving a kernel that dies."""

    isolated_hidden_tests = Bool(False, help=(
        "Run only the visible part of each test cell in the student's kernel: set it when "
        "IsolatedHiddenTests, which runs the hidden part, follows in the preprocessors.")).tag(config=True)

    def start_new_kernel(self, **kwargs):
        """nbclient's, with the kernel's stdout and stderr going nowhere (both are Popen options
        that KernelManager.start_kernel passes on). A kernel inherits nbgrader's own otherwise,
        and so would anything a submission starts that outlives the kernel (a grandchild in a
        session of its own): whoever reads autograde's output, a script or a CI log, would wait
        for that process to end. The kernel's output reaches the notebook through its messages.
        Its environment is nbgrader's with one BLAS thread (isolation.grading_env)."""
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        kwargs.setdefault("env", grading_env())
        return super().start_new_kernel(**kwargs)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and not graded_part(cell):
            cell.outputs, cell.execution_count = [], None     # not run while grading: no stale outputs
            return cell, resources
        if self.isolated_hidden_tests and _meta(cell).get("grade") and isolated_topic(cell.source):
            full = cell.source
            cell.source = without_hidden_tests(full)
            try:
                return super().preprocess_cell(cell, resources, index)
            finally:
                cell.source = full
        return super().preprocess_cell(cell, resources, index)

    STOPPED = {
        "dead": ("KernelDied", "the kernel stopped before this cell ran (os._exit, exit() or a crash in an "
                               "earlier cell); it earns no points"),
        "stuck": ("KernelStuck", "the notebook stopped responding before this cell ran (a cell that ignored the "
                                 "interrupt sent after its time limit, or broke the kernel's output); it earns no "
                                 "points"),
    }

    def preprocess(self, nb, resources, km=None):
        try:
            return super().preprocess(nb, resources, km=km)
        except Exception as exc:  # noqa: BLE001 - whatever one notebook does, its grading goes on
            # nbclient's DeadKernelError and start-up failures are RuntimeErrors; a CellTimeoutError
            # ("Timeout waiting for IOPub output", a cell that ignores SIGINT) and anything else
            # nbclient may raise are not: none may stop this student's grading or anyone else's.
            why = "dead" if isinstance(exc, RuntimeError) else "stuck"
            self.log.warning("The kernel stopped during execution (%s: %s); unrun cells are marked as errors.",
                             type(exc).__name__, exc)
            for cell in nb.cells:
                if graded_part(cell) and cell.get("execution_count") is None and not cell.get("outputs"):
                    cell.setdefault("outputs", []).append(_error(*self.STOPPED[why]))
            return nb, resources


def _isolated_runs(nb, resources, timeout: float, check_timeout: float = 60) -> dict[str, IsolatedRun]:
    """Start the hidden checks of every test cell (its `hidden.check_...(...)` lines) in a
    checker process, one per grader module (normally one); the student's process runs the
    notebook's read-only setup cells and answer cells, nothing else, in the notebook's folder
    (as the kernel does: the setup cell imports the modules released beside the notebook)."""
    folder = resources.get("metadata", {}).get("path") or None
    setup = [c.source for c in nb.cells if c.cell_type == "code" and _meta(c).get("locked")
             and not _meta(c).get("grade") and not _meta(c).get("solution")]
    answers = [c.source for c in nb.cells if c.cell_type == "code" and _meta(c).get("solution")]
    by_topic: dict[str, dict[str, list[str]]] = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and _meta(cell).get("grade"):
            calls, module = hidden_calls(cell.source), topic(cell.source)
            if calls and module:
                by_topic.setdefault(module, {})[_meta(cell)["grade_id"]] = calls
    return {module: IsolatedRun(module, setup, answers, hidden, timeout, check_timeout, cwd=folder)
            for module, hidden in by_topic.items()}


_RUNS = "backprop_lab_isolated_runs"      # where StartHiddenTests leaves its runs in `resources`
# the autograded notebook's metadata["backprop_lab"][HIDDEN_RESULTS]: {grade_id: {"passed", "mistake"}}
HIDDEN_RESULTS = "hidden_checks"


class _HiddenTests(NbGraderPreprocessor):
    timeout = Integer(300, help="Seconds for all hidden tests of one notebook.").tag(config=True)
    check_timeout = Integer(60, help="Seconds for one hidden check, the student's code it runs included.").tag(
        config=True)


class StartHiddenTests(_HiddenTests):
    """Start IsolatedHiddenTests' processes before the student's kernel, so both run at once
    (grading costs the longer of the two, not their sum). Put it before SafeExecute."""

    def preprocess(self, nb, resources):
        resources[_RUNS] = _isolated_runs(nb, resources, self.timeout, self.check_timeout)
        return nb, resources


class IsolatedHiddenTests(_HiddenTests):
    """The hidden checks' verdicts from their checker process (see grader.isolation), started
    here or, earlier, by StartHiddenTests. A check that fails there takes the place of the
    kernel's error in the cell, as if the hidden block, which comes first in every test cell,
    had stopped it."""

    def preprocess(self, nb, resources):
        runs = resources.pop(_RUNS, None)
        if runs is None:
            runs = _isolated_runs(nb, resources, self.timeout, self.check_timeout)
        outcomes = {}
        for run in runs.values():
            outcomes.update(run.outcomes())
        # what each hidden check decided, as data for class reports (never scraped from feedback text)
        nb.metadata.setdefault("backprop_lab", {})[HIDDEN_RESULTS] = {
            gid: {"passed": o.ok, "mistake": o.mistake} for gid, o in outcomes.items()}
        for cell in nb.cells:
            gid = _meta(cell).get("grade_id")
            outcome = outcomes.get(gid)
            if outcome is None or outcome.ok:
                continue
            kept = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
            cell["outputs"] = kept + [_error("CheckFailed", outcome.message)]
            self.log.info("%s: hidden test failed", gid)
        return nb, resources


class RepairCellMetadata(NbGraderPreprocessor):
    """Every cell's nbgrader metadata as the gradebook has it. A cell whose grade_id the
    gradebook knows gets the flags it was released with (locked, solution, grade, task,
    points); any other cell, and a second cell with the same grade_id, loses its nbgrader
    metadata and is a plain cell. nbgrader's OverwriteCells then restores the source and
    type of locked and test cells. Without this, a student's edit to the flags (a test cell
    marked as an answer, a cell of their own marked read-only) stops that student's
    grading with "Inconsistent checksums" or a KeyError, and autograde exits 1. A test cell
    handed in as released gets its hidden tests back, so that only an edited cell makes
    OverwriteCells warn that its checksum changed."""

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            released = gb.find_notebook(info["notebook"], info["assignment"])
            locked = {c.name: bool(c.locked) for c in released.source_cells}
            points = {c.name: c.max_score for c in released.grade_cells}
            solutions = {c.name for c in released.solution_cells}
            tasks = {c.name: c.max_score for c in released.task_cells}
            sources = {c.name: c.source for c in released.source_cells if c.locked}
        seen: set[str] = set()
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is None:
                continue
            gid = meta.get("grade_id") if isinstance(meta, dict) else None
            if gid not in locked or gid in seen:
                self.log.warning("cell %d: nbgrader metadata %r is not in the release; the cell is plain", index, meta)
                del cell.metadata["nbgrader"]
                continue
            seen.add(gid)
            repaired = {"grade": gid in points, "grade_id": gid, "locked": locked[gid], "schema_version": SCHEMA_VERSION,
                        "solution": gid in solutions, "task": gid in tasks}
            if gid in points or gid in tasks:
                repaired["points"] = points.get(gid, tasks.get(gid))
            if {k: meta.get(k) for k in repaired} != repaired:
                self.log.warning("cell %s: nbgrader metadata edited (%r); put back as released", gid, meta)
            cell.metadata["nbgrader"] = repaired
            if gid in sources:
                self._put_back_hidden_tests(cell, sources[gid], resources, index)
        return nb, resources

    def _put_back_hidden_tests(self, cell, released_source, resources, index) -> None:
        """A read-only cell exactly as released gets its hidden tests back, so nbgrader's
        OverwriteCells finds it unchanged. Works around nbgrader#1961: the gradebook keeps a test
        cell's checksum with the hidden tests, the release has them removed, so OverwriteCells
        warns "Attribute 'checksum' for cell test_... has changed!" for every untouched test
        cell. A cell whose source differs from the release is left alone: that warning then
        means what it says (the student edited the cell; nbgrader grades the original)."""
        as_released = NotebookNode(cell_type=cell.cell_type, source=released_source, metadata=cell.metadata)
        ClearHiddenTests(parent=self).preprocess_cell(as_released, resources, index)
        if cell.source == as_released.source != released_source:
            cell.source = released_source


class LimitOutputSize(LimitOutput):
    """nbgrader's LimitOutput (at most `max_lines` lines of printed output per cell, `max_traceback`
    lines of a traceback), and what it leaves uncapped: any text over `max_chars` characters (a
    single enormous line, an error message, a rich output's text) is cut, and any other output
    over `max_bytes` (a huge image) is dropped. It replaces LimitOutput in the autograde list."""

    max_chars = Integer(20_000, help="maximum characters of one text output").tag(config=True)
    max_bytes = Integer(2_000_000, help="maximum size of one non-text output").tag(config=True)

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        return text[: self.max_chars] + f"\n... [{len(text) - self.max_chars} more characters cut by the grader]\n"

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = self._cut(output.get("text", ""))
            elif output.get("output_type") == "error":
                output["evalue"] = self._cut(output.get("evalue", ""))
                output["traceback"] = [self._cut(line) for line in output.get("traceback", [])]
            else:
                data = output.get("data", {})
                for mime in list(data):
                    value = data[mime]
                    size = len(value) if isinstance(value, str) else len(str(value))
                    if mime.startswith("text/") and isinstance(value, str):
                        data[mime] = self._cut(value)
                    elif size > self.max_bytes:
                        data[mime] = "" if mime != "text/plain" else "[output too large, removed by the grader]"
                        data["text/plain"] = f"[{mime} output of {size} bytes removed by the grader]"
        return cell, resources


class ScrubPaths(NbGraderPreprocessor):
    """Replace absolute paths of the instructor's machine in outputs with short placeholders."""

    def preprocess(self, nb, resources):
        here = resources.get("metadata", {}).get("path") or os.getcwd()
        course_root = Path(here).resolve().parents[1] if len(Path(here).resolve().parents) > 1 else ROOT
        replacements = sorted({
            (str(ROOT), "<course>"), (str(course_root), "<course>"), (str(Path(here).resolve()), "."),
            (str(Path(sys.prefix)), "<python>"),
            (str(Path(sys.base_prefix)), "<python>"), (os.path.expanduser("~"), "<home>"),
        }, key=lambda pair: -len(pair[0]))
        replacements = [(old, new) for old, new in replacements if len(old) > 1]

        def scrub(text):
            for old, new in replacements:
                text = text.replace(old, new)
            return text

        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if "text" in output:
                    output["text"] = scrub(output["text"])
                if "evalue" in output:
                    output["evalue"] = scrub(output["evalue"])
                if "traceback" in output:
                    output["traceback"] = [scrub(line) for line in output["traceback"]]
                for mime, value in output.get("data", {}).items():
                    if mime.startswith("text/") and isinstance(value, str):
                        output["data"][mime] = scrub(value)
        return nb, resources


class FeedbackWithoutHiddenTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests for generate_feedback, on test cells only.

    * Hidden tests live in test cells (restored from the gradebook at autograde). A student's
      own cell that merely contains the text "### BEGIN HIDDEN TESTS" (an answer, a note) is
      the student's text: ClearHiddenTests would raise on it ("Hidden test region detected in
      a non-grade cell", or "No end hidden tests statement found") and stop that student's
      feedback. It is left as written.
    * Quiet: the feedback's HTML exporter configures `display_data_priority` for every nbconvert
      preprocessor; nbgrader's preprocessors redeclare that trait as not configurable, so
      ClearHiddenTests logs "Config option `display_data_priority` not recognized" on every
      run. Declared configurable here, as nbgrader's own GetGrades does; the value is unused."""

    display_data_priority = List().tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        meta = _meta(cell)
        if not meta.get("grade") or meta.get("solution"):
            return cell, resources
        return super().preprocess_cell(cell, resources, index)
