"""Live widgets for the notebooks: sliders wired to pictures from `course.plots`.

Each widget is built once (figure, artists, controls); every control change runs the
student's functions, updates the artists in place and sends the browser the new picture.
Only what changes is drawn again, on a background rendered once (`course.canvas`), so a
new picture costs milliseconds, not a full redraw. While nbgrader executes a notebook
(NBGRADER_EXECUTION is set) the factories build nothing and return an `Idle`
placeholder: grading needs no pictures.

    explorer = neuron_explorer(sigmoid)   # your own sigmoid drives it
    explorer                              # last line of a cell: shows it
"""
from __future__ import annotations

import contextlib
import functools
import html
import os
import re
from collections.abc import Callable, Sequence

import numpy as np

from . import data, plots
from .canvas import LivePicture, figure
from .checks import unwritten, using_your_code


def grading() -> bool:
    """True while nbgrader (autograde or validate) runs the notebook."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


class Idle:
    """What a widget factory returns during grading: shows one line of text."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"[{self.name}: not shown while the notebook is being graded]"


def trouble(exc: Exception) -> str:
    """The status line (HTML) for an error of the student's code inside a widget: which
    exercise is not written yet, or what the code raised."""
    name = unwritten(exc)
    text = (f"your `{name}` is not written yet: finish that exercise, then run this cell again"
            if name else f"your code raised {type(exc).__name__}: {str(exc)[:200]}")
    return f"<span style='color:#b00'>⚠ {html.escape(text)}</span>"


def factory(name: str):
    """Decorates a widget factory: while grading it builds nothing and returns `Idle`; while
    an exercise the widget runs is not written yet it prints one line naming it (see
    `course.checks.using_your_code`) and returns None, so the cell shows no traceback."""
    def decorate(build: Callable) -> Callable:
        @functools.wraps(build)
        def make(*args, **kwargs):
            if grading():
                return Idle(name)
            with using_your_code():
                return build(*args, **kwargs)
            return None
        return make
    return decorate


LABELS_WIDE = {"description_width": "115px"}     # room for "learning rate", "labelled images"


def _slider(description: str, value: float, low: float, high: float, step: float = 0.05):
    import ipywidgets as w
    return w.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                         continuous_update=True, readout_format=".2f",
                         layout=w.Layout(width="320px"))


class Explorer:
    """Base of the widgets: `controls` (name -> widget), `update()`, and display.

    A subclass builds its figure (`course.canvas.figure`) and controls, then calls
    `_wire(column)`; `redraw()` recomputes the picture from the controls (it may call the
    student's code) by changing the artists `dynamic_artists()` names, and `live` (a
    `course.canvas.LivePicture`) sends the browser the new picture. If the student's code
    raises, the picture stays as it was and `status` says why, so an unfinished exercise
    never breaks the widget.
    """

    controls: dict
    fig: object
    canvas: object
    box: object
    live: LivePicture | None = None

    @contextlib.contextmanager
    def busy(self, message: str, *more):
        """While the body trains: the controls (and `more`, e.g. a Train button) disabled and the
        status line saying `message`; enabled again afterwards, whatever happened."""
        parts = [*self.controls.values(), *more]
        for part in parts:
            part.disabled = True
        self.status.value = message
        try:
            yield
        finally:
            for part in parts:
                part.disabled = False

    def _wire(self, column: list, below_picture: tuple = ()) -> None:
        import ipywidgets as w
        width = f"{round(self.fig.get_figwidth() * self.fig.dpi)}px"
        # The picture's text alternative: what it shows, in words, under it and kept up to
        # date with it, so a screen reader (or anyone) can read the picture. Under it, the
        # status: why the picture did not change, when the student's code raised.
        self.description = w.HTML("", layout=w.Layout(width=width, margin="0 0 0 8px"))
        self.status = w.HTML("", layout=w.Layout(width=width, margin="0 0 0 8px"))
        # the controls keep their width (never squeezed under their labels and readouts); in a
        # window too narrow for both, the picture moves below them
        picture = w.VBox([self.canvas, *below_picture, self.description, self.status])
        self.box = w.HBox([w.VBox(column, layout=w.Layout(flex="0 0 auto", margin="0 8px 0 0")),
                           picture], layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        for control in self.controls.values():
            control.observe(lambda _change: self.update(), names="value")
        self.update()
        # Lay the figure out once; every later draw reuses that layout (much faster). No
        # picture is drawn yet: the browser asks for the first one when it shows the widget
        # (and a headless run, e.g. grading, never pays for one).
        self.layout = self.fig.get_layout_engine()
        self.layouts: dict = {}
        self.relayout()
        self.fig.set_layout_engine("none")
        # From now on a new picture redraws only what changes.
        self.live = LivePicture(self.canvas, self.dynamic_artists())

    def dynamic_artists(self) -> list:
        """The artists `redraw()` changes; the rest of the figure is drawn once."""
        return []

    def describe(self) -> str:
        """The picture in words (its text alternative), after `redraw()`."""
        return ""

    LAYOUTS_KEPT = 16

    def relayout(self) -> None:
        """Lay the figure out for its axis limits, so tick labels of a new width are not
        clipped. Call it after changing limits (a new view: the next picture is a full draw
        anyway). A layout costs ~0.2 s, so the layout of each view is kept: going back to a
        view puts its Axes back where they were. The layout depends on the view alone, so a
        kept background of another view stays right (`course.canvas.LivePicture`)."""
        view = tuple((ax.get_xlim(), ax.get_ylim()) for ax in self.fig.axes)
        positions = self.layouts.get(view)
        if positions is None:
            self.layout.execute(self.fig)
            if len(self.layouts) >= self.LAYOUTS_KEPT:
                self.layouts.pop(next(iter(self.layouts)))
            self.layouts[view] = [(ax.get_position(original=True), ax.get_position()) for ax in self.fig.axes]
        else:       # both positions: an Axes with a fixed aspect draws in a box inside its original one
            for ax, (original, active) in zip(self.fig.axes, positions):
                ax.set_position(original, which="original")
                ax.set_position(active, which="active")

    def show_description(self) -> None:
        text = self.describe()
        self.description.value = (f"<div role='note' aria-label='what the picture shows'>"
                                  f"<i>Picture:</i> {html.escape(text)}</div>" if text else "")

    def redraw(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def update(self) -> None:
        """Recompute the picture from the controls and send it to the browser."""
        try:
            self.redraw()
        except Exception as exc:  # the student's function is unfinished or wrong
            self.status.value = trouble(exc)
            self.canvas.layout.display = "none"        # no half-drawn picture that reads as a result
            self.description.value = ""
            return
        self.status.value = ""
        self.canvas.layout.display = None
        self.show_description()
        if self.live is not None:
            self.live.show()

    def _repr_mimebundle_(self, **kwargs):
        return self.box._repr_mimebundle_(**kwargs)


class NeuronExplorer(Explorer):
    """Sliders for w1, w2 and b of one neuron; its output over the input plane."""

    def __init__(self, activation: Callable[[np.ndarray], np.ndarray]):
        self.fig, self.canvas = figure(5.6, 4.4)
        ax = self.fig.add_subplot()
        self.plane = plots.NeuronPlane(ax, activation, points=data.make_blobs(40, seed=0), legend="below",
                                       interpolation="nearest")
        self.controls = {"w1": _slider("w1", 1.0, -4, 4), "w2": _slider("w2", 1.0, -4, 4),
                         "b": _slider("b", 0.0, -4, 4)}
        self._wire(list(self.controls.values()))

    def redraw(self) -> None:
        c = self.controls
        self.plane.update(np.array([c["w1"].value, c["w2"].value]), c["b"].value)

    def dynamic_artists(self) -> list:
        p = self.plane
        return [p.image, p.line, p.arrow, p.ax.title]

    def describe(self) -> str:
        c = {k: v.value for k, v in self.controls.items()}
        out = self.plane.image.get_array()
        return (f"the neuron's output over the plane, x1 and x2 from -3 to 3, as colour from blue (0) to red (1): "
                f"from {float(out.min()):.2f} to {float(out.max()):.2f}. The decision line "
                f"{c['w1']:+.2f}·x1 {c['w2']:+.2f}·x2 {c['b']:+.2f} = 0 splits the plane; the arrow (w1, w2) "
                f"points towards higher output. 40 points: circles class 1, crosses class 0.")


@factory("neuron explorer")
def neuron_explorer(activation: Callable[[np.ndarray], np.ndarray]):
    """The neuron explorer for `activation` (pass your own sigmoid)."""
    return NeuronExplorer(activation)


def _natural(name: str) -> tuple:
    """A sort key that reads the numbers in a name as numbers, and puts weights (w...) before
    biases (b...): w1, w2, ..., w10, ..., b1, b2."""
    parts = [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name) if p]
    return (name[:1].lower() == "b", tuple((isinstance(p, str), p) for p in parts))


class NetworkExplorer(Explorer):
    """A small network's activations, live on its diagram.

    forward      mlp_forward(X, layers) -> [X, A1, ..., AL] (pass your own).
    layers       [(W1, b1), ...]; one weight or bias at a time is edited with a slider.
    param_names  one name per parameter in the order W1 entries, b1, W2 entries, b2, ...; the
                 drop-down lists them in their own natural order (w1, w2, ..., w10, ..., b1, ...),
                 which is how notes that name them read, whatever their place in the matrices.
    """

    def __init__(self, forward: Callable, layers: Sequence[tuple[np.ndarray, np.ndarray]],
                 x: Sequence[float] = (0.5, -0.5), param_names: Sequence[str] | None = None,
                 node_labels: Sequence[Sequence[str]] | None = None):
        import ipywidgets as w
        self.forward = forward
        self.layers = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in layers]
        sizes = [self.layers[0][0].shape[0]] + [W.shape[1] for W, _ in self.layers]
        self.fig, self.canvas = figure(7.2, 4.2)
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
        options = list(zip(names, range(len(names))))
        if param_names:
            options.sort(key=lambda option: _natural(option[0]))
        self.which = w.Dropdown(options=options, value=0,
                                description="parameter", layout=w.Layout(width="320px"))
        self.controls["value"] = _slider("value", self._parameter(0), -4, 4)
        self.which.observe(self._select, names="value")
        self._wire([*[self.controls[f"x{i + 1}"] for i in range(len(x))], self.which, self.controls["value"]])

    def _parameter(self, slot: int) -> float:
        l, part, idx = self.slots[slot]
        return float(self.layers[l][part][idx])

    def _select(self, change) -> None:
        self.controls["value"].value = self._parameter(change["new"])

    def redraw(self) -> None:
        l, part, idx = self.slots[self.which.value]
        self.layers[l][part][idx] = self.controls["value"].value
        x = np.array([[self.controls[f"x{i + 1}"].value for i in range(self.layers[0][0].shape[0])]])
        activations = self.forward(x, [(W.copy(), b.copy()) for W, b in self.layers])
        self.diagram.update([np.ravel(a) for a in activations], [W for W, _ in self.layers])

    def dynamic_artists(self) -> list:
        return [self.diagram.edges, self.diagram.nodes, *self.diagram.texts]

    def describe(self) -> str:
        d = self.diagram
        layers, start = [], 0
        for l, n in enumerate(d.sizes):
            texts = d.texts[start:start + n]
            layers.append(("input " if l == 0 else f"layer {l} ") + ", ".join(t.get_text().replace("\n", " ")
                                                                             for t in texts))
            start += n
        weights = ", ".join(f"{name} {self._parameter(i):.2f}" for (name, i) in self.which.options)
        return (f"the network as circles (units) joined by lines (weights). Activations: {'; '.join(layers)}. "
                f"Parameters: {weights}.")


@factory("network explorer")
def network_explorer(forward: Callable, layers: Sequence[tuple[np.ndarray, np.ndarray]], **kwargs):
    """The network explorer driven by `forward` (pass your own mlp_forward)."""
    return NetworkExplorer(forward, layers, **kwargs)


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
        self.fig, self.canvas = figure(8.6, 3.6)
        left, right = self.fig.subplots(1, 2)
        names = [*self.REGRESSION, "BCE"]
        self.loss_panel = plots.Curves(left, names, "prediction", "loss", legend=False)
        self.grad_panel = plots.Curves(right, names, "prediction", "d loss / d prediction", legend=False)
        # one legend for both panels, under them (nothing covers the curves), naming the
        # curves the mode shows: the layout keeps a strip at the bottom for it
        self.fig.get_layout_engine().set(rect=(0, 0.09, 1, 0.91))
        lines = self.loss_panel.lines
        self.legends = {mode: self.fig.legend(handles=[lines[n] for n in shown], loc="lower center",
                                              bbox_to_anchor=(0.5, 0.0), ncol=len(shown), fontsize=plots.FONT,
                                              frameon=False)
                        for mode, shown in (("regression", self.REGRESSION), ("binary", ("BCE",)))}
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
        self._curve_cache: dict = {}
        self.mode_shown = None
        self.limits = None
        self._wire(list(self.controls.values()))

    CURVES_KEPT = 512     # (loss, target[, delta]) curves remembered: a drag back costs nothing

    def _curve(self, name: str, grid: np.ndarray, target: float, delta: float) -> tuple[list, list]:
        """The loss and gradient curves of one loss over `grid` (only Huber depends on delta)."""
        key = (name, grid[0], target, delta if name == "Huber" else None)
        if key not in self._curve_cache:
            loss, grad = self.fns[name]
            extra = {"delta": delta} if name == "Huber" else {}
            if len(self._curve_cache) >= self.CURVES_KEPT:
                self._curve_cache.pop(next(iter(self._curve_cache)))
            self._curve_cache[key] = ([_at(loss, target, g, **extra) for g in grid],
                                      [_at(grad, target, g, **extra) for g in grid])
        return self._curve_cache[key]

    def _curves(self, regression: bool, target: float, delta: float) -> None:
        key = (regression, target, delta)
        if key == self._curves_key:
            return                                   # only the point moved
        if regression:
            grid = np.linspace(-4, 4, 161)
            ys_loss, ys_grad = {"BCE": []}, {"BCE": []}
            for name in self.REGRESSION:
                ys_loss[name], ys_grad[name] = self._curve(name, grid, target, delta)
            self.loss_panel.update_curves(grid, ys_loss)
            self.grad_panel.update_curves(grid, ys_grad)
        else:
            grid = np.linspace(0.001, 0.999, 161)
            empty = {name: [] for name in self.REGRESSION}
            loss_ys, grad_ys = self._curve("BCE", grid, target, delta)
            self.loss_panel.update_curves(grid, {**empty, "BCE": loss_ys})
            self.grad_panel.update_curves(grid, {**empty, "BCE": grad_ys})
        self._curves_key = key

    # The y axes follow the data: each panel's usual range, widened in a few fixed steps
    # until it holds the current points (a few views, so a drag seldom redraws everything).
    LIMITS = {"regression": ((-4.2, 4.2), (-0.2, 6), (-4.5, 4.5)), "binary": ((-0.02, 1.02), (-0.2, 7.5), (-25, 25))}
    WIDER = (1, 2, 5, 10, 20, 50, 100, 200)

    @classmethod
    def holding(cls, low: float, high: float, values) -> tuple[float, float]:
        """The first of (low, high) times 1, 2, 5, ... that holds every finite value with room to
        spare. A loss axis starts a little below 0, and that margin is its room: a loss of 0 (the
        prediction on the target) fits the usual range, not the widest."""
        values = [v for v in values if np.isfinite(v)]
        for scale in cls.WIDER:
            lo, hi = low * scale, high * scale
            room = 0.04 * (hi - lo)
            if all((lo + room <= v or lo < 0 <= v) and v <= hi - room for v in values):
                break
        return lo, hi

    def _show_mode(self, mode: str) -> None:
        if mode == self.mode_shown:
            return
        for name, legend in self.legends.items():
            legend.set_visible(name == mode)
        # The legend is part of the background; a kept background stays right, for each
        # mode has its own x range, so its own views (`LivePicture.view`).
        self.mode_shown = mode

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
        self.at = {n: (_at(self.fns[n][0], target, x, **extra.get(n, {})),
                       _at(self.fns[n][1], target, x, **extra.get(n, {}))) for n in names}
        self.loss_panel.update_points({**hidden, **{n: (x, loss) for n, (loss, _) in self.at.items()}})
        self.grad_panel.update_points({**hidden, **{n: (x, grad) for n, (_, grad) in self.at.items()}})
        self.loss_panel.ax.set_title(f"target {target:g}, prediction {x:.3g}")
        mode = c["task"]
        xlim, loss_y, grad_y = self.LIMITS[mode]
        limits = (xlim, self.holding(*loss_y, [v for v, _ in self.at.values()]),
                  self.holding(*grad_y, [g for _, g in self.at.values()]))
        self._show_mode(mode)
        if limits != self.limits:
            self.loss_panel.set_limits(xlim, limits[1])
            self.grad_panel.set_limits(xlim, limits[2])
            self.limits = limits
            if self.live is not None:
                self.relayout()
        self.state = (mode, target, x, c["delta"])

    def describe(self) -> str:
        mode, target, x, delta = self.state
        styles = dict(zip((*self.REGRESSION, "BCE"), ("solid", "dashed", "dash-dot", "dotted")))
        name = {"Huber": f"Huber (δ = {delta:.2f})"}
        where = (f"target {target:g}, prediction {x:.2f}" if mode == "regression"
                 else f"label {target:g}, predicted probability p = {x:.3f}")
        points = "; ".join(f"{name.get(n, n)} ({styles[n]} line): loss {loss:.4g}, gradient {grad:.4g}"
                           for n, (loss, grad) in self.at.items())
        (_, top), (low, high) = self.loss_panel.ax.get_ylim(), self.grad_panel.ax.get_ylim()
        return (f"left, each loss against the prediction; right, its gradient. At {where}: {points}. "
                f"Axes: loss up to {top:g}, gradient from {low:g} to {high:g}.")

    def dynamic_artists(self) -> list:
        return [*(a for panel in (self.loss_panel, self.grad_panel)
                  for a in (*panel.lines.values(), *panel.points.values())), self.loss_panel.ax.title]


@factory("loss explorer")
def loss_explorer(mse, mse_grad, mae, mae_grad, huber, huber_grad, bce, bce_grad):
    """The loss explorer, drawn with the loss functions and gradients you pass (your own)."""
    return LossExplorer(mse, mse_grad, mae, mae_grad, huber, huber_grad, bce, bce_grad)


class OutlierExplorer(Explorer):
    """Move one point; the lines that minimise MSE, MAE and Huber follow (or do not).

    Each line is fitted with course.fit.fit_line from the gradient you pass, starting
    from the previous fit, so a small move costs a few iterations.
    """

    def __init__(self, mse_grad, mae_grad, huber_grad):
        self.x, self.y = data.make_line_with_outlier(20, seed=0)
        self.grads = {"MSE": mse_grad, "MAE": mae_grad, "Huber": huber_grad}
        self.fig, self.canvas = figure(6.0, 4.2)
        ax = self.fig.add_subplot()
        self.picture = plots.LineFits(ax, self.x, self.y, list(self.grads), legend="below")
        ax.set(xlim=(-0.3, 4.3), ylim=(-9, 16))
        self.fits: dict[str, tuple[float, float] | None] = {name: None for name in self.grads}
        self.controls = {"outlier": _slider("outlier y", float(self.y[-1]), -8, 15, step=0.1),
                         "delta": _slider("Huber δ", 1.0, 0.1, 15.0)}     # past every residual: Huber is MSE
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

    def dynamic_artists(self) -> list:
        return [self.picture.outlier, *self.picture.lines.values(), self.picture.ax.title]

    def describe(self) -> str:
        styles = dict(zip(self.grads, ("solid", "dashed", "dash-dot")))
        lines = "; ".join(f"{n} ({styles[n]} line) slope {s:.2f}, intercept {b:.2f}" for n, (s, b) in self.fits.items())
        return (f"{len(self.x) - 1} points along a line of slope 1.50, and one point you move (a red square) at "
                f"x = {self.x[-1]:.2f}, y = {self.controls['outlier'].value:.1f}. The fitted lines: {lines}.")


@factory("outlier explorer")
def outlier_explorer(mse_grad, mae_grad, huber_grad):
    """The outlier explorer, fitting lines with the gradients you pass (your own)."""
    return OutlierExplorer(mse_grad, mae_grad, huber_grad)


class BackpropStepper(Explorer):
    """The worked example's network (notebook 03), one step at a time: forward node by node, then backward.

    Forward values use `sigmoid`, the loss `binary_cross_entropy` and its gradient
    `binary_cross_entropy_grad` (notebook 02's); the backward pass is built from your
    `sigmoid_backward` and `dense_backward`. Every slider recomputes everything.
    Parameters are in the example's column notation (W1 rows = hidden units); the course's
    row-notation matrices are their transposes.
    """

    NAMES = ["w11", "w12", "w21", "w22", "b1", "b2", "w31", "w32", "b3"]
    STEPS = ["the input", "z1 = W1·x + b1", "a1 = σ(z1)", "z2 = W2·a1 + b2", "ŷ = σ(z2)", "L = BCE(ŷ, y)",
             "dL/dŷ", "dL/dz2 (and dW2, db2)", "dL/da1", "dL/dz1 (and dW1, db1)", "dL/dx"]

    def __init__(self, sigmoid, sigmoid_backward, dense_backward, binary_cross_entropy, binary_cross_entropy_grad):
        import ipywidgets as w
        self.fns = (sigmoid, sigmoid_backward, dense_backward)
        self.loss_fns = (binary_cross_entropy, binary_cross_entropy_grad)
        self.params = np.array([0.1, 0.2, 0.3, 0.4, 0.1, 0.1, 0.2, 0.3, 0.1])   # the worked example's
        self.fig, self.canvas = figure(8.4, 3.5)
        # The step's caption is text under the picture, not in it: a screen reader reads it, it
        # can be selected and copied, and a frame no longer lays out and renders two long lines
        # of text (on matplotlib 3.11, most of a frame's cost).
        self.graph = plots.ComputationGraph(self.fig.add_subplot(), caption=False)
        self.caption = w.HTML("", layout=w.Layout(width="756px", margin="0 0 0 8px"))
        self.controls = {"step": w.IntSlider(0, 0, len(self.STEPS) - 1, description="step",
                                             layout=w.Layout(width="320px")),
                         "x1": _slider("x1", 1.0, -3, 3), "x2": _slider("x2", 0.0, -3, 3),
                         "y": w.ToggleButtons(options=[0, 1], value=1, description="label y")}
        self.which = w.Dropdown(options=list(zip(self.NAMES, range(9))), value=0, description="parameter",
                                layout=w.Layout(width="320px"))
        self.controls["value"] = _slider("value", float(self.params[0]), -3, 3, step=0.01)
        self.which.observe(lambda change: setattr(self.controls["value"], "value",
                                                  float(self.params[change["new"]])), names="value")
        self.back = w.Button(description="◀ back", layout=w.Layout(width="100px"))
        self.next = w.Button(description="next ▶", layout=w.Layout(width="100px"))
        self.back.on_click(lambda _b: self._move(-1))
        self.next.on_click(lambda _b: self._move(+1))
        self._wire([w.HBox([self.back, self.next]), self.controls["step"], self.controls["x1"], self.controls["x2"],
                    self.controls["y"], self.which, self.controls["value"]], below_picture=(self.caption,))

    def _move(self, by: int) -> None:
        step = self.controls["step"]
        step.value = int(np.clip(step.value + by, step.min, step.max))

    def compute(self) -> dict:
        """Every forward value and gradient of the current settings, in row notation."""
        sigmoid, sigmoid_backward, dense_backward = self.fns
        self.params[self.which.value] = self.controls["value"].value
        p = self.params
        W1 = np.array([[p[0], p[1]], [p[2], p[3]]]).T
        b1, W2, b2 = p[4:6], p[6:8].reshape(2, 1), p[8:9]
        X = np.array([[self.controls["x1"].value, self.controls["x2"].value]])
        y = np.array([[float(self.controls["y"].value)]])
        Z1 = X @ W1 + b1
        A1 = np.asarray(sigmoid(Z1), dtype=float)
        Z2 = A1 @ W2 + b2
        A2 = np.asarray(sigmoid(Z2), dtype=float)
        bce, bce_grad = self.loss_fns
        L = float(bce(y, A2))
        dA2 = np.asarray(bce_grad(y, A2), dtype=float)     # d BCE / d ŷ for one sample
        dZ2 = sigmoid_backward(dA2, A2)
        dA1, dW2, db2 = dense_backward(dZ2, A1, W2)
        dZ1 = sigmoid_backward(dA1, A1)
        dX, dW1, db1 = dense_backward(dZ1, X, W1)
        return dict(X=X, y=y, W1=W1, b1=b1, W2=W2, b2=b2, Z1=Z1, A1=A1, Z2=Z2, A2=A2, L=L, dA2=dA2, dZ2=dZ2,
                    dA1=dA1, dW2=dW2, db2=db2, dZ1=dZ1, dW1=dW1, db1=db1, dX=dX)

    def redraw(self) -> None:
        v = self.compute()
        step = self.controls["step"].value
        f = lambda a: f"{float(np.ravel(a)[0]):.4f}"  # noqa: E731
        nodes = [("x1", v["X"][0, 0]), ("x2", v["X"][0, 1]), ("z1_1", v["Z1"][0, 0]), ("z1_2", v["Z1"][0, 1]),
                 ("a1_1", v["A1"][0, 0]), ("a1_2", v["A1"][0, 1]), ("z2", v["Z2"]), ("yhat", v["A2"]), ("L", v["L"])]
        reveal_forward = {0: 2, 1: 4, 2: 6, 3: 7, 4: 8}.get(step, 9)
        values = {k: f(x) for k, x in nodes[:reveal_forward]}
        grads_at = [("yhat", v["dA2"]), ("z2", v["dZ2"]), ("a1_1", v["dA1"][0, 0]), ("a1_2", v["dA1"][0, 1]),
                    ("z1_1", v["dZ1"][0, 0]), ("z1_2", v["dZ1"][0, 1]), ("x1", v["dX"][0, 0]), ("x2", v["dX"][0, 1])]
        reveal_backward = {6: 1, 7: 2, 8: 4, 9: 6, 10: 8}.get(step, 0)
        grads = {k: "∂L=" + f(g) for k, g in grads_at[:reveal_backward]}
        if step >= 6:
            grads["L"] = "∂L=1"
        active = [{"x1", "x2"}, {"z1_1", "z1_2"}, {"a1_1", "a1_2"}, {"z2"}, {"yhat"}, {"L"}, {"yhat"}, {"z2"},
                  {"a1_1", "a1_2"}, {"z1_1", "z1_2"}, {"x1", "x2"}][step]
        W1c, W2 = v["W1"].T, v["W2"].ravel()
        weights = {("x1", "z1_1"): f"{W1c[0, 0]:.2f}", ("x2", "z1_1"): f"{W1c[0, 1]:.2f}",
                   ("x1", "z1_2"): f"{W1c[1, 0]:.2f}", ("x2", "z1_2"): f"{W1c[1, 1]:.2f}",
                   ("a1_1", "z2"): f"{W2[0]:.2f}", ("a1_2", "z2"): f"{W2[1]:.2f}"}
        captions = [
            f"input x = ({f(v['X'][0, 0])}, {f(v['X'][0, 1])}), label y = {int(v['y'][0, 0])}",
            f"z1 = W1·x + b1 = ({f(v['Z1'][0, 0])}, {f(v['Z1'][0, 1])})",
            f"a1 = σ(z1) = ({f(v['A1'][0, 0])}, {f(v['A1'][0, 1])})",
            f"z2 = W2·a1 + b2 = {f(v['Z2'])}",
            f"ŷ = σ(z2) = {f(v['A2'])}",
            f"L = -[y log ŷ + (1 - y) log(1 - ŷ)] = {v['L']:.4f}",
            f"dL/dŷ = (ŷ - y) / (ŷ(1 - ŷ)) = {f(v['dA2'])}",
            f"dL/dz2 = dL/dŷ · ŷ(1 - ŷ) = ŷ - y = {f(v['dZ2'])};   dW2 = a1·dL/dz2 = ({f(v['dW2'][0])}, "
            f"{f(v['dW2'][1])}), db2 = {f(v['db2'])}",
            f"dL/da1 = W2 · dL/dz2 = ({f(v['dA1'][0, 0])}, {f(v['dA1'][0, 1])})",
            f"dL/dz1 = dL/da1 · a1(1 - a1) = ({f(v['dZ1'][0, 0])}, {f(v['dZ1'][0, 1])});   "
            f"dW1 (the example's layout) = dz1·xᵀ = [[{f(v['dW1'][0, 0])}, {f(v['dW1'][1, 0])}], "
            f"[{f(v['dW1'][0, 1])}, {f(v['dW1'][1, 1])}]]",
            f"dL/dx = W1ᵀ · dL/dz1 = ({f(v['dX'][0, 0])}, {f(v['dX'][0, 1])})",
        ]
        lines = [f"step {step}: {self.STEPS[step]}", *captions[step].split(";   ")]
        self.graph.update(values, grads, active, weights)
        self.caption.value = "<br>".join(f"<b>{html.escape(line)}</b>" if i == 0 else html.escape(line)
                                         for i, line in enumerate(lines))

    def dynamic_artists(self) -> list:
        g = self.graph
        return [g.nodes, *g.values.values(), *g.grads.values(), *g.edge_labels.values()]

    def describe(self) -> str:
        g = self.graph
        name = {"x1": "x1", "x2": "x2", "z1_1": "z1 (first)", "z1_2": "z1 (second)", "a1_1": "a1 (first)",
                "a1_2": "a1 (second)", "z2": "z2", "yhat": "ŷ", "L": "L"}
        nodes = [f"{name[k]} = {g.values[k].get_text() or '?'}"
                 + (f" (∂L/∂{name[k]} = {g.grads[k].get_text()[3:]})" if g.grads[k].get_text() else "")
                 for k in g.POS]
        return ("the worked example's network as a graph, inputs on the left, loss on the right; ringed: the "
                "nodes this step computes. " + ", ".join(nodes) + ".")


@factory("backprop stepper")
def backprop_stepper(sigmoid, sigmoid_backward, dense_backward, binary_cross_entropy, binary_cross_entropy_grad):
    """The backprop stepper over the worked example's network, built from the functions you pass
    (your own backward passes; notebook 01's sigmoid and 02's loss)."""
    return BackpropStepper(sigmoid, sigmoid_backward, dense_backward, binary_cross_entropy, binary_cross_entropy_grad)


class XorTrainer(Explorer):
    """Train a network on XOR with your own `train` and `predict`, and watch it learn.

    Train runs `train` for a growing number of epochs (a tenth of the total more each
    time; `train` is deterministic for a seed, so each run extends the previous one),
    updating the progress bar, the loss curve and the output heat map after each piece.
    """

    CHUNKS = 10
    # the learning rates the slider offers: exactly the values the notebook's text uses
    RATES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)

    def __init__(self, train: Callable, predict: Callable, forward: Callable):
        import ipywidgets as w
        self.train_fn, self.predict_fn, self.forward = train, predict, forward
        self.X, self.y = data.xor()
        self.fig, self.canvas = figure(8.4, 3.6)
        left, right = self.fig.subplots(1, 2)
        (self.loss_line,) = left.semilogy([], [], color="C0", lw=2)
        left.set(xlabel="epoch", ylabel="loss (BCE)", title="loss", xlim=(0, 1500), ylim=(1e-3, 1))
        grid = np.linspace(-0.5, 1.5, 81)
        g1, g2 = np.meshgrid(grid, grid)
        self.grid = np.column_stack([g1.ravel(), g2.ravel()])
        self.image = right.imshow(np.full(g1.shape, 0.5), origin="lower", extent=(-0.5, 1.5, -0.5, 1.5),
                                  cmap=plots.CMAP, vmin=0, vmax=1)
        for (x1, x2), label in zip(self.X, self.y.ravel()):
            right.scatter([x1], [x2], s=120, marker="o" if label else "X", c="white" if label else "black",
                          edgecolors="black", zorder=3)
        right.set(xlabel="$x_1$", ylabel="$x_2$", title="network output (press Train)")
        self.fig.colorbar(self.image, ax=right, label="output")
        self.controls = {
            "lr": w.SelectionSlider(options=[(f"{r:g}", r) for r in self.RATES], value=5.0,
                                    description="learning rate", continuous_update=True,
                                    layout=w.Layout(width="320px"), style=LABELS_WIDE),
            "hidden": w.IntSlider(value=3, min=1, max=10, description="hidden units",
                                  layout=w.Layout(width="320px"), style=LABELS_WIDE),
            "epochs": w.IntSlider(value=1500, min=100, max=5000, step=100, description="epochs",
                                  layout=w.Layout(width="320px"), style=LABELS_WIDE),
            "seed": w.IntSlider(value=0, min=0, max=19, description="seed",
                                layout=w.Layout(width="320px"), style=LABELS_WIDE),
        }
        self.button = w.Button(description="Train", button_style="primary", layout=w.Layout(width="100px"))
        self.progress = w.IntProgress(value=0, min=0, max=self.CHUNKS, layout=w.Layout(width="320px"))
        self.button.on_click(lambda _b: self.run())
        self.history: np.ndarray = np.array([])
        self.accuracy: float | None = None
        self._wire([*self.controls.values(), self.button, self.progress])

    def redraw(self) -> None:
        """A setting changed: the last run no longer describes it."""
        self.progress.value = 0
        self.accuracy = None
        self.image.axes.set_title("network output (press Train)")

    def describe(self) -> str:
        c = {k: v.value for k, v in self.controls.items()}
        setting = (f"learning rate {c['lr']:g}, {c['hidden']} hidden units, {c['epochs']} epochs, seed {c['seed']}")
        if self.accuracy is None:
            last = (f" The last run's loss went from {self.history[0]:.3g} to {self.history[-1]:.3g}."
                    if self.history.size else "")
            return f"not trained with these settings ({setting}) yet: press Train.{last}"
        out = self.image.get_array()
        return (f"after {self.history.size} epochs ({setting}): left, the loss per epoch on a log scale, from "
                f"{self.history[0]:.3g} to {self.history[-1]:.3g}; right, the network's output over the plane as "
                f"colour from blue (0) to red (1), from {float(out.min()):.2f} to {float(out.max()):.2f}, with "
                f"XOR's four points (circles class 1, crosses class 0): {self.accuracy:.0%} of them right.")


    def run(self) -> None:
        c = {k: v.value for k, v in self.controls.items()}
        sizes = [2, c["hidden"], 1]
        self.button.disabled = True
        try:
            for k in range(1, self.CHUNKS + 1):
                epochs = max(1, round(c["epochs"] * k / self.CHUNKS))
                layers, history = self.train_fn(self.X, self.y, sizes, c["lr"], epochs, c["seed"])
                self.show(layers, np.asarray(history, dtype=float).ravel())
                self.progress.value = k
                self.relayout()                           # a log axis's labels change width with its range
                self.show_description()
                self.live.show()                          # this picture now, mid-training
            self.status.value = ""
        except Exception as exc:  # the student's train or predict is unfinished or wrong
            self.status.value = trouble(exc)
        finally:
            self.button.disabled = False

    def show(self, layers, history: np.ndarray) -> None:
        self.history = history
        epochs = np.arange(1, len(history) + 1)
        self.loss_line.set_data(epochs, history)
        ax = self.loss_line.axes
        finite = history[np.isfinite(history) & (history > 0)]
        if finite.size:   # whole decades: labelled ticks only at powers of 10, and few views
            low, high = np.floor(np.log10(finite.min())), np.ceil(np.log10(finite.max()))
            ax.set(xlim=(0, max(self.controls["epochs"].value, len(history))),
                   ylim=(10.0 ** min(low, high - 1), 10.0 ** max(high, low + 1)))
        out = np.asarray(self.forward(self.grid, layers)[-1], dtype=float).reshape(self.image.get_array().shape)
        self.image.set_data(out)
        accuracy = float(np.mean(np.asarray(self.predict_fn(layers, self.X)).reshape(self.y.shape) == self.y))
        self.accuracy = accuracy
        self.image.axes.set_title(f"network output: {accuracy:.0%} of XOR right")

    def dynamic_artists(self) -> list:
        return [self.loss_line, self.image, self.image.axes.title]


@factory("XOR trainer")
def xor_trainer(train: Callable, predict: Callable, forward: Callable):
    """The XOR trainer, driven by your `train` and `predict` (and a forward pass for the picture)."""
    return XorTrainer(train, predict, forward)


class OptimiserRace(Explorer):
    """Optimisers side by side on a long, narrow valley (course.race): one path each from the
    same start over the loss's contours, and each one's loss per step. The learning rate and
    beta are shared (Adam keeps its default betas); the paths are computed with your step
    functions once per (learning rate, beta) and kept, so `steps` only shows more or less of them.

    The learning rate is a log slider (about 0.001 to 1) whose readout takes typed values (0.21,
    say). (A SelectionSlider's readout can be edited in the browser, but ipywidgets ignores what
    is typed there and leaves it blank.) The browser snaps the slider to its grid, so the grid
    (steps of a factor 10^0.05) passes through the starting rate, 0.15, and the race runs at the
    rate rounded to two significant digits, the readout's: 0.19 and 0.21 typed are run as typed.
    """

    START_LR, LR_STEP = 0.15, 0.05          # the arrow keys move the rate by a factor 10^0.05
    LR_RANGE = (float(np.log10(START_LR)) - 44 * LR_STEP, 0.0)      # powers of 10: 0.00095 to 1
    LOSS_TOP = 1e3
    MAX_STEPS = 300
    STYLES = {"SGD": ("C7", ":"), "momentum": ("C0", "-"), "RMSProp": ("C3", "-."), "Adam": ("C2", "--")}
    LOOKS = {"SGD": "dotted grey", "momentum": "solid blue", "RMSProp": "dash-dot red", "Adam": "dashed green"}

    def __init__(self, momentum_step: Callable, rmsprop_step: Callable, adam_step: Callable | None = None):
        import ipywidgets as w
        from . import race
        self.race, self.optimisers = race, race.steppers(momentum_step, rmsprop_step, adam_step)
        self.paths: dict = {}
        self.fig, self.canvas = figure(8.0, 3.6)
        valley, curves = self.fig.subplots(1, 2, width_ratios=(1.6, 1))
        x, y = np.meshgrid(np.linspace(-4.5, 1.5, 121), np.linspace(-1.5, 1.5, 61))
        valley.contour(x, y, race.loss(x, y), levels=np.geomspace(1e-3, 20, 12), colors="0.75", linewidths=0.8)
        valley.plot(*race.START, "ko", ms=5)
        valley.plot(0, 0, "k*", ms=9)
        valley.set(xlim=(-4.5, 1.5), ylim=(-1.5, 1.5), xlabel="$x$", ylabel="$y$",
                   title="paths from the dot to the minimum (star)")
        curves.set(yscale="log", xlim=(0, self.MAX_STEPS), ylim=(1e-8, self.LOSS_TOP), xlabel="step", ylabel="loss",
                   title="loss per step")
        self.lines, self.ends, self.curves, self.crosses = {}, {}, {}, {}
        for name in self.optimisers:
            colour, style = self.STYLES[name]
            (self.lines[name],) = valley.plot([], [], color=colour, ls=style, lw=1.5, label=name)
            (self.ends[name],) = valley.plot([], [], "o", color=colour, ms=5)
            (self.curves[name],) = curves.plot([], [], color=colour, ls=style, lw=1.5)
            # a run that diverged: a cross at the top of the loss panel, at the step it left the picture
            (self.crosses[name],) = curves.plot([], [], "x", color=colour, ms=8, mew=2, clip_on=False)
            self.crosses[name].set_in_layout(False)     # (empty, it would spoil the layout)
        # the legend under both panels, outside the valley: no path runs under it, whatever the rate
        self.fig.legend(handles=list(self.lines.values()), loc="outside lower center", ncol=len(self.lines),
                        fontsize=plots.FONT, frameon=False)
        self.valley, self.curve_axes = valley, curves
        style = dict(continuous_update=True, layout=w.Layout(width="370px"), style={"description_width": "165px"})
        self.controls = {
            "lr": w.FloatLogSlider(value=self.START_LR, base=10, min=self.LR_RANGE[0], max=self.LR_RANGE[1],
                                   step=self.LR_STEP, readout_format=".2g", description="learning rate", **style),
            "beta": w.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="β (momentum, RMSProp)",
                                  **style),
            "steps": w.IntSlider(value=100, min=10, max=self.MAX_STEPS, step=10, description="steps", **style),
        }
        self._wire(list(self.controls.values()))

    def shown(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """{name: (points, losses)} up to the chosen number of steps."""
        key, steps = self.setting(), self.controls["steps"].value
        if key not in self.paths:
            self.paths[key] = self.race.race(self.optimisers, *key, self.MAX_STEPS)
        return {name: (points[:steps + 1], losses[:steps + 1]) for name, (points, losses) in self.paths[key].items()}

    def setting(self) -> tuple[float, float]:
        """(learning rate to the readout's two significant digits, beta): what the race runs."""
        return float(f"{self.controls['lr'].value:.2g}"), round(self.controls["beta"].value, 3)

    def redraw(self) -> None:
        for name, (points, losses) in self.shown().items():
            self.lines[name].set_data(points[:, 0], points[:, 1])
            self.ends[name].set_data(points[-1:, 0], points[-1:, 1])
            self.curves[name].set_data(np.arange(len(losses)), losses)
            diverged = len(losses) < self.MAX_STEPS + 1 and len(losses) <= self.controls["steps"].value
            self.crosses[name].set_data(([len(losses) - 1], [self.LOSS_TOP]) if diverged else ([], []))

    def describe(self) -> str:
        steps = self.controls["steps"].value
        parts = []
        for name, (points, losses) in self.shown().items():
            if len(losses) <= steps and len(losses) < self.MAX_STEPS + 1:
                parts.append(f"{name} diverged: it left the picture for good after {len(losses) - 1} steps "
                             f"(a cross at the top of the loss panel)")
            else:
                parts.append(f"{name} ends at ({points[-1, 0]:.2f}, {points[-1, 1]:.2f}), loss {losses[-1]:.2g}")
        return (f"left, the contours of a long, narrow valley, a hundred times steeper across (y) than along (x), its "
                f"minimum (a star) at (0, 0), and each optimiser's path from (-4, 1) (a dot); right, each one's loss "
                f"per step on a log scale. Lines: {', '.join(f'{n} {self.LOOKS[n]}' for n in self.optimisers)}. "
                f"After {steps} steps at learning rate {self.setting()[0]:g}, β {self.controls['beta'].value:.2f}: "
                + "; ".join(parts) + ".")

    def dynamic_artists(self) -> list:
        # no title that follows the controls: their readouts show the setting, and a changing text
        # costs more to draw than every path together (matplotlib 3.11 shapes text with libraqm)
        return [*self.lines.values(), *self.ends.values(), *self.curves.values(), *self.crosses.values()]


@factory("optimiser race")
def optimiser_race(momentum_step: Callable, rmsprop_step: Callable, adam_step: Callable | None = None):
    """The optimiser race: plain gradient descent and your momentum_step, rmsprop_step (and adam_step)."""
    return OptimiserRace(momentum_step, rmsprop_step, adam_step)


class FineTuningExplorer(Explorer):
    """How many labelled hospital images, and how fast to fine-tune once unfrozen: validation
    accuracy of training from scratch, head-only and full fine-tuning, as bars.

    Runs course.transfer with your `fit` and `add_head` and the `layers` module (one draw of the labelled images), each
    strategy at its setting in `settings` (chosen on validation; course.transfer.CHOSEN unless
    given): the slider replaces the fine-tuning learning rate, its epochs stay. Results are cached, so a setting costs training time only the first time it is shown;
    while it trains, the controls are disabled and the status line says so.
    """

    NAMES = ("scratch", "head_only", "fine_tune")
    LABELS = ("from scratch", "head only", "fine-tune all")
    DRAW = 0

    def __init__(self, layers, fit: Callable, add_head: Callable, settings: dict | None = None):
        import ipywidgets as w
        from . import transfer
        self.transfer, self.layers, self.fit, self.add_head = transfer, layers, fit, add_head
        self.settings = dict(transfer.CHOSEN if settings is None else settings)
        self.models: dict = {}      # n -> {"scratch": model, "head_only": model}
        self.scores: dict = {}      # (n, log10 lr) -> accuracies
        self.fig, self.canvas = figure(5.6, 3.6)
        ax = self.fig.add_subplot()
        self.bars = ax.bar(self.LABELS, [0.5] * 3, color=["0.6", "C0", "C2"])
        self.texts = [ax.text(bar.get_x() + bar.get_width() / 2, 0.52, "", ha="center", va="bottom")
                      for bar in self.bars]
        ax.axhline(0.5, color="grey", lw=0.8, ls="--")
        ax.set(ylim=(0.4, 1.0), ylabel="validation accuracy (200 images)")
        self.ax = ax
        self.controls = {"n": w.IntSlider(value=30, min=10, max=120, step=10, description="labelled images",
                                          layout=w.Layout(width="320px"), style=LABELS_WIDE,
                                          continuous_update=False),
                         "lr": w.FloatLogSlider(value=self.settings["fine_tune"][0], base=10, min=-5, max=-1, step=0.5,
                                                description="unfreeze lr", layout=w.Layout(width="320px"),
                                                style=LABELS_WIDE, readout_format=".0e",
                                                continuous_update=False)}
        self._wire(list(self.controls.values()))

    @staticmethod
    def key(n: int, lr: float) -> tuple:
        return n, round(float(np.log10(lr)), 3)

    def results(self, n: int, lr: float) -> dict[str, float]:
        """Validation accuracies; scratch and head-only depend on n only, fine-tuning on (n, lr)."""
        from . import xray
        key = self.key(n, lr)
        if key not in self.scores:
            splits = xray.hospital_splits(n, self.DRAW)
            if n not in self.models:
                self.models[n] = self.transfer.train_strategies(self.layers, self.fit, self.add_head, n, self.DRAW,
                                                                self.settings,
                                                                strategies=("scratch", "head_only"))
            scratch, head = self.models[n]["scratch"], self.models[n]["head_only"]
            tuned = self.transfer.fine_tune(self.fit, head, *splits["train"], lr, self.settings["fine_tune"][1])
            X_val, y_val = splits["val"]
            self.scores[key] = {name: self.transfer.accuracy(model, X_val, y_val)
                                for name, model in zip(self.NAMES, (scratch, head, tuned))}
        return self.scores[key]

    def update(self) -> None:
        """As Explorer.update; a setting not seen before trains first, and the widget says so."""
        n, lr = self.controls["n"].value, self.controls["lr"].value
        if self.key(n, lr) in self.scores:
            super().update()
            return
        with self.busy(f"training… ({n} labelled images, unfreeze lr {lr:.0e})"):
            super().update()

    def redraw(self) -> None:
        n, lr = self.controls["n"].value, self.controls["lr"].value
        accuracies = self.results(n, lr)
        for bar, text, name in zip(self.bars, self.texts, self.NAMES):
            bar.set_height(accuracies[name])
            text.set_position((text.get_position()[0], accuracies[name] + 0.01))
            text.set_text(f"{accuracies[name]:.3f}")
        self.ax.set_title(f"{n} labelled images, unfreeze lr {lr:.0e}: validation accuracy")

    def describe(self) -> str:
        n, lr = self.controls["n"].value, self.controls["lr"].value
        accuracies = self.results(n, lr)
        bars = ", ".join(f"{label} {accuracies[name]:.3f}" for label, name in zip(self.LABELS, self.NAMES))
        return (f"three bars, validation accuracy on 200 images after training on {n} labelled images "
                f"(fine-tuning unfrozen at lr {lr:.0e} for {self.settings['fine_tune'][1]} epochs): {bars}. "
                "A dashed line marks 0.5.")

    def dynamic_artists(self) -> list:
        return [*self.bars, *self.texts, self.ax.title]


@factory("fine-tuning explorer")
def fine_tuning_explorer(layers, fit: Callable, add_head: Callable, settings: dict | None = None):
    """The fine-tuning explorer, training with your `fit` and `add_head` at `settings` (the
    settings chosen on validation, {strategy: (lr, epochs)}; course.transfer.CHOSEN unless given);
    `layers` is the module of model classes beside notebook 05."""
    return FineTuningExplorer(layers, fit, add_head, settings)


class DigitsExplorer(Explorer):
    """Train the digits network (notebook 04) with your `two_layer_softmax_backprop`: training-set
    size, L2 strength and hidden units; training and validation curves, and validation digits
    the early-stopped network gets wrong.

    Training takes a second or so, so it runs on Train (controls disabled, the status says
    so) and each setting's result is kept: moving to a setting trained before shows it at
    once, any other shows empty curves and asks for Train. The starting setting is trained
    when the widget is built.
    """

    SIZES = (50, 100, 200, 400, 997)
    REGS = (0.0, 0.0001, 0.001, 0.01, 0.1)
    HIDDEN = (16, 32, 64, 128)
    EPOCHS, LR, SHOWN = 300, 1.0, 6

    def __init__(self, backprop: Callable, relu: Callable, softmax: Callable):
        import ipywidgets as w
        from matplotlib.gridspec import GridSpec

        from . import digits
        self.backprop, self.digits, self.activations = backprop, digits, {"relu": relu, "softmax": softmax}
        self.runs: dict = {}
        self.fig, self.canvas = figure(10.4, 3.4)
        grid = GridSpec(1, 3, figure=self.fig, width_ratios=[3, 3, 2.4])
        left, middle = self.fig.add_subplot(grid[0]), self.fig.add_subplot(grid[1])
        self.loss = plots.Curves(left, ["training", "validation"], "epoch", "cross-entropy", legend=False)
        self.acc = plots.Curves(middle, ["training", "validation"], "epoch", "accuracy", legend=False)
        # the legend outside the curves: a new picture then need not draw it again over them
        self.fig.legend(handles=list(self.loss.lines.values()), loc="outside lower center", ncol=2,
                        fontsize=plots.FONT, frameon=False)
        left.set(xlim=(0, self.EPOCHS), ylim=(0, 2.6))
        middle.set(xlim=(0, self.EPOCHS), ylim=(0, 1.05))
        self.marks = [ax.axvline(0, color="grey", ls=":", lw=1) for ax in (left, middle)]
        # the misclassified digits: one image of 2 x 3 tiles (one artist to redraw, not six)
        gallery = self.fig.add_subplot(grid[2])
        gallery.set_axis_off()
        gallery.set_title("validation digits it gets wrong\n(true → predicted)", fontsize=plots.FONT)
        from matplotlib import colormaps
        cmap = colormaps["gray_r"].with_extremes(bad="white")
        self.mosaic = np.full((20, 28), np.nan)
        self.image = gallery.imshow(self.mosaic, cmap=cmap, vmin=0, vmax=1, extent=(0, 28, 20, 0))
        self.captions = [gallery.text(self.tile(slot)[1] + 4, self.tile(slot)[0] - 0.3, " ", ha="center",
                                      va="bottom", fontsize=plots.FONT) for slot in range(self.SHOWN)]
        style = dict(layout=w.Layout(width="320px"), style=LABELS_WIDE, continuous_update=True)
        self.controls = {
            "n": w.SelectionSlider(options=self.SIZES, value=100, description="training images", **style),
            "reg": w.SelectionSlider(options=[(f"{r:g}", r) for r in self.REGS], value=0.0, description="L2 (reg)",
                                     **style),
            "hidden": w.SelectionSlider(options=self.HIDDEN, value=64, description="hidden units", **style)}
        self.button = w.Button(description="Train", button_style="primary", layout=w.Layout(width="100px"))
        self.button.on_click(lambda _b: self.train())
        failure = None
        try:
            self.result(self.setting())
        except Exception as exc:  # the student's function is unfinished or wrong: Train will say so
            failure = exc
        self._wire([*self.controls.values(), self.button])
        if failure is not None:
            self.status.value = trouble(failure)

    def setting(self) -> tuple:
        return tuple(self.controls[k].value for k in ("n", "reg", "hidden"))

    @staticmethod
    def tile(slot: int) -> tuple[int, int]:
        """(row, column) of a misclassified digit's top left pixel in the gallery image."""
        return 10 * (slot // 3) + 2, 9 * (slot % 3) + 1

    def result(self, setting: tuple) -> dict:
        """Train for a setting (or recall it): the curves, the best epoch, and up to SHOWN
        validation digits the early-stopped network gets wrong."""
        if setting not in self.runs:
            n, reg, hidden = setting
            split = self.digits.digit_split(n)
            run = self.digits.train_digits(self.backprop, *split["train"], *split["val"], hidden=hidden, reg=reg,
                                           epochs=self.EPOCHS, lr=self.LR, **self.activations)
            X_val, y_val = split["val"]
            predicted = self.digits.probabilities(run["params"], X_val, **self.activations).argmax(axis=1)
            wrong = np.flatnonzero(predicted != y_val)[:self.SHOWN]
            self.runs[setting] = {**{k: run[k] for k in ("train_loss", "val_loss", "train_acc", "val_acc")},
                                  "best": run["best_epoch"], "wrong": [(X_val[i], y_val[i], predicted[i]) for i in wrong]}
        return self.runs[setting]

    def train(self) -> None:
        setting = self.setting()
        try:
            with self.busy(f"training… ({setting[0]} images, reg {setting[1]:g}, {setting[2]} hidden units, "
                           f"{self.EPOCHS} epochs)", self.button):
                self.result(setting)
        except Exception as exc:  # the student's function is unfinished or wrong
            self.status.value = trouble(exc)
            return
        self.update()

    def redraw(self) -> None:
        run = self.runs.get(self.setting())
        epochs = np.arange(self.EPOCHS + 1)
        empty = np.array([])
        pick = (lambda key: run[key]) if run else (lambda key: empty)
        self.loss.update_curves(epochs, {"training": pick("train_loss"), "validation": pick("val_loss")})
        self.acc.update_curves(epochs, {"training": pick("train_acc"), "validation": pick("val_acc")})
        for mark in self.marks:
            mark.set_xdata([run["best"]] * 2 if run else [-10] * 2)
        wrong = run["wrong"] if run else []
        mosaic = np.full_like(self.mosaic, np.nan)
        for slot, caption in enumerate(self.captions):
            row, column = self.tile(slot)
            if slot < len(wrong):
                pixels, true, predicted = wrong[slot]
                mosaic[row:row + 8, column:column + 8] = pixels.reshape(8, 8)
                caption.set_text(f"{true} → {predicted}")
            else:
                caption.set_text(" ")
        self.image.set_data(mosaic)
        n, reg, hidden = self.setting()
        # the validation loss's rise after its best epoch is a few hundredths: the title says it in numbers
        self.loss.ax.set_title(f"validation loss {run['val_loss'][run['best']]:.2f} at best, "
                               f"{run['val_loss'][-1]:.2f} at the end" if run else
                               f"{n} images, reg {reg:g}, {hidden} hidden units")
        self.acc.ax.set_title(f"dotted: best epoch {run['best']}" if run else "not trained yet: press Train")

    def describe(self) -> str:
        n, reg, hidden = self.setting()
        run = self.runs.get((n, reg, hidden))
        setting = f"{n} training images, reg {reg:g}, {hidden} hidden units"
        if run is None:
            return f"not trained with these settings ({setting}) yet: press Train."
        b = run["best"]
        wrong = ", ".join(f"{'an' if t == 8 else 'a'} {t} read as {p}" for _, t, p in run["wrong"]) or "none"
        return (f"after {self.EPOCHS} epochs ({setting}): left, cross-entropy per epoch, training from "
                f"{run['train_loss'][0]:.2f} to {run['train_loss'][-1]:.3f}, validation lowest {run['val_loss'][b]:.3f} "
                f"at epoch {b} (dotted line) and {run['val_loss'][-1]:.3f} at the end; middle, accuracy, training "
                f"{run['train_acc'][-1]:.3f} and validation {run['val_acc'][-1]:.3f} at the end, "
                f"{run['val_acc'][b]:.3f} at the best epoch; right, validation digits the network of the best epoch "
                f"gets wrong (true → predicted): {wrong}.")

    def dynamic_artists(self) -> list:
        return [*self.loss.lines.values(), *self.acc.lines.values(), *self.marks, self.image, *self.captions,
                self.loss.ax.title, self.acc.ax.title]


@factory("digits explorer")
def digits_explorer(backprop: Callable, relu: Callable, softmax: Callable):
    """The digits explorer, training with your `two_layer_softmax_backprop` (`relu` and `softmax`,
    notebook 01's, score the network)."""
    return DigitsExplorer(backprop, relu, softmax)
