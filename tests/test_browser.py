"""The widgets in a real browser: JupyterLab + Debian's Chromium, driven by Playwright.

For each assignment the solved notebook (source/NN_topic/NN_topic.ipynb) is opened in
JupyterLab, Run > Run All Cells runs it, and then every widget is used as a student
would: each slider moved with the keyboard (arrow key on its handle) and by dragging
its handle, each button pressed, each toggle and drop-down changed. After every action
the picture (the ipympl canvas pixels) must change, and at the end the browser console
must hold no error. Scrubbing a slider back and forth and returning to the same value
must give back the same picture, pixel for pixel. Controls that do not fit a 1400 px
window are reported as LayoutWarning. Screenshots go to artifacts/browser/ (git-ignored).

    python -m pytest -m browser -q        # only these (about 2-3 minutes on 2 cores)
    python -m pytest -m "not browser"     # everything else

Without Chromium (/usr/bin/chromium, or $BACKPROP_LAB_CHROMIUM) or Playwright the tests
skip and say why; with BACKPROP_LAB_REQUIRE_BROWSER=1 (set by .ci/run) they fail instead.
tools/browser_harness.py holds the machinery (server, browser, widget handles).
"""
from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import pytest

from tools import browser_harness as bh

ARTIFACTS = Path(os.environ.get("BACKPROP_LAB_ARTIFACTS") or bh.ROOT / "artifacts") / "browser"
# Seconds a picture may take to change after an action. The fine-tuning explorer trains
# models for a setting it has not shown before (several seconds on 2 cores).
PICTURE_TIMEOUT = 20.0
TRAINING_TIMEOUT = 90.0
VIEWPORT = (1400, 1000)      # a laptop-sized window, JupyterLab's file browser open


class LayoutWarning(UserWarning):
    """A widget's controls do not fit: reported, not failed (the widgets work)."""


def gate() -> None:
    """Skip (or, under BACKPROP_LAB_REQUIRE_BROWSER=1, fail) when there is no browser."""
    reason = bh.unavailable_reason()
    if reason is None:
        return
    if bh.browser_required():
        pytest.fail(f"{bh.REQUIRE_ENV}=1 but the real-browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"real-browser test: {reason}")


@pytest.fixture(scope="module")
def browser():
    gate()
    with bh.chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def lab(browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with bh.JupyterLab(bh.ASSIGNMENTS, log_path=ARTIFACTS / "jupyterlab.log") as server:
        yield server


@pytest.fixture
def notebook(request, lab, browser):
    """Opens the assignment's solved notebook, runs all cells; afterwards closes the page,
    stops the kernel and, when the test failed, saves a screenshot of the page."""
    name = request.param
    folder = ARTIFACTS / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    nb = bh.LabNotebook.open(browser, lab, name, width=VIEWPORT[0], height=VIEWPORT[1])
    nb.artifacts = folder
    try:
        nb.run_seconds = nb.run_all(timeout=180)
        yield nb
    finally:
        try:
            nb.page.screenshot(path=str(folder / "page-at-end.png"))
        except Exception:
            pass
        nb.close()
        lab.shutdown_kernels()


def check_notebook_ran(nb: bh.LabNotebook) -> None:
    assert nb.unrun_cells() == 0, f"{nb.name}: Run All left cells unrun (a cell raised?)"
    assert nb.error_outputs() == [], f"{nb.name}: cells printed errors:\n" + "\n---\n".join(nb.error_outputs())


def check_console(nb: bh.LabNotebook) -> None:
    assert nb.console_errors == [], f"{nb.name}: the browser console shows errors:\n" + "\n".join(nb.console_errors)


class Driver:
    """Acts on one widget and checks that each action changes its picture."""

    def __init__(self, nb: bh.LabNotebook, factory: str):
        self.nb, self.name = nb, factory
        self.widget = nb.widget(factory)
        self.actions: list[tuple[str, float]] = []
        self.shot("0-shown")
        clipped = self.widget.clipped_controls()
        if clipped:
            warnings.warn(LayoutWarning(f"{nb.name} / {factory} in a {VIEWPORT[0]}x{VIEWPORT[1]} window: "
                                        + "; ".join(clipped)))

    def shot(self, label: str) -> Path:
        return self.widget.screenshot(self.nb.artifacts / f"{self.name}-{label}.png")

    def act(self, what: str, action, timeout: float = PICTURE_TIMEOUT) -> float:
        """Run `action()`; the picture must change within `timeout` seconds."""
        before = self.widget.settle(timeout=max(timeout, 30))
        action()
        try:
            seconds = self.widget.wait_for_new_picture(before, timeout=timeout)
        except Exception as exc:
            self.shot(f"FAILED-{re.sub(r'[^A-Za-z0-9]+', '_', what)}")
            raise AssertionError(f"{self.nb.name} / {self.name}: {what}: the picture did not change "
                                 f"within {timeout:.0f} s") from exc
        self.actions.append((what, seconds))
        status = self.widget.status()
        assert "raised" not in status, f"{self.name}: {what}: the widget reports an error: {status}"
        return seconds

    def slider(self, label: str, key: str = "ArrowRight", dx: float = -50.0,
               timeout: float = PICTURE_TIMEOUT, between=None) -> None:
        """Move the slider with `key` on its handle, then by dragging it `dx` pixels;
        each must change the value shown and the picture. `between()` runs before each."""
        slider = self.widget.slider(label)
        for what, move in ((f"slider {label!r}: {key}", lambda: slider.press(key)),
                           (f"slider {label!r}: drag {dx:+.0f}px", lambda: slider.drag(dx))):
            if between:
                between()
            shown = slider.value
            self.act(what, move, timeout)
            assert slider.value != shown, f"{self.name}: {what}: the readout stayed {shown}"

    def done(self) -> None:
        self.widget.settle()
        self.shot("9-after")


def trained(driver: Driver) -> None:
    """Press the widget's Train button; the picture must change, and the button come back."""
    widget = driver.widget
    driver.act("Train", lambda: widget.button("Train").click(), timeout=TRAINING_TIMEOUT)
    widget.page.wait_for_function(
        "(root) => !root.querySelector('button.widget-button').disabled",
        arg=widget.root.element_handle(), timeout=TRAINING_TIMEOUT * 1000)
    widget.settle()


# --- the five notebooks -------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("notebook", ["01_forward_pass"], indirect=True)
def test_forward_pass_widgets(notebook):
    check_notebook_ran(notebook)

    neuron = Driver(notebook, "neuron_explorer")
    for label in ("w1", "w2", "b"):
        neuron.slider(label)
    neuron.done()

    network = Driver(notebook, "network_explorer")
    for label in ("x1", "x2", "value"):
        network.slider(label)
    # choose another parameter: the value slider shows it; moving it changes the picture
    dropdown = network.widget.dropdown()
    options = dropdown.locator("option").all_inner_texts()
    assert len(options) == 17, options          # seed 002's 2-3-2 network: 12 weights, 5 biases
    dropdown.select_option(label=options[6])    # b1
    network.widget.settle()
    network.slider("value", key="ArrowLeft", dx=40)
    network.done()
    check_console(notebook)


@pytest.mark.browser
@pytest.mark.parametrize("notebook", ["02_loss_functions"], indirect=True)
def test_loss_functions_widgets(notebook):
    check_notebook_ran(notebook)

    outlier = Driver(notebook, "outlier_explorer")
    outlier.slider("outlier y", key="ArrowLeft", dx=-60)
    # δ matters only for residuals beyond it: with the point on the line (where it starts)
    # every residual is < δ and Huber's fit is MSE's. Make the point an outlier first.
    point = outlier.widget.slider("outlier y")
    outlier.act("slider 'outlier y': End", lambda: point.press("End"))
    assert float(point.value) == 15.0
    outlier.shot("1-outlier")
    outlier.slider("Huber δ", key="ArrowRight", dx=40)
    outlier.done()

    loss = Driver(notebook, "loss_explorer")
    for label in ("target y", "prediction", "Huber δ"):
        loss.slider(label)
    loss.act("task: binary", lambda: loss.widget.toggle("binary").click())
    assert [s.label for s in loss.widget.sliders()] == ["p"], "binary: only p is a slider"
    loss.shot("1-binary")
    loss.slider("p", dx=60)
    loss.act("label y: 0", lambda: loss.widget.toggle("0").click())
    loss.act("task: regression", lambda: loss.widget.toggle("regression").click())
    assert [s.label for s in loss.widget.sliders()] == ["target y", "prediction", "Huber δ"]
    loss.done()
    check_console(notebook)


@pytest.mark.browser
@pytest.mark.parametrize("notebook", ["03_backprop_by_hand"], indirect=True)
def test_backprop_by_hand_widgets(notebook):
    check_notebook_ran(notebook)

    stepper = Driver(notebook, "backprop_stepper")
    step = stepper.widget.slider("step")
    assert step.value == "0"
    for k in range(1, 4):
        stepper.act(f"next ▶ ({k})", lambda: stepper.widget.button("next").click())
        assert step.value == str(k)
    stepper.shot("1-step3")
    stepper.act("◀ back", lambda: stepper.widget.button("back").click())
    assert step.value == "2"
    stepper.slider("step", key="End", dx=-40)       # the last step (backward done), then back a few
    for label in ("x1", "x2", "value"):
        stepper.slider(label)
    stepper.act("label y: 0", lambda: stepper.widget.toggle("0").click())
    dropdown = stepper.widget.dropdown()
    dropdown.select_option(label="w31")
    stepper.widget.settle()
    assert stepper.widget.slider("value").value == "0.20", "the value slider shows w31 = 0.2 (seed 004)"
    stepper.slider("value", key="ArrowLeft", dx=30)
    stepper.done()
    check_console(notebook)


@pytest.mark.browser
@pytest.mark.parametrize("notebook", ["04_xor_training"], indirect=True)
def test_xor_training_widgets(notebook):
    check_notebook_ran(notebook)

    trainer = Driver(notebook, "xor_trainer")
    widget = trainer.widget
    epochs = widget.slider("epochs")
    epochs.press("Home")                            # 100 epochs: keeps each training short
    widget.settle()
    assert epochs.value == "100"
    assert widget.progress() == 0.0

    def train():
        trained(trainer)
        assert widget.progress() == pytest.approx(1.0, abs=0.02), "Train fills the progress bar"

    train()
    trainer.shot("1-trained")
    # A setting changed after training: the picture says the run is stale ("press Train")
    # and the progress bar empties. Train again before each move, so each move shows; but not
    # the setting just trained: that run ends on the very picture it starts from, and only its
    # intermediate frames differ, which the page's stopwatch (one canvas hash per animation
    # frame, tools/browser_harness.py) never sees when a busy machine delivers them in a burst.
    stale = [False]

    def train_if_stale():
        if stale[0]:
            train()
        stale[0] = True

    for label, key, dx in (("learning rate", "ArrowLeft", -30), ("hidden units", "ArrowRight", 30),
                           ("seed", "ArrowRight", 30), ("epochs", "ArrowRight", 15)):
        trainer.slider(label, key=key, dx=dx, between=train_if_stale)
        assert widget.progress() == 0.0, f"moving {label} resets the progress bar"
    train()
    trainer.done()
    check_console(notebook)


@pytest.mark.browser
@pytest.mark.parametrize("notebook", ["04_xor_training"], indirect=True)
def test_digits_explorer_widget(notebook):
    check_notebook_ran(notebook)

    explorer = Driver(notebook, "digits_explorer")
    widget = explorer.widget

    def train():                         # a setting trained before is shown already: nothing to do
        if "press Train" not in widget.root.inner_text():
            return
        trained(explorer)
        assert "press Train" not in widget.root.inner_text(), "Train shows the setting's curves"

    # every move changes the picture: to a setting not trained yet (empty curves, its title)
    # or back to one trained before (its curves, from the cache)
    explorer.slider("training images", key="ArrowRight", dx=-60)
    train()
    explorer.shot("1-trained")
    explorer.slider("L2 (reg)", key="ArrowRight", dx=60, between=train)
    explorer.slider("hidden units", key="ArrowLeft", dx=60)
    explorer.done()
    check_console(notebook)


@pytest.mark.browser
@pytest.mark.parametrize("notebook", ["05_fine_tuning"], indirect=True)
def test_fine_tuning_widgets(notebook):
    check_notebook_ran(notebook)

    explorer = Driver(notebook, "fine_tuning_explorer")
    # Fewer labelled images train faster: move n down (30 -> 20, then drag to 10).
    explorer.slider("labelled images", key="ArrowLeft", dx=-60, timeout=TRAINING_TIMEOUT)
    explorer.slider("unfreeze lr", key="ArrowRight", dx=-40, timeout=TRAINING_TIMEOUT)
    explorer.done()
    check_console(notebook)


@pytest.mark.browser
@pytest.mark.parametrize("notebook", ["04_xor_training", "05_fine_tuning"], indirect=True)
def test_optimiser_race_widgets(notebook):
    """04 races plain gradient descent, momentum and RMSProp; 05 adds Adam."""
    check_notebook_ran(notebook)
    race = Driver(notebook, "optimiser_race")
    lr = race.widget.slider("learning rate")
    assert lr.value == "0.15", f"the race starts at the rate the text discusses, not {lr.value!r}"
    # the text names 0.19 and 0.21: typed into the readout, a rate is applied as typed
    race.act("learning rate: typed 0.21", lambda: lr.type_value("0.21"))
    assert lr.value == "0.21", f"typing 0.21 into the readout left it at {lr.value!r}"
    race.act("learning rate: typed 0.01 (off the slider's grid)", lambda: lr.type_value("0.01"))
    assert lr.value == "0.0095", f"a typed rate goes to the slider's nearest mark (0.0095), not {lr.value!r}"
    for label, key, dx in (("learning rate", "ArrowRight", -40), ("β (momentum, RMSProp)", "ArrowLeft", -40),
                           ("steps", "ArrowRight", 40)):
        race.slider(label, key=key, dx=dx)
    race.done()
    check_console(notebook)


# --- fast moves: the picture must end up the same -------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("notebook", ["02_loss_functions"], indirect=True)
def test_fast_slider_moves_leave_no_stale_pixels(notebook):
    """Quick drags back and forth (a student scrubbing a slider), then the original value
    typed into the readout: the same setting must show the same picture, pixel for pixel
    (the loss explorer's picture is a function of its settings only).

    The browser drops a frame now and then (a new image replaces one still loading); with
    matplotlib's diff frames its pixels stayed stale: doubled markers, overprinted titles
    (matplotlib#19116). course/canvas.py sends every frame whole (frames_stand_alone)."""
    widget = notebook.widget("loss_explorer")
    stale = []
    for label in ("prediction", "target y"):
        slider = widget.slider(label)
        for burst in range(3):
            widget.settle(quiet=0.5)
            widget.snapshot()
            shown = slider.value
            for dx in (50, -80, 30):
                slider.drag(dx, steps=20)
            slider.type_value(shown.replace("\u2212", "-"))
            widget.settle(quiet=1.0)
            assert slider.value == shown, "typing the value into the readout sets it back"
            changed = widget.pixels_changed_since_snapshot()
            if changed:
                path = widget.screenshot(notebook.artifacts / f"loss_explorer-STALE-{label.replace(' ', '_')}-{burst}.png")
                stale.append(f"{label!r} scrub {burst}: {changed} pixels differ from the same setting before "
                             f"({path.name})")
    check_console(notebook)
    assert not stale, "after scrubbing back to the same setting the picture differs:\n" + "\n".join(stale)


# --- the gate itself (no browser needed) --------------------------------------------------

def test_without_chromium_the_browser_tests_skip_or_fail_when_required(monkeypatch, tmp_path):
    monkeypatch.setenv(bh.CHROMIUM_ENV, str(tmp_path / "no-chromium-here"))
    monkeypatch.delenv(bh.REQUIRE_ENV, raising=False)
    assert "no Chromium at" in bh.unavailable_reason()
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        gate()
    monkeypatch.setenv(bh.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="BACKPROP_LAB_REQUIRE_BROWSER=1"):
        gate()
    with pytest.raises(bh.BrowserUnavailable):
        bh.require_browser()
