"""The README's install-and-open command does what the README says, in a real browser.

The command is read from README.md ("Install and open the course"), so the README
cannot drift from what is tested. It is run as written, in a temporary copy of the
course's top level (release/ copied, everything else linked: the checkout is never
written), with only what a test needs added:

* `--allow-root` when the tests run as root (JupyterLab refuses root without it; the
  README says so);
* a free port, and `--ServerApp.browser=<a recorder> %s` instead of the desktop's
  browser: the server hands the recorder the page it would open, and Chromium opens
  that page (so what is checked is what a user's browser would be sent to);
* a throw-away HOME and Jupyter folders (no one's own Jupyter set-up takes part).

What the user relies on: JupyterLab opens with the first notebook in the active tab;
its file browser's root is the repository root (nbgrader's course directory is inside
the server root: the file browser leads to release/, source/, solutions/ and the
config); the server prints no error, in particular not nbgrader's "The course
directory root is not a subdirectory of the notebook server root".

    python -m pytest tests/test_readme.py -m browser
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools import browser_harness as bh
from tests.test_browser import gate

ROOT = bh.ROOT
README = ROOT / "README.md"
# Entries of the repository's top level the file browser must show at its root.
COURSE_TOP = ("README.md", "nbgrader_config.py", "release", "source", "solutions")
NOT_COPIED = {".git", ".venv", "artifacts", "gradebook.db", "submitted", "autograded", "feedback"}
RECORDER = "import pathlib, sys; pathlib.Path(sys.argv[1]).write_text(sys.argv[2])\n"


def readme_open_command() -> list[str]:
    """The `jupyter lab ...` part of the README's install-and-open command, as argv."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"Install and open the course.*?```bash\n(.*?)```", text, re.DOTALL)
    assert block, "README.md has no 'Install and open the course' bash block"
    last = block.group(1).strip().split("&&")[-1]
    argv = shlex.split(last)
    assert argv[:2] == [".venv/bin/jupyter", "lab"], f"the block does not end by opening JupyterLab: {last}"
    return argv


def first_notebook() -> str:
    first = sorted(p.name for p in (ROOT / "release").iterdir() if p.is_dir())[0]
    return f"release/{first}/{first}.ipynb"


def test_readme_opens_the_first_notebook_from_the_repository_root():
    """Fast, no browser: the command names the first release notebook and makes the
    repository root (the folder it is run from) the server's root."""
    argv = readme_open_command()
    assert first_notebook() in argv
    assert "--notebook-dir=." in argv or "--ServerApp.root_dir=." in argv, argv


def course_copy(folder: Path) -> Path:
    """The repository's top level in `folder`: release/ and nbgrader_config.py copied, the
    rest linked."""
    folder.mkdir()
    for entry in ROOT.iterdir():
        if entry.name in NOT_COPIED:
            continue
        if entry.name == "release":
            shutil.copytree(entry, folder / entry.name)
        elif entry.name == "nbgrader_config.py":
            shutil.copy(entry, folder / entry.name)
        else:
            (folder / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    return folder


def isolated_env(home: Path) -> dict[str, str]:
    """The environment with a throw-away HOME and Jupyter folders, no news, no update check."""
    config = home / ".jupyter"
    settings = config / "lab" / "user-settings"
    for plugin, values in bh.LAB_SETTINGS.items():
        package, name = plugin.rsplit("/", 1)
        (settings / package).mkdir(parents=True, exist_ok=True)
        (settings / package / f"{name}.jupyterlab-settings").write_text(json.dumps(values))
    (config / "jupyter_server_config.json").write_text(json.dumps(
        {"LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}}))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "NBGRADER_")) and k not in ("PYTHONPATH", "MPLBACKEND")}
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(config), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               MPLCONFIGDIR=str(home / ".matplotlib"))
    return env


@pytest.mark.browser
def test_readme_open_command_in_a_browser(tmp_path):
    gate()
    course = course_copy(tmp_path / "course")
    home = tmp_path / "home"
    recorder, opened = tmp_path / "browser.py", tmp_path / "opened.txt"
    recorder.write_text(RECORDER)
    argv = readme_open_command()
    command = [str(Path(sys.executable).parent / "jupyter"), *argv[1:],
               f"--ServerApp.port={bh.free_port()}", "--ServerApp.port_retries=0",
               f"--ServerApp.browser={shlex.quote(sys.executable)} {shlex.quote(str(recorder))} "
               f"{shlex.quote(str(opened))} %s"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log_path = tmp_path / "jupyterlab.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=course, env=isolated_env(home), stdout=log,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not (opened.is_file() and opened.read_text()):
            assert server.poll() is None, f"JupyterLab exited {server.returncode}:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"no browser opened in 90 s:\n{log_path.read_text()}"
            time.sleep(0.25)
        with bh.chromium() as browser:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(opened.read_text())
            notebook = first_notebook()
            page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
            # the kernel has started and is idle (closing the page earlier logs a websocket error)
            page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) "
                                   ".jp-Notebook-ExecutionIndicator[data-status='idle']")
            page.wait_for_function("() => /Idle/.test(document.querySelector('#jp-main-statusbar').textContent)")
            assert page.url.split("?")[0].endswith(f"/lab/tree/{notebook}"), page.url
            active = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
            assert active.all_inner_texts() == [Path(notebook).name]
            crumbs = page.locator(".jp-BreadCrumbs")
            assert crumbs.inner_text().replace(" ", "").strip("/") == str(Path(notebook).parent), \
                "the file browser is not in the notebook's folder, below the repository root"
            crumbs.locator(".jp-BreadCrumbs-home").click()
            page.wait_for_function("() => document.querySelector('.jp-BreadCrumbs').textContent.trim() === '/'")
            page.wait_for_selector(".jp-DirListing-itemText >> text=nbgrader_config.py")
            listing = set(page.locator(".jp-DirListing-itemText").all_inner_texts())
            assert set(COURSE_TOP) <= listing, f"the file browser's root shows {sorted(listing)}"
            page.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    log = log_path.read_text()
    assert "not a subdirectory of the notebook server root" not in log, log
    errors = [line for line in log.splitlines() if line.startswith(("[E ", "[C ")) and "ServerApp] " in line
              and not line.rstrip().endswith(("ServerApp]", "stopping"))]
    assert not errors, "\n".join(errors)


def test_readme_shows_a_failed_check_exactly_as_the_notebook_renders_it():
    """README "For students" quotes what 01's softmax test shows for a softmax summed over
    the wrong axis: the failing line and the message, as IPython renders a CheckFailed."""
    import linecache

    import nbformat
    import numpy as np

    from course.checks import CheckFailed
    from tools.registry import notebook

    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
             for c in nbformat.read(notebook("release", "01_forward_pass"), as_version=4).cells}
    namespace: dict = {}
    exec(cells["setup"], namespace)
    namespace["softmax"] = lambda z: np.exp(z) / np.exp(z).sum(axis=0)      # the planted mistake
    source, name = cells["test_softmax_values"], "<test_softmax_values>"
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    with pytest.raises(CheckFailed) as failure:
        exec(compile(source, name, "exec"), namespace)
    shown = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(failure.value._render_traceback_()))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quoted = re.search(r"\n  ```\n(  ---->.*?)\n  ```", readme, re.S).group(1)
    assert "\n".join(line[2:] for line in quoted.splitlines()) == shown
