"""Shared setup for the test suite: the repository root is importable.

Tests import `tools.build` (the notebook build), `course` and `grader` straight from
this checkout, whatever folder pytest was started from.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
