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

Hidden checks never need these modules to be the student's: the checker holds its own, and
compares what the student's process returns by value (a model by its type's name and data).
"""
from __future__ import annotations

import importlib
import pkgutil
import sys


def as_released() -> None:
    """Make each module here importable under the name it is released with (`forward_pass`, ...):
    for the test suite, which runs notebooks' cells in its own process, where no released copy
    lies beside them."""
    for info in pkgutil.iter_modules(__path__):
        sys.modules.setdefault(info.name, importlib.import_module(f"{__name__}.{info.name}"))
