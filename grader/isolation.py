"""Hidden tests, re-run outside the student's kernel.

During autograde a student's code shares the kernel with the hidden tests, so it could
patch numpy's comparisons, `course`'s checks or plant a fake `grader` module. The score of
a hidden test is therefore decided here, in a fresh Python process (the kernel runs only
the visible part of each test cell; see grader.nbgrader_plugin):

1. import numpy, `course` and `grader` first, and take a snapshot of their namespaces
   (every numpy module's, every attribute's identity, every function's code and defaults);
2. run the notebook's locked setup cell, then the student's answer cells (nothing else the
   student wrote: demo and scratch cells never run here);
3. run each test cell's hidden checks (its `hidden.check_...(...)` calls) against the freshly
   imported grader, with a time limit, while a profiler watches that the student's
   functions never call the reference implementation of an exercise of this notebook;
4. after the answer cells and after every check, compare the snapshot: a student who
   changed numpy, `course` or `grader` fails every hidden test.

The parent (`run_isolated`) reads one line of JSON that carries a random token; anything
else on the child's output is ignored. `python -m grader.isolation` is the child.
What this does not defend is written in docs/THREAT_MODEL.md.
"""
from __future__ import annotations

import ast
import json
import os
import re
import secrets
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from . import sandbox

ROOT = Path(__file__).resolve().parents[1]
TAMPERED = ("your code changed numpy, the course package or the grader while it ran; "
            "submissions must not modify library code")


@dataclass
class Outcome:
    ok: bool
    message: str = ""


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
        return ast.unparse(call)
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
    """The hidden checks of one notebook, running in a fresh process from the moment this is
    made (so the student's kernel can run alongside); `outcomes()` waits for them."""

    NOT_FINISHED = ("the hidden tests did not finish: the submission's code ended or blocked the grading process "
                    "(os._exit, an endless loop, or running out of memory)")

    def __init__(self, topic: str, setup: list[str], answers: list[str], hidden: dict[str, list[str]],
                 timeout: float = 300.0):
        self.hidden, self.token, self.stdout = hidden, secrets.token_hex(16), ""
        payload = json.dumps({"token": self.token, "topic": topic, "setup": setup, "answers": answers,
                              "hidden": hidden})
        env = {k: v for k, v in os.environ.items() if not k.startswith("NBGRADER")}
        env.update(PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                                                             if p]),
                   NBGRADER_EXECUTION="autograde", PYTHONHASHSEED="0", MPLBACKEND="Agg")
        cmd = [sys.executable, "-m", "grader.isolation"]
        if os.environ.get(sandbox.ENV_SANDBOX) == "1":          # the isolated-autograde recipe
            hide = [os.environ[sandbox.ENV_COURSE_ROOT]] if os.environ.get(sandbox.ENV_COURSE_ROOT) else []
            cmd = sandbox.command(hide=hide) + cmd
        self.process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True, env=env, cwd=os.getcwd())
        self.thread = threading.Thread(target=self._talk, args=(payload, timeout), daemon=True)
        self.thread.start()

    def _talk(self, payload: str, timeout: float) -> None:
        try:
            self.stdout, _ = self.process.communicate(payload, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
        except OSError:          # the child ended before reading its input
            self.process.wait()

    def outcomes(self) -> dict[str, Outcome]:
        """{grade_id: Outcome}, once the process has answered, ended or run out of time."""
        self.thread.join()
        for line in reversed(self.stdout.splitlines()):
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("token") == self.token:
                return {gid: Outcome(bool(r[0]), str(r[1])) for gid, r in message["results"].items()}
        return {gid: Outcome(False, self.NOT_FINISHED) for gid in self.hidden}


def run_isolated(topic: str, setup: list[str], answers: list[str], hidden: dict[str, list[str]],
                 timeout: float = 300.0) -> dict[str, Outcome]:
    """Run the hidden checks of one notebook in a fresh process; {grade_id: Outcome}."""
    return IsolatedRun(topic, setup, answers, hidden, timeout).outcomes()


# --- the child ---------------------------------------------------------------------------

def _snapshot(modules) -> dict:
    """Every attribute of the given modules (the object itself, and for a function also its
    code and defaults), keyed by (module name, attribute name)."""
    shot = {}
    for module in modules:
        for name, value in list(vars(module).items()):
            entry = [value]
            if getattr(value, "__code__", None) is not None:
                entry += [value.__code__, value.__defaults__, value.__kwdefaults__]
            shot[(module.__name__, name)] = (module, tuple(entry))
    return shot


def _changed(before: dict) -> list[str]:
    """What differs from the snapshot; every difference is put back, so the grader can go on."""
    changed = []
    for (module_name, name), (module, entry) in before.items():
        value = vars(module).get(name, _changed)
        now = [value] + ([value.__code__, value.__defaults__, value.__kwdefaults__]
                         if value is not _changed and getattr(value, "__code__", None) is not None else [])
        if len(now) != len(entry) or any(a is not b for a, b in zip(now, entry)):
            changed.append(f"{module_name}.{name}")
            vars(module)[name] = entry[0]
            if len(entry) > 1:
                entry[0].__code__, entry[0].__defaults__, entry[0].__kwdefaults__ = entry[1:]
    return sorted(changed)


# The grading machinery itself: never loaded in the child.
NOT_CHECKED = ("grader.isolation", "grader.nbgrader_plugin", "grader.sandbox")
IPYTHON_SYNTAX = re.compile(r"^\s*(%|!)", re.M)       # magics and shell escapes (`%matplotlib inline`)


def _python(source: str) -> str:
    """A cell's source as plain Python: IPython's magics and shell escapes become calls to
    `get_ipython()` (which the child provides), as the kernel would turn them."""
    if not IPYTHON_SYNTAX.search(source):
        return source
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(source)


class _Shell:
    """`get_ipython()` in the child: line magics and shell commands do nothing (no score
    depends on them); the body of a timing or capturing cell magic runs as plain code."""

    RUN_BODY = {"time", "timeit", "capture", "prun"}

    def __init__(self, namespace: dict):
        self.namespace = namespace

    def run_cell_magic(self, name, _line, body):
        if name in self.RUN_BODY:
            exec(compile(_python(body), "<your answer cell>", "exec"), self.namespace)

    def run_line_magic(self, *_args, **_kwargs):
        return None

    def system(self, *_args, **_kwargs):
        return None

    def getoutput(self, *_args, **_kwargs):
        return []


class _Alarm(BaseException):
    """Raised by the time limit; a BaseException so `except Exception` in student code cannot swallow it."""


def _child() -> None:
    import builtins
    import importlib
    import io
    import pkgutil
    import signal

    payload = json.loads(sys.stdin.read())
    token = payload.pop("token")
    report = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = sys.stderr = io.StringIO()

    # loaded before any student code, so the snapshot below covers them (course.plots and
    # course.widgets import matplotlib and ipywidgets only when they draw)
    import numpy  # noqa: F401
    import numpy.linalg  # noqa: F401
    import numpy.random  # noqa: F401
    import numpy.testing  # noqa: F401
    import course
    import grader
    for package in (course, grader):
        for info in pkgutil.iter_modules(package.__path__):
            if f"{package.__name__}.{info.name}" not in NOT_CHECKED:
                importlib.import_module(f"{package.__name__}.{info.name}")
    hidden = importlib.import_module(f"grader.{payload['topic']}")
    from course import checks
    from grader import solutions
    solutions.as_released()      # the setup cell's `from forward_pass import ...`: the grader's own modules

    forbidden: dict = {}
    checks.STUDENT_CALL_GUARD = _reference_guard(forbidden)   # before the snapshot: part of what is guarded
    ours = [m for name, m in sorted(sys.modules.items())
            if m is not None and (name.split(".")[0] in ("course", "grader"))]
    guarded = ours + [m for name, m in sorted(sys.modules.items())   # every numpy module loaded: the
                      if m is not None and (name == "builtins" or name.split(".")[0] == "numpy")]  # checks use them
    before = _snapshot(guarded)

    def alarm(_signum, _frame):
        raise _Alarm()
    signal.signal(signal.SIGALRM, alarm)

    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    namespace["get_ipython"] = lambda: _Shell(namespace)
    answer_names: set[str] = set()
    for kind, sources in (("setup", payload["setup"]), ("answers", payload["answers"])):
        for source in sources:
            known = set(namespace)
            signal.alarm(20)
            try:
                exec(compile(_python(source), "<your answer cell>", "exec"), namespace)
            except BaseException:  # a broken cell: the checks of its exercise will say what is missing
                pass
            finally:
                signal.alarm(0)
            if kind == "answers":
                answer_names |= set(namespace) - known
    # The student's functions must not run the course's or the grader's version of any
    # exercise of this notebook (a function of the same name there).
    for module in ours:
        for name in answer_names:
            code = getattr(getattr(module, name, None), "__code__", None)
            if code is not None:
                forbidden[code] = name

    results: dict[str, tuple[bool, str]] = {}
    tampered = _changed(before)
    for gid, calls in payload["hidden"].items():
        if tampered:
            results[gid] = (False, f"{TAMPERED} (changed: {', '.join(tampered[:5])})")
            continue
        outcome = (True, "")
        for line in calls:
            signal.alarm(60)
            try:
                eval(line, {**namespace, "hidden": hidden})     # hidden: the grader module imported above
            except checks.CheckFailed as failure:
                outcome = (False, str(failure))
            except NameError as missing:
                outcome = (False, f"{missing}: the function is not defined (did its answer cell run without errors?)")
            except _Alarm:
                outcome = (False, "the check ran out of time (60 s): an endless loop, or far too slow")
            except BaseException as exc:  # SystemExit, KeyboardInterrupt, anything the student's code raises
                outcome = (False, f"the check could not run your code: {type(exc).__name__}: {str(exc)[:300]}")
            finally:
                signal.alarm(0)
            if not outcome[0]:
                break
        tampered = tampered or _changed(before)
        results[gid] = (False, f"{TAMPERED} (changed: {', '.join(tampered[:5])})") if tampered else outcome
    report.write(json.dumps({"token": token, "results": results}) + "\n")
    report.flush()


def _reference_guard(forbidden: dict):
    """A guard for course.checks.call: records each reference implementation (code object in
    `forbidden`) that runs while the student's function runs, unless the check itself passed
    that function in as an argument (e.g. activation=relu). A profiler switched off by the
    student's code counts as a hit too."""
    from contextlib import contextmanager

    @contextmanager
    def guard(args, kwargs):
        allowed = {getattr(a, "__code__", None) for a in (*args, *kwargs.values())}
        hits: list[str] = []

        def profile(frame, event, _arg):
            if event == "call":
                name = forbidden.get(frame.f_code)
                if name is not None and frame.f_code not in allowed:
                    hits.append(name)
        previous, previous_threads = sys.getprofile(), threading.getprofile()
        sys.setprofile(profile)
        threading.setprofile(profile)          # threads the student's function starts, too
        try:
            yield hits
        finally:
            if sys.getprofile() is not profile or threading.getprofile() is not profile:
                hits.append("(the profiler was switched off)")
            sys.setprofile(previous)
            threading.setprofile(previous_threads)
    return guard


if __name__ == "__main__":
    _child()
