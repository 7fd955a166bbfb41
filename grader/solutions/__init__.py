"""The worked versions of the exercises later notebooks build on: one module per notebook,
named after it, holding that notebook's exercises (and `layers`, 05's model classes built
from notebooks 01 and 03's functions).

Why here. The installed `course` package reaches every student from the first assignment on,
so it must hold no exercise's answer (issue #15); the grader is instructor-side. Each module
is plain, self-contained NumPy (imports between them are relative, nothing else from the
course), because it is also what students get: `tools/build.py` copies a module, with a short
header, beside every later notebook that imports it (`source/NN_x/<module>.py`, released with
the notebook), so the hidden checks, the instructor's tools and the students' later notebooks
all run the one implementation. `tools/registry.builds_on` finds which modules a notebook
needs from its imports. The other exercises' references stay beside their checks in
`grader/<topic>.py`; one moves here when a later notebook builds on it.

One class, one module, wherever checks and a notebook's cells meet (check_add_head asks for
*the* `Sequential`): a process that runs a notebook's cells beside the grader (the isolated
checker, the tests) calls `as_released()` first, so `from forward_pass import ...` gives the
grader's own module and the checker never reads a file from the student's folder; and in a
notebook's own kernel, where the setup cell imported the released copies before a hidden
block imports the grader (an instructor running the source notebook), this package adopts
those copies (the same text, generated from these files) instead of loading its own.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def _adopt_released() -> None:
    for info in pkgutil.iter_modules(__path__):
        released = sys.modules.get(info.name)
        file = Path(getattr(released, "__file__", None) or "")
        if released is not None and file.name == f"{info.name}.py" and file.parent != Path(__file__).parent:
            try:
                generated = file.read_text(encoding="utf-8").startswith(f"# {info.name}.py: ")
            except OSError:
                generated = False
            if generated:
                sys.modules.setdefault(f"{__name__}.{info.name}", released)


def as_released() -> None:
    """Make each module here importable under the name it is released with (`forward_pass`, ...)."""
    for info in pkgutil.iter_modules(__path__):
        sys.modules.setdefault(info.name, importlib.import_module(f"{__name__}.{info.name}"))



_adopt_released()
