"""Autograde with every piece of student code inside a bubblewrap sandbox.

    python tools/isolated_autograde.py 01_forward_pass [nbgrader autograde options...]

Run it from the course root (where nbgrader_config.py is), like `nbgrader autograde`.
It needs `bwrap` (Debian: apt-get install bubblewrap). What changes from a plain autograde:

* kernels start through a kernelspec, `backprop-lab-sandbox`, that wraps ipykernel in
  bubblewrap (grader/sandbox.py): read-only file system, the course directory hidden except
  the notebook's own folder, private /tmp and HOME, no network, no host processes; the
  kernel talks to nbgrader over unix sockets (ipc transport) in a private runtime folder;
* the student's process of the hidden checks (course.channel, started by grader.isolation's
  checker, which runs no student code) is sandboxed the same way.

So a submission cannot edit the gradebook, other students' work, the grader or anything
else on the machine, and cannot reach the network. See docs/THREAT_MODEL.md.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.sandbox import ENV_COURSE_ROOT, ENV_IPC_DIR, ENV_SANDBOX, available  # noqa: E402
from tools.build import nbgrader_env  # noqa: E402


def prepare(tmp: Path, course_root: Path) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Write the sandbox kernelspec under `tmp`; return the environment variables and the nbgrader
    configuration ({section: {trait: value}}) that make autograde, run from `course_root`, start
    every kernel and student process in the sandbox. tools/grade_class.py uses it in-process."""
    spec_dir = tmp / "kernels" / "backprop-lab-sandbox"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "grader.sandbox", "{connection_file}"],
        "display_name": "Python 3 (Backprop Lab sandbox)", "language": "python",
    }))
    sockets = tmp / "sockets"
    sockets.mkdir()
    env = {"JUPYTER_PATH": str(tmp), ENV_SANDBOX: "1", ENV_IPC_DIR: str(sockets), ENV_COURSE_ROOT: str(course_root)}
    config = {"Execute": {"kernel_name": "backprop-lab-sandbox"},
              "KernelManager": {"transport": "ipc", "ip": str(sockets / "kernel")}}
    return env, config


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    if not available():
        print("bwrap (bubblewrap) is not installed: apt-get install bubblewrap", file=sys.stderr)
        return 2
    course_root = Path.cwd().resolve()
    with tempfile.TemporaryDirectory(prefix="bpl-sandbox-") as tmp:
        extra_env, config = prepare(Path(tmp), course_root)
        env = nbgrader_env()
        env.update(extra_env)
        flags = [f"--{section}.{trait}={value}" for section, traits in config.items() for trait, value in traits.items()]
        cmd = [sys.executable, "-m", "nbgrader", "autograde", *argv, *flags]
        return subprocess.run(cmd, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
