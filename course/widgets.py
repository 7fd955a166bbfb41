"""Live widgets for the notebooks: sliders wired to pictures from `course.plots`.

Each widget is built once (figure, artists, controls) and every control change
updates the picture in place, then asks the canvas to redraw (ipympl). While
nbgrader executes a notebook (NBGRADER_EXECUTION is set) the factories build
nothing and return an `Idle` placeholder: grading needs no pictures.

    explorer = neuron_explorer(sigmoid)   # your own sigmoid drives it
    explorer                              # last line of a cell: shows it
"""
from __future__ import annotations

import html
import os
from collections.abc import Callable, Sequence

import numpy as np

from . import data, plots


def grading() -> bool:
    """True while nbgrader (autograde or validate) runs the notebook."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


class Idle:
    """What a widget factory returns during grading: shows one line of text."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"[{self.name}: not shown while the notebook is being graded]"


def _figure(width: float, height: float):
    """A matplotlib Figure on an ipympl canvas widget, outside pyplot's state."""
    from ipympl.backend_nbagg import Canvas, FigureManager
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=90, layout="constrained")
    canvas = Canvas(fig)
    FigureManager(canvas, 0)  # gives the canvas its toolbar
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.toolbar_visible = False
    canvas.resizable = False
    return fig, canvas


def _slider(description: str, value: float, low: float, high: float, step: float = 0.05):
    import ipywidgets as w
    return w.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                         continuous_update=True, readout_format=".2f",
                         layout=w.Layout(width="320px"))


class Explorer:
    """Base of the widgets: `controls` (name -> widget), `update()`, and display.

    A subclass builds its figure and controls, then calls `_wire(column)`; `redraw()`
    recomputes the picture from the controls (it may call the student's code).
    If the student's code raises, the picture stays as it was and `status` says why,
    so an unfinished exercise never breaks the widget.
    """

    controls: dict
    fig: object
    canvas: object
    box: object

    def _wire(self, column: list) -> None:
        import ipywidgets as w
        self.status = w.HTML("", layout=w.Layout(width="320px"))
        self.box = w.HBox([w.VBox([*column, self.status]), self.canvas])
        for control in self.controls.values():
            control.observe(lambda _change: self.update(), names="value")
        self.update()
        # Lay the figure out once; every later draw reuses that layout (much faster).
        self.fig.canvas.draw()
        self.fig.set_layout_engine("none")

    def redraw(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def update(self) -> None:
        try:
            self.redraw()
        except Exception as exc:  # the student's function is unfinished or wrong
            self.status.value = (f"<span style='color:#b00'>⚠ your code raised "
                                 f"{type(exc).__name__}: {html.escape(str(exc))[:200]}</span>")
            return
        self.status.value = ""
        self.canvas.draw_idle()

    def _repr_mimebundle_(self, **kwargs):
        return self.box._repr_mimebundle_(**kwargs)


class NeuronExplorer(Explorer):
    """Sliders for w1, w2 and b of one neuron; its output over the input plane."""

    def __init__(self, activation: Callable[[np.ndarray], np.ndarray]):
        import ipywidgets as w
        self.fig, self.canvas = _figure(5.6, 4.4)
        ax = self.fig.add_subplot()
        self.plane = plots.NeuronPlane(ax, activation, points=data.make_blobs(40, seed=0))
        self.controls = {"w1": _slider("w1", 1.0, -4, 4), "w2": _slider("w2", 1.0, -4, 4),
                         "b": _slider("b", 0.0, -4, 4)}
        self._wire(list(self.controls.values()))

    def redraw(self) -> None:
        c = self.controls
        self.plane.update(np.array([c["w1"].value, c["w2"].value]), c["b"].value)


def neuron_explorer(activation: Callable[[np.ndarray], np.ndarray]):
    """The neuron explorer for `activation` (pass your own sigmoid)."""
    return Idle("neuron explorer") if grading() else NeuronExplorer(activation)


class NetworkExplorer(Explorer):
    """A small network's activations, live on its diagram.

    forward      mlp_forward(X, layers) -> [X, A1, ..., AL] (pass your own).
    layers       [(W1, b1), ...]; one weight or bias at a time is edited with a slider.
    param_names  one name per parameter in the order W1 entries, b1, W2 entries, b2, ...
    """

    def __init__(self, forward: Callable, layers: Sequence[tuple[np.ndarray, np.ndarray]],
                 x: Sequence[float] = (0.5, -0.5), param_names: Sequence[str] | None = None,
                 node_labels: Sequence[Sequence[str]] | None = None):
        import ipywidgets as w
        self.forward = forward
        self.layers = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in layers]
        sizes = [self.layers[0][0].shape[0]] + [W.shape[1] for W, _ in self.layers]
        self.fig, self.canvas = _figure(6.4, 3.8)
        self.diagram = plots.NetworkDiagram(self.fig.add_subplot(), sizes, node_labels)
        self.slots = []
        for l, (W, b) in enumerate(self.layers):
            self.slots += [(l, 0, idx) for idx in np.ndindex(W.shape)]
            self.slots += [(l, 1, idx) for idx in np.ndindex(b.shape)]
        names = list(param_names) if param_names else [
            f"{'Wb'[part]}{l + 1}{list(idx)}" for l, part, idx in self.slots]
        if len(names) != len(self.slots):
            raise ValueError(f"{len(self.slots)} parameters but {len(names)} names")
        self.controls = {f"x{i + 1}": _slider(f"x{i + 1}", float(v), -3, 3) for i, v in enumerate(x)}
        self.which = w.Dropdown(options=list(zip(names, range(len(names)))), value=0,
                                description="parameter", layout=w.Layout(width="320px"))
        self.controls["value"] = _slider("value", self._get(0), -4, 4)
        self.which.observe(self._select, names="value")
        self._wire([*[self.controls[f"x{i + 1}"] for i in range(len(x))], self.which, self.controls["value"]])

    def _get(self, slot: int) -> float:
        l, part, idx = self.slots[slot]
        return float(self.layers[l][part][idx])

    def _select(self, change) -> None:
        self.controls["value"].value = self._get(change["new"])

    def redraw(self) -> None:
        l, part, idx = self.slots[self.which.value]
        self.layers[l][part][idx] = self.controls["value"].value
        x = np.array([[self.controls[f"x{i + 1}"].value for i in range(self.layers[0][0].shape[0])]])
        activations = self.forward(x, [(W.copy(), b.copy()) for W, b in self.layers])
        self.diagram.update([np.ravel(a) for a in activations], [W for W, _ in self.layers])


def network_explorer(forward: Callable, layers: Sequence[tuple[np.ndarray, np.ndarray]], **kwargs):
    """The network explorer driven by `forward` (pass your own mlp_forward)."""
    return Idle("network explorer") if grading() else NetworkExplorer(forward, layers, **kwargs)


def _at(fn: Callable, y: float, yhat: float, **kwargs) -> float:
    """A loss or gradient of one sample, as a float (the student's functions take arrays)."""
    return float(np.ravel(fn(np.array([y]), np.array([yhat]), **kwargs))[0])


class LossExplorer(Explorer):
    """One target, one prediction: every loss and its gradient as the prediction moves.

    Regression shows MSE, MAE and Huber (with its delta); binary shows BCE for a label
    0 or 1 and a probability p. The curves are computed with the functions passed in.
    """

    REGRESSION = ("MSE", "MAE", "Huber")

    def __init__(self, mse, mse_grad, mae, mae_grad, huber, huber_grad, bce, bce_grad):
        import ipywidgets as w
        self.fns = {"MSE": (mse, mse_grad), "MAE": (mae, mae_grad), "Huber": (huber, huber_grad),
                    "BCE": (bce, bce_grad)}
        self.fig, self.canvas = _figure(8.6, 3.6)
        left, right = self.fig.subplots(1, 2)
        names = [*self.REGRESSION, "BCE"]
        self.loss_panel = plots.Curves(left, names, "prediction", "loss")
        self.grad_panel = plots.Curves(right, names, "prediction", "d loss / d prediction")
        self.controls = {
            "task": w.ToggleButtons(options=["regression", "binary"], value="regression",
                                    layout=w.Layout(width="320px")),
            "target": _slider("target y", 0.5, -2, 2),
            "label": w.ToggleButtons(options=[0, 1], value=1, description="label y"),
            "prediction": _slider("prediction", 2.0, -4, 4),
            "p": _slider("p", 0.3, 0.001, 0.999, step=0.001),
            "delta": _slider("Huber δ", 1.0, 0.1, 3.0),
        }
        self.controls["p"].readout_format = ".3f"
        self._curves_key = None
        self._wire(list(self.controls.values()))

    def _curves(self, regression: bool, target: float, delta: float) -> None:
        key = (regression, target, delta)
        if key == self._curves_key:
            return                                   # only the point moved
        if regression:
            grid = np.linspace(-4, 4, 161)
            ys_loss, ys_grad = {"BCE": []}, {"BCE": []}
            for name in self.REGRESSION:
                loss, grad = self.fns[name]
                extra = {"delta": delta} if name == "Huber" else {}
                ys_loss[name] = [_at(loss, target, g, **extra) for g in grid]
                ys_grad[name] = [_at(grad, target, g, **extra) for g in grid]
            self.loss_panel.update_curves(grid, ys_loss)
            self.grad_panel.update_curves(grid, ys_grad)
            self.loss_panel.set_limits((-4, 4), (-0.2, 6))
            self.grad_panel.set_limits((-4, 4), (-4.5, 4.5))
        else:
            grid = np.linspace(0.001, 0.999, 161)
            loss, grad = self.fns["BCE"]
            empty = {name: [] for name in self.REGRESSION}
            self.loss_panel.update_curves(grid, {**empty, "BCE": [_at(loss, target, g) for g in grid]})
            self.grad_panel.update_curves(grid, {**empty, "BCE": [_at(grad, target, g) for g in grid]})
            self.loss_panel.set_limits((0, 1), (-0.2, 7))
            self.grad_panel.set_limits((0, 1), (-25, 25))
        self._curves_key = key

    def redraw(self) -> None:
        c = {k: v.value for k, v in self.controls.items()}
        regression = c["task"] == "regression"
        for name in ("target", "prediction", "delta"):
            self.controls[name].layout.display = None if regression else "none"
        for name in ("label", "p"):
            self.controls[name].layout.display = "none" if regression else None
        target = c["target"] if regression else float(c["label"])
        self._curves(regression, target, c["delta"])
        if regression:
            x = c["prediction"]
            names = self.REGRESSION
            extra = {"Huber": {"delta": c["delta"]}}
        else:
            x, names, extra = c["p"], ("BCE",), {}
        hidden = {n: (np.nan, np.nan) for n in (*self.REGRESSION, "BCE") if n not in names}
        self.loss_panel.update_points({**hidden, **{n: (x, _at(self.fns[n][0], target, x, **extra.get(n, {})))
                                                    for n in names}})
        self.grad_panel.update_points({**hidden, **{n: (x, _at(self.fns[n][1], target, x, **extra.get(n, {})))
                                                    for n in names}})
        self.loss_panel.ax.set_title(f"target {target:g}, prediction {x:.3g}")


def loss_explorer(mse, mse_grad, mae, mae_grad, huber, huber_grad, bce, bce_grad):
    """The loss explorer, drawn with the loss functions and gradients you pass (your own)."""
    if grading():
        return Idle("loss explorer")
    return LossExplorer(mse, mse_grad, mae, mae_grad, huber, huber_grad, bce, bce_grad)


class OutlierExplorer(Explorer):
    """Move one point; the lines that minimise MSE, MAE and Huber follow (or do not).

    Each line is fitted with course.fit.fit_line from the gradient you pass, starting
    from the previous fit, so a small move costs a few iterations.
    """

    def __init__(self, mse_grad, mae_grad, huber_grad):
        import ipywidgets as w
        self.x, self.y = data.make_line_with_outlier(20, seed=0)
        self.grads = {"MSE": mse_grad, "MAE": mae_grad, "Huber": huber_grad}
        self.fig, self.canvas = _figure(6.0, 4.2)
        ax = self.fig.add_subplot()
        self.picture = plots.LineFits(ax, self.x, self.y, list(self.grads))
        ax.set(xlim=(-0.3, 4.3), ylim=(-9, 16))
        self.fits: dict[str, tuple[float, float] | None] = {name: None for name in self.grads}
        self.controls = {"outlier": _slider("outlier y", float(self.y[-1]), -8, 15, step=0.1),
                         "delta": _slider("Huber δ", 1.0, 0.1, 3.0)}
        self._wire(list(self.controls.values()))

    def redraw(self) -> None:
        from .fit import fit_line
        y = self.y.copy()
        y[-1] = self.controls["outlier"].value
        delta = self.controls["delta"].value
        for name, grad in self.grads.items():
            g = (lambda t, p, grad=grad: grad(t, p, delta=delta)) if name == "Huber" else grad
            self.fits[name] = fit_line(self.x, y, g, start=self.fits[name])
        self.picture.update(y[-1], self.fits)
        self.picture.ax.set_title("slopes: " + ", ".join(f"{n} {s:.2f}" for n, (s, _) in self.fits.items())
                                  + "  (true 1.50)")


def outlier_explorer(mse_grad, mae_grad, huber_grad):
    """The outlier explorer, fitting lines with the gradients you pass (your own)."""
    return Idle("outlier explorer") if grading() else OutlierExplorer(mse_grad, mae_grad, huber_grad)
