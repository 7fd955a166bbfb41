"""Shared setup for the test suite: the repository root is importable.

Tests import `tools.build` (the notebook build), `course` and `grader` straight from
this checkout, whatever folder pytest was started from.
"""
import os
import sys
from pathlib import Path

# Before anything imports numpy: the course's matrices are small, and OpenBLAS's threads
# only cost time on them (many times more on a busy 2-core machine); notebooks 04 and 05
# set the same in their setup cells.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Tests that run a notebook's cells in this process import the earlier notebooks' modules
# that a kernel finds beside the notebook (`from forward_pass import ...`) as the isolated
# checker does: the grader's own (tools/build.py generates the released files from them).
from grader import solutions  # noqa: E402

solutions.as_released()
