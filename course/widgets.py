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
