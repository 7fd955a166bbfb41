"""Hidden tests, decided in a process that never runs a line a student wrote.

During autograde a student's code shares the kernel with the visible tests, so it could patch
numpy's comparisons, `course`'s checks or plant a fake `grader` module. The score of a hidden
test is therefore decided elsewhere (the kernel runs only the visible part of each test cell;
see grader.nbgrader_plugin), by two processes:

* the **checker** (`python -m grader.isolation`, started by `IsolatedRun`): imports the grader
  module the test cells name and runs their `hidden.check_...(...)` calls. It never executes
  student code, so nothing a student writes can reach its numpy, its expected values, its
  frames, its threads or its report;
* the **student's process** (course.channel.Student, started by the checker in a session of its
  own, inside the bubblewrap sandbox when the isolated recipe runs): runs the notebook's setup
  cells and the student's answer cells (nothing else: demo and scratch cells never run), then
  answers the checker's requests. The checks call the student's functions through
  course.channel, which carries plain data only.

Each check has a time limit (the student's whole process group is killed when it is over, and
started again for the next check), and all of a notebook's checks share an overall one; a check
that runs out of time, or whose student process ends, fails with a message that says so, and
the report of every other check still arrives. The parent reads one line of JSON that carries a
random token from the checker's own output, which no student process can write to.
What this does not defend is written in docs/THREAT_MODEL.md.
"""
from __future__ import annotations

import ast
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import sandbox

ROOT = Path(__file__).resolve().parents[1]
CHECK_SECONDS = 60.0            # one `hidden.check_...(...)` call, the student's process included
# Grading processes (the student's kernel, the checker, the student's process) compute on small
# arrays: one BLAS thread each. OpenBLAS otherwise starts a thread per core at `import numpy`,
# which costs each process ~0.07 s of CPU and, when a class is graded in parallel, makes every
# kernel compete with the others for the cores. A value the instructor set is kept.
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def grading_env() -> dict:
    """This process's environment with one BLAS thread unless it says otherwise."""
    env = dict(os.environ)
    for name, value in ONE_BLAS_THREAD.items():
        env.setdefault(name, value)
    return env


@dataclass
class Outcome:
    ok: bool
    message: str = ""
    mistake: str | None = None    # the catalog key the failed check named (course.mistakes), or what stopped it


def _split(source: str) -> tuple[list[str], list[str]]:
    """A test cell's lines (ends kept): (inside the hidden-test markers, everything else
    but the markers)."""
    hidden, visible, inside = [], [], False
    for line in source.splitlines(keepends=True):
        if "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END HIDDEN TESTS" in line:
            inside = False
        else:
            (hidden if inside else visible).append(line)
    return hidden, visible


class NotIsolable(ValueError):
    """A test cell's hidden block that the isolated process cannot run; the message says why."""


@dataclass(frozen=True)
class HiddenBlock:
    topic: str              # the grader module imported as `hidden`, e.g. "forward_pass"
    calls: tuple[str, ...]  # its `hidden.check_...(...)` calls, each as one line of Python


def _grader_import(stmt: ast.stmt) -> str | None:
    """NAME for `from grader import NAME as hidden`, also inside `try: ... except ImportError: raise ...`."""
    if isinstance(stmt, ast.Try) and len(stmt.body) == 1 and not (stmt.orelse or stmt.finalbody) \
            and all(isinstance(h.type, ast.Name) and h.type.id == "ImportError"
                    and all(isinstance(s, ast.Raise) for s in h.body) for h in stmt.handlers):
        stmt = stmt.body[0]
    if isinstance(stmt, ast.ImportFrom) and stmt.module == "grader" and not stmt.level \
            and len(stmt.names) == 1 and stmt.names[0].asname == "hidden":
        return stmt.names[0].name
    return None


def _check_call(stmt: ast.stmt) -> str | None:
    """`hidden.check_x(args)` as one line, when `stmt` is such a call and nothing else."""
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
            and isinstance(call.func.value, ast.Name) and call.func.value.id == "hidden" \
            and call.func.attr.startswith("check_"):
        if all(isinstance(a, (ast.Name, ast.Constant)) for a in [*call.args, *(k.value for k in call.keywords)]) \
                and all(k.arg for k in call.keywords):
            return ast.unparse(call)
        raise NotIsolable(f"`{ast.unparse(call)[:60]}`: the arguments of a hidden check must be names of the "
                          "notebook's functions or constants")
    return None


def hidden_block(source: str) -> HiddenBlock | None:
    """The hidden block of a test cell (between nbgrader's ### BEGIN/END HIDDEN TESTS), or None
    when the cell has none. It may hold only the import of one grader module as `hidden`
    (optionally in `try: ... except ImportError: raise ...`) and `hidden.check_...(...)` calls,
    written over as many lines and with as many comments as wanted; anything else raises
    NotIsolable, since the isolated process (the only place hidden tests run) runs just those."""
    if "BEGIN HIDDEN TESTS" not in source:
        return None
    try:
        tree = ast.parse("".join(_split(source)[0]))
    except SyntaxError as exc:
        raise NotIsolable(f"the hidden block is not valid Python (line {exc.lineno} of the block: {exc.msg})") from None
    topics, calls = [], []
    for stmt in tree.body:
        module, call = _grader_import(stmt), _check_call(stmt)
        if module:
            topics.append(module)
        elif call:
            calls.append(call)
        else:
            raise NotIsolable(f"line {stmt.lineno} of the hidden block, `{ast.unparse(stmt).splitlines()[0][:60]}`, "
                              "is neither `from grader import NAME as hidden` nor a `hidden.check_...(...)` call")
    if len(set(topics)) != 1:
        raise NotIsolable("the hidden block must import exactly one grader module as `hidden` "
                          f"(`from grader import NAME as hidden`); it imports {sorted(set(topics)) or 'none'}")
    if not calls:
        raise NotIsolable("the hidden block calls no `hidden.check_...(...)`")
    return HiddenBlock(topics[0], tuple(calls))


def hidden_calls(source: str) -> list[str]:
    """The `hidden.check_...(...)` calls of a test cell's hidden block (NotIsolable if it has others)."""
    block = hidden_block(source)
    return list(block.calls) if block else []


def topic(source: str) -> str | None:
    """The grader module a test cell's hidden block imports as `hidden`, or None without a block."""
    block = hidden_block(source)
    return block.topic if block else None


isolated_topic = topic      # a hidden block either runs isolated or is refused: there is no third way


def without_hidden_tests(source: str) -> str:
    """A test cell's source without its hidden-test block (the markers included)."""
    return "".join(_split(source)[1])


class IsolatedRun:
    """The hidden checks of one notebook, running in the checker process from the moment this is
    made (so the student's kernel can run alongside); `outcomes()` waits for them."""

    NOT_FINISHED = ("the hidden tests did not finish in the time allowed for all of them; your code kept "
                    "the grader busy (an endless loop, or far too slow)")

    def __init__(self, topic: str, setup: list[str], answers: list[str], hidden: dict[str, list[str]],
                 timeout: float = 300.0, check_timeout: float = CHECK_SECONDS, cwd: str | None = None):
        """`cwd`: the notebook's folder, where the student's process runs (default: this process's)."""
        self.hidden, self.token, self.stdout = hidden, secrets.token_hex(16), ""
        payload = json.dumps({"token": self.token, "topic": topic, "setup": setup, "answers": answers,
                              "hidden": hidden, "budget": timeout, "check": check_timeout})
        env = {k: v for k, v in grading_env().items() if not k.startswith("NBGRADER")}
        env.update(PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                                                             if p]),
                   NBGRADER_EXECUTION="autograde", PYTHONHASHSEED="0", MPLBACKEND="Agg")
        self.process = subprocess.Popen([sys.executable, "-m", "grader.isolation"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                                        cwd=cwd or os.getcwd(), start_new_session=True)
        # the checker stops itself after `timeout`; this is the backstop should it not
        self.thread = threading.Thread(target=self._talk, args=(payload, timeout + 30), daemon=True)
        self.thread.start()

    def _talk(self, payload: str, timeout: float) -> None:
        try:
            self.stdout, _ = self.process.communicate(payload, timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.stdout = (self.process.communicate()[0] or "")
        except OSError:          # the checker ended before reading its input
            self.process.wait()

    def outcomes(self) -> dict[str, Outcome]:
        """{grade_id: Outcome}, once the checker has answered, ended or run out of time."""
        self.thread.join()
        for line in reversed(self.stdout.splitlines()):
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("token") == self.token:
                return {gid: Outcome(bool(r[0]), str(r[1]), r[2] if len(r) > 2 and isinstance(r[2], str) else None)
                        for gid, r in message["results"].items()}
        return {gid: Outcome(False, self.NOT_FINISHED, "grading_time_used_up") for gid in self.hidden}


def run_isolated(topic: str, setup: list[str], answers: list[str], hidden: dict[str, list[str]],
                 timeout: float = 300.0, check_timeout: float = CHECK_SECONDS) -> dict[str, Outcome]:
    """Run the hidden checks of one notebook in the checker process; {grade_id: Outcome}."""
    return IsolatedRun(topic, setup, answers, hidden, timeout, check_timeout).outcomes()


# --- the checker ---------------------------------------------------------------------------

def _arguments(line: str, student) -> tuple[str, list, dict]:
    """`hidden.check_x(a, b, k=c)`: ("check_x", [a, b], {"k": c}), each name a reference to
    what the student's cells bound to it (a NameError when they bound nothing)."""
    call = ast.parse(line, mode="eval").body

    def value(node):
        return node.value if isinstance(node, ast.Constant) else student.lookup(node.id)
    return call.func.attr, [value(a) for a in call.args], {k.arg: value(k.value) for k in call.keywords}


def _verdict(hidden, student, line: str, seconds: float) -> tuple[bool, str, str | None]:
    """One hidden check: (passed, message, mistake). `mistake` is the catalog key the check named,
    or one of not_defined, check_timeout, process_ended, check_error when something stopped it."""
    from course.channel import StudentGone, StudentTimeout
    from course.checks import CheckFailed
    student.deadline = time.monotonic() + seconds
    try:
        name, args, kwargs = _arguments(line, student)
        getattr(hidden, name)(*args, **kwargs)
        return True, "", None
    except CheckFailed as failure:
        return False, str(failure), failure.mistake
    except NameError as missing:
        return False, f"{missing}: {student.NOT_DEFINED}", "not_defined"
    except StudentTimeout:
        return False, student.unusable or (f"the check ran out of time ({seconds:.0f} s): an endless loop, or far "
                                           "too slow; the process running your code was stopped"), "check_timeout"
    except StudentGone:
        return False, student.unusable or ("your code ended the process that runs it (os._exit, exit(), a crash or "
                                           "running out of memory) during this check"), "process_ended"
    except Exception as exc:  # a reply the check could not use (odd types) or the check's own error
        return False, f"the check could not run your code: {type(exc).__name__}: {str(exc)[:300]}", "check_error"
    finally:
        student.deadline = None


def _child() -> None:
    import importlib
    import io

    from course.channel import Student

    payload = json.loads(sys.stdin.read())
    token = payload.pop("token")
    report = os.fdopen(os.dup(1), "w")          # not inherited by the student's process
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = sys.stderr = io.StringIO()
    hidden = importlib.import_module(f"grader.{payload['topic']}")
    end = time.monotonic() + float(payload.get("budget", 300.0))

    prefix: list[str] = []
    if os.environ.get(sandbox.ENV_SANDBOX) == "1":          # the isolated-autograde recipe
        hide = sandbox.hidden_roots()
        # the notebook's folder (this process's) stays readable: the setup cell imports from it
        prefix = sandbox.command(hide=hide, grader=False, readable=[os.getcwd()])
    results: dict[str, tuple[bool, str, str | None]] = {}
    with Student(payload["setup"], payload["answers"], prefix=prefix) as student:
        for gid, calls in payload["hidden"].items():
            outcome = (True, "", None)
            for line in calls:
                left = end - time.monotonic()
                if left <= 1:
                    outcome = (False, IsolatedRun.NOT_FINISHED, "grading_time_used_up")
                    break
                seconds = min(float(payload.get("check", CHECK_SECONDS)), left)
                outcome = _verdict(hidden, student, line, seconds)
                if not outcome[0]:
                    break
            results[gid] = outcome
    report.write(json.dumps({"token": token, "results": results}) + "\n")
    report.flush()


if __name__ == "__main__":
    _child()
