"""Run student code inside a bubblewrap sandbox: the isolated-autograde recipe
(tools/isolated_autograde.py, docs/THREAT_MODEL.md).

Inside the sandbox the whole file system is read-only, the course directory (gradebook,
other students' submissions, feedback) is hidden, and so is the grader package from
kernels (their test cells run the visible checks only), only the notebook's own folder is
writable, /tmp and HOME are private and empty, there is no network (a new network
namespace: not even the host's loopback) and no view of the host's processes.

    python -m grader.sandbox CONNECTION_FILE [kernel args...]   # a sandboxed IPython kernel
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV_COURSE_ROOT = "BACKPROP_LAB_COURSE_ROOT"    # the course directories to hide (os.pathsep between)
ENV_SANDBOX = "BACKPROP_LAB_SANDBOX"            # "1": grader.isolation runs its child sandboxed too
ENV_IPC_DIR = "BACKPROP_LAB_IPC_DIR"            # where kernels' unix sockets live (the recipe's private folder)


def available() -> bool:
    return shutil.which("bwrap") is not None


def hidden_roots() -> list[str]:
    """The folders ENV_COURSE_ROOT names (several, as PATH does): what the sandbox hides."""
    return [p for p in os.environ.get(ENV_COURSE_ROOT, "").split(os.pathsep) if p]


def command(writable: list[str] = (), hide: list[str] = (), grader: bool = True,
            readable: list[str] = ()) -> list[str]:
    """The bwrap prefix: read-only everything, `hide` emptied, `writable` bound read-write,
    `readable` bound read-only again (a folder inside a hidden one);
    with `grader=False` the grader package is hidden too (kernels do not need it: hidden
    checks run in grader.isolation's process, which keeps it)."""
    cmd = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
           "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
           "--new-session", "--setenv", "HOME", "/tmp", "--chdir", os.getcwd()]
    for path in hide:
        cmd += ["--tmpfs", path]
    # what was hidden but is needed read-only again: Python and the course's packages (both may
    # live under /tmp or the course root; kernels import course and grader from the course
    # root, see nbgrader_config.py). Only the packages: the rest of a course root that is this
    # checkout (its gradebook, submissions, feedback) stays hidden.
    needed = {sys.prefix, sys.base_prefix, os.path.realpath(sys.base_prefix), str(REPO / "course")}
    if grader:
        needed.add(str(REPO / "grader"))
    for path in sorted(needed):
        if Path(path).is_relative_to("/tmp") or any(Path(path).is_relative_to(h) for h in hide):
            cmd += ["--ro-bind", path, path]
    for path in hide:
        for package in ("course", "grader") if grader else ("course",):
            inside = Path(path) / package
            if inside.exists() and not REPO.is_relative_to(path):
                cmd += ["--ro-bind", str(inside.resolve()), str(inside)]
    if not grader:
        cmd += ["--tmpfs", str(REPO / "grader")]
    for path in readable:
        cmd += ["--ro-bind", path, path]
    for path in writable:
        cmd += ["--bind", path, path]
    return cmd


def _kernel(connection_file: str, extra: list[str]) -> None:
    """exec a sandboxed ipykernel. It reads its connection file and talks over unix sockets
    (ipc transport) in the folder ENV_IPC_DIR names, the only other place it may write."""
    hide = hidden_roots()
    writable = [os.getcwd()] + ([os.environ[ENV_IPC_DIR]] if os.environ.get(ENV_IPC_DIR) else [])
    # ipykernel watches its parent's pid, which a new pid namespace hides: --die-with-parent does that job
    argv = command(writable, hide, grader=False) + ["--ro-bind", connection_file, connection_file, "--unsetenv", "JPY_PARENT_PID",
                                      sys.executable, "-m", "ipykernel_launcher", "-f", connection_file, *extra]
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    _kernel(sys.argv[1], sys.argv[2:])
