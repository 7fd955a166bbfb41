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
from pathlib import Path
from types import TracebackType
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

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
    (without this frame: IPython hides frames that set `__tracebackhide__`)."""
    __tracebackhide__ = True  # noqa: F841 - read by IPython from the frame
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as exc:
        name = unwritten(exc)
        if name is None:
            raise
        raise NotWrittenYet(name) from None


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
    """The key of the first variant `got` equals (exercise-specific ones first), or None."""
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
                context: Iterable[str] = ()) -> np.ndarray:
    """Check that `got` equals `expected` within tolerance; raise CheckFailed otherwise.

    what       what was checked, as the student would write it: "sigmoid(z), z of shape (3, 4)".
    variants   (mistake_key, wrong_answer) pairs specific to this exercise; a wrong answer may
               be a zero-argument callable, evaluated only if needed.
    n          the batch size, when "missing 1/n" and "extra 1/n" are possible mistakes.
    nonfinite  the mistake to name when got has NaN/inf where expected is finite.
    integer    the answer must have an integer dtype (not bool, not float), e.g. class labels.
    context    extra lines for the report, e.g. how the expected answer was cross-checked.

    Returns the answer as an array, so a caller can check more of it.
    """
    try:
        return _check_array(got, expected, what, list(variants), n, rtol, atol, nonfinite, integer)
    except CheckFailed as failure:
        context = list(context)
        if not context:
            raise
        lines = str(failure).split("\n")
        at = next((i for i, line in enumerate(lines) if line.startswith("Likely mistake:")), len(lines))
        raise CheckFailed("\n".join(lines[:at] + [f"  {c}" for c in context] + lines[at:]),
                          failure.mistake) from None


def _check_array(got, expected, what, variants, n, rtol, atol, nonfinite, integer):
    exp = np.asarray(expected)
    if exp.dtype.kind in "biu" and not integer:
        exp = exp.astype(float)
    arr = as_answer(got, what)
    if arr.shape != exp.shape:
        key = match_mistake(arr.astype(float), exp.astype(float), variants, n=n, rtol=rtol, atol=atol)
        if key is None and arr.ndim == 2 and arr.shape == exp.shape[::-1]:
            key = "transposed"
        elif key is None and arr.size == exp.size:
            key = "flattened"
        _fail(what, f"wrong shape: expected {exp.shape}, got {arr.shape}.",
              [f"expected: {_describe(exp)}", f"got:      {_describe(arr)}"],
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
        _fail(what, f"{bad} of {a.size} entries are NaN or inf where finite numbers are expected.",
              [f"expected[:6] = {_fmt_values(e)}", f"got[:6]      = {_fmt_values(a)}"],
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
        f"expected[:6] = {_fmt_values(e)}",
        f"got[:6]      = {_fmt_values(a)}",
    ]
    key = match_mistake(a, e, variants, n=n, rtol=rtol, atol=atol)
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
            return Invocation(error=exc, warnings=[f"{w.category.__name__}: {w.message}" for w in caught])
    return Invocation(result, args, kwargs, [f"{w.category.__name__}: {w.message}" for w in caught])


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
    if isinstance(exc, (KeyboardInterrupt, SystemExit)) or (exc is not None and not isinstance(exc, Exception)):
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
    after = [*done.args_after, *done.kwargs_after.values()]
    if len(after) == len(before):
        for (name, old), new in zip(before, after):
            if not _same(old, new):
                _fail(what, f"{name} was changed by the call.", mistake="mutates_input")
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
