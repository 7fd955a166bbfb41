"""The isolated-autograde recipe (tools/isolated_autograde.py): student code runs in a
bubblewrap sandbox, so a submission cannot touch the gradebook, the grader, other files or
the network, and honest work is graded as usual."""
import os
import shutil
import socket
import subprocess
import sys
import threading

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader.sandbox import available
from tools.build import ROOT, nbgrader_env

from .adversarial_submissions import A, MAX, WRONG, _answer, _in_first_answer, _release, _solved

pytestmark = pytest.mark.slow

if not available():
    if os.environ.get("BACKPROP_LAB_REQUIRE_SANDBOX"):
        pytest.fail("bwrap is required here (BACKPROP_LAB_REQUIRE_SANDBOX is set)", pytrace=False)
    pytest.skip("bwrap (bubblewrap) is not installed: apt-get install bubblewrap", allow_module_level=True)


def test_a_sandboxed_autograde_contains_a_hostile_submission_and_grades_honest_work(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "source" / A, root / "source" / A)
    for package in ("course", "grader"):
        (root / package).symlink_to(ROOT / package)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(60)
    reached = []

    def listen():
        try:
            reached.append(listener.accept())
        except OSError:            # nobody connected within the timeout: what the test wants
            pass
    threading.Thread(target=listen, daemon=True).start()
    outside = tmp_path / "outside.txt"
    hostile = (
        "import pathlib, socket, sqlite3\nreport = []\n"
        "for target in ['../../../gradebook.db', '../../bob/01_forward_pass/01_forward_pass.ipynb',"
        f" '{ROOT / 'grader' / 'PWNED'}', '{outside}']:\n"
        "    try:\n        pathlib.Path(target).write_text('pwned')\n        report.append('wrote ' + target)\n"
        "    except OSError as e:\n        report.append('refused ' + target)\n"
        f"try:\n    print(len(open({str(ROOT / 'grader' / 'forward_pass.py')!r}).read()))\n    report.append('read grader')\n"
        "except OSError:\n    report.append('grader hidden')\n"
        f"try:\n    socket.create_connection(('127.0.0.1', {listener.getsockname()[1]}), timeout=3)\n"
        "    report.append('network')\nexcept OSError:\n    report.append('no network')\nprint(report)")
    submissions = {"mallory": _in_first_answer(_solved(), after=hostile), "bob": _solved(), "eve": _answer(_release(), WRONG)}
    for name, notebook in submissions.items():
        folder = root / "submitted" / name / A
        folder.mkdir(parents=True)
        nbformat.write(notebook, str(folder / f"{A}.ipynb"))
    env = nbgrader_env()
    env.pop("PYTHONPATH", None)
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", A, "--force"], cwd=root, env=env,
                   check=True, capture_output=True)
    bob_before = (root / "submitted" / "bob" / A / f"{A}.ipynb").read_bytes()
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "isolated_autograde.py"), A, "--force"], cwd=root,
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        scores = {name: gb.find_submission(A, name).score for name in submissions}
    assert scores == {"mallory": MAX, "bob": MAX, "eve": 0}
    assert not (ROOT / "grader" / "PWNED").exists() and not outside.exists()
    assert (root / "submitted" / "bob" / A / f"{A}.ipynb").read_bytes() == bob_before
    assert reached == []
    graded = nbformat.read(root / "autograded" / "mallory" / A / f"{A}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in graded.cells if c.cell_type == "code" for o in c.outputs)
    assert "no network" in printed and "refused" in printed
    assert "grader hidden" in printed and "read grader" not in printed
