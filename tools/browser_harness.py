"""A real browser on the course: JupyterLab in a throw-away HOME, driven by Chromium.

Used by tests/test_browser.py and benchmarks/browser_latency.py, and reusable from a
Python prompt:

    from tools.browser_harness import JupyterLab, chromium, LabNotebook
    with JupyterLab(["01_forward_pass"]) as lab, chromium() as browser:
        nb = LabNotebook.open(browser, lab, "01_forward_pass")
        nb.run_all()
        explorer = nb.widget("neuron_explorer")
        before = explorer.picture()
        explorer.slider("w1").press("ArrowRight")
        explorer.wait_for_new_picture(before)

What it sets up:

* JupyterLab from this Python environment on 127.0.0.1, a free port, a random token,
  HOME, JUPYTER_CONFIG_DIR/DATA_DIR/RUNTIME_DIR and the lab settings and workspaces in
  a temporary folder (nothing of the user's own Jupyter set-up is read or written), the
  solved notebooks (source/NN_topic/NN_topic.ipynb) copied into its root folder and
  this checkout on PYTHONPATH so the kernels import `course` (and `grader`, which the
  solved notebooks' hidden tests call). NBGRADER_EXECUTION is removed from the
  environment: with it, the widgets would be idle placeholders.
  Lab settings: notebooks render every cell (no windowing: widgets far down the page
  exist in the page), no news or update checks (the machine may be offline).
* Chromium: Debian's /usr/bin/chromium (or $BACKPROP_LAB_CHROMIUM) through Playwright,
  headless, with the flags that keep it off the network. `playwright install` is never
  needed: Playwright only drives the system browser.

Pictures are compared by a hash of the ipympl canvas pixels (getImageData), computed
in the page.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tools import registry

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = tuple(registry.assignments(ROOT))
# The widget factories each solved notebook calls (course/widgets.py), in page order.
WIDGETS = {name: registry.widgets(name, ROOT) for name in ASSIGNMENTS}
CHROMIUM_ENV = "BACKPROP_LAB_CHROMIUM"          # another Chromium binary (or a missing path, to test the skip)
REQUIRE_ENV = "BACKPROP_LAB_REQUIRE_BROWSER"    # "1": a missing browser fails instead of skipping (.ci/run)
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Known to work as root on a machine without internet. Without the background-networking
# flags Chromium's own connections (updates, sync, field trials) are refused and logged.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
LAB_SETTINGS = {
    # every cell rendered, so every widget is in the page (and prompts can be counted)
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # no news, no update check: the machine may be offline, and the toasts cover the page
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


class BrowserUnavailable(RuntimeError):
    """No browser to test with: `reason` says what is missing and how to get it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def chromium_path() -> Path:
    return Path(os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM)


def browser_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip() not in ("", "0", "false", "no")


def unavailable_reason() -> str | None:
    """Why the real-browser tests cannot run here, or None when they can."""
    path = chromium_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        return (f"no Chromium at {path} (install Debian's: apt-get install -y chromium; "
                f"or point ${CHROMIUM_ENV} at a Chromium binary)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python Playwright is not installed (pip install -r requirements.txt)"
    return None


def require_browser() -> None:
    """Raise BrowserUnavailable when Chromium or Playwright is missing."""
    reason = unavailable_reason()
    if reason:
        raise BrowserUnavailable(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """A JupyterLab server of this environment, alone in a temporary folder.

    notebooks   assignment names (their solved notebook from source/ is copied into the
                root folder, with the modules released beside it) or paths of notebooks to copy
    """

    def __init__(self, notebooks=ASSIGNMENTS, startup_timeout: float = 90.0, log_path: Path | None = None):
        self.notebooks = list(notebooks)
        self.startup_timeout = startup_timeout
        self.log_path = log_path
        self.token = secrets.token_hex(16)
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.tmp: Path | None = None

    # -- set-up ------------------------------------------------------------------------
    def _prepare(self) -> dict:
        self.tmp = Path(tempfile.mkdtemp(prefix="backprop-lab-browser-"))
        home, self.root = self.tmp / "home", self.tmp / "notebooks"
        for folder in (home, self.root):
            folder.mkdir()
        for item in self.notebooks:
            src = Path(item) if str(item).endswith(".ipynb") else ROOT / "source" / item / f"{item}.ipynb"
            shutil.copy(src, self.root / src.name)
            for module in src.parent.glob("*.py"):       # earlier notebooks' modules it imports (the
                shutil.copy(module, self.root / module.name)   # same file wherever it is released)
        config = home / ".jupyter"
        settings = config / "lab" / "user-settings"
        for plugin, values in LAB_SETTINGS.items():
            package, name = plugin.rsplit("/", 1)
            (settings / package).mkdir(parents=True, exist_ok=True)
            (settings / package / f"{name}.jupyterlab-settings").write_text(json.dumps(values))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("JUPYTER", "NBGRADER_")) and k not in ("PYTHONPATH", "MPLBACKEND")}
        python_path = [str(ROOT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
        env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(config),
                   JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
                   JUPYTER_RUNTIME_DIR=str(home / "runtime"),
                   JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
                   PYTHONPATH=os.pathsep.join(python_path),
                   MPLCONFIGDIR=str(home / ".matplotlib"),
                   PYTHONUNBUFFERED="1")
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        return env

    def start(self) -> "JupyterLab":
        env = self._prepare()
        self.port = free_port()
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                   f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                   "--LabApp.news_url=None",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        log = self.log_path or (self.tmp / "jupyterlab.log")
        self.log_path = Path(log)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(command, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.api("status")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"JupyterLab did not answer /api/status in {self.startup_timeout:.0f} s:\n"
                                       f"{self.log_tail()}")
                time.sleep(0.25)

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def url(self, notebook: str) -> str:
        """The page of a notebook in the root folder (a fresh workspace: no restored layout)."""
        name = notebook if notebook.endswith(".ipynb") else f"{notebook}.ipynb"
        return f"http://127.0.0.1:{self.port}/lab/tree/{name}?token={self.token}&reset"

    def shutdown_kernels(self) -> None:
        """Stop every kernel (frees the CPU between notebooks)."""
        for kernel in self.api("kernels") or []:
            with contextlib.suppress(urllib.error.URLError, OSError):
                self.api(f"kernels/{kernel['id']}", method="DELETE")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except (OSError, AttributeError):
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(Exception):
                self.shutdown_kernels()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        # kernels live in the server's process group; make sure none outlives it
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        if getattr(self, "_log", None):
            self._log.close()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)   # with it the log, unless log_path was given
            self.tmp = None

    def __enter__(self) -> "JupyterLab":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def chromium(headless: bool = True):
    """Playwright's Chromium on the system browser, with a fresh temporary profile."""
    require_browser()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_ARGS, headless=headless)
        try:
            yield browser
        finally:
            browser.close()


# Page-side helpers, installed in every page (before JupyterLab's own scripts).
PAGE_HELPERS = r"""
window.__blab = {
  canvas(root) {                          // the ipympl picture: the first canvas of the figure
    return root.querySelector('.jupyter-matplotlib-canvas-div canvas');
  },
  hash(canvas) {                          // FNV-1a over the pixels, plus the size
    if (!canvas || !canvas.width || !canvas.height) return 'empty';
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const words = new Uint32Array(data.buffer);
    let h = 2166136261;
    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 16777619);
    return (h >>> 0).toString(16) + '@' + canvas.width + 'x' + canvas.height;
  },
  // Arm a stopwatch: it starts at the next keydown/pointerdown anywhere in the page and
  // stops at the first animation frame whose canvas pixels differ from now. The pixels are
  // read only in a frame after something drew on the canvas (`drawn`, below): reading a
  // whole canvas every frame takes the page's main thread from the very picture it times.
  arm(root) {
    const canvas = this.canvas(root);
    const base = this.hash(canvas);
    const watch = this.watch = {t0: null, t1: null, done: false, canvas, drawn: false};
    const start = (event) => { if (watch.t0 === null) watch.t0 = performance.now(); };
    window.addEventListener('keydown', start, true);
    window.addEventListener('pointerdown', start, true);
    const frame = () => {
      if (watch.done) return;
      if (watch.t0 !== null && watch.drawn) {
        watch.drawn = false;
        if (this.hash(canvas) !== base) {
          watch.t1 = performance.now();
          watch.done = true;
          window.removeEventListener('keydown', start, true);
          window.removeEventListener('pointerdown', start, true);
          return;
        }
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    return base;
  },
  disarm() { if (this.watch) this.watch.done = true; },
  recording: false,
  ws: [],
};
// Whatever draws on the watched canvas (ipympl puts each new frame there with drawImage)
// marks it for the stopwatch's next frame.
for (const name of ['drawImage', 'putImageData', 'clearRect', 'fillRect']) {
  const original = CanvasRenderingContext2D.prototype[name];
  CanvasRenderingContext2D.prototype[name] = function (...args) {
    const watch = window.__blab.watch;
    if (watch && !watch.done && this.canvas === watch.canvas) watch.drawn = true;
    return original.apply(this, args);
  };
}
"""


# Optional (benchmarks): a log of the kernel messages on the page's websockets while
# window.__blab.recording is true: [time, "send"|"recv", channel, msg_type, has_buffers].
# JupyterLab 4 speaks the v1 kernel websocket protocol: a table of offsets, then channel,
# header, parent header, metadata, content and any buffers.
WEBSOCKET_LOG = r"""
(() => {
  const decoder = new TextDecoder();
  function describe(data) {
    if (!(data instanceof ArrayBuffer)) return ['text', '', false];
    try {
      const view = new DataView(data);
      const n = Number(view.getBigUint64(0, true));
      const offsets = [];
      for (let i = 1; i <= n; i++) offsets.push(Number(view.getBigUint64(8 * i, true)));
      const part = (k) => decoder.decode(new Uint8Array(data, offsets[k], offsets[k + 1] - offsets[k]));
      return [part(0), JSON.parse(part(1)).msg_type, n > 6];
    } catch (e) { return ['?', '?', false]; }
  }
  const log = (direction, data) => {
    const blab = window.__blab;
    if (blab && blab.recording) blab.ws.push([performance.now(), direction, ...describe(data)]);
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) { log('send', data); return send.call(this, data); };
  const onmessage = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
  Object.defineProperty(WebSocket.prototype, 'onmessage', {
    configurable: true,
    get() { return onmessage.get.call(this); },
    set(handler) {
      onmessage.set.call(this, handler ? function (event) { log('recv', event.data); return handler.call(this, event); }
                                       : handler);
    },
  });
})();
"""


class LabNotebook:
    """A notebook open in JupyterLab, in its own browser page; collects console errors."""

    def __init__(self, page, lab: JupyterLab, name: str):
        self.page, self.lab, self.name = page, lab, name
        self.console_errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"page error: {error}"))

    def _on_console(self, message) -> None:
        if message.type == "error":
            location = message.location or {}
            where = f" ({location.get('url', '')}:{location.get('lineNumber', '')})" if location.get("url") else ""
            self.console_errors.append(f"console.error: {message.text}{where}")

    @classmethod
    def open(cls, browser, lab: JupyterLab, name: str, width: int = 1400, height: int = 1000,
             timeout: float = 90.0, log_websocket: bool = False) -> "LabNotebook":
        """Opens the notebook in a new page and waits for its kernel. `log_websocket`
        records kernel messages during `Widget.timed_phases` (benchmarks)."""
        context = browser.new_context(viewport={"width": width, "height": height})
        context.add_init_script(PAGE_HELPERS)
        if log_websocket:
            context.add_init_script(WEBSOCKET_LOG)
        page = context.new_page()
        page.set_default_timeout(30_000)
        notebook = cls(page, lab, name)
        page.goto(lab.url(name), timeout=timeout * 1000)
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=timeout * 1000)
        notebook.wait_for_kernel_idle(timeout)
        return notebook

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.page.context.close()

    # -- the notebook ------------------------------------------------------------------
    def kernel_status(self) -> str:
        return self.page.evaluate(
            "() => { const e = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) "
            ".jp-Notebook-ExecutionIndicator'); return e ? e.getAttribute('data-status') : 'missing'; }")

    def wait_for_kernel_idle(self, timeout: float = 60.0) -> None:
        """Wait until the notebook's kernel runs, is connected to this page and idle.
        (The toolbar's indicator alone reads "idle" before any kernel has started.)"""
        deadline = time.monotonic() + timeout
        while True:
            try:
                kernels = self.lab.api("kernels") or []
            except urllib.error.HTTPError as error:    # a 500 while the server starts the kernel (seen
                if error.code < 500 or time.monotonic() > deadline:   # once on a loaded CI machine): ask again
                    raise
                kernels = []
            if (kernels and all(k["execution_state"] == "idle" and k["connections"] >= 1 for k in kernels)
                    and self.kernel_status() == "idle"):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: kernel not idle after {timeout:.0f} s "
                                   f"(server: {kernels}, page: {self.kernel_status()})")
            time.sleep(0.2)

    def _click_run_all(self) -> None:
        page = self.page
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

    def run_all_started(self) -> None:
        """Run > Run All Cells, and wait until the first cell is queued or ran."""
        started = "() => Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt'))" \
                  ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"
        self._click_run_all()
        try:
            self.page.wait_for_function(started, timeout=10_000, polling=100)
        except Exception:               # the click raced the kernel's start-up: once more
            self.wait_for_kernel_idle()
            self._click_run_all()
            self.page.wait_for_function(started, timeout=10_000, polling=100)

    def run_all(self, timeout: float = 180.0) -> float:
        """Run > Run All Cells; wait until every code cell has run. Returns the seconds taken."""
        page = self.page
        start = time.monotonic()
        self.run_all_started()
        # a prompt reads [*]: while queued or running and [n]: when done; a cell that raised
        # stops the run, so the cells after it keep [ ]: and this times out
        page.wait_for_function(
            """() => {
                 const prompts = Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt'));
                 return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
               }""", timeout=timeout * 1000, polling=250)
        self.wait_for_kernel_idle(timeout)
        return time.monotonic() - start

    def run_all_until_idle(self, timeout: float = 180.0) -> float:
        """Run > Run All Cells; wait until the run is over, whether or not it reached the last
        cell (no prompt reads [*] and the kernel is idle). Returns the seconds taken; then
        `unrun_cells()` says how many cells it left."""
        start = time.monotonic()
        self.run_all_started()
        self.page.wait_for_function(
            """() => !Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt'))
                       .some(p => /\\[\\*\\]/.test(p.textContent))""", timeout=timeout * 1000, polling=250)
        self.wait_for_kernel_idle(timeout)
        return time.monotonic() - start

    def error_outputs(self) -> list[str]:
        """Texts of outputs that show a Python traceback (an error output of a cell)."""
        texts = self.page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
        return [t for t in texts if re.search(r"Traceback|^\w+(Error|Exception)\b|CheckFailed", t, re.M)]

    def unrun_cells(self) -> int:
        return self.page.evaluate(
            "() => Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt'))"
            ".filter(p => !/\\[\\d+\\]/.test(p.textContent)).length")

    def widget(self, factory: str, timeout: float = 30.0) -> "Widget":
        """The widget shown by the (first) code cell that calls `widgets.<factory>(`."""
        index = self.page.evaluate(
            """(factory) => {
                 const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell'));
                 const pattern = new RegExp('widgets\\\\.' + factory + '\\\\(');
                 return cells.findIndex(c => pattern.test(c.querySelector('.jp-InputArea').textContent));
               }""", factory)
        if index < 0:
            raise LookupError(f"{self.name}: no code cell calls widgets.{factory}(")
        cell = self.page.locator(".jp-Notebook .jp-CodeCell").nth(index)
        root = cell.locator(".jp-OutputArea-output .widget-hbox").first
        try:
            root.wait_for(state="attached", timeout=timeout * 1000)
        except Exception as exc:
            shown = cell.locator(".jp-OutputArea").inner_text()[:500]
            raise AssertionError(f"{self.name}: the cell calling widgets.{factory}( shows no widget after "
                                 f"{timeout:.0f} s (NBGRADER_EXECUTION set? widget JS missing?); "
                                 f"its output: {shown!r}") from exc
        widget = Widget(self, factory, root)
        widget.wait_for_picture(timeout)
        return widget


class Slider:
    """An ipywidgets slider (noUiSlider): keyboard on its handle, or a mouse drag."""

    def __init__(self, widget: "Widget", locator):
        self.widget, self.locator = widget, locator
        self.handle = locator.locator(".noUi-handle").first

    @property
    def label(self) -> str:
        return self.locator.locator(".widget-label").first.inner_text().strip()

    @property
    def value(self) -> str:
        """The readout as shown (e.g. '1.05')."""
        return self.locator.locator(".widget-readout").first.inner_text().strip()

    def bounds(self) -> tuple[float, float, float]:
        get = self.handle.get_attribute
        return float(get("aria-valuemin")), float(get("aria-valuemax")), float(get("aria-valuenow"))

    def focus(self) -> None:
        self.handle.scroll_into_view_if_needed()
        self.handle.focus()

    def press(self, key: str = "ArrowRight") -> None:
        """Focus the handle and press a key (ArrowLeft/Right, PageUp/Down, Home/End)."""
        self.focus()
        self.widget.page.keyboard.press(key)

    def type_value(self, text: str) -> None:
        """Type a value into the slider's readout and press Enter (sets it exactly)."""
        readout = self.locator.locator(".widget-readout").first
        readout.scroll_into_view_if_needed()
        readout.click()
        page = self.widget.page
        page.keyboard.press("Control+A")
        page.keyboard.type(text)
        page.keyboard.press("Enter")

    def drag(self, dx: float, steps: int = 8) -> None:
        """Press the mouse on the handle, move it dx pixels sideways, release."""
        page = self.widget.page
        self.handle.scroll_into_view_if_needed()
        box = self.handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + dx, y, steps=steps)
        page.mouse.up()


class Widget:
    """One course widget (an ipywidgets HBox: controls on the left, the ipympl canvas)."""

    def __init__(self, notebook: LabNotebook, name: str, root):
        self.notebook, self.name, self.root = notebook, name, root
        self.page = notebook.page

    def picture(self) -> str:
        """A hash of the canvas pixels."""
        return self.root.evaluate("(root) => window.__blab.hash(window.__blab.canvas(root))")

    def wait_for_picture(self, timeout: float = 30.0) -> str:
        """Wait until the canvas has been drawn (not empty, not blank)."""
        self.root.locator(".jupyter-matplotlib-canvas-div canvas").first.wait_for(state="attached",
                                                                                  timeout=timeout * 1000)
        try:
            self.page.wait_for_function(
                """(root) => {
                     const c = window.__blab.canvas(root);
                     if (!c || c.width < 10 || c.height < 10) return false;
                     const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                     for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;   // some pixel painted
                     return false;
                   }""", arg=self.root.element_handle(), timeout=timeout * 1000, polling=100)
        except Exception as exc:
            size = self.root.evaluate("(root) => { const c = window.__blab.canvas(root); "
                                      "return c ? c.width + 'x' + c.height : 'no canvas'; }")
            errors = "\n  ".join(self.notebook.console_errors) or "none"
            raise AssertionError(f"{self.notebook.name} / {self.name}: the widget shows no picture after "
                                 f"{timeout:.0f} s (canvas {size}); browser console errors:\n  {errors}") from exc
        return self.picture()

    def wait_for_new_picture(self, before: str, timeout: float = 30.0) -> float:
        """Wait until the canvas pixels differ from `before`; returns the seconds waited."""
        start = time.monotonic()
        self.page.wait_for_function(
            "([root, before]) => window.__blab.hash(window.__blab.canvas(root)) !== before",
            arg=[self.root.element_handle(), before], timeout=timeout * 1000, polling="raf")
        return time.monotonic() - start

    def settle(self, quiet: float = 0.4, timeout: float = 30.0) -> str:
        """Wait until the picture has not changed for `quiet` seconds (pending draws done)."""
        deadline = time.monotonic() + timeout
        last, since = self.picture(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = self.picture()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet and self.notebook.kernel_status() == "idle":
                return now
        raise TimeoutError(f"{self.name}: the picture kept changing for {timeout} s")

    def snapshot(self) -> None:
        """Keep the canvas pixels now, for `pixels_changed_since_snapshot`."""
        self.root.evaluate("(root) => { const c = window.__blab.canvas(root); "
                           "window.__blab.snapshot = c.getContext('2d').getImageData(0, 0, c.width, c.height).data.slice(); }")

    def pixels_changed_since_snapshot(self) -> int:
        """How many canvas pixels differ from the last `snapshot()`."""
        return self.root.evaluate(
            """(root) => {
                 const c = window.__blab.canvas(root), old = window.__blab.snapshot;
                 const now = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 if (!old || old.length !== now.length) return c.width * c.height;
                 let n = 0;
                 for (let i = 0; i < now.length; i += 4)
                   if (now[i] !== old[i] || now[i + 1] !== old[i + 1] || now[i + 2] !== old[i + 2] || now[i + 3] !== old[i + 3]) n++;
                 return n;
               }""")

    # -- controls ----------------------------------------------------------------------
    def sliders(self) -> list[Slider]:
        """The visible sliders, top to bottom."""
        found = self.root.locator(".widget-slider")
        return [Slider(self, found.nth(i)) for i in range(found.count()) if found.nth(i).is_visible()]

    def slider(self, label: str) -> Slider:
        for slider in self.sliders():
            if slider.label == label:
                return slider
        raise LookupError(f"{self.name}: no visible slider labelled {label!r} "
                          f"(have {[s.label for s in self.sliders()]})")

    def button(self, text: str):
        """A push button (not a toggle) whose text contains `text`."""
        return self.root.locator("button.widget-button", has_text=text).first

    def toggle(self, text: str):
        """An option of a ToggleButtons control, by its exact text."""
        return self.root.locator("button.widget-toggle-button").filter(
            has_text=re.compile(rf"^\s*{re.escape(text)}\s*$")).first

    def dropdown(self):
        return self.root.locator(".widget-dropdown select").first

    def status(self) -> str:
        """The widget's status line (a warning when the student's code raised)."""
        return self.root.locator(".widget-html-content").last.inner_text().strip()

    def progress(self) -> float:
        """The progress bar's fill, 0..1 (ipywidgets IntProgress)."""
        return self.root.locator(".widget-hprogress .progress-bar").first.evaluate(
            "(bar) => (parseFloat(bar.style.width) || 0) / 100")

    def clipped_controls(self) -> list[str]:
        """Controls a student cannot fully see: text cut short (ellipsis) or parts outside
        the controls column or the output area (e.g. a slider's value readout)."""
        return self.root.evaluate(
            """(root) => {
                 const column = root.firstElementChild;            // VBox of controls, then the canvas
                 const area = root.closest('.jp-OutputArea-output') || root;
                 const limit = Math.min(column.getBoundingClientRect().right, area.getBoundingClientRect().right);
                 const found = [];
                 const name = (e) => {
                   const row = e.closest('.widget-inline-hbox, .widget-button, .widget-toggle-buttons');
                   const label = row && row.querySelector('.widget-label');
                   return (label && label.textContent.trim()) || e.textContent.trim() || e.className;
                 };
                 for (const e of column.querySelectorAll('.widget-label, .widget-readout, button, select, .slider-container')) {
                   const box = e.getBoundingClientRect();
                   if (!box.width || getComputedStyle(e).display === 'none' || !e.offsetParent) continue;
                   const kind = e.classList.contains('widget-readout') ? 'value readout'
                              : e.classList.contains('slider-container') ? 'slider track'
                              : e.tagName.toLowerCase() === 'select' ? 'drop-down'
                              : e.tagName.toLowerCase() === 'button' ? 'button' : 'label';
                   if (box.right > limit + 1)
                     found.push(`${name(e)}: ${kind} cut off (${Math.round(box.right - limit)} px outside)`);
                   else if (e.scrollWidth > e.clientWidth + 1 && kind !== 'slider track')
                     found.push(`${name(e)}: ${kind} text truncated`);
                 }
                 if (root.scrollWidth > area.clientWidth + 1)
                   found.push(`the widget is ${root.scrollWidth - area.clientWidth} px wider than the output area`);
                 return found;
               }""")

    def screenshot(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.root.scroll_into_view_if_needed()
        self.root.screenshot(path=str(path))
        return path

    # -- latency -----------------------------------------------------------------------
    def timed(self, action, timeout: float = 30.0) -> float:
        """Milliseconds from the key press / pointer press `action()` makes to the first
        animation frame showing a different picture (measured in the page)."""
        return self.timed_phases(action, timeout)["total_ms"]

    def timed_phases(self, action, timeout: float = 30.0) -> dict:
        """`timed`, split in phases when the page logs its websocket (log_websocket=True):

        to_kernel_ms   key press -> the kernel reports busy with the update (the browser
                       sends it, the server relays it, the kernel picks it up)
        kernel_ms      -> the picture (the last kernel message with a binary buffer)
                       arrives in the browser (the widget's update, the student's code,
                       the render and PNG in the kernel, the way back)
        browser_ms     -> pixels changed on screen (PNG decode, canvas, next frame)
        """
        self.root.evaluate("(root) => { window.__blab.ws = []; window.__blab.recording = true; "
                           "window.__blab.arm(root); }")
        try:
            action()
            self.page.wait_for_function("() => window.__blab.watch.t1 !== null", timeout=timeout * 1000,
                                        polling=20)
        finally:
            self.page.evaluate("() => { window.__blab.disarm(); window.__blab.recording = false; }")
        t0, t1, log = self.page.evaluate("() => [window.__blab.watch.t0, window.__blab.watch.t1, window.__blab.ws]")
        result = {"total_ms": t1 - t0, "to_kernel_ms": None, "kernel_ms": None, "browser_ms": None}
        sent = next((t for t, way, channel, *_ in log if way == "send" and channel == "shell" and t >= t0), None)
        busy = next((t for t, way, channel, kind, _b in log
                     if sent is not None and t >= sent and way == "recv" and kind == "status"), None)
        picture = [t for t, way, channel, kind, buffers in log
                   if way == "recv" and kind == "comm_msg" and buffers and t <= t1]
        if busy is not None:
            result["to_kernel_ms"] = busy - t0
            if picture and picture[-1] >= busy:
                result["kernel_ms"] = picture[-1] - busy
                result["browser_ms"] = t1 - picture[-1]
        return result
