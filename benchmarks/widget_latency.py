"""Widget update latency, kernel side: for every control of every course widget, the
time from setting the control's value to the picture being up to date in the kernel.

A widget's callback updates its artists and ends by sending the new picture
(`course.canvas.LivePicture.show`: the changing artists blitted on a kept background,
then the PNG frame ipympl sends). So each move is timed twice:

    callback        control.value = v, less the picture (the observer: student code, artists updated)
    callback+draw   control.value = v, all of it: what the kernel spends per new picture

The canvas is put in the state it has once a browser is connected
(`syncing_data_url = False`: ipympl stops re-encoding a full PNG for the saved
notebook), so the figure is what a student's kernel pays per picture.

Widgets are built with the reference functions of `grader` (what a correct student
submission computes), in this process, with NBGRADER_EXECUTION unset.

    python benchmarks/widget_latency.py          # one pass, prints a table
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def percentile(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def _factories() -> dict:
    """name -> (notebook, zero-argument builder) with the reference functions."""
    from course import widgets
    from grader.solutions.forward_pass import mlp_forward

    def neuron():
        from grader.forward_pass import sigmoid
        return widgets.neuron_explorer(sigmoid)

    def network():
        from grader.forward_pass import mlp_forward as forward
        M1 = np.array([[0.2, -0.4], [0.7, 0.1], [-0.5, 0.3]])
        M2 = np.array([[0.6, -0.3, 0.8], [-0.9, 0.4, 0.2]])
        layers = [(M1.T, np.array([0.1, -0.2, 0.05])), (M2.T, np.array([0.0, 0.1]))]
        return widgets.network_explorer(forward, layers, x=np.array([1.0, 0.5]))

    def loss():
        from grader import loss_functions as L
        return widgets.loss_explorer(L.mse, L.mse_grad, L.mae, L.mae_grad, L.huber, L.huber_grad,
                                     L.binary_cross_entropy, L.binary_cross_entropy_grad)

    def outlier():
        from grader import loss_functions as L
        return widgets.outlier_explorer(L.mse_grad, L.mae_grad, L.huber_grad)

    def stepper():
        from grader.backprop_by_hand import dense_backward, sigmoid, sigmoid_backward
        from grader.solutions.loss_functions import binary_cross_entropy, binary_cross_entropy_grad
        return widgets.backprop_stepper(sigmoid, sigmoid_backward, dense_backward, binary_cross_entropy,
                                        binary_cross_entropy_grad)

    def xor():
        from grader.xor_training import predict, train
        return widgets.xor_trainer(train, predict, mlp_forward)

    def fine():
        from grader.fine_tuning import add_head, fit
        from grader.solutions import layers
        return widgets.fine_tuning_explorer(layers, fit, add_head)

    def race04():
        from grader.xor_training import momentum_step, rmsprop_step
        return widgets.optimiser_race(momentum_step, rmsprop_step)

    def race05():
        from grader.solutions.xor_training import momentum_step, rmsprop_step
        from grader.fine_tuning import adam_step
        return widgets.optimiser_race(momentum_step, rmsprop_step, adam_step)

    def digits():
        from grader.solutions.forward_pass import relu, softmax
        from grader.xor_training import two_layer_softmax_backprop
        return widgets.digits_explorer(two_layer_softmax_backprop, relu, softmax)

    return {"neuron_explorer": ("01", neuron), "network_explorer": ("01", network),
            "loss_explorer": ("02", loss), "outlier_explorer": ("02", outlier),
            "backprop_stepper": ("03", stepper), "xor_trainer": ("04", xor), "digits_explorer": ("04", digits),
            "optimiser_race": ("04", race04), "fine_tuning_explorer": ("05", fine),
            "optimiser_race_adam": ("05", race05)}


def _values(control, moves: int, rng: np.random.Generator) -> list:
    """`moves` values for `control`, each different from the one before (a slider drag)."""
    import ipywidgets as w
    if isinstance(control, (w.ToggleButtons, w.Dropdown)):
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        options = list(control._options_values) if hasattr(control, "_options_values") else options
        start = options.index(control.value)
        return [options[(start + 1 + k) % len(options)] for k in range(moves)]
    if isinstance(control, w.SelectionSlider):     # e.g. learning rates: the options, in order
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
    elif isinstance(control, w.FloatLogSlider):
        exps = np.arange(control.min, control.max + 1e-9, control.step)
        values = [float(control.base ** e) for e in exps]
    elif isinstance(control, w.IntSlider):
        values = list(range(control.min, control.max + 1, control.step))
    else:  # FloatSlider: a drag moves a few steps at a time
        values = [float(v) for v in np.arange(control.min, control.max + 1e-9, control.step)]
    out, current = [], control.value
    # a drag: steps of a few slider increments, bouncing between the ends
    i = int(np.argmin([abs(v - current) for v in values]))
    direction = 1
    for _ in range(moves):
        step = int(rng.integers(1, 4)) if len(values) > 20 else 1
        if not 0 <= i + direction * step < len(values):
            direction = -direction
        i = min(max(i + direction * step, 0), len(values) - 1)
        out.append(values[i])
    return [v for k, v in enumerate(out) if k == 0 or v != out[k - 1]] or out


def _time_move(explorer, control, value) -> tuple[float, float, float]:
    """(callback less the picture, callback with it) wall-clock seconds, and the CPU seconds
    of the latter. The picture (LivePicture.show, inside the callback) is timed apart."""
    shown = []
    show = explorer.live.show

    def timed_show():
        t = time.perf_counter()
        show()
        shown.append(time.perf_counter() - t)

    explorer.live.show = timed_show
    c0 = time.thread_time()
    t0 = time.perf_counter()
    try:
        control.value = value
    finally:
        del explorer.live.show
    total = time.perf_counter() - t0
    return total - sum(shown), total, time.thread_time() - c0


def _connected(explorer) -> None:
    """The state ipympl's canvas is in once a browser shows it (see module docstring),
    and the first picture (a full draw) already sent, as a student sees it before moving
    a slider."""
    explorer.canvas.syncing_data_url = False
    explorer.live.show()


SKIP = {"fine_tuning_explorer": {"n", "lr"}}      # timed separately (training)


def measure_widget(name: str, build, moves: int = 20, seed: int = 0) -> dict:
    """Latencies (seconds) of every control of one widget: per control and pooled."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    explorer = build()
    built = time.perf_counter() - t0
    _connected(explorer)
    defaults = {key: control.value for key, control in explorer.controls.items()}
    result = {"build_s": built, "controls": {}}
    pooled_cb, pooled_total, pooled_cpu = [], [], []
    for key, control in explorer.controls.items():
        if key in SKIP.get(name, ()):
            continue
        values = _values(control, moves + 2, rng)
        cb, total, cpu = [], [], []
        for k, value in enumerate(values):
            c, t, u = _time_move(explorer, control, value)
            if k >= 2:                      # the first moves warm caches (fonts, text layout)
                cb.append(c)
                total.append(t)
                cpu.append(u)
        result["controls"][key] = {"n": len(cb), "callback_median_s": statistics.median(cb),
                                   "callback_p95_s": percentile(cb, 95),
                                   "total_median_s": statistics.median(total), "total_p95_s": percentile(total, 95),
                                   "cpu_median_s": statistics.median(cpu)}
        pooled_cb += cb
        pooled_total += total
        pooled_cpu += cpu
    if name == "fine_tuning_explorer":
        result["fine_tuning"] = _fine_tuning(explorer)
        pooled_cb, pooled_total = result["fine_tuning"].pop("cached_cb"), result["fine_tuning"].pop("cached_total")
        pooled_cpu = result["fine_tuning"].pop("cached_cpu")
    result.update(n=len(pooled_cb), callback_median_s=statistics.median(pooled_cb),
                  callback_p95_s=percentile(pooled_cb, 95), total_median_s=statistics.median(pooled_total),
                  total_p95_s=percentile(pooled_total, 95), cpu_median_s=statistics.median(pooled_cpu))
    if name == "xor_trainer":
        result["train_click"] = _train_clicks(explorer, defaults)
    if name == "digits_explorer":
        result["digits"] = _digits(explorer, defaults)
        cb, total, cpu = (result["digits"].pop(k) for k in ("cached_cb", "cached_total", "cached_cpu"))
        pooled_cb, pooled_total, pooled_cpu = pooled_cb + cb, pooled_total + total, pooled_cpu + cpu
        result.update(n=len(pooled_cb), callback_median_s=statistics.median(pooled_cb),
                      callback_p95_s=percentile(pooled_cb, 95), total_median_s=statistics.median(pooled_total),
                      total_p95_s=percentile(pooled_total, 95), cpu_median_s=statistics.median(pooled_cpu))
    explorer.canvas.close()
    return result


def _train_clicks(explorer, defaults: dict, clicks: int = 2) -> dict:
    """The Train button at the default setting (10 growing runs, a picture after each)."""
    for key, value in defaults.items():
        explorer.controls[key].value = value
    times = []
    for _ in range(clicks):
        t0 = time.perf_counter()
        explorer.button.click()
        times.append(time.perf_counter() - t0)
    c = {k: v.value for k, v in explorer.controls.items()}
    return {"median_s": statistics.median(times), "runs": times, "setting": c}


def _digits(explorer, defaults: dict) -> dict:
    """The digits explorer: Train at two settings not trained before (the time a student waits,
    busy state shown), then moves back and forth between trained settings (cached: the
    picture only). The control moves above went to settings not trained yet (empty curves)."""
    for key, value in defaults.items():
        explorer.controls[key].value = value
    clicks = []
    for key, value in (("n", 997), ("reg", 0.001)):
        explorer.controls[key].value = value
        t0 = time.perf_counter()
        explorer.button.click()
        clicks.append(time.perf_counter() - t0)
    trained = [dict(defaults), {**defaults, "n": 997}, {**defaults, "n": 997, "reg": 0.001}]
    cached = []
    for _ in range(8):
        for setting in (trained[1], trained[0], trained[2], trained[1]):
            for key, value in setting.items():
                if explorer.controls[key].value != value:
                    cached.append(_time_move(explorer, explorer.controls[key], value))
    return {"train_click_s": clicks, "cached_cb": [c for c, _, _ in cached],
            "cached_total": [t for _, t, _ in cached], "cached_cpu": [u for _, _, u in cached]}


def _fine_tuning(explorer) -> dict:
    """Moves of the two sliders: a new n (trains 3 models), a new lr (fine-tunes one),
    and settings seen before (cached: bars only)."""
    n, lr = explorer.controls["n"], explorer.controls["lr"]
    new_n, new_lr, cached = [], [], []
    for value in (40, 50):
        new_n.append(_time_move(explorer, n, value)[1])
    for value in (1e-3, 1e-2):
        new_lr.append(_time_move(explorer, lr, value)[1])
    for _ in range(6):                           # back and forth over settings seen before
        for control, value in ((lr, 1e-3), (n, 40), (n, 50), (lr, 1e-2)):
            if control.value != value:
                cached.append(_time_move(explorer, control, value))
    return {"uncached_new_n_median_s": statistics.median(new_n), "uncached_new_lr_median_s": statistics.median(new_lr),
            "cached_cb": [c for c, _, _ in cached], "cached_total": [t for _, t, _ in cached],
            "cached_cpu": [u for _, _, u in cached]}


def measure_all(moves: int = 20, only: list[str] | None = None) -> dict:
    os.environ.pop("NBGRADER_EXECUTION", None)
    import matplotlib
    matplotlib.use("agg")
    out = {}
    for name, (notebook, build) in _factories().items():
        if only and name not in only:
            continue
        out[name] = {"notebook": notebook, **measure_widget(name, build, moves)}
    return out


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("only", nargs="*")
    args = parser.parse_args()
    results = measure_all(args.moves, args.only or None)
    ms = lambda s: f"{1000 * s:7.1f}"  # noqa: E731
    print(f"{'widget':22s} {'control':12s} {'cb med':>7s} {'cb p95':>7s} {'+draw med':>9s} {'+draw p95':>9s} "
          f"{'cpu med':>7s}  ms")
    for name, r in results.items():
        for key, c in r["controls"].items():
            print(f"{name:22s} {key:12s} {ms(c['callback_median_s'])} {ms(c['callback_p95_s'])} "
                  f"{ms(c['total_median_s']):>9s} {ms(c['total_p95_s']):>9s} {ms(c['cpu_median_s'])}")
        print(f"{name:22s} {'ALL':12s} {ms(r['callback_median_s'])} {ms(r['callback_p95_s'])} "
              f"{ms(r['total_median_s']):>9s} {ms(r['total_p95_s']):>9s} {ms(r['cpu_median_s'])}"
              f"   build {r['build_s']:.2f} s")
        for extra in ("train_click", "fine_tuning", "digits"):
            if extra in r:
                print("   ", extra, {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r[extra].items()})
