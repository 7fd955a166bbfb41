"""Checks that compare a student's answer with the expected one, and say why it differs.

Every visible test in the notebooks and every hidden test in `grader` goes through
this module, so a wrong answer always gets the same kind of report:

    what was checked, expected vs got (shape, dtype, max error, a few values),
    and, when the answer equals a known wrong variant, the mistake's name and a hint.

The mechanism: a check receives the expected answer and a list of *variants*,
pairs ``(mistake_key, wrong_answer)``. If the student's answer is not close to the
expected one but is close to a variant, the report names that mistake
(`course.mistakes.CATALOG`). A handful of generic variants (transposed, wrong sign,
factor 2 or ½, times or over n) are tried on every check after the specific ones.

    >>> check_array(np.array([1.0, 2.0]), [1.0, 2.0], what="f(x)")   # passes silently
"""
from __future__ import annotations

import copy
import inspect
import linecache
import sys
import traceback
import warnings
from collections import Counter
from pathlib import Path
from types import TracebackType
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from . import diagnose
from .diagnose import catalog_on
from .mistakes import CATALOG

Variant = tuple[str, Any]  # (mistake key, the answer that mistake produces)

NO_GRADER = (
    "This is a hidden test: it runs when your instructor grades the notebook, with the "
    "instructor's `grader` package, which is not on your machine. The visible tests above "
    "are the ones you can run."
)


COURSE = Path(__file__).resolve().parent
NOT_WRITTEN = ("is not written yet: replace `raise NotImplementedError()` in its cell with your code, "
               "run that cell, then this one.")


def _ours(filename: str) -> bool:
    """Whether a traceback frame's file belongs to the course package (not to the student)."""
    try:
        return Path(filename).resolve().is_relative_to(COURSE)
    except (OSError, ValueError):
        return False


LIBRARIES = tuple({Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


def _students(filename: str) -> bool:
    """Whether a frame's file is the student's (a notebook cell, their own module): neither
    the course package nor an installed library or the standard library."""
    if _ours(filename):
        return False
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return True
    return not any(path.is_relative_to(prefix) for prefix in LIBRARIES)


def _cell_line(tb: TracebackType | None) -> str | None:
    """The innermost line of a traceback that is not the course's own code: the line of the
    student's notebook cell that ran the failed check, as `----> 12 check_array(...)`."""
    found = None
    for frame, lineno in traceback.walk_tb(tb):
        if not _ours(frame.f_code.co_filename):
            found = (frame.f_code.co_filename, lineno)
    if found is None:
        return None
    text = linecache.getline(*found).strip()
    return f"----> {found[1]} {text}" if text else None


class CheckFailed(AssertionError):
    """A failed check. `mistake` is the catalog key it matched, or None.

    In a notebook it shows as its message (what was checked, expected vs got, the likely
    mistake and a hint) after the one line of the cell that failed: not as a traceback
    through this module. IPython asks an exception for that rendering through
    `_render_traceback_` (documented in "Integrating your objects with IPython"). When the
    check failed because the student's own code raised, that exception's traceback follows
    in full, without this module's frames.
    """

    def __init__(self, message: str, mistake: str | None = None):
        super().__init__(message)
        self.mistake = mistake

    def _render_traceback_(self) -> list[str]:
        lines = []
        where = _cell_line(self.__traceback__)
        if where is not None:
            lines.append(where)
        lines.append(f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}")
        cause = self.__cause__
        if cause is not None and not isinstance(cause, NotImplementedError):
            frames = [f for f in traceback.extract_tb(cause.__traceback__) if not _ours(f.filename)]
            if frames:
                lines.append("Your code raised it here:")
                lines += [line.rstrip("\n") for line in traceback.format_list(frames)]
                lines += [line.rstrip("\n") for line in traceback.format_exception_only(cause)]
        return lines


class NotWrittenYet(CheckFailed):
    """An exercise still raises the `NotImplementedError()` the student is asked to replace.
    Shows as one line naming the function."""

    def __init__(self, function: str, what: str | None = None):
        prefix = f"{what}: " if what else ""
        super().__init__(f"{prefix}`{function}` {NOT_WRITTEN}", mistake=None)
        self.function = function

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


def unwritten(exc: BaseException) -> str | None:
    """The name of the unfinished exercise behind `exc`, or None: the function whose own
    code raised a NotImplementedError (the innermost frame, outside this package)."""
    if isinstance(exc, NotWrittenYet):
        return exc.function
    if not isinstance(exc, NotImplementedError):
        return None
    frames = [f for f, _ in traceback.walk_tb(exc.__traceback__)]
    if not frames or _ours(frames[-1].f_code.co_filename) or frames[-1].f_code.co_name == "<module>":
        return None
    return frames[-1].f_code.co_name


def run(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)` in a test cell: when an exercise it needs is not written yet,
    a one-line NotWrittenYet that names it; anything else it raises keeps its traceback
    (without this frame: IPython hides frames that set `__tracebackhide__`). A call that
    changes an array argument in place fails as `call`'s does (mistake `mutates_input`):
    the hidden checks call every exercise through `call`, so a visible test that let it
    pass would promise points the grading then takes away."""
    __tracebackhide__ = True  # noqa: F841 - read by IPython from the frame
    try:
        before = _snapshot(args, kwargs, fn)
    except Exception:  # noqa: BLE001 - an argument that cannot be copied is not compared
        before = None
    try:
        result = fn(*args, **kwargs)
    except NotImplementedError as exc:
        name = unwritten(exc)
        if name is None:
            raise
        raise NotWrittenYet(name) from None
    if before is not None:
        _unchanged(f"{getattr(fn, '__name__', 'your function')}(...)", before, [*args, *kwargs.values()])
    return result


def _within(frame, cell) -> bool:
    """Whether `frame` is the cell's own code: the cell's frame, or a comprehension, generator
    expression or lambda written in it (they run in frames of their own), not a function."""
    while frame is not None and frame is not cell:
        if not frame.f_code.co_name.startswith("<"):       # <listcomp>, <genexpr>, <lambda>, ...
            return False
        frame = frame.f_back
    return frame is cell


class using_your_code:
    """For a demonstration cell that runs the student's functions:

        with using_your_code():
            widgets.neuron_explorer(sigmoid)

    While an exercise it needs is not written, the cell prints one line saying which, and
    stops there, instead of failing with a traceback (so "Run All" goes on to the end). The
    same for a name, used in the cell itself, that an earlier such cell would have made. An
    error inside the student's own code prints one line too (what it raised, in which of
    their functions): the test cell of that function shows the whole traceback. An error of
    the cell's own code shows as usual.
    """

    def __enter__(self) -> "using_your_code":
        self.cell = inspect.currentframe().f_back      # the frame of the cell's own code
        return self

    def __exit__(self, etype, exc, tb) -> bool:
        if exc is None:
            return False
        name = unwritten(exc)
        if name is not None:
            print(f"This cell runs your `{name}`, which is not written yet: finish that exercise, "
                  "then run this cell again.")
            return True
        frames = [(frame, lineno) for frame, lineno in traceback.walk_tb(tb) if _students(frame.f_code.co_filename)]
        if not isinstance(exc, Exception) or not frames:
            return False
        innermost, lineno = frames[-1]
        cell, self.cell = self.cell, None
        if _within(innermost, cell):                          # the cell's own code
            if isinstance(exc, NameError) and getattr(exc, "name", None):
                print(f"This cell needs `{exc.name}`, which a cell above makes once its exercises are "
                      "written: finish them, run the cells above, then this one.")
                return True
            return False
        text = str(exc).splitlines()[0][:200] if str(exc) else ""
        print(f"This cell runs your `{innermost.f_code.co_name}`, which raised {type(exc).__name__}"
              f"{': ' + text if text else ''} (line {lineno} of its cell): its test shows the whole "
              "traceback; fix it, then run this cell again.")
        return True


# --- formatting ------------------------------------------------------------------

def _fmt_values(a: np.ndarray, k: int = 6) -> str:
    flat = np.asarray(a).ravel()
    shown = np.array2string(flat[:k], precision=6, separator=", ", suppress_small=False,
                            max_line_width=200)
    return shown[:-1] + ", ...]" if flat.size > k else shown


def _describe(a: Any) -> str:
    if isinstance(a, np.ndarray):
        return f"shape {a.shape}, dtype {a.dtype}"
    return f"{type(a).__name__}"


def _fail(what: str, problem: str, lines: Iterable[str] = (), mistake: str | None = None):
    if not catalog_on():
        mistake = None
    text = [f"{what}: {problem}"]
    text += [f"  {line}" for line in lines]
    if mistake is not None and mistake in CATALOG:
        m = CATALOG[mistake]
        text.append(f"Likely mistake: {m.title}.")
        text.append(f"Hint: {m.hint}")
    raise CheckFailed("\n".join(text), mistake)


# --- matching a wrong answer against known mistakes --------------------------------

def _close(a: np.ndarray, b: Any, rtol: float, atol: float) -> bool:
    try:
        b = np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    if a.shape != b.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def generic_variants(expected: np.ndarray, n: int | None = None) -> list[Variant]:
    """Wrong answers any exercise can produce, derived from the expected one."""
    out: list[Variant] = []
    if expected.ndim == 2 and expected.shape[0] != expected.shape[1]:
        out.append(("transposed", expected.T))
    out += [("wrong_sign", -expected), ("factor_two", 2 * expected), ("half", expected / 2)]
    if n is not None and n > 2:
        out += [("missing_mean", expected * n), ("extra_mean", expected / n)]
    return out


def match_mistake(got: np.ndarray, expected: np.ndarray, variants: Iterable[Variant] = (),
                  *, n: int | None = None, rtol: float = 1e-6, atol: float = 1e-9) -> str | None:
    """The key of the first variant `got` equals (exercise-specific ones first), or None
    (always None while the catalog is switched off: course.diagnose.catalog_on)."""
    if not catalog_on():
        return None
    for key, wrong in [*variants, *generic_variants(expected, n)]:
        if callable(wrong):
            try:
                wrong = wrong()
            except Exception:  # a variant that cannot be formed for these inputs
                continue
        if _close(got, wrong, rtol, atol):
            return key
    return None


# --- the checks ------------------------------------------------------------------

def as_answer(got: Any, what: str) -> np.ndarray:
    """`got` as a numeric ndarray, or a CheckFailed that says what it was instead."""
    if got is None:
        _fail(what, "got None.", mistake="returned_none")
    try:
        arr = np.asarray(got)
    except Exception:
        arr = None
    if arr is None or arr.dtype == object or arr.dtype.kind not in "biuf":
        _fail(what, f"expected a numeric NumPy array, got {type(got).__name__}.",
              [f"got: {str(got)[:200]}"], mistake="not_an_array")
    return arr


def check_array(got: Any, expected: Any, *, what: str, variants: Iterable[Variant] = (),
                n: int | None = None, rtol: float = 1e-6, atol: float = 1e-9,
                nonfinite: str = "not_finite", integer: bool = False,
                context: Iterable[str] = (), inputs: Iterable[tuple[str, Any]] = (),
                sizes: dict[str, int] | None = None) -> np.ndarray:
    """Check that `got` equals `expected` within tolerance; raise CheckFailed otherwise.

    what       what was checked, as the student would write it: "sigmoid(z), z of shape (3, 4)".
    variants   (mistake_key, wrong_answer) pairs specific to this exercise; a wrong answer may
               be a zero-argument callable, evaluated only if needed.
    n          the batch size, when "missing 1/n" and "extra 1/n" are possible mistakes.
    nonfinite  the mistake to name when got has NaN/inf where expected is finite.
    integer    the answer must have an integer dtype (not bool, not float), e.g. class labels.
    context    extra lines for the report, e.g. how the expected answer was cross-checked.
    inputs     (name, value) of the arguments, and
    sizes      named sizes ({"n": 5}), for the general analysis (course.diagnose.relation)
               that says where and how the answer differs when no variant matches.

    Returns the answer as an array, so a caller can check more of it.
    """
    try:
        sizes = dict(sizes or {}, **({"n": n} if n else {}))
        return _check_array(got, expected, what, list(variants), n, rtol, atol, nonfinite, integer,
                            list(inputs), sizes)
    except CheckFailed as failure:
        context = list(context)
        if not context:
            raise
        lines = str(failure).split("\n")
        at = next((i for i, line in enumerate(lines) if line.startswith("Likely mistake:")), len(lines))
        raise CheckFailed("\n".join(lines[:at] + [f"  {c}" for c in context] + lines[at:]),
                          failure.mistake) from None


def _found(line: str | None) -> list[str]:
    return [line] if line else []


def _check_array(got, expected, what, variants, n, rtol, atol, nonfinite, integer, inputs=(), sizes=None):
    exp = np.asarray(expected)
    if exp.dtype.kind in "biu" and not integer:
        exp = exp.astype(float)
    arr = as_answer(got, what)
    if arr.shape != exp.shape:
        key = match_mistake(arr.astype(float), exp.astype(float), variants, n=n, rtol=rtol, atol=atol)
        same = arr.size == exp.size and _close(arr.astype(float).reshape(exp.shape), exp.astype(float), rtol, atol)
        if key is None and arr.ndim == 2 and arr.shape == exp.shape[::-1] and _close(
                arr.astype(float), exp.astype(float).T, rtol, atol):
            key = "transposed"
        elif key is None and same:
            key = "flattened"        # the numbers are right (not only their count)
        found = [] if key and catalog_on() else _found(
            diagnose.relation(arr, exp, rtol=rtol, atol=atol, inputs=inputs, sizes=sizes))
        _fail(what, f"wrong shape: expected {exp.shape}, got {arr.shape}.",
              [f"expected: {_describe(exp)}", f"got:      {_describe(arr)}", *found],
              mistake=key or "wrong_shape")

    if integer and arr.dtype.kind not in "iu":
        key = None
        if arr.dtype.kind == "f" and not np.all(np.isin(arr, (0.0, 1.0))):
            key = match_mistake(arr, exp.astype(float), variants, n=n, rtol=rtol, atol=atol)
        _fail(what, f"expected integers, got dtype {arr.dtype}.",
              [f"got[:6] = {_fmt_values(arr)}"], mistake=key or "wrong_dtype")

    a = arr.astype(float)
    e = exp.astype(float)
    finite = np.isfinite(e)
    if np.any(~np.isfinite(a) & finite):
        bad = int(np.sum(~np.isfinite(a) & finite))
        found = [] if catalog_on() and nonfinite in CATALOG else _found(
            diagnose.relation(a, e, rtol=rtol, atol=atol, inputs=inputs, sizes=sizes))
        _fail(what, f"{bad} of {a.size} entries are NaN or inf where finite numbers are expected.",
              [f"expected[:6] = {_fmt_values(e)}", f"got[:6]      = {_fmt_values(a)}", *found],
              mistake=nonfinite)

    with np.errstate(all="ignore"):
        ok = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    if np.all(ok):
        return arr

    with np.errstate(all="ignore"):
        err = np.where(ok, 0.0, np.abs(a - e))
    worst = np.unravel_index(int(np.nanargmax(err)), err.shape) if err.ndim else ()
    where = f" at index {tuple(int(i) for i in worst)}" if err.ndim else ""
    lines = [
        f"expected: {_describe(exp)}    got: {_describe(arr)}",
        f"{int(np.sum(~ok))} of {a.size} entries differ; max abs error "
        f"{float(err[worst]):.3g}{where}: expected {float(e[worst]):.6g}, got {float(a[worst]):.6g}",
        f"expected[:6] = {_fmt_values(exp if integer else e)}",     # integer answers shown as integers
        f"got[:6]      = {_fmt_values(arr if integer else a)}",
    ]
    key = match_mistake(a, e, variants, n=n, rtol=rtol, atol=atol)
    if key is None:
        lines += _found(diagnose.relation(a, e, rtol=rtol, atol=atol, inputs=inputs, sizes=sizes))
    _fail(what, "wrong values.", lines, mistake=key)


def check_true(condition: bool, *, what: str, problem: str, mistake: str | None = None,
               details: Iterable[str] = ()) -> None:
    """Raise a CheckFailed reporting `problem` unless `condition` holds."""
    if not condition:
        _fail(what, problem, details, mistake=mistake)


def _positional_names(fn: Callable, count: int) -> list[str]:
    """The names of fn's first `count` positional parameters, as far as its signature tells."""
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):  # builtins and other callables without a signature
        params = []
    return [p.name for p in params[:count]]


def _snapshot(args: tuple, kwargs: dict, fn: Callable | None = None) -> list[tuple[str, Any]]:
    """Deep copies of the arguments, each named "argument i (name)" (counting from 1) or by its keyword."""
    names = _positional_names(fn, len(args)) if fn is not None else []
    named = [(f"argument {i + 1}" + (f" ({names[i]})" if i < len(names) else ""), a)
             for i, a in enumerate(args)] + [(f"argument {k}", v) for k, v in kwargs.items()]
    return [(name, copy.deepcopy(value)) for name, value in named]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and bool(
            np.array_equal(a, b, equal_nan=True))
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(
            _same(x, y) for x, y in zip(a, b))
    return True  # scalars and functions cannot be modified in place


def _unchanged(what: str, before: list[tuple[str, Any]], after: list[Any]) -> None:
    """Fail (mutates_input) when an argument, as it was after the call, differs from its snapshot."""
    if len(after) == len(before):
        for (name, old), new in zip(before, after):
            if not _same(old, new):
                _fail(what, f"{name} was changed by the call.", mistake="mutates_input")


def invoke_here(fn: Callable, args: tuple, kwargs: dict):
    """Call `fn` in this process and record what it did (course.channel.Invocation): its result
    or exception, its arguments afterwards (the same objects, changed in place or not), the
    warnings it raised. In the student's process at autograde, this is what a check's call of the
    student's function runs."""
    from .channel import Invocation, StudentGone, StudentTimeout
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn", under="ignore"):
        warnings.simplefilter("always")
        try:
            result = fn(*args, **kwargs)
        except (StudentTimeout, StudentGone):     # the student's process is gone: the check ends
            raise
        except BaseException as exc:  # noqa: B036 - a student's code may raise anything
            try:
                exc.unwritten = getattr(exc, "unwritten", None) or unwritten(exc)
            except AttributeError:  # an exception object that takes no attributes
                pass
            return Invocation(error=exc, warnings=_warning_lines(caught))
    return Invocation(result, args, kwargs, _warning_lines(caught))


def _warning_lines(caught) -> list[str]:
    """Each distinct warning once, in order, with how often it came when more than once."""
    counts = Counter(f"{w.category.__name__}: {w.message}" for w in caught)
    return [line if n == 1 else f"{line} ({n}×)" for line, n in counts.items()]


def _invoke(fn: Callable, args: tuple, kwargs: dict):
    """fn's Invocation: in the student's process when fn is a reference to it (course.channel.Remote)."""
    from .channel import Remote
    if isinstance(fn, Remote):
        return fn.invoke(args, kwargs)
    return invoke_here(fn, args, kwargs)


def call(fn: Callable, *args: Any, what: str, **kwargs: Any) -> tuple[Any, list[str]]:
    """Call a student's function and return (result, warnings it raised).

    Raises CheckFailed when the function raises (saying what it raised) or when it modifies
    any of its array arguments in place (judged from the arguments as they were after the call,
    compared here with what was passed). At autograde `fn` lives in the student's own process
    (course.channel): the call and everything it does happen there, and only data comes back.
    """
    before = _snapshot(args, kwargs, fn)
    done = _invoke(fn, args, kwargs)
    exc = done.error
    if isinstance(exc, CheckFailed):
        raise exc
    if exc is not None and not isinstance(exc, Exception):      # SystemExit, KeyboardInterrupt, ...
        _fail(what, f"your function raised {type(exc).__name__}: {str(exc)[:300]}")
    if exc is not None:
        name = getattr(exc, "unwritten", None)
        if isinstance(exc, NotImplementedError) and name is not None or isinstance(exc, NotWrittenYet):
            raise NotWrittenYet(name or getattr(fn, "__name__", "this function"), what) from None
        kind = getattr(exc, "remote_type", type(exc).__name__)
        text = str(exc)
        shapes = isinstance(exc, ValueError) and any(
            word in text for word in ("matmul", "shapes", "broadcast", "aligned"))
        scalar = isinstance(exc, (ValueError, TypeError)) and (
            "truth value of an array" in text or "only length-1 arrays" in text
            or "only 0-dimensional arrays" in text)
        try:
            _fail(what, f"your function raised {kind}: {text[:300]}",
                  mistake="shape_mismatch" if shapes else "scalar_only" if scalar else None)
        except CheckFailed as failure:
            raise failure from exc
    _unchanged(what, before, [*done.args_after, *done.kwargs_after.values()])
    return done.result, done.warnings


def check_sequence(got: Any, expected: Sequence[Any], *, what: str,
                   variants: Iterable[tuple[str, Sequence[Any]]] = (), item: str = "entry",
                   **array_options: Any) -> list[np.ndarray]:
    """Check a list of arrays entry by entry (e.g. a network's activations).

    variants  (mistake_key, wrong_list) pairs: the whole list a mistake produces. A list of
              another length is matched as a whole; one of the right length entry by entry.
    item      how to call one entry in the report: "activations" gives "activations[2]".
    """
    variants = list(variants)
    try:
        _check_sequence_shape(got, expected, what, variants)
    except CheckFailed as failure:
        line = diagnose.sequence(got, list(expected))
        if line is None or (failure.mistake not in (None, "wrong_shape", "not_an_array") and catalog_on()):
            raise
        raise with_lines(failure, [line]) from None
    try:
        return _check_sequence_entries(got, expected, what, variants, item, array_options)
    except CheckFailed as failure:
        line = diagnose.sequence(got, list(expected))
        if line is None or (failure.mistake is not None and catalog_on()):
            raise
        raise with_lines(failure, [line]) from None


def _check_sequence_shape(got, expected, what, variants):
    """The answer is a list of the expected length (naming the mistake a whole wrong list matches)."""
    if not isinstance(got, (list, tuple)):
        only_output = [k for k, wrong in variants if k.endswith("only_output")]
        _fail(what, f"expected a list of {len(expected)} arrays, got {_describe(got)}.",
              mistake="returned_none" if got is None else (
                  only_output[0] if only_output and isinstance(got, np.ndarray) else "not_an_array"))
    if len(got) != len(expected):
        key = None
        for k, wrong in variants:
            if len(wrong) == len(got) and all(
                    _close(np.asarray(g, dtype=float), w, 1e-6, 1e-9) for g, w in zip(got, wrong)):
                key = k
                break
        _fail(what, f"expected a list of {len(expected)} arrays, got {len(got)}.",
              [f"got shapes: {[getattr(g, 'shape', type(g).__name__) for g in got]}",
               f"expected shapes: {[np.shape(e) for e in expected]}"],
              mistake=key or "wrong_shape")


def _check_sequence_entries(got, expected, what, variants, item, array_options):
    same_length = [(k, wrong) for k, wrong in variants if len(wrong) == len(expected)]
    # A whole wrong list matched entry for entry names its mistake before any single entry
    # does: two mistakes can agree on one entry (Z1 stored, or no activation at all).
    whole = [(k, wrong) for k, wrong in same_length if all(
        _close(np.asarray(g, dtype=float), w, 1e-6, 1e-9) for g, w in zip(got, wrong)
        if isinstance(g, np.ndarray) and np.asarray(g).dtype.kind in "biuf")]
    same_length = whole + [v for v in same_length if v not in whole]
    options = dict(array_options)
    extra = list(options.pop("variants", ()))
    return [check_array(g, e, what=f"{what}: {item}[{i}]",
                        variants=[(k, wrong[i]) for k, wrong in same_length] + extra, **options)
            for i, (g, e) in enumerate(zip(got, expected))]


# --- compare: one call, the reference's answer, and the general analysis on failure ----------

def _same_result(a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Whether two results (numbers, arrays, or tuples / lists / dicts of them) agree."""
    if isinstance(b, dict):
        return isinstance(a, dict) and set(a) == set(b) and all(_same_result(a[k], b[k], rtol, atol) for k in b)
    if isinstance(b, (tuple, list)) and not (b and all(isinstance(x, (int, float, np.number)) for x in b)):
        return isinstance(a, (tuple, list)) and len(a) == len(b) and all(
            _same_result(x, y, rtol, atol) for x, y in zip(a, b))
    try:
        x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return x.shape == y.shape and _close(x, y, rtol, atol)


def _names(reference: Callable, args: tuple, kwargs: dict) -> list[str]:
    names = _positional_names(reference, len(args))
    return names + [f"argument {i + 1}" for i in range(len(names), len(args))] + list(kwargs)


def _sizes(names: list[str], values: list[Any]) -> dict[str, int]:
    """Sizes a factor may be: the batch size n (rows of the first array) and each array's size."""
    arrays = [(name, np.asarray(v)) for name, v in zip(names, values)
              if isinstance(v, np.ndarray) and v.dtype.kind in "biuf"]
    sizes = {}
    batch = next((a.shape[0] for _, a in arrays if a.ndim >= 1), None)
    if batch:
        sizes["n"] = batch
    for name, a in arrays:
        sizes.setdefault(f"{name}.size", a.size)
        if a.ndim == 2:
            sizes.setdefault(f"{name}.shape[1]", a.shape[1])
    return sizes


def _perturb(value: Any, rng: np.random.Generator) -> Any:
    """Another valid value of the same kind: an array's entries moved around (same range and
    dtype), a number changed; None for what cannot be perturbed (functions, containers, bools)."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf" and value.size > 1:
        flat = value.ravel()
        if np.all(flat == flat[0]):
            return None
        moved = flat[rng.permutation(flat.size)]
        if np.array_equal(moved, flat):
            moved = np.roll(flat, 1)
        return moved.reshape(value.shape).copy()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value) + 1
    return float(value) * 1.25 if value != 0 else 0.5


def _reference(reference: Callable, args: tuple, kwargs: dict) -> Any:
    """The reference's answer, or None when it cannot be formed for these arguments."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except Exception:
        return None


def _theirs(student: Callable, args: tuple, kwargs: dict, what: str) -> tuple[bool, Any]:
    """(True, the student's answer) through `call`, or (False, None) when that call fails."""
    try:
        return True, call(student, *args, what=what, **kwargs)[0]
    except CheckFailed:
        return False, None


def _perturbations(reference: Callable, args: tuple, kwargs: dict, names: list[str]):
    """(description, args, kwargs) of the reference's plausible slips: a keyword at its default
    instead of the value passed, two arguments of one shape swapped, a counter off by one."""
    try:
        signature = inspect.signature(reference)
        bound = signature.bind(*args, **kwargs)
    except (TypeError, ValueError):
        return
    for name, value in list(bound.arguments.items()):
        default = signature.parameters[name].default
        if default is inspect.Parameter.empty or not isinstance(default, (int, float)) or isinstance(value, np.ndarray):
            continue
        if isinstance(value, (int, float)) and value != default:
            again = signature.bind(*args, **kwargs)
            again.arguments[name] = default
            yield f"{name} at its default {default:g} instead of {value:g}", again.args, again.kwargs
    for name, value in list(bound.arguments.items()):
        if isinstance(value, (float, np.floating)) and value != 0:
            for other, why in ((-value, " (the opposite sign)"), (0.0, ""), (1.0, " (as if it were left out)")):
                if other != value:
                    again = signature.bind(*args, **kwargs)
                    again.arguments[name] = float(other)
                    yield f"{name} = {other:g} instead of {value:g}{why}", again.args, again.kwargs
    for i in range(len(args)):
        for j in range(i + 1, len(args)):
            a, b = args[i], args[j]
            if (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                    and not np.array_equal(a, b)):
                swapped = list(args)
                swapped[i], swapped[j] = b, a
                yield f"{names[i]} and {names[j]} swapped", tuple(swapped), kwargs
    for i, value in enumerate(args):
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            for step in (-1, 1):
                changed = list(args)
                changed[i] = int(value) + step
                yield f"{names[i]} = {int(value) + step} instead of {int(value)} (off by one)", tuple(changed), kwargs


def _probe(student: Callable, reference: Callable, args: tuple, kwargs: dict, got: Any, expected: Any,
           what: str, tolerance: tuple[float, float]) -> str | None:
    """The first thing calling again tells about a wrong answer: which parameters it is
    consistent with, integer inputs, an argument it ignores, a batch of one, square shapes."""
    rtol, atol = max(tolerance[0], 1e-6), max(tolerance[1], 1e-9)
    same = lambda a, b: _same_result(a, b, rtol, atol)  # noqa: E731
    names = _names(reference, args, kwargs)
    values = [*args, *kwargs.values()]

    def with_value(i, value):
        if i < len(args):
            return args[:i] + (value,) + args[i + 1:], kwargs
        key = list(kwargs)[i - len(args)]
        return args, {**kwargs, key: value}

    for description, a2, k2 in _perturbations(reference, args, kwargs, names):
        out = _reference(reference, a2, k2)
        if out is not None and not same(out, expected) and same(got, out):
            return f"{diagnose.FOUND}your result is the right one for {description}."
    integers = [i for i, v in enumerate(values) if isinstance(v, np.ndarray) and v.dtype.kind in "iu"]
    if integers:
        a2, k2 = _replace(args, kwargs, {i: values[i].astype(float) for i in integers})
        ok, theirs = _theirs(student, a2, k2, what)
        if ok and same(theirs, expected):
            shown = ", ".join(names[i] for i in integers)
            verb = "hold" if len(integers) > 1 else "holds"
            return (f"{diagnose.FOUND}right when {shown} {verb} the same numbers as floats, wrong for integers "
                    "(an array made from an integer one, e.g. with zeros_like, keeps its integer dtype).")
    rng = np.random.default_rng(0)
    for i, (name, value) in enumerate(zip(names, values)):
        changed = _perturb(value, rng)
        if changed is None:
            continue
        a2, k2 = with_value(i, changed)
        out = _reference(reference, a2, k2)
        if out is None or same(out, expected):
            continue
        ok, theirs = _theirs(student, a2, k2, what)
        if ok and same(theirs, got):
            return f"{diagnose.FOUND}your result does not change when {name} changes, but it should: is {name} used?"
    arrays = [i for i, v in enumerate(values) if isinstance(v, np.ndarray) and v.ndim >= 1]

    def right_for(changes):
        a2, k2 = _replace(args, kwargs, changes)
        out = _reference(reference, a2, k2)
        ok, theirs = _theirs(student, a2, k2, what) if out is not None else (False, None)
        return ok and same(theirs, out)

    # right for each sample alone (every row a batch of one, not only the first: a mistake
    # that depends on the values would pass for some rows), wrong for the batch
    if arrays and values[arrays[0]].shape[0] > 1 and values[arrays[0]].ndim >= 2:
        n = values[arrays[0]].shape[0]
        batch = [i for i in arrays if values[i].shape[0] == n]
        if all(right_for({i: values[i][r:r + 1] for i in batch}) for r in range(min(n, 8))):
            return (f"{diagnose.FOUND}right for each row of {names[arrays[0]]} alone (a batch of one), wrong for "
                    f"the {n} rows together.")
    # right once every dimension is the same (square), from either end of each axis
    dims = sorted({s for i in arrays for s in values[i].shape if s > 1})
    if len(dims) >= 2:
        m = dims[0]
        ends = [{i: values[i][tuple(slice(0, min(s, m)) if first else slice(s - min(s, m), s)
                                    for s in values[i].shape)].copy() for i in arrays} for first in (True, False)]
        if all(right_for(changes) for changes in ends):
            return f"{diagnose.FOUND}right when every dimension is {m} (square shapes), wrong for the shapes here."
    return None


def _replace(args: tuple, kwargs: dict, changes: dict[int, Any]) -> tuple[tuple, dict]:
    """args and kwargs with the values at the given positions (counting kwargs after args) replaced."""
    values = [*args, *kwargs.values()]
    for i, value in changes.items():
        values[i] = value
    return tuple(values[:len(args)]), dict(zip(kwargs, values[len(args):]))


def with_lines(failure: CheckFailed, extra: Iterable[str]) -> CheckFailed:
    """The same failure with lines added before its 'Likely mistake' (if any): to raise."""
    lines = str(failure).split("\n")
    at = next((i for i, line in enumerate(lines) if line.startswith("Likely mistake:")), len(lines))
    return CheckFailed("\n".join(lines[:at] + [f"  {x}" for x in extra] + lines[at:]), failure.mistake)


def _part_of(wrong: Any, key: Any) -> Any:
    """A wrong variant's entry `key` (None where it has none)."""
    try:
        return None if wrong is None else wrong[key]
    except (KeyError, IndexError, TypeError):
        return None


def _nested(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, (tuple, list)) and not all(
        isinstance(x, (int, float, np.number)) for x in value))


def _compare_result(got, expected, what, variants, options, inputs, sizes, items=(), order=None, per_item=None):
    """check_array on a number or an array; entry by entry on a tuple / list of them (saying
    so when the right entries come in another order) or on a dict, nested as deep as the answer
    is (a (loss, grads) pair). `per_item` gives check_array options by an entry's name or key."""
    per_item = per_item or {}

    def entry(name, g, e, key, path):
        wrong = [(k, _part_of(w, key)) for k, w in variants]
        if _nested(e):
            _compare_result(g, e, path, wrong, options, inputs, sizes, per_item=per_item)
        else:
            check_array(g, e, what=path, inputs=inputs, sizes=sizes, variants=[(k, w) for k, w in wrong if w is not None],
                        **{**options, **per_item.get(name, {})})

    if not (_nested(expected) or (items and isinstance(expected, (tuple, list)))):
        check_array(got, expected, what=what, variants=variants, inputs=inputs, sizes=sizes, **options)
        return
    if isinstance(expected, dict):
        check_true(isinstance(got, dict) and set(expected) <= set(got), what=what, mistake="grads_keys",
                   problem=f"expected a dict with keys {', '.join(map(str, expected))}, got "
                           f"{sorted(map(str, got)) if isinstance(got, dict) else type(got).__name__}.")
        for key in expected:
            entry(key, got[key], expected[key], key, f"{what}['{key}']")
        return
    labels = list(items) if items else [f"item {i}" for i in range(len(expected))]
    check_true(isinstance(got, (tuple, list)) and len(got) == len(expected), what=what, mistake="wrong_return",
               problem=f"expected a tuple ({', '.join(labels)}), got {type(got).__name__}"
                       f"{' of length ' + str(len(got)) if isinstance(got, (tuple, list)) else ''}.")
    for i in (order or range(len(expected))):
        try:
            entry(labels[i], got[i], expected[i], i, f"{what}: {labels[i]}")
        except CheckFailed as failure:
            if failure.mistake is not None:
                raise
            places = [next((j for j, x in enumerate(expected) if _same_result(y, x)), None) for y in got]
            if None not in places and sorted(places) == list(range(len(expected))):
                text = ", ".join(f"your {labels[i]} is the expected {labels[j]}" for i, j in enumerate(places) if i != j)
                raise with_lines(failure, [f"{diagnose.FOUND}the right values in another order: {text}."]) from None
            raise


def compare(student: Callable, reference: Callable, *args: Any, what: str, variants: Iterable[Variant] = (),
            check: dict | None = None, items: Sequence[str] = (), prepare: Callable | None = None,
            order: Sequence[int] | None = None, per_item: dict[str, dict] | None = None,
            **kwargs: Any) -> tuple[Any, list[str]]:
    """Call a student's function (through `call`), compare its answer with `reference(*args, **kwargs)`
    and return (answer, warnings), as `call` does.

    variants  (mistake_key, wrong_answer) pairs, as for check_array (for a tuple answer, whole
              wrong tuples); check: options for check_array (rtol, atol, n, nonfinite, ...);
    items     names of a tuple answer's entries ("dX", "dW", "db"); order: the order to check
              them in (indices); per_item: check_array options by name ({"v": {"nonfinite": ...}});
    prepare   applied to the student's answer before comparing (e.g. a check that a loss is one number).

    When the answer is wrong and no catalogued mistake names it, the report gets the general
    analysis: the relation between the numbers (course.diagnose.relation) and, from calling the
    student's function again with changed arguments, one more line: the slip of the reference
    that reproduces the answer (a keyword at its default, two arguments swapped, a counter off
    by one), an argument that does not change the result, integer inputs, a batch of one,
    square shapes. Driven by the arguments' types and shapes and the reference's signature.
    """
    got, caught = call(student, *args, what=what, **kwargs)
    expected = _reference(reference, args, kwargs)
    if expected is None:
        raise RuntimeError(f"the reference cannot answer {what}")
    options = dict(check or {})
    names = _names(reference, args, kwargs)
    values = [*args, *kwargs.values()]
    inputs = [(name, v) for name, v in zip(names, values)]
    answer = prepare(got) if prepare is not None else got
    try:
        _compare_result(answer, expected, what, list(variants), options, inputs, _sizes(names, values), items,
                        order, per_item)
    except CheckFailed as failure:
        if failure.mistake is not None or str(failure).count(diagnose.FOUND) >= 2:   # two lines at most
            raise
        line = _probe(student, reference, args, kwargs, got, expected, what,
                      (options.get("rtol", 1e-6), options.get("atol", 1e-9)))
        if line is None:
            raise
        raise with_lines(failure, [line]) from failure.__cause__
    return got, caught
