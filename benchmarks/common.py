"""What the benchmarks share: the repository root, the assignments, a clean environment."""
from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

import numpy as np

from tools import registry

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = tuple(registry.assignments(ROOT))


notebook = registry.notebook


def kernel_env() -> dict[str, str]:
    """The environment notebooks run in here: this Python's bin first on PATH (nbgrader
    calls `alembic`), the checkout on PYTHONPATH (solved notebooks import `grader`),
    NBGRADER_EXECUTION unset (widgets are built), no inherited Jupyter config dirs."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = str(ROOT)
    for name in ("NBGRADER_EXECUTION", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR"):
        env.pop(name, None)
    return env


def median(values) -> float:
    values = [v for v in values if v is not None]
    return float(statistics.median(values)) if values else float("nan")


def p95(values) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), 95)) if len(values) else float("nan")
