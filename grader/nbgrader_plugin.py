"""nbgrader preprocessors that make autograde robust against bad or hostile submissions.
nbgrader_config.py puts them into `Autograde.autograde_preprocessors`:

    SafeExecute           runs the notebook like nbgrader's Execute, but a kernel that dies
                          (os._exit, exit(), a crash) no longer aborts the student's grading:
                          the cells that did not run are marked as errors, and grading goes on.
    IsolatedHiddenTests   re-runs every hidden test outside the student's kernel
                          (grader.isolation); a test cell passes only if it passed in the
                          kernel AND in isolation.
    LimitOutputSize       caps the size of every output, so huge prints cannot bloat the
                          gradebook or the feedback.
    ScrubPaths            replaces the instructor's absolute paths in outputs with placeholders.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer

from .isolation import hidden_calls, run_isolated

ROOT = Path(__file__).resolve().parents[1]


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


class SafeExecute(Execute):
    """nbgrader's Execute, surviving a kernel that dies mid-notebook."""

    def preprocess(self, nb, resources, km=None):
        try:
            return super().preprocess(nb, resources, km=km)
        except RuntimeError as exc:   # nbclient's DeadKernelError and kernel start-up failures
            self.log.warning("The kernel stopped during execution (%s); unrun cells are marked as errors.", exc)
            for cell in nb.cells:
                if cell.cell_type == "code" and cell.get("execution_count") is None and not cell.get("outputs"):
                    cell.setdefault("outputs", []).append(_error(
                        "KernelDied", "the kernel stopped before this cell ran (os._exit, exit() or a crash in an "
                                      "earlier cell); it earns no points"))
            return nb, resources


class IsolatedHiddenTests(NbGraderPreprocessor):
    """Decide every hidden test again in a fresh process (see grader.isolation)."""

    timeout = Integer(300, help="Seconds for all hidden tests of one notebook.").tag(config=True)

    def preprocess(self, nb, resources):
        setup = [c.source for c in nb.cells if c.cell_type == "code" and _meta(c).get("locked")
                 and not _meta(c).get("grade") and not _meta(c).get("solution")]
        answers = [c.source for c in nb.cells if c.cell_type == "code" and _meta(c).get("solution")]
        hidden, topic = {}, None
        for cell in nb.cells:
            if cell.cell_type == "code" and _meta(cell).get("grade"):
                calls = hidden_calls(cell.source)
                if calls:
                    hidden[_meta(cell)["grade_id"]] = calls
                    found = re.search(r"from grader import (\w+) as hidden", cell.source)
                    topic = topic or (found.group(1) if found else None)
        if not hidden or topic is None:
            return nb, resources
        outcomes = run_isolated(topic, setup, answers, hidden, timeout=self.timeout)
        for cell in nb.cells:
            gid = _meta(cell).get("grade_id")
            outcome = outcomes.get(gid)
            if outcome is None or outcome.ok:
                continue
            already = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            if not already:
                cell.setdefault("outputs", []).append(_error("CheckFailed", outcome.message))
                self.log.info("%s: hidden test failed in isolation", gid)
        return nb, resources


class LimitOutputSize(NbGraderPreprocessor):
    """Truncate any text output over `max_chars` and drop any other output over `max_bytes`."""

    max_chars = Integer(20_000).tag(config=True)
    max_bytes = Integer(2_000_000).tag(config=True)

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        return text[: self.max_chars] + f"\n... [{len(text) - self.max_chars} more characters cut by the grader]\n"

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = self._cut(output.get("text", ""))
            elif output.get("output_type") == "error":
                output["evalue"] = self._cut(output.get("evalue", ""))
                output["traceback"] = [self._cut(line) for line in output.get("traceback", [])[:50]]
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
