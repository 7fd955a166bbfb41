"""The general analysis of a wrong answer: where and how it differs, without a list of mistakes.

`course.checks` names a mistake when the answer equals a catalogued wrong variant. When
none matches (or the catalog is switched off, see `catalog_on`), this module still says
*where* and *how* the answer differs, from the numbers alone:

    relation(got, expected)    the simplest relation between the two arrays: a constant
                               factor, a shift, the sign, a transpose, rows / columns /
                               entries in another order, zeros where values were expected,
                               right except where an input is 0, negative, tied, ...,
                               right for some rows and wrong for others;
    training(history, ...)     what a loss curve did and whether the parameters moved.

Every sentence is a fact checked on every entry (within the check's tolerance), or on
every entry but the ones it names: nothing is said that does not hold. Each function
returns one short line for the report, starting with FOUND, or None.

The probes that call the student's function again (an ignored argument, batch of one,
square shapes, integer inputs, a perturbed parameter) live in `course.checks.compare`,
which must go through `course.checks.call`.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np

FOUND = "Found: "
CATALOG_ENV = "COURSE_FEEDBACK_CATALOG"    # "off": name no catalogued mistake, only this analysis


def catalog_on() -> bool:
    """Whether checks may name catalogued mistakes (the feedback audit switches it off to
    measure what the general analysis localises alone)."""
    return os.environ.get(CATALOG_ENV, "on").lower() != "off"


def _num(x: float) -> str:
    """A factor or shift as a learner reads it: 0.5, 2, 1/3, -0.25, 1.234e-05."""
    if x == 0:
        return "0"
    f = Fraction(x).limit_denominator(12)
    if abs(float(f) - x) <= 1e-9 * max(1.0, abs(x)) and f.denominator != 1 and abs(f.numerator) < 100:
        if f.denominator in (2, 4, 5, 8, 10):
            return f"{float(f):g}"
        return f"{f.numerator}/{f.denominator}"
    return f"{x:.4g}"


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    if a.shape != b.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def _size_name(k: float, sizes: Mapping[str, int]) -> str:
    """' (k = n)' when a factor is one of the sizes involved, or its inverse."""
    for name, size in sizes.items():
        if size > 1 and abs(abs(k) - size) <= 1e-9 * size:
            return f" ({name} = {size})"
        if size > 1 and abs(abs(k) - 1 / size) <= 1e-9:
            return f" (1/{name}, {name} = {size})"
    return ""


def _nice(k: float, sizes: Mapping[str, int]) -> bool:
    """Whether a factor means something on its own (for a single number, any factor holds)."""
    f = Fraction(abs(k)).limit_denominator(4)
    simple = abs(float(f) - abs(k)) <= 1e-9 * abs(k) and f.numerator <= 4
    return simple or bool(_size_name(k, sizes))


def _factor(g: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> float | None:
    """k with g == k * e on every entry, or None (needs an entry where e is clearly not 0)."""
    big = np.abs(e) > max(atol * 100, 1e-12)
    if not np.any(big):
        return None
    k = float(np.sum(g[big] * e[big]) / np.sum(e[big] ** 2))
    if not np.isfinite(k) or abs(k - 1) <= rtol * 10:
        return None
    # relative tolerance on k: the error of k * e is then within rtol of each entry
    return k if _close(g, k * e, rtol * 10, atol * 10) else None


def _where(mask: np.ndarray, limit: int = 6) -> str:
    idx = [int(i) for i in np.flatnonzero(mask)]
    shown = ", ".join(map(str, idx[:limit]))
    return shown + (", ..." if len(idx) > limit else "")


def _which(item: str, mask: np.ndarray) -> str:
    """'row 2 (of 4) is' / 'rows 1, 3 (of 4) are'."""
    many = int(mask.sum()) > 1
    plural = (item[:-1] + "ies" if item.endswith("y") else item + "s") if many else item
    return f"{plural} {_where(mask)} (of {mask.size}) {'are' if many else 'is'}"


def _order(g: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> list[int] | None:
    """p with g[i] == e[p[i]] for every i, all e[j] distinct, p not the identity; else None."""
    n = len(e)
    if n < 2:
        return None
    flat_e, flat_g = e.reshape(n, -1), g.reshape(n, -1)
    p = []
    for i in range(n):
        hits = [j for j in range(n) if _close(flat_g[i], flat_e[j], rtol, atol)]
        if len(hits) != 1:
            return None
        p.append(hits[0])
    if sorted(p) != list(range(n)) or p == list(range(n)):
        return None
    return p


def _conditions(shape, inputs: Iterable[tuple[str, Any]], expected: np.ndarray):
    """(text, mask) pairs: places an input defines, for 'wrong only where ...'."""
    arrays = []
    for name, value in inputs:
        try:
            a = np.asarray(value)
        except Exception:
            continue
        if a.dtype.kind in "biuf" and a.shape == shape:
            arrays.append((name, a.astype(float)))
    out = []
    for name, a in arrays:
        out += [(f"{name} == 0", a == 0), (f"{name} < 0", a < 0), (f"{name} > 0", a > 0),
                (f"{name} <= 0", a <= 0), (f"{name} >= 0", a >= 0)]
        if a.size > 2 and np.ptp(a) > 0:              # boundaries: where an input takes its extreme values
            low, high = float(a.min()), float(a.max())
            out += [(f"{name} is at its smallest value {low:g}", a == low),
                    (f"{name} is at its largest value {high:g}", a == high),
                    (f"{name} is at either end of its range ({low:g} or {high:g})", (a == low) | (a == high))]
        for other, value in inputs:
            if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and value != 0:
                out.append((f"{name} == {other} ({value:g})", a == float(value)))
                out.append((f"|{name}| == {other} ({value:g})", np.abs(a) == abs(float(value))))
    for i, (n1, a1) in enumerate(arrays):
        for n2, a2 in arrays[i + 1:]:
            out.append((f"{n1} == {n2} (a tie)", a1 == a2))
    if len(shape) == 2 and shape[1] > 1:
        for name, a in arrays:
            top = a == a.max(axis=1, keepdims=True)
            tied = np.repeat(top.sum(axis=1, keepdims=True) > 1, shape[1], axis=1)
            out.append((f"a row of {name} has a tie for its largest value", tied))
    return out + [("the expected value is exactly 0", expected == 0)]    # last: an input says more


def relation(got: Any, expected: Any, *, rtol: float = 1e-6, atol: float = 1e-9,
             inputs: Iterable[tuple[str, Any]] = (), sizes: Mapping[str, int] | None = None) -> str | None:
    """One line saying how `got` relates to `expected` (both numeric), or None.

    inputs  (name, value) of the arguments: "wrong only where z == 0" needs them.
    sizes   named sizes, so that a factor is recognised: {"n": 5} gives "5 times (n = 5)".
    """
    sizes = dict(sizes or {})
    try:
        g = np.asarray(got, dtype=float)
        e = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return None
    if g.shape != e.shape:
        return _shape_relation(g, e, rtol, atol, inputs, sizes)
    with np.errstate(all="ignore"):
        ok = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    if np.all(ok) or not np.all(np.isfinite(e)):
        return None
    if not np.all(np.isfinite(g)):
        bad = ~np.isfinite(g)
        if not np.all(ok | bad):
            return None
        where = _localise(bad, e, inputs, "", word="NaN or inf")
        if where:
            return FOUND + where
        return FOUND + f"NaN or inf in {int(bad.sum())} of {g.size} entries; every other entry is right." if g.size > 1 else None
    whole = _whole(g, e, rtol, atol, sizes) or _with_inputs(g, e, rtol, atol, inputs) or _by_rows(g, e, rtol, atol)
    if whole:
        return FOUND + whole + "."
    bad = ~ok
    how = _part(g[bad], e[bad], rtol, atol, sizes)
    where = _localise(bad, e, inputs, f": {how}" if how else "")
    if where:
        return FOUND + where
    if how and bad.sum() < bad.size:
        return FOUND + f"{int(bad.sum())} of {bad.size} entries are wrong: {how}; the others are right."
    return None


def _localise(bad: np.ndarray, e: np.ndarray, inputs, suffix: str, word: str = "wrong") -> str | None:
    """Where the wrong entries are, when a condition on the inputs or a set of rows / columns
    marks them: 'wrong exactly where z == 0; right everywhere else.'"""
    if bad.all():
        return None
    for text, mask in sorted(_conditions(e.shape, inputs, e), key=lambda c: int(np.sum(c[1]))):
        if np.all(mask[bad]) and np.sum(mask) < mask.size:
            share = "exactly" if np.array_equal(mask, bad) else "only"
            count = "" if share == "exactly" else f" ({int(bad.sum())} of the {int(mask.sum())} such entries)"
            return f"{word} {share} where {text}{count}{suffix}; right everywhere else."
    if e.ndim >= 2 and e.shape[0] > 1:
        rows = bad.reshape(e.shape[0], -1).any(axis=1)
        cols = bad.reshape(e.shape[0], e.shape[1], -1).any(axis=(0, 2))
        if not rows.all() and (cols.all() or rows.sum() <= cols.sum()):
            return f"{_which('row', rows)} {word}{suffix}; the other rows are right."
        if not cols.all():
            return f"{_which('column', cols)} {word}{suffix}; the other columns are right."
    if suffix and e.ndim == 1:
        return f"{_which('entry', bad)} {word}{suffix}; the others are right."
    return None


# Elementwise functions a value may have gone through once too often (or not at all): plain
# mathematics, not a list of mistakes. (name, f(expected) -> what yours would be)
FUNCTIONS = (
    ("the square of", np.square), ("the square root of", np.sqrt), ("the absolute value of", np.abs),
    ("exp of", np.exp), ("the natural log of", np.log), ("1 minus", lambda x: 1 - x),
    ("sigmoid of", lambda x: 1 / (1 + np.exp(-x))), ("the logit log(x / (1 - x)) of", lambda x: np.log(x / (1 - x))),
    ("tanh of", np.tanh), ("max(0, x) of", lambda x: np.maximum(x, 0)),
)


def _with_inputs(g: np.ndarray, e: np.ndarray, rtol: float, atol: float, inputs) -> str | None:
    """Yours is an input itself, or the expected one plus or minus an input, or a plain function
    of the expected one (its inverse is in the list too where that matters: square and root, exp
    and log, sigmoid and logit)."""
    for name, value in inputs:
        try:
            a = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            continue
        if a.shape != e.shape or g.size < 2:
            continue
        for sign, word in ((1, ""), (-1, "minus ")):
            if _close(g, sign * a, rtol, atol):
                return f"your answer is {word}{name} itself"
            if np.any(a != 0) and _close(g, e + sign * a, rtol, atol):
                return f"yours is the expected one {'plus' if sign > 0 else 'minus'} {name}"
    with np.errstate(all="ignore"):
        for text, f in FUNCTIONS:
            mapped = np.asarray(f(e), dtype=float)
            if np.all(np.isfinite(mapped)) and _close(g, mapped, rtol, atol):
                return f"yours is {text} the expected {'value' if g.size == 1 else 'values'}"
    return None


def _by_rows(g: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> str | None:
    """Each row (or column) is the expected one times a factor of its own: a normalisation."""
    if e.ndim != 2 or min(e.shape) < 2:
        return None
    for axis, word in ((0, "row"), (1, "column")):
        gs, es = (g, e) if axis == 0 else (g.T, e.T)
        factors = [_factor(gr, er, rtol, atol) if not _close(gr, er, rtol, atol) else 1.0 for gr, er in zip(gs, es)]
        if None not in factors and np.ptp(factors) > 1e-6 and all(abs(k - 1) > 1e-6 for k in factors):
            shown = ", ".join(_num(k) for k in factors[:4]) + (", ..." if len(factors) > 4 else "")
            return f"each {word} is the expected {word} times a factor of its own ({shown})"
    return None


def _whole(g: np.ndarray, e: np.ndarray, rtol: float, atol: float, sizes: Mapping[str, int]) -> str | None:
    """A relation that holds on every entry."""
    if np.all(np.abs(g) <= atol) and np.any(np.abs(e) > atol):
        return "every entry is 0, where non-zero values were expected"
    if e.ndim == 2 and e.shape[0] == e.shape[1] > 1 and _close(g, e.T, rtol, atol):
        return "your matrix is the transpose of the expected one"
    k = _factor(g, e, rtol, atol)
    if k is not None and (g.size > 1 and np.sum(np.abs(e) > atol) > 1 or _nice(k, sizes)):
        if abs(k + 1) <= 1e-6:
            return "every entry has the opposite sign: yours is minus the expected one"
        what = "your value is" if g.size == 1 else "every entry is"
        return f"{what} {_num(k)} times the expected one{_size_name(k, sizes)}"
    if g.size > 1:
        diff = g - e
        c = float(np.mean(diff))
        if abs(c) > atol and _close(g, e + c, rtol * 10, atol * 10):
            return f"every entry is the expected one {'plus' if c > 0 else 'minus'} {_num(abs(c))}"
        A = np.stack([e.ravel(), np.ones(e.size)], axis=1)
        if e.size > 2 and np.ptp(e) > atol:
            (k, c), *_ = np.linalg.lstsq(A, g.ravel(), rcond=None)
            if abs(c) > atol and abs(k - 1) > 1e-6 and abs(k) > 1e-9 and _close(g, k * e + c, rtol * 10, atol * 10):
                return f"every entry is {_num(float(k))} times the expected one, {'plus' if c > 0 else 'minus'} {_num(abs(float(c)))}"
    if e.ndim >= 1:
        p = _order(g, e, rtol, atol)
        kind = "entries" if e.ndim == 1 else "rows"
        if p is not None:
            return f"the right {kind} in another order{_order_text(p)}"
        if e.ndim == 2:
            p = _order(g.T, e.T, rtol, atol)
            if p is not None:
                return f"the right columns in another order{_order_text(p)}"
    return None


def _order_text(p: list[int]) -> str:
    if p == list(range(len(p)))[::-1]:
        return " (reversed)"
    return f" (yours in the order {p} of the expected ones)" if len(p) <= 8 else ""


def _part(g: np.ndarray, e: np.ndarray, rtol: float, atol: float, sizes: Mapping[str, int]) -> str | None:
    """How the wrong entries differ, when it is simple: zeros, a sign, a factor."""
    if g.size == 0:
        return None
    if np.all(np.abs(g) <= atol):
        return "0 there, where a nonzero value was expected" if g.size == 1 else "0 there, where nonzero values were expected"
    k = _factor(g, e, rtol, atol) if g.size > 1 else None
    if k is not None:
        return "minus the expected values there" if abs(k + 1) <= 1e-6 else f"{_num(k)} times the expected values there"
    return None


def _reduced(a: np.ndarray, target: np.ndarray, rtol: float, atol: float) -> tuple[str, str, int] | None:
    """("summed", "summing", axis) or the same for averaging, when reducing `a` over that axis
    (kept or not) gives `target`."""
    for axis in range(a.ndim):
        for past, doing, reduce in (("summed", "summing", np.sum), ("averaged", "averaging", np.mean)):
            r = reduce(a, axis=axis)
            for shaped in (r, np.expand_dims(r, axis)):
                if shaped.shape == target.shape and _close(shaped, target, rtol, atol):
                    return past, doing, axis
    return None


def _shape_relation(g, e, rtol, atol, inputs, sizes) -> str | None:
    """When the shapes differ: the same numbers arranged otherwise, the expected array reduced
    over an axis, or (same size) a relation once reshaped."""
    if g.ndim == 2 and g.shape == e.shape[::-1] and _close(g, e.T, rtol, atol):
        return FOUND + f"your array is the transpose of the expected one (shape {g.shape} instead of {e.shape})."
    if g.size == e.size and _close(g.reshape(e.shape), e, rtol, atol):
        return FOUND + f"the right numbers in the right order, in shape {g.shape} instead of {e.shape}."
    found = _reduced(e, g, rtol, atol)
    if found:
        return FOUND + f"the expected array {found[0]} over axis {found[2]} (shape {g.shape} instead of {e.shape})."
    found = _reduced(g, e, rtol, atol)
    if found:
        return FOUND + (f"{found[1]} your array over axis {found[2]} gives the expected one "
                        f"(shape {g.shape} instead of {e.shape}).")
    if g.size == e.size and g.size > 1:
        inner = relation(g.reshape(e.shape), e, rtol=rtol, atol=atol, inputs=inputs, sizes=sizes)
        if inner:
            return inner.rstrip(".") + f" (read in the expected shape {e.shape}; yours is {g.shape})."
    return None


def training(history: Any, moved: Mapping[str, float] | None = None, returned_initial: bool | None = None) -> str | None:
    """What a training run did, in one line: the loss curve (falling, flat, rising,
    exploding, NaN from epoch k), how far the parameters moved, and whether the returned
    model is the one it started from."""
    try:
        h = np.asarray(history, dtype=float).ravel()
    except (TypeError, ValueError):
        return None
    parts = []
    if h.size:
        bad = np.flatnonzero(~np.isfinite(h))
        if bad.size:
            parts.append(f"the loss is NaN or inf from epoch {int(bad[0])} on"
                         + (f" (it was {h[bad[0] - 1]:.4g} before)" if bad[0] > 0 else ""))
        elif h.size > 1:
            first, last = h[0], h[-1]
            rel = (last - first) / max(abs(first), 1e-12)
            if np.ptp(h) <= 1e-9 * max(1.0, abs(first)):
                parts.append(f"the loss stayed at {first:.4g} for all {h.size} epochs")
            elif last > 10 * max(first, 1e-12) or np.max(h) > 100 * max(abs(first), 1e-12):
                parts.append(f"the loss exploded from {first:.4g} to {np.max(h):.4g}")
            elif rel > 0:
                parts.append(f"the loss rose from {first:.4g} to {last:.4g}")
            elif abs(rel) < 1e-3:
                parts.append(f"the loss barely moved ({first:.6g} to {last:.6g})")
            else:
                parts.append(f"the loss fell from {first:.4g} to {last:.4g}")
    if returned_initial:
        parts.append("the model returned is the one it started from")
    elif moved is not None:
        still = [name for name, change in moved.items() if change == 0]
        if still and len(still) == len(moved):
            parts.append("no parameter moved")
        elif still:
            parts.append(f"{', '.join(still)} never moved")
    return FOUND + "; ".join(parts) + "." if parts else None


def sequence(got: Any, expected: list, rtol: float = 1e-6, atol: float = 1e-9) -> str | None:
    """How a list of arrays relates to the expected list: an entry missing at either end,
    the order reversed, or a single array that is one of the expected entries."""
    def same(a, b):
        try:
            return _close(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol, atol)
        except (TypeError, ValueError):
            return False
    n = len(expected)
    if isinstance(got, np.ndarray):
        hits = [i for i, e in enumerate(expected) if same(got, e)]
        if hits:
            return FOUND + f"your answer is entry {hits[-1]} of the expected list of {n}, alone."
        return None
    if not isinstance(got, (list, tuple)):
        return None
    if len(got) == n - 1:
        if all(same(a, b) for a, b in zip(got, expected[1:])):
            return FOUND + "your list is the expected one without its first entry."
        if all(same(a, b) for a, b in zip(got, expected[:-1])):
            return FOUND + "your list is the expected one without its last entry."
    if len(got) == n + 1:
        for i in range(n + 1):
            if all(same(a, b) for a, b in zip(got[:i] + got[i + 1:], expected)):
                return FOUND + f"your list is the expected one with an extra entry at position {i}."
    if len(got) == n and n > 1 and all(same(a, b) for a, b in zip(got, expected[::-1])):
        return FOUND + "your list is the expected one reversed."
    return None
