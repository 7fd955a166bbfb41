"""Slider-to-picture latency in a real browser, for every course widget.

JupyterLab (this environment, a throw-away HOME) runs each solved notebook; Chromium
(Debian's /usr/bin/chromium through Playwright, headless) shows it. For each widget one
slider (its main control, below) is moved with the keyboard, alternately ArrowRight and
ArrowLeft on its handle, `repetitions` times. Each move is timed in the page, from the
keydown event to the first animation frame whose canvas pixels differ from before
(a hash of getImageData, checked every frame): the whole path a student waits for
(browser -> kernel -> the widget's update and the student's code -> the draw the
browser asks for -> PNG -> browser -> canvas). Before each move the picture has settled
and the kernel is idle. Bar: p95 <= 100 ms (docs/SPEC.md, "Measured bars").

    python benchmarks/browser_latency.py                    # 40 moves per widget, JSON on stdout
    python benchmarks/browser_latency.py -n 50 --all-controls --out latency.json

    from benchmarks.browser_latency import measure_browser_latency
    measure_browser_latency(repetitions=MOVES)
    # {"neuron_explorer": {"median_ms": .., "p95_ms": .., "n": 40, "control": "w1", ...}, ...}

Widget notes. xor_trainer: a slider changes the picture only after a training run (the
picture then says "press Train"), so each timed move follows a Train click (epochs set
to 100 first; the training itself is not timed). fine_tuning_explorer: a setting it has
not shown before trains three models (seconds); both settings the slider alternates
between are shown once, untimed, first, so the timed moves show cached results.
Without Chromium or Playwright, `measure_browser_latency` raises BrowserUnavailable
(its `.reason` says what is missing) and the command exits with status 2.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from tools import browser_harness as bh  # noqa: E402
from tools import registry  # noqa: E402
from tools.browser_harness import BrowserUnavailable  # noqa: E402,F401  (re-exported)

BAR_MS = 100.0
MOVES = 40              # timed moves per widget: the fewest for a p95 that is not nearly the maximum
# widget -> the slider timed by default (a widget not named here: its first slider)
MAIN_SLIDERS = {"neuron_explorer": "w1", "network_explorer": "value", "outlier_explorer": "outlier y",
                "loss_explorer": "target y", "backprop_stepper": "x1", "xor_trainer": "learning rate",
                "fine_tuning_explorer": "labelled images", "optimiser_race": "learning rate"}
# widget -> (notebook, the slider timed by default or None for the first), every widget of the course
MAIN_CONTROLS = {widget: (name, MAIN_SLIDERS.get(widget)) for widget, name in registry.widget_notebooks().items()}
METHOD = ("ArrowRight/ArrowLeft alternately on the slider handle; from the keydown event to the first "
          "animation frame whose canvas pixels differ (getImageData hash), measured in the page")


def _stats(samples: list[float]) -> dict:
    a = np.asarray(samples, dtype=float)
    return {"median_ms": round(float(np.median(a)), 1), "p95_ms": round(float(np.percentile(a, 95)), 1),
            "min_ms": round(float(a.min()), 1), "max_ms": round(float(a.max()), 1), "n": int(a.size),
            "bar_ms": BAR_MS, "meets_bar": bool(np.percentile(a, 95) <= BAR_MS)}


def _phase_medians(moves: list[dict]) -> dict:
    out = {}
    for phase in ("to_kernel_ms", "kernel_ms", "browser_ms"):
        values = [m[phase] for m in moves if m[phase] is not None]
        out[phase] = round(float(np.median(values)), 1) if values else None
    return out


# Untimed moves before timing a slider, where its moves would otherwise not change the
# picture: Huber's δ changes the outlier explorer's fit only for residuals beyond δ, and
# the point starts on the line.
SETUP = {("outlier_explorer", "Huber δ"): [("outlier y", "End")]}
NO_CHANGE_TIMEOUT = 10.0


def _time_slider(widget: bh.Widget, label: str, repetitions: int, warmup: int, before_each=None,
                 timeout: float = NO_CHANGE_TIMEOUT) -> tuple[list[dict], int]:
    """Timed moves of one slider; returns (moves, how many showed no new picture)."""
    for other, key in SETUP.get((widget.name, label), []):
        widget.settle(quiet=0.15)
        widget.slider(other).press(key)
    slider = widget.slider(label)
    low, high, now = slider.bounds()
    # start towards the side with room, then alternate: the slider stays on two values
    keys = ("ArrowLeft", "ArrowRight") if now >= high else ("ArrowRight", "ArrowLeft")
    samples, unchanged = [], 0
    for k in range(warmup + repetitions):
        if before_each:
            before_each()
        widget.settle(quiet=0.15, timeout=60)
        key = keys[k % 2]
        try:
            phases = widget.timed_phases(lambda: slider.press(key), timeout=timeout)
        except Exception:              # the picture did not change (or not within the timeout)
            if k >= warmup:
                unchanged += 1
            continue
        if k >= warmup:
            samples.append(phases)
    widget.settle(quiet=0.15, timeout=60)
    return samples, unchanged


def _prepare(name: str, widget: bh.Widget):
    """Puts the widget where a timed move changes its picture; returns a per-move hook."""
    if name == "xor_trainer":
        epochs = widget.slider("epochs")
        epochs.press("Home")                          # 100 epochs: short trainings
        widget.settle()

        def train():
            button = widget.button("Train")
            before = widget.settle(quiet=0.15)
            button.click()
            widget.wait_for_new_picture(before, timeout=120)
            widget.page.wait_for_function("(root) => !root.querySelector('button.widget-button').disabled",
                                          arg=widget.root.element_handle(), timeout=120_000)
            widget.settle(quiet=0.15, timeout=120)
        return train
    if name == "fine_tuning_explorer":
        slider = widget.slider(MAIN_CONTROLS[name][1])
        for key in ("ArrowLeft", "ArrowRight"):       # show both settings once (trains, untimed)
            before = widget.settle(timeout=120)
            slider.press(key)
            widget.wait_for_new_picture(before, timeout=120)
        widget.settle(timeout=120)
    return None


def measure_browser_latency(repetitions: int = MOVES, widgets: list[str] | None = None, all_controls: bool = False,
                            warmup: int = 2, progress=None) -> dict[str, dict]:
    """Slider-to-picture latency per widget in a real browser.

    repetitions   timed moves per slider (after `warmup` untimed ones)
    widgets       names from MAIN_CONTROLS (default: all)
    all_controls  also time every other visible slider of each widget: entries
                  "widget:slider label" beside the widget's own entry (its main slider)
    progress      optional callable(str) told what is being measured

    Returns {widget: {"median_ms", "p95_ms", "min_ms", "max_ms", "n", "bar_ms",
    "meets_bar", "notebook", "control", "moves_without_new_picture", "phases_median_ms",
    "samples_ms"}} (or {"error": why} for a widget that could not be measured) and
    "_meta" (method, load average: other work on the machine inflates the figures).
    phases_median_ms splits a move: to_kernel (key press -> the kernel starts on the
    update), kernel (-> the new picture arrives in the browser), browser (-> on screen).
    Raises BrowserUnavailable when Chromium or Playwright is missing.
    """
    bh.require_browser()
    chosen = list(widgets or MAIN_CONTROLS)
    unknown = [w for w in chosen if w not in MAIN_CONTROLS]
    if unknown:
        raise ValueError(f"unknown widgets {unknown}; known: {list(MAIN_CONTROLS)}")
    notebooks = sorted({MAIN_CONTROLS[w][0] for w in chosen})
    say = progress or (lambda _msg: None)
    results: dict[str, dict] = {}
    load_before = _load()
    with bh.JupyterLab(notebooks) as lab, bh.chromium() as browser:
        for notebook in notebooks:
            say(f"{notebook}: opening and running all cells")
            nb = bh.LabNotebook.open(browser, lab, notebook, log_websocket=True)
            try:
                nb.run_all(timeout=180)
                for name in [w for w in chosen if MAIN_CONTROLS[w][0] == notebook]:
                    try:
                        widget = nb.widget(name)
                        before_each = _prepare(name, widget)
                    except Exception as exc:      # reported, and the other widgets still measured
                        results[name] = {"notebook": notebook, "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
                        continue
                    main = MAIN_CONTROLS[name][1] or widget.sliders()[0].label
                    labels = [main] + ([s.label for s in widget.sliders() if s.label != main] if all_controls else [])
                    for label in labels:
                        key = name if label == main else f"{name}:{label}"
                        say(f"{name}: {repetitions} moves of {label!r}")
                        try:
                            moves, unchanged = _time_slider(widget, label, repetitions, warmup, before_each)
                        except Exception as exc:
                            results[key] = {"notebook": notebook, "control": label,
                                            "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
                            continue
                        if not moves:
                            results[key] = {"notebook": notebook, "control": label,
                                            "error": f"none of {repetitions} moves changed the picture "
                                                     f"within {NO_CHANGE_TIMEOUT:.0f} s"}
                            continue
                        totals = [m["total_ms"] for m in moves]
                        results[key] = {**_stats(totals), "notebook": notebook, "control": label,
                                        "moves_without_new_picture": unchanged,
                                        "phases_median_ms": _phase_medians(moves),
                                        "samples_ms": [round(t, 1) for t in totals]}
                if nb.console_errors:
                    for entry in results.values():
                        if entry["notebook"] == notebook:
                            entry["console_errors"] = nb.console_errors
            finally:
                nb.close()
                lab.shutdown_kernels()
    results["_meta"] = {"method": METHOD, "repetitions": repetitions, "warmup": warmup,
                        "cpus": os.cpu_count(), "load_average_before": load_before, "load_average_after": _load(),
                        "phases": "to_kernel: key press -> kernel busy; kernel: -> picture message in the browser; "
                                  "browser: -> pixels on screen (medians)"}
    return results


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--repetitions", type=int, default=MOVES, help=f"timed moves per slider (default {MOVES})")
    parser.add_argument("--widgets", help="comma-separated widget names (default: all)")
    parser.add_argument("--all-controls", action="store_true", help="time every slider, not only the main one")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        results = measure_browser_latency(args.repetitions, args.widgets.split(",") if args.widgets else None,
                                          args.all_controls,
                                          progress=lambda msg: print(f"== {msg}", file=sys.stderr, flush=True))
    except BrowserUnavailable as exc:
        print(f"not measured: {exc.reason}", file=sys.stderr)
        return 2
    text = json.dumps(results, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    print(f"\n{'widget':36s} {'median':>8s} {'p95':>8s}   bar p95<={BAR_MS:.0f}ms   median phases "
          f"to kernel / kernel / browser", file=sys.stderr)
    for name, entry in results.items():
        if name.startswith("_"):
            continue
        if "error" in entry:
            print(f"{name:36s} not measured: {entry['error']}", file=sys.stderr)
            continue
        ph = entry["phases_median_ms"]
        phases = " / ".join("-" if ph[k] is None else f"{ph[k]:.0f}" for k in ("to_kernel_ms", "kernel_ms", "browser_ms"))
        print(f"{name:36s} {entry['median_ms']:6.1f}ms {entry['p95_ms']:6.1f}ms   "
              f"{'PASS' if entry['meets_bar'] else 'MISS':13s} {phases} ms", file=sys.stderr)
    print(f"load average before/after: {results['_meta']['load_average_before']} / "
          f"{results['_meta']['load_average_after']} ({os.cpu_count()} CPUs)", file=sys.stderr)
    print(f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
